package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// Call forwarding and call waiting (issue 14): the line's forwarding rule, as DecideIncoming
// applies it, answers a call with 302 to the rule's target made dialable through the line's
// location (as Deflect does), at once (always, busy, nobody could answer) or after the call has
// rung unanswered for the rule's time; the call is journaled as forwarded. Call waiting off
// makes DecideIncoming answer a second call with the group's busy response.

// forwardNow answers a call that has not been answered with 302 to the decision's target. why
// is the rule that applies, for the log. It fails, leaving the call as it was, when the target
// cannot be dialled from the line or the call no longer rings; a 302 that cannot be sent ends
// the call as failed.
func (s *Server) forwardNow(c *call, e line.Effective, to string, why line.Cause) error {
	target, err := dialable(e, to)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	// The phase moves on first, as for a rejection, so that an answer under way cannot race
	// the 302.
	c.mu.Lock()
	in, st := c.in, c.info.State
	ok := in != nil && c.phase == line.PhaseRingingIn
	if ok {
		_, err = c.moveLocked(line.EventHangUp)
		ok = err == nil
	}
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("forward: call %s is %v: %w", c.info.ID, st, api.ErrCallState)
	}
	c.stopRinging()
	c.setOutcome(line.OutcomeForwarded, 302)
	if err := in.Redirect(target); err != nil {
		// The 302 could not be sent (the caller's connection is gone): the call is over here.
		c.setOutcome(line.OutcomeUnset, 0)
		c.finish(line.EndFailed, 0, "forward: "+err.Error())
		return nil
	}
	c.mu.Lock()
	c.deflectedTo = target
	c.mu.Unlock()
	s.log.Info("call forwarded by the line's rule", "call", c.info.ID, "line", c.info.Line, "cause", why, "to", target)
	c.finish(line.EndForwarded, 302, target)
	return nil
}

// forwardAfter forwards the call once it has rung for d unanswered (a no-answer rule). The
// timer belongs to the call: answering the call (stopForwardTimer) or its end stops it.
func (s *Server) forwardAfter(c *call, e line.Effective, to string, d time.Duration) {
	ctx, cancel := context.WithCancel(c.ctx)
	c.mu.Lock()
	if c.fwdStop != nil {
		c.fwdStop()
	}
	c.fwdStop = cancel
	c.mu.Unlock()
	go func() {
		defer cancel()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		ringing := c.phase == line.PhaseRingingIn
		c.mu.Unlock()
		if !ringing {
			return
		}
		if err := s.forwardNow(c, e, to, line.CauseForwardNoAnswer); err != nil {
			s.log.Warn("no-answer forward failed; the call rings on", "call", c.info.ID, "error", err)
		}
	}()
}

// stopForwardTimer stops the call's no-answer forward, if it has one.
func (c *call) stopForwardTimer() {
	c.mu.Lock()
	stop := c.fwdStop
	c.fwdStop = nil
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// SetForward sets the line's forwarding rule, where the group offers forwarding.
func (ss *session) SetForward(ctx context.Context, lineName string, f line.Forward) error {
	e, err := ss.lineFor(lineName, line.FuncForward)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	f.Target = strings.TrimSpace(f.Target)
	if f.Mode == line.ForwardOff {
		// Switching off keeps the target, so that switching on again offers it.
		f.After = 0
		if f.Target == "" {
			f = line.Forward{}
		}
	}
	if f.Mode != line.ForwardOff && f.Target != "" && !strings.Contains(f.Target, ":") {
		// The registrar may have given the line a number the set-up does not know.
		if own := ss.s.lineNumber(e); own != "" && ss.s.canonicalRemote(e, f.Target) == own {
			return fmt.Errorf("forward: line %q: forward.target: forward to %q: must not be the line itself: %w",
				lineName, f.Target, line.ErrInvalid)
		}
	}
	return ss.s.setLineSwitch(lineName, "forward", func(l *line.Line) { l.Forward = f })
}

// SetCallWaiting switches the line's call waiting, where the group offers it.
func (ss *session) SetCallWaiting(ctx context.Context, lineName string, on bool) error {
	if _, err := ss.lineFor(lineName, line.FuncCallWaiting); err != nil {
		return fmt.Errorf("call waiting: %w", err)
	}
	return ss.s.setLineSwitch(lineName, "call waiting", func(l *line.Line) { l.NoCallWaiting = !on })
}

// setLineSwitch changes a line setting its user owns (forwarding, call waiting): validated with
// the whole set-up, saved, and applied to the running configuration without re-registering.
func (s *Server) setLineSwitch(name, what string, set func(*line.Line)) error {
	s.cfgMu.Lock()
	cfg := s.cfg.Clone() // replaced whole: readers may hold the old one
	l, ok := cfg.Line(name)
	if !ok {
		s.cfgMu.Unlock()
		return fmt.Errorf("%s: line %q: %w", what, name, api.ErrNoLine)
	}
	set(l)
	if err := cfg.Validate(); err != nil {
		s.cfgMu.Unlock()
		return fmt.Errorf("%s: %w", what, err)
	}
	s.cfgMu.Unlock()
	if s.store != nil {
		err := s.store.Update(func(c *line.Config) error {
			l, ok := c.Line(name)
			if !ok {
				return fmt.Errorf("line %q: %w", name, api.ErrNoLine)
			}
			set(l)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: save: %w", what, err)
		}
	}
	s.cfgMu.Lock()
	cfg = s.cfg.Clone()
	if l, ok := cfg.Line(name); ok {
		set(l)
		s.cfg = cfg
		s.lines = indexLines(cfg)
	}
	s.cfgMu.Unlock()
	if l, ok := cfg.Line(name); ok {
		s.log.Info("line setting changed", "line", name, "setting", what, "forward", l.Forward.Mode, "to", l.Forward.Target,
			"call_waiting", !l.NoCallWaiting)
	}
	s.publishLine(name)
	return nil
}
