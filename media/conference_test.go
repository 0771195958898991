package media

import (
	"errors"
	"testing"
)

// confRig is a conference with its user side recorded, driven tick by tick as the media clock
// drives streams: every leg reads (sends) first, then every leg writes (plays).
type confRig struct {
	c       *Conference
	legs    []*ConferenceLeg
	rx      [][]int16 // what each leg's stream receives this tick
	tx      [][]int16 // what each leg sent this tick
	sources []FrameSource
	speaker *frameKeeper
}

// frameKeeper keeps the last frame written and appends all of them when keep is set.
type frameKeeper struct {
	last []int16
	all  []int16
	keep bool
}

func (k *frameKeeper) WriteFrame(pcm []int16) {
	k.last = append(k.last[:0], pcm...)
	if k.keep {
		k.all = append(k.all, pcm...)
	}
}

func newConfRig(t testing.TB, mic FrameSource, userRate int, rates ...int) *confRig {
	t.Helper()
	r := &confRig{speaker: &frameKeeper{}}
	c, err := NewConference(mic, r.speaker, userRate)
	if err != nil {
		t.Fatal(err)
	}
	r.c = c
	for _, rate := range rates {
		l, err := c.Join(rate)
		if err != nil {
			t.Fatal(err)
		}
		n := rate / 50
		r.legs = append(r.legs, l)
		r.rx = append(r.rx, make([]int16, n))
		r.tx = append(r.tx, make([]int16, n))
		r.sources = append(r.sources, nil)
	}
	return r
}

// tick runs one clock tick: each leg's source (the far end's voice as its stream decodes it)
// fills rx, every leg sends, then every leg plays.
func (r *confRig) tick() {
	for i, s := range r.sources {
		if s != nil {
			s.ReadFrame(r.rx[i])
		}
	}
	for i, l := range r.legs {
		l.ReadFrame(r.tx[i])
	}
	for i, l := range r.legs {
		l.WriteFrame(r.rx[i])
	}
}

func tone(rate int, hz float64) *Tone {
	return NewTone(rate, ToneSpec{Freqs: []float64{hz}, Level: -12})
}

// heard reports whether pcm carries hz clearly (a good share of its power).
func heard(pcm []int16, rate int, hz float64) bool { return ToneRatio(pcm, rate, hz) > 0.15 }

// TestConferenceEachHearsTheOthers: a PCMU leg (8 kHz) and a G.722 leg (16 kHz) with the user at
// 8 kHz: each leg hears the other and the user, never itself; the user hears both legs, not
// the microphone.
func TestConferenceEachHearsTheOthers(t *testing.T) {
	const micHz, aHz, bHz = 1000, 440, 660
	r := newConfRig(t, tone(8000, micHz), 8000, 8000, 16000)
	r.sources[0], r.sources[1] = tone(8000, aHz), tone(16000, bHz)
	for range 5 {
		r.tick()
	}
	a, b, spk := r.tx[0], r.tx[1], r.speaker.last
	checks := []struct {
		name string
		pcm  []int16
		rate int
		hz   float64
		want bool
	}{
		{"leg A hears B", a, 8000, bHz, true},
		{"leg A hears the user", a, 8000, micHz, true},
		{"leg A does not hear itself", a, 8000, aHz, false},
		{"leg B hears A", b, 16000, aHz, true},
		{"leg B hears the user", b, 16000, micHz, true},
		{"leg B does not hear itself", b, 16000, bHz, false},
		{"the user hears A", spk, 8000, aHz, true},
		{"the user hears B", spk, 8000, bHz, true},
		{"the user does not hear the microphone", spk, 8000, micHz, false},
	}
	for _, c := range checks {
		if got := heard(c.pcm, c.rate, c.hz); got != c.want {
			t.Errorf("%s: %v Hz ratio %.3f, want heard=%v", c.name, c.hz, ToneRatio(c.pcm, c.rate, c.hz), c.want)
		}
	}
}

// TestConferenceThreeLegs: with three legs each one hears the two others.
func TestConferenceThreeLegs(t *testing.T) {
	hz := []float64{440, 660, 880}
	r := newConfRig(t, nil, 16000, 16000, 8000, 16000)
	for i := range r.legs {
		r.sources[i] = tone(r.legs[i].rate, hz[i])
	}
	for range 5 {
		r.tick()
	}
	for i := range r.legs {
		rate := r.legs[i].rate
		for j, f := range hz {
			if got := heard(r.tx[i], rate, f); got != (i != j) {
				t.Errorf("leg %d, %v Hz: heard=%v (ratio %.3f), want %v", i, f, got, ToneRatio(r.tx[i], rate, f), i != j)
			}
		}
		if !heard(r.speaker.last, 16000, hz[i]) {
			t.Errorf("the user does not hear leg %d", i)
		}
	}
	if _, err := r.c.Join(8000); !errors.Is(err, ErrConferenceFull) {
		t.Errorf("a fourth leg: %v, want ErrConferenceFull", err)
	}
}

