package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// callRow waits until `lineup call list` shows a call matching re (a regexp over one row) and
// returns the row's fields.
func callRow(t *testing.T, data, what string, re *regexp.Regexp) []string {
	t.Helper()
	var out string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var errOut string
		var code int
		out, errOut, code = lineup(t, "--data", data, "call", "list")
		if code != 0 {
			t.Fatalf("call list: exit %d: %s", code, errOut)
		}
		for _, row := range strings.Split(out, "\n") {
			if re.MatchString(row) {
				return strings.Fields(row)
			}
		}
	}
	t.Fatalf("call list never showed %s; last:\n%s", what, out)
	return nil
}

// TestCallTransferThroughTheCLI works a call with `lineup call` as a user at a terminal would,
// beside a logged-on client:
// baresip 301 calls Alice; the call is answered, transferred to a number that does not exist
// (it comes back, the list says why), then to Ben on the same server, who answers: the caller
// talks to Ben and Alice's call is journaled as transferred.
func TestCallTransferThroughTheCLI(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "301", Password: "pw-301"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	s := startServe(t, data, "--api", "127.0.0.1:0")
	apiURL := urlInLog.FindStringSubmatch(s.wait(t, `msg="local api listening"`, 1))
	if apiURL == nil {
		t.Fatalf("no URL in the log:\n%s", s.log.String())
	}
	s.wait(t, `msg="line registered"`, 2)
	// A desk client stays logged on, as the desktop app would: calls ring at the clients only
	// while one is (otherwise the group's "not logged on" answer applies).
	watchEvents(t, apiURL[1], data)
	caller := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx})

	if out, _, code := lineup(t, "--data", data, "call", "list"); code != 0 || strings.TrimSpace(out) != "no calls" {
		t.Errorf("call list without calls: exit %d, %q", code, out)
	}
	_, errOut, code := lineup(t, "--data", data, "call", "transfer", "nosuch", "202")
	if code != 1 || !strings.Contains(errOut, "no such call") {
		t.Errorf("transfer of an unknown call: exit %d, %q", code, errOut)
	}
	if _, _, code := lineup(t, "--data", data, "call", "transfer", "nosuch"); code != 2 {
		t.Errorf("transfer without a number: exit %d, want 2 (usage)", code)
	}

	ctx := t.Context()
	if err := caller.Dial(ctx, "sip:201@"+strings.SplitN(caller.AOR(), "@", 2)[1]); err != nil {
		t.Fatal(err)
	}
	row := callRow(t, data, "Alice ringing", regexp.MustCompile(`\sAlice\s+incoming\s+ringing\s+301`))
	id := row[0]
	if _, errOut, code := lineup(t, "--data", data, "call", "answer", id); code != 0 {
		t.Fatalf("call answer: exit %d: %s", code, errOut)
	}
	callRow(t, data, "Alice connected", regexp.MustCompile(`^`+id+`\s+Alice\s+incoming\s+connected`))

	if _, errOut, code := lineup(t, "--data", data, "call", "transfer", id, "299"); code != 0 {
		t.Fatalf("call transfer to 299: exit %d: %s", code, errOut)
	}
	callRow(t, data, "the failed transfer", regexp.MustCompile(`^`+id+`\s+Alice\s+incoming\s+connected\s+301.*transfer to 299 failed \(404 `))

	if _, errOut, code := lineup(t, "--data", data, "call", "transfer", id, "202"); code != 0 {
		t.Fatalf("call transfer to 202: exit %d: %s", code, errOut)
	}
	ben := callRow(t, data, "Ben ringing", regexp.MustCompile(`\sBen\s+incoming\s+ringing\s+301`))
	if _, errOut, code := lineup(t, "--data", data, "call", "answer", ben[0]); code != 0 {
		t.Fatalf("answer at Ben: exit %d: %s", code, errOut)
	}
	callRow(t, data, "Ben talking to the caller", regexp.MustCompile(`^`+ben[0]+`\s+Ben\s+incoming\s+connected\s+301`))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, _, _ := lineup(t, "--data", data, "call", "list")
		if !strings.Contains(out, id) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Alice's call is still listed after the transfer:\n%s", out)
		}
	}
	var out string
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out, "transferred"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Alice's journal does not say transferred:\n%s", out)
		}
		out, _, _ = lineup(t, "--data", data, "journal", "--line", "Alice", "--outcome", "transferred")
	}
	if _, errOut, code := lineup(t, "--data", data, "call", "hangup", ben[0]); code != 0 {
		t.Fatalf("hang up at Ben: exit %d: %s", code, errOut)
	}
	if _, err := caller.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
}

