package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// Incoming calls: the INVITE, ringing, and the user's answer or rejection.

// onIncoming takes an INVITE the sip package accepted (its SDP parsed, a codec in common) and the
// screen let through: it rings at the clients or is held ringing by the server.
func (s *Server) onIncoming(in *sip.IncomingCall) {
	l, ok := s.lineFor(in.Line(), in.ToUser())
	if !ok {
		in.Reject(404, "Not Found")
		return
	}
	e, ok := s.effective(l.Name)
	if !ok {
		in.Reject(404, "Not Found")
		return
	}
	c, err := s.newCall(l, line.Incoming)
	if err != nil {
		in.Reject(480, "Temporarily Unavailable")
		return
	}
	from := in.From()
	c.mu.Lock()
	c.info.RemoteNumber, c.info.RemoteName = s.canonicalRemote(e, from.User), from.Display
	c.in = in
	c.mu.Unlock()
	if in.Replaces() != nil {
		// The target of an attended transfer: the caller takes the place of our call with the
		// transferor, answered at once.
		go c.watchRinging()
		s.takeReplacing(c, in)
		return
	}
	go c.watchRinging()
	if d := s.decide(e, true); d.Action == line.ActionForward {
		// Forwarded before it rings: no 180 first.
		err := s.forwardNow(c, e, d.ForwardTo, d.Cause)
		if err == nil {
			return
		}
		s.log.Warn("forwarding failed; the call rings as usual", "call", c.info.ID, "line", l.Name, "error", err)
	}
	if err := in.Ringing(); err != nil {
		c.finish(line.EndFailed, 0, "ringing: "+err.Error())
		return
	}
	s.publishLine(l.Name)
	s.decideIncoming(c, e)
}

// watchRinging ends a ringing incoming call when the caller's side cancels it (RFC 3261 section
// 9.2), also while an answer is under way: a missed call, or one answered elsewhere when the PBX
// says so in the CANCEL's Reason (RFC 3326).
func (c *call) watchRinging() {
	select {
	case <-c.in.Cancelled():
		c.mu.Lock()
		p := c.phase
		c.mu.Unlock()
		if p != line.PhaseRingingIn && p != line.PhaseAnswering {
			return
		}
		if r := c.in.CancelReason(); r.CompletedElsewhere() {
			c.setOutcome(line.OutcomeAnsweredElsewhere, 0)
			c.finish(line.EndAnsweredElsewhere, 487, r.Text)
			return
		}
		c.setOutcome(line.OutcomeMissed, 0)
		c.finish(line.EndCallerGaveUp, 487, "")
	case <-c.done:
	}
}

func (c *call) startRinging() {
	if c.s.audio == nil {
		return
	}
	if m := c.s.talkingMixer(c); m != nil {
		// The user is in a call: a soft tone in that call says a second one rings, instead of
		// the ringer drowning the conversation.
		m.waiting.Store(true)
		c.mu.Lock()
		c.ring, c.waitTone = func() { m.waiting.Store(false) }, true
		c.mu.Unlock()
		return
	}
	stop, err := c.s.audio.Ring()
	if err != nil {
		c.s.log.Warn("ringer failed", "call", c.info.ID, "error", err)
		return
	}
	c.mu.Lock()
	c.ring, c.waitTone = stop, false
	c.mu.Unlock()
}

// rering moves the calls that ring with the call-waiting tone to the ringer once no call talks
// any more (the call they waited beside ended): the user must still hear them.
func (s *Server) rering() {
	if s.audio == nil || s.talkingMixer(nil) != nil {
		return
	}
	for _, o := range s.liveCalls() {
		o.mu.Lock()
		waiting := o.waitTone && o.phase == line.PhaseRingingIn && !o.serverHeld
		o.mu.Unlock()
		if waiting {
			o.stopRinging()
			o.startRinging()
		}
	}
}

