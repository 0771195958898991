package line

import (
	"errors"
	"fmt"
	"strings"
)

// This file decides which functions a line or a call offers (line-group property 7,
// docs/line-groups.md), and holds the rules of feature codes (property 8) and of the pickup code
// (property 9). Both the UI and the API ask here, so that what a user sees and what the API
// accepts cannot drift apart.

// Errors of the function checks. The API maps ErrFunctionDisabled to 403 (the group does not offer
// the function at all) and ErrFunctionState to 409 (the line or call is in the wrong state for it).
var (
	// ErrFunctionDisabled is wrapped when the group does not offer a function: it is deactivated,
	// decline is hidden, or the group lacks what the function needs (a pickup code, feature codes).
	ErrFunctionDisabled = errors.New("function deactivated")
	// ErrFunctionState is wrapped when the function exists but the line or call state forbids it.
	ErrFunctionState = errors.New("function not possible in this state")
	// ErrNoPickupCode is wrapped when a group has no pickup code; it wraps ErrFunctionDisabled.
	ErrNoPickupCode = fmt.Errorf("no pickup code: %w", ErrFunctionDisabled)
	// ErrNoFeatureCodes is wrapped when a group has no feature codes; it wraps ErrFunctionDisabled.
	ErrNoFeatureCodes = fmt.Errorf("no feature codes: %w", ErrFunctionDisabled)
	// ErrNoVoicemail is wrapped when a group has no voicemail number; it wraps ErrFunctionDisabled.
	ErrNoVoicemail = fmt.Errorf("no voicemail number: %w", ErrFunctionDisabled)
	// ErrUnknownFeatureCode is wrapped when a group has no feature code of the asked name.
	ErrUnknownFeatureCode = errors.New("unknown feature code")
	// ErrInvalidNumber is wrapped when a number given to a function has characters it cannot dial.
	ErrInvalidNumber = errors.New("invalid number")
)

// FunctionError says why a function is refused, in a message meant for the user, e.g.
//
//	function "deflect" is deactivated for group "Sales"
//	hold is not possible while the call is ringing
//
// Unwrap gives the reason (ErrFunctionDisabled, ErrNoPickupCode, ErrNoFeatureCodes or
// ErrFunctionState), so callers test it with errors.Is.
type FunctionError struct {
	Function Function
	// Group is the group that refused the function; empty when a state refused it.
	Group string
	// State describes the line or call state that refused the function, e.g. "the call is
	// ringing"; empty when the group refused it.
	State string
	// Err is the reason, one of the sentinels above.
	Err error
	msg string
}

func (e *FunctionError) Error() string { return e.msg }

// Unwrap returns the reason.
func (e *FunctionError) Unwrap() error { return e.Err }

// LineView is what the function table and DecideIncoming need to know about a line now.
type LineView struct {
	// Enabled is the line's "use line" switch.
	Enabled bool
	// Registered is true while the registrar holds a binding for the line.
	Registered bool
	// Calls counts the line's calls that have not ended.
	Calls int
	// DND is the line's Do Not Disturb switch. It does not change what is offered (the dnd
	// function switches it either way); it is carried for the client's toggle.
	DND bool
	// HasRedial is true when the line has a last dialled number to call again.
	HasRedial bool
	// LoggedOn is true while at least one client is logged on. It does not change what is
	// offered; DecideIncoming reads it (with DND) to decide who takes a new call.
	LoggedOn bool
	// Forward is the line's forwarding rule; DecideIncoming applies it while the group offers
	// FuncForward. It does not change what is offered.
	Forward Forward
	// NoCallWaiting is the user's "call waiting off" switch (Line.NoCallWaiting).
	NoCallWaiting bool
}

// lineState is the column of the line table that a LineView falls in.
type lineState int

const (
	lineOff          lineState = iota // "use line" is switched off
	lineUnregistered                  // enabled, no registration
	lineIdle                          // registered, no call
	lineBusy                          // registered, one call or more
	numLineStates
)