// TestConferenceImpulseDelay measures the delay the mixer adds: an impulse a leg receives in one
// tick comes out of the other leg's next send (one frame later, at the same place in the frame)
// and out of the user's speaker in the same tick; the microphone's impulse goes out in the send
// of the tick that read it.
func TestConferenceImpulseDelay(t *testing.T) {
	for _, rates := range [][2]int{{8000, 8000}, {8000, 16000}, {16000, 8000}, {16000, 16000}} {
		mic := &impulseSource{at: -1}
		r := newConfRig(t, mic, rates[0], rates[0], rates[1])
		r.tick()
		// Leg A receives an impulse 5 ms into the frame of tick 1.
		r.rx[0][rates[0]/200] = 20000
		r.tick()
		clear(r.rx[0])
		if at := peak(r.speaker.last); !near(at, rates[0], rates[0]/200) {
			t.Errorf("rates %v: the speaker has the impulse at sample %d of the same tick, want %d (5 ms)", rates, at, rates[0]/200)
		}
		if at := peak(r.tx[1]); at >= 0 && abs16(r.tx[1][at]) > 1000 {
			t.Errorf("rates %v: leg B sent the impulse in the tick it arrived in (sample %d): not possible", rates, at)
		}
		r.tick()
		if at := peak(r.tx[1]); !near(at, rates[1], rates[1]/200) || abs16(r.tx[1][at]) < 5000 {
			t.Errorf("rates %v: leg B's next frame has its peak at sample %d, want %d (5 ms): more than one frame of delay", rates, at, rates[1]/200)
		}
		// The microphone: an impulse read in a tick goes out in that tick's frames.
		mic.at = rates[0] / 100 // 10 ms into the frame
		r.tick()
		for i, rate := range rates {
			if at := peak(r.tx[i]); !near(at, rate, rate/100) {
				t.Errorf("rates %v: leg %d sent the microphone's impulse at sample %d, want %d (10 ms) in the same tick", rates, i, at, rate/100)
			}
		}
	}
}

// impulseSource gives one impulse at sample at of its next frame (then silence); at < 0 is
// silence.
type impulseSource struct{ at int }

func (s *impulseSource) ReadFrame(pcm []int16) {
	clear(pcm)
	if s.at >= 0 && s.at < len(pcm) {
		pcm[s.at] = 20000
	}
	s.at = -1
}

func peak(pcm []int16) int {
	at, best := -1, int16(0)
	for i, x := range pcm {
		if abs16(x) > best {
			at, best = i, abs16(x)
		}
	}
	return at
}

func abs16(x int16) int16 {
	if x < 0 {
		return -x
	}
	return x
}

// near: sample at lies within a quarter millisecond of want (the rate changes' filters delay by
// half a sample).
func near(at, rate, want int) bool {
	d := at - want
	return d >= -rate/4000-1 && d <= rate/4000+1
}

// TestConferenceSaturates: loud legs sum to full scale, never wrap around.
func TestConferenceSaturates(t *testing.T) {
	loud := &constSource{v: 30000}
	r := newConfRig(t, loud, 16000, 16000, 16000, 16000)
	for i := range r.legs {
		r.sources[i] = &constSource{v: 30000}
	}
	r.tick()
	r.tick()
	for i := range r.legs {
		for k, x := range r.tx[i] {
			if x != 32767 {
				t.Fatalf("leg %d sample %d = %d, want 32767 (clipped)", i, k, x)
			}
		}
	}
	for k, x := range r.speaker.last {
		if x != 32767 {
			t.Fatalf("speaker sample %d = %d, want 32767", k, x)
		}
	}
	neg := newConfRig(t, &constSource{v: -30000}, 8000, 8000, 8000)
	neg.sources[0], neg.sources[1] = &constSource{v: -30000}, &constSource{v: -30000}
	for range 3 {
		neg.tick()
	}
	if x := neg.tx[0][80]; x != -32768 {
		t.Errorf("negative sum: %d, want -32768", x)
	}
}

type constSource struct{ v int16 }

func (s *constSource) ReadFrame(pcm []int16) {
	for i := range pcm {
		pcm[i] = s.v
	}
}

