package device

import (
	"sync/atomic"
	"time"

	"github.com/lineupphone/lineup/media"
)

// playerQueue is how many frames a Player keeps queued ahead of the device.
const playerQueue = 3

// Player plays a media.FrameSource (the ringtone, say) on a playback device until Close. The
// source is pulled by the Player's own goroutine, never by the device callback, so a source only
// has to keep the FrameSource contract (not block).
type Player struct {
	ep    endpoint
	src   media.FrameSource
	frame []int16 // the feeder's buffer
	q     *ring   // producer: feed; consumer: device callback

	pulled atomic.Uint64 // frames taken from src
	played atomic.Uint64 // samples the device took
}

// OpenRinger plays src on the playback device with this ID (empty: the system default) at
// sampleRate until Close. A device that is not attached is replaced by the default, and Fallback
// says so.
func (s *System) OpenRinger(playbackID string, sampleRate int, src media.FrameSource) (*Player, error) {
	if err := checkRate(sampleRate); err != nil {
		return nil, err
	}
	p := newPlayer(sampleRate, src)
	p.feed() // queue some audio before the device's first period
	p.ep = endpoint{sys: s, role: "ringer", play: true, rate: sampleRate, process: p.process, feed: p.feed}
	if err := p.ep.start("", playbackID); err != nil {
		return nil, err
	}
	return p, nil
}

func newPlayer(sampleRate int, src media.FrameSource) *Player {
	frame := sampleRate * int(media.FrameDuration/time.Millisecond) / 1000
	return &Player{src: src, frame: make([]int16, frame), q: newRing(ringFrames * frame)}
}

// feed tops the queue up to playerQueue frames from the source. It runs on the endpoint's
// goroutine, so the pace follows the device's consumption.
func (p *Player) feed() {
	for p.q.Len()+len(p.frame) <= playerQueue*len(p.frame) {
		p.src.ReadFrame(p.frame)
		p.pulled.Add(1)
		p.q.Write(p.frame)
	}
}

// process is the device callback: it plays the queued audio, silence when it runs dry.
func (p *Player) process(out, _ []byte, _ uint32) {
	if spk := samples(out); len(spk) > 0 {
		p.played.Add(uint64(p.q.Read(spk)))
	}
}

// Frames is how many frames the Player has taken from its source.
func (p *Player) Frames() uint64 { return p.pulled.Load() }

// Fallback reports whether the system default is in use instead of the chosen device, and why.
func (p *Player) Fallback() (bool, string) { return p.ep.Fallback() }

// Close stops playing and the device. The source is not pulled after Close returns.
func (p *Player) Close() { p.ep.close() }
