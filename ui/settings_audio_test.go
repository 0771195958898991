package ui

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
)

// fakeAudio is an api.Audio whose test tones play until the test lets them end and whose level
// meters report what the test pushes.
type fakeAudio struct {
	mu        sync.Mutex
	devs      api.AudioDevices
	chosen    []api.AudioChoice
	chooseErr error
	tones     []string      // the playback IDs of the test tones asked for
	toneEnd   chan struct{} // a test tone ends when this gives
	meters    []*fakeMeter  // every InputLevel call, oldest first
}

type fakeMeter struct {
	id      string
	levels  chan float64
	stopped chan struct{} // closed when InputLevel returned
}

func newFakeAudio() *fakeAudio {
	return &fakeAudio{
		devs: api.AudioDevices{
			Capture: []api.AudioDevice{{ID: "mic1", Name: "Built-in Microphone", Default: true},
				{ID: "usb-in", Name: "USB Headset"}},
			Playback: []api.AudioDevice{{ID: "spk1", Name: "Built-in Speakers", Default: true},
				{ID: "usb-out", Name: "USB Headset"}},
			Choice:   api.AudioChoice{CallPlayback: "spk1", Ringer: "gone"},
			Problems: []string{`ringer device "gone" is not attached: the system default is used`},
		},
		toneEnd: make(chan struct{}),
	}
}

func (f *fakeAudio) Devices(context.Context) (api.AudioDevices, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.devs, nil
}

func (f *fakeAudio) Choose(_ context.Context, c api.AudioChoice) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.chooseErr != nil {
		return f.chooseErr
	}
	f.chosen = append(f.chosen, c)
	f.devs.Choice = c
	return nil
}

func (f *fakeAudio) TestTone(ctx context.Context, id string) error {
	f.mu.Lock()
	f.tones = append(f.tones, id)
	f.mu.Unlock()
	select {
	case <-f.toneEnd:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeAudio) InputLevel(ctx context.Context, id string, level func(float64)) error {
	m := &fakeMeter{id: id, levels: make(chan float64), stopped: make(chan struct{})}
	defer close(m.stopped)
	f.mu.Lock()
	f.meters = append(f.meters, m)
	f.mu.Unlock()
	if id == "broken" {
		return errors.New("the device is busy")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case v := <-m.levels:
			level(v)
		}
	}
}

func (f *fakeAudio) choices() []api.AudioChoice {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.chosen)
}

func (f *fakeAudio) toneIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tones)
}

// running returns the meters whose InputLevel has not returned.
func (f *fakeAudio) running() []*fakeMeter {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*fakeMeter
	for _, m := range f.meters {
		select {
		case <-m.stopped:
		default:
			out = append(out, m)
		}
	}
	return out
}

// openAudioTab opens the settings window on the fake line server with audio as the sound
// devices and shows the Audio tab once the devices are listed.
func openAudioTab(t *testing.T, audio *fakeAudio) (*harness, *settingsEditor) {
	t.Helper()
	h, s := openEditorWith(t, audio)
	s.tabs.SelectIndex(audioTabIndex)
	h.until("the devices are listed", func() bool { return s.a.loaded && s.a.capture != nil })
	return h, s
}

func openEditorWith(t *testing.T, audio *fakeAudio) (*harness, *settingsEditor) {
	t.Helper()
	p := apitest.New(settingsConfig())
	h := newHarnessOn(t, p, 2)
	h.phone = p
	h.u.audio = audio
	var s *settingsEditor
	h.u.openSettings(func(e *settingsEditor) { s = e })
	h.until("the settings window opens", func() bool { return s != nil })
	return h, s
}

// waitFor runs the UI's queued updates until cond holds, failing the test after a few seconds.
// Unlike harness.until it also looks at cond while no update comes, for what the fake does on
// goroutines of its own.
func waitFor(h *harness, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting until %s", what)
		}
		select {
		case f := <-h.q:
			f()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// meterGoroutines counts the goroutines that run a level meter of the settings window.
func meterGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "ui.(*settingsEditor).syncMeter") {
			n++
		}
	}
	return n
}

func TestAudioTabListsDevicesAndProblems(t *testing.T) {
	audio := newFakeAudio()
	_, s := openAudioTab(t, audio)
	a := &s.a
	if want := []string{"System default", "Built-in Microphone (system default)", "USB Headset"}; !slices.Equal(a.capture.Options, want) {
		t.Errorf("microphones offered %q, want %q", a.capture.Options, want)
	}
	if want := []string{"System default", "Built-in Speakers (system default)", "USB Headset"}; !slices.Equal(a.playback.Options, want) {
		t.Errorf("speakers offered %q, want %q", a.playback.Options, want)
	}
	if a.capture.Selected != "System default" || a.playback.Selected != "Built-in Speakers (system default)" {
		t.Errorf("the choice shows microphone %q, speaker %q", a.capture.Selected, a.playback.Selected)
	}
	// The ringer chosen is not attached: it shows as such, and the tab says what happens.
	if a.ringer.Selected != "Not attached: gone" {
		t.Errorf("the ringer shows %q", a.ringer.Selected)
	}
	if all := texts(s.win.Content()); !strings.Contains(all, audio.devs.Problems[0]) {
		t.Errorf("the tab does not show the problem %q:\n%s", audio.devs.Problems[0], all)
	}
}

