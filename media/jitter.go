package media

import (
	"sync"
	"time"
)

// PopStatus says what JitterBuffer.Pop gave for the current 20 ms tick.
type PopStatus int

const (
	// PopEmpty: nothing to play (not started yet, or the stream paused): play silence.
	PopEmpty PopStatus = iota
	// PopFrame: the payload is the frame due now; it stays valid until the next Pop.
	PopFrame
	// PopMissing: a frame is due but was lost or is late: conceal it (see Concealer).
	PopMissing
)

// String names the status for logs and test failures.
func (s PopStatus) String() string {
	switch s {
	case PopEmpty:
		return "empty"
	case PopFrame:
		return "frame"
	case PopMissing:
		return "missing"
	}
	return "unknown"
}

// JitterStats counts what a JitterBuffer saw.
type JitterStats struct {
	// Received counts distinct packets pushed (late ones included, duplicates not).
	Received uint64
	// Late counts packets that came after their playout time and were dropped.
	Late uint64
	// Duplicate counts packets pushed again with a sequence number already received.
	Duplicate uint64
	// Lost is how many packets never arrived, from the sequence numbers (RFC 3550 A.3).
	Lost uint64
	// Concealed counts the PopMissing results: frames the player had to make up.
	Concealed uint64
	// Jitter is the interarrival jitter of RFC 3550 6.4.1.
	Jitter time.Duration
}

// JitterOption changes a JitterBuffer's defaults.
type JitterOption func(*jitterConfig)

type jitterConfig struct {
	minFrames, maxFrames int
}

// WithDelayBounds sets the range of the adaptive playout delay, in whole frames (rounded up),
// instead of the default 20 ms to 200 ms. The bounds are clamped to 20 ms .. 500 ms.
func WithDelayBounds(lo, hi time.Duration) JitterOption {
	return func(c *jitterConfig) {
		c.minFrames = min(max(int((lo+FrameDuration-1)/FrameDuration), 1), jbMaxFrames)
		c.maxFrames = min(max(int((hi+FrameDuration-1)/FrameDuration), c.minFrames), jbMaxFrames)
	}
}

const (
	jbSlots     = 64  // ring of packets, indexed by sequence number
	jbSlotBytes = 512 // largest payload kept: 64 ms of G.711 or G.722
	jbMaxFrames = 25  // the widest delay bound an option may set (500 ms)
	jbFarFrames = 32  // a packet this far from the playout point restarts the buffer
	// jbStopAfter consecutive ticks without anything to play end the talk spurt: the buffer gives
	// PopEmpty and starts afresh with the next packet (after silence suppression, hold, a new
	// source).
	jbStopAfter = 10
	// jbShrinkWindow ticks (1 s) during which more was buffered than the target allow dropping one
	// frame; jbBoostDecay calm ticks (2 s) take back one frame of the delay added for late packets.
	jbShrinkWindow = 50
	jbBoostDecay   = 100
)

type jbSlot struct {
	seq   uint16
	ts    uint32
	n     int
	valid bool
}

// JitterBuffer reorders the RTP packets of one stream and hands out one frame per 20 ms tick,
// telling lost and late frames apart so the player can conceal them.
//
// Playout follows the RTP timestamps: each Pop plays the frame whose timestamp is next, so gaps
// of silence suppression keep their length. The buffer starts on the first packet and waits the
// target delay minus one frame before the first frame (the tick cadence itself gives up to one
// frame of slack). The target delay adapts: one frame plus twice the RFC 3550 jitter (rounded to
// frames), plus one frame for every late packet, that extra decaying by a frame every 2 s of
// calm, within the delay bounds (20 ms to 200 ms by default). The buffer grows by holding the
// playout point when it runs dry (the player conceals that tick) and shrinks by dropping one frame
// when more than the target was buffered for a whole second.
//
// Push and Pop may be called from different goroutines; neither blocks for long nor allocates.
type JitterBuffer struct {
	mu        sync.Mutex
	frameTS   uint32
	clockRate float64
	cfg       jitterConfig

	slots [jbSlots]jbSlot
	data  []byte // jbSlots * jbSlotBytes
	out   []byte // the payload handed out by Pop

	started      bool      // playing
	pending      bool      // a packet waits for the start
	firstArrival time.Time // of the pending talk spurt
	playTS       uint32    // timestamp of the frame the next Pop plays
	newestTS     uint32
	haveNewest   bool

	underruns  int // consecutive ticks with nothing buffered
	holds      int // ticks held in this underrun
	minLead    int // fewest frames buffered at a tick in this shrink window
	windowPops int
	dropFrame  bool
	boost      int // frames added for late packets
	calmPops   int

	// Sequence numbers, for duplicates and loss (RFC 3550 A.1, A.3).
	seqInit  bool
	maxSeq   uint16
	recent   uint64 // bit i: maxSeq-i was received
	expected uint64

	// Interarrival jitter (RFC 3550 6.4.1), in seconds.
	havePrev    bool
	prevArrival time.Time
	prevTS      uint32
	jitter      float64

	stats JitterStats
}

