package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// Errors of the call API.
// The first five are package api's, so that clients can test for them without importing the engine.
var (
	ErrNoLine      = api.ErrNoLine
	ErrLineOff     = api.ErrLineOff
	ErrNoCall      = api.ErrNoCall
	ErrCallState   = api.ErrCallState
	ErrNotRunning  = api.ErrNotRunning
	errCallStopped = errors.New("line server stopping")
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

// WithCallFunc is called after every change of a call (state, hold, DTMF, end), in order for each
// call. It must not block, and must not call the Server's call methods itself (start a goroutine
// for that): it runs while the call's report is being made.
func WithCallFunc(f func(line.Call)) Option {
	return func(s *Server) { s.onCall = append(s.onCall, f) }
}

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

	mu     sync.Mutex
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
	answering bool // connected has taken over the call's audio
	rtp       net.PacketConn
	rtcp      net.PacketConn
	local     sip.MediaDesc
	ring      func()

	// ctx lives as long as the call; finish cancels it, which stops the call's goroutines.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the call ends
	// mediaRunning is set while a media stream owns the sockets; its goroutine then releases
	// them when the stream stops, else finish does.
	mediaRunning bool
	// accepting is set once Answer has taken the call, so a second Answer is refused.
	accepting bool
	// reportMu orders the reports of this call: it is held from a change to its report, so a
	// stale report (say "alerting") cannot reach a client after the "ended" one. Taken before mu.
	reportMu sync.Mutex
	// mediaEnded receives the stream's end (nil, or ErrInactive...) once; streamCodec is the
	// codec the stream runs with.
	mediaEnded  chan error
	streamCodec media.Codec
	releaseOnce sync.Once

	// What the clients and the journal know of the call besides line.Call (under mu).
	dialled     string // sent to the PBX, for an outgoing call
	featureCode string // the feature code's name the call dialled
	client      string // the client that handled it
	serverHeld  bool   // the server holds it ringing, out of the clients' view
	pickedUp    bool   // picked up locally from serverHeld
	deflectedTo string
	outcome     line.Outcome // set by the path that ends the call; unset: derived at the end
	outcomeCode int
	journalID   uint64
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
	if c.info.State == line.CallEnded {
		c.mu.Unlock()
		return
	}
	f(&c.info)
	info := c.info
	c.mu.Unlock()
	c.s.reportCall(c, info)
}

// reportCall tells the WithCallFunc functions and the clients of a change; a call the server
// holds ringing is shown to clients only in its line's list.
func (s *Server) reportCall(c *call, info line.Call) {
	for _, f := range s.onCall {
		f(info)
	}
	c.mu.Lock()
	held := c.serverHeld
	c.mu.Unlock()
	if held {
		s.publishLine(info.Line)
		return
	}
	if s.loggedOn() {
		v := c.view(info)
		s.publish(api.Event{Type: api.EventCall, Call: &v})
	}
}

// Calls returns every call that has not ended, oldest first.
func (s *Server) Calls() []line.Call {
	s.callMu.Lock()
	cs := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	s.callMu.Unlock()
	out := make([]line.Call, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.snapshot())
	}
	sortCalls(out)
	return out
}

func sortCalls(cs []line.Call) {
	slices.SortStableFunc(cs, func(a, b line.Call) int { return a.Started.Compare(b.Started) })
}

// Call returns one call's snapshot.
func (s *Server) Call(id string) (line.Call, bool) {
	c := s.call(id)
	if c == nil {
		return line.Call{}, false
	}
	return c.snapshot(), true
}

