package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// TestDistPackages checks what `make dist` built (LINEUP_DIST names its folder; `make test` sets
// it) as a user installs it: the Windows .exe is a GUI program for Windows; the Linux archive
// holds the binary, icon, desktop entry and Makefile, installs for the user into a private home,
// the entry passes desktop-file-validate, register-handlers makes it the default for tel:, sip:
// and callto:, and xdg-open on a tel: link starts the installed app, which dials the number:
// the INVITE reaches SIPp registered as 203 at Kamailio. unregister-handlers and user-uninstall
// take it all back. Without LINEUP_DIST the test builds the packages itself (several minutes).
func TestDistPackages(t *testing.T) {
	harness.SkipIfShort(t, "building and installing the packages")
	for _, tool := range []string{"Xvfb", "xdg-open", "xdg-mime", "desktop-file-validate", "file", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dist := os.Getenv("LINEUP_DIST")
	if dist == "" {
		dist = t.TempDir()
		if out, err := exec.Command(filepath.Join(root, "scripts", "dist.sh"), dist, "all").CombinedOutput(); err != nil {
			t.Fatalf("scripts/dist.sh: %v\n%s", err, out)
		}
	}
	meta, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindSubmatch(meta)
	if m == nil {
		t.Fatal("FyneApp.toml names no Version")
	}
	version := string(m[1])

	exe := filepath.Join(dist, "Lineup-"+version+"-windows-amd64.exe")
	if out, err := exec.Command("file", "-b", exe).Output(); err != nil {
		t.Errorf("the Windows .exe: %v", err)
	} else if s := string(out); !strings.Contains(s, "PE32+ executable (GUI) x86-64") || !strings.Contains(s, "MS Windows") {
		t.Errorf("the Windows .exe is %q, want a PE32+ GUI program for Windows", strings.TrimSpace(s))
	}

	archive := filepath.Join(dist, "lineup-"+version+"-linux-amd64.tar.xz")
	list, err := exec.Command("tar", "-tJf", archive).Output()
	if err != nil {
		t.Fatalf("the Linux archive: %v", err)
	}
	const entry = "com.github.lineupphone.lineup.desktop"
	for _, want := range []string{"./lineup/Makefile", "./lineup/usr/local/bin/lineup",
		"./lineup/usr/local/share/applications/" + entry, "./lineup/usr/local/share/pixmaps/com.github.lineupphone.lineup.png"} {
		if !slices.Contains(strings.Fields(string(list)), want) {
			t.Errorf("the archive lacks %s; it holds:\n%s", want, list)
		}
	}
	unpacked := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", archive, "-C", unpacked).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v\n%s", err, out)
	}
	pkg := filepath.Join(unpacked, "lineup")
	if out, err := exec.Command("file", "-b", filepath.Join(pkg, "usr/local/bin/lineup")).Output(); err != nil || !strings.Contains(string(out), "ELF 64-bit") {
		t.Errorf("the archive's binary is %q (%v), want a Linux program", out, err)
	}

	// Installed for a user with a home of their own.
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, ".local/share"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_DIRS="+filepath.Join(home, "none"), "XDG_CURRENT_DESKTOP=")
	run := func(what string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env, cmd.Dir = env, pkg
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("make user-install", "make", "user-install")
	installed := filepath.Join(home, ".local/share/applications", entry)
	bin := filepath.Join(home, ".local/bin/lineup")
	run("desktop-file-validate", "desktop-file-validate", installed)
	body, err := os.ReadFile(installed)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Exec=" + bin + " %u", "MimeType=x-scheme-handler/tel;x-scheme-handler/sip;x-scheme-handler/callto;",
		"Categories=Network;Telephony;"} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("the installed entry lacks %q:\n%s", want, body)
		}
	}
	run("register-handlers", bin, "register-handlers")
	for _, s := range []string{"tel", "sip", "callto"} {
		if got := run("xdg-mime query", "xdg-mime", "query", "default", "x-scheme-handler/"+s); got != entry {
			t.Errorf("%s: links open with %q, want %s", s, got, entry)
		}
	}

	// A tel: link opened as a browser does starts the installed app, which dials it.
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	callee := sipptest.Start(ctx, t, "uas_call.xml", "")
	if reg := sipptest.Run(ctx, t, "register_auth.xml", pbx.UDPAddr(), sipptest.Service("203"), sipptest.Auth("203", "pw-203"),
		sipptest.Key("contact_port", strconv.Itoa(callee.Port()))); reg.FinalStatus() != 200 {
		t.Fatalf("REGISTER 203: codes %v", reg.StatusCodes())
	}
	data := t.TempDir()
	env = append(env, "LINEUP_DATA="+data, "LINEUP_SECRETS=database", "LINEUP_SIP_LISTEN=127.0.0.1", "LINEUP_AUDIO=null",
		"DISPLAY="+startXvfb(t), "LANG=C.UTF-8")
	run("provision import", bin, "provision", "import", provisionFile(t, pbx.UDPAddr(), ""))

	var log harness.LogBuffer
	open := exec.Command("xdg-open", "tel:203")
	open.Env, open.Stdout, open.Stderr = env, &log, &log
	open.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // xdg-open waits for the app it starts
	open.WaitDelay = 5 * time.Second                       // a helper the app started may keep the log pipe
	if err := open.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- open.Wait() }()
	var stopOnce sync.Once
	stopApp := func() {
		stopOnce.Do(func() {
			_ = syscall.Kill(-open.Process.Pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(15 * time.Second):
				_ = syscall.Kill(-open.Process.Pid, syscall.SIGKILL)
				<-exited
			}
		})
	}
	t.Cleanup(func() {
		stopApp()
		if t.Failed() {
			t.Logf("xdg-open and lineup log:\n%s", harness.Tail(log.String(), 60))
		}
	})
	// The app answers its local API once it runs; hang the call up through it once SIPp has it.
	var callID string
	for deadline := time.Now().Add(45 * time.Second); callID == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		s, found, err := httpapi.Connect(ctx, data, "test")
		if !found || err != nil {
			continue
		}
		if calls, err := s.Calls(ctx); err == nil && len(calls) > 0 {
			callID = calls[0].ID
			if err := s.HangUp(ctx, callID); err != nil {
				t.Errorf("hang up: %v", err)
			}
		}
		_ = s.LogOff(ctx)
	}
	if callID == "" {
		t.Fatal("the app started by xdg-open tel:203 placed no call")
	}
	got := callee.Wait()
	var methods []string
	for _, msg := range got.Received() {
		methods = append(methods, strings.Fields(msg)[0])
	}
	if len(methods) == 0 || methods[0] != "INVITE" {
		t.Fatalf("SIPp as 203 received %v, want the INVITE of the link", methods)
	}
	if inv := got.Received()[0]; !regexp.MustCompile(`(?m)^From:.*sip:201@`).MatchString(inv) {
		t.Errorf("the INVITE is not from line 201 (Alice):\n%s", inv)
	}
	stopApp()

	run("unregister-handlers", bin, "unregister-handlers")
	if got, _ := exec.Command("xdg-mime", "query", "default", "x-scheme-handler/tel").Output(); strings.TrimSpace(string(got)) == entry {
		t.Error("tel: links still open with Lineup after unregister-handlers")
	}
	run("make user-uninstall", "make", "user-uninstall")
	for _, f := range []string{installed, bin} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s is left after user-uninstall", f)
		}
	}
}
