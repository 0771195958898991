package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// Call transfer (RFC 5589) in both roles. As transferor Lineup holds the call, sends REFER and
// follows the transferee's NOTIFYs: a 2xx ends the call as transferred, a failure takes it back.
// As transferee it calls the REFER's target on the same line, reports that call's progress, and
// leaves the original call to the transferor to end. As the target of an attended transfer it
// takes an INVITE with Replaces in the place of the call it names.

// transferTimeout bounds how long a transfer waits for the transferee's final report: the
// target may ring for a while, but a transferee that never reports must not leave the call
// held for ever.
const transferTimeout = 3 * time.Minute

// replacedGrace is how long the consultation call of a completed attended transfer waits for
// the target's BYE (it replaced that call) before Lineup ends it itself.
const replacedGrace = 5 * time.Second

func (ss *session) Transfer(ctx context.Context, callID, number string) error {
	c, e, err := ss.callFor(callID, line.FuncTransfer, false)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	target, err := dialable(e, number)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	if strings.TrimSpace(target) == "" {
		return fmt.Errorf("transfer: no number given: %w", api.ErrBadInput)
	}
	if ss.s.ForwardsToLine(e, target) {
		return fmt.Errorf("transfer: %q is this call's own line: %w", number, api.ErrBadInput)
	}
	return ss.s.transfer(ctx, c, strings.TrimSpace(number), target, nil)
}

// ForwardsToLine reports whether target (dialable form) is the line's own number or user: a
// call passed there would come straight back.
func (s *Server) ForwardsToLine(e line.Effective, target string) bool {
	l := e.Line
	if n := s.lineNumber(e); n != "" {
		l.Number = n
	}
	return line.ForwardsToItself(l, target) || line.ForwardsToItself(l, targetUser(target))
}

func (ss *session) Consult(ctx context.Context, callID, number string) (api.Call, error) {
	c, e, err := ss.callFor(callID, line.FuncTransfer, false)
	if err != nil {
		return api.Call{}, fmt.Errorf("consult: %w", err)
	}
	if err := c.transferIdle("consult"); err != nil {
		return api.Call{}, err
	}
	if _, err := ss.lineFor(e.Line.Name, line.FuncDial); err != nil {
		return api.Call{}, fmt.Errorf("consult: %w", err)
	}
	target, err := dialable(e, number)
	if err != nil {
		return api.Call{}, fmt.Errorf("consult: %w", err)
	}
	if info := c.snapshot(); info.State == line.CallConnected {
		if err := ss.s.setHold(ctx, callID, true); err != nil {
			return api.Call{}, fmt.Errorf("consult: %w", err)
		}
	}
	c.setClient(ss.client)
	remote := target
	if e.Location != nil {
		remote = ss.s.canonicalRemote(e, strings.TrimSpace(number))
	}
	return ss.s.dialAs(ctx, e, target, targetUser(remote), callExtras{client: ss.client, consultFor: callID})
}

func (ss *session) CompleteTransfer(ctx context.Context, callID string) error {
	if err := ss.check(); err != nil {
		return err
	}
	held, consult, err := ss.s.consultPair(callID)
	if err != nil {
		return fmt.Errorf("complete transfer: %w", err)
	}
	// The user passes on the held call: the group must offer transfer on it.
	if _, _, err := ss.callFor(held.id(), line.FuncTransfer, false); err != nil {
		return fmt.Errorf("complete transfer: %w", err)
	}
	cinfo := consult.snapshot()
	if !inCall(cinfo.State) {
		return fmt.Errorf("complete transfer: the consultation call is %s, not answered yet: %w", cinfo.State, ErrCallState)
	}
	consult.mu.Lock()
	dlg, dialled := consult.dlg, consult.dialled
	consult.mu.Unlock()
	if dlg == nil {
		return fmt.Errorf("complete transfer: the consultation call is not connected: %w", ErrCallState)
	}
	id := dlg.ID()
	return ss.s.transfer(ctx, held, cinfo.RemoteNumber, dialled, &transferJoin{consult: consult, dialog: id})
}

// transferJoin is the consultation an attended transfer completes.
type transferJoin struct {
	consult *call
	dialog  sip.DialogID
}

func (c *call) id() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info.ID
}

// consultPair finds the held call and its consultation from either one's ID.
func (s *Server) consultPair(id string) (held, consult *call, err error) {
	c := s.call(id)
	if c == nil {
		return nil, nil, fmt.Errorf("call %s: %w", id, api.ErrNoCall)
	}
	c.mu.Lock()
	of := c.consultFor
	c.mu.Unlock()
	if of != "" {
		h := s.call(of)
		if h == nil {
			return nil, nil, fmt.Errorf("call %s consulted about call %s, which has ended: %w", id, of, ErrCallState)
		}
		return h, c, nil
	}
	for _, o := range s.liveCalls() {
		o.mu.Lock()
		match := o.consultFor == id && !o.phase.Over()
		o.mu.Unlock()
		if match {
			return c, o, nil
		}
	}
	return nil, nil, fmt.Errorf("call %s has no consultation call (Consult first): %w", id, ErrCallState)
}

