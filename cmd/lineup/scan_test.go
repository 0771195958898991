package main

import (
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// sipvicious runs one of Debian's sipvicious scanners (svmap, svwar, svcrack) bound to loopback,
// with its session files in a temporary home, and returns what it printed.
func sipvicious(t *testing.T, tool string, args ...string) string {
	t.Helper()
	harness.SkipIfShort(t, "sipvicious")
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found (install the Debian package sipvicious): %v", tool, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-b", "127.0.0.1"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, _ := cmd.CombinedOutput() // the scanners exit non-zero when they find nothing
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within 90 s:\n%s", tool, out)
	}
	return string(out)
}

// TestScannersFindNothing points the scanners attackers use at a running `lineup serve` whose
// line 201 (password pw-201) is registered at Kamailio: svmap finds no SIP device, svwar finds no
// extension by INVITE, REGISTER or OPTIONS, svcrack cracks nothing with a word list holding the
// password, and a direct SIPp INVITE gets no answer. Lineup still runs, a call through Kamailio
// still reaches the line (no client is logged on: the line server answers 486), and the journal
// holds that call alone.
func TestScannersFindNothing(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	port, err := harness.FreeUDPTCPPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	s := startServe(t, data, "--sip-port", strconv.Itoa(port))
	s.wait(t, `msg="line registered"`, 2)
	p := strconv.Itoa(port)

	if out := sipvicious(t, "svmap", "-p", p, "127.0.0.1"); !strings.Contains(out, "found nothing") {
		t.Errorf("svmap found something:\n%s", out)
	}
	for _, m := range []string{"INVITE", "REGISTER", "OPTIONS"} {
		out := sipvicious(t, "svwar", "-p", p, "-m", m, "-e", "195-215", "--force", "127.0.0.1")
		if strings.Contains(out, "| 201") || strings.Contains(out, "| 202") || !strings.Contains(out, "found nothing") {
			t.Errorf("svwar -m %s learnt something:\n%s", m, out)
		}
	}
	words := filepath.Join(t.TempDir(), "words.txt")
	if err := os.WriteFile(words, []byte("1234\nsecret\npw-201\n201\npassword\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := sipvicious(t, "svcrack", "-p", p, "-u", "201", "-d", words, "127.0.0.1"); strings.Contains(out, "pw-201") || !strings.Contains(out, "found nothing") {
		t.Errorf("svcrack learnt something:\n%s", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	direct := sipptest.Start(ctx, t, "policy_caller.xml", "127.0.0.1:"+p, sipptest.Service("201"))
	time.Sleep(3 * time.Second)
	if codes := direct.Stop().StatusCodes(); len(codes) != 0 {
		t.Errorf("a direct INVITE to the line server got %v, want no answer at all", codes)
	}

	// Through Kamailio the call reaches the line, and OPTIONS is answered.
	if code := sipptest.Run(ctx, t, "policy_caller.xml", pbx.UDPAddr(), sipptest.Service("201")).FinalStatus(); code != 486 {
		t.Errorf("a call through Kamailio: %d, want the line server's 486 (no client logged on)", code)
	}
	if code := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service("201")).FinalStatus(); code != 200 {
		t.Errorf("OPTIONS through Kamailio: %d, want 200 from the line server", code)
	}
	s.stop(t)
	out, errOut, code := lineup(t, "--data", data, "journal", "--csv")
	if code != 0 {
		t.Fatalf("journal: exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Alice (201) journals: one entry, the call through Kamailio.
	if len(recs) != 2 || recs[1][1] != "Alice" || recs[1][5] != "+4930123456" || recs[1][11] != "busy" {
		t.Errorf("journal after the scans: %q, want the one call through Kamailio", recs)
	}
}
