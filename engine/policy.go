package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
)

// This file applies the line groups' properties to calls (README.md, "Line groups at work"): who answers an incoming call
// (the clients, or the server with the group's "not logged on" response), what a client's
// rejection sends, the calls the server holds ringing with 180, deflection, local pickup, and the
// numbers and locations of the lines.

// WithStore journals calls in st and saves DND changes there. Without it nothing is journaled and
// DND lasts until the server stops.
func WithStore(st *store.Store) Option { return func(s *Server) { s.store = st } }

// WithRingResend sets how often a call held ringing by the server gets its 180 again; default one
// minute (RFC 3261 section 13.3.1.1 asks for a provisional response at least every minute, so that
// proxies do not give up on the INVITE).
func WithRingResend(d time.Duration) Option { return func(s *Server) { s.ringResend = d } }

// defaultRingResend is WithRingResend's default.
const defaultRingResend = time.Minute

// effective returns a line with its group applied, from the configuration the server runs.
func (s *Server) effective(name string) (line.Effective, bool) {
	cfg := s.conf()
	return cfg.Effective(name)
}

// lineNow is what DecideIncoming and the function table read of a line: calls counts its calls
// that have not ended (less the call being decided, where there is one).
func (s *Server) lineNow(l line.Line, reg line.Registration, calls int) line.LineView {
	s.mu.RLock()
	dnd, redial := s.dnd[l.Name], s.redial[l.Name]
	s.mu.RUnlock()
	return line.LineView{Enabled: l.Enabled(), Registered: reg.State == line.RegRegistered, Calls: calls,
		DND: dnd, HasRedial: redial != "", LoggedOn: s.loggedOn(), Forward: l.Forward, NoCallWaiting: l.NoCallWaiting}
}

// decide is line.DecideIncoming for a line of the running configuration now; ringing says the
// call being decided is already among the line's calls and is not to be counted.
func (s *Server) decide(e line.Effective, ringing bool) line.Decision {
	reg, _ := s.Registration(e.Line.Name)
	n, _ := s.callsOn(e.Line.Name)
	if ringing && n > 0 {
		n--
	}
	return line.DecideIncoming(e.Group, s.lineNow(e.Line, reg, n))
}

// screen is the sip endpoint's first look at a new INVITE: a call the server declines by itself
// is answered here at once and journaled, without a dialog.
func (s *Server) screen(inv sip.ScreenedInvite) (int, string) {
	l, ok := s.lineFor(inv.Line, inv.ToUser)
	if !ok {
		return 0, ""
	}
	e, ok := s.effective(l.Name)
	if !ok {
		return 0, ""
	}
	if _, err := sip.AnswerCrypto(inv.Offer, l.Account.Encryption, nil); err != nil {
		// The line's SRTP policy and the caller's offer cannot meet: no client could answer it.
		detail := strings.TrimPrefix(err.Error(), sip.ErrEncryption.Error()+": ")
		s.journalScreened(e, inv, line.EndNoEncryption, 488, detail, line.OutcomeFailed)
		s.log.Info("call refused: media encryption", "line", l.Name, "from", inv.From.User, "reason", detail)
		return 488, "Not Acceptable Here"
	}
	if inv.Replaces != nil {
		// It replaces a call of ours (an attended transfer's target): the line's decline rules
		// are for new calls, not this one.
		return 0, ""
	}
	d := s.decide(e, false)
	if d.Action != line.ActionAnswer {
		return 0, ""
	}
	code := d.Code()
	s.journalScreened(e, inv, line.EndServerAnswered, code, d.Cause.String(), outcomeOfCode(code))
	s.log.Debug("call answered by the line server", "line", l.Name, "code", code, "cause", d.Cause, "from", inv.From.User)
	return code, d.Answer.Phrase()
}

// journalScreened journals a call that screen answered at once: it ended as it came.
func (s *Server) journalScreened(e line.Effective, inv sip.ScreenedInvite, cause line.EndCause, code int, reason string, o line.Outcome) {
	now := time.Now()
	info := line.Call{ID: newCallID(), Line: e.Line.Name, Direction: line.Incoming, State: line.CallEnded,
		RemoteNumber: s.canonicalRemote(e, inv.From.User), RemoteName: inv.From.Display,
		Started: now, Ended: now, EndCause: cause, EndCode: code, EndReason: reason}
	s.journalCall(e, info, o, code, callExtras{})
}

// outcomeOfCode is the journal outcome of a call refused with code: busy for 486 and 600,
// declined otherwise.
func outcomeOfCode(code int) line.Outcome {
	if code == 486 || code == 600 {
		return line.OutcomeBusy
	}
	return line.OutcomeDeclined
}

// canonicalRemote turns a caller ID or a dialled number into the canonical form of the line's
// location; what the location cannot read is kept as it came.
func (s *Server) canonicalRemote(e line.Effective, number string) string {
	if e.Location == nil || number == "" {
		return number
	}
	if c, err := e.Location.Canonical(number); err == nil {
		return c
	}
	return number
}