func (s *Server) call(id string) *call {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	return s.calls[id]
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

// lineForUser finds the enabled line whose account user is user.
func (s *Server) lineForUser(user string) (line.Line, bool) {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	l, ok := s.users[user]
	return l, ok
}

// Dial places a call on a line to target: a number or user ("201", "+4989123"), or a sip: URI,
// sent as it is (clients dial through their session, which applies the line's location). It
// returns once the INVITE is under way; the call's progress arrives through WithCallFunc and
// Calls.
func (s *Server) Dial(ctx context.Context, lineName, target string) (line.Call, error) {
	e, ok := s.effective(lineName)
	if !ok {
		return line.Call{}, fmt.Errorf("dial: line %q: %w", lineName, ErrNoLine)
	}
	v, err := s.dialAs(ctx, e, target, targetUser(strings.TrimSpace(target)), callExtras{})
	if err != nil {
		return line.Call{}, err
	}
	c, ok := s.Call(v.ID)
	if !ok {
		c = line.Call{ID: v.ID, Line: v.Line, Direction: v.Direction, State: v.State, Started: v.Started,
			Ended: v.Ended, EndCode: v.EndCode, EndReason: v.EndReason}
	}
	return c, nil
}

// dialAs places a call on a line to target (sent as it is); remote is the number the journal and
// the clients show for it.
func (s *Server) dialAs(ctx context.Context, e line.Effective, target, remote string, ex callExtras) (api.Call, error) {
	l := e.Line
	if !l.Enabled() {
		return api.Call{}, fmt.Errorf("dial: line %q: %w", l.Name, ErrLineOff)
	}
	target = strings.TrimSpace(target)
	if target == "" {
		return api.Call{}, fmt.Errorf("dial: no number given: %w", api.ErrBadInput)
	}
	c, err := s.newCall(l, line.Outgoing, line.CallDialing)
	if err != nil {
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	c.mu.Lock()
	c.dialled, c.featureCode, c.client = target, ex.featureCode, ex.client
	c.mu.Unlock()
	c.update(func(i *line.Call) { i.RemoteNumber = remote })
	s.publishLine(l.Name)
	local, err := c.openMedia(s.localHost(l.Account))
	if err != nil {
		c.finish(0, "no media port: "+err.Error())
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	out, err := s.ep.Dial(ctx, l.Account, target, local)
	if err != nil {
		c.finish(0, "call could not be placed: "+err.Error())
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	c.mu.Lock()
	c.out = out
	ended := c.info.State == line.CallEnded
	c.mu.Unlock()
	if ended {
		// Hung up (or the server stopped) while the INVITE went out.
		out.Cancel()
		return c.view(c.snapshot()), nil
	}
	go c.runOutgoing()
	return c.view(c.snapshot()), nil
}

func targetUser(target string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(target, "sips:"), "sip:")
	t = strings.TrimPrefix(t, "tel:")
	if i := strings.IndexByte(t, '@'); i >= 0 {
		t = t[:i]
	}
	return t
}

// localHost is the address put in SDP for a line's calls: the one its registrar reaches us on.
func (s *Server) localHost(a line.Account) string { return s.ep.LocalIP(a) }

func (s *Server) newCall(l line.Line, dir line.CallDirection, st line.CallState) (*call, error) {
	ctx, cancel := context.WithCancel(s.callCtxOrNil())
	c := &call{
		s:      s,
		acct:   l.Account,
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

// openMedia binds the call's RTP and RTCP sockets and returns our media description.
func (c *call) openMedia(host string) (sip.MediaDesc, error) {
	rtp, rtcp, err := listenRTP(c.s.rtpIP(), c.s.rtpMin, c.s.rtpMax)
	if err != nil {
		return sip.MediaDesc{}, err
	}
	c.mu.Lock()
	c.rtp, c.rtcp = rtp, rtcp
	c.local = sip.MediaDesc{
		Host:      host,
		Port:      portOf(rtp),
		Codecs:    c.s.codecList(),
		EventPT:   101,
		Direction: media.SendRecv,
	}
	local := c.local
	c.mu.Unlock()
	return local, nil
}

// runOutgoing follows an outgoing call from INVITE to answer or failure.
func (c *call) runOutgoing() {
	out := c.out
	ctx := c.ctx
	go func() {
		for p := range out.Progress() {
			if p.Code == 180 || p.Code == 183 {
				c.update(func(i *line.Call) {
					if i.State == line.CallDialing {
						i.State = line.CallAlerting
					}
				})
				if p.Code == 183 && p.Early != nil {
					// Early media: the far end plays announcements or its own ringback.
					c.startEarlyMedia(*p.Early)
				} else {
					c.startRingback()
				}
			}
		}
	}()
	dlg, err := out.Wait(ctx)
	if err != nil {
		var ce *sip.CallError
		if errors.As(err, &ce) {
			busy := ce.Code == 486 || ce.Code == 600
			c.end(ce.Code, failureReason(ce.Code, ce.Reason), busy)
		} else if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			c.finish(487, "cancelled")
		} else {
			c.finish(0, err.Error())
		}
		return
	}
	c.connected(dlg)
}

// failureReason words a final failure response for the user.
func failureReason(code int, reason string) string {
	text := fmt.Sprintf("%d %s", code, reason)
	switch code {
	case 486, 600:
		return "busy (" + text + ")"
	case 603:
		return "declined (" + text + ")"
	case 480:
		return "not available (" + text + ")"
	case 404, 604:
		return "number not found (" + text + ")"
	case 408:
		return "no answer (" + text + ")"
	case 487:
		return "cancelled (" + text + ")"
	case 488, 606:
		return "no common codec (" + text + ")"
	case 401, 407, 403:
		return "not authorised to call (" + text + ")"
	}
	return text
}

// Answer takes an incoming call that is ringing here.
func (s *Server) Answer(ctx context.Context, id string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("answer: call %s: %w", id, ErrNoCall)
	}
	c.mu.Lock()
	in := c.in
	st := c.info.State
	taken := c.accepting
	c.accepting = c.accepting || (in != nil && st == line.CallRinging)
	c.mu.Unlock()
	if taken {
		return fmt.Errorf("answer: call %s is being answered already: %w", id, ErrCallState)
	}
	if in == nil || st != line.CallRinging {
		return fmt.Errorf("answer: call %s is %v: %w", id, st, ErrCallState)
	}
	c.stopRinging()
	local, err := c.openMedia(s.localHost(c.acct))
	if err != nil {
		in.Reject(500, "Server Internal Error")
		c.finish(500, "no media port: "+err.Error())
		return fmt.Errorf("answer: %w", err)
	}
	ans, err := sip.Negotiate(in.Offer(), local.Codecs)
	if err != nil {
		in.Reject(488, "Not Acceptable Here")
		c.finish(488, "no common codec")
		return fmt.Errorf("answer: %w", err)
	}
	ans.Host, ans.Port = local.Host, local.Port
	c.mu.Lock()
	c.local = ans
	c.mu.Unlock()
	dlg, err := in.Answer(ctx, ans)
	if err != nil {
		c.finish(0, "answer failed: "+err.Error())
		return fmt.Errorf("answer: %w", err)
	}
	c.connected(dlg)
	return nil
}

// Reject declines an incoming call that is ringing here with a SIP status (486 busy, 603
// decline, 480 unavailable).
func (s *Server) Reject(id string, code int, reason string) error {
	return s.reject("reject", id, code, reason)
}

func (s *Server) reject(verb, id string, code int, reason string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("%s: call %s: %w", verb, id, ErrNoCall)
	}
	c.mu.Lock()
	in := c.in
	st := c.info.State
	taken := c.accepting
	c.mu.Unlock()
	if taken {
		return fmt.Errorf("%s: call %s is being answered: %w", verb, id, ErrCallState)
	}
	if in == nil || st != line.CallRinging {
		return fmt.Errorf("%s: call %s is %v: %w", verb, id, st, ErrCallState)
	}
	if err := in.Reject(code, reason); err != nil {
		// The answer could not be sent (the caller's connection is gone): the call is over here
		// all the same, or it would ring for ever.
		c.finish(0, fmt.Sprintf("rejecting failed: %v", err))
		return fmt.Errorf("%s: %w", verb, err)
	}
	c.finish(code, fmt.Sprintf("rejected here (%d %s)", code, reason))
	return nil
}

// HangUp ends a call: BYE when connected, CANCEL while an outgoing call is not answered, and a
// ringing incoming call is rejected with 603 Decline. The call ends here at once (its media
// stops); the BYE or CANCEL follows within ctx.
func (s *Server) HangUp(ctx context.Context, id string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("hang up: call %s: %w", id, ErrNoCall)
	}
	reason := "hung up here"
	if s.callCtxOrNil().Err() != nil {
		reason = "line server stopped"
	}
	c.mu.Lock()
	st, dlg, out, dir := c.info.State, c.dlg, c.out, c.info.Direction
	c.mu.Unlock()
	switch {
	case dlg != nil:
		c.finish(0, reason)
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return dlg.Hangup(bctx)
	case st == line.CallRinging:
		return s.reject("hang up", id, 603, "Decline")
	case dir == line.Outgoing && st != line.CallEnded:
		// Not answered yet, or answered a moment ago and still connecting: end it here; the
		// attempt sends CANCEL, and an answer that crosses it gets a BYE.
		if out != nil {
			out.Cancel()
		}
		if reason == "hung up here" {
			reason = "cancelled here"
		}
		c.finish(487, reason)
		return nil
	}
	return fmt.Errorf("hang up: call %s is %v: %w", id, st, ErrCallState)
}

// Hold puts a connected call on hold (re-INVITE with sendonly); Retrieve takes it back.
func (s *Server) Hold(ctx context.Context, id string) error { return s.setHold(ctx, id, true) }

// Retrieve takes a held call back.
func (s *Server) Retrieve(ctx context.Context, id string) error { return s.setHold(ctx, id, false) }

func (s *Server) setHold(ctx context.Context, id string, hold bool) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("hold: call %s: %w", id, ErrNoCall)
	}
	c.mu.Lock()
	st, dlg, stream := c.info.State, c.dlg, c.stream
	c.mu.Unlock()
	want := line.CallConnected
	if !hold {
		want = line.CallHeld
	}
	if dlg == nil || st != want {
		return fmt.Errorf("hold: call %s is %v: %w", id, st, ErrCallState)
	}
	var err error
	if hold {
		err = dlg.Hold(ctx)
	} else {
		err = dlg.Resume(ctx)
	}
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	c.applyDirection(stream, dlg.Remote().Direction, hold)
	// The held party hears silence, not our microphone; retrieving restores the user's mute.
	c.mu.Lock()
	userMuted := c.info.Muted
	c.mu.Unlock()
	stream.SetMuted(hold || userMuted)
	c.update(func(i *line.Call) {
		if hold {
			i.State = line.CallHeld
		} else {
			i.State = line.CallConnected
		}
	})
	return nil
}

