package line

import (
	"errors"
	"fmt"
)

// CallPhase is where a call stands in the line server's state machine: finer than the CallState
// that clients see, since it also names the passing steps (an answer under way, an end under way)
// in which some actions must be refused. The engine holds one per call and changes it only
// through Next, so that what SIP and the user may do to a call is decided here, in one table.
//
// Further features hang more phases and events on the same table: a call waiting is a second
// call in PhaseRingingIn beside a connected one; a consultation for a transfer is a held call
// plus a new outgoing one; a conference joins calls that are each connected.
type CallPhase int

// The phases of a call. An incoming call starts PhaseRingingIn and an outgoing one
// PhaseRingingOut; both pass PhaseAnswering on their way to PhaseConnected, and every call that
// has not ended may end, directly (the far end or the network ended it) or through PhaseEnding
// (this side ends it and tells the far end).
const (
	PhaseRingingIn  CallPhase = iota // incoming, ringing here (or held ringing by the server)
	PhaseRingingOut                  // outgoing, INVITE sent, no provisional answer yet
	PhaseEarly                       // outgoing, the far end alerts (180, 183, maybe early media)
	PhaseAnswering                   // answered (here, or a 2xx arrived); media starting
	PhaseConnected                   // both sides talk
	PhaseHeld                        // held by this side (re-INVITE, RFC 3264 section 8.4)
	PhaseEnding                      // this side ends the call; the far end is being told
	PhaseEnded                       // over; nothing more happens to it
	numCallPhases
)

var callPhaseNames = [numCallPhases]string{
	"ringing-in", "ringing-out", "early", "answering", "connected", "held", "ending", "ended",
}

// String returns the phase's name, e.g. "ringing-in".
func (p CallPhase) String() string {
	if p >= 0 && p < numCallPhases {
		return callPhaseNames[p]
	}
	return fmt.Sprintf("CallPhase(%d)", int(p))
}

// Shown returns the CallState that clients see in phase p. The passing phases (answering,
// ending) return false: clients go on seeing the state before them until the next one.
func (p CallPhase) Shown() (CallState, bool) {
	switch p {
	case PhaseRingingIn:
		return CallRinging, true
	case PhaseRingingOut:
		return CallDialing, true
	case PhaseEarly:
		return CallAlerting, true
	case PhaseConnected:
		return CallConnected, true
	case PhaseHeld:
		return CallHeld, true
	case PhaseEnded:
		return CallEnded, true
	}
	return 0, false
}

// InDialog reports whether the call is connected or held by us: media may flow and DTMF, hold
// and retrieve apply.
func (p CallPhase) InDialog() bool { return p == PhaseConnected || p == PhaseHeld }

// Over reports whether the call is ending or has ended: nothing may start on it any more.
func (p CallPhase) Over() bool { return p == PhaseEnding || p == PhaseEnded }

// StartPhase is the phase a new call starts in.
func StartPhase(d CallDirection) CallPhase {
	if d == Outgoing {
		return PhaseRingingOut
	}
	return PhaseRingingIn
}

// CallEvent is what happens to a call: from SIP (a provisional response, an answer, the far
// end's end) or from the user (answer, hold, hang up).
type CallEvent int

// The events of a call.
const (
	// EventProgress: a 180 or 183 to our INVITE (RFC 3261 section 13.2.2.1), with or without
	// early media (RFC 3960).
	EventProgress CallEvent = iota
	// EventAnswer: the user answers an incoming call here (or picks it up); the 200 OK follows.
	EventAnswer
	// EventAnswered: a 2xx to our INVITE arrived (RFC 3261 section 13.2.2.4).
	EventAnswered
	// EventEstablished: the dialog is confirmed and the call's media runs.
	EventEstablished
	// EventHold and EventRetrieve: this side holds the call and takes it back (RFC 3264
	// section 8.4), once the far end accepted the re-INVITE.
	EventHold
	EventRetrieve
	// EventHangUp: this side ends the call (hang up, reject, deflect, a response the server
	// gives); the BYE, CANCEL or final response is on its way.
	EventHangUp
	// EventEnd: the call is over (the far end hung up or cancelled, the INVITE failed, the
	// media failed, or this side's end completed).
	EventEnd
	numCallEvents
)

var callEventNames = [numCallEvents]string{
	"progress", "answer", "answered", "established", "hold", "retrieve", "hang-up", "end",
}

// String returns the event's name, e.g. "hang-up".
func (e CallEvent) String() string {
	if e >= 0 && e < numCallEvents {
		return callEventNames[e]
	}
	return fmt.Sprintf("CallEvent(%d)", int(e))
}

// ErrCallTransition is wrapped by the error of a transition that the call's phase refuses.
var ErrCallTransition = errors.New("not possible in the call's phase")

// callTransitions is the state machine: for each phase, the phase each allowed event leads to.
// An event missing from a phase's row is refused there.
var callTransitions = [numCallPhases]map[CallEvent]CallPhase{
	PhaseRingingIn: {
		EventAnswer: PhaseAnswering, EventHangUp: PhaseEnding, EventEnd: PhaseEnded,
	},
	PhaseRingingOut: {
		EventProgress: PhaseEarly, EventAnswered: PhaseAnswering, EventHangUp: PhaseEnding,
		EventEnd: PhaseEnded,
	},
	PhaseEarly: {
		// Further 180s and 183s (a forking proxy, an announcement) leave the call early.
		EventProgress: PhaseEarly, EventAnswered: PhaseAnswering, EventHangUp: PhaseEnding,
		EventEnd: PhaseEnded,
	},
	PhaseAnswering: {
		EventEstablished: PhaseConnected, EventHangUp: PhaseEnding, EventEnd: PhaseEnded,
	},
	PhaseConnected: {
		EventHold: PhaseHeld, EventHangUp: PhaseEnding, EventEnd: PhaseEnded,
	},
	PhaseHeld: {
		EventRetrieve: PhaseConnected, EventHangUp: PhaseEnding, EventEnd: PhaseEnded,
	},
	PhaseEnding: {
		EventEnd: PhaseEnded,
	},
	PhaseEnded: {},
}

// Next returns the phase that event e leads to from p, or an error wrapping ErrCallTransition
// when p refuses e.
func (p CallPhase) Next(e CallEvent) (CallPhase, error) {
	if p < 0 || p >= numCallPhases {
		return p, fmt.Errorf("call phase %d: %w", int(p), ErrUnknownValue)
	}
	if e < 0 || e >= numCallEvents {
		return p, fmt.Errorf("call event %d: %w", int(e), ErrUnknownValue)
	}
	next, ok := callTransitions[p][e]
	if !ok {
		return p, fmt.Errorf("call is %s: %s: %w", p, e, ErrCallTransition)
	}
	return next, nil
}

// Allows reports whether p accepts event e.
func (p CallPhase) Allows(e CallEvent) bool {
	_, err := p.Next(e)
	return err == nil
}
