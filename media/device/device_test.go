package device

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// blockLimit is how long ReadFrame and WriteFrame may take: far below a frame, so a call that
// waited for the device (a period is 20 ms) or for a lock would show.
const blockLimit = 10 * time.Millisecond

func openNull(t *testing.T) *System {
	t.Helper()
	s, err := Open(WithNullBackend())
	if err != nil {
		t.Fatalf("open null backend: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// eventually polls cond every 10 ms until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDevicesListed(t *testing.T) {
	s := openNull(t)
	for _, c := range []struct {
		kind string
		list func() ([]Info, error)
	}{{"capture", s.Capture}, {"playback", s.Playback}} {
		devs, err := c.list()
		if err != nil {
			t.Fatalf("%s devices: %v", c.kind, err)
		}
		if len(devs) != 1 {
			t.Fatalf("%s devices: %+v, want the null backend's one", c.kind, devs)
		}
		d := devs[0]
		if d.ID == "" || d.Name == "" || !d.Default {
			t.Errorf("%s device %+v: want an ID, a name and Default", c.kind, d)
		}
		if !strings.Contains(strings.ToLower(d.Name), c.kind) {
			t.Errorf("%s device named %q", c.kind, d.Name)
		}
	}
}

func TestOpenCallCarriesFrames(t *testing.T) {
	for _, c := range []struct {
		rate  int
		apart bool // a capture and a playback device instead of one duplex device
	}{{8000, false}, {16000, false}, {8000, true}} {
		rate := c.rate
		t.Run(fmt.Sprintf("%dHz apart=%v", rate, c.apart), func(t *testing.T) {
			s := openNull(t)
			d, err := s.openCall("", "", rate, c.apart)
			if err != nil {
				t.Fatalf("open call at %d Hz: %v", rate, err)
			}
			defer d.Close()
			d.ep.mu.Lock()
			if want := map[bool]int{false: 1, true: 2}[c.apart]; len(d.ep.devs) != want {
				t.Errorf("%d devices open, want %d", len(d.ep.devs), want)
			}
			d.ep.mu.Unlock()
			if fb, why := d.Fallback(); fb {
				t.Errorf("default devices reported a fallback: %s", why)
			}
			frame := rate / 50
			out := make([]int16, frame)
			in := make([]int16, frame)
			for i := range out {
				out[i] = int16(1000 + i)
			}
			// Act as the call's clock for 300 ms: one frame each way every 20 ms.
			const frames = 15
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			start := time.Now()
			for i := 0; i < frames; i++ {
				<-tick.C
				d.WriteFrame(out)
				for j := range in {
					in[j] = 7
				}
				t0 := time.Now()
				d.ReadFrame(in)
				if el := time.Since(t0); el > blockLimit {
					t.Errorf("ReadFrame took %v", el)
				}
				for _, v := range in {
					if v != 0 {
						t.Fatalf("frame %d from the null microphone is not silence: %d", i, v)
					}
				}
			}
			time.Sleep(60 * time.Millisecond) // let the speaker drain what is queued
			elapsed := time.Since(start)
			st := d.Stats()
			written := uint64(frames * frame)
			// The speaker keeps at most its priming cushion back; it cannot play more than it got.
			if st.Played > written || st.Played < written-speakerPrime*uint64(frame) {
				t.Errorf("speaker took %d samples of the %d written", st.Played, written)
			}
			// The microphone delivers in real time: about rate samples a second.
			want := float64(rate) * elapsed.Seconds()
			if got := float64(st.Captured); got < 0.7*want || got > 1.3*want {
				t.Errorf("microphone delivered %v samples in %v, want about %v", got, elapsed, want)
			}
			t.Logf("%+v", st)
		})
	}
}

// countingSource is a FrameSource that counts the frames pulled from it.
type countingSource struct{ n atomic.Int64 }

func (c *countingSource) ReadFrame(pcm []int16) {
	c.n.Add(1)
	for i := range pcm {
		pcm[i] = int16(i)
	}
}

func TestRingerPullsFiftyFramesASecond(t *testing.T) {
	s := openNull(t)
	src := &countingSource{}
	p, err := s.OpenRinger("", 16000, src)
	if err != nil {
		t.Fatalf("open ringer: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // past the initial queue
	n0, t0 := src.n.Load(), time.Now()
	time.Sleep(time.Second)
	n1, el := src.n.Load(), time.Since(t0)
	rate := float64(n1-n0) / el.Seconds()
	if rate < 45 || rate > 55 {
		t.Errorf("ringer pulled %d frames in %v (%.1f/s), want about 50/s", n1-n0, el, rate)
	}
	if got := p.Frames(); got != uint64(src.n.Load()) {
		t.Errorf("Frames() %d, source saw %d", got, src.n.Load())
	}
	p.Close()
	after := src.n.Load()
	time.Sleep(100 * time.Millisecond)
	if src.n.Load() != after {
		t.Errorf("source pulled after Close")
	}
}

func TestUnknownDeviceFallsBackToDefault(t *testing.T) {
	s := openNull(t)
	d, err := s.OpenCall("0badc0de", "", 8000)
	if err != nil {
		t.Fatalf("open call on a missing device: %v", err)
	}
	defer d.Close()
	fb, why := d.Fallback()
	if !fb || why != `call device "0badc0de" not found: using the system default` {
		t.Errorf("Fallback() = %v, %q", fb, why)
	}
	eventually(t, time.Second, "the default device does not run", func() bool { return d.Stats().Captured > 0 })

	p, err := s.OpenRinger("feed", 8000, &countingSource{})
	if err != nil {
		t.Fatalf("open ringer on a missing device: %v", err)
	}
	defer p.Close()
	if fb, why := p.Fallback(); !fb || why != `ringer device "feed" not found: using the system default` {
		t.Errorf("ringer Fallback() = %v, %q", fb, why)
	}
}

func TestChosenDevicesAreUsed(t *testing.T) {
	s := openNull(t)
	caps, err := s.Capture()
	if err != nil {
		t.Fatal(err)
	}
	plays, err := s.Playback()
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.OpenCall(caps[0].ID, plays[0].ID, 16000)
	if err != nil {
		t.Fatalf("open call on listed devices: %v", err)
	}
	defer d.Close()
	if fb, why := d.Fallback(); fb {
		t.Errorf("listed devices reported a fallback: %s", why)
	}
}

func TestStoppedDeviceReopensOnDefault(t *testing.T) {
	s := openNull(t)
	d, err := s.OpenCall("", "", 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	eventually(t, time.Second, "the device does not run", func() bool { return d.Stats().Captured > 0 })

	// Stop the device behind the Duplex's back, as when it is unplugged. The lock keeps the
	// reopen from uninitialising the device while Stop still waits for it (miniaudio would
	// never wake Stop up); an unplugged device has no such caller waiting.
	d.ep.mu.Lock()
	err = d.ep.devs[0].Stop()
	d.ep.mu.Unlock()
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	// Meanwhile the call's side must not block.
	frame := make([]int16, 160)
	for i := 0; i < 20; i++ {
		t0 := time.Now()
		d.WriteFrame(frame)
		d.ReadFrame(frame)
		if el := time.Since(t0); el > blockLimit {
			t.Errorf("WriteFrame and ReadFrame took %v while the device was stopped", el)
		}
		time.Sleep(5 * time.Millisecond)
	}
	eventually(t, 2*time.Second, "no fallback reported", func() bool { fb, _ := d.Fallback(); return fb })
	if _, why := d.Fallback(); why != "call device stopped: using the system default" {
		t.Errorf("fallback reason %q", why)
	}
	before := d.Stats().Captured
	eventually(t, time.Second, "the reopened device does not run", func() bool { return d.Stats().Captured > before+800 })
}

func TestNothingBlocksAfterClose(t *testing.T) {
	s := openNull(t)
	d, err := s.OpenCall("", "", 8000)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d.Close() // twice is fine
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = 5
	}
	for i := 0; i < 100; i++ { // far more than the queues hold
		t0 := time.Now()
		d.WriteFrame(frame)
		d.ReadFrame(frame)
		if el := time.Since(t0); el > blockLimit {
			t.Fatalf("call %d took %v after Close", i, el)
		}
	}
	if frame[0] != 0 {
		t.Errorf("ReadFrame after Close gave %d, want silence", frame[0])
	}
}

func TestMuteSendsSilence(t *testing.T) {
	d := newDuplex(8000)
	in := make([]byte, 2*160)
	for i := range in {
		in[i] = 0x11 // every sample 0x1111
	}
	pcm := make([]int16, 160)
	loud := func() bool {
		d.process(nil, in, 160)
		d.ReadFrame(pcm)
		for _, v := range pcm {
			if v != 0x1111 {
				return false
			}
		}
		return true
	}
	if !loud() {
		t.Fatalf("unmuted frame %v, want the microphone's samples", pcm[:4])
	}
	d.SetMuted(true)
	if !d.Muted() {
		t.Error("Muted() false after SetMuted(true)")
	}
	d.process(nil, in, 160)
	d.ReadFrame(pcm)
	for _, v := range pcm {
		if v != 0 {
			t.Fatalf("muted frame has %d, want silence", v)
		}
	}
	d.SetMuted(false)
	if !loud() {
		t.Errorf("frame after unmute %v, want the microphone's samples", pcm[:4])
	}
	if st := d.Stats(); st.MicUnderflows != 0 {
		t.Errorf("mute left %d underflows: the microphone queue was not drained", st.MicUnderflows)
	}
}

func TestSpeakerUnderflowPlaysSilence(t *testing.T) {
	d := newDuplex(8000)
	out := make([]byte, 2*160)
	spk := samples(out)
	frame := make([]int16, 160)
	for i := range frame {
		frame[i] = 300
	}
	d.WriteFrame(frame)
	d.WriteFrame(frame)
	d.process(out, nil, 160)
	d.process(out, nil, 160)
	if spk[0] != 300 || spk[159] != 300 {
		t.Fatalf("speaker got %d..%d, want the written frames", spk[0], spk[159])
	}
	d.process(out, nil, 160) // nothing queued
	for _, v := range spk {
		if v != 0 {
			t.Fatalf("speaker got %d with nothing queued, want silence", v)
		}
	}
	if st := d.Stats(); st.SpeakerUnderflows != 1 || st.Played != 320 {
		t.Errorf("stats %+v, want 1 speaker underflow and 320 samples played", st)
	}
}

func TestLatencyIsBounded(t *testing.T) {
	d := newDuplex(8000)
	frame := make([]int16, 160)
	for i := 0; i < 10; i++ { // the call wrote far ahead of the device
		d.WriteFrame(frame)
	}
	out := make([]byte, 2*160)
	d.process(out, nil, 160)
	if q := d.spk.Len(); q > trimTo*160 {
		t.Errorf("%d samples still queued for the speaker, want at most %d", q, trimTo*160)
	}
	in := make([]byte, 2*160)
	for i := 0; i < 10; i++ { // the microphone delivered while the call did not read
		d.process(nil, in, 160)
	}
	d.ReadFrame(frame)
	if q := d.mic.Len(); q > trimTo*160 {
		t.Errorf("%d samples still queued from the microphone, want at most %d", q, trimTo*160)
	}
	if d.Stats().Trimmed == 0 {
		t.Error("trimming not counted")
	}
}

func TestCallbackAllocatesNothing(t *testing.T) {
	for _, rate := range []int{8000, 16000} {
		d := newDuplex(rate)
		n := rate / 50
		in, out := make([]byte, 2*n), make([]byte, 2*n)
		frame := make([]int16, n)
		if a := testing.AllocsPerRun(500, func() {
			d.WriteFrame(frame)
			d.process(out, in, uint32(n))
			d.ReadFrame(frame)
		}); a != 0 {
			t.Errorf("duplex at %d Hz: %v allocations per period, want 0", rate, a)
		}
		p := newPlayer(rate, &countingSource{})
		if a := testing.AllocsPerRun(500, func() {
			p.feed()
			p.process(out, nil, uint32(n))
		}); a != 0 {
			t.Errorf("player at %d Hz: %v allocations per period, want 0", rate, a)
		}
	}
}

func TestBadSampleRate(t *testing.T) {
	s := openNull(t)
	if _, err := s.OpenCall("", "", 8001); !errors.Is(err, ErrSampleRate) {
		t.Errorf("8001 Hz: %v, want ErrSampleRate", err)
	}
}

func TestCloseSystemClosesStreams(t *testing.T) {
	s, err := Open(WithNullBackend())
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.OpenCall("", "", 8000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenRinger("", 8000, &countingSource{}); err != nil {
		t.Fatal(err)
	}
	s.Close() // goleak in TestMain checks the streams' goroutines ended
	d.Close() // closing again afterwards is harmless
	if _, err := s.OpenCall("", "", 8000); !errors.Is(err, ErrClosed) {
		t.Errorf("OpenCall after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Capture(); !errors.Is(err, ErrClosed) {
		t.Errorf("Capture after Close: %v, want ErrClosed", err)
	}
}

func TestCloseRacingOpen(t *testing.T) {
	for i := 0; i < 10; i++ {
		s, err := Open(WithNullBackend())
		if err != nil {
			t.Fatal(err)
		}
		caps, err := s.Capture()
		if err != nil {
			t.Fatal(err)
		}
		res := make(chan error, 2)
		for j := 0; j < 2; j++ {
			go func() {
				d, err := s.OpenCall(caps[0].ID, "", 8000) // a chosen ID: looked up while closing
				if err == nil {
					d.ReadFrame(make([]int16, 160))
				}
				res <- err
			}()
		}
		s.Close()
		for j := 0; j < 2; j++ {
			if err := <-res; err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("OpenCall racing Close: %v", err)
			}
		}
	}
}