// applyDirection sets the stream to the direction that follows from the far end's answer or
// offer (its direction reversed), and mutes our sending while we hold.
func (c *call) applyDirection(stream *media.Stream, remote media.Direction, heldHere bool) {
	if stream == nil {
		return
	}
	d := remote.Reverse()
	if heldHere && d.Receives() {
		// We hold: do not play what arrives even if the far end keeps sending.
		if d.Sends() {
			d = media.SendOnly
		} else {
			d = media.Inactive
		}
	}
	stream.SetDirection(d)
}

// SendDTMF sends digits on a connected call: RFC 4733 events when the far end offered
// telephone-event, SIP INFO otherwise.
func (s *Server) SendDTMF(ctx context.Context, id, digits string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("dtmf: call %s: %w", id, ErrNoCall)
	}
	for _, d := range digits {
		if !strings.ContainsRune("0123456789*#ABCD", d) {
			return fmt.Errorf("dtmf: %q: %w", d, media.ErrBadDigit)
		}
	}
	c.mu.Lock()
	st, dlg, stream, mixer := c.info.State, c.dlg, c.stream, c.mixer
	c.mu.Unlock()
	if dlg == nil || (st != line.CallConnected && st != line.CallHeld) {
		return fmt.Errorf("dtmf: call %s is %v: %w", id, st, ErrCallState)
	}
	const digitLength = 100 * time.Millisecond
	for _, d := range digits {
		err := stream.SendDTMF(d, digitLength)
		if errors.Is(err, media.ErrNoTelephoneEvent) {
			err = dlg.SendDTMFInfo(ctx, d)
		}
		if err != nil {
			return fmt.Errorf("dtmf: %w", err)
		}
		if mixer != nil {
			// The user hears the digit in the speaker while it is sent.
			mixer.feedback(d, digitLength)
		}
		// A pause between digits so the far end tells repeated digits apart.
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// SetMuted stops or restarts sending the microphone on a call.
func (s *Server) SetMuted(id string, muted bool) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("mute: call %s: %w", id, ErrNoCall)
	}
	c.mu.Lock()
	stream, held := c.stream, c.info.State == line.CallHeld
	c.mu.Unlock()
	if stream != nil {
		stream.SetMuted(muted || held)
	}
	c.update(func(i *line.Call) { i.Muted = muted })
	return nil
}

