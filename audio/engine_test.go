package audio

import (
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/media/device"
	"github.com/lineupphone/lineup/sip"
)

// pulledSource is a FrameSource that keeps what was taken from it.
type pulledSource struct {
	src media.FrameSource
	mu  sync.Mutex
	pcm []int16
}

func (p *pulledSource) ReadFrame(pcm []int16) {
	p.src.ReadFrame(pcm)
	p.mu.Lock()
	p.pcm = append(p.pcm, pcm...)
	p.mu.Unlock()
}

func (p *pulledSource) taken() []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.pcm...)
}

func nullSystem(t *testing.T) *device.System {
	t.Helper()
	sys, err := device.Open(device.WithNullBackend())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Close)
	return sys
}

// serverWith starts (but does not run) a line server without lines that uses a.
func serverWith(t *testing.T, a engine.Audio) *engine.Server {
	t.Helper()
	srv, err := engine.New(line.Config{},
		engine.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		engine.WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}),
		engine.WithAudio(a))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestDeviceAudioFallbackShowsInServerState(t *testing.T) {
	sys := nullSystem(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := NewEngine(sys, Choice{CallCapture: "feedbeef", Ringer: "0badcafe"}, quiet)
	srv := serverWith(t, a)

	st := srv.AudioStatus()
	if !st.Available || !st.Fallback {
		t.Fatalf("status %+v: want sound available with a fallback (two chosen devices are missing)", st)
	}
	all := strings.Join(st.Reasons, " | ")
	if !strings.Contains(all, "feedbeef") || !strings.Contains(all, "0badcafe") {
		t.Errorf("reasons %q do not name both missing devices", st.Reasons)
	}

	ca, err := a.OpenCall(8000)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 160)
	ca.WriteFrame(frame)
	ca.ReadFrame(frame)
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	st = srv.AudioStatus()
	if !st.Fallback || !strings.Contains(strings.Join(st.Reasons, " | "), "feedbeef") {
		t.Errorf("after a call on the default devices: %+v, want the fallback for feedbeef", st)
	}
}

func TestDeviceAudioAsChosenAndRingtonePlays(t *testing.T) {
	sys := nullSystem(t)
	capture, err := sys.Capture()
	if err != nil || len(capture) == 0 {
		t.Fatalf("null capture devices: %v %v", capture, err)
	}
	playback, err := sys.Playback()
	if err != nil || len(playback) == 0 {
		t.Fatalf("null playback devices: %v %v", playback, err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := NewEngine(sys, Choice{CallCapture: capture[0].ID, CallPlayback: playback[0].ID, Ringer: playback[0].ID}, quiet)
	var src *pulledSource
	var rate int
	a.ringtone = func(r int) media.FrameSource {
		rate = r
		src = &pulledSource{src: media.NewTone(r, media.Ringtone)}
		return src
	}
	srv := serverWith(t, a)
	if st := srv.AudioStatus(); !st.Available || st.Fallback || len(st.Reasons) != 0 {
		t.Fatalf("status %+v: want available, no fallback, no reasons (the chosen devices exist)", st)
	}

	stop, err := a.Ring()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	stop()
	pcm := src.taken()
	// The ringer pulls 50 frames a second; 600 ms is about 30.
	if got := len(pcm) / (rate / 50); got < 15 {
		t.Fatalf("the ringer took %d frames in 600 ms, want about 30", got)
	}
	// The ringtone starts with its on-period: both of its notes are in what the ringer played.
	for _, f := range media.Ringtone.Freqs {
		if r := media.ToneRatio(pcm, rate, f); r < 0.3 {
			t.Errorf("%.2f Hz makes up %.2f of what the ringer played, want about 0.5", f, r)
		}
	}
	n := len(src.taken())
	time.Sleep(100 * time.Millisecond)
	if len(src.taken()) != n {
		t.Error("the ringer still plays after stop")
	}
	if st := srv.AudioStatus(); st.Fallback {
		t.Errorf("status after ringing %+v, want no fallback", st)
	}
}