var lineStatePhrases = [numLineStates]string{
	lineOff:          "the line is switched off",
	lineUnregistered: "the line is not registered",
	lineIdle:         "the line has no call",
	lineBusy:         "the line has a call",
}

func (l LineView) state() lineState {
	switch {
	case !l.Enabled:
		return lineOff
	case !l.Registered:
		return lineUnregistered
	case l.Calls > 0:
		return lineBusy
	}
	return lineIdle
}

// offered is a cell of the function tables.
type offered bool

const (
	yes offered = true
	no  offered = false
)

// need is what a line function requires besides the line's state.
type need int

const (
	needNothing      need = iota
	needPickupCode        // the group has a pickup code
	needFeatureCodes      // the group has at least one feature code
	needRedialNumber      // the line has a last dialled number
	needVoicemail         // the group has a voicemail number
)

// lineTable says in which line states each line function is offered. A switched-off line offers
// nothing. Do Not Disturb can be set before the line is registered, since it is the line server
// that acts on it. Dialling, redial and pickup need a registration and may start a further call
// while the line has one; feature codes are offered only while the line has no call (line-group
// property 8).
var lineTable = map[Function]struct {
	in    lineRow
	needs need
}{
	//                        off unregistered idle busy
	FuncDial:         {lineRow{no, no, yes, yes}, needNothing},
	FuncDND:          {lineRow{no, yes, yes, yes}, needNothing},
	FuncPickup:       {lineRow{no, no, yes, yes}, needPickupCode},
	FuncFeatureCodes: {lineRow{no, no, yes, no}, needFeatureCodes},
	FuncRedial:       {lineRow{no, no, yes, yes}, needRedialNumber},
	// Forwarding is set like DND: the line server acts on it, registered or not.
	FuncForward: {lineRow{no, yes, yes, yes}, needNothing},
	// Call waiting is not an action but whether a second call is offered while the line has
	// one (DecideIncoming reads it); it is listed while the group offers it.
	FuncCallWaiting: {lineRow{no, no, yes, yes}, needNothing},
	FuncVoicemail:   {lineRow{no, no, yes, yes}, needVoicemail},
}

// lineRow is a row of the line table, indexed by lineState.
type lineRow [numLineStates]offered

// numCallStates counts the CallState values.
const numCallStates = int(CallEnded) + 1

// callTable says in which states of an incoming and of an outgoing call each call function is
// offered. Answer, decline and deflect act on an incoming call ringing here; hang up ends any call
// that has not ended, except an incoming call ringing here (rejecting it is decline, which the
// group may hide: hang up must not get round that); hold needs a connected call and retrieve a
// held one; DTMF is sent while connected or held. Decline is further removed when the group hides
// it (line-group property 3).
var callTable = map[Function]struct{ in, out callRow }{
	// Each row has its columns in CallState order: dialing, alerting, ringing, connected, held, ended.
	//                    incoming call                      outgoing call
	FuncAnswer:   {callRow{no, no, yes, no, no, no}, callRow{no, no, no, no, no, no}},
	FuncDecline:  {callRow{no, no, yes, no, no, no}, callRow{no, no, no, no, no, no}},
	FuncHangUp:   {callRow{yes, yes, no, yes, yes, no}, callRow{yes, yes, yes, yes, yes, no}},
	FuncHold:     {callRow{no, no, no, yes, no, no}, callRow{no, no, no, yes, no, no}},
	FuncRetrieve: {callRow{no, no, no, no, yes, no}, callRow{no, no, no, no, yes, no}},
	FuncDTMF:     {callRow{no, no, no, yes, yes, no}, callRow{no, no, no, yes, yes, no}},
	FuncDeflect:  {callRow{no, no, yes, no, no, no}, callRow{no, no, no, no, no, no}},
	// Transfer (blind or after consulting) and conference act on a call that talks or is held.
	FuncTransfer:   {callRow{no, no, no, yes, yes, no}, callRow{no, no, no, yes, yes, no}},
	FuncConference: {callRow{no, no, no, yes, yes, no}, callRow{no, no, no, yes, yes, no}},
}