// onIncoming takes an INVITE the sip package accepted (its SDP parsed, a codec in common) and the
// screen let through: it rings at the clients or is held ringing by the server.
func (s *Server) onIncoming(in *sip.IncomingCall) {
	l, ok := s.lineForUser(in.ToUser())
	if !ok {
		in.Reject(404, "Not Found")
		return
	}
	e, ok := s.effective(l.Name)
	if !ok {
		in.Reject(404, "Not Found")
		return
	}
	c, err := s.newCall(l, line.Incoming, line.CallRinging)
	if err != nil {
		in.Reject(480, "Temporarily Unavailable")
		return
	}
	from := in.From()
	c.mu.Lock()
	c.info.RemoteNumber, c.info.RemoteName = s.canonicalRemote(e, from.User), from.Display
	c.in = in
	c.mu.Unlock()
	if err := in.Ringing(); err != nil {
		c.finish(0, "could not signal ringing: "+err.Error())
		return
	}
	s.publishLine(l.Name)
	s.decideIncoming(c, e)
	go c.watchRinging()
}

// watchRinging ends a ringing incoming call when the caller's side cancels it: a missed call, or
// one answered elsewhere when the PBX says so in the CANCEL's Reason.
func (c *call) watchRinging() {
	select {
	case <-c.in.Cancelled():
		c.mu.Lock()
		st := c.info.State
		c.mu.Unlock()
		if st != line.CallRinging {
			return
		}
		if r := c.in.CancelReason(); r.CompletedElsewhere() {
			c.setOutcome(line.OutcomeAnsweredElsewhere, 0)
			c.finish(487, "answered elsewhere ("+r.Text+")")
			return
		}
		c.setOutcome(line.OutcomeMissed, 0)
		c.finish(487, "the caller hung up before answer")
	case <-c.done:
	}
}