// talkingMixer is the speaker of a call other than except that the user is talking in now
// (connected, not held here), nil when there is none.
func (s *Server) talkingMixer(except *call) *speakerMixer {
	for _, o := range s.liveCalls() {
		if o == except {
			continue
		}
		o.mu.Lock()
		p, m, conf := o.phase, o.mixer, o.conf
		o.mu.Unlock()
		if conf != nil {
			m = conf.speaker // the user hears a conference through the talking call's speaker
		}
		if p == line.PhaseConnected && m != nil {
			return m
		}
	}
	return nil
}

// holdOthers puts the calls client is talking in on hold before it answers except (call
// waiting: answering the second call holds the first).
func (s *Server) holdOthers(ctx context.Context, except *call, client string) {
	conf := except.conference()
	for _, o := range s.liveCalls() {
		if o == except || (conf != nil && o.conference() == conf) {
			continue // a call of the same conference stays in it
		}
		o.mu.Lock()
		p, owner, id := o.phase, o.client, o.info.ID
		o.mu.Unlock()
		if p == line.PhaseConnected && owner == client {
			if err := s.setHold(ctx, id, true); err != nil {
				s.log.Warn("call waiting: the first call could not be held", "call", id, "error", err)
			}
		}
	}
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

// answer takes an incoming call that is ringing here; a second answer of the same call is
// refused while the first is under way.
func (s *Server) answer(ctx context.Context, id string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("answer: call %s: %w", id, ErrNoCall)
	}
	c.mu.Lock()
	in := c.in
	p, st := c.phase, c.info.State
	var err error
	if in != nil {
		_, err = c.moveLocked(line.EventAnswer)
	}
	c.mu.Unlock()
	if in == nil || err != nil {
		return refused("answer", id, p, st)
	}
	c.stopForwardTimer()
	c.stopRinging()
	local, err := c.openMedia(s.localHost(c.acct))
	if err != nil {
		in.Reject(500, "Server Internal Error")
		c.finish(line.EndFailed, 500, "no media port: "+err.Error())
		return fmt.Errorf("answer: %w", err)
	}
	ans, err := sip.Negotiate(in.Offer(), local.Codecs)
	if err != nil {
		in.Reject(488, "Not Acceptable Here")
		c.finish(line.EndNoCommonCodec, 488, "")
		return fmt.Errorf("answer: %w", err)
	}
	c.mu.Lock()
	key := c.srtpKey
	c.mu.Unlock()
	sec, err := sip.AnswerCrypto(in.Offer(), c.acct.Encryption, key)
	if err != nil {
		in.Reject(488, "Not Acceptable Here")
		c.finish(line.EndNoEncryption, 488, strings.TrimPrefix(err.Error(), sip.ErrEncryption.Error()+": "))
		return fmt.Errorf("answer: %w", err)
	}
	ans.Crypto, ans.Secure = sec.Local, sec.Secure
	ans.Host, ans.Port = local.Host, local.Port
	c.mu.Lock()
	c.local = ans
	c.mu.Unlock()
	dlg, err := in.Answer(ctx, ans)
	if err != nil {
		c.finish(line.EndFailed, 0, "answer: "+err.Error())
		return fmt.Errorf("answer: %w", err)
	}
	c.connected(dlg)
	return nil
}

// reject declines an incoming call that is ringing here with a SIP status (486 busy, 603
// decline, 480 unavailable); verb names the action in the error.
func (s *Server) reject(verb, id string, code int, reason string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("%s: call %s: %w", verb, id, ErrNoCall)
	}
	c.mu.Lock()
	in := c.in
	p, st := c.phase, c.info.State
	var err error
	if in != nil && p == line.PhaseRingingIn {
		_, err = c.moveLocked(line.EventHangUp)
	}
	c.mu.Unlock()
	if in == nil || p != line.PhaseRingingIn || err != nil {
		return refused(verb, id, p, st)
	}
	if err := in.Reject(code, reason); err != nil {
		// The answer could not be sent (the caller's connection is gone): the call is over here
		// all the same, or it would ring for ever.
		c.finish(line.EndFailed, 0, fmt.Sprintf("reject: %v", err))
		return fmt.Errorf("%s: %w", verb, err)
	}
	c.finish(line.EndRejected, code, reason)
	return nil
}
