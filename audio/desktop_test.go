package audio

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/store"
)

// desktopOnNull is the desktop app's sound devices on the null backend with a store of their own,
// starting from choice, and a line server that reports their status.
func desktopOnNull(t *testing.T, choice Choice) (*Desktop, *store.Store, func() []string) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := NewEngine(nullSystem(t), choice, quiet)
	srv := serverWith(t, a)
	return &Desktop{a: a, st: st}, st, func() []string { return srv.AudioStatus().Reasons }
}

func TestDesktopAudioChoosePersistsAndApplies(t *testing.T) {
	d, st, reasons := desktopOnNull(t, Choice{Ringer: "0badcafe"})
	ctx := context.Background()
	devs, err := d.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs.Capture) != 1 || len(devs.Playback) != 1 || !devs.Capture[0].Default || devs.Playback[0].Name == "" {
		t.Fatalf("devices %+v: want the null backend's capture and playback device", devs)
	}
	if devs.Choice.Ringer != "0badcafe" || len(devs.Problems) != 1 || !strings.Contains(devs.Problems[0], "0badcafe") {
		t.Errorf("choice %+v, problems %q: want the missing ringer named", devs.Choice, devs.Problems)
	}
	if r := reasons(); len(r) != 1 || !strings.Contains(r[0], "0badcafe") {
		t.Fatalf("the server's audio status before the choice: %q", r)
	}

	mic, spk := devs.Capture[0].ID, devs.Playback[0].ID
	want := api.AudioChoice{CallCapture: mic, CallPlayback: spk, Ringer: spk}
	if err := d.Choose(ctx, want); err != nil {
		t.Fatalf("choose the attached devices: %v", err)
	}
	saved, err := LoadChoice(st)
	if err != nil {
		t.Fatal(err)
	}
	if saved != (Choice{CallCapture: mic, CallPlayback: spk, Ringer: spk}) {
		t.Errorf("saved %+v, want %+v", saved, want)
	}
	if got := d.a.chosen(); got != saved {
		t.Errorf("the running server uses %+v, want the choice %+v", got, saved)
	}
	if r := reasons(); len(r) != 0 {
		t.Errorf("the server's audio status after choosing attached devices: %q, want no problem", r)
	}
	if devs, _ := d.Devices(ctx); devs.Choice != want || len(devs.Problems) != 0 {
		t.Errorf("Devices after the choice: %+v", devs)
	}
	// The next call opens the chosen devices: no fallback.
	call, err := d.a.OpenCall(8000)
	if err != nil {
		t.Fatal(err)
	}
	call.Close()
	if r := reasons(); len(r) != 0 {
		t.Errorf("a call on the chosen devices reports %q", r)
	}

	// An unknown device is refused, naming the field, and nothing changes.
	for _, tc := range []struct {
		c     api.AudioChoice
		field string
	}{
		{api.AudioChoice{Ringer: "not-a-device"}, "ringer"},
		{api.AudioChoice{CallCapture: "not-a-device"}, "call capture"},
		{api.AudioChoice{CallCapture: mic, CallPlayback: "not-a-device"}, "call playback"},
	} {
		err := d.Choose(ctx, tc.c)
		if !errors.Is(err, api.ErrBadInput) || !strings.HasPrefix(err.Error(), tc.field+`: no device with ID "not-a-device" is attached`) {
			t.Errorf("Choose(%+v) = %v, want %q first and api.ErrBadInput", tc.c, err, tc.field+": no device…")
		}
	}
	if after, _ := LoadChoice(st); after != saved || d.a.chosen() != saved {
		t.Errorf("a refused choice changed the saved %+v or used %+v, want %+v", after, d.a.chosen(), saved)
	}

	// Back to the system defaults: the settings are removed.
	if err := d.Choose(ctx, api.AudioChoice{}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{settingCallCapture, settingCallPlayback, settingRinger} {
		if v, ok, err := st.Setting(key); err != nil || ok {
			t.Errorf("setting %s after choosing the defaults: %q %v %v, want none", key, v, ok, err)
		}
	}
}

