package media

import "errors"

// Errors of the media package. Callers match them with errors.Is; the functions that return them
// wrap them with the detail (a codec name, a payload length).

// ErrUnknownCodec is returned for a codec name or payload type Lineup does not support.
var ErrUnknownCodec = errors.New("unknown codec")

// ErrShortEvent is returned for an RFC 4733 telephone-event payload shorter than 4 bytes.
var ErrShortEvent = errors.New("telephone event payload too short")

// Errors of the RTP streams (stream.go, direction.go, clock.go).
var (
	// ErrInactive ends Run when no RTP arrived for the inactivity timeout.
	ErrInactive = errors.New("rtp inactivity timeout")
	// ErrNoTelephoneEvent is returned by SendDTMF when the peer offered no telephone-event.
	ErrNoTelephoneEvent = errors.New("peer offers no telephone-event")
	// ErrNotSending is returned by SendDTMF while the direction does not send.
	ErrNotSending = errors.New("stream is not sending")
	// ErrBadDigit is a DTMF digit outside 0-9, *, #, A-D.
	ErrBadDigit = errors.New("not a dtmf digit")
	// ErrClockStopped ends Run when its Clock was stopped.
	ErrClockStopped = errors.New("media clock stopped")
	// ErrStreamRunning is returned by a second Run of a stream.
	ErrStreamRunning = errors.New("stream run twice")
	// ErrNoConn is a StreamConfig without an RTP socket.
	ErrNoConn = errors.New("no rtp socket")
	// ErrBadDirection is an unknown SDP direction.
	ErrBadDirection = errors.New("unknown media direction")
	// ErrBadPayloadType is an RTP payload type that cannot be used.
	ErrBadPayloadType = errors.New("bad payload type")
)

// Errors of SRTP (srtp.go).
var (
	// ErrUnknownSuite is an SRTP crypto suite Lineup does not speak.
	ErrUnknownSuite = errors.New("unknown srtp crypto suite")
	// ErrBadSRTPKey is an SRTP master key of the wrong length, or keys without a suite.
	ErrBadSRTPKey = errors.New("bad srtp key")
	// ErrNoSRTP is returned by SetSRTPRemote on a stream made without SRTP.
	ErrNoSRTP = errors.New("stream has no srtp")
)
