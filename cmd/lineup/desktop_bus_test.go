package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// sessionBus starts a private session D-Bus for a test and returns its address; it stops with
// the test.
func sessionBus(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon said no address: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return strings.TrimSpace(addr)
}

// trayHost is the desktop's side of the system tray (a StatusNotifierWatcher, as a panel runs
// one): it records the items that register, so that the test can read their menus.
type trayHost struct {
	mu    sync.Mutex
	items []string // the senders (unique bus names) of the registered items
}

func (h *trayHost) RegisterStatusNotifierItem(sender dbus.Sender, _ string) *dbus.Error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.items = append(h.items, string(sender))
	return nil
}

func (h *trayHost) registered() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.items...)
}

// menuLabels reads an item's dbusmenu (com.canonical.dbusmenu GetLayout) as its labels, a
// checked toggle marked with "[x] ".
func menuLabels(t *testing.T, conn *dbus.Conn, dest string) []string {
	t.Helper()
	var rev uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := conn.Object(dest, "/StatusNotifierMenu").Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&rev, &layout); err != nil {
		t.Fatalf("the tray menu cannot be read: %v", err)
	}
	var labels []string
	for _, c := range layout.Children {
		item, ok := c.Value().([]any)
		if !ok || len(item) < 2 {
			continue
		}
		props, _ := item[1].(map[string]dbus.Variant)
		label, _ := props["label"].Value().(string)
		if label == "" {
			continue // a separator
		}
		if st, ok := props["toggle-state"].Value().(int32); ok && st == 1 {
			label = "[x] " + label
		}
		labels = append(labels, label)
	}
	return labels
}

// TestTrayAndNotificationsOnADesktopBus: with a session D-Bus, a notification daemon (dunst)
// and a tray host, an incoming call raises a desktop notification naming the caller and the
// line, and the tray icon's menu shows the status and offers Show and Quit (and Answer while
// a call rings); no error text of the tray or of Fyne reaches the terminal.
func TestTrayAndNotificationsOnADesktopBus(t *testing.T) {
	for _, tool := range []string{"Xvfb", "dbus-daemon", "dbus-monitor", "dunst"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	caller := baresiptest.Start(t, baresiptest.Config{User: "203", Password: "pw-203", PBX: pbx})
	data := t.TempDir()
	if out, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	display := startXvfb(t)
	bus := sessionBus(t)
	env := append(os.Environ(), "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS="+bus, "LANG=C.UTF-8")

	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	host := &trayHost{}
	if err := conn.Export(host, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if r, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("the tray host's name: %v %v", r, err)
	}

	// The notification daemon, and a monitor that prints what is sent to it.
	daemons := func(name string, args ...string) *harness.LogBuffer {
		var out harness.LogBuffer
		cmd := exec.Command(name, args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return &out
	}
	daemons("dunst")
	notes := daemons("dbus-monitor", "--session", "interface='org.freedesktop.Notifications',member='Notify'")

	log, _ := startApp(t, append(env, "LINEUP_SIP_LISTEN=127.0.0.1", "LINEUP_AUDIO=null"),
		func() string { return "notifications seen:\n" + notes.String() }, "--data", data)
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	wait("the lines to register", func() bool { return strings.Count(log.String(), "line registered") == 2 })
	wait("the tray icon to register", func() bool { return len(host.registered()) == 1 })
	item := host.registered()[0]
	labels := menuLabels(t, conn, item)
	if got := strings.Join(labels, " | "); got != "Show Lineup | [x] Logged on | Do Not Disturb | Logged off | Quit" {
		t.Errorf("the tray menu reads %q", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := caller.Dial(ctx, "sip:201@"+pbx.Domain()); err != nil {
		t.Fatal(err)
	}
	wait("the notification of the call", func() bool {
		s := notes.String()
		return strings.Contains(s, `string "Incoming call on Alice"`) && strings.Contains(s, "203")
	})
	wait("Answer in the tray menu", func() bool {
		return strings.HasPrefix(strings.Join(menuLabels(t, conn, item), " | "), "Show Lineup | Answer 203")
	})
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"systray error", "Fyne error"} {
		if strings.Contains(log.String(), raw) {
			t.Errorf("%q text reached the terminal:\n%s", raw, harness.Tail(log.String(), 20))
		}
	}
}
