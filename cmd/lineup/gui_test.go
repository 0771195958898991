package main

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// TestGUISmoke runs the desktop app (lineup without a subcommand) under Xvfb against the test
// Kamailio, in the light and in the dark theme, while baresip calls one of its lines. It checks
// that the call rings at the logged-on app (baresip hears 180, not the "not logged on" 486) and
// opens a conversation window; another client answers through the app's local API and then
// baresip hangs up. Then it opens the settings window with Ctrl+, and goes through its tabs with
// Ctrl+PageDown, closes it with the keyboard and opens the journal with Ctrl+J. It saves
// screenshots of the main window, of the conversation window (ringing, connected, ended), of each
// settings tab and of the journal: in the test's temporary directory, and in $LINEUP_ARTEFACTS
// when that is set.
func TestGUISmoke(t *testing.T) {
	for _, tool := range []string{"Xvfb", "import", "xwininfo", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (scripts/install-deps.sh installs xvfb, imagemagick, x11-utils and xdotool): %v", tool, err)
		}
	}
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	data := t.TempDir()
	prov := filepath.Join(t.TempDir(), "lines.toml")
	body := fmt.Sprintf(`
[[location]]
name = "Munich office"
country_code = "49"
area_code = "89"
international_prefix = "00"
national_prefix = "0"
outside_line = "0"
base_number = "1234"
internal_min = 3
internal_max = 3

[[group]]
name = "Sales"
location = "Munich office"
journal_all = true
auto_numbers = true
pickup_code = "*59<NUMBER>"

[[group.feature_code]]
name = "Call forwarding off"
code = "#21#"

[[group]]
name = "Reception"
location = "Munich office"
hide_decline = true

[[line]]
name = "Sales 201"
group = "Sales"
[line.account]
registrar = %[1]q
user = "201"
password = "pw-201"
display_name = "Alice Fischer"
encryption = "offer"

[[line]]
name = "Reception 202"
group = "Reception"
number = "202"
[line.account]
registrar = %[1]q
user = "202"
password = "pw-202"
`, pbx.UDPAddr())
	if err := os.WriteFile(prov, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := lineup(t, "--data", data, "provision", "import", prov); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	// The caller offers SRTP keys, which line 201 takes: the conversation window shows its padlock.
	caller := baresiptest.Start(t, baresiptest.Config{User: "203", Password: "pw-203", PBX: pbx, MediaEnc: "srtp"})
	display := startXvfb(t)

	dirs := []string{t.TempDir()}
	if d := os.Getenv("LINEUP_ARTEFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	for _, th := range []string{"light", "dark"} {
		t.Run(th, func(t *testing.T) {
			guiSmoke(t, display, th, data, pbx, caller, dirs)
		})
	}
	t.Logf("screenshots in %s", strings.Join(dirs, " and "))
}

