package device

import "sync/atomic"

// ring is a lock-free single-producer single-consumer ring buffer of 16-bit samples. One
// goroutine or thread writes (Write), one other reads (Read, Discard); Len may be called by
// either. Neither side ever blocks, locks or allocates, so it can sit between a real-time device
// callback and the call's 20 ms frames.
//
// It is written here rather than taken from a library because it is a few dozen lines, it must
// hold int16 without boxing or copying through []byte, and it must count overflows and underflows
// in the way the rest of this package reports them; none of the modules the project already
// requires provides one.
//
// Overflow policy: when the ring is full, Write keeps what is already queued and drops the newest
// samples that do not fit (only the consumer may move the read position, so the producer cannot
// drop the oldest). To bound latency instead, the consumer calls Discard to drop the oldest.
// Underflow policy: when fewer samples are queued than asked for, Read fills the rest with silence.
type ring struct {
	buf  []int16
	mask uint64

	_ [64]byte      // keep the producer's and the consumer's counters on separate cache lines
	w atomic.Uint64 // total samples ever written; stored only by the producer
	_ [56]byte
	r atomic.Uint64 // total samples ever read or discarded; stored only by the consumer
	_ [56]byte

	overflows  atomic.Uint64 // writes that did not fit entirely
	dropped    atomic.Uint64 // samples dropped by those writes
	underflows atomic.Uint64 // reads that found too few samples
	silence    atomic.Uint64 // samples of silence those reads filled in
	discarded  atomic.Uint64 // samples the consumer dropped with Discard
}

// ringStats are a ring's counters.
type ringStats struct {
	Overflows, Dropped, Underflows, Silence, Discarded uint64
}

// newRing returns a ring holding at least capacity samples (rounded up to a power of two).
func newRing(capacity int) *ring {
	n := 1
	for n < capacity {
		n <<= 1
	}
	return &ring{buf: make([]int16, n), mask: uint64(n - 1)}
}

// Cap is how many samples the ring holds.
func (q *ring) Cap() int { return len(q.buf) }

// Len is how many samples are queued. From the producer it may be an overestimate, from the
// consumer an underestimate, never wrong in the direction that would break the other side.
func (q *ring) Len() int {
	r := q.r.Load()
	w := q.w.Load()
	return int(w - r)
}

// Write queues as much of p as fits and returns how many samples were queued. Producer only.
func (q *ring) Write(p []int16) int {
	w := q.w.Load()
	free := len(q.buf) - int(w-q.r.Load())
	n := len(p)
	if n > free {
		n = free
		q.overflows.Add(1)
		q.dropped.Add(uint64(len(p) - n))
	}
	q.copyIn(w, p[:n])
	q.w.Store(w + uint64(n))
	return n
}

// WriteSilence queues n samples of silence, dropping what does not fit. Producer only.
func (q *ring) WriteSilence(n int) int {
	w := q.w.Load()
	free := len(q.buf) - int(w-q.r.Load())
	want := n
	if n > free {
		n = free
		q.overflows.Add(1)
		q.dropped.Add(uint64(want - n))
	}
	start := int(w & q.mask)
	first := min(n, len(q.buf)-start)
	clear(q.buf[start : start+first])
	clear(q.buf[:n-first])
	q.w.Store(w + uint64(n))
	return n
}

func (q *ring) copyIn(w uint64, p []int16) {
	start := int(w & q.mask)
	c := copy(q.buf[start:], p)
	copy(q.buf, p[c:])
}

// Read fills p with the oldest queued samples and the rest with silence, and returns how many
// samples came from the ring. Consumer only.
func (q *ring) Read(p []int16) int {
	r := q.r.Load()
	avail := int(q.w.Load() - r)
	n := min(len(p), avail)
	start := int(r & q.mask)
	c := copy(p[:n], q.buf[start:])
	copy(p[c:n], q.buf)
	q.r.Store(r + uint64(n))
	if n < len(p) {
		clear(p[n:])
		q.underflows.Add(1)
		q.silence.Add(uint64(len(p) - n))
	}
	return n
}

// Discard drops up to n of the oldest queued samples and returns how many it dropped. Consumer
// only.
func (q *ring) Discard(n int) int {
	r := q.r.Load()
	n = min(n, int(q.w.Load()-r))
	if n <= 0 {
		return 0
	}
	q.r.Store(r + uint64(n))
	q.discarded.Add(uint64(n))
	return n
}

// Stats returns the ring's counters.
func (q *ring) Stats() ringStats {
	return ringStats{
		Overflows:  q.overflows.Load(),
		Dropped:    q.dropped.Load(),
		Underflows: q.underflows.Load(),
		Silence:    q.silence.Load(),
		Discarded:  q.discarded.Load(),
	}
}
