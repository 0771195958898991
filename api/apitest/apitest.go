// Package apitest owns an in-memory api.Phone for tests of the line server's clients: the HTTP
// API, the command line and the desktop UI. It holds lines, calls and a journal, decides what is
// offered with package line's function table (so refusals carry the engine's sentinels and
// messages), records every action it is asked for, and can be told to fail. It is deterministic:
// IDs count up ("session-1", "call-1", journal IDs 1, 2, ...) and its clock starts at a fixed
// time and moves one second each time it is read, unless SetClock replaces it.
//
// What the fake does on its own:
//   - Every configured line is registered (RegRegistered) unless it is switched off; a line
//     function is allowed as line.CheckLineFunction says for the line's group and state.
//   - Dialable drops spaces, '-', '/', '(' and ')' from the input and keeps a "sip:" URI as it is;
//     any other character than 0-9 + * # is refused with an error wrapping line.ErrBadNumber.
//   - Dial, Redial, FeatureCode and Pickup make an outgoing call in state dialing; Answer connects
//     an incoming call; Hold and Retrieve switch between connected and held.
//   - A call that ends (Decline, Deflect, HangUp, RemoteHangUp) leaves the call list and is
//     journaled when its line's group journals (JournalAll) or the line's Journal switch is on,
//     with the outcome a person expects: answered for a connected call, busy (486) or declined
//     (603) for a declined one, deflected (302), cancelled for an outgoing call hung up before it
//     was answered, declined (603) for an incoming one.
//   - The test drives the far end with Ring, Alert, Connect and RemoteHangUp.
package apitest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// Start is the time the default clock starts at.
var Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// EventBuffer is how many events wait for a session before it gets api.EventResync.
const EventBuffer = 256

// Action is one thing a session asked the fake for.
type Action struct {
	// Client is the session's client name.
	Client string
	// Method is the Session method's name, e.g. "Dial", "Decline", "SetDND".
	Method string
	// Target is the line name (line actions) or the call ID (call actions); for SetMemo the
	// entry ID in decimal.
	Target string
	// Arg is the action's argument as text: the number, the feature code's name, the decline
	// reason ("busy"), the digits, "true"/"false" for SetDND and SetMuted, the memo.
	Arg string
}

// Phone is a fake line server. Its methods are safe for concurrent use.
type Phone struct {
	mu       sync.Mutex
	cfg      line.Config
	lines    map[string]*lineState
	calls    []*api.Call // not ended, oldest first
	journal  []line.JournalEntry
	sessions map[string]*Session
	order    []string // session IDs in log-on order
	actions  []Action
	fails    map[string]error
	seq      int
	nextJID  uint64
	clock    func() time.Time
	tick     time.Time
}

type lineState struct {
	reg    line.RegState
	dnd    bool
	redial string
}

var _ api.Phone = (*Phone)(nil)

// New returns a fake line server with cfg's groups and lines (defaults applied as the engine
// does: line.Config.WithDefaults).
func New(cfg line.Config) *Phone {
	p := &Phone{
		cfg:      cfg.WithDefaults(),
		lines:    map[string]*lineState{},
		sessions: map[string]*Session{},
		fails:    map[string]error{},
		tick:     Start,
	}
	for _, l := range p.cfg.Lines {
		st := &lineState{reg: line.RegRegistered, dnd: l.DND}
		if !l.Enabled() {
			st.reg = line.RegDisabled
		}
		p.lines[l.Name] = st
	}
	return p
}

// SetClock replaces the clock (nil restores the default one).
func (p *Phone) SetClock(now func() time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clock = now
}

func (p *Phone) now() time.Time {
	if p.clock != nil {
		return p.clock()
	}
	p.tick = p.tick.Add(time.Second)
	return p.tick
}

// Fail makes every later call of the named method (a Session method such as "Dial", or
// "LogOn") fail with err, before it does anything; a nil err makes it work again.
func (p *Phone) Fail(method string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		delete(p.fails, method)
		return
	}
	p.fails[method] = err
}

// Actions returns the actions asked for so far, in order.
func (p *Phone) Actions() []Action {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.actions)
}

// Clients returns the client names of the sessions logged on now, in log-on order.
func (p *Phone) Clients() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []string{}
	for _, id := range p.order {
		out = append(out, p.sessions[id].client)
	}
	return out
}