// NewJitterBuffer returns an empty buffer for a stream of codec c.
func NewJitterBuffer(c Codec, opts ...JitterOption) *JitterBuffer {
	cfg := jitterConfig{minFrames: 1, maxFrames: 10}
	for _, o := range opts {
		o(&cfg)
	}
	frameTS := c.FrameTimestamp()
	if frameTS == 0 {
		frameTS = 160
	}
	clock := float64(c.ClockRate)
	if clock == 0 {
		clock = 8000
	}
	return &JitterBuffer{
		frameTS:   frameTS,
		clockRate: clock,
		cfg:       cfg,
		data:      make([]byte, jbSlots*jbSlotBytes),
		out:       make([]byte, jbSlotBytes),
	}
}

// Push hands the buffer one received RTP packet. The payload is copied (payloads over 512 bytes
// are counted and dropped); arrival is when it was read from the socket.
func (b *JitterBuffer) Push(seq uint16, ts uint32, payload []byte, arrival time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()

	newer := !b.seqInit || int16(seq-b.maxSeq) > 0
	if b.trackSeq(seq) {
		b.stats.Duplicate++
		return
	}
	b.stats.Received++
	if b.started {
		d := int32(ts - b.playTS)
		frames := b.frames(d)
		switch {
		case d <= -int32(b.frameTS/2) && (frames > -jbFarFrames || !newer):
			// Its tick has passed: the player concealed it already.
			b.stats.Late++
			b.boost = min(b.boost+1, b.cfg.maxFrames)
			b.calmPops = 0
			b.updateJitter(ts, arrival)
			return
		case frames <= -jbFarFrames || frames >= jbFarFrames:
			// Far from anything playing: the source restarted or jumped. Start afresh.
			b.restart()
		}
	}
	if !b.started && !b.pending {
		// A new talk spurt: the pause or jump before it is not jitter.
		b.havePrev = false
	}
	b.updateJitter(ts, arrival)
	if len(payload) > jbSlotBytes {
		return
	}
	if !b.started {
		if !b.pending {
			b.pending = true
			b.firstArrival = arrival
			b.playTS = ts
		} else if int32(ts-b.playTS) < 0 {
			b.playTS = ts
		}
	}

	i := int(seq) % jbSlots
	s := &b.slots[i]
	s.seq, s.ts, s.valid = seq, ts, true
	s.n = copy(b.data[i*jbSlotBytes:(i+1)*jbSlotBytes], payload)
	if !b.haveNewest || int32(ts-b.newestTS) > 0 {
		b.newestTS, b.haveNewest = ts, true
	}
}

// Pop gives what to play for the tick at now; call it once per FrameDuration.
func (b *JitterBuffer) Pop(now time.Time) ([]byte, PopStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()

	target := b.targetFrames()
	if !b.started {
		if !b.pending || now.Sub(b.firstArrival) < time.Duration(target-1)*FrameDuration {
			return nil, PopEmpty
		}
		b.started, b.pending = true, false
		b.underruns, b.holds = 0, 0
		b.windowPops, b.minLead, b.dropFrame = 0, jbSlots, false
	}

	b.calmPops++
	if b.calmPops >= jbBoostDecay {
		b.calmPops = 0
		b.boost = max(b.boost-1, 0)
	}

	lead := 0
	if b.haveNewest {
		lead = max(b.frames(int32(b.newestTS-b.playTS))+1, 0)
	}
	b.minLead = min(b.minLead, lead)
	b.windowPops++
	if b.windowPops >= jbShrinkWindow {
		if b.minLead > target {
			b.dropFrame = true
		}
		b.windowPops, b.minLead = 0, jbSlots
	}

	s := b.take(b.playTS)
	if s != nil && b.dropFrame {
		if next := b.find(b.playTS + b.frameTS); next != nil {
			// Shrink: skip this frame and play the next one now.
			s.valid = false
			b.playTS += b.frameTS
			s = next
			b.dropFrame = false
		}
	}
	if s != nil {
		i := int(s.seq) % jbSlots
		n := copy(b.out, b.data[i*jbSlotBytes:i*jbSlotBytes+s.n])
		s.valid = false
		b.playTS += b.frameTS
		b.underruns, b.holds = 0, 0
		return b.out[:n], PopFrame
	}

	if lead > 0 {
		// Later frames are here: this one is lost (or late); conceal it and go on.
		b.underruns, b.holds = 0, 0
		b.playTS += b.frameTS
		b.stats.Concealed++
		return nil, PopMissing
	}
	b.underruns++
	if b.underruns > jbStopAfter {
		b.restart()
		return nil, PopEmpty
	}
	b.stats.Concealed++
	if b.holds < target-1 {
		// Ran dry below the target: wait a tick longer for this frame (the buffer grows).
		b.holds++
		return nil, PopMissing
	}
	b.playTS += b.frameTS
	return nil, PopMissing
}

