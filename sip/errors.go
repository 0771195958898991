package sip

import "errors"

var (
	// ErrAuthFailed is returned when the registrar rejects the line's credentials.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrNoTransport is returned when the endpoint does not listen on the transport a line needs.
	ErrNoTransport = errors.New("transport not available")
	// ErrBadResponse is returned for a response the registrar should not have sent.
	ErrBadResponse = errors.New("malformed response")
)

// ErrForeignChallenge is returned when a host other than the line's registrar or outbound
// proxy, or a realm other than the one the registrar uses, asks for the line's credentials:
// they are not sent, so that a rogue host cannot collect a digest to crack offline.
var ErrForeignChallenge = errors.New("challenge not from the line's registrar: credentials not sent")

// ErrUnreachable is returned when the host a request must go to (the line's registrar or proxy,
// or the dialled host of a line set for direct calls) has a name that does not resolve.
var ErrUnreachable = errors.New("host name does not resolve")