// SetRegistration sets a line's registration state and tells the sessions.
func (p *Phone) SetRegistration(lineName string, st line.RegState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls, ok := p.lines[lineName]
	if !ok {
		return fmt.Errorf("line %q: %w", lineName, api.ErrNoLine)
	}
	ls.reg = st
	p.publishLine(lineName)
	return nil
}

// Line returns the line as a session sees it.
func (p *Phone) Line(name string) (api.Line, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.lines[name]; !ok {
		return api.Line{}, false
	}
	return p.lineView(name), true
}

// Call returns a call that has not ended, as a session sees it.
func (p *Phone) Call(id string) (api.Call, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.find(id)
	if c == nil {
		return api.Call{}, false
	}
	return p.callView(c), true
}

// Ring makes an incoming call ring on the line and tells the sessions.
func (p *Phone) Ring(lineName, remoteNumber, remoteName string) (api.Call, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.lines[lineName]; !ok {
		return api.Call{}, fmt.Errorf("line %q: %w", lineName, api.ErrNoLine)
	}
	c := p.newCall(lineName, line.Incoming, line.CallRinging)
	c.RemoteNumber, c.RemoteDisplay, c.RemoteName = remoteNumber, remoteNumber, remoteName
	p.publishCall(c)
	p.publishLine(lineName)
	return p.callView(c), nil
}

// Alert moves an outgoing call to alerting (the far end rings).
func (p *Phone) Alert(callID string) error {
	return p.farEnd(callID, func(c *api.Call) error {
		if c.Direction != line.Outgoing || c.State != line.CallDialing {
			return fmt.Errorf("call %s is %s %s: %w", c.ID, c.Direction, c.State, api.ErrCallState)
		}
		c.State = line.CallAlerting
		return nil
	})
}

// Connect answers an outgoing call at the far end.
func (p *Phone) Connect(callID string) error {
	return p.farEnd(callID, func(c *api.Call) error {
		if c.Direction != line.Outgoing || (c.State != line.CallDialing && c.State != line.CallAlerting) {
			return fmt.Errorf("call %s is %s %s: %w", c.ID, c.Direction, c.State, api.ErrCallState)
		}
		c.State, c.Answered, c.Codec = line.CallConnected, p.now(), "PCMU"
		return nil
	})
}

// RemoteHangUp ends a call from the far end: an unanswered incoming call is missed, an
// unanswered outgoing one failed with code (e.g. 486 gives the outcome busy).
func (p *Phone) RemoteHangUp(callID string, code int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.find(callID)
	if c == nil {
		return fmt.Errorf("call %s: %w", callID, api.ErrNoCall)
	}
	outcome := line.OutcomeAnswered
	switch {
	case !c.Answered.IsZero():
	case c.Direction == line.Incoming:
		outcome = line.OutcomeMissed
	case code == 486:
		outcome = line.OutcomeBusy
	case code >= 400:
		outcome = line.OutcomeDeclined
	default:
		outcome = line.OutcomeFailed
	}
	p.end(c, outcome, code, "remote hang-up", "")
	return nil
}

// Publish sends an event to every session as it is.
func (p *Phone) Publish(ev api.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.publish(ev)
}

// AddJournal writes an entry to the journal as the engine would at a call's end, gives it the
// next ID, tells the sessions and returns the ID.
func (p *Phone) AddJournal(e line.JournalEntry) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addJournal(e)
}

func (p *Phone) addJournal(e line.JournalEntry) uint64 {
	p.nextJID++
	e.ID = p.nextJID
	p.journal = append(p.journal, e)
	ev := e
	p.publish(api.Event{Type: api.EventJournal, Entry: &ev})
	return e.ID
}

// JournalEntries returns the whole journal, oldest first.
func (p *Phone) JournalEntries() []line.JournalEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.journal)
}

func (p *Phone) farEnd(callID string, fn func(*api.Call) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.find(callID)
	if c == nil {
		return fmt.Errorf("call %s: %w", callID, api.ErrNoCall)
	}
	if err := fn(c); err != nil {
		return err
	}
	p.publishCall(c)
	return nil
}

// LogOn opens a session. The name must not be empty.
func (p *Phone) LogOn(ctx context.Context, name string) (api.Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.fails["LogOn"]; err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("log on: client name: must not be empty: %w", api.ErrBadInput)
	}
	p.seq++
	s := &Session{p: p, id: fmt.Sprintf("session-%d", p.seq), client: name,
		events: make(chan api.Event, EventBuffer)}
	p.sessions[s.id] = s
	p.order = append(p.order, s.id)
	return s, nil
}