func guiSmoke(t *testing.T, display, th, data string, pbx *testpbx.PBX, caller *baresiptest.Agent, dirs []string) {
	var log harness.LogBuffer
	cmd := exec.Command(lineupBin, "--data", data, "--log-level", "debug")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8", "FYNE_THEME="+th,
		"LINEUP_SIP_LISTEN=127.0.0.1", "LINEUP_AUDIO=null", "LINEUP_API=127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("lineup did not stop within 15 s of SIGTERM")
		}
	}
	t.Cleanup(func() {
		_ = stop()
		if t.Failed() {
			t.Logf("lineup log:\n%s", harness.Tail(log.String(), 80))
		}
	})

	waitLog := func(what string, d time.Duration, cond func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond(log.String()) {
			select {
			case err := <-exited:
				t.Fatalf("lineup exited while waiting for %s: %v", what, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitLog("the desktop client to log on", 30*time.Second, func(s string) bool {
		return strings.Contains(s, "client logged on") && strings.Contains(s, "client=desktop")
	})
	waitLog("both lines to register", 20*time.Second, func(s string) bool {
		return strings.Contains(s, `line registered" line="Sales 201"`) &&
			strings.Contains(s, `line registered" line="Reception 202"`)
	})
	mainArea := windowArea(t, display, "Lineup")
	main := stablePicture(t, display, mainArea)
	save(t, dirs, "main-"+th+".png", main)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := caller.Dial(ctx, "sip:201@"+pbx.Domain()); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitEvent(ctx, "CALL_RINGING"); err != nil {
		t.Fatalf("the call to the logged-on app does not ring: %v\nbaresip events: %v", err, caller.Events())
	}
	// The conversation window is titled after the caller (203, an extension of the same PBX).
	convArea := windowArea(t, display, "203 - Lineup")
	t.Logf("main window at %v, conversation window at %v", mainArea, convArea)
	conv := stablePicture(t, display, convArea)
	save(t, dirs, "conversation-ringing-"+th+".png", conv)
	mainRinging := stablePicture(t, display, mainArea)
	if same(mainRinging, main) {
		t.Error("the main window does not show the ringing call")
	}
	save(t, dirs, "main-ringing-"+th+".png", mainRinging)
	// Without a session D-Bus (as here) the app says once that the tray and notifications are off,
	// and no raw error of Fyne's reaches the terminal when the call would notify.
	waitLog("the notice that notifications are off", 5*time.Second, func(s string) bool {
		return strings.Count(s, "no system tray and no desktop notifications: no session D-Bus") == 1
	})
	if strings.Contains(log.String(), "Fyne error") {
		t.Errorf("Fyne's error text reached the terminal:\n%s", harness.Tail(log.String(), 20))
	}

	// Another client answers through the app's local API; the window follows the call.
	url, token, ok, err := httpapi.Discover(data)
	if err != nil || !ok {
		t.Fatalf("the app's local API is not announced: %v", err)
	}
	cl, err := httpapi.Dial(ctx, url, token)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cl.LogOn(ctx, "smoke test")
	if err != nil {
		t.Fatal(err)
	}
	defer sess.LogOff(context.Background())
	calls, err := sess.Calls(ctx)
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls through the API: %v, %v", calls, err)
	}
	if err := sess.Answer(ctx, calls[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // codec and loss reach the window
	connected := stablePicture(t, display, windowArea(t, display, "203 - Lineup"))
	if same(connected, conv) {
		t.Error("the conversation window did not change when the call was answered")
	}
	save(t, dirs, "conversation-connected-"+th+".png", connected)

	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	save(t, dirs, "conversation-ended-"+th+".png", stablePicture(t, display, windowArea(t, display, "203 - Lineup")))

	editorsAndJournal(t, display, th, dirs, log.String)
	if err := stop(); err != nil {
		t.Errorf("lineup exited with %v after SIGTERM", err)
	}
	if !strings.Contains(log.String(), "line unregistered") {
		t.Error("the lines were not de-registered when the app stopped")
	}
}

type subImager interface {
	SubImage(image.Rectangle) image.Image
}

// The size of the Xvfb screen. The app centres the first conversation window; with no window
// manager the other windows come up at the top left. At this size the conversation window does
// not cover the main window, so the main window's screenshots show what it draws by itself.
const screenW, screenH = 1920, 1080

// startXvfb starts Xvfb on a display it picks itself (-displayfd) and returns ":N".
func startXvfb(t testing.TB) string {
	t.Helper()
	harness.SkipIfShort(t, "an X server (Xvfb)")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenW, screenH), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	var xlog harness.LogBuffer
	cmd.Stderr = &xlog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
		r.Close()
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatalf("Xvfb did not start:\n%s", xlog.String())
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatalf("Xvfb did not say its display in time:\n%s", xlog.String())
	}
	return ""
}

// grab takes a screenshot of the whole screen.
func grab(t testing.TB, display string) image.Image {
	t.Helper()
	return shoot(t, display)
}

// grabArea takes a screenshot of the area of the screen. Cutting it out in import keeps the
// picture small and quick to read, so that a steady window shows as such between the ticks of a
// call's clock.
func grabArea(t testing.TB, display string, area image.Rectangle) image.Image {
	t.Helper()
	return shoot(t, display, "-crop", fmt.Sprintf("%dx%d%+d%+d", area.Dx(), area.Dy(), area.Min.X, area.Min.Y), "+repage")
}

// shoot runs import on the screen with more options and reads the picture.
func shoot(t testing.TB, display string, opts ...string) image.Image {
	t.Helper()
	f := filepath.Join(t.TempDir(), "shot.png")
	args := append(append([]string{"-display", display, "-window", "root"}, opts...), f)
	if out, err := exec.Command("import", args...).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	fh, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// windowArea waits for the window with that title to be mapped and to stay in one place (the app
// may move it after mapping it, e.g. to the centre) and returns where it is on the screen (Xvfb
// runs no window manager, so there are no frames).
func windowArea(t testing.TB, display, title string) image.Rectangle {
	t.Helper()
	var last image.Rectangle
	for i := 0; ; i++ {
		r := windowPlace(t, display, title)
		if r == last {
			return r
		}
		if i == 50 {
			t.Fatalf("window %q keeps moving: %v, %v", title, last, r)
		}
		last = r
		time.Sleep(300 * time.Millisecond)
	}
}

func windowPlace(t testing.TB, display, title string) image.Rectangle {
	t.Helper()
	re := regexp.MustCompile(`"` + regexp.QuoteMeta(title) + `": \(.*\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := exec.Command("xwininfo", "-display", display, "-root", "-tree").CombinedOutput()
		if err != nil {
			t.Fatalf("xwininfo: %v\n%s", err, out)
		}
		if m := re.FindStringSubmatch(string(out)); m != nil {
			w, _ := strconv.Atoi(m[1])
			h, _ := strconv.Atoi(m[2])
			x, _ := strconv.Atoi(m[3])
			y, _ := strconv.Atoi(m[4])
			if w > 1 && h > 1 {
				return image.Rect(x, y, x+w, y+h)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window %q on the screen:\n%s", title, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stablePicture waits until the area of the screen shows a drawn window (many colours) that
// stays the same for half a second, and returns it.
func stablePicture(t testing.TB, display string, area image.Rectangle) image.Image {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last image.Image
	for {
		img := grabArea(t, display, area)
		if colours(img) > 8 && last != nil && same(img, last) {
			return img
		}
		last = img
		if time.Now().After(deadline) {
			t.Fatalf("nothing steady drawn in %v of the screen", area)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func colours(img image.Image) int {
	seen := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	return len(seen)
}

func same(a, b image.Image) bool {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return false
	}
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			if a.At(ab.Min.X+x, ab.Min.Y+y) != b.At(bb.Min.X+x, bb.Min.Y+y) {
				return false
			}
		}
	}
	return true
}

// save writes img as name into every directory.
func save(t testing.TB, dirs []string, name string, img image.Image) {
	t.Helper()
	for _, d := range dirs {
		f, err := os.Create(filepath.Join(d, name))
		if err != nil {
			t.Fatal(err)
		}
		err = png.Encode(f, img)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