// TestCallConferenceThroughTheCLI: Alice dials baresip 301, holds it, dials 302 and joins the
// two with `lineup call conference`; the list shows both calls in one conference. 302 hangs up:
// 301's call is listed as a normal call again, and both calls are journaled.
func TestCallConferenceThroughTheCLI(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
		{Name: "301", Password: "pw-301"}, {Name: "302", Password: "pw-302"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	s := startServe(t, data, "--api", "127.0.0.1:0")
	s.wait(t, `msg="local api listening"`, 1)
	s.wait(t, `msg="line registered"`, 2)
	first := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx, AutoAnswer: true})
	second := baresiptest.Start(t, baresiptest.Config{User: "302", Password: "pw-302", PBX: pbx, AutoAnswer: true})
	dial := func(number string) string {
		t.Helper()
		out, errOut, code := lineup(t, "--data", data, "dial", number, "--line", "Alice")
		if code != 0 {
			t.Fatalf("dial %s: exit %d: %s", number, code, errOut)
		}
		m := regexp.MustCompile(`(?m)^call:\s+(\S+)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("dial printed %q", out)
		}
		return m[1]
	}
	a := dial("301")
	callRow(t, data, "301 connected", regexp.MustCompile(`^`+a+`\s+Alice\s+outgoing\s+connected\s+301`))
	if _, errOut, code := lineup(t, "--data", data, "call", "conference", a); code != 1 || !strings.Contains(errOut, "no other connected or held call") {
		t.Errorf("conference of a call alone: exit %d, %q", code, errOut)
	}
	if _, _, code := lineup(t, "--data", data, "call", "conference", a, "extra"); code != 2 {
		t.Errorf("conference with a number: exit %d, want 2 (usage)", code)
	}
	if _, errOut, code := lineup(t, "--data", data, "call", "hold", a); code != 0 {
		t.Fatalf("hold: exit %d: %s", code, errOut)
	}
	b := dial("302")
	callRow(t, data, "302 connected", regexp.MustCompile(`^`+b+`\s+Alice\s+outgoing\s+connected\s+302`))
	if _, errOut, code := lineup(t, "--data", data, "call", "conference", b); code != 0 {
		t.Fatalf("call conference: exit %d: %s", code, errOut)
	}
	ra := callRow(t, data, "301 in the conference", regexp.MustCompile(`^`+a+`\s+Alice\s+outgoing\s+connected\s+301\s+in conf-`))
	rb := callRow(t, data, "302 in the conference", regexp.MustCompile(`^`+b+`\s+Alice\s+outgoing\s+connected\s+302\s+in conf-`))
	if ra[len(ra)-1] != rb[len(rb)-1] {
		t.Errorf("the calls are listed in %s and %s, want one conference", ra[len(ra)-1], rb[len(rb)-1])
	}
	time.Sleep(time.Second)
	if err := second.Hangup(t.Context()); err != nil {
		t.Fatal(err)
	}
	callRow(t, data, "301 a normal call again", regexp.MustCompile(`^`+a+`\s+Alice\s+outgoing\s+connected\s+301\s*$`))
	if _, errOut, code := lineup(t, "--data", data, "call", "hangup", a); code != 0 {
		t.Fatalf("hang up: exit %d: %s", code, errOut)
	}
	if _, err := first.WaitEvent(t.Context(), "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	var out string
	for deadline := time.Now().Add(10 * time.Second); strings.Count(out, "answered") < 2; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Alice's journal does not list both calls as answered:\n%s", out)
		}
		out, _, _ = lineup(t, "--data", data, "journal", "--line", "Alice")
	}
	for _, want := range []string{"answered, conference with 302", "answered, conference with 301"} {
		if !strings.Contains(out, want) {
			t.Errorf("Alice's journal lacks %q:\n%s", want, out)
		}
	}
}
