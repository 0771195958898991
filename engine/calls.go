package engine

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// The calls of the line server. This file holds the call type, the registry of calls and their
// reports; call_out.go places calls, call_in.go takes them, call_media.go runs their media (hold,
// DTMF, mute) and call_end.go ends them. Every change of a call's phase goes through
// line.CallPhase.Next (package line's call state machine), under the call's lock.

// Errors of the calls.
// The first five are package api's, so that clients can test for them without importing the engine.
var (
	ErrNoLine     = api.ErrNoLine
	ErrLineOff    = api.ErrLineOff
	ErrNoCall     = api.ErrNoCall
	ErrCallState  = api.ErrCallState
	ErrNotRunning = api.ErrNotRunning
)

// Audio gives calls their microphone and speaker and rings the ringer. The desktop app passes the
// sound devices (package media/device); the headless server and tests may pass anything that
// produces and takes frames.
type Audio interface {
	// OpenCall opens the call audio at sampleRate (8000 or 16000 Hz).
	OpenCall(sampleRate int) (CallAudio, error)
	// Ring starts the ringtone; stop ends it.
	Ring() (stop func(), err error)
}

// CallAudio is one call's microphone (FrameSource) and speaker (FrameSink).
type CallAudio interface {
	media.FrameSource
	media.FrameSink
	Close() error
}

// WithAudio sets where calls take and play their sound; without it calls send silence and
// discard what they receive.
func WithAudio(a Audio) Option { return func(s *Server) { s.audio = a } }

// WithCodecs sets the codecs offered and accepted, in order of preference; default
// media.Codecs().
func WithCodecs(cs ...media.Codec) Option { return func(s *Server) { s.codecs = cs } }

// WithInactivityTimeout ends a call when no RTP arrived for d while media is expected; default
// 30 s.
func WithInactivityTimeout(d time.Duration) Option {
	return func(s *Server) { s.inactivity = d }
}

// call is one call's state and the parts that carry it.
type call struct {
	s    *Server
	acct line.Account

	mu sync.Mutex
	// phase is where the call stands (package line's state machine); it changes only through
	// moveLocked. info.State is what clients see of it.
	phase  line.CallPhase
	info   line.Call
	in     *sip.IncomingCall
	out    *sip.OutgoingCall
	dlg    *sip.Dialog
	stream *media.Stream
	audio  CallAudio
	// audioRate is the sample rate audio was opened at; tone plays ringback or busy into it
	// before the call's media (or after it failed); mixer adds DTMF feedback to the speaker.
	audioRate int
	tone      *tonePlayer
	mixer     *speakerMixer
	rtp       net.PacketConn
	rtcp      net.PacketConn
	local     sip.MediaDesc
	ring      func()
	waitTone  bool // ring is the call-waiting tone in a talking call, not the ringer

	// ctx lives as long as the call; finish cancels it, which stops the call's goroutines.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the call ends
	// mediaRunning is set while a media stream owns the sockets; its goroutine then releases
	// them when the stream stops, else finish does.
	mediaRunning bool
	// reportMu orders the reports of this call: it is held from a change to its report, so a
	// stale report (say "alerting") cannot reach a client after the "ended" one. Taken before mu.
	reportMu sync.Mutex
	// mediaEnded receives the stream's end (nil, or ErrInactive...) once; streamCodec is the
	// codec the stream runs with.
	mediaEnded  chan error
	streamCodec media.Codec
	// srtpKey is our SRTP master key and salt for the call, made with its media when the line's
	// policy is not off.
	srtpKey []byte
	// source is what the stream sends (microphone or hold music), sink where what it receives
	// goes (the speaker); both route through the conference mixer while conf is set
	// (conference.go).
	source      *callSource
	sink        *callSink
	conf        *conference
	confLeg     *media.ConferenceLeg
	confWith    []string // the other parties' numbers, for the journal
	releaseOnce sync.Once

	// What the clients and the journal know of the call besides line.Call (under mu).
	dialled     string // sent to the PBX, for an outgoing call
	featureCode string // the feature code's name the call dialled
	client      string // the client that handled it
	serverHeld  bool   // the server holds it ringing, out of the clients' view
	pickedUp    bool   // picked up locally from serverHeld
	deflectedTo string
	fwdStop     context.CancelFunc // stops the no-answer forward (forward.go)
	// consultFor is the held call this consultation call is about; transfer is where a
	// transfer of this call stands; endAs, when set, is how the call is recorded when the far end
	// ends it (a call passed on by a transfer); observe sees every report (transfer.go).
	consultFor  string
	transfer    api.TransferStatus
	endAs       *endNote
	observe     func(line.Call)
	outcome     line.Outcome // set by the path that ends the call; unset: derived at the end
	outcomeCode int
	journalID   uint64
}

