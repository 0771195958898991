package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// TestForwardThroughTheCLI sets Alice's forwarding with `lineup forward` against serve: bad
// rules are refused with the field named, "always 302" makes baresip 301's call to Alice reach
// baresip 302 (the PBX follows the 302 for it) and the journal says forwarded; off and call
// waiting are switched the same way.
func TestForwardThroughTheCLI(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{FollowRedirects: true, Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
		{Name: "301", Password: "pw-301"}, {Name: "302", Password: "pw-302"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	if _, errOut, code := lineup(t, "--data", data, "forward", "Alice"); code != 1 || !strings.Contains(errOut, "no line server") {
		t.Errorf("forward without serve: exit %d, %q", code, errOut)
	}
	s := startServe(t, data, "--api", "127.0.0.1:0")
	if urlInLog.FindStringSubmatch(s.wait(t, `msg="local api listening"`, 1)) == nil {
		t.Fatalf("no URL in the log:\n%s", s.log.String())
	}
	s.wait(t, `msg="line registered"`, 2)
	caller := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx, ToneHz: 1000})
	target := baresiptest.Start(t, baresiptest.Config{User: "302", Password: "pw-302", PBX: pbx, ToneHz: 700, AutoAnswer: true})

	if out, errOut, code := lineup(t, "--data", data, "forward", "Alice"); code != 0 || strings.TrimSpace(out) != "Alice: not forwarded" {
		t.Errorf("forward Alice: exit %d, %q %q", code, out, errOut)
	}
	for _, bad := range []struct {
		args []string
		code int
		text string
	}{
		{[]string{"Alice", "sometimes", "302"}, 2, "unknown mode"},
		{[]string{"Alice", "always"}, 2, "takes a NUMBER"},
		{[]string{"Alice", "busy", "302", "--after", "10"}, 2, "--after is for no-answer only"},
		{[]string{"Alice", "always", "201"}, 1, "forward to \"201\": must not be the line itself"},
		{[]string{"Alice", "no-answer", "302", "--after", "2"}, 1, "forward after \"2\": must be 5 to 120 seconds"},
		{[]string{"Nobody", "always", "302"}, 1, "Nobody"},
	} {
		_, errOut, code := lineup(t, append([]string{"--data", data, "forward"}, bad.args...)...)
		if code != bad.code || !strings.Contains(errOut, bad.text) {
			t.Errorf("forward %v: exit %d, %q; want exit %d saying %q", bad.args, code, errOut, bad.code, bad.text)
		}
	}
	out, errOut, code := lineup(t, "--data", data, "forward", "Alice", "no-answer", "302", "--after", "15")
	if code != 0 || strings.TrimSpace(out) != "Alice: calls forwarded to 302 after 15 s without answer" {
		t.Errorf("forward no-answer: exit %d, %q %q", code, out, errOut)
	}
	out, errOut, code = lineup(t, "--data", data, "forward", "Alice", "always", "302")
	if code != 0 || strings.TrimSpace(out) != "Alice: all calls forwarded to 302" {
		t.Fatalf("forward always: exit %d, %q %q", code, out, errOut)
	}

	ctx := t.Context()
	if err := caller.Dial(ctx, "sip:201@"+strings.SplitN(caller.AOR(), "@", 2)[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := target.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("302 was not called: %v", err)
	}
	if _, err := caller.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("the caller was not connected to 302: %v", err)
	}
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	out = ""
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out, "forwarded"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Alice's journal does not say forwarded:\n%s", out)
		}
		out, _, _ = lineup(t, "--data", data, "journal", "--line", "Alice", "--outcome", "forwarded")
	}
	if !strings.Contains(out, "301") {
		t.Errorf("the forwarded call's entry does not name the caller:\n%s", out)
	}

	if out, errOut, code := lineup(t, "--data", data, "forward", "Alice", "off"); code != 0 || strings.TrimSpace(out) != "Alice: not forwarded" {
		t.Errorf("forward off: exit %d, %q %q", code, out, errOut)
	}
	if out, errOut, code := lineup(t, "--data", data, "call-waiting", "Alice", "off"); code != 0 || strings.TrimSpace(out) != "Alice: call waiting off" {
		t.Errorf("call-waiting off: exit %d, %q %q", code, out, errOut)
	}
	if _, _, code := lineup(t, "--data", data, "call-waiting", "Alice", "maybe"); code != 2 {
		t.Errorf("call-waiting maybe: exit %d, want 2 (usage)", code)
	}
	// Both are saved: the set-up exported from the data file, once serve has stopped, has them.
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for range s.lines {
	}
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("serve stopped with %v", err)
	}
	exported, errOut, code := lineup(t, "--data", data, "provision", "export")
	if code != 0 || !strings.Contains(exported, "no_call_waiting = true") || strings.Contains(exported, "[line.forward]") {
		t.Errorf("the exported set-up (exit %d) lacks the call waiting switch or still forwards:\n%s%s", code, exported, errOut)
	}
}
