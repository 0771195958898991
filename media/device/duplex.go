package device

import (
	"sync/atomic"
	"time"

	"github.com/lineupphone/lineup/media"
)

// Queue sizes, in frames of media.FrameDuration.
const (
	// ringFrames is the capacity of each ring: a few hundred milliseconds.
	ringFrames = 16
	// speakerPrime is how much call audio must be queued before the speaker starts (and restarts
	// after running dry): one frame of cushion against the call clock's jitter.
	speakerPrime = 2
	// trimAbove and trimTo bound the latency a drift between the device clock and the call clock
	// can build up: when more than trimAbove frames are queued, the oldest are dropped down to
	// trimTo.
	trimAbove = 5
	trimTo    = 2
)

// Duplex is the call's audio: it is the media.FrameSource of the microphone and the
// media.FrameSink of the speaker. ReadFrame and WriteFrame never block; ReadFrame is meant to be
// called by one goroutine at a time (the call's clock) and so is WriteFrame.
type Duplex struct {
	ep    endpoint
	frame int // samples per frame

	mic   *ring // producer: device callback; consumer: ReadFrame
	spk   *ring // producer: WriteFrame; consumer: device callback
	muted atomic.Bool
	gone  atomic.Bool // closed: frames are silence and go nowhere

	primed   atomic.Bool // the speaker is playing call audio (touched by the callback only)
	captured atomic.Uint64
	played   atomic.Uint64
}

// Stats counts what went through a Duplex, in samples unless said otherwise.
type Stats struct {
	// Captured is how much the microphone delivered; Played how much call audio the speaker took.
	Captured, Played uint64
	// MicOverflows counts device periods that found the microphone queue full (the newest
	// samples dropped: the call is not reading); MicUnderflows counts frames read before the
	// microphone delivered enough (the rest was silence).
	MicOverflows, MicUnderflows uint64
	// SpeakerOverflows counts frames written to a full speaker queue (the newest dropped);
	// SpeakerUnderflows counts device periods that ran out of call audio (silence played).
	SpeakerOverflows, SpeakerUnderflows uint64
	// Trimmed is how much old audio was dropped on either side to keep the delay bounded.
	Trimmed uint64
}

// OpenCall opens the call devices: the capture and playback devices with these IDs (empty: the
// system default) as one duplex stream of mono 16-bit audio at sampleRate (8000 or 16000 for
// calls) with 20 ms periods. A chosen device that is not attached is replaced by the default, and
// Fallback says so.
func (s *System) OpenCall(captureID, playbackID string, sampleRate int) (*Duplex, error) {
	return s.openCall(captureID, playbackID, sampleRate, false)
}

// openCall is OpenCall; apart opens a capture and a playback device without trying one duplex
// device first (what happens when the backend cannot pair the chosen devices).
func (s *System) openCall(captureID, playbackID string, sampleRate int, apart bool) (*Duplex, error) {
	if err := checkRate(sampleRate); err != nil {
		return nil, err
	}
	d := newDuplex(sampleRate)
	d.ep = endpoint{sys: s, role: "call", capture: true, play: true, apart: apart, rate: sampleRate, process: d.process}
	if err := d.ep.start(captureID, playbackID); err != nil {
		return nil, err
	}
	return d, nil
}

// newDuplex makes a Duplex's queues without opening devices.
func newDuplex(sampleRate int) *Duplex {
	frame := sampleRate * int(media.FrameDuration/time.Millisecond) / 1000
	return &Duplex{frame: frame, mic: newRing(ringFrames * frame), spk: newRing(ringFrames * frame)}
}

// process is the device callback: it queues the microphone's samples and fills the speaker's
// buffer from the call's queue. It must not block, lock or allocate.
func (d *Duplex) process(out, in []byte, _ uint32) {
	if mic := samples(in); len(mic) > 0 {
		d.captured.Add(uint64(d.mic.Write(mic)))
	}
	spk := samples(out)
	if len(spk) == 0 {
		return
	}
	if n := d.spk.Len(); n > trimAbove*d.frame {
		d.spk.Discard(n - trimTo*d.frame)
	}
	if !d.primed.Load() {
		if d.spk.Len() < speakerPrime*d.frame {
			clear(spk)
			return
		}
		d.primed.Store(true)
	}
	n := d.spk.Read(spk)
	d.played.Add(uint64(n))
	if n < len(spk) {
		d.primed.Store(false) // ran dry: wait for a cushion again
	}
}

// ReadFrame fills pcm with the next microphone frame: silence when muted, closed, or when the
// microphone has not delivered enough. It never blocks.
func (d *Duplex) ReadFrame(pcm []int16) {
	if d.gone.Load() {
		clear(pcm)
		return
	}
	if n := d.mic.Len(); n > trimAbove*d.frame {
		d.mic.Discard(n - trimTo*d.frame)
	}
	d.mic.Read(pcm)
	if d.muted.Load() {
		clear(pcm)
	}
}

// WriteFrame queues a frame of call audio for the speaker. It never blocks: when the queue is
// full the frame's samples that do not fit are dropped and counted.
func (d *Duplex) WriteFrame(pcm []int16) {
	if d.gone.Load() {
		return
	}
	d.spk.Write(pcm)
}

// SetMuted mutes or unmutes the microphone: while muted, ReadFrame gives silence.
func (d *Duplex) SetMuted(muted bool) { d.muted.Store(muted) }

// Muted reports whether the microphone is muted.
func (d *Duplex) Muted() bool { return d.muted.Load() }

// Fallback reports whether the system default is in use instead of a chosen device (not found
// when opening, or stopped while in use), with the reason in words.
func (d *Duplex) Fallback() (bool, string) { return d.ep.Fallback() }

// Stats returns the Duplex's counters.
func (d *Duplex) Stats() Stats {
	m, s := d.mic.Stats(), d.spk.Stats()
	return Stats{
		Captured:          d.captured.Load(),
		Played:            d.played.Load(),
		MicOverflows:      m.Overflows,
		MicUnderflows:     m.Underflows,
		SpeakerOverflows:  s.Overflows,
		SpeakerUnderflows: s.Underflows,
		Trimmed:           m.Discarded + s.Discarded,
	}
}

// Close stops the devices. Afterwards ReadFrame gives silence and WriteFrame discards.
func (d *Duplex) Close() {
	d.gone.Store(true)
	d.ep.close()
}