func TestDesktopAudioTestTonePlaysOnTheDevice(t *testing.T) {
	d, _, _ := desktopOnNull(t, Choice{})
	var src *pulledSource
	d.tone = func(rate int) media.FrameSource {
		src = &pulledSource{src: media.NewChime(rate)}
		return src
	}
	devs, err := d.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", devs.Playback[0].ID} {
		t0 := time.Now()
		if err := d.TestTone(context.Background(), id); err != nil {
			t.Fatalf("test tone on %q: %v", id, err)
		}
		el := time.Since(t0)
		// The device pulls in real time: the tone takes its length to play, and a little more.
		if el < media.ChimeLength || el > media.ChimeLength+time.Second {
			t.Errorf("test tone on %q took %v, want about %v", id, el, media.ChimeLength)
		}
		pcm := src.taken()
		sound := int(media.ChimeLength.Seconds() * ringerRate)
		if len(pcm) < sound {
			t.Fatalf("the device pulled %d samples, want the tone's %d", len(pcm), sound)
		}
		// Each note sounds in its own time.
		at := 0
		for _, n := range media.ChimeNotes {
			end := at + int(n.Duration.Seconds()*ringerRate)
			if r := media.ToneRatio(pcm[at:end], ringerRate, n.Freq); r < 0.5 {
				t.Errorf("%.2f Hz makes up %.2f of its note's time in the test tone", n.Freq, r)
			}
			at = end
		}
		if l := media.Level(pcm[sound:]); l != media.MinLevel {
			t.Errorf("after the tone the device played %.1f dBFS, want silence", l)
		}
		n := len(src.taken())
		time.Sleep(100 * time.Millisecond)
		if len(src.taken()) != n {
			t.Errorf("the tone on %q is still pulled after TestTone returned", id)
		}
	}

	// Ending ctx stops the tone at once.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if err := d.TestTone(ctx, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("test tone cut short: %v, want the context's error", err)
	}
	if el := time.Since(t0); el > 600*time.Millisecond {
		t.Errorf("test tone cut short after 200 ms returned after %v", el)
	}

	err = d.TestTone(context.Background(), "not-a-device")
	if !errors.Is(err, api.ErrBadInput) || !strings.Contains(err.Error(), `playback: no device with ID "not-a-device" is attached`) {
		t.Errorf("test tone on an unknown device: %v", err)
	}
}

func TestDesktopAudioInputLevel(t *testing.T) {
	d, _, _ := desktopOnNull(t, Choice{})
	devs, err := d.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", devs.Capture[0].ID} {
		var mu sync.Mutex
		var levels []float64
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- d.InputLevel(ctx, id, func(dbfs float64) {
				mu.Lock()
				levels = append(levels, dbfs)
				mu.Unlock()
			})
		}()
		time.Sleep(time.Second)
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("input level of %q: %v after ctx ended, want nil", id, err)
			}
		case <-time.After(time.Second):
			t.Fatalf("input level of %q still runs a second after ctx ended", id)
		}
		mu.Lock()
		got := append([]float64(nil), levels...)
		mu.Unlock()
		// About meterHz reports a second, each the null microphone's silence.
		if len(got) < meterHz*7/10 || len(got) > meterHz*13/10 {
			t.Errorf("%d levels of %q in a second, want about %d", len(got), id, meterHz)
		}
		for _, l := range got {
			if l > -100 {
				t.Errorf("the silent null microphone %q measured %.1f dBFS", id, l)
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		if len(levels) != len(got) {
			t.Errorf("levels of %q reported after InputLevel returned", id)
		}
		mu.Unlock()
	}

	err = d.InputLevel(context.Background(), "not-a-device", func(float64) {})
	if !errors.Is(err, api.ErrBadInput) || !strings.Contains(err.Error(), `capture: no device with ID "not-a-device" is attached`) {
		t.Errorf("input level of an unknown device: %v", err)
	}
}
