package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/store"
)

// This file is the server's side of package api: clients log on (LogOn makes a session), are told
// of every change through their session's events, and act through the session, where every action
// is checked against the group's functions and the state of the line or call (package line's
// function table) before the engine carries it out.

// sessionEvents is how many events wait for a slow client before it is told to resync.
const sessionEvents = 1024

// maxClientName bounds a client's name, in bytes.
const maxClientName = 64

// session is one logged-on client.
type session struct {
	s      *Server
	id     string
	client string

	mu     sync.Mutex
	events chan api.Event
	lost   bool // events were dropped: send EventResync before the next one
	closed bool
}

var _ api.Phone = (*Server)(nil)

// LogOn logs a client on. While any client is logged on, calls ring at the clients; with none the
// groups' "client not logged on" response applies (README.md, "Line groups at work").
func (s *Server) LogOn(ctx context.Context, name string) (api.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, fmt.Errorf("log on: client name: must not be empty: %w", api.ErrBadInput)
	case len(name) > maxClientName:
		return nil, fmt.Errorf("log on: client name: must be at most %d bytes: %w", maxClientName, api.ErrBadInput)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return nil, fmt.Errorf("log on: client name: must not contain control characters: %w", api.ErrBadInput)
	}
	ss := &session{s: s, id: newCallID(), client: name, events: make(chan api.Event, sessionEvents)}
	s.sessMu.Lock()
	s.sessions[ss.id] = ss
	n := len(s.sessions)
	s.sessMu.Unlock()
	s.log.Info("client logged on", "client", name, "session", ss.id, "clients", n)
	if n == 1 {
		s.publishAllLines() // "what happens now" changed for every line
	}
	return ss, nil
}

// loggedOn reports whether any client is logged on.
func (s *Server) loggedOn() bool {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	return len(s.sessions) > 0
}

// publish gives an event to every session, without waiting for any.
func (s *Server) publish(ev api.Event) {
	s.sessMu.Lock()
	if len(s.sessions) == 0 {
		s.sessMu.Unlock()
		return
	}
	ss := make([]*session, 0, len(s.sessions))
	for _, x := range s.sessions {
		ss = append(ss, x)
	}
	s.sessMu.Unlock()
	for _, x := range ss {
		x.push(ev)
	}
}

func (ss *session) push(ev api.Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return
	}
	if ss.lost {
		select {
		case ss.events <- api.Event{Type: api.EventResync}:
			ss.lost = false
		default:
			return
		}
	}
	select {
	case ss.events <- ev:
	default:
		ss.lost = true
	}
}

// publishLine tells the clients that a line changed.
func (s *Server) publishLine(name string) {
	if !s.loggedOn() {
		return
	}
	cfg := s.conf()
	l, ok := cfg.Line(name)
	if !ok {
		return
	}
	v := s.lineView(*l)
	s.publish(api.Event{Type: api.EventLine, Line: &v})
}

func (s *Server) publishAllLines() {
	for _, l := range s.conf().Lines {
		s.publishLine(l.Name)
	}
}

// callsOn returns the calls of a line: how many have not ended, and those held ringing.
func (s *Server) callsOn(name string) (n int, held []*call) {
	s.callMu.Lock()
	defer s.callMu.Unlock()
	for _, c := range s.calls {
		c.mu.Lock()
		if c.info.Line == name && c.info.State != line.CallEnded {
			n++
			if c.serverHeld {
				held = append(held, c)
			}
		}
		c.mu.Unlock()
	}
	return n, held
}