// group returns the group of a line.
func (p *Phone) group(lineName string) line.Group {
	l, _ := p.cfg.Line(lineName)
	if l == nil {
		return line.Group{}
	}
	g, ok := p.cfg.Group(l.Group)
	if !ok {
		return line.Group{Name: l.Group}
	}
	return *g
}

func (p *Phone) callsOn(lineName string) int {
	n := 0
	for _, c := range p.calls {
		if c.Line == lineName {
			n++
		}
	}
	return n
}

func (p *Phone) lineLook(name string) line.LineView {
	l, _ := p.cfg.Line(name)
	st := p.lines[name]
	return line.LineView{Enabled: l.Enabled(), Registered: st.reg == line.RegRegistered,
		Calls: p.callsOn(name), DND: st.dnd, HasRedial: st.redial != "", LoggedOn: len(p.sessions) > 0}
}

func (p *Phone) lineView(name string) api.Line {
	l, _ := p.cfg.Line(name)
	st := p.lines[name]
	g := p.group(name)
	v := api.Line{Name: l.Name, Group: l.Group, Number: l.Number, NumberDisplay: l.Number,
		Location: l.Location, Enabled: l.Enabled(), DND: st.dnd, Registration: st.reg,
		Redial: st.redial}
	v.Functions = line.LineFunctions(g, p.lineLook(name))
	if v.Functions == nil {
		v.Functions = []line.Function{}
	}
	if slices.Contains(v.Functions, line.FuncFeatureCodes) {
		v.FeatureCodes = slices.Clone(g.FeatureCodes)
	}
	v.Incoming = line.DecideIncoming(g, p.lineLook(name))
	return v
}

func lineCall(c *api.Call) line.Call {
	return line.Call{ID: c.ID, Line: c.Line, Direction: c.Direction, State: c.State,
		RemoteNumber: c.RemoteNumber, RemoteName: c.RemoteName, Muted: c.Muted,
		Started: c.Started, Answered: c.Answered, Ended: c.Ended}
}

func (p *Phone) callView(c *api.Call) api.Call {
	v := *c
	v.Functions = line.CallFunctions(p.group(c.Line), lineCall(c))
	if v.Functions == nil || c.State == line.CallEnded {
		v.Functions = []line.Function{}
	}
	return v
}

func (p *Phone) find(id string) *api.Call {
	for _, c := range p.calls {
		if c.ID == id {
			return c
		}
	}
	return nil
}

func (p *Phone) newCall(lineName string, dir line.CallDirection, st line.CallState) *api.Call {
	p.seq++
	c := &api.Call{ID: fmt.Sprintf("call-%d", p.seq), Line: lineName, Direction: dir, State: st,
		Started: p.now()}
	p.calls = append(p.calls, c)
	return c
}

// end ends c, journals it where its line journals, and tells the sessions.
func (p *Phone) end(c *api.Call, outcome line.Outcome, code int, reason, client string) {
	c.State, c.Ended, c.EndCode, c.EndReason = line.CallEnded, p.now(), code, reason
	p.calls = slices.DeleteFunc(p.calls, func(x *api.Call) bool { return x == c })
	l, _ := p.cfg.Line(c.Line)
	if g := p.group(c.Line); g.JournalAll || l.Journal {
		e := line.JournalEntry{Line: c.Line, Group: l.Group, Direction: c.Direction,
			LocalNumber: l.Number, RemoteNumber: c.RemoteNumber, RemoteName: c.RemoteName,
			Start: c.Started, Answer: c.Answered, End: c.Ended, Outcome: outcome, Code: code,
			FeatureCode: c.FeatureCode, Client: client}
		if !c.Answered.IsZero() {
			e.Duration = c.Ended.Sub(c.Answered)
		}
		c.JournalID = p.addJournal(e)
	}
	p.publishCall(c)
	p.publishLine(c.Line)
}

func (p *Phone) publish(ev api.Event) {
	for _, id := range p.order {
		p.sessions[id].push(ev)
	}
}

func (p *Phone) publishLine(name string) {
	v := p.lineView(name)
	p.publish(api.Event{Type: api.EventLine, Line: &v})
}

func (p *Phone) publishCall(c *api.Call) {
	v := p.callView(c)
	p.publish(api.Event{Type: api.EventCall, Call: &v})
}

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
	return s.outgoing(lineName, code, code, "pickup"), nil
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
