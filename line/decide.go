package line

import (
	"fmt"
	"strings"
	"time"
)

// This file decides what happens to a call arriving on a line (README.md, "Line groups at work":
// not logged on, reject calls by clients, hide Decline, forwarding, call waiting): whether it rings
// at the clients, is answered by the line server at once (486, 480 or 603), forwarded (302), or is
// held ringing there with 180, and what the clients may then do with it. The engine
// asks here for every INVITE and when the last client logs off; the clients show the same value as
// "what happens now" under each line. Words for people are the UI's business: a Decision holds
// codes and causes only.

// Action is what the line server does with an incoming call.
type Action int

// The actions. ActionUnknown is the zero value and never decided.
const (
	ActionUnknown Action = iota
	// ActionRing: the call rings at the logged-on clients.
	ActionRing
	// ActionAnswer: the server answers the call at once with Decision.Answer (486, 480 or 603).
	ActionAnswer
	// ActionHoldRinging: the server sends 180 and keeps the call ringing out of the clients'
	// view, resending 180 (RFC 3261 section 13.3.1.1), until it is cancelled, deflected or
	// picked up.
	ActionHoldRinging
	// ActionForward: the server answers the call at once with 302 to Decision.ForwardTo (the
	// line's forwarding rule), before it rings.
	ActionForward
)

var actionNames = []string{ActionUnknown: "unknown", ActionRing: "ring", ActionAnswer: "answer",
	ActionHoldRinging: "hold_ringing", ActionForward: "forward"}

// String returns the action's key, e.g. "hold_ringing".
func (a Action) String() string {
	if a > ActionUnknown && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// MarshalText writes the key, for the API.
func (a Action) MarshalText() ([]byte, error) {
	if a <= ActionUnknown || int(a) >= len(actionNames) {
		return nil, fmt.Errorf("action %d: %w", int(a), ErrUnknownValue)
	}
	return []byte(actionNames[a]), nil
}

// UnmarshalText reads a key written by MarshalText.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := enumOf("action", actionNames, b)
	*a = Action(v)
	return err
}

// Cause is why the line server, not a client, takes a call.
type Cause int

// The causes. CauseNone: the call rings at the clients.
const (
	CauseNone Cause = iota
	// CauseNoClient: no client is logged on.
	CauseNoClient
	// CauseDND: the line is on Do Not Disturb (it wins over CauseNoClient when both hold).
	CauseDND
	// CauseForwardAlways: the line forwards every call.
	CauseForwardAlways
	// CauseForwardBusy: the line forwards a call that finds it with a call.
	CauseForwardBusy
	// CauseForwardNoAnswer: the line forwards calls nobody answers, and nobody can answer this
	// one (Do Not Disturb, no client, no call waiting).
	CauseForwardNoAnswer
	// CauseNoCallWaiting: the line has a call and does not offer a second one (its user switched
	// call waiting off, or the group deactivated it).
	CauseNoCallWaiting
)

var causeNames = []string{CauseNone: "none", CauseNoClient: "no_client", CauseDND: "dnd",
	CauseForwardAlways: "forward_always", CauseForwardBusy: "forward_busy",
	CauseForwardNoAnswer: "forward_no_answer", CauseNoCallWaiting: "no_call_waiting"}

// String returns the cause's key, e.g. "no_client".
func (c Cause) String() string {
	if c >= 0 && int(c) < len(causeNames) {
		return causeNames[c]
	}
	return fmt.Sprintf("Cause(%d)", int(c))
}

// MarshalText writes the key, for the API.
func (c Cause) MarshalText() ([]byte, error) {
	if c < 0 || int(c) >= len(causeNames) {
		return nil, fmt.Errorf("cause %d: %w", int(c), ErrUnknownValue)
	}
	return []byte(causeNames[c]), nil
}

// UnmarshalText reads a key written by MarshalText.
func (c *Cause) UnmarshalText(b []byte) error {
	v, err := enumOf("cause", causeNames, b)
	*c = Cause(v)
	return err
}

// Reach says whether a call can reach a line at all.
type Reach int

// The reaches. ReachUnknown is the zero value and never decided.
const (
	ReachUnknown Reach = iota
	// Reachable: the line is in use and registered.
	Reachable
	// ReachLineOff: "use line" is switched off; the line does not register.
	ReachLineOff
	// ReachNotRegistered: the line is in use but the registrar holds no binding for it.
	ReachNotRegistered
)

var reachNames = []string{ReachUnknown: "unknown", Reachable: "reachable", ReachLineOff: "line_off",
	ReachNotRegistered: "not_registered"}

// String returns the reach's key, e.g. "not_registered".
func (r Reach) String() string {
	if r > ReachUnknown && int(r) < len(reachNames) {
		return reachNames[r]
	}
	return fmt.Sprintf("Reach(%d)", int(r))
}