func (c *call) startRinging() {
	if c.s.audio == nil {
		return
	}
	stop, err := c.s.audio.Ring()
	if err != nil {
		c.s.log.Warn("ringer failed", "call", c.info.ID, "error", err)
		return
	}
	c.mu.Lock()
	c.ring = stop
	c.mu.Unlock()
}

func (c *call) stopRinging() {
	c.mu.Lock()
	stop := c.ring
	c.ring = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// connected starts the media of an answered call; a goroutine of its own follows it to the end.
func (c *call) connected(dlg *sip.Dialog) {
	remote := dlg.Remote()
	codec := remote.Codecs[0]
	c.mu.Lock()
	early, earlyCodec := c.stream, c.streamCodec
	c.answering = true // from here on no early media starts
	c.mu.Unlock()
	if early != nil {
		if earlyCodec != codec {
			hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
			dlg.Hangup(hctx)
			hcancel()
			c.finish(0, fmt.Sprintf("the far end answered with %s after early media in %s", codec.Name, earlyCodec.Name))
			return
		}
		// The early media stream goes on as the call's stream, towards the answer's address.
		early.SetRemote(addrPort(remote.Host, remote.Port))
		early.SetDirection(remote.Direction.Reverse())
		early.SetInactivityTimeout(c.s.inactivity)
		c.mu.Lock()
		early.SetMuted(c.info.Muted)
		c.mu.Unlock()
		c.established(dlg, early, codec)
		return
	}
	audio := c.takeAudio(codec.SampleRate)
	stream, mixer, err := c.newStream(remote, audio, c.s.inactivity)
	if err != nil {
		if audio != nil {
			audio.Close()
		}
		dlg.Hangup(context.Background())
		c.mu.Lock()
		c.dlg = dlg
		c.mu.Unlock()
		c.finish(0, "media could not start: "+err.Error())
		return
	}
	c.mu.Lock()
	if c.info.State == line.CallEnded {
		// Hung up while we were connecting: finish has released the sockets already.
		c.mu.Unlock()
		if audio != nil {
			audio.Close()
		}
		hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
		dlg.Hangup(hctx)
		hcancel()
		return
	}
	c.audio, c.audioRate, c.mixer = audio, codec.SampleRate, mixer
	c.startStreamLocked(stream, codec)
	c.mu.Unlock()
	c.established(dlg, stream, codec)
}

// startStreamLocked runs the call's media stream; its goroutine releases the call's sockets and
// audio once the stream stopped and the call ended. c.mu is held.
func (c *call) startStreamLocked(stream *media.Stream, codec media.Codec) {
	ended := make(chan error, 1)
	c.stream, c.streamCodec, c.mediaEnded = stream, codec, ended
	c.mediaRunning = true
	go func() {
		ended <- stream.Run(c.ctx)
		<-c.done
		c.release()
	}()
}

// established records an answered call whose stream runs, and follows it to its end.
func (c *call) established(dlg *sip.Dialog, stream *media.Stream, codec media.Codec) {
	c.reportMu.Lock()
	c.mu.Lock()
	if c.info.State == line.CallEnded {
		c.mu.Unlock()
		c.reportMu.Unlock()
		hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
		dlg.Hangup(hctx)
		hcancel()
		return
	}
	c.dlg = dlg
	c.info.State = line.CallConnected
	c.info.Answered = time.Now()
	c.info.Codec = codec.Name
	info := c.info
	c.mu.Unlock()
	c.s.reportCall(c, info)
	c.reportMu.Unlock()
	dlg.OnDTMFInfo(c.dtmfReceived)
	dlg.OnRemoteChange(func(d sip.MediaDesc) {
		c.mu.Lock()
		held := c.info.State == line.CallHeld
		c.mu.Unlock()
		if d.Port != 0 {
			stream.SetRemote(addrPort(d.Host, d.Port))
		}
		c.applyDirection(stream, d.Direction, held)
		c.update(func(i *line.Call) { i.HeldByRemote = !d.Direction.Receives() })
	})

	go c.follow(dlg)
}

// follow waits until the dialog or the media ends and ends the call accordingly.
func (c *call) follow(dlg *sip.Dialog) {
	c.mu.Lock()
	ended := c.mediaEnded
	c.mu.Unlock()
	select {
	case <-dlg.Done():
		reason := dlg.EndReason().Text
		if dlg.EndReason().Remote {
			reason = "the other party hung up"
		}
		c.finish(0, reason)
	case err := <-ended:
		c.mu.Lock()
		over := c.info.State == line.CallEnded
		c.mu.Unlock()
		if over {
			// Ended here (finish was called): the BYE is on its way already.
			return
		}
		hctx, hcancel := context.WithTimeout(context.Background(), 2*time.Second)
		dlg.Hangup(hctx)
		hcancel()
		switch {
		case c.ctx.Err() != nil:
			c.finish(0, "line server stopped")
		case errors.Is(err, media.ErrInactive):
			c.finish(0, "no audio received (RTP timeout)")
		default:
			c.finish(0, fmt.Sprintf("media failed: %v", err))
		}
	}
}

func (c *call) dtmfReceived(d rune) {
	c.update(func(i *line.Call) { i.DTMFReceived += string(d) })
}

func addrPort(host string, port int) netip.AddrPort {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(port))
}