// Delay is the current target playout delay: how much audio the buffer aims to hold.
func (b *JitterBuffer) Delay() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return time.Duration(b.targetFrames()) * FrameDuration
}

// Stats returns the counters so far.
func (b *JitterBuffer) Stats() JitterStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.stats
	if b.expected > st.Received {
		st.Lost = b.expected - st.Received
	}
	st.Jitter = time.Duration(b.jitter * float64(time.Second))
	return st
}

// targetFrames is the adaptive target delay in frames.
func (b *JitterBuffer) targetFrames() int {
	jitterFrames := int(2*b.jitter/FrameDuration.Seconds() + 0.5)
	return min(max(1+jitterFrames+b.boost, b.cfg.minFrames), b.cfg.maxFrames)
}

// frames converts a timestamp difference to whole frames, rounding to the nearest.
func (b *JitterBuffer) frames(d int32) int {
	f := int64(b.frameTS)
	if d >= 0 {
		return int((int64(d) + f/2) / f)
	}
	return -int((-int64(d) + f/2 - 1) / f)
}

// find returns the buffered packet of the frame at ts, or nil.
func (b *JitterBuffer) find(ts uint32) *jbSlot {
	half := int32(b.frameTS / 2)
	for i := range b.slots {
		s := &b.slots[i]
		if d := int32(s.ts - ts); s.valid && d > -half && d <= half {
			return s
		}
	}
	return nil
}

// take drops what is older than the frame at ts and returns that frame's packet, or nil.
func (b *JitterBuffer) take(ts uint32) *jbSlot {
	half := int32(b.frameTS / 2)
	var found *jbSlot
	for i := range b.slots {
		s := &b.slots[i]
		if !s.valid {
			continue
		}
		d := int32(s.ts - ts)
		switch {
		case d <= -half:
			s.valid = false
		case d <= half && found == nil:
			found = s
		}
	}
	return found
}

// restart forgets the buffered packets; the next Push starts a new talk spurt.
func (b *JitterBuffer) restart() {
	for i := range b.slots {
		b.slots[i].valid = false
	}
	b.started, b.pending, b.haveNewest = false, false, false
	b.underruns, b.holds = 0, 0
	b.havePrev = false
}

// trackSeq records seq and reports whether it was received before.
func (b *JitterBuffer) trackSeq(seq uint16) (dup bool) {
	if !b.seqInit {
		b.seqInit, b.maxSeq, b.recent, b.expected = true, seq, 1, 1
		return false
	}
	d := int(int16(seq - b.maxSeq))
	switch {
	case d > 0:
		if d < 64 {
			b.recent <<= uint(d)
		} else {
			b.recent = 0
		}
		b.recent |= 1
		b.maxSeq = seq
		if d > 3000 {
			d = 1 // the source restarted its numbering: the jump is not loss
		}
		b.expected += uint64(d)
		return false
	case d > -64:
		bit := uint64(1) << uint(-d)
		if b.recent&bit != 0 {
			return true
		}
		b.recent |= bit
		return false
	default:
		return false
	}
}

// updateJitter folds one arrival into the RFC 3550 interarrival jitter estimate.
func (b *JitterBuffer) updateJitter(ts uint32, arrival time.Time) {
	if b.havePrev {
		transit := arrival.Sub(b.prevArrival).Seconds() - float64(int32(ts-b.prevTS))/b.clockRate
		if transit < 0 {
			transit = -transit
		}
		b.jitter += (transit - b.jitter) / 16
	}
	b.havePrev, b.prevArrival, b.prevTS = true, arrival, ts
}
