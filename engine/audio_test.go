package engine

import (
	"sync"
	"sync/atomic"

	"github.com/lineupphone/lineup/media"
)

// toneAudio is the sound of a test party: its microphone plays a steady tone, its speaker records
// what arrives, and its ringer counts rings.
type toneAudio struct {
	freq float64

	mu    sync.Mutex
	calls []*toneCall
	rings atomic.Int32
	ring  atomic.Bool
}

func (a *toneAudio) OpenCall(rate int) (CallAudio, error) {
	c := &toneCall{
		rate: rate,
		tone: media.NewTone(rate, media.ToneSpec{Freqs: []float64{a.freq}, Level: -12}),
	}
	a.mu.Lock()
	a.calls = append(a.calls, c)
	a.mu.Unlock()
	return c, nil
}

func (a *toneAudio) Ring() (func(), error) {
	a.rings.Add(1)
	a.ring.Store(true)
	return func() { a.ring.Store(false) }, nil
}

func (a *toneAudio) last() *toneCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.calls) == 0 {
		return nil
	}
	return a.calls[len(a.calls)-1]
}

// talking is the audio of the call the party talks in: the newest one still open, else the
// newest.
func (a *toneAudio) talking() *toneCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.calls) - 1; i >= 0; i-- {
		if !a.calls[i].isClosed() {
			return a.calls[i]
		}
	}
	if len(a.calls) == 0 {
		return nil
	}
	return a.calls[len(a.calls)-1]
}

// toneCall is one call's audio of a toneAudio.
type toneCall struct {
	rate int
	tone *media.Tone

	mu     sync.Mutex
	heard  []int16
	closed bool
}

func (c *toneCall) ReadFrame(pcm []int16) { c.tone.ReadFrame(pcm) }

func (c *toneCall) WriteFrame(pcm []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.heard) < c.rate*30 {
		c.heard = append(c.heard, pcm...)
	}
}

func (c *toneCall) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

// recent returns the last d seconds of what the call heard.
func (c *toneCall) recent(seconds float64) []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := int(float64(c.rate) * seconds)
	if n > len(c.heard) {
		n = len(c.heard)
	}
	return append([]int16(nil), c.heard[len(c.heard)-n:]...)
}

func (c *toneCall) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