// finish ends the call once: it records why, reports it, forgets the call and stops its
// goroutines; the sockets and audio are released here unless a media stream owns them.
func (c *call) finish(code int, reason string) { c.end(code, reason, false) }

// end is finish; with busy (an outgoing call the far end answered busy) the speaker plays the busy
// tone for a while before the audio is released.
func (c *call) end(code int, reason string, busy bool) {
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	c.mu.Lock()
	if c.info.State == line.CallEnded {
		c.mu.Unlock()
		return
	}
	c.info.State = line.CallEnded
	c.info.Ended = time.Now()
	c.info.EndCode = code
	c.info.EndReason = reason
	if c.stream != nil {
		c.info.LossPercent = c.stream.Stats().LossPercent
	}
	ring := c.ring
	c.ring = nil
	media := c.mediaRunning
	info := c.info
	c.mu.Unlock()

	if ring != nil {
		ring()
	}
	c.cancel()
	close(c.done)
	c.s.callMu.Lock()
	delete(c.s.calls, info.ID)
	c.s.callMu.Unlock()
	switch {
	case busy && !media && c.s.audio != nil:
		go c.playBusy()
	case !media:
		c.release()
	}
	c.s.log.Info("call ended", "call", info.ID, "line", info.Line, "direction", info.Direction,
		"remote", info.RemoteNumber, "code", code, "reason", reason)
	if id := c.journalEnded(info); id != 0 {
		c.mu.Lock()
		c.journalID = id
		c.mu.Unlock()
	}
	c.s.reportCall(c, info)
	c.s.publishLine(info.Line)
}

