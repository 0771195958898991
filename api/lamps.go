package api

import (
	"fmt"
	"strings"
)

// Voicemail is a line's voicemail lamp: what the phone system last said of the line's mailbox
// (RFC 3842 message summary).
type Voicemail struct {
	// Known is set once the phone system said anything; a lamp without it shows nothing.
	Known bool
	// Waiting is set when the phone system says messages are waiting.
	Waiting bool
	// New and Old count the voice messages.
	New, Old int
}

// LampState is what a busy lamp shows of a monitored extension (RFC 4235 dialog state).
type LampState int

// The lamp states.
const (
	// LampUnknown: no state known yet (not subscribed, or the phone system does not offer it).
	LampUnknown LampState = iota
	LampIdle              // no call
	LampRinging           // being called: a call to pick up
	LampBusy              // in a call, or calling out
)

var lampStateNames = [...]string{"unknown", "idle", "ringing", "busy"}

func (s LampState) String() string {
	if s < 0 || int(s) >= len(lampStateNames) {
		return fmt.Sprintf("LampState(%d)", int(s))
	}
	return lampStateNames[s]
}

// MarshalText writes the state's name.
func (s LampState) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(lampStateNames) {
		return nil, fmt.Errorf("lamp state %d: %w", int(s), ErrBadInput)
	}
	return []byte(lampStateNames[s]), nil
}

// UnmarshalText reads a state's name.
func (s *LampState) UnmarshalText(b []byte) error {
	for i, n := range lampStateNames {
		if strings.EqualFold(string(b), n) {
			*s = LampState(i)
			return nil
		}
	}
	return fmt.Errorf("lamp state %q: %w", string(b), ErrBadInput)
}

// Lamp is one busy lamp of a line's group: a monitored extension and what it is doing.
type Lamp struct {
	Extension string
	State     LampState
}