func TestAudioChoiceSavedWithSave(t *testing.T) {
	audio := newFakeAudio()
	h, s := openAudioTab(t, audio)
	s.a.capture.SetSelected("USB Headset")
	s.a.playback.SetSelected("USB Headset")
	s.a.ringer.SetSelected("System default")
	h.saved(s)
	want := api.AudioChoice{CallCapture: "usb-in", CallPlayback: "usb-out"}
	if got := audio.choices(); len(got) != 1 || got[0] != want {
		t.Errorf("Choose asked with %+v, want once with %+v", got, want)
	}
	if n := h.count("SaveConfig"); n != 1 {
		t.Errorf("SaveConfig asked %d times, want once together with the sound devices", n)
	}
	if slices.Contains(h.u.app.Driver().AllWindows(), s.win) {
		t.Error("the settings window stays open after saving")
	}
}

func TestAudioChoiceNotSavedOnCancelOrUnchanged(t *testing.T) {
	audio := newFakeAudio()
	h, s := openAudioTab(t, audio)
	s.a.capture.SetSelected("USB Headset")
	test.Tap(button(t, s.win.Content(), "Cancel"))
	h.settle()
	if got := audio.choices(); len(got) != 0 {
		t.Errorf("Cancel chose the sound devices: %+v", got)
	}

	// Saving the line set-up alone leaves the sound devices alone.
	var s2 *settingsEditor
	h.u.openSettings(func(e *settingsEditor) { s2 = e })
	h.until("the settings window opens again", func() bool { return s2 != nil })
	s2.tabs.SelectIndex(audioTabIndex)
	h.until("the devices are listed", func() bool { return s2.a.loaded })
	if s2.a.capture.Selected != "System default" {
		t.Errorf("after Cancel the microphone shows %q, want the choice in use", s2.a.capture.Selected)
	}
	h.saved(s2)
	if got := audio.choices(); len(got) != 0 || h.count("SaveConfig") != 1 {
		t.Errorf("an unchanged choice: Choose asked with %+v, SaveConfig %d times; want no Choose, one SaveConfig",
			got, h.count("SaveConfig"))
	}
}

func TestAudioChoiceRefusedKeepsWindowOpen(t *testing.T) {
	audio := newFakeAudio()
	audio.chooseErr = fmt.Errorf(`ringer: no device with ID "usb-out" is attached: %w`, api.ErrBadInput)
	h, s := openAudioTab(t, audio)
	s.a.ringer.SetSelected("USB Headset")
	h.saved(s)
	if !strings.Contains(s.summary.Text, "Not saved") || !strings.Contains(s.summary.Text, `ringer: no device with ID "usb-out"`) {
		t.Errorf("summary after a refused choice: %q", s.summary.Text)
	}
	if n := h.count("SaveConfig"); n != 0 {
		t.Errorf("SaveConfig asked %d times after the sound devices were refused", n)
	}
	if !slices.Contains(h.u.app.Driver().AllWindows(), s.win) || s.a.ringer.Selected != "USB Headset" {
		t.Error("the window closed or lost the choice after a refused save")
	}
}

func TestAudioTestToneOnChosenDevice(t *testing.T) {
	audio := newFakeAudio()
	h, s := openAudioTab(t, audio)
	a := &s.a
	a.playback.SetSelected("USB Headset")
	test.Tap(a.testCall)
	waitFor(h, "the test tone is asked for", func() bool { return len(audio.toneIDs()) == 1 })
	if got := audio.toneIDs()[0]; got != "usb-out" {
		t.Errorf("test tone played on %q, want the chosen speaker usb-out", got)
	}
	if !a.testCall.Disabled() || !a.testRinger.Disabled() {
		t.Error("the test tone buttons are enabled while a tone plays")
	}
	test.Tap(a.testCall) // disabled: no second tone
	h.settle()
	if n := len(audio.toneIDs()); n != 1 {
		t.Errorf("%d test tones asked for while one played, want 1", n)
	}
	audio.toneEnd <- struct{}{}
	h.until("the buttons are enabled again", func() bool { return !a.testCall.Disabled() && !a.testRinger.Disabled() })

	// The ringer's button plays on the ringer chosen: here the system default.
	a.ringer.SetSelected("System default")
	test.Tap(a.testRinger)
	waitFor(h, "the ringer's test tone is asked for", func() bool { return len(audio.toneIDs()) == 2 })
	if got := audio.toneIDs()[1]; got != "" {
		t.Errorf("ringer test tone played on %q, want the system default (empty ID)", got)
	}
	audio.toneEnd <- struct{}{}
	h.until("the buttons are enabled again", func() bool { return !a.testRinger.Disabled() })
}

