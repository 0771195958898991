package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// speakerAudio is a party's sound that records every frame its call speakers got, with the time it
// arrived, and when each call audio was opened and closed. Its microphone is silent.
type speakerAudio struct {
	mu     sync.Mutex
	frames []heardFrame
	opened []time.Time
	closed []time.Time
}

type heardFrame struct {
	at   time.Time
	rate int
	pcm  []int16
}

func (a *speakerAudio) OpenCall(rate int) (CallAudio, error) {
	a.mu.Lock()
	a.opened = append(a.opened, time.Now())
	a.mu.Unlock()
	return &speakerCall{a: a, rate: rate}, nil
}

func (a *speakerAudio) Ring() (func(), error) { return func() {}, nil }

// between returns the frames heard from..to.
func (a *speakerAudio) between(from, to time.Time) []heardFrame {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []heardFrame
	for _, f := range a.frames {
		if !f.at.Before(from) && !f.at.After(to) {
			out = append(out, f)
		}
	}
	return out
}

func (a *speakerAudio) closes() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.closed...)
}

func (a *speakerAudio) opens() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.opened)
}

type speakerCall struct {
	a    *speakerAudio
	rate int
}

func (c *speakerCall) ReadFrame(pcm []int16) { clear(pcm) }

func (c *speakerCall) WriteFrame(pcm []int16) {
	f := heardFrame{at: time.Now(), rate: c.rate, pcm: append([]int16(nil), pcm...)}
	c.a.mu.Lock()
	c.a.frames = append(c.a.frames, f)
	c.a.mu.Unlock()
}

func (c *speakerCall) Close() error {
	c.a.mu.Lock()
	c.a.closed = append(c.a.closed, time.Now())
	c.a.mu.Unlock()
	return nil
}

// has reports whether a frame carries freq as a clear part of its sound.
func (f heardFrame) has(freq, share float64) bool {
	return media.ToneRatio(f.pcm, f.rate, freq) > share
}

// callerWithSpeaker starts a caller (201) whose speaker is recorded and a callee (202) with the
// usual tone audio (a 1000 Hz microphone).
func callerWithSpeaker(t *testing.T) (a, b *party, spk *speakerAudio) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	spk = &speakerAudio{}
	a = startParty(t, pbx, "201", "pw-201", 440, WithAudio(spk))
	b = startParty(t, pbx, "202", "pw-202", 1000)
	return a, b, spk
}

func TestRingbackWhileAlertingStopsAtAnswer(t *testing.T) {
	a, b, spk := callerWithSpeaker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	in := b.calls.wait(t, "ringing at b", 5*time.Second, func(c api.Call) bool {
		return c.State == line.CallRinging
	})
	a.calls.wait(t, "alerting at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallAlerting
	})
	alerting := time.Now()
	// Ringback is on for its first second: listen to 400 ms of it.
	time.Sleep(500 * time.Millisecond)
	rb := spk.between(alerting, time.Now())
	if len(rb) < 15 {
		t.Fatalf("the caller's speaker got %d frames in 500 ms of alerting, want about 25", len(rb))
	}
	for i, f := range rb {
		if !f.has(425, 0.9) {
			t.Fatalf("frame %d of %d while alerting is not the 425 Hz ringback (share %.2f)",
				i, len(rb), media.ToneRatio(f.pcm, f.rate, 425))
		}
	}

	if err := b.client.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "connected at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallConnected
	})
	answered := time.Now()
	// Still inside the ringback's first on-period had it kept playing; now the callee's 1000 Hz
	// is what the caller hears, and no ringback frame is mixed in.
	time.Sleep(900 * time.Millisecond)
	after := spk.between(answered.Add(100*time.Millisecond), time.Now())
	if len(after) < 20 {
		t.Fatalf("the caller's speaker got %d frames after the answer", len(after))
	}
	heard := 0
	for i, f := range after {
		if f.has(425, 0.1) {
			t.Fatalf("frame %d of %d after the answer still carries ringback (share %.2f)",
				i, len(after), media.ToneRatio(f.pcm, f.rate, 425))
		}
		if f.has(1000, 0.5) {
			heard++
		}
	}
	if heard < len(after)/2 {
		t.Errorf("only %d of %d frames after the answer carry the callee's 1000 Hz", heard, len(after))
	}
	if n := spk.opens(); n != 1 {
		t.Errorf("call audio opened %d times, want once (ringback and call share it)", n)
	}
}

