package apitest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// The fake's sessions: every api.Session method, checked against package line's function
// table as the engine checks it.

// Session is a fake session; see Phone.
type Session struct {
	p      *Phone
	id     string
	client string
	events chan api.Event
	lost   bool
	closed bool
}

var _ api.Session = (*Session)(nil)

// push queues an event; the caller holds p.mu. A full queue drops the event and sends
// api.EventResync once there is room again.
func (s *Session) push(ev api.Event) {
	if s.closed {
		return
	}
	if s.lost {
		select {
		case s.events <- api.Event{Type: api.EventResync}:
			s.lost = false
		default:
			return
		}
	}
	select {
	case s.events <- ev:
	default:
		s.lost = true
	}
}

// Client returns the name given at log-on.
func (s *Session) Client() string { return s.client }

// ID returns the session's ID.
func (s *Session) ID() string { return s.id }

// Events returns the session's events; the channel is closed at LogOff.
func (s *Session) Events() <-chan api.Event { return s.events }

// begin locks the phone, checks the session and the failure set for method, and records the
// action. The caller unlocks p.mu when err is nil.
func (s *Session) begin(method, target, arg string) error {
	p := s.p
	p.mu.Lock()
	if s.closed {
		p.mu.Unlock()
		return fmt.Errorf("client %q: %w", s.client, api.ErrLoggedOff)
	}
	if err := p.fails[method]; err != nil {
		p.mu.Unlock()
		return err
	}
	if method != "Lines" && method != "Calls" && method != "Journal" && method != "Dialable" && method != "Config" {
		p.actions = append(p.actions, Action{Client: s.client, Method: method, Target: target, Arg: arg})
	}
	return nil
}

// Lines lists the lines in configured order.
func (s *Session) Lines(ctx context.Context) ([]api.Line, error) {
	if err := s.begin("Lines", "", ""); err != nil {
		return nil, err
	}
	defer s.p.mu.Unlock()
	out := make([]api.Line, 0, len(s.p.cfg.Lines))
	for _, l := range s.p.cfg.Lines {
		out = append(out, s.p.lineView(l.Name))
	}
	return out, nil
}

// Calls lists the calls that have not ended, oldest first.
func (s *Session) Calls(ctx context.Context) ([]api.Call, error) {
	if err := s.begin("Calls", "", ""); err != nil {
		return nil, err
	}
	defer s.p.mu.Unlock()
	out := make([]api.Call, 0, len(s.p.calls))
	for _, c := range s.p.calls {
		out = append(out, s.p.callView(c))
	}
	return out, nil
}

// lineFor checks that the line exists, is in use and offers f now.
func (p *Phone) lineFor(name string, f line.Function) error {
	l, ok := p.cfg.Line(name)
	if !ok {
		return fmt.Errorf("line %q: %w", name, api.ErrNoLine)
	}
	if !l.Enabled() {
		return fmt.Errorf("line %q: %w", name, api.ErrLineOff)
	}
	if err := line.CheckLineFunction(p.group(name), p.lineLook(name), f); err != nil {
		return fmt.Errorf("line %q: %w", name, err)
	}
	return nil
}

// callFor finds a call and checks that it offers f now.
func (p *Phone) callFor(id string, f line.Function) (*api.Call, error) {
	c := p.find(id)
	if c == nil {
		return nil, fmt.Errorf("call %s: %w", id, api.ErrNoCall)
	}
	if err := line.CheckCallFunction(p.group(c.Line), lineCall(c), f); err != nil {
		return nil, fmt.Errorf("call %s: %w", id, err)
	}
	return c, nil
}

func dialable(input string) (string, error) {
	in := strings.TrimSpace(input)
	if strings.HasPrefix(strings.ToLower(in), "sip:") {
		return in, nil
	}
	var b strings.Builder
	for _, r := range in {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#', r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case r == ' ', r == '-', r == '/', r == '(', r == ')':
		default:
			return "", fmt.Errorf("number %q: may only contain digits, + * # and spaces: %w", input, line.ErrBadNumber)
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("number: must not be empty: %w", api.ErrBadInput)
	}
	return b.String(), nil
}