// transferIdle refuses a second transfer of a call while one is under way.
func (c *call) transferIdle(verb string) error {
	c.mu.Lock()
	st, id := c.transfer.State, c.info.ID
	c.mu.Unlock()
	if st == api.TransferPending || st == api.TransferRinging {
		return fmt.Errorf("%s: call %s is being transferred already: %w", verb, id, ErrCallState)
	}
	return nil
}

func (c *call) setTransfer(f func(*api.TransferStatus)) {
	c.reportMu.Lock()
	c.mu.Lock()
	if c.phase == line.PhaseEnded {
		c.mu.Unlock()
		c.reportMu.Unlock()
		return
	}
	f(&c.transfer)
	info := c.info
	c.mu.Unlock()
	c.reportMu.Unlock()
	c.s.reportCall(c, info)
}

// transfer passes call c on to target (dialable form; shown is what the user gave): it holds
// the call, sends REFER and follows the outcome in the background. join is set for an attended
// transfer. It returns once the far end accepted the REFER, or with its refusal after taking
// the call back.
func (s *Server) transfer(ctx context.Context, c *call, shown, target string, join *transferJoin) error {
	if err := c.transferIdle("transfer"); err != nil {
		return err
	}
	c.mu.Lock()
	dlg, acct, id, st := c.dlg, c.acct, c.info.ID, c.info.State
	c.mu.Unlock()
	if dlg == nil {
		return fmt.Errorf("transfer: call %s is not connected: %w", id, ErrCallState)
	}
	c.setTransfer(func(t *api.TransferStatus) {
		*t = api.TransferStatus{State: api.TransferPending, Target: shown, Attended: join != nil}
	})
	if st == line.CallConnected {
		// RFC 5589 section 6.1: the transferee is held while it calls the target.
		if err := s.setHold(ctx, id, true); err != nil {
			c.setTransfer(func(t *api.TransferStatus) { t.State, t.Reason = api.TransferFailed, err.Error() })
			return fmt.Errorf("transfer: %w", err)
		}
	}
	var replaces *sip.DialogID
	if join != nil {
		replaces = &join.dialog
	}
	rctx, cancel := context.WithTimeout(ctx, 32*time.Second)
	ref, err := s.ep.Refer(rctx, dlg, acct, target, replaces)
	cancel()
	if err != nil {
		code, reason := 0, err.Error()
		var ce *sip.CallError
		if errors.As(err, &ce) {
			code, reason = ce.Code, ce.Reason
		}
		s.transferFailed(c, code, reason, join == nil)
		s.log.Info("transfer refused", "call", id, "target", target, "code", code, "reason", reason)
		if code != 0 {
			return fmt.Errorf("transfer: the other party refused (%d %s): %w", code, reason, api.ErrRefused)
		}
		return fmt.Errorf("transfer: %w", err)
	}
	s.log.Info("transfer under way", "call", id, "target", target, "attended", join != nil)
	if join != nil {
		// The target's BYE on the consultation may come before the transferee's report that the
		// replacing call is answered: from now on it is the replacement, not a hang-up.
		join.consult.noteEnd(&endNote{line.EndTransferred, line.OutcomeTransferred, shown})
	}
	go s.followTransfer(c, ref, shown, join)
	return nil
}

// followTransfer reads the transferee's reports until the outcome: a 2xx ends the call (and the
// consultation an attended transfer replaced) as transferred; a failure takes the call back
// (blind) or leaves both calls as they are for the user to choose (attended).
func (s *Server) followTransfer(c *call, ref *sip.Referral, shown string, join *transferJoin) {
	timeout := time.NewTimer(transferTimeout)
	defer timeout.Stop()
	for {
		select {
		case p, ok := <-ref.Progress():
			switch {
			case !ok:
				// The call ended before the outcome (the far end hung up): nothing to take back.
				c.setTransfer(func(t *api.TransferStatus) { t.State = api.TransferFailed })
				return
			case p.Final && p.Code >= 200 && p.Code < 300:
				c.setTransfer(func(t *api.TransferStatus) {
					t.State, t.Code, t.Reason = api.TransferDone, p.Code, p.Reason
				})
				s.endTransferred(c, shown)
				if join != nil {
					go s.endReplaced(join.consult, shown)
				}
				return
			case p.Final:
				if join != nil {
					join.consult.noteEnd(nil) // the consultation stays as it was
				}
				s.transferFailed(c, p.Code, p.Reason, join == nil)
				return
			default:
				c.setTransfer(func(t *api.TransferStatus) {
					if p.Code >= 180 {
						t.State = api.TransferRinging
					}
					t.Code, t.Reason = p.Code, p.Reason
				})
			}
		case <-timeout.C:
			if join != nil {
				join.consult.noteEnd(nil)
			}
			s.transferFailed(c, 408, "No final answer from the transfer", join == nil)
			return
		case <-c.done:
			return
		}
	}
}

