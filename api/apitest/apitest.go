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
//   - Conference joins a call with the one other connected or held call (both connected, the
//     same Conference ID); when one of them ends the other leaves the conference, and each is
//     journaled with the other's number in ConferenceWith.
//   - The test drives the far end with Ring, Alert, Connect and RemoteHangUp.
package apitest

import (
	"context"
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
	// confWith keeps, per call ID, the other parties of the conference the call was in.
	confWith map[string][]string
	clock    func() time.Time
	tick     time.Time
	// voicemail and lamps are set by SetVoicemail and SetLamp (lamps.go).
	voicemail map[string]api.Voicemail
	lamps     map[string]api.LampState
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
		Calls: p.callsOn(name), DND: st.dnd, HasRedial: st.redial != "", LoggedOn: len(p.sessions) > 0,
		Forward: l.Forward, NoCallWaiting: l.NoCallWaiting}
}

func (p *Phone) lineView(name string) api.Line {
	l, _ := p.cfg.Line(name)
	st := p.lines[name]
	g := p.group(name)
	v := api.Line{Name: l.Name, Group: l.Group, Number: l.Number, NumberDisplay: l.Number,
		Location: l.Location, Enabled: l.Enabled(), DND: st.dnd, Registration: st.reg,
		Redial: st.redial, Forward: l.Forward, CallWaiting: !l.NoCallWaiting}
	v.Functions = line.LineFunctions(g, p.lineLook(name))
	if v.Functions == nil {
		v.Functions = []line.Function{}
	}
	if slices.Contains(v.Functions, line.FuncFeatureCodes) {
		v.FeatureCodes = slices.Clone(g.FeatureCodes)
	}
	v.Incoming = line.DecideIncoming(g, p.lineLook(name))
	p.lampsView(&v)
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
	if c.Conference != "" {
		v.Functions = slices.DeleteFunc(v.Functions, func(f line.Function) bool { return f == line.FuncConference })
	}
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
	if conf := c.Conference; conf != "" {
		// A call left alone in the conference is a normal call again.
		var rest []*api.Call
		for _, o := range p.calls {
			if o.Conference == conf {
				rest = append(rest, o)
			}
		}
		if len(rest) == 1 {
			rest[0].Conference = ""
			p.publishCall(rest[0])
		}
	}
	l, _ := p.cfg.Line(c.Line)
	if g := p.group(c.Line); g.JournalAll || l.Journal {
		e := line.JournalEntry{Line: c.Line, Group: l.Group, Direction: c.Direction,
			LocalNumber: l.Number, RemoteNumber: c.RemoteNumber, RemoteName: c.RemoteName,
			Start: c.Started, Answer: c.Answered, End: c.Ended, Outcome: outcome, Code: code,
			FeatureCode: c.FeatureCode, Client: client,
			ConferenceWith: strings.Join(p.confWith[c.ID], ", ")}
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