// Dialable returns the input without spaces and separators.
func (s *Session) Dialable(ctx context.Context, lineName, input string) (string, error) {
	if err := s.begin("Dialable", lineName, input); err != nil {
		return "", err
	}
	defer s.p.mu.Unlock()
	if _, ok := s.p.cfg.Line(lineName); !ok {
		return "", fmt.Errorf("line %q: %w", lineName, api.ErrNoLine)
	}
	return dialable(input)
}

func (s *Session) dial(lineName, input string) (api.Call, error) {
	p := s.p
	if err := p.lineFor(lineName, line.FuncDial); err != nil {
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	target, err := dialable(input)
	if err != nil {
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	p.lines[lineName].redial = strings.TrimSpace(input)
	return s.outgoing(lineName, target, target, ""), nil
}

func (s *Session) outgoing(lineName, dialled, remote, featureCode string) api.Call {
	p := s.p
	c := p.newCall(lineName, line.Outgoing, line.CallDialing)
	c.Dialled, c.RemoteNumber, c.RemoteDisplay, c.FeatureCode = dialled, remote, remote, featureCode
	p.publishCall(c)
	p.publishLine(lineName)
	return p.callView(c)
}

// Dial makes an outgoing call to the dialable form of input.
func (s *Session) Dial(ctx context.Context, lineName, input string) (api.Call, error) {
	if err := s.begin("Dial", lineName, input); err != nil {
		return api.Call{}, err
	}
	defer s.p.mu.Unlock()
	return s.dial(lineName, input)
}

// Redial dials the line's last dialled number again.
func (s *Session) Redial(ctx context.Context, lineName string) (api.Call, error) {
	if err := s.begin("Redial", lineName, ""); err != nil {
		return api.Call{}, err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncRedial); err != nil {
		return api.Call{}, fmt.Errorf("redial: %w", err)
	}
	return s.dial(lineName, s.p.lines[lineName].redial)
}

// FeatureCode dials the group's feature code verbatim.
func (s *Session) FeatureCode(ctx context.Context, lineName, name string) (api.Call, error) {
	if err := s.begin("FeatureCode", lineName, name); err != nil {
		return api.Call{}, err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncFeatureCodes); err != nil {
		return api.Call{}, fmt.Errorf("feature code: %w", err)
	}
	fc, err := s.p.group(lineName).FeatureCode(name)
	if err != nil {
		if errors.Is(err, line.ErrUnknownFeatureCode) {
			err = fmt.Errorf("%w: %w", err, api.ErrBadInput)
		}
		return api.Call{}, fmt.Errorf("feature code: %w", err)
	}
	return s.outgoing(lineName, fc.Code, fc.Code, fc.Name), nil
}

// Pickup dials the group's pickup code with number substituted.
func (s *Session) Pickup(ctx context.Context, lineName, number string) (api.Call, error) {
	if err := s.begin("Pickup", lineName, number); err != nil {
		return api.Call{}, err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncPickup); err != nil {
		return api.Call{}, fmt.Errorf("pickup: %w", err)
	}
	code, err := s.p.group(lineName).PickupDial(number)
	if err != nil {
		if errors.Is(err, line.ErrInvalidNumber) {
			err = fmt.Errorf("%w: %w", err, api.ErrBadInput)
		}
		return api.Call{}, fmt.Errorf("pickup: %w", err)
	}
	// As the engine: the far end is the extension picked up, Dialled the code sent.
	return s.outgoing(lineName, code, strings.TrimSpace(number), "pickup"), nil
}

// Config returns the set-up the fake runs.
func (s *Session) Config(ctx context.Context) (line.Config, error) {
	if err := s.begin("Config", "", ""); err != nil {
		return line.Config{}, err
	}
	defer s.p.mu.Unlock()
	return s.p.cfg.Clone(), nil
}

// SaveConfig validates cfg and, when it is valid, runs it from now on: lines that are new get
// the registered state, lines that are gone are forgotten, and every line is published.
func (s *Session) SaveConfig(ctx context.Context, cfg line.Config) error {
	if err := s.begin("SaveConfig", "", ""); err != nil {
		return err
	}
	defer s.p.mu.Unlock()
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	p := s.p
	p.cfg = cfg
	lines := map[string]*lineState{}
	for _, l := range cfg.Lines {
		st := p.lines[l.Name]
		if st == nil {
			st = &lineState{reg: line.RegRegistered}
		}
		st.dnd = l.DND
		switch {
		case !l.Enabled():
			st.reg = line.RegDisabled
		case st.reg == line.RegDisabled:
			st.reg = line.RegRegistered
		}
		lines[l.Name] = st
	}
	p.lines = lines
	for _, l := range cfg.Lines {
		p.publishLine(l.Name)
	}
	return nil
}

// SetDND switches the line's Do Not Disturb.
func (s *Session) SetDND(ctx context.Context, lineName string, on bool) error {
	if err := s.begin("SetDND", lineName, fmt.Sprint(on)); err != nil {
		return err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncDND); err != nil {
		return fmt.Errorf("dnd: %w", err)
	}
	s.p.lines[lineName].dnd = on
	s.p.publishLine(lineName)
	return nil
}

// SetForward sets the line's forwarding rule, validated as the set-up is.
func (s *Session) SetForward(ctx context.Context, lineName string, f line.Forward) error {
	if err := s.begin("SetForward", lineName, fmt.Sprintf("%v %s %d", f.Mode, f.Target, f.After)); err != nil {
		return err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncForward); err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	return s.p.setLine(lineName, "forward", func(l *line.Line) { l.Forward = f })
}

// SetCallWaiting switches the line's call waiting.
func (s *Session) SetCallWaiting(ctx context.Context, lineName string, on bool) error {
	if err := s.begin("SetCallWaiting", lineName, fmt.Sprint(on)); err != nil {
		return err
	}
	defer s.p.mu.Unlock()
	if err := s.p.lineFor(lineName, line.FuncCallWaiting); err != nil {
		return fmt.Errorf("call waiting: %w", err)
	}
	return s.p.setLine(lineName, "call waiting", func(l *line.Line) { l.NoCallWaiting = !on })
}

// setLine changes a line's setting in a copy of the set-up, validates it and keeps it. p.mu is
// held.
func (p *Phone) setLine(name, what string, set func(*line.Line)) error {
	cfg := p.cfg.Clone()
	l, ok := cfg.Line(name)
	if !ok {
		return fmt.Errorf("%s: line %q: %w", what, name, api.ErrNoLine)
	}
	set(l)
	// Only the errors of what the user set count: a fake's set-up need not be complete
	// (accounts, say).
	var mine []error
	for _, fe := range line.FieldErrors(cfg.Validate()) {
		if fe.Kind == line.KindLine && fe.Name == name && strings.HasPrefix(fe.Key, "forward") {
			mine = append(mine, fe)
		}
	}
	if len(mine) > 0 {
		return fmt.Errorf("%s: %w", what, errors.Join(mine...))
	}
	p.cfg = cfg
	p.publishLine(name)
	return nil
}

func (s *Session) callAction(method, callID, arg string, f line.Function, verb string,
	act func(c *api.Call) (ended bool, outcome line.Outcome, code int, err error)) error {
	if err := s.begin(method, callID, arg); err != nil {
		return err
	}
	p := s.p
	defer p.mu.Unlock()
	c, err := p.callFor(callID, f)
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	ended, outcome, code, err := act(c)
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	if ended {
		p.end(c, outcome, code, verb+" by "+s.client, s.client)
		return nil
	}
	p.publishCall(c)
	p.publishLine(c.Line)
	return nil
}

// Answer connects an incoming call ringing here.
func (s *Session) Answer(ctx context.Context, callID string) error {
	return s.callAction("Answer", callID, "", line.FuncAnswer, "answer", func(c *api.Call) (bool, line.Outcome, int, error) {
		c.State, c.Answered, c.Codec = line.CallConnected, s.p.now(), "PCMU"
		return false, 0, 0, nil
	})
}

// Decline ends a ringing call with 486 (busy) or 603 (decline).
func (s *Session) Decline(ctx context.Context, callID string, reason api.DeclineReason) error {
	if reason != api.DeclineBusy && reason != api.DeclineDecline {
		if err := s.begin("Decline", callID, reason.String()); err != nil {
			return err
		}
		s.p.mu.Unlock()
		return fmt.Errorf("decline: reason %d: must be busy or decline: %w", int(reason), api.ErrBadInput)
	}
	return s.callAction("Decline", callID, reason.String(), line.FuncDecline, "decline", func(c *api.Call) (bool, line.Outcome, int, error) {
		if reason == api.DeclineBusy {
			return true, line.OutcomeBusy, 486, nil
		}
		return true, line.OutcomeDeclined, 603, nil
	})
}

// Deflect forwards a ringing call with 302 to number.
func (s *Session) Deflect(ctx context.Context, callID, number string) error {
	return s.callAction("Deflect", callID, number, line.FuncDeflect, "deflect", func(c *api.Call) (bool, line.Outcome, int, error) {
		if _, err := dialable(number); err != nil {
			return false, 0, 0, err
		}
		return true, line.OutcomeDeflected, 302, nil
	})
}

// HangUp ends a call.
func (s *Session) HangUp(ctx context.Context, callID string) error {
	return s.callAction("HangUp", callID, "", line.FuncHangUp, "hang up", func(c *api.Call) (bool, line.Outcome, int, error) {
		switch {
		case !c.Answered.IsZero():
			return true, line.OutcomeAnswered, 0, nil
		case c.Direction == line.Outgoing:
			return true, line.OutcomeCancelled, 0, nil
		}
		return true, line.OutcomeDeclined, 603, nil
	})
}

// Hold puts a connected call on hold.
func (s *Session) Hold(ctx context.Context, callID string) error {
	return s.callAction("Hold", callID, "", line.FuncHold, "hold", func(c *api.Call) (bool, line.Outcome, int, error) {
		c.State = line.CallHeld
		return false, 0, 0, nil
	})
}

// Retrieve takes a held call back.
func (s *Session) Retrieve(ctx context.Context, callID string) error {
	return s.callAction("Retrieve", callID, "", line.FuncRetrieve, "retrieve", func(c *api.Call) (bool, line.Outcome, int, error) {
		c.State = line.CallConnected
		return false, 0, 0, nil
	})
}

// SendDTMF accepts digits 0-9 * # A-D on a connected or held call.
func (s *Session) SendDTMF(ctx context.Context, callID, digits string) error {
	return s.callAction("SendDTMF", callID, digits, line.FuncDTMF, "dtmf", func(c *api.Call) (bool, line.Outcome, int, error) {
		if digits == "" {
			return false, 0, 0, fmt.Errorf("digits: must not be empty: %w", api.ErrBadInput)
		}
		for _, r := range digits {
			if !strings.ContainsRune("0123456789*#ABCDabcd", r) {
				return false, 0, 0, fmt.Errorf("digit %q: must be one of 0-9 * # A-D: %w", r, api.ErrBadInput)
			}
		}
		return false, 0, 0, nil
	})
}

// SetMuted mutes or unmutes a connected or held call.
func (s *Session) SetMuted(ctx context.Context, callID string, muted bool) error {
	if err := s.begin("SetMuted", callID, fmt.Sprint(muted)); err != nil {
		return err
	}
	p := s.p
	defer p.mu.Unlock()
	c := p.find(callID)
	if c == nil {
		return fmt.Errorf("mute: call %s: %w", callID, api.ErrNoCall)
	}
	if c.State != line.CallConnected && c.State != line.CallHeld {
		return fmt.Errorf("mute: call %s is %s: %w", callID, c.State, api.ErrCallState)
	}
	c.Muted = muted
	p.publishCall(c)
	return nil
}

// Journal returns the entries q selects, newest first, as the store would.
func (s *Session) Journal(ctx context.Context, q api.JournalQuery) ([]line.JournalEntry, error) {
	if err := s.begin("Journal", "", ""); err != nil {
		return nil, err
	}
	defer s.p.mu.Unlock()
	switch {
	case q.Limit < 0:
		return nil, fmt.Errorf("journal: limit %d: must not be negative: %w", q.Limit, api.ErrBadInput)
	case q.Outcome != line.OutcomeUnset && !q.Outcome.Valid():
		return nil, fmt.Errorf("journal: outcome %d: %w", int(q.Outcome), api.ErrBadInput)
	case !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From):
		return nil, fmt.Errorf("journal: time range: to must be after from: %w", api.ErrBadInput)
	}
	if q.Number != "" {
		if err := line.CheckJournalNumber(q.Number); err != nil {
			return nil, fmt.Errorf("journal: number %q: %v: %w", q.Number, err, api.ErrBadInput)
		}
	}
	num := func(n string) bool {
		if q.ExactNumber {
			return n == q.Number
		}
		return n != "" && strings.HasSuffix(n, q.Number)
	}
	out := []line.JournalEntry{}
	for i := len(s.p.journal) - 1; i >= 0; i-- {
		e := s.p.journal[i]
		if (q.Line != "" && e.Line != q.Line) ||
			(q.Number != "" && !num(e.RemoteNumber) && !num(e.LocalNumber)) ||
			(q.Outcome != line.OutcomeUnset && e.Outcome != q.Outcome) ||
			(!q.From.IsZero() && e.Start.Before(q.From)) ||
			(!q.To.IsZero() && !e.Start.Before(q.To)) ||
			(q.Before != 0 && e.ID >= q.Before) {
			continue
		}
		out = append(out, e)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

// SetMemo sets the memo of a journal entry.
func (s *Session) SetMemo(ctx context.Context, entryID uint64, memo string) error {
	if err := s.begin("SetMemo", fmt.Sprint(entryID), memo); err != nil {
		return err
	}
	defer s.p.mu.Unlock()
	for i := range s.p.journal {
		if s.p.journal[i].ID == entryID {
			if len(memo) > line.MaxJournalMemo {
				return fmt.Errorf("memo: must be at most %d bytes: %w", line.MaxJournalMemo, api.ErrBadInput)
			}
			s.p.journal[i].Memo = memo
			return nil
		}
	}
	return fmt.Errorf("memo: journal entry %d: %w", entryID, api.ErrNoEntry)
}

// LogOff ends the session and closes its events; a second LogOff does nothing.
func (s *Session) LogOff(ctx context.Context) error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := p.fails["LogOff"]; err != nil {
		return err
	}
	p.actions = append(p.actions, Action{Client: s.client, Method: "LogOff"})
	s.closed = true
	close(s.events)
	delete(p.sessions, s.id)
	p.order = slices.DeleteFunc(p.order, func(id string) bool { return id == s.id })
	return nil
}

// Transfer passes a connected or held call on: the fake's transferee answers at once, so the
// call ends as transferred to number.
func (s *Session) Transfer(ctx context.Context, callID, number string) error {
	return s.callAction("Transfer", callID, number, line.FuncTransfer, "transfer", func(c *api.Call) (bool, line.Outcome, int, error) {
		target, err := dialable(number)
		if err != nil {
			return false, 0, 0, err
		}
		c.Transfer = api.TransferStatus{State: api.TransferDone, Target: target, Code: 200, Reason: "OK"}
		c.EndCause = line.EndTransferred
		return true, line.OutcomeTransferred, 0, nil
	})
}

// Consult holds the call and dials number on its line; the new call names the held one.
func (s *Session) Consult(ctx context.Context, callID, number string) (api.Call, error) {
	if err := s.begin("Consult", callID, number); err != nil {
		return api.Call{}, err
	}
	p := s.p
	defer p.mu.Unlock()
	c, err := p.callFor(callID, line.FuncTransfer)
	if err != nil {
		return api.Call{}, fmt.Errorf("consult: %w", err)
	}
	target, err := dialable(number)
	if err != nil {
		return api.Call{}, fmt.Errorf("consult: %w", err)
	}
	c.State = line.CallHeld
	p.publishCall(c)
	nc := p.newCall(c.Line, line.Outgoing, line.CallDialing)
	nc.Dialled, nc.RemoteNumber, nc.RemoteDisplay, nc.ConsultFor = target, target, target, c.ID
	p.publishCall(nc)
	p.publishLine(c.Line)
	return p.callView(nc), nil
}

// CompleteTransfer joins a held call and its consultation: both end as transferred.
func (s *Session) CompleteTransfer(ctx context.Context, callID string) error {
	if err := s.begin("CompleteTransfer", callID, ""); err != nil {
		return err
	}
	p := s.p
	defer p.mu.Unlock()
	var held, consult *api.Call
	for _, c := range p.calls {
		switch {
		case c.ID == callID && c.ConsultFor != "":
			consult = c
		case c.ID == callID:
			held = c
		}
	}
	for _, c := range p.calls {
		switch {
		case consult != nil && c.ID == consult.ConsultFor:
			held = c
		case held != nil && consult == nil && c.ConsultFor == held.ID:
			consult = c
		}
	}
	if held == nil || consult == nil {
		return fmt.Errorf("complete transfer: call %s has no consultation: %w", callID, api.ErrCallState)
	}
	if _, err := p.callFor(held.ID, line.FuncTransfer); err != nil {
		return fmt.Errorf("complete transfer: %w", err)
	}
	held.Transfer = api.TransferStatus{State: api.TransferDone, Target: consult.RemoteNumber, Attended: true, Code: 200, Reason: "OK"}
	held.EndCause, consult.EndCause = line.EndTransferred, line.EndTransferred
	p.end(held, line.OutcomeTransferred, 0, consult.RemoteNumber, s.client)
	p.end(consult, line.OutcomeTransferred, 0, held.RemoteNumber, s.client)
	return nil
}

// Conference joins the call with the one other connected or held call: both are connected, in
// one conference.
func (s *Session) Conference(ctx context.Context, callID string) error {
	if err := s.begin("Conference", callID, ""); err != nil {
		return err
	}
	p := s.p
	defer p.mu.Unlock()
	c, err := p.callFor(callID, line.FuncConference)
	if err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	if c.Conference != "" {
		return fmt.Errorf("conference: call %s is in a conference already: %w", callID, api.ErrCallState)
	}
	var others []*api.Call
	for _, o := range p.calls {
		if o != c && o.Conference == "" && (o.State == line.CallConnected || o.State == line.CallHeld) {
			others = append(others, o)
		}
	}
	if len(others) != 1 {
		return fmt.Errorf("conference: call %s has %d other connected or held calls beside it, want 1: %w", callID, len(others), api.ErrCallState)
	}
	o := others[0]
	if _, err := p.callFor(o.ID, line.FuncConference); err != nil {
		return fmt.Errorf("conference: %w", err)
	}
	p.seq++
	id := fmt.Sprintf("conf-%d", p.seq)
	if p.confWith == nil {
		p.confWith = map[string][]string{}
	}
	for _, x := range []*api.Call{c, o} {
		x.State, x.Conference = line.CallConnected, id
	}
	p.confWith[c.ID] = append(p.confWith[c.ID], o.RemoteNumber)
	p.confWith[o.ID] = append(p.confWith[o.ID], c.RemoteNumber)
	p.publishCall(c)
	p.publishCall(o)
	p.publishLine(c.Line)
	return nil
}