// lineView is a line as the clients see it.
func (s *Server) lineView(l line.Line) api.Line {
	e, _ := s.effective(l.Name)
	reg, _ := s.Registration(l.Name)
	n, held := s.callsOn(l.Name)
	lv := s.lineNow(l, reg, n)
	s.mu.RLock()
	redial := s.redial[l.Name]
	s.mu.RUnlock()
	num := s.lineNumber(e)
	v := api.Line{
		Name: l.Name, Group: l.Group, Number: num, NumberDisplay: displayNumber(e, num),
		Enabled: l.Enabled(), DND: lv.DND, Forward: l.Forward, CallWaiting: !l.NoCallWaiting,
		Registration: reg.State, RegCode: reg.Code,
		Redial: redial, Incoming: line.DecideIncoming(e.Group, lv),
	}
	if reg.State == line.RegFailed {
		v.RegReason = reg.Reason
	}
	if e.Location != nil {
		v.Location = e.Location.Name
	}
	v.Functions = line.LineFunctions(e.Group, lv)
	if v.Functions == nil {
		v.Functions = []line.Function{}
	}
	for _, f := range v.Functions {
		if f == line.FuncFeatureCodes {
			v.FeatureCodes = append([]line.FeatureCode(nil), e.Group.FeatureCodes...)
		}
	}
	sortCallPtrs(held)
	for _, c := range held {
		v.HeldRinging = append(v.HeldRinging, c.view(c.snapshot()))
	}
	s.lampsView(&v, e.Group)
	return v
}

// sortCallPtrs orders calls oldest first (Started is set when a call is made and never changes).
func sortCallPtrs(cs []*call) {
	slices.SortStableFunc(cs, func(a, b *call) int { return a.info.Started.Compare(b.info.Started) })
}

// view is a call as the clients see it, with the functions offered on it now.
func (c *call) view(info line.Call) api.Call {
	e, _ := c.s.effective(info.Line)
	c.mu.Lock()
	v := api.Call{
		ID: info.ID, Line: info.Line, Direction: info.Direction, State: info.State,
		RemoteNumber: info.RemoteNumber, RemoteName: info.RemoteName, Dialled: c.dialled,
		FeatureCode: c.featureCode, Codec: info.Codec, Encrypted: info.Encrypted, HeldByRemote: info.HeldByRemote, Muted: info.Muted,
		DTMFReceived: info.DTMFReceived, LossPercent: info.LossPercent, ServerRinging: c.serverHeld,
		Started: info.Started, Answered: info.Answered, Ended: info.Ended, EndCause: info.EndCause, EndCode: info.EndCode,
		EndReason: info.EndReason, JournalID: c.journalID, ConsultFor: c.consultFor, Transfer: c.transfer,
	}
	if c.conf != nil {
		v.Conference = c.conf.id
	}
	held := c.serverHeld
	c.mu.Unlock()
	v.RemoteDisplay = displayNumber(e, info.RemoteNumber)
	switch {
	case held:
		v.Functions = []line.Function{}
		if line.CheckCallFunction(e.Group, info, line.FuncDeflect) == nil {
			v.Functions = append(v.Functions, line.FuncDeflect)
		}
	default:
		v.Functions = line.CallFunctions(e.Group, info)
		if st := v.Transfer.State; st == api.TransferPending || st == api.TransferRinging {
			// One transfer at a time.
			v.Functions = slices.DeleteFunc(v.Functions, func(f line.Function) bool { return f == line.FuncTransfer })
		}
		if v.Conference != "" {
			// In a conference already.
			v.Functions = slices.DeleteFunc(v.Functions, func(f line.Function) bool { return f == line.FuncConference })
		}
		if v.Functions == nil {
			v.Functions = []line.Function{}
		}
	}
	return v
}

// check returns ErrLoggedOff after LogOff.
func (ss *session) check() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return fmt.Errorf("client %q: %w", ss.client, api.ErrLoggedOff)
	}
	return nil
}

func (ss *session) Client() string           { return ss.client }
func (ss *session) ID() string               { return ss.id }
func (ss *session) Events() <-chan api.Event { return ss.events }

func (ss *session) Lines(ctx context.Context) ([]api.Line, error) {
	if err := ss.check(); err != nil {
		return nil, err
	}
	cfg := ss.s.conf()
	out := make([]api.Line, 0, len(cfg.Lines))
	for _, l := range cfg.Lines {
		out = append(out, ss.s.lineView(l))
	}
	return out, nil
}