// MarshalText writes the key, for the API.
func (r Reach) MarshalText() ([]byte, error) {
	if r <= ReachUnknown || int(r) >= len(reachNames) {
		return nil, fmt.Errorf("reach %d: %w", int(r), ErrUnknownValue)
	}
	return []byte(reachNames[r]), nil
}

// UnmarshalText reads a key written by MarshalText.
func (r *Reach) UnmarshalText(b []byte) error {
	v, err := enumOf("reach", reachNames, b)
	*r = Reach(v)
	return err
}

// enumOf finds b among names; the empty names and index 0 of a table whose zero value is
// "unknown" are found too, and so rejected by the caller's MarshalText only.
func enumOf(kind string, names []string, b []byte) (int, error) {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	for i, n := range names {
		if n != "" && n != "unknown" && n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %q: %w", kind, s, ErrUnknownValue)
}

// Decision is what happens to a call arriving on a line now, decided by DecideIncoming. In JSON
// the zero values are left out (a zero Decision, not yet decided, writes only "offers").
type Decision struct {
	// Reach says whether a call can reach the line at all. The other fields say what the line
	// server does with an INVITE that does arrive (a proxy may still hold an old binding).
	Reach Reach
	// Action is what the server does with the call.
	Action Action
	// Cause is why the server takes the call (ActionAnswer, ActionHoldRinging, ActionForward);
	// CauseNone when it rings at the clients.
	Cause Cause
	// Answer is the group's "client not logged on" response the server gives: Busy Here,
	// Temporarily Unavailable or Decline with ActionAnswer, Ringing with ActionHoldRinging;
	// unset with ActionRing.
	Answer Response
	// Waiting is set when the line has a call already: the new call rings as a waiting call.
	Waiting bool
	// ForwardTo is the forwarding rule's target, as the user wrote it: where ActionForward sends
	// the call, or where it goes after ForwardAfter of ringing.
	ForwardTo string
	// ForwardAfter is set when the call rings (at the clients or held at the server) under a
	// no-answer rule: the server forwards it to ForwardTo once it has rung that many seconds.
	ForwardAfter int
	// ForwardIgnored is set when the line has a forwarding rule but its group deactivated
	// FuncForward: the rule is kept and not applied.
	ForwardIgnored bool
	// Offers are the call functions the clients get on the call, in catalogue order: answer,
	// decline (unless hidden) and deflect while it rings at them, deflect while the server holds
	// it ringing (picking it up is the pickup line function), none when the server answers it.
	Offers []Function
	// Decline is what a client's Decline of a call ringing at it on this line sends, whatever the
	// Action: a fixed Busy Here, Temporarily Unavailable or Decline, ResponseClientChoice (486
	// for busy, 603 for decline, as the client says), or Ringing (the call leaves the clients
	// and the server holds it ringing). Unset when the group does not offer Decline.
	Decline Response
}

// DecideIncoming decides what happens to a call arriving now on a line of group g in state l.
// A call rings at the clients while one is logged on and the line is not on Do Not Disturb;
// otherwise the server answers with the group's "client not logged on" response (default Busy
// Here, also for an invalid setting), or with Ringing holds it ringing. It is pure: the same
// group and state always give the same Decision.
//
// The line's forwarding rule applies while the group offers FuncForward (otherwise it is ignored,
// and ForwardIgnored says so) and wins over Do Not Disturb and the absence of clients, since the
// server acts on it: always forwards every call with 302; busy forwards a call that finds the
// line with a call; no-answer lets the call ring and forwards it after the rule's ringing time,
// or at once when nobody could answer it (the server would answer it by itself).
//
// A second call, while the line has one, rings beside it only when the group offers
// FuncCallWaiting and the line's user has not switched call waiting off; otherwise the server
// answers it with the group's busy response: the "not logged on" response when that is Busy
// Here, Temporarily Unavailable or Decline, and Busy Here when it is Ringing (holding the call
// ringing would be call waiting after all) or unset.
func DecideIncoming(g Group, l LineView) Decision {
	d := Decision{Reach: Reachable, Action: ActionRing, Waiting: l.Calls > 0, Decline: clientDecline(g)}
	switch {
	case !l.Enabled:
		d.Reach = ReachLineOff
	case !l.Registered:
		d.Reach = ReachNotRegistered
	}
	fwd := l.Forward
	forwarding := fwd.Mode != ForwardOff && fwd.Mode.Known() && strings.TrimSpace(fwd.Target) != ""
	if forwarding && !g.FunctionEnabled(FuncForward) {
		forwarding, d.ForwardIgnored = false, true
	}
	switch {
	case forwarding && fwd.Mode == ForwardAlways:
		d.Cause = CauseForwardAlways
	case forwarding && fwd.Mode == ForwardBusy && l.Calls > 0:
		d.Cause = CauseForwardBusy
	case l.DND:
		d.Cause = CauseDND
	case !l.LoggedOn:
		d.Cause = CauseNoClient
	case l.Calls > 0 && (l.NoCallWaiting || !g.FunctionEnabled(FuncCallWaiting)):
		d.Cause = CauseNoCallWaiting
	}
	switch d.Cause {
	case CauseNone:
	case CauseForwardAlways, CauseForwardBusy:
		d.Action = ActionForward
	case CauseNoCallWaiting:
		d.Action, d.Answer = ActionAnswer, busyResponse(g)
	default:
		d.Answer = g.NotLoggedOn
		if d.Answer.Code() == 0 {
			d.Answer = ResponseBusyHere
		}
		d.Action = ActionAnswer
		if d.Answer == ResponseRinging {
			d.Action = ActionHoldRinging
		}
	}
	if forwarding && fwd.Mode == ForwardNoAnswer {
		if d.Action == ActionAnswer {
			d.Action, d.Cause, d.Answer = ActionForward, CauseForwardNoAnswer, ResponseUnset
		} else {
			d.ForwardAfter = int(fwd.AfterOrDefault() / time.Second)
		}
	}
	if d.Action == ActionForward || d.ForwardAfter > 0 {
		d.ForwardTo = strings.TrimSpace(fwd.Target)
	}
	ringing := Call{Direction: Incoming, State: CallRinging}
	for _, f := range []Function{FuncAnswer, FuncDecline, FuncDeflect} {
		switch {
		case d.Action == ActionAnswer, d.Action == ActionForward:
		case d.Action == ActionHoldRinging && f != FuncDeflect:
		case CheckCallFunction(g, ringing, f) == nil:
			d.Offers = append(d.Offers, f)
		}
	}
	if d.Offers == nil {
		d.Offers = []Function{}
	}
	return d
}

// busyResponse is the group's answer to a second call on a line without call waiting: its "not
// logged on" response when that refuses the call, else Busy Here.
func busyResponse(g Group) Response {
	switch r := g.NotLoggedOn; r {
	case ResponseBusyHere, ResponseTemporarilyUnavailable, ResponseDecline:
		return r
	}
	return ResponseBusyHere
}

// clientDecline is what a client's Decline sends on a line of g, or ResponseUnset when g does not
// offer Decline. An unset setting is the default, the client's choice.
func clientDecline(g Group) Response {
	if !g.FunctionEnabled(FuncDecline) || g.HideDecline {
		return ResponseUnset
	}
	switch r := g.ClientReject; r {
	case ResponseBusyHere, ResponseTemporarilyUnavailable, ResponseDecline, ResponseRinging:
		return r
	}
	return ResponseClientChoice
}

// DeclineWith is what a client's Decline sends on the call: the fixed response, or for
// ResponseClientChoice Busy Here when the client says busy and Decline otherwise. It is Ringing
// when the call is held ringing instead, and ResponseUnset when Decline is not offered.
func (d Decision) DeclineWith(busy bool) Response {
	if d.Decline == ResponseClientChoice {
		if busy {
			return ResponseBusyHere
		}
		return ResponseDecline
	}
	return d.Decline
}

// Code is the status the server answers the call with: 486, 480 or 603 with ActionAnswer, 180
// with ActionHoldRinging, 302 with ActionForward, 0 when the call rings at the clients.
func (d Decision) Code() int {
	if d.Action == ActionForward {
		return 302
	}
	return d.Answer.Code()
}

// Offered reports whether the clients get function f on the call.
func (d Decision) Offered(f Function) bool {
	for _, o := range d.Offers {
		if o == f {
			return true
		}
	}
	return false
}

// String gives the decision in a compact form for logs and tests, e.g.
// "reachable: answer 486 (dnd); decline 486/603; offers none",
// "reachable: forward 302 (forward_always) to 203; decline 486/603; offers none" or
// "reachable: ring, forward after 20s to 203; decline 486/603; offers answer,decline,deflect".
func (d Decision) String() string {
	var b strings.Builder
	b.WriteString(d.Reach.String())
	b.WriteString(": ")
	b.WriteString(d.Action.String())
	if d.Action == ActionAnswer || d.Action == ActionHoldRinging || d.Action == ActionForward {
		fmt.Fprintf(&b, " %d (%s)", d.Code(), d.Cause)
	}
	if d.Action == ActionForward {
		b.WriteString(" to " + d.ForwardTo)
	}
	if d.Waiting {
		b.WriteString(", waiting")
	}
	if d.ForwardAfter > 0 {
		fmt.Fprintf(&b, ", forward after %ds to %s", d.ForwardAfter, d.ForwardTo)
	}
	if d.ForwardIgnored {
		b.WriteString(", forwarding ignored (deactivated)")
	}
	b.WriteString("; decline ")
	if d.Decline == ResponseUnset {
		b.WriteString("not offered")
	} else {
		text, _ := d.Decline.MarshalText()
		b.Write(text)
	}
	b.WriteString("; offers ")
	if len(d.Offers) == 0 {
		b.WriteString("none")
	}
	for i, f := range d.Offers {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(f.String())
	}
	return b.String()
}
