package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lineupphone/lineup/media"
)

// The tones the line server plays into a call's speaker: ringback while an outgoing call rings at
// the far end, a busy tone for a while after the far end answered busy, and DTMF feedback mixed into
// the call's audio while we send a digit. The ringtone of an incoming call is the Audio's business
// (Audio.Ring).

// busyToneFor is how long the busy tone plays after an outgoing call ended busy.
const busyToneFor = 3 * time.Second

// dtmfDigits are the digits that have a feedback tone, in the order of mixer.tones.
const dtmfDigits = "0123456789*#ABCD"

// tonePlayer plays a tone into a sink, a frame every 20 ms, from its own goroutine until stopped
// or, with a limit, until the limit has passed. It is the only writer of the sink while it runs.
type tonePlayer struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// playTone starts playing spec into sink at rate. A limit of 0 plays until stop; ctx ending stops
// it too.
func playTone(ctx context.Context, sink media.FrameSink, rate int, spec media.ToneSpec, limit time.Duration) *tonePlayer {
	p := &tonePlayer{stop: make(chan struct{}), done: make(chan struct{})}
	tone := media.NewTone(rate, spec)
	frame := make([]int16, rate*int(media.FrameDuration/time.Millisecond)/1000)
	go func() {
		defer close(p.done)
		tick := time.NewTicker(media.FrameDuration)
		defer tick.Stop()
		var end <-chan time.Time
		if limit > 0 {
			t := time.NewTimer(limit)
			defer t.Stop()
			end = t.C
		}
		// The first frame goes out at once, so the tone starts without a gap.
		tone.ReadFrame(frame)
		sink.WriteFrame(frame)
		for {
			select {
			case <-tick.C:
				tone.ReadFrame(frame)
				sink.WriteFrame(frame)
			case <-end:
				return
			case <-p.stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

// Stop ends the tone and waits until the player no longer touches the sink. Safe on nil and twice.
func (p *tonePlayer) Stop() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() { close(p.stop) })
	<-p.done
}

// Done is closed when the player has stopped.
func (p *tonePlayer) Done() <-chan struct{} { return p.done }

// speakerMixer sits between a call's stream and its speaker: it passes the received audio on and
// adds the feedback tone of a DTMF digit we send, for the digit's duration. WriteFrame runs on the
// media clock's goroutine and neither blocks nor allocates: a digit is handed over through one
// atomic word, and the tones are made when the mixer is.
type speakerMixer struct {
	sink  media.FrameSink
	tones [len(dtmfDigits)]*media.Tone
	// req is the pending feedback: (digit index + 1) << 16 | frames; 0 means none.
	req atomic.Uint32
	// waiting mixes the call-waiting tone in while another call rings.
	waiting     atomic.Bool
	waitingTone *media.Tone
	wasWaiting  bool // owned by the clock goroutine

	// Owned by the clock goroutine (WriteFrame).
	buf    []int16
	mixed  []int16
	active *media.Tone
	left   int // frames of feedback still to mix
}

func newSpeakerMixer(sink media.FrameSink, rate int) *speakerMixer {
	n := rate * int(media.FrameDuration/time.Millisecond) / 1000
	m := &speakerMixer{sink: sink, buf: make([]int16, n), mixed: make([]int16, n),
		waitingTone: media.NewTone(rate, media.CallWaiting)}
	for i, d := range dtmfDigits {
		m.tones[i] = media.NewTone(rate, media.DTMFTone(d))
	}
	return m
}

// feedback asks for digit's tone to be mixed in for d, from the next frame on; a digit without a
// tone is ignored.
func (m *speakerMixer) feedback(digit rune, d time.Duration) {
	i := -1
	for k, x := range dtmfDigits {
		if x == digit {
			i = k
			break
		}
	}
	if i < 0 {
		return
	}
	frames := int((d + media.FrameDuration - 1) / media.FrameDuration)
	frames = min(max(frames, 1), 0xffff)
	m.req.Store(uint32(i+1)<<16 | uint32(frames))
}

// WriteFrame passes pcm on to the speaker, with the feedback tone added while one plays.
func (m *speakerMixer) WriteFrame(pcm []int16) {
	if r := m.req.Swap(0); r != 0 {
		m.active = m.tones[int(r>>16)-1]
		m.active.Reset()
		m.left = int(r & 0xffff)
	}
	waiting := m.waiting.Load()
	if waiting && !m.wasWaiting {
		m.waitingTone.Reset() // each waiting call starts with a burst
	}
	m.wasWaiting = waiting
	if (m.left == 0 && !waiting) || len(pcm) > len(m.buf) {
		m.sink.WriteFrame(pcm)
		return
	}
	buf, out := m.buf[:len(pcm)], m.mixed[:len(pcm)]
	if m.left > 0 {
		m.left--
		m.active.ReadFrame(buf)
	} else {
		m.waitingTone.ReadFrame(buf)
	}
	for i, x := range pcm {
		out[i] = int16(min(max(int32(x)+int32(buf[i]), -32768), 32767))
	}
	m.sink.WriteFrame(out)
}
