// Package sip is Lineup's signalling on top of github.com/emiago/sipgo: one Endpoint per line
// server (the listening sockets, the transaction layer and the request handlers) and one
// Registrar per line, which keeps the line registered at its registrar.
//
// Registration follows RFC 3261 section 10 with digest authentication (RFC 3261 section 22,
// RFC 7616 via github.com/icholy/digest), the response's Via received/rport (RFC 3581) written
// back into the Contact, a per-Contact expires parameter honoured over the Expires header
// (RFC 3261 section 10.2.4), Min-Expires on 423, Retry-After (RFC 3261 section 20.33) and
// exponential back-off after failures. sipgo offers transactions and transports but leaves the
// registration state machine to its users, so that part is written here.
package sip