// transferFailed records a failed transfer and, with takeBack, retrieves the call: the user
// talks to the caller again.
func (s *Server) transferFailed(c *call, code int, reason string, takeBack bool) {
	c.setTransfer(func(t *api.TransferStatus) { t.State, t.Code, t.Reason = api.TransferFailed, code, reason })
	if !takeBack {
		return
	}
	c.mu.Lock()
	id, client, p := c.info.ID, c.client, c.phase
	c.mu.Unlock()
	if p != line.PhaseHeld {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 32*time.Second)
	defer cancel()
	s.holdOthers(ctx, c, client)
	if err := s.setHold(ctx, id, false); err != nil {
		s.log.Warn("failed transfer: the call could not be taken back", "call", id, "error", err)
	}
}

// endTransferred ends a call that was passed on: BYE, journaled as transferred to whom.
func (s *Server) endTransferred(c *call, to string) {
	c.setOutcome(line.OutcomeTransferred, 0)
	ctx, cancel := context.WithTimeout(context.Background(), hangUpTimeout)
	defer cancel()
	if err := s.hangUpAs(ctx, c.id(), line.EndTransferred, to); err != nil {
		s.log.Debug("transferred call: bye", "error", err)
	}
}

// endReplaced ends the consultation call of a completed attended transfer: the target replaced
// it and sends BYE by itself; after a grace period Lineup ends it.
func (s *Server) endReplaced(c *call, to string) {
	c.setOutcome(line.OutcomeTransferred, 0)
	c.noteEnd(&endNote{line.EndTransferred, line.OutcomeTransferred, to})
	select {
	case <-c.done:
	case <-time.After(replacedGrace):
		s.endTransferred(c, to)
	}
}

// endNote replaces how a call that the far end hangs up is recorded: a consultation call the
// target replaced ended as transferred, not as hung up there.
type endNote struct {
	cause   line.EndCause
	outcome line.Outcome
	detail  string
}

// noteEnd sets (or with nil clears) how the far end's hang-up of the call is recorded.
func (c *call) noteEnd(n *endNote) {
	c.mu.Lock()
	c.endAs = n
	c.mu.Unlock()
}

// onRefer takes a REFER from the far end of one of our calls (we are the transferee): it is
// accepted when the call is connected or held and the line may dial; then the target is called
// on the same line and its progress reported.
func (s *Server) onRefer(r *sip.IncomingRefer) (int, string) {
	var c *call
	for _, o := range s.liveCalls() {
		o.mu.Lock()
		match := o.dlg == r.Dialog
		o.mu.Unlock()
		if match {
			c = o
			break
		}
	}
	if c == nil {
		return 481, "Call/Transaction Does Not Exist"
	}
	info := c.snapshot()
	e, ok := s.effective(info.Line)
	if !ok || !e.Line.Enabled() {
		return 480, "Temporarily Unavailable"
	}
	if !inCall(info.State) {
		return 491, "Request Pending"
	}
	if !e.Group.FunctionEnabled(line.FuncTransfer) || !e.Group.FunctionEnabled(line.FuncDial) {
		return 603, "Decline"
	}
	if err := c.transferIdle("refer"); err != nil {
		return 491, "Request Pending"
	}
	who := r.Target.User
	if who == "" {
		who = r.Target.URI
	}
	c.setTransfer(func(t *api.TransferStatus) {
		*t = api.TransferStatus{State: api.TransferPending, Target: who, Attended: r.Target.Replaces != nil}
	})
	s.log.Info("transfer asked by the far end", "call", info.ID, "target", r.Target.URI, "replaces", r.Target.Replaces != nil)
	go s.runReferred(c, e, r)
	return 202, "Accepted"
}