func TestBusyToneAfter486ThenAudioCloses(t *testing.T) {
	a, b, spk := callerWithSpeaker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	in := b.calls.wait(t, "ringing at b", 5*time.Second, func(c api.Call) bool {
		return c.State == line.CallRinging
	})
	if err := b.client.Decline(ctx, in.ID, api.DeclineBusy); err != nil {
		t.Fatal(err)
	}
	end := a.calls.wait(t, "busy at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallEnded
	})
	if end.EndCode != 486 {
		t.Fatalf("call ended %d %q, want 486", end.EndCode, end.EndReason)
	}
	ended := time.Now()
	deadline := ended.Add(6 * time.Second)
	for len(spk.closes()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	closes := spk.closes()
	if len(closes) != 1 {
		t.Fatalf("call audio closed %d times within 6 s of the 486, want once", len(closes))
	}
	if d := closes[0].Sub(ended); d < 2500*time.Millisecond || d > 4*time.Second {
		t.Errorf("call audio closed %v after the 486, want about 3 s of busy tone", d)
	}
	// The busy cadence: 0.5 s of 425 Hz, 0.5 s of silence. Ringback would be silent from 1 s on.
	frames := spk.between(ended.Add(50*time.Millisecond), closes[0])
	var on int
	for _, f := range frames {
		if f.has(425, 0.9) {
			on++
		}
	}
	if len(frames) < 100 {
		t.Fatalf("the speaker got %d frames during the busy tone, want about 150", len(frames))
	}
	if share := float64(on) / float64(len(frames)); share < 0.35 || share > 0.65 {
		t.Errorf("425 Hz in %d of %d frames (%.2f), want about half (0.5 s on, 0.5 s off)", on, len(frames), share)
	}
	second := spk.between(ended.Add(1100*time.Millisecond), ended.Add(1400*time.Millisecond))
	var toneInSecond bool
	for _, f := range second {
		toneInSecond = toneInSecond || f.has(425, 0.9)
	}
	if !toneInSecond {
		t.Error("no 425 Hz in the second second after the 486: that is not the busy cadence")
	}
}

func TestDTMFFeedbackInSpeaker(t *testing.T) {
	a, b, spk := callerWithSpeaker(t)
	aID, bID := connect(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	time.Sleep(500 * time.Millisecond)
	before := time.Now()
	if err := a.client.SendDTMF(ctx, aID, "5"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	b.calls.wait(t, "digit at b", 5*time.Second, func(c api.Call) bool {
		return c.ID == bID && c.DTMFReceived == "5"
	})
	frames := spk.between(before.Add(-time.Second), time.Now())
	var dtmf int
	var firstAt time.Time
	for _, f := range frames {
		if f.has(770, 0.2) && f.has(1336, 0.2) {
			if dtmf == 0 {
				firstAt = f.at
			}
			dtmf++
		}
		for _, other := range []float64{697, 852, 941, 1209, 1477} {
			if f.has(other, 0.1) {
				t.Errorf("a frame carries %.0f Hz, which is not in digit 5", other)
			}
		}
	}
	// 100 ms of digit: five frames of 20 ms (one more if the tone straddles a frame's edge).
	if dtmf < 4 || dtmf > 6 {
		t.Fatalf("%d frames carry digit 5's 770+1336 Hz, want 5 (100 ms)", dtmf)
	}
	if firstAt.Before(before) {
		t.Errorf("the feedback started %v before SendDTMF was called", before.Sub(firstAt))
	}
}

func TestSpeakerMixerAllocatesNothing(t *testing.T) {
	var got []int16
	sink := sinkFunc(func(pcm []int16) { got = pcm })
	m := newSpeakerMixer(sink, 8000)
	in := make([]int16, 160)
	for i := range in {
		in[i] = 1000
	}
	m.feedback('#', time.Second)
	allocs := testing.AllocsPerRun(20, func() { m.WriteFrame(in) })
	if allocs != 0 {
		t.Errorf("WriteFrame with feedback allocates %.1f times per frame, want 0", allocs)
	}
	// '#' is 941 + 1477 Hz on top of the constant; the constant passes through.
	if r := media.ToneRatio(got, 8000, 941); r < 0.1 {
		t.Errorf("941 Hz share %.2f in the mixed frame", r)
	}
	if in[0] != 1000 {
		t.Error("the mixer changed the frame it was given")
	}
}

type sinkFunc func([]int16)

func (f sinkFunc) WriteFrame(pcm []int16) { f(pcm) }