// displayNumber is the form of a canonical number a person reads at the line's location.
func displayNumber(e line.Effective, number string) string {
	if e.Location == nil || number == "" {
		return number
	}
	return e.Location.Display(number)
}

// lineNumber is the line's own number, canonical: from its registration when the group sets
// numbers automatically (README.md, "Line groups at work": numbers), else the number entered for it.
func (s *Server) lineNumber(e line.Effective) string {
	n := e.ManualNumber
	if e.Group.AutoNumbers {
		r, _ := s.Registration(e.Line.Name)
		n = r.Number
	}
	return s.canonicalRemote(e, n)
}

// dialable is what is sent to the PBX for input on the line: a sip: URI as it is, else the number
// in its dialable form at the line's location, or stripped of spaces and dashes where the line has
// no location.
func dialable(e line.Effective, input string) (string, error) {
	in := strings.TrimSpace(input)
	switch {
	case in == "":
		return "", fmt.Errorf("number: must not be empty: %w", api.ErrBadInput)
	case strings.HasPrefix(in, "sip:") || strings.HasPrefix(in, "sips:"):
		return in, nil
	case e.Location != nil:
		return e.Location.Dialable(in)
	}
	out := strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '/' || r == '(' || r == ')' || r == '.':
			return -1
		case r >= '0' && r <= '9' || r == '*' || r == '#' || r == '+':
			return r
		}
		return 0xFFFD
	}, in)
	if out == "" || strings.ContainsRune(out, 0xFFFD) {
		return "", fmt.Errorf("number %q: may only contain digits, + * # and spaces (the line has no location): %w", input, line.ErrBadNumber)
	}
	return out, nil
}

// holdRinging keeps an incoming call ringing on the server, out of the clients' view (README.md, "Line groups at work"):
// 180 again every ringResend, until the caller cancels, the PBX cancels it (answered elsewhere),
// a client deflects it or picks it up here.
func (c *call) holdRinging() {
	c.mu.Lock()
	c.serverHeld = true
	in := c.in
	c.mu.Unlock()
	c.stopRinging()
	every := c.s.ringResend
	if every <= 0 {
		every = defaultRingResend
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				c.mu.Lock()
				held := c.serverHeld && c.info.State == line.CallRinging
				c.mu.Unlock()
				if !held {
					return
				}
				if err := in.Ringing(); err != nil {
					c.s.log.Debug("180 resend failed", "call", c.info.ID, "error", err)
				}
			case <-c.done:
				return
			}
		}
	}()
}

// decideIncoming applies the decline settings to a new incoming call that the screen let through:
// it rings at the clients, is held ringing, or (when clients logged off in between) is answered
// as the group says.
func (s *Server) decideIncoming(c *call, e line.Effective) {
	d := s.decide(e, true)
	if d.ForwardAfter > 0 {
		s.forwardAfter(c, e, d.ForwardTo, time.Duration(d.ForwardAfter)*time.Second)
	}
	switch d.Action {
	case line.ActionHoldRinging:
		c.holdRinging()
		c.update(func(*line.Call) {})
	case line.ActionForward:
		// The rule came to apply between the INVITE and its 180 (onIncoming forwards first);
		// should the 302 fail, the call rings as usual.
		if err := s.forwardNow(c, e, d.ForwardTo, d.Cause); err != nil {
			s.log.Warn("forwarding failed; the call rings as usual", "call", c.info.ID, "error", err)
			c.startRinging()
			c.update(func(*line.Call) {})
		}
	case line.ActionAnswer:
		code := d.Code()
		c.setOutcome(outcomeOfCode(code), code)
		if err := c.in.Reject(code, d.Answer.Phrase()); err != nil {
			c.finish(line.EndFailed, 0, "answer: "+err.Error())
			return
		}
		c.finish(line.EndServerAnswered, code, d.Cause.String())
	default:
		c.startRinging()
		c.update(func(*line.Call) {})
	}
}

// declineByClient rejects a ringing call as the group's "reject calls by clients" setting says
// (README.md, "Line groups at work"): the client's choice, a fixed status, or 180 (the call leaves
// the clients and rings on at the server).
func (s *Server) declineByClient(c *call, e line.Effective, reason api.DeclineReason, client string) error {
	r := s.decide(e, true).DeclineWith(reason != api.DeclineDecline)
	switch r {
	case line.ResponseUnset:
		return fmt.Errorf("decline: group %q does not offer it: %w", e.Group.Name, line.ErrFunctionDisabled)
	case line.ResponseRinging:
		c.mu.Lock()
		ok := c.phase == line.PhaseRingingIn && !c.serverHeld
		c.mu.Unlock()
		if !ok {
			return fmt.Errorf("decline: call %s is no longer ringing here: %w", c.info.ID, api.ErrCallState)
		}
		view := c.view(c.snapshot())
		c.holdRinging()
		s.publish(api.Event{Type: api.EventCallRemoved, Call: &view})
		s.publishLine(c.info.Line)
		s.log.Info("call held ringing at the server after a client declined it", "call", c.info.ID, "line", c.info.Line)
		return nil
	}
	c.setClient(client)
	c.setOutcome(outcomeOfCode(r.Code()), r.Code())
	return s.reject("decline", c.info.ID, r.Code(), r.Phrase())
}

