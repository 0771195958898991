package line

import (
	"fmt"
	"strings"
)

// EndCause is why a call ended, as the line server knows it: who ended it and how. It is a code,
// not a sentence: the UI words it (with the call's EndCode and EndReason), and the HTTP API
// carries its name.
type EndCause int

// The causes. EndCode and EndReason of the call add the SIP status and, where the cause needs
// one, a detail in the far end's or the system's words (its reason phrase, the target of a
// deflection, an error).
const (
	EndUnknown           EndCause = iota
	EndHungUpHere                 // a client hung up
	EndHungUpThere                // the far end hung up (BYE)
	EndCallerGaveUp               // the caller cancelled before the answer
	EndAnsweredElsewhere          // the phone system cancelled: another phone took the call
	EndRejected                   // a client declined or was busy (EndCode: what was sent)
	EndServerAnswered             // the line server answered by itself (not logged on, DND)
	EndDeflected                  // forwarded with 302 (EndReason: the target)
	EndRefused                    // the far end refused the call (EndCode, EndReason: its phrase)
	EndCancelled                  // cancelled here before the far end answered
	EndNoAudio                    // no RTP from the far end for the inactivity timeout
	EndNoCommonCodec              // no codec both ends speak
	EndStopped                    // the line server stopped
	EndFailed                     // it failed here (EndReason: the error)
	EndNoEncryption               // the line's SRTP policy and the far end's media did not agree (EndReason: how)
	EndTransferred                // passed on to another party (EndReason: the party, as dialled or as the far end named it)
	EndForwarded                  // the line's forwarding rule answered 302 (EndReason: the target)
)

var endCauseNames = [...]string{
	EndUnknown: "unknown", EndHungUpHere: "hung_up_here", EndHungUpThere: "hung_up_there",
	EndCallerGaveUp: "caller_gave_up", EndAnsweredElsewhere: "answered_elsewhere",
	EndRejected: "rejected", EndServerAnswered: "server_answered", EndDeflected: "deflected",
	EndRefused: "refused", EndCancelled: "cancelled", EndNoAudio: "no_audio",
	EndNoCommonCodec: "no_common_codec", EndStopped: "stopped", EndFailed: "failed",
	EndNoEncryption: "no_encryption", EndTransferred: "transferred",
	EndForwarded: "forwarded",
}

// Valid reports whether c is one of the causes.
func (c EndCause) Valid() bool { return c >= 0 && int(c) < len(endCauseNames) }

func (c EndCause) String() string {
	if c.Valid() {
		return endCauseNames[c]
	}
	return fmt.Sprintf("EndCause(%d)", int(c))
}

// MarshalText writes the name; an invalid cause is an error.
func (c EndCause) MarshalText() ([]byte, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("end cause %d: %w", int(c), ErrUnknownValue)
	}
	return []byte(endCauseNames[c]), nil
}

// UnmarshalText reads a name written by MarshalText.
func (c *EndCause) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	for i, n := range endCauseNames {
		if n == s {
			*c = EndCause(i)
			return nil
		}
	}
	return fmt.Errorf("end cause %q: %w", string(b), ErrUnknownValue)
}