// runReferred calls a REFER's target and tells the transferor how it goes (RFC 3515 section
// 2.4.5): 100 at once, 180 when the target rings, the final status at the end.
func (s *Server) runReferred(c *call, e line.Effective, r *sip.IncomingRefer) {
	ctx, cancel := context.WithTimeout(c.ctx, transferTimeout)
	defer cancel()
	notify := func(code int, reason string) {
		nctx, ncancel := context.WithTimeout(ctx, 10*time.Second)
		defer ncancel()
		if err := r.Notify(nctx, code, reason); err != nil {
			s.log.Debug("transfer progress not delivered", "code", code, "error", err)
		}
	}
	notify(100, "Trying")
	info := c.snapshot()
	if info.State == line.CallConnected {
		if err := s.setHold(ctx, info.ID, true); err != nil {
			s.log.Debug("transferee: the call to pass on is not held", "error", err)
		}
	}
	c.mu.Lock()
	client := c.client
	c.mu.Unlock()
	var opts []sip.DialOption
	if r.Target.Replaces != nil {
		opts = append(opts, sip.WithReplaces(*r.Target.Replaces))
	}
	if r.ReferredBy != "" {
		opts = append(opts, sip.WithReferredBy(r.ReferredBy))
	}
	who := r.Target.User
	if who == "" {
		who = r.Target.URI
	}
	states := make(chan line.Call, 16)
	first, err := s.dialAs(ctx, e, r.Target.URI, s.canonicalRemote(e, r.Target.User),
		callExtras{client: client, dialOpts: opts, observe: func(i line.Call) {
			select {
			case states <- i:
			default:
			}
		}})
	if err != nil {
		notify(503, "Service Unavailable")
		c.setTransfer(func(t *api.TransferStatus) { t.State, t.Code, t.Reason = api.TransferFailed, 503, err.Error() })
		return
	}
	rang := false
	for {
		select {
		case i := <-states:
			if i.ID != first.ID {
				continue
			}
			switch {
			case i.State == line.CallAlerting && !rang:
				rang = true
				notify(180, "Ringing")
				c.setTransfer(func(t *api.TransferStatus) { t.State, t.Code, t.Reason = api.TransferRinging, 180, "Ringing" })
			case i.State == line.CallConnected:
				notify(200, "OK")
				c.setTransfer(func(t *api.TransferStatus) { t.State, t.Code, t.Reason = api.TransferDone, 200, "OK" })
				// The transferor ends the original call (RFC 5589 section 6.1); one that does not
				// is ended here once it has had time to.
				c.setOutcome(line.OutcomeTransferred, 0)
				c.noteEnd(&endNote{line.EndTransferred, line.OutcomeTransferred, who})
				select {
				case <-c.done:
				case <-time.After(replacedGrace):
					s.endTransferred(c, who)
				}
				return
			case i.State == line.CallEnded:
				code, reason := i.EndCode, i.EndReason
				if code < 300 {
					code, reason = 487, "Request Terminated"
				}
				notify(code, reason)
				c.setTransfer(func(t *api.TransferStatus) { t.State, t.Code, t.Reason = api.TransferFailed, code, reason })
				return
			}
		case <-ctx.Done():
			notify(408, "Request Timeout")
			return
		}
	}
}

// replacedCall finds the call an INVITE with Replaces names (we are the target of an attended
// transfer), nil when none of ours matches.
func (s *Server) replacedCall(r *sip.Replaces) *call {
	want := r.Dialog()
	for _, o := range s.liveCalls() {
		o.mu.Lock()
		d := o.dlg
		o.mu.Unlock()
		if d != nil && d.ID() == want {
			return o
		}
	}
	return nil
}

// takeReplacing answers an INVITE with Replaces in the place of the call it names (RFC 3891
// section 3): at once, for the client of that call, which then ends as transferred. It
// reports false when the named call is not one to replace here, and the INVITE is refused.
func (s *Server) takeReplacing(c *call, in *sip.IncomingCall) bool {
	old := s.replacedCall(in.Replaces())
	if old == nil {
		_ = in.Reject(481, "Call/Transaction Does Not Exist")
		c.finish(line.EndFailed, 481, "replaces names no call")
		return true
	}
	old.mu.Lock()
	client, oldRemote := old.client, old.info.RemoteNumber
	old.mu.Unlock()
	c.setClient(client)
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	if err := s.answer(ctx, c.id()); err != nil {
		s.log.Warn("replacing call not answered", "error", err)
		return true
	}
	old.setOutcome(line.OutcomeTransferred, 0)
	info := c.snapshot()
	who := info.RemoteNumber
	if who == "" {
		who = oldRemote
	}
	if err := s.hangUpAs(ctx, old.id(), line.EndTransferred, who); err != nil {
		s.log.Debug("replaced call: bye", "error", err)
	}
	return true
}

// inCall reports whether a call in state st is connected or held: a transfer acts on those.
func inCall(st line.CallState) bool { return st == line.CallConnected || st == line.CallHeld }