// release closes the call's audio and sockets, once, after its media stopped.
func (c *call) release() {
	c.releaseOnce.Do(func() {
		c.mu.Lock()
		rtp, rtcp, audio, tone := c.rtp, c.rtcp, c.audio, c.tone
		c.audio, c.tone, c.mixer = nil, nil, nil
		c.mu.Unlock()
		tone.Stop() // before the audio closes: the tone writes into it
		if audio != nil {
			audio.Close()
		}
		if rtp != nil {
			rtp.Close()
		}
		if rtcp != nil {
			rtcp.Close()
		}
		c.s.callWG.Done()
	})
}

// endAllCalls hangs up every call (the server is stopping) and waits until they have ended.
func (s *Server) endAllCalls() {
	s.callMu.Lock()
	cs := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	s.callMu.Unlock()
	for _, c := range cs {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.HangUp(ctx, c.info.ID); err != nil && !errors.Is(err, ErrNoCall) {
			c.finish(0, "line server stopped")
		}
		cancel()
	}
	s.callWG.Wait()
}

// startRingback opens the call's audio while an outgoing call rings at the far end and plays the
// ringback tone into its speaker until the call is answered or ends. The audio is opened at the
// rate of our preferred codec; connected keeps it when the answer's codec has that rate.
func (c *call) startRingback() {
	if c.s.audio == nil {
		return
	}
	c.mu.Lock()
	ok := c.info.State == line.CallAlerting && !c.answering && c.audio == nil && c.stream == nil
	c.mu.Unlock()
	if !ok {
		return
	}
	rate := c.s.codecList()[0].SampleRate
	a, err := c.s.audio.OpenCall(rate)
	if err != nil {
		c.s.log.Warn("call audio failed: no ringback", "call", c.info.ID, "error", err)
		return
	}
	c.mu.Lock()
	if c.info.State != line.CallAlerting || c.answering || c.audio != nil {
		// Answered or ended while the audio opened.
		c.mu.Unlock()
		a.Close()
		return
	}
	c.audio, c.audioRate = a, rate
	c.tone = playTone(c.ctx, a, rate, media.Ringback, 0)
	c.mu.Unlock()
}

