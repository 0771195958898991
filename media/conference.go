package media

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// The three-way conference mixer: up to MaxConferenceLegs calls (legs) and the local user. Each
// leg sends the user's microphone plus what the other legs said; the user's speaker plays what
// all legs said. Mixing is a sum with saturation to 16 bits.
//
// Rates: legs may run different codecs (PCMU at 8 kHz, G.722 at 16 kHz). The mixer works at
// ConferenceRate (16 kHz); an 8 kHz leg or user is raised to it on the way in (linear
// interpolation) and lowered on the way out (a 1-2-1 low-pass, then every second sample). Each
// direction of each leg keeps its own filter state, carried from frame to frame.
//
// Timing: the legs are driven by the media clock, which in each 20 ms tick first has every
// stream read its next frame to send (ReadFrame on the leg) and then write the frame it received
// (WriteFrame on the leg). A leg's received frame is therefore mixed into the other legs' very
// next send (the same frame, one tick = one FrameDuration later: the most the mixer adds, and
// the least the clock's order allows), and into the user's speaker at once, in the same tick,
// as soon as every leg has written its frame. The microphone is read once per tick, with the
// tick's first send. Nothing is queued: each output mixes the frames the legs produced in the
// latest tick. TestConferenceImpulseDelay measures this by feeding an impulse and finding it in
// the next frame out.
//
// Allocation: every buffer is made by NewConference; ReadFrame and WriteFrame allocate nothing
// (TestConferenceNoAllocs, BenchmarkConferenceTick). They take one mutex, uncontended while one
// clock drives all legs, so that Join and Leave may come from any goroutine.

// MaxConferenceLegs is how many calls a Conference joins besides the user.
const MaxConferenceLegs = 3

// ConferenceRate is the sample rate the conference mixes at.
const ConferenceRate = 16000

// confSamples is one frame at ConferenceRate.
const confSamples = ConferenceRate * int(FrameDuration/time.Millisecond) / 1000

// Errors of the conference mixer.
var (
	// ErrConferenceFull is returned by Join when MaxConferenceLegs legs are in.
	ErrConferenceFull = errors.New("conference is full")
	// ErrConferenceRate is a sample rate other than 8000 or 16000 Hz.
	ErrConferenceRate = errors.New("conference sample rate must be 8000 or 16000")
)

// Conference mixes up to MaxConferenceLegs legs and the user. Make it with NewConference.
type Conference struct {
	mu       sync.Mutex
	mic      FrameSource // the user's microphone; nil is silence
	speaker  FrameSink   // the user's speaker; nil discards
	userRate int
	micMuted bool // the microphone is read but not mixed

	legs  [MaxConferenceLegs]ConferenceLeg
	n     int // legs in
	reads int // legs that read in the current tick
	wrote int // legs that wrote in the current tick

	micIn   []int16 // the microphone at the user's rate
	micMix  []int32 // the microphone at ConferenceRate
	micUp   upsampler
	spkMix  []int32 // the speaker's sum at ConferenceRate
	spkOut  []int16 // at the user's rate
	spkDown downsampler
	mixTmp  []int32
}

// ConferenceLeg is one call in a conference: its stream's Source (ReadFrame: what the call
// sends) and Sink (WriteFrame: what the call received). Both run on the media clock and neither
// blocks nor allocates.
type ConferenceLeg struct {
	c    *Conference
	in   bool
	rate int
	read bool // read in the current tick
	wrot bool // wrote in the current tick

	heard []int32 // the leg's latest received frame at ConferenceRate
	up    upsampler
	down  downsampler
	out   []int16 // scratch for an 8 kHz leg's incoming frame
}

// NewConference makes a conference for the user's microphone and speaker at userRate (8000 or
// 16000 Hz); nil mic sends silence, nil speaker discards.
func NewConference(mic FrameSource, speaker FrameSink, userRate int) (*Conference, error) {
	if userRate != 8000 && userRate != ConferenceRate {
		return nil, fmt.Errorf("media: new conference: user rate %d: %w", userRate, ErrConferenceRate)
	}
	c := &Conference{
		mic: mic, speaker: speaker, userRate: userRate,
		micIn:  make([]int16, userRate*int(FrameDuration/time.Millisecond)/1000),
		micMix: make([]int32, confSamples),
		spkMix: make([]int32, confSamples),
		spkOut: make([]int16, userRate*int(FrameDuration/time.Millisecond)/1000),
		mixTmp: make([]int32, confSamples),
	}
	for i := range c.legs {
		c.legs[i] = ConferenceLeg{c: c, heard: make([]int32, confSamples), out: make([]int16, confSamples)}
	}
	return c, nil
}

