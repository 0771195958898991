package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

var lineupBin string

func TestMain(m *testing.M) {
	// Every lineup the tests run keeps its passwords in its data file, never in the keyring of
	// the desktop running the tests; keyring_test.go gives its runs a Secret Service of their own.
	os.Setenv("LINEUP_SECRETS", "database")
	dir, err := os.MkdirTemp("", "lineup-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lineupBin = filepath.Join(dir, "lineup")
	out, err := exec.Command("go", "build", "-race", "-o", lineupBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build lineup: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func lineup(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return lineupEnv(t, nil, args...)
}

func provisionFile(t *testing.T, registrar string, extra string) string {
	t.Helper()
	body := fmt.Sprintf(`
[[group]]
name = "Sales"

[[line]]
name = "Alice"
group = "Sales"
journal = true
[line.account]
registrar = %q
user = "201"
password = "pw-201"

[[line]]
name = "Ben"
group = "Sales"
[line.account]
registrar = %q
user = "202"
password = "pw-202"
transport = "tcp"
%s`, registrar, registrar, extra)
	f := filepath.Join(t.TempDir(), "lines.toml")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestProvisionImportIsAllOrNothing(t *testing.T) {
	data := t.TempDir()
	good := provisionFile(t, "127.0.0.1:5060", "")
	out, errOut, code := lineup(t, "--data", data, "provision", "import", good)
	if code != 0 || !strings.Contains(out, "2 lines") {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	before, _, _ := lineup(t, "provision", "export", "--data", data)

	// The same file with a broken pickup code in a new group and a line in a group that does
	// not exist: both problems are reported with their lines, and nothing changes.
	bad := provisionFile(t, "127.0.0.1:5060", `
[[group]]
name = "Support"
pickup_code = "*59"

[[line]]
name = "Chris"
group = "Nowhere"
[line.account]
registrar = "127.0.0.1"
user = "203"
`)
	_, errOut, code = lineup(t, "--data", data, "provision", "import", bad)
	if code != 1 {
		t.Fatalf("bad import exited %d, want 1; stderr %q", code, errOut)
	}
	for _, want := range []string{
		`lines.toml:25: group "Support": pickup code "*59": must contain <NUMBER> exactly once`,
		`lines.toml:29: line "Chris": group "Nowhere": names no group`,
		"nothing imported",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	after, _, _ := lineup(t, "--data", data, "provision", "export")
	if after != before || !strings.Contains(after, "Alice") {
		t.Fatalf("a failed import changed the data:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if fi, err := os.Stat(filepath.Join(data, "lineup.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data file mode: %v %v, want 0600", fi.Mode().Perm(), err)
	}
}

func TestServeRegistersAndDeregistersOnSIGTERM(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	// LINEUP_DATA chooses the data directory as --data does.
	cmd := exec.Command(lineupBin, "serve", "--sip-listen", "127.0.0.1")
	cmd.Env = append(os.Environ(), "LINEUP_DATA="+data)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log strings.Builder
	waitLog := func(what string, n int) {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for seen := 0; seen < n; {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("lineup exited before %d %q; log:\n%s", n, what, log.String())
				}
				log.WriteString(l + "\n")
				if strings.Contains(l, what) {
					seen++
				}
			case <-deadline:
				t.Fatalf("no %d %q within 15 s; log:\n%s", n, what, log.String())
			}
		}
	}
	waitLog(`msg="line registered"`, 2)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, user := range []string{"201", "202"} {
		if code := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service(user)).FinalStatus(); code != 200 {
			t.Fatalf("OPTIONS to %s through Kamailio: %d, want 200 from the running line server", user, code)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog(`msg="line unregistered"`, 2)
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("lineup serve after SIGTERM: %v", err)
	}
	for _, user := range []string{"201", "202"} {
		if code := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service(user)).FinalStatus(); code != 404 {
			t.Fatalf("after SIGTERM, OPTIONS to %s: %d, want 404 (binding removed)", user, code)
		}
	}
}

func TestUnknownCommandShowsUsage(t *testing.T) {
	_, errOut, code := lineup(t, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) || !strings.Contains(errOut, "usage: lineup") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}
