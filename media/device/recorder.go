package device

import (
	"sync/atomic"
	"time"

	"github.com/lineupphone/lineup/media"
)

// Recorder records from a capture device alone, for a level meter: the device callback queues
// the samples and Latest takes the newest of them. Neither side blocks.
type Recorder struct {
	ep   endpoint
	q    *ring // producer: device callback; consumer: Latest
	gone atomic.Bool

	captured atomic.Uint64 // samples the device delivered
}

// OpenCapture records from the capture device with this ID (empty: the system default) as mono
// 16-bit audio at sampleRate with 20 ms periods, until Close. A device that is not attached is
// replaced by the default, and Fallback says so.
func (s *System) OpenCapture(captureID string, sampleRate int) (*Recorder, error) {
	if err := checkRate(sampleRate); err != nil {
		return nil, err
	}
	r := newRecorder(sampleRate)
	r.ep = endpoint{sys: s, role: "capture", capture: true, rate: sampleRate, process: r.process}
	if err := r.ep.start(captureID, ""); err != nil {
		return nil, err
	}
	return r, nil
}

// newRecorder makes a Recorder's queue without opening a device.
func newRecorder(sampleRate int) *Recorder {
	frame := sampleRate * int(media.FrameDuration/time.Millisecond) / 1000
	return &Recorder{q: newRing(ringFrames * frame)}
}

// process is the device callback: it queues what the microphone delivered. When the queue is
// full (nobody took the samples for a few hundred milliseconds) the newest are dropped. It must
// not block, lock or allocate.
func (r *Recorder) process(_, in []byte, _ uint32) {
	if mic := samples(in); len(mic) > 0 {
		r.captured.Add(uint64(r.q.Write(mic)))
	}
}

// Latest fills the start of p with the newest samples recorded since the last Latest, at most
// len(p) of them, drops the older ones, and returns how many it filled in: 0 when nothing new was
// recorded or the Recorder is closed. It never blocks and allocates nothing; one goroutine at a
// time may call it.
func (r *Recorder) Latest(p []int16) int {
	if r.gone.Load() {
		return 0
	}
	if old := r.q.Len() - len(p); old > 0 {
		r.q.Discard(old)
	}
	n := min(len(p), r.q.Len())
	return r.q.Read(p[:n])
}

// Captured is how many samples the device has delivered (those dropped on a full queue not
// counted).
func (r *Recorder) Captured() uint64 { return r.captured.Load() }

// Fallback reports whether the system default is in use instead of the chosen device, and why.
func (r *Recorder) Fallback() (bool, string) { return r.ep.Fallback() }

// Close stops the device. Afterwards Latest gives nothing.
func (r *Recorder) Close() {
	r.gone.Store(true)
	r.ep.close()
}
