package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// The three-way conference (Session.Conference): the client's held call and its active one are
// mixed here (media.Conference). The held call is taken off hold first. The user's side of the
// mix is the audio of the call that was talking (its microphone, and its speaker with the DTMF
// feedback and the call-waiting tone): the user goes on hearing through the same device. The
// other call's own audio stays open but idle while the conference lasts; a key sent on that
// call, and a call waiting beside the conference, are heard in the conference's speaker.
//
// Each call's stream reads its frame from its callSource and writes what it receives into its
// callSink; while the call is in a conference both route through its leg of the mixer. When a
// call of a conference ends (either party hangs up, or the user hangs up one call), it leaves
// the mix; the call that remains is a normal two-party call again: its routing goes straight to
// its own audio.
//
// Mute in a conference mutes the user's microphone in the mix, for both calls (both show
// muted); the parties still hear each other. A call left alone keeps that mute.
//
// Hold on a call of a conference holds that call only: it hears the hold music and sends nothing
// to the mix (its stream receives nothing while held), while the other party and the user talk
// on; Retrieve puts it back into the mix without holding the other (holdOthers leaves calls of
// the same conference alone). Both calls are journaled as usual, with the other party's number
// in the entry's ConferenceWith.

// conference is one conference of calls and its mixer.
type conference struct {
	id  string
	mix *media.Conference
	// speaker is the speaker mixer the user hears the conference in (the call-waiting tone
	// goes there); nil without sound.
	speaker *speakerMixer

	mu   sync.Mutex
	legs []*call // the calls in it, in the order they joined
}

// confSeq numbers the conferences of the process.
var confSeq atomic.Uint64

// callSink takes what a call's stream receives: into the speaker (through the speaker mixer),
// or into the conference mixer while the call is in a conference. It runs on the media clock.
type callSink struct {
	mixer *speakerMixer // nil without sound
	leg   atomic.Pointer[media.ConferenceLeg]
}

func (s *callSink) WriteFrame(pcm []int16) {
	if l := s.leg.Load(); l != nil {
		l.WriteFrame(pcm)
		return
	}
	if s.mixer != nil {
		s.mixer.WriteFrame(pcm)
	}
}

// conference is the conference c is in, or nil.
func (c *call) conference() *conference {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conf
}

func (ss *session) Conference(ctx context.Context, callID string) error {
	c, _, err := ss.callFor(callID, line.FuncConference, false)
	if err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	other, err := ss.s.conferencePartner(c)
	if err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	// The group of the other call must offer conference too.
	if _, _, err := ss.callFor(other.id(), line.FuncConference, false); err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	return ss.s.conference(ctx, c, other)
}