// deflect forwards a call ringing here or held ringing with 302 (README.md, "Line groups at work").
func (s *Server) deflect(c *call, e line.Effective, number, client string) error {
	target, err := dialable(e, number)
	if err != nil {
		return fmt.Errorf("deflect: %w", err)
	}
	c.mu.Lock()
	in, st, ringing := c.in, c.info.State, c.phase == line.PhaseRingingIn
	c.mu.Unlock()
	if in == nil || !ringing {
		return fmt.Errorf("deflect: call %s is %v: %w", c.info.ID, st, api.ErrCallState)
	}
	c.setClient(client)
	c.setOutcome(line.OutcomeDeflected, 302)
	if err := in.Redirect(target); err != nil {
		c.setOutcome(line.OutcomeUnset, 0)
		return fmt.Errorf("deflect: %w", err)
	}
	c.mu.Lock()
	c.deflectedTo = target
	c.mu.Unlock()
	c.finish(line.EndDeflected, 302, target)
	return nil
}

// heldRingingAt returns the oldest call the server holds ringing on a line whose number is
// number (in any form: canonical, display, internal or the account's user), or nil.
func (s *Server) heldRingingAt(number string) *call {
	number = strings.TrimSpace(number)
	if number == "" {
		return nil
	}
	var names []string
	for _, l := range s.conf().Lines {
		if !l.Enabled() {
			continue
		}
		e, ok := s.effective(l.Name)
		if !ok {
			continue
		}
		own := s.lineNumber(e)
		match := number == l.Account.User || (own != "" && (number == own || number == displayNumber(e, own)))
		if !match && own != "" && e.Location != nil {
			if c, err := e.Location.Canonical(number); err == nil && c == own {
				match = true
			}
		}
		if match {
			names = append(names, l.Name)
		}
	}
	var oldest *call
	var oldestStarted time.Time
	s.callMu.Lock()
	for _, c := range s.calls {
		c.mu.Lock()
		ok := c.serverHeld && c.phase == line.PhaseRingingIn
		started, ln := c.info.Started, c.info.Line
		c.mu.Unlock()
		if ok && slices.Contains(names, ln) && (oldest == nil || started.Before(oldestStarted)) {
			oldest, oldestStarted = c, started
		}
	}
	s.callMu.Unlock()
	return oldest
}

// pickUpLocally answers a call the server holds ringing and connects it to the user (README.md, "Line groups at work": pickup).
func (s *Server) pickUpLocally(ctx context.Context, c *call, client string) error {
	c.mu.Lock()
	c.serverHeld = false
	c.pickedUp = true
	c.client = client
	c.mu.Unlock()
	s.publishLine(c.info.Line)
	if err := s.answer(ctx, c.info.ID); err != nil {
		return fmt.Errorf("pickup: %w", err)
	}
	s.log.Info("call picked up locally", "call", c.info.ID, "line", c.info.Line, "client", client)
	return nil
}

// applyLogOff gives calls ringing at the clients the "not logged on" response once the last client
// has logged off: nobody is left to answer them.
func (s *Server) applyLogOff() {
	if s.loggedOn() {
		return
	}
	s.callMu.Lock()
	var ringing []*call
	for _, c := range s.calls {
		c.mu.Lock()
		if c.in != nil && c.phase == line.PhaseRingingIn && !c.serverHeld {
			ringing = append(ringing, c)
		}
		c.mu.Unlock()
	}
	s.callMu.Unlock()
	for _, c := range ringing {
		e, ok := s.effective(c.info.Line)
		if !ok {
			continue
		}
		d := s.decide(e, true)
		switch d.Action {
		case line.ActionHoldRinging:
			c.holdRinging()
			s.publishLine(c.info.Line)
		case line.ActionForward:
			// A no-answer rule: nobody is left to answer it.
			if err := s.forwardNow(c, e, d.ForwardTo, d.Cause); err != nil {
				s.log.Debug("ringing call not forwarded at log-off", "call", c.info.ID, "error", err)
			}
		case line.ActionAnswer:
			code := d.Code()
			c.setOutcome(outcomeOfCode(code), code)
			if err := s.reject("log off", c.info.ID, code, d.Answer.Phrase()); err != nil {
				s.log.Debug("ringing call not answered at log-off", "call", c.info.ID, "error", err)
			}
		}
		// ActionRing: a client logged on again in the meantime; the call rings on at it.
	}
}
