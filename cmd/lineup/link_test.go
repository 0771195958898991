package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/testpbx"
)

func TestParseLink(t *testing.T) {
	for in, want := range map[string]string{
		"tel:+49891234203":                        "+49891234203",
		"TEL:+49-89-1234-203":                     "+49891234203",
		"tel:+49.89.(1234).203;phone-context=x":   "+49891234203",
		"tel:0891234203?body=x":                   "0891234203",
		"tel:%2B49%20891234203":                   "+49891234203",
		"tel:*21#":                                "*21#",
		"callto:203":                              "203",
		"callto://+49891234203":                   "+49891234203",
		"callto:203@pbx.example":                  "sip:203@pbx.example",
		"sip:203@pbx.example":                     "sip:203@pbx.example",
		"sip:203@pbx.example;transport=tcp?x=y":   "sip:203@pbx.example;transport=tcp",
		"SIPS:anna@pbx.example:5061":              "sips:anna@pbx.example:5061",
		"sip:+49891234203@pbx.example;user=phone": "sip:+49891234203@pbx.example;user=phone",
	} {
		got, err := parseLink(in)
		if err != nil || got != want {
			t.Errorf("parseLink(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, says := range map[string]string{
		"tel:":                              "names no number",
		"tel:+":                             "names no number",
		"tel:;phone-context=x":              "names no number",
		"callto:":                           "names no number",
		"sip:@":                             "names no user",
		"sip:":                              "names no user",
		"sip:203@":                          "names no host",
		"sip:203@;transport=tcp":            "names no host",
		"tel:$(reboot)":                     "not part of a phone number",
		"tel:123`id`":                       "not part of a phone number",
		"tel:12+3":                          "not part of a phone number",
		"tel:%ZZ":                           "bad %-escape",
		"sip:203@pbx$(id)":                  "does not belong",
		"sip:203@pbx.example; rm -rf /":     "does not belong",
		"sip:a|b@pbx":                       "does not belong",
		"sip:\"x\"@pbx":                     "does not belong",
		"tel:" + strings.Repeat("1", 10000): "at most 512",
	} {
		got, err := parseLink(in)
		if !errors.Is(err, errLink) || !strings.Contains(err.Error(), says) {
			t.Errorf("parseLink(%q) = %q, %v; want an error saying %q", shorten(in), got, err, says)
		}
	}
	for _, arg := range []string{"tel:1", "sip:a@b", "Callto:1", "sips:a@b"} {
		if !isLink(arg) {
			t.Errorf("isLink(%q) is false", arg)
		}
	}
	for _, arg := range []string{"serve", "dial", "telephone", "http://x", ""} {
		if isLink(arg) {
			t.Errorf("isLink(%q) is true", arg)
		}
	}
}

// TestLinksAndOneInstance: a tel: link starts the app, which dials it once its line registered;
// a second start brings the running app to the front instead of failing on the locked data file;
// a sip: link goes to the running app, which dials it; a malformed link dials nothing and leaves
// the app running. Each call is checked where it arrives: at baresip through Kamailio.
func TestLinksAndOneInstance(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	callee := baresiptest.Start(t, baresiptest.Config{User: "203", Password: "pw-203", PBX: pbx})
	data := t.TempDir()
	if out, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	display := startXvfb(t)
	env := []string{"DISPLAY=" + display, "LANG=C.UTF-8", "LINEUP_SIP_LISTEN=127.0.0.1", "LINEUP_AUDIO=null"}

	_, exited := startApp(t, append(os.Environ(), env...), func() string { return "" }, "--data", data, "tel:203")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	incoming := func(what string) {
		t.Helper()
		ev, err := callee.WaitEvent(ctx, "CALL_INCOMING")
		if err != nil {
			t.Fatalf("%s: no call reached 203: %v", what, err)
		}
		if !strings.Contains(ev.PeerURI, "201") {
			t.Errorf("%s: the call came from %q, want line 201 (Alice)", what, ev.PeerURI)
		}
		if err := callee.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	incoming("the app started by tel:203")
	windowID(t, display, "Lineup")

	// A second start: no error about the locked file, the running app is shown.
	out, errOut, code := lineupEnv(t, env, "--data", data)
	if code != 0 || !strings.Contains(errOut, "running already") {
		t.Errorf("second start: exit %d, %q %q; want 0 and a word that it runs already", code, out, errOut)
	}
	if n := len(searchWindows(display, "Lineup")); n != 1 {
		t.Errorf("%d main windows after the second start, want the one", n)
	}

	// A link while the app runs goes to it.
	out, errOut, code = lineupEnv(t, env, "--data", data, "sip:203@"+pbx.Domain())
	if code != 0 || !strings.Contains(out, "dialled: sip:203@"+pbx.Domain()) {
		t.Fatalf("sip: link to the running app: exit %d, %q %q", code, out, errOut)
	}
	incoming("sip:203@ through the running app")

	// Malformed links: a clear message, nothing dialled, the app still runs.
	for _, bad := range []string{"tel:", "sip:@", "tel:$(touch " + filepath.Join(data, "pwned") + ")", "tel:" + strings.Repeat("9", 10000)} {
		out, errOut, code := lineupEnv(t, env, "--data", data, bad)
		if code != 1 || !strings.Contains(errOut, "cannot be dialled") || strings.Contains(out, "call:") {
			t.Errorf("%s: exit %d, %q %q; want 1 and why it cannot be dialled", shorten(bad), code, out, shorten(errOut))
		}
	}
	if _, err := os.Stat(filepath.Join(data, "pwned")); err == nil {
		t.Error("a link ran a shell command")
	}
	time.Sleep(500 * time.Millisecond)
	if evs := callee.Events(); countType(evs, "CALL_INCOMING") != 2 {
		t.Errorf("203 got %d calls, want the 2 the good links made", countType(evs, "CALL_INCOMING"))
	}
	select {
	case err := <-exited:
		t.Fatalf("the app exited: %v", err)
	default:
	}
}

// startApp runs the desktop app (lineupBin with args and env) for the test: its output goes to
// the returned log, exited gives its end. At the test's end it gets SIGTERM (a kill after 15 s),
// and a failed test shows the log's tail with what more tells.
func startApp(t *testing.T, env []string, more func() string, args ...string) (*harness.LogBuffer, <-chan error) {
	t.Helper()
	log := &harness.LogBuffer{}
	app := exec.Command(lineupBin, args...)
	app.Env, app.Stdout, app.Stderr = env, log, log
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- app.Wait() }()
	t.Cleanup(func() {
		_ = app.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = app.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("lineup log:\n%s\n%s", harness.Tail(log.String(), 60), more())
		}
	})
	return log, exited
}

func countType(evs []baresiptest.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}