// callRow is a row of the call table, indexed by CallState.
type callRow [numCallStates]offered

// IsCallFunction reports whether f acts on a call (answer, decline, hang up, hold, retrieve, DTMF,
// deflect) rather than on a line (dial, DND, pickup, feature codes, redial).
func IsCallFunction(f Function) bool {
	_, ok := callTable[f]
	return ok
}

// LineFunctions returns the line functions that g offers on a line in state l, in catalogue order.
func LineFunctions(g Group, l LineView) []Function {
	var out []Function
	for _, f := range Functions() {
		if _, ok := lineTable[f]; ok && CheckLineFunction(g, l, f) == nil {
			out = append(out, f)
		}
	}
	return out
}

// CallFunctions returns the call functions that g offers on call c, in catalogue order.
func CallFunctions(g Group, c Call) []Function {
	var out []Function
	for _, f := range Functions() {
		if _, ok := callTable[f]; ok && CheckCallFunction(g, c, f) == nil {
			out = append(out, f)
		}
	}
	return out
}

// CheckLineFunction returns nil when g offers line function f on a line in state l, and otherwise
// a *FunctionError that says why, wrapping ErrFunctionDisabled (or ErrNoPickupCode,
// ErrNoFeatureCodes) when the group does not offer it and ErrFunctionState when the line's state
// forbids it. A call function or an unknown value gives an error wrapping ErrUnknownValue.
func CheckLineFunction(g Group, l LineView, f Function) error {
	row, ok := lineTable[f]
	if !ok {
		return notOfKind(f, "line")
	}
	if err := groupRefuses(&g, f); err != nil {
		return err
	}
	switch {
	case row.needs == needPickupCode && g.PickupCode == "":
		return groupError(f, g.Name, ErrNoPickupCode, fmt.Sprintf("%s is not possible: group %q has no pickup code", f, g.Name))
	case row.needs == needFeatureCodes && len(g.FeatureCodes) == 0:
		return groupError(f, g.Name, ErrNoFeatureCodes, fmt.Sprintf("%s is not possible: group %q has no feature codes", f, g.Name))
	case row.needs == needVoicemail && g.Voicemail == "":
		return groupError(f, g.Name, ErrNoVoicemail, fmt.Sprintf("%s is not possible: group %q has no voicemail number", f, g.Name))
	}
	s := l.state()
	if !row.in[s] {
		return stateError(f, lineStatePhrases[s])
	}
	if row.needs == needRedialNumber && !l.HasRedial {
		return stateError(f, "the line has no last dialled number")
	}
	return nil
}

// CheckCallFunction returns nil when g offers call function f on call c, and otherwise a
// *FunctionError that says why, wrapping ErrFunctionDisabled when the group does not offer it
// (deactivated, or decline while the group hides it) and ErrFunctionState when the call's direction
// or state forbids it. A line function or an unknown value gives an error wrapping ErrUnknownValue.
func CheckCallFunction(g Group, c Call, f Function) error {
	row, ok := callTable[f]
	if !ok {
		return notOfKind(f, "call")
	}
	if err := groupRefuses(&g, f); err != nil {
		return err
	}
	if f == FuncDecline && g.HideDecline {
		return groupError(f, g.Name, ErrFunctionDisabled, fmt.Sprintf("function %q is hidden for group %q", f, g.Name))
	}
	if c.State < 0 || int(c.State) >= numCallStates || (c.Direction != Incoming && c.Direction != Outgoing) {
		return stateError(f, fmt.Sprintf("the call is %s (%s)", c.State, c.Direction))
	}
	mine, other := row.in, row.out
	if c.Direction == Outgoing {
		mine, other = row.out, row.in
	}
	if mine[c.State] {
		return nil
	}
	if other[c.State] {
		// Only the direction is wrong (e.g. answer on an outgoing call): say so.
		return stateError(f, fmt.Sprintf("the %s call is %s", c.Direction, c.State))
	}
	return stateError(f, "the call is "+c.State.String())
}

