package line

import (
	"fmt"
	"time"
)

// CallState is where a call stands, as the UI and the API show it.
type CallState int

// The states of a call. A call starts Dialing (outgoing) or Ringing (incoming), may reach
// Connected, moves between Connected and Held, and ends Ended.
const (
	CallDialing  CallState = iota // outgoing, no answer yet (the far end may be alerting)
	CallAlerting                  // outgoing, the far end rings (180/183)
	CallRinging                   // incoming, ringing here
	CallConnected
	CallHeld // held by us
	CallEnded
)

var callStateNames = []string{"dialing", "alerting", "ringing", "connected", "held", "ended"}

// String returns the state's lower-case name.
func (s CallState) String() string {
	if s >= 0 && int(s) < len(callStateNames) {
		return callStateNames[s]
	}
	return fmt.Sprintf("CallState(%d)", int(s))
}

// MarshalText writes the name, for the API.
func (s CallState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// CallDirection says who placed the call.
type CallDirection int

// Incoming calls were placed by the far end, outgoing ones by us.
const (
	Incoming CallDirection = iota
	Outgoing
)

// String returns "incoming" or "outgoing".
func (d CallDirection) String() string {
	switch d {
	case Incoming:
		return "incoming"
	case Outgoing:
		return "outgoing"
	}
	return fmt.Sprintf("CallDirection(%d)", int(d))
}

// MarshalText writes the name, for the API.
func (d CallDirection) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Call is a snapshot of one call.
type Call struct {
	ID        string
	Line      string
	Direction CallDirection
	State     CallState
	// RemoteNumber is the far end's user part (number) and RemoteName its display name.
	RemoteNumber string
	RemoteName   string
	// Codec is the negotiated codec, e.g. "PCMU", once media flows.
	Codec string
	// Encrypted is set while the call's media runs as SRTP.
	Encrypted bool
	// HeldByRemote is set while the far end holds the call.
	HeldByRemote bool
	Muted        bool
	// DTMFReceived are the digits the far end sent, in order.
	DTMFReceived string
	// LossPercent is the share of expected packets that did not arrive.
	LossPercent float64
	Started     time.Time
	Answered    time.Time
	Ended       time.Time
	// EndCause is why the call ended; EndCode is the SIP status that ended it (e.g. 486), 0
	// when none applies; EndReason is the detail the cause needs, in the far end's or the
	// system's words (its reason phrase, a deflection's target, an error), or empty.
	EndCause  EndCause
	EndCode   int
	EndReason string
}

// Duration is how long the call has been (or was) connected.
func (c Call) Duration(now time.Time) time.Duration {
	if c.Answered.IsZero() {
		return 0
	}
	end := c.Ended
	if end.IsZero() {
		end = now
	}
	return end.Sub(c.Answered)
}

// UnmarshalText reads a name written by MarshalText.
func (s *CallState) UnmarshalText(b []byte) error {
	for i, n := range callStateNames {
		if n == string(b) {
			*s = CallState(i)
			return nil
		}
	}
	return fmt.Errorf("call state %q: %w", b, ErrUnknownValue)
}

// UnmarshalText reads "incoming" or "outgoing".
func (d *CallDirection) UnmarshalText(b []byte) error {
	for _, v := range []CallDirection{Incoming, Outgoing} {
		if v.String() == string(b) {
			*d = v
			return nil
		}
	}
	return fmt.Errorf("call direction %q: %w", b, ErrUnknownValue)
}