func TestAudioMeterFollowsTabAndWindow(t *testing.T) {
	audio := newFakeAudio()
	h, s := openAudioTab(t, audio)
	a := &s.a
	var m *fakeMeter
	waitFor(h, "a meter runs for the system default microphone", func() bool {
		r := audio.running()
		if len(r) == 1 {
			m = r[0]
		}
		return m != nil
	})
	if m.id != "" {
		t.Errorf("the meter measures %q, want the system default (empty ID)", m.id)
	}
	for _, db := range []float64{-20, -45.4} {
		m.levels <- db
		h.until(fmt.Sprintf("the meter shows %v dBFS", db), func() bool { return a.meter.Value == db })
		if want := fmt.Sprintf("%.0f dBFS", db); a.meter.TextFormatter() != want {
			t.Errorf("the meter says %q, want %q", a.meter.TextFormatter(), want)
		}
	}
	m.levels <- -100
	h.until("the meter shows silence", func() bool { return a.meter.Value == meterFloor })
	if a.meter.TextFormatter() != "silence" {
		t.Errorf("the meter says %q at -100 dBFS, want silence", a.meter.TextFormatter())
	}

	// Another microphone: the meter measures it instead.
	a.capture.SetSelected("USB Headset")
	waitFor(h, "the meter moves to the USB microphone", func() bool {
		r := audio.running()
		return len(r) == 1 && r[0].id == "usb-in"
	})
	m = audio.running()[0]
	m.levels <- -12
	h.until("the USB microphone's level shows", func() bool { return a.meter.Value == -12 })

	// Another tab: the meter stops, and its goroutine ends.
	s.tabs.SelectIndex(1)
	waitFor(h, "the meter stops on another tab", func() bool { return len(audio.running()) == 0 && meterGoroutines() == 0 })
	s.tabs.SelectIndex(audioTabIndex)
	waitFor(h, "the meter runs again", func() bool { return len(audio.running()) == 1 })
	if got := audio.running()[0].id; got != "usb-in" {
		t.Errorf("back on the tab the meter measures %q, want the microphone chosen (usb-in)", got)
	}

	// The window closes: the meter stops.
	s.win.Close()
	waitFor(h, "the meter stops with the window", func() bool { return len(audio.running()) == 0 && meterGoroutines() == 0 })
	h.settle()
	if n := len(audio.running()); n != 0 {
		t.Errorf("%d meters run after the window closed", n)
	}
}

func TestAudioMeterShowsWhyItCannotRun(t *testing.T) {
	audio := newFakeAudio()
	audio.devs.Capture = append(audio.devs.Capture, api.AudioDevice{ID: "broken", Name: "Busy Mic"})
	h, s := openAudioTab(t, audio)
	s.a.capture.SetSelected("Busy Mic")
	h.until("the meter says why it does not run", func() bool { return s.a.meterMsg.Visible() })
	if !strings.Contains(s.a.meterMsg.Text, "the device is busy") {
		t.Errorf("the meter's message is %q", s.a.meterMsg.Text)
	}
}

func TestAudioTabWithoutSound(t *testing.T) {
	h, s := openEditor(t)
	h.u.noAudio = "running without sound devices (--audio=none)"
	s.tabs.SelectIndex(audioTabIndex)
	if all := texts(s.win.Content()); !strings.Contains(all, "Sound is off: running without sound devices (--audio=none)") {
		t.Errorf("the Audio tab without sound devices shows:\n%s", all)
	}
	h.saved(s)
	if n := h.count("SaveConfig"); n != 1 {
		t.Errorf("SaveConfig asked %d times, want once", n)
	}
}

// TestAudioTabScreenshot renders the Audio tab with a level showing, as settings-audio.png (see
// TestSettingsScreenshots).
func TestAudioTabScreenshot(t *testing.T) {
	audio := newFakeAudio()
	h, s := openAudioTab(t, audio)
	h.u.app.Settings().SetTheme(theme.DefaultTheme())
	s.win.Resize(fyne.NewSize(640, 720))
	var m *fakeMeter
	waitFor(h, "the meter runs", func() bool {
		if r := audio.running(); len(r) == 1 {
			m = r[0]
		}
		return m != nil
	})
	m.levels <- -24
	h.until("the level shows", func() bool { return s.a.meter.Value == -24 })
	shoot(t, s.win, "settings-audio.png")
}
