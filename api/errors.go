package api

import "errors"

// Errors of the client interface. Package httpapi maps them, and package line's function
// errors, to HTTP status codes (see httpapi.StatusOf): not found 404, refused by the group 403,
// wrong state 409, bad input 400.
var (
	// ErrNoLine: no line has that name.
	ErrNoLine = errors.New("no such line")
	// ErrLineOff: the line's "use line" switch is off.
	ErrLineOff = errors.New("line is not in use")
	// ErrNoCall: no call has that ID (it may have ended).
	ErrNoCall = errors.New("no such call")
	// ErrNoEntry: no journal entry has that ID.
	ErrNoEntry = errors.New("no such journal entry")
	// ErrCallState: the call is in a state that does not permit the action.
	ErrCallState = errors.New("not possible in the call's state")
	// ErrBadInput: an argument is malformed (a DTMF digit, a decline reason, an empty number).
	ErrBadInput = errors.New("bad input")
	// ErrLoggedOff: the session has logged off (or was logged off).
	ErrLoggedOff = errors.New("session is logged off")
	// ErrNotRunning: the line server is not running.
	ErrNotRunning = errors.New("line server is not running")
	// ErrUnreachable: the host a call must go to (the line's registrar or proxy, or a dialled
	// host) cannot be found: its name does not resolve.
	ErrUnreachable = errors.New("phone system not found")
	// ErrRefused: the other party refused what was asked of it (a transfer's REFER); the message
	// gives its SIP status.
	ErrRefused = errors.New("refused by the other party")
)
