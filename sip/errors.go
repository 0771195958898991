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