func (ss *session) Calls(ctx context.Context) ([]api.Call, error) {
	if err := ss.check(); err != nil {
		return nil, err
	}
	s := ss.s
	s.callMu.Lock()
	cs := make([]*call, 0, len(s.calls))
	for _, c := range s.calls {
		cs = append(cs, c)
	}
	s.callMu.Unlock()
	sortCallPtrs(cs)
	out := make([]api.Call, 0, len(cs))
	for _, c := range cs {
		info := c.snapshot()
		c.mu.Lock()
		held := c.serverHeld
		c.mu.Unlock()
		if held || info.State == line.CallEnded {
			continue
		}
		out = append(out, c.view(info))
	}
	return out, nil
}

// lineFor finds a line and checks that it offers f now.
func (ss *session) lineFor(name string, f line.Function) (line.Effective, error) {
	if err := ss.check(); err != nil {
		return line.Effective{}, err
	}
	s := ss.s
	e, ok := s.effective(name)
	if !ok {
		return e, fmt.Errorf("line %q: %w", name, api.ErrNoLine)
	}
	if !e.Line.Enabled() {
		return e, fmt.Errorf("line %q: %w", name, api.ErrLineOff)
	}
	reg, _ := s.Registration(name)
	n, _ := s.callsOn(name)
	if err := line.CheckLineFunction(e.Group, s.lineNow(e.Line, reg, n), f); err != nil {
		return e, fmt.Errorf("line %q: %w", name, err)
	}
	return e, nil
}

// callFor finds a call shown to the clients (or, with held, one the server holds ringing) and
// checks that it offers f now.
func (ss *session) callFor(id string, f line.Function, held bool) (*call, line.Effective, error) {
	if err := ss.check(); err != nil {
		return nil, line.Effective{}, err
	}
	c := ss.s.call(id)
	if c == nil {
		return nil, line.Effective{}, fmt.Errorf("call %s: %w", id, api.ErrNoCall)
	}
	info := c.snapshot()
	c.mu.Lock()
	serverHeld := c.serverHeld
	c.mu.Unlock()
	if serverHeld && !held {
		return nil, line.Effective{}, fmt.Errorf("call %s rings at the server (not at the clients): %s is not possible, use pickup or deflect: %w",
			id, f, line.ErrFunctionState)
	}
	e, _ := ss.s.effective(info.Line)
	if err := line.CheckCallFunction(e.Group, info, f); err != nil {
		return nil, e, fmt.Errorf("call %s: %w", id, err)
	}
	return c, e, nil
}

func (ss *session) Dialable(ctx context.Context, lineName, input string) (string, error) {
	if err := ss.check(); err != nil {
		return "", err
	}
	e, ok := ss.s.effective(lineName)
	if !ok {
		return "", fmt.Errorf("line %q: %w", lineName, api.ErrNoLine)
	}
	return dialable(e, input)
}