// Join adds a leg whose stream runs at rate (its codec's sample rate, 8000 or 16000 Hz).
func (c *Conference) Join(rate int) (*ConferenceLeg, error) {
	if rate != 8000 && rate != ConferenceRate {
		return nil, fmt.Errorf("media: conference join: rate %d: %w", rate, ErrConferenceRate)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.legs {
		l := &c.legs[i]
		if l.in {
			continue
		}
		l.in, l.rate, l.read, l.wrot = true, rate, false, false
		clear(l.heard)
		l.up, l.down = upsampler{}, downsampler{}
		c.n++
		return l, nil
	}
	return nil, fmt.Errorf("media: conference join: %d legs: %w", MaxConferenceLegs, ErrConferenceFull)
}

// Legs is how many legs are in.
func (c *Conference) Legs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// Leave takes the leg out: the others no longer hear it, and it no longer hears them. Its
// ReadFrame sends silence afterwards. Safe twice.
func (l *ConferenceLeg) Leave() {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !l.in {
		return
	}
	l.in = false
	clear(l.heard)
	c.n--
	if l.read {
		c.reads--
	}
	if l.wrot {
		c.wrote--
	}
	l.read, l.wrot = false, false
	if c.n > 0 && c.wrote >= c.n {
		c.flushLocked()
	}
}

// ReadFrame gives the frame the leg sends: the user's microphone plus the other legs' latest
// frames, at the leg's rate (len(pcm) samples).
func (l *ConferenceLeg) ReadFrame(pcm []int16) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !l.in {
		clear(pcm)
		return
	}
	if l.read {
		// This leg reads again: a new tick began without every leg reading in the last one
		// (a leg whose stream sends something else, such as hold music).
		c.resetReadsLocked()
	}
	if c.reads == 0 {
		c.readMicLocked()
	}
	l.read = true
	c.reads++
	mix := c.mixTmp
	copy(mix, c.micMix)
	for i := range c.legs {
		o := &c.legs[i]
		if o == l || !o.in {
			continue
		}
		for k, x := range o.heard {
			mix[k] += x
		}
	}
	if l.rate == ConferenceRate {
		saturate(pcm, mix)
	} else {
		l.down.run(pcm, mix)
	}
	if c.reads >= c.n {
		c.resetReadsLocked()
	}
}

// WriteFrame takes the frame the leg received (len(pcm) samples at the leg's rate). Once every
// leg has written in this tick the user's speaker gets their sum.
func (l *ConferenceLeg) WriteFrame(pcm []int16) {
	c := l.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !l.in {
		return
	}
	if l.wrot {
		// Another leg did not write in the last tick (its stream stopped): play what came.
		c.flushLocked()
	}
	if l.rate == ConferenceRate {
		n := min(len(pcm), len(l.heard))
		for k, x := range pcm[:n] {
			l.heard[k] = int32(x)
		}
		clear(l.heard[n:])
	} else {
		l.up.run(l.heard, pcm)
	}
	l.wrot = true
	c.wrote++
	if c.wrote >= c.n {
		c.flushLocked()
	}
}

// SetMicMuted stops or restarts mixing the user's microphone into what the legs send (the user
// muted): the legs still hear each other.
func (c *Conference) SetMicMuted(m bool) {
	c.mu.Lock()
	c.micMuted = m
	c.mu.Unlock()
}

// readMicLocked reads the microphone for this tick. c.mu held.
func (c *Conference) readMicLocked() {
	if c.mic == nil {
		clear(c.micMix)
		return
	}
	c.mic.ReadFrame(c.micIn)
	if c.micMuted {
		// Read all the same, so that no stale sound is sent when unmuted.
		clear(c.micMix)
		return
	}
	if c.userRate == ConferenceRate {
		for k, x := range c.micIn {
			c.micMix[k] = int32(x)
		}
		return
	}
	c.micUp.run(c.micMix, c.micIn)
}

func (c *Conference) resetReadsLocked() {
	for i := range c.legs {
		c.legs[i].read = false
	}
	c.reads = 0
}

// flushLocked plays the sum of the legs' frames of this tick on the speaker and starts the next
// tick; a leg that wrote nothing in it adds silence. c.mu held.
func (c *Conference) flushLocked() {
	clear(c.spkMix)
	for i := range c.legs {
		l := &c.legs[i]
		if !l.in {
			continue
		}
		if !l.wrot {
			clear(l.heard) // nothing came: no stale frame for the others either
		}
		for k, x := range l.heard {
			c.spkMix[k] += x
		}
		l.wrot = false
	}
	c.wrote = 0
	if c.userRate == ConferenceRate {
		saturate(c.spkOut, c.spkMix)
	} else {
		c.spkDown.run(c.spkOut, c.spkMix)
	}
	if c.speaker != nil {
		c.speaker.WriteFrame(c.spkOut)
	}
}

// saturate writes src clipped to 16 bits into dst (min of the lengths; the rest of dst is
// silence).
func saturate(dst []int16, src []int32) {
	n := min(len(dst), len(src))
	for k, x := range src[:n] {
		dst[k] = clip16(x)
	}
	clear(dst[n:])
}

func clip16(x int32) int16 { return int16(min(max(x, -32768), 32767)) }

// upsampler doubles the rate by linear interpolation: between two input samples goes their
// mean. It delays by half an input sample.
type upsampler struct{ prev int32 }

// run fills dst (2×len(src) samples; any rest is silence) from src.
func (u *upsampler) run(dst []int32, src []int16) {
	n := min(len(src), len(dst)/2)
	p := u.prev
	for k, s := range src[:n] {
		x := int32(s)
		dst[2*k] = (p + x) / 2
		dst[2*k+1] = x
		p = x
	}
	u.prev = p
	clear(dst[2*n:])
}

// downsampler halves the rate: a 1-2-1 low-pass, keeping every second sample. It delays by half
// an output sample.
type downsampler struct{ prev int32 }

// run fills dst (len(src)/2 samples; any rest is silence) from src, clipped to 16 bits.
func (d *downsampler) run(dst []int16, src []int32) {
	n := min(len(dst), len(src)/2)
	p := d.prev
	for k := range n {
		a, b := src[2*k], src[2*k+1]
		dst[k] = clip16((p + 2*a + b) / 4)
		p = b
	}
	d.prev = p
	clear(dst[n:])
}