// TestConferenceLeave: a leg that leaves is heard by no one and hears no one; the two that stay
// (a leg and the user) hear each other as in a normal call.
func TestConferenceLeave(t *testing.T) {
	const micHz, aHz, bHz = 1000, 440, 660
	r := newConfRig(t, tone(8000, micHz), 8000, 8000, 8000)
	r.sources[0], r.sources[1] = tone(8000, aHz), tone(8000, bHz)
	for range 3 {
		r.tick()
	}
	r.legs[1].Leave()
	r.legs[1].Leave() // twice is harmless
	if n := r.c.Legs(); n != 1 {
		t.Fatalf("Legs = %d after one left, want 1", n)
	}
	for range 3 {
		r.tick()
	}
	if heard(r.tx[0], 8000, bHz) || !heard(r.tx[0], 8000, micHz) {
		t.Errorf("leg A after B left: B %.3f, user %.3f; want only the user", ToneRatio(r.tx[0], 8000, bHz), ToneRatio(r.tx[0], 8000, micHz))
	}
	if heard(r.speaker.last, 8000, bHz) || !heard(r.speaker.last, 8000, aHz) {
		t.Errorf("speaker after B left: B %.3f, A %.3f; want only A", ToneRatio(r.speaker.last, 8000, bHz), ToneRatio(r.speaker.last, 8000, aHz))
	}
	for _, x := range r.tx[1] {
		if x != 0 {
			t.Fatal("the leg that left still gets audio")
		}
	}
	// The slot is free again.
	if _, err := r.c.Join(16000); err != nil {
		t.Errorf("join after a leave: %v", err)
	}
}

// TestConferenceHeldLegStopsReading: a leg whose stream sends hold music (so it does not read
// the mixer) does not stall the others: the microphone is still read once per tick.
func TestConferenceHeldLegStopsReading(t *testing.T) {
	mic := &countSource{}
	r := newConfRig(t, mic, 8000, 8000, 8000)
	for range 4 {
		r.legs[0].ReadFrame(r.tx[0]) // leg B does not read: held
		r.legs[0].WriteFrame(r.rx[0])
		r.legs[1].WriteFrame(r.rx[1])
	}
	if mic.n != 4 {
		t.Errorf("microphone read %d times in 4 ticks, want 4", mic.n)
	}
	r.speaker.keep = true
	for range 4 {
		r.tick()
	}
	if mic.n != 8 || len(r.speaker.all) != 4*160 {
		t.Errorf("after 4 full ticks: mic read %d times (want 8), speaker got %d samples (want 640)", mic.n, len(r.speaker.all))
	}
}

type countSource struct{ n int }

func (s *countSource) ReadFrame(pcm []int16) { s.n++; clear(pcm) }

func TestConferenceBadRates(t *testing.T) {
	if _, err := NewConference(nil, nil, 44100); !errors.Is(err, ErrConferenceRate) {
		t.Errorf("user rate 44100: %v", err)
	}
	c, err := NewConference(nil, nil, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Join(12000); !errors.Is(err, ErrConferenceRate) {
		t.Errorf("leg rate 12000: %v", err)
	}
	// Odd frame lengths neither panic nor overrun.
	l, _ := c.Join(8000)
	l.ReadFrame(make([]int16, 7))
	l.WriteFrame(make([]int16, 1000))
	l.ReadFrame(nil)
	l.WriteFrame(nil)
}

// TestConferenceNoAllocs: a tick of three legs allocates nothing.
func TestConferenceNoAllocs(t *testing.T) {
	r := newConfRig(t, tone(8000, 1000), 8000, 8000, 16000, 8000)
	for i := range r.legs {
		r.sources[i] = tone(r.legs[i].rate, 440)
	}
	if n := testing.AllocsPerRun(200, r.tick); n != 0 {
		t.Errorf("allocations per tick: %v, want 0", n)
	}
}

// BenchmarkConferenceTick mixes one 20 ms tick of three legs (PCMU, G.722, PCMU) and the user:
// the frames are made once, so that only the mixer is measured.
func BenchmarkConferenceTick(b *testing.B) {
	r := newConfRig(b, &constSource{v: 1000}, 16000, 8000, 16000, 8000)
	for i := range r.legs {
		tone(r.legs[i].rate, 440).ReadFrame(r.rx[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		r.tick()
	}
}

// TestConferenceMicMuted: with the microphone muted the legs still hear each other, not the user.
func TestConferenceMicMuted(t *testing.T) {
	const micHz, aHz, bHz = 1000, 440, 660
	r := newConfRig(t, tone(8000, micHz), 8000, 8000, 8000)
	r.sources[0], r.sources[1] = tone(8000, aHz), tone(8000, bHz)
	r.c.SetMicMuted(true)
	for range 4 {
		r.tick()
	}
	if heard(r.tx[0], 8000, micHz) || !heard(r.tx[0], 8000, bHz) {
		t.Errorf("muted: leg A hears the user %.3f, B %.3f; want only B", ToneRatio(r.tx[0], 8000, micHz), ToneRatio(r.tx[0], 8000, bHz))
	}
	r.c.SetMicMuted(false)
	r.tick()
	if !heard(r.tx[1], 8000, micHz) {
		t.Errorf("unmuted: leg B does not hear the user (%.3f)", ToneRatio(r.tx[1], 8000, micHz))
	}
}