func (ss *session) Dial(ctx context.Context, lineName, input string) (api.Call, error) {
	e, err := ss.lineFor(lineName, line.FuncDial)
	if err != nil {
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	target, err := dialable(e, input)
	if err != nil {
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	ss.s.mu.Lock()
	ss.s.redial[lineName] = strings.TrimSpace(input)
	ss.s.mu.Unlock()
	remote := target // without a location, the number as sent (spaces and dashes gone)
	if e.Location != nil {
		remote = ss.s.canonicalRemote(e, strings.TrimSpace(input))
	}
	return ss.s.dialAs(ctx, e, target, targetUser(remote), callExtras{client: ss.client})
}

func (ss *session) Redial(ctx context.Context, lineName string) (api.Call, error) {
	if _, err := ss.lineFor(lineName, line.FuncRedial); err != nil {
		return api.Call{}, fmt.Errorf("redial: %w", err)
	}
	ss.s.mu.RLock()
	last := ss.s.redial[lineName]
	ss.s.mu.RUnlock()
	return ss.Dial(ctx, lineName, last)
}

func (ss *session) FeatureCode(ctx context.Context, lineName, name string) (api.Call, error) {
	e, err := ss.lineFor(lineName, line.FuncFeatureCodes)
	if err != nil {
		return api.Call{}, fmt.Errorf("feature code: %w", err)
	}
	fc, err := e.Group.FeatureCode(name)
	if err != nil {
		if errors.Is(err, line.ErrUnknownFeatureCode) {
			err = fmt.Errorf("%w: %w", err, api.ErrBadInput)
		}
		return api.Call{}, fmt.Errorf("feature code: %w", err)
	}
	// Verbatim: the code is for the PBX, no location rule applies (README.md, "Line groups at work").
	return ss.s.dialAs(ctx, e, fc.Code, fc.Code, callExtras{client: ss.client, featureCode: fc.Name})
}

func (ss *session) Pickup(ctx context.Context, lineName, number string) (api.Call, error) {
	e, err := ss.lineFor(lineName, line.FuncPickup)
	if err != nil {
		return api.Call{}, fmt.Errorf("pickup: %w", err)
	}
	if c := ss.s.heldRingingAt(number); c != nil {
		if err := ss.s.pickUpLocally(ctx, c, ss.client); err != nil {
			return api.Call{}, err
		}
		return c.view(c.snapshot()), nil
	}
	target, err := dialable(e, number)
	if err != nil {
		return api.Call{}, fmt.Errorf("pickup: %w", err)
	}
	code, err := e.Group.PickupDial(target)
	if err != nil {
		if errors.Is(err, line.ErrInvalidNumber) {
			err = fmt.Errorf("%w: %w", err, api.ErrBadInput)
		}
		return api.Call{}, fmt.Errorf("pickup: %w", err)
	}
	// The far end is the extension whose call is picked up, as the user sees it; Dialled keeps the
	// code sent.
	return ss.s.dialAs(ctx, e, code, ss.s.canonicalRemote(e, strings.TrimSpace(number)), callExtras{client: ss.client, featureCode: "pickup"})
}

func (ss *session) SetDND(ctx context.Context, lineName string, on bool) error {
	if _, err := ss.lineFor(lineName, line.FuncDND); err != nil {
		return fmt.Errorf("dnd: %w", err)
	}
	return ss.s.setDND(lineName, on)
}

// setDND switches a line's Do Not Disturb and saves it.
func (s *Server) setDND(name string, on bool) error {
	if s.store != nil {
		err := s.store.Update(func(c *line.Config) error {
			l, ok := c.Line(name)
			if !ok {
				return fmt.Errorf("line %q: %w", name, api.ErrNoLine)
			}
			l.DND = on
			return nil
		})
		if err != nil {
			return fmt.Errorf("dnd: save: %w", err)
		}
	}
	s.mu.Lock()
	s.dnd[name] = on
	s.mu.Unlock()
	s.cfgMu.Lock()
	cfg := s.cfg.Clone() // replaced whole: readers may hold the old one
	if l, ok := cfg.Line(name); ok {
		l.DND = on
		s.cfg = cfg
	}
	s.cfgMu.Unlock()
	s.log.Info("do not disturb", "line", name, "on", on)
	s.publishLine(name)
	return nil
}

func (ss *session) Answer(ctx context.Context, callID string) error {
	c, _, err := ss.callFor(callID, line.FuncAnswer, false)
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	c.setClient(ss.client)
	ss.s.holdOthers(ctx, c, ss.client)
	return ss.s.answer(ctx, callID)
}

func (ss *session) Decline(ctx context.Context, callID string, reason api.DeclineReason) error {
	if reason != api.DeclineBusy && reason != api.DeclineDecline {
		return fmt.Errorf("decline: reason %d: must be busy or decline: %w", int(reason), api.ErrBadInput)
	}
	c, e, err := ss.callFor(callID, line.FuncDecline, false)
	if err != nil {
		return fmt.Errorf("decline: %w", err)
	}
	return ss.s.declineByClient(c, e, reason, ss.client)
}

func (ss *session) Deflect(ctx context.Context, callID, number string) error {
	c, e, err := ss.callFor(callID, line.FuncDeflect, true)
	if err != nil {
		return fmt.Errorf("deflect: %w", err)
	}
	return ss.s.deflect(c, e, number, ss.client)
}

func (ss *session) HangUp(ctx context.Context, callID string) error {
	c, _, err := ss.callFor(callID, line.FuncHangUp, false)
	if err != nil {
		return fmt.Errorf("hang up: %w", err)
	}
	c.mu.Lock()
	if c.client == "" {
		c.client = ss.client
	}
	c.mu.Unlock()
	return ss.s.hangUp(ctx, callID)
}

func (ss *session) Hold(ctx context.Context, callID string) error {
	if _, _, err := ss.callFor(callID, line.FuncHold, false); err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	return ss.s.setHold(ctx, callID, true)
}

func (ss *session) Retrieve(ctx context.Context, callID string) error {
	c, _, err := ss.callFor(callID, line.FuncRetrieve, false)
	if err != nil {
		return fmt.Errorf("retrieve: %w", err)
	}
	// Swapping between two calls: the call this client talks in now goes on hold first.
	ss.s.holdOthers(ctx, c, ss.client)
	return ss.s.setHold(ctx, callID, false)
}

func (ss *session) SendDTMF(ctx context.Context, callID, digits string) error {
	if _, _, err := ss.callFor(callID, line.FuncDTMF, false); err != nil {
		return fmt.Errorf("dtmf: %w", err)
	}
	err := ss.s.sendDTMF(ctx, callID, digits)
	if errors.Is(err, media.ErrBadDigit) {
		err = fmt.Errorf("%w: %w", err, api.ErrBadInput)
	}
	return err
}

func (ss *session) SetMuted(ctx context.Context, callID string, muted bool) error {
	if err := ss.check(); err != nil {
		return err
	}
	c := ss.s.call(callID)
	if c == nil {
		return fmt.Errorf("mute: call %s: %w", callID, api.ErrNoCall)
	}
	info := c.snapshot()
	if info.State != line.CallConnected && info.State != line.CallHeld {
		return fmt.Errorf("mute: call %s is %v: %w", callID, info.State, api.ErrCallState)
	}
	return ss.s.setMuted(callID, muted)
}

func (ss *session) Journal(ctx context.Context, q api.JournalQuery) ([]line.JournalEntry, error) {
	if err := ss.check(); err != nil {
		return nil, err
	}
	if ss.s.store == nil {
		return []line.JournalEntry{}, nil
	}
	out, err := ss.s.store.Journal().Query(store.JournalQuery{
		Line: q.Line, Number: q.Number, ExactNumber: q.ExactNumber, Outcome: q.Outcome,
		From: q.From, To: q.To, Before: q.Before, Limit: q.Limit,
	})
	if err != nil {
		return nil, fmt.Errorf("journal: %w: %w", err, api.ErrBadInput)
	}
	if out == nil {
		out = []line.JournalEntry{}
	}
	return out, nil
}

func (ss *session) SetMemo(ctx context.Context, entryID uint64, memo string) error {
	if err := ss.check(); err != nil {
		return err
	}
	if ss.s.store == nil {
		return fmt.Errorf("memo: no journal is kept: %w", api.ErrBadInput)
	}
	// The entry may still wait for the disk: the ID is handed out when the call ends.
	if err := ss.s.store.Journal().Flush(ctx); err != nil {
		ss.s.log.Warn("journal flush before memo", "error", err)
	}
	if err := ss.s.store.Journal().SetMemo(entryID, memo); err != nil {
		if errors.Is(err, store.ErrJournalEntryNotFound) {
			return fmt.Errorf("memo: %w: %w", err, api.ErrNoEntry)
		}
		return fmt.Errorf("memo: %w: %w", err, api.ErrBadInput)
	}
	return nil
}

func (ss *session) LogOff(ctx context.Context) error {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return nil
	}
	ss.closed = true
	close(ss.events)
	ss.mu.Unlock()
	s := ss.s
	s.sessMu.Lock()
	delete(s.sessions, ss.id)
	n := len(s.sessions)
	s.sessMu.Unlock()
	s.log.Info("client logged off", "client", ss.client, "session", ss.id, "clients", n)
	if n == 0 {
		s.applyLogOff()
	}
	return nil
}