// moveLocked applies ev to the call's phase and returns the phase it left; what clients see
// follows the new phase. A refused event changes nothing and returns an error wrapping
// line.ErrCallTransition. c.mu is held.
func (c *call) moveLocked(ev line.CallEvent) (line.CallPhase, error) {
	prev := c.phase
	next, err := prev.Next(ev)
	if err != nil {
		return prev, err
	}
	c.phase = next
	if st, ok := next.Shown(); ok {
		c.info.State = st
	}
	return prev, nil
}

// move applies ev to the call's phase and reports the change.
func (c *call) move(ev line.CallEvent) error {
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	c.mu.Lock()
	_, err := c.moveLocked(ev)
	info := c.info
	c.mu.Unlock()
	if err != nil {
		return err
	}
	c.s.reportCall(c, info)
	return nil
}

// refused is the error of an action that the call's phase p does not permit: it says what the
// user sees of the call (its state), or that it is being answered or ended.
func refused(verb, id string, p line.CallPhase, st line.CallState) error {
	switch p {
	case line.PhaseAnswering:
		return fmt.Errorf("%s: call %s is being answered: %w", verb, id, ErrCallState)
	case line.PhaseEnding:
		return fmt.Errorf("%s: call %s is ending: %w", verb, id, ErrCallState)
	}
	return fmt.Errorf("%s: call %s is %v: %w", verb, id, st, ErrCallState)
}

func (c *call) snapshot() line.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	info := c.info
	if c.stream != nil {
		st := c.stream.Stats()
		info.LossPercent = st.LossPercent
	}
	return info
}

// update changes the call under its lock and reports the change; an ended call stays as it is.
func (c *call) update(f func(*line.Call)) {
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	c.mu.Lock()
	if c.phase == line.PhaseEnded {
		c.mu.Unlock()
		return
	}
	f(&c.info)
	info := c.info
	c.mu.Unlock()
	c.s.reportCall(c, info)
}

// reportCall tells the clients of a change; a call the server holds ringing is shown to clients
// only in its line's list.
func (s *Server) reportCall(c *call, info line.Call) {
	c.mu.Lock()
	held, observe := c.serverHeld, c.observe
	c.mu.Unlock()
	if observe != nil {
		observe(info)
	}
	if held {
		s.publishLine(info.Line)
		return
	}
	if s.loggedOn() {
		v := c.view(info)
		s.publish(api.Event{Type: api.EventCall, Call: &v})
	}
}

func (s *Server) call(id string) *call {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	return s.calls[id]
}

// liveCalls returns every call that has not ended, in no order.
func (s *Server) liveCalls() []*call {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	cs := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	return cs
}

func (s *Server) addCall(c *call) error {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	if s.callCtx == nil || s.callCtx.Err() != nil {
		return ErrNotRunning
	}
	s.calls[c.info.ID] = c
	s.callWG.Add(1)
	return nil
}

// lineFor finds the enabled line a call is for: the line of that name (the registration it was
// routed to), else the one whose account user is user.
func (s *Server) lineFor(name, user string) (line.Line, bool) {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	if l, ok := s.lines.byName[name]; ok {
		return l, true
	}
	l, ok := s.lines.byUser[user]
	return l, ok
}

// newCall registers a new call on a line, in the phase its direction starts in.
func (s *Server) newCall(l line.Line, dir line.CallDirection) (*call, error) {
	ctx, cancel := context.WithCancel(s.callCtxOrNil())
	phase := line.StartPhase(dir)
	st, _ := phase.Shown()
	c := &call{
		s:      s,
		acct:   l.Account,
		phase:  phase,
		info:   line.Call{ID: newCallID(), Line: l.Name, Direction: dir, State: st, Started: time.Now()},
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	if err := s.addCall(c); err != nil {
		cancel()
		return nil, err
	}
	return c, nil
}

func (s *Server) callCtxOrNil() context.Context {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	if s.callCtx == nil {
		return context.Background()
	}
	return s.callCtx
}

func (s *Server) codecList() []media.Codec {
	if len(s.codecs) > 0 {
		return s.codecs
	}
	return media.Codecs()
}

// localHost is the address put in SDP for a line's calls: the one its registrar reaches us on.
func (s *Server) localHost(a line.Account) string { return s.ep.LocalIP(a) }
