package sip

import (
	"runtime/debug"
	"strings"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
)

// This file is the line server's first look at every request that arrives: the checks RFC 3261
// section 8.2 asks of a UAS before it acts on a request, applied once for all methods, so that no
// handler meets a request without the headers it relies on. sipgo's transaction layer has by then
// answered 400 to what it cannot key a transaction by (no Via, no CSeq).

// allowedMethods is the Allow header of our responses (RFC 3261 section 20.5).
const allowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY"

// statusUnsupportedURIScheme is 416 Unsupported URI Scheme (RFC 3261 section 21.4.13).
const statusUnsupportedURIScheme = 416

// singletons are the headers a request carries once: two of them leave the request ambiguous
// (RFC 3261 section 7.3.1 allows repetition only for comma-separated list headers).
var singletons = []string{"Call-ID", "From", "To", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}

// repeatedSingleton finds a header of singletons that req has more than once, in one pass over
// its headers and without allocating (every request passes here).
func repeatedSingleton(req *gosip.Request) (string, bool) {
	var seen [8]uint8
	for _, h := range req.Headers() {
		name := gosip.HeaderToLower(h.Name())
		for i, s := range singletonsLower {
			if name == s {
				if seen[i]++; seen[i] > 1 {
					return singletons[i], true
				}
				break
			}
		}
	}
	return "", false
}

// singletonsLower are singletons as gosip.HeaderToLower names them.
var singletonsLower = func() []string {
	out := make([]string, len(singletons))
	for i, s := range singletons {
		out[i] = gosip.HeaderToLower(s)
	}
	return out
}()

// requestProblem is why a request is refused before any handler sees it.
type requestProblem struct {
	code   int
	reason string
}

// checkRequest returns the response a malformed request gets, or ok when handlers may take it.
func checkRequest(req *gosip.Request) (requestProblem, bool) {
	if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
		// RFC 3261 section 8.2.1 and 21.5.6.
		return requestProblem{gosip.StatusVersionNotSupported, "Version Not Supported"}, false
	}
	if s := req.Recipient.Scheme; s != "sip" && s != "sips" {
		// RFC 3261 section 8.2.2.1 (sipgo names no constant for 416).
		return requestProblem{statusUnsupportedURIScheme, "Unsupported URI Scheme"}, false
	}
	if name, ok := repeatedSingleton(req); ok {
		return requestProblem{gosip.StatusBadRequest, "Duplicate " + name + " Header"}, false
	}
	switch {
	case req.CallID() == nil || req.CallID().Value() == "":
		return requestProblem{gosip.StatusBadRequest, "Missing Call-ID Header"}, false
	case req.From() == nil:
		return requestProblem{gosip.StatusBadRequest, "Missing From Header"}, false
	case req.To() == nil:
		return requestProblem{gosip.StatusBadRequest, "Missing To Header"}, false
	case req.CSeq() == nil:
		return requestProblem{gosip.StatusBadRequest, "Missing CSeq Header"}, false
	case req.Via() == nil:
		return requestProblem{gosip.StatusBadRequest, "Missing Via Header"}, false
	case req.MaxForwards() == nil:
		return requestProblem{gosip.StatusBadRequest, "Missing Max-Forwards Header"}, false
	case req.CSeq().MethodName != req.Method:
		// RFC 3261 section 8.1.1.5: the CSeq method MUST match the request's.
		return requestProblem{gosip.StatusBadRequest, "CSeq Method Does Not Match the Request"}, false
	}
	if s := req.From().Address.Scheme; s == "" {
		return requestProblem{gosip.StatusBadRequest, "Bad From Header"}, false
	}
	if s := req.To().Address.Scheme; s == "" {
		return requestProblem{gosip.StatusBadRequest, "Bad To Header"}, false
	}
	return requestProblem{}, true
}

// guard wraps a request handler with the source check (mayBegin: a request from an address
// that is not trusted is dropped unanswered) and checkRequest. An ACK is never answered (RFC 3261 section
// 17.2.1): a malformed one is dropped. A handler that panics on a request is a bug; it is logged
// with its stack and the request gets 500, so that one message cannot stop the line server.
func (e *Endpoint) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *gosip.Request, tx gosip.ServerTransaction) {
		defer func() {
			if r := recover(); r != nil {
				e.log.Error("sip handler panicked", "method", req.Method.String(), "panic", r, "stack", string(debug.Stack()))
				if !req.IsAck() && tx != nil {
					e.respond(tx, req, gosip.StatusInternalServerError, "Server Internal Error")
				}
			}
		}()
		if !e.mayBegin(req) {
			e.log.Debug("sip request from an untrusted address dropped", "method", req.Method.String(), "source", req.Source())
			return
		}
		p, ok := checkRequest(req)
		if !ok {
			e.log.Debug("sip request refused", "method", req.Method.String(), "source", req.Source(), "code", p.code, "reason", p.reason)
			if req.IsAck() || tx == nil {
				return
			}
			e.respondVersion(tx, req, p.code, p.reason)
			return
		}
		h(req, tx)
	}
}

// respondVersion answers req like respond, always as SIP/2.0: sipgo copies the request's version
// into the response, which would answer a "SIP/7.0" request in its own version.
func (e *Endpoint) respondVersion(tx gosip.ServerTransaction, req *gosip.Request, code int, reason string) {
	res := gosip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
	if code == gosip.StatusMethodNotAllowed {
		res.AppendHeader(gosip.NewHeader("Allow", allowedMethods))
	}
	if err := tx.Respond(res); err != nil {
		e.log.Debug("sip response failed", "code", code, "method", req.Method.String(), "error", err)
	}
}

// handleUnknown answers a method the line server does not implement with 405 and the methods it
// does (RFC 3261 section 8.2.1), without the warning sipgo's default handler logs for each one:
// a scanner would fill the log.
func (e *Endpoint) handleUnknown(req *gosip.Request, tx gosip.ServerTransaction) {
	if req.IsAck() || tx == nil {
		return
	}
	e.respondVersion(tx, req, gosip.StatusMethodNotAllowed, "Method Not Allowed")
}
