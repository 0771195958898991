package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// privateKeyring starts a D-Bus session bus and gnome-keyring's Secret Service on it, both in
// t.TempDir() and stopped when the test ends, and returns the environment that points a program
// at them (and at a HOME of their own, so no real keyring file is touched).
func privateKeyring(t *testing.T) []string {
	t.Helper()
	for _, tool := range []string{"dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	dir := t.TempDir()
	env := []string{
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(dir, "bus"),
		"HOME=" + dir,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_RUNTIME_DIR=" + dir,
	}
	start := func(cmd *exec.Cmd) {
		t.Helper()
		cmd.Env = append(os.Environ(), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", cmd.Path, err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("%s said:\n%s", filepath.Base(cmd.Path), out.String())
			}
		})
	}
	start(exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile",
		"--address=unix:path="+filepath.Join(dir, "bus")))
	waitFor(t, "the session bus", func() bool {
		_, err := os.Stat(filepath.Join(dir, "bus"))
		return err == nil
	})
	gk := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	gk.Stdin = strings.NewReader("test-keyring-password")
	start(gk)
	waitFor(t, "the Secret Service on the bus", func() bool {
		cmd := exec.Command("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		return err == nil && strings.Contains(string(out), "boolean true")
	})
	return env
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lineupEnv runs lineup with env added to the test's environment.
func lineupEnv(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, lineupBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func dataFileHas(t *testing.T, data, text string) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, "lineup.db"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(text))
}

// With a Secret Service on the session bus, the imported lines' passwords go into it (one item
// per line, service Lineup, account "<file ID>/<ref>"), the data file holds none of them, and
// `lineup serve` registers both lines at a real Kamailio with the passwords from the keyring.
func TestPasswordsInRealKeyring(t *testing.T) {
	harness.SkipIfShort(t, "a D-Bus session bus with gnome-keyring, and Kamailio")
	env := append(privateKeyring(t), "LINEUP_SECRETS=keyring")
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	data := t.TempDir()
	if out, errOut, code := lineupEnv(t, env, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 ||
		!strings.Contains(out, "2 lines") || strings.Contains(errOut, "no OS keyring") {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, pw := range []string{"pw-201", "pw-202", `"password"`} {
		if dataFileHas(t, data, pw) {
			t.Errorf("lineup.db holds %s although the keyring is in use", pw)
		}
	}

	items := func() string {
		t.Helper()
		search := exec.Command("secret-tool", "search", "--all", "service", "Lineup")
		search.Env = append(os.Environ(), env...)
		found, err := search.CombinedOutput()
		if err != nil {
			t.Fatalf("secret-tool search: %v\n%s", err, found)
		}
		return string(found)
	}
	named := regexp.MustCompile(`(?m)^attribute\.username = [0-9a-f]{32}/[0-9a-f]{32}$`)
	found := items()
	for _, want := range []string{"secret = pw-201", "secret = pw-202"} {
		if !strings.Contains(found, want) {
			t.Errorf("keyring has no %q:\n%s", want, found)
		}
	}
	if n := len(named.FindAllString(found, -1)); n != 2 {
		t.Errorf("keyring has %d items named <file ID>/<ref>, want 2:\n%s", n, found)
	}

	// A changed password replaces its item; importing the old one again puts it back.
	changed := provisionFile(t, pbx.UDPAddr(), "")
	body, err := os.ReadFile(changed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(changed, bytes.Replace(body, []byte(`"pw-201"`), []byte(`"pw-201-changed"`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ file, want, gone string }{
		{changed, "secret = pw-201-changed", "secret = pw-201\n"},
		{provisionFile(t, pbx.UDPAddr(), ""), "secret = pw-201\n", "pw-201-changed"},
	} {
		if _, errOut, code := lineupEnv(t, env, "--data", data, "provision", "import", step.file); code != 0 {
			t.Fatalf("import: exit %d, stderr %q", code, errOut)
		}
		found := items()
		if !strings.Contains(found, step.want) || strings.Contains(found, step.gone) ||
			len(named.FindAllString(found, -1)) != 2 {
			t.Errorf("keyring after an import: want %q and not %q, 2 items:\n%s", step.want, step.gone, found)
		}
	}

	cmd := exec.Command(lineupBin, "--data", data, "serve", "--sip-listen", "127.0.0.1", "--audio", "none")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range lines {
		}
		_ = cmd.Wait()
	})
	var log strings.Builder
	started, registered := false, 0
	deadline := time.After(20 * time.Second)
	for !started || registered < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("lineup serve exited; log:\n%s", log.String())
			}
			log.WriteString(l + "\n")
			if strings.Contains(l, `msg="line server started"`) {
				started = strings.Contains(l, `passwords="OS keyring"`)
				if !started {
					t.Fatalf("serve does not say the passwords are in the OS keyring: %s", l)
				}
			}
			if strings.Contains(l, `msg="line registered"`) {
				registered++
			}
		case <-deadline:
			t.Fatalf("not started with both lines registered within 20 s; log:\n%s", log.String())
		}
	}
}

// Without a session bus, --secrets keyring refuses to start and says why; auto keeps the
// passwords in the data file and warns once.
func TestSecretsWithoutKeyring(t *testing.T) {
	noBus := []string{"DBUS_SESSION_BUS_ADDRESS=", "XDG_RUNTIME_DIR=" + t.TempDir(), "HOME=" + t.TempDir()}
	data := t.TempDir()
	file := provisionFile(t, "127.0.0.1:5060", "")
	_, errOut, code := lineupEnv(t, append(noBus, "LINEUP_SECRETS=keyring"), "--data", data, "provision", "import", file)
	if code != 1 || !strings.Contains(errOut, "no OS keyring: no D-Bus session bus") {
		t.Fatalf("import with --secrets keyring and no bus: exit %d, stderr %q; want exit 1 naming the missing bus", code, errOut)
	}
	_, errOut, code = lineupEnv(t, noBus, "--data", data, "--secrets", "auto", "provision", "import", file)
	warn := "no OS keyring (no D-Bus session bus): SIP passwords are kept in lineup.db, protected only by its file mode 0600"
	if code != 0 || strings.Count(errOut, warn) != 1 || !strings.Contains(errOut, "level=WARN") {
		t.Fatalf("import with auto and no bus: exit %d, stderr %q; want success with the one warning", code, errOut)
	}
	if !dataFileHas(t, data, "pw-201") {
		t.Error("with no keyring the password is not in lineup.db")
	}
	if _, errOut, code := lineupEnv(t, noBus, "--data", data, "--secrets", "vault", "provision", "export"); code != 2 ||
		!strings.Contains(errOut, `--secrets "vault": want auto, keyring or database`) {
		t.Errorf("--secrets vault: exit %d, stderr %q; want a usage error", code, errOut)
	}
}