func groupRefuses(g *Group, f Function) error {
	if !g.FunctionEnabled(f) {
		return groupError(f, g.Name, ErrFunctionDisabled, fmt.Sprintf("function %q is deactivated for group %q", f, g.Name))
	}
	return nil
}

func groupError(f Function, group string, reason error, msg string) error {
	return &FunctionError{Function: f, Group: group, Err: reason, msg: msg}
}

func stateError(f Function, state string) error {
	return &FunctionError{Function: f, State: state, Err: ErrFunctionState,
		msg: fmt.Sprintf("%s is not possible while %s", f, state)}
}

func notOfKind(f Function, kind string) error {
	if f < 0 || f >= numFunctions {
		return fmt.Errorf("function %d: %w", int(f), ErrUnknownValue)
	}
	return fmt.Errorf("function %q is not a %s function: %w", f, kind, ErrUnknownValue)
}

// FeatureCode returns the group's feature code with that name, exactly as it is offered. Dialling
// it means sending its Code verbatim on the line: no location conversion (outside-line code,
// prefixes) applies, because the code is meant for the PBX itself (line-group property 8). The
// error wraps ErrFunctionDisabled when the group deactivated feature codes or has none
// (ErrNoFeatureCodes), and ErrUnknownFeatureCode when no code has that name. Whether the line's
// state permits feature codes is CheckLineFunction's business.
func (g Group) FeatureCode(name string) (FeatureCode, error) {
	if err := groupRefuses(&g, FuncFeatureCodes); err != nil {
		return FeatureCode{}, err
	}
	if len(g.FeatureCodes) == 0 {
		return FeatureCode{}, groupError(FuncFeatureCodes, g.Name, ErrNoFeatureCodes,
			fmt.Sprintf("group %q has no feature codes", g.Name))
	}
	for _, fc := range g.FeatureCodes {
		if fc.Name == name {
			return fc, nil
		}
	}
	return FeatureCode{}, fmt.Errorf("group %q has no feature code named %q: %w", g.Name, name, ErrUnknownFeatureCode)
}

// maxPickupNumber bounds the number given to PickupDial, in characters.
const maxPickupNumber = 32

// PickupDial returns what to dial to pick up a call ringing at number: the group's pickup code with
// <NUMBER> replaced by number (line-group property 9). The number must already be in internal or
// dialable form (converting it is the location's business) and may only contain 0-9, * and #;
// spaces around it are ignored. The error wraps ErrFunctionDisabled when the group deactivated
// pickup or has no pickup code (ErrNoPickupCode), ErrInvalidNumber for a bad number, and ErrInvalid
// when the stored pickup code lacks its single <NUMBER>.
func (g Group) PickupDial(number string) (string, error) {
	if err := groupRefuses(&g, FuncPickup); err != nil {
		return "", err
	}
	if g.PickupCode == "" {
		return "", groupError(FuncPickup, g.Name, ErrNoPickupCode, fmt.Sprintf("group %q has no pickup code", g.Name))
	}
	if strings.Count(g.PickupCode, pickupPlaceholder) != 1 {
		return "", fmt.Errorf("group %q: pickup code %q must contain %s exactly once: %w",
			g.Name, g.PickupCode, pickupPlaceholder, ErrInvalid)
	}
	n := strings.TrimSpace(number)
	switch {
	case n == "":
		return "", fmt.Errorf("pickup number: must not be empty: %w", ErrInvalidNumber)
	case len(n) > maxPickupNumber:
		return "", fmt.Errorf("pickup number %q: must be at most %d characters: %w", n, maxPickupNumber, ErrInvalidNumber)
	}
	for i := 0; i < len(n); i++ {
		if b := n[i]; (b < '0' || b > '9') && b != '*' && b != '#' {
			return "", fmt.Errorf("pickup number %q: may only contain 0-9, * and #: %w", n, ErrInvalidNumber)
		}
	}
	return strings.Replace(g.PickupCode, pickupPlaceholder, n, 1), nil
}