// conferencePartner finds the call to join with c: the one other connected or held call of c's
// client, neither in a conference nor being transferred.
func (s *Server) conferencePartner(c *call) (*call, error) {
	c.mu.Lock()
	id, client, inConf, p := c.info.ID, c.client, c.conf != nil, c.phase
	c.mu.Unlock()
	if inConf {
		return nil, fmt.Errorf("call %s is in a conference already: %w", id, ErrCallState)
	}
	if p != line.PhaseConnected && p != line.PhaseHeld {
		return nil, refused("conference", id, p, c.snapshot().State)
	}
	if err := c.transferIdle("conference"); err != nil {
		return nil, err
	}
	var found []*call
	for _, o := range s.liveCalls() {
		if o == c {
			continue
		}
		o.mu.Lock()
		ok := o.client == client && !o.serverHeld && o.conf == nil &&
			(o.phase == line.PhaseConnected || o.phase == line.PhaseHeld)
		o.mu.Unlock()
		if ok {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("call %s has no other connected or held call beside it to join: %w", id, ErrCallState)
	case 1:
	default:
		return nil, fmt.Errorf("call %s has %d other calls beside it: hang up or end all but one to join two: %w", id, len(found), ErrCallState)
	}
	if err := found[0].transferIdle("conference"); err != nil {
		return nil, err
	}
	return found[0], nil
}

// conference joins a and b: the held one(s) are retrieved, then both streams route through a
// new mixer whose user side is the audio of the call that was talking (a, when both were held).
func (s *Server) conference(ctx context.Context, a, b *call) error {
	owner := a
	if b.snapshot().State == line.CallConnected && a.snapshot().State != line.CallConnected {
		owner = b
	}
	for _, c := range []*call{a, b} {
		c.mu.Lock()
		held, id := c.phase == line.PhaseHeld, c.info.ID
		c.mu.Unlock()
		if held {
			if err := s.setHold(ctx, id, false); err != nil {
				return fmt.Errorf("conference: take call %s off hold: %w", id, err)
			}
		}
	}
	owner.mu.Lock()
	var mic media.FrameSource
	var speaker media.FrameSink
	rate, muted, ownerMixer := owner.audioRate, owner.info.Muted, owner.mixer
	if owner.source != nil && owner.source.mic != nil {
		mic = owner.source.mic
	}
	if ownerMixer != nil {
		speaker = ownerMixer
	}
	owner.mu.Unlock()
	if rate != 8000 && rate != media.ConferenceRate {
		rate = 8000 // no sound: the user side is silent anyway
	}
	mix, err := media.NewConference(mic, speaker, rate)
	if err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	// The user's mute (of the call that was talking) becomes the conference's: the mixer leaves
	// the microphone out, and the streams send the mix.
	mix.SetMicMuted(muted)
	conf := &conference{id: "conf-" + strconv.FormatUint(confSeq.Add(1), 10), mix: mix, speaker: ownerMixer}
	calls := []*call{owner, a}
	if owner == a {
		calls[1] = b
	}
	numbers := make([]string, len(calls))
	for i, c := range calls {
		numbers[i] = c.snapshot().RemoteNumber
	}
	// conf.mu is held while the calls join (before each call's lock), so that a call ending
	// meanwhile finds all of them in conf.legs when it leaves.
	conf.mu.Lock()
	for _, c := range calls {
		c.mu.Lock()
		over, src, sink, id := c.phase.Over(), c.source, c.sink, c.info.ID
		var leg *media.ConferenceLeg
		if !over && src != nil && sink != nil {
			leg, err = mix.Join(c.streamCodec.SampleRate)
		}
		if over || leg == nil {
			c.mu.Unlock()
			joined := conf.legs
			conf.legs = nil
			conf.mu.Unlock()
			for _, o := range joined {
				o.detachConference()
			}
			if err == nil {
				err = fmt.Errorf("call %s ended or has no media: %w", id, ErrCallState)
			}
			return fmt.Errorf("conference: %w", err)
		}
		c.conf, c.confLeg = conf, leg
		src.leg.Store(leg)
		sink.leg.Store(leg)
		if c.stream != nil {
			c.stream.SetMuted(false)
		}
		c.mu.Unlock()
		conf.legs = append(conf.legs, c)
	}
	conf.mu.Unlock()
	s.log.Info("conference", "conference", conf.id, "calls", []string{calls[0].id(), calls[1].id()},
		"audio", owner.id())
	for i, c := range calls {
		c.mu.Lock()
		for j, n := range numbers {
			if j != i && n != "" {
				c.confWith = append(c.confWith, n) // for the journal
			}
		}
		c.mu.Unlock()
		c.update(func(i *line.Call) { i.Muted = muted }) // the clients learn of Conference
	}
	return nil
}

// muteConference mutes or unmutes the user's microphone in c's conference, for all its calls
// (their streams go on sending the other party). It reports false when c is in none.
func (s *Server) muteConference(c *call, muted bool) bool {
	conf := c.conference()
	if conf == nil {
		return false
	}
	conf.mix.SetMicMuted(muted)
	conf.mu.Lock()
	legs := slices.Clone(conf.legs)
	conf.mu.Unlock()
	for _, o := range legs {
		o.update(func(i *line.Call) { i.Muted = muted })
	}
	return true
}

// detachConference takes c out of its conference's mix: its stream talks to its own audio again.
// It reports whether c was in one.
func (c *call) detachConference() bool {
	c.mu.Lock()
	leg, src, sink, stream := c.confLeg, c.source, c.sink, c.stream
	in := c.conf != nil
	c.conf, c.confLeg = nil, nil
	muted := c.info.Muted && c.phase != line.PhaseHeld
	c.mu.Unlock()
	if src != nil {
		src.leg.Store(nil)
	}
	if sink != nil {
		sink.leg.Store(nil)
	}
	if in && stream != nil {
		stream.SetMuted(muted) // the call's own mute again: the stream sends the microphone
	}
	if leg != nil {
		leg.Leave()
	}
	return in
}

// leaveConference is called when c ends: c leaves its conference, and a call left alone in it
// is a normal call again.
func (c *call) leaveConference() {
	conf := c.conference()
	if conf == nil {
		return
	}
	c.detachConference()
	conf.mu.Lock()
	rest := make([]*call, 0, len(conf.legs))
	for _, o := range conf.legs {
		if o != c {
			rest = append(rest, o)
		}
	}
	conf.legs = rest
	if len(rest) <= 1 {
		conf.legs = nil
	} else {
		rest = nil
	}
	conf.mu.Unlock()
	c.s.log.Info("conference: a call left", "conference", conf.id, "call", c.id())
	for _, o := range rest {
		if o.detachConference() {
			c.s.log.Info("conference over: a normal call again", "conference", conf.id, "call", o.id())
			o.update(func(*line.Call) {})
		}
	}
}