// playBusy plays the busy tone into the speaker of a call that ended busy, for busyToneFor or until
// the line server stops, and then releases the call. It opens the audio when the call had none
// yet (busy without ringing first).
func (c *call) playBusy() {
	defer c.release()
	c.mu.Lock()
	a, rate, tone := c.audio, c.audioRate, c.tone
	c.tone = nil
	c.mu.Unlock()
	tone.Stop()
	srvCtx := c.s.callCtxOrNil()
	if a == nil {
		if srvCtx.Err() != nil {
			return
		}
		rate = c.s.codecList()[0].SampleRate
		na, err := c.s.audio.OpenCall(rate)
		if err != nil {
			c.s.log.Warn("call audio failed: no busy tone", "call", c.info.ID, "error", err)
			return
		}
		a = na
		c.mu.Lock()
		c.audio, c.audioRate = a, rate
		c.mu.Unlock()
	}
	busy := playTone(srvCtx, a, rate, media.Busy, busyToneFor)
	<-busy.Done()
}

// startEarlyMedia starts the call's media on a 183 with SDP before the answer, so that the caller
// hears what the far end plays (announcements, its own ringback) instead of our ringback. The
// stream goes on as the call's stream when the call is answered.
func (c *call) startEarlyMedia(early sip.MediaDesc) {
	if len(early.Codecs) == 0 || early.Port == 0 {
		c.startRingback()
		return
	}
	codec := early.Codecs[0]
	c.mu.Lock()
	if c.info.State == line.CallEnded || c.answering || c.stream != nil {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	audio := c.takeAudio(codec.SampleRate)
	// No inactivity timeout before the answer: a far end may send a 183 and then ring silently.
	stream, mixer, err := c.newStream(early, audio, -1)
	if err == nil {
		// Nobody has answered yet: the far end hears silence, not the caller's room.
		stream.SetMuted(true)
	}
	if err != nil {
		c.s.log.Warn("early media could not start", "call", c.info.ID, "error", err)
		if audio != nil {
			audio.Close()
		}
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info.State == line.CallEnded || c.answering || c.stream != nil {
		if audio != nil {
			audio.Close()
		}
		return
	}
	c.audio, c.audioRate, c.mixer = audio, codec.SampleRate, mixer
	c.startStreamLocked(stream, codec)
}

// takeAudio silences the ringback and returns the call's audio at rate: the audio the ringback
// played into when its rate fits, else newly opened (nil without sound).
func (c *call) takeAudio(rate int) CallAudio {
	c.mu.Lock()
	audio, had, tone := c.audio, c.audioRate, c.tone
	c.audio, c.tone = nil, nil
	c.mu.Unlock()
	tone.Stop()
	if audio != nil && had != rate {
		audio.Close()
		audio = nil
	}
	if audio == nil && c.s.audio != nil {
		a, err := c.s.audio.OpenCall(rate)
		if err != nil {
			c.s.log.Warn("call audio failed: the call goes on without sound", "call", c.info.ID, "error", err)
			return nil
		}
		audio = a
	}
	return audio
}

// newStream makes the media stream towards remote on the call's sockets, playing into audio's
// speaker through a mixer for DTMF feedback.
func (c *call) newStream(remote sip.MediaDesc, audio CallAudio, inactivity time.Duration) (*media.Stream, *speakerMixer, error) {
	codec := remote.Codecs[0]
	c.mu.Lock()
	cfg := media.StreamConfig{
		Conn:              c.rtp,
		RTCPConn:          c.rtcp,
		Remote:            addrPort(remote.Host, remote.Port),
		RemoteRTCP:        addrPort(remote.Host, remote.Port+1),
		Codec:             codec,
		EventPT:           remote.EventPT,
		Direction:         remote.Direction.Reverse(),
		InactivityTimeout: inactivity,
		OnDTMF:            c.dtmfReceived,
		Logger:            c.s.log,
	}
	c.mu.Unlock()
	var mixer *speakerMixer
	if audio != nil {
		mixer = newSpeakerMixer(audio, codec.SampleRate)
		cfg.Source, cfg.Sink = audio, mixer
	}
	stream, err := media.NewStream(cfg)
	return stream, mixer, err
}
