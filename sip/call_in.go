package sip

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// IncomingCall is a new call offered to the line server, before it is answered. The sip package
// has already checked its offer: malformed SDP was answered 400 and an offer without a common
// codec 488, so the handler sees only calls it can take.
type IncomingCall struct {
	ep        *Endpoint
	req       *gosip.Request
	tx        gosip.ServerTransaction
	sess      *sipgo.DialogServerSession
	offer     MediaDesc
	transport string
	contact   gosip.ContactHeader
	viaHost   string
	replaces  *Replaces

	cancelled  chan struct{}
	cancelOnce sync.Once
	finished   chan struct{} // closed once a final response went out (or could not)

	// respMu orders the responses: sipgo's session does not take two at once (a 180 resent
	// while the final response goes out).
	respMu sync.Mutex

	mu    sync.Mutex
	final bool // Answer or Reject has begun
	// cancelReason is the CANCEL's Reason header, set before cancelled is closed.
	cancelReason CancelReason
}

// CancelReason is why a caller's side cancelled a call, from the CANCEL's Reason header
// (RFC 3326), e.g. `SIP;cause=200;text="Call completed elsewhere"`.
type CancelReason struct {
	// Cause is the header's cause (200 when the call was answered at another phone), 0 when
	// none came.
	Cause int
	// Text is the header's text, as it came.
	Text string
}

// CompletedElsewhere reports whether the PBX cancelled the call because another phone took it:
// cause 200 (RFC 3326 with RFC 3261's status codes), or the text "Call completed elsewhere"
// (the phrase of RFC 3326's example, which some PBXs send without the cause).
func (r CancelReason) CompletedElsewhere() bool {
	return r.Cause == 200 || strings.Contains(strings.ToLower(r.Text), "completed elsewhere")
}

// parseCancelReason reads the first SIP protocol value of a Reason header.
func parseCancelReason(v string) CancelReason {
	var r CancelReason
	for _, part := range strings.Split(v, ",") {
		fields := strings.Split(part, ";")
		if !strings.EqualFold(strings.TrimSpace(fields[0]), "SIP") {
			continue
		}
		for _, f := range fields[1:] {
			k, val, ok := strings.Cut(strings.TrimSpace(f), "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "cause":
				if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n >= 100 && n <= 699 {
					r.Cause = n
				}
			case "text":
				r.Text = reasonPhrase(strings.Trim(strings.TrimSpace(val), `"`))
			}
		}
		return r
	}
	return r
}

// CallID is the call's Call-ID.
func (c *IncomingCall) CallID() string { return c.req.CallID().Value() }

// ToUser is the line's user the call is for: the line behind the Request-URI's user (a registrar
// routes to our registration's Contact, whose user part is random, trust.go), else the To
// header's user.
func (c *IncomingCall) ToUser() string { _, u := c.ep.requestLine(c.req); return u }

// Line is the name of the line whose registration the call was routed to (by its Contact's
// random user part), or "" when the call names a plain user (see ToUser).
func (c *IncomingCall) Line() string { n, _ := c.ep.requestLine(c.req); return n }

// requestLine is the line a request is for: the name of the line whose Contact it was routed
// to ("" when none) and the line's user (IncomingCall.ToUser).
func (e *Endpoint) requestLine(req *gosip.Request) (name, user string) {
	if req.Recipient.User != "" {
		return e.trust.lineOf(req.Recipient.User)
	}
	return "", req.To().Address.User
}

// From is the caller.
func (c *IncomingCall) From() Party {
	f := c.req.From()
	return partyOf(f.DisplayName, f.Address)
}

// To is the called party as the To header names it.
func (c *IncomingCall) To() Party {
	t := c.req.To()
	return partyOf(t.DisplayName, t.Address)
}

// Offer is the caller's media description.
func (c *IncomingCall) Offer() MediaDesc { return c.offer }

// Replaces returns the dialog the INVITE is to replace (RFC 3891), nil when it replaces none.
func (c *IncomingCall) Replaces() *Replaces { return c.replaces }

// Source is the address the INVITE came from, "ip:port".
func (c *IncomingCall) Source() string { return c.req.Source() }

// Cancelled is closed when the caller gave up with CANCEL: the sip package has answered the
// CANCEL 200 and the INVITE 487.
func (c *IncomingCall) Cancelled() <-chan struct{} { return c.cancelled }

// CancelReason is the Reason header of the caller's CANCEL; zero until Cancelled is closed or
// when the CANCEL had none.
func (c *IncomingCall) CancelReason() CancelReason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cancelReason
}

// Redirect forwards the call with 302 Moved Temporarily to target: a number or user, put in a
// sip: URI of the domain the call was addressed to, or a sip:/sips: URI taken as it is.
func (c *IncomingCall) Redirect(target string) error {
	target = strings.TrimSpace(target)
	var uri gosip.Uri
	if strings.HasPrefix(target, "sip:") || strings.HasPrefix(target, "sips:") {
		if err := gosip.ParseUri(target, &uri); err != nil {
			return fmt.Errorf("redirect: target %q: %w", target, err)
		}
	} else {
		if target == "" || strings.ContainsAny(target, "<>@;:\"\r\n\t ") {
			return fmt.Errorf("redirect: target %q: not a number or user", target)
		}
		uri = gosip.Uri{Scheme: "sip", User: target, Host: c.req.To().Address.Host, Port: c.req.To().Address.Port}
	}
	if err := c.begin(); err != nil {
		return err
	}
	defer close(c.finished)
	contact := &gosip.ContactHeader{Address: uri}
	c.respMu.Lock()
	defer c.respMu.Unlock()
	if err := c.sess.Respond(gosip.StatusMovedTemporarily, "Moved Temporarily", nil, contact); err != nil {
		return fmt.Errorf("redirect: %w", err)
	}
	return nil
}

// Ringing sends 180 Ringing. The server may send it again while it keeps the call ringing, so
// that proxies keep the transaction (RFC 3261 section 13.3.1.1).
func (c *IncomingCall) Ringing() error {
	finalBegun := func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.final
	}
	// Checked before waiting for respMu too: a final response holds it until its ACK.
	if finalBegun() {
		return nil // the final response is under way: no more provisional ones
	}
	c.respMu.Lock()
	defer c.respMu.Unlock()
	if finalBegun() {
		return nil
	}
	if err := c.sess.Respond(gosip.StatusRinging, "Ringing", nil); err != nil {
		return fmt.Errorf("ringing: %w", err)
	}
	return nil
}

func (c *IncomingCall) begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final {
		return errors.New("call already answered or rejected")
	}
	select {
	case <-c.cancelled:
		return &CallError{Code: gosip.StatusRequestTerminated, Reason: "cancelled by the caller"}
	default:
	}
	c.final = true
	return nil
}

// Answer accepts the call with 200 OK carrying local as the SDP answer and waits for the ACK
// (up to 64*T1, 32 s, as RFC 3261 section 13.3.1.4 allows). With no codecs in local the answer
// is negotiated here (see Negotiate) and local's Host and Port are kept; an empty Host is the
// address the INVITE reached.
func (c *IncomingCall) Answer(ctx context.Context, local MediaDesc) (*Dialog, error) {
	if err := c.begin(); err != nil {
		return nil, err
	}
	defer close(c.finished)
	if err := ctx.Err(); err != nil {
		c.respondFinal(gosip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
		return nil, err
	}
	if len(local.Codecs) == 0 {
		ans, err := Negotiate(c.offer, media.Codecs())
		if err != nil {
			c.respondFinal(gosip.StatusNotAcceptableHere, "Not Acceptable Here")
			return nil, err
		}
		ans.Host, ans.Port = local.Host, local.Port
		local = ans
	}
	if local.Host == "" {
		local.Host = c.contact.Address.Host
	}
	toTag, _ := c.sess.InviteRequest.To().Params.Get("tag")
	fromTag, _ := c.req.From().Params.Get("tag")
	d := &Dialog{
		ep:        c.ep,
		key:       dialogKey(c.CallID(), toTag, fromTag),
		callID:    c.CallID(),
		uas:       c.sess,
		transport: c.transport,
		viaHost:   c.viaHost,
		viaPort:   c.contact.Address.Port,
		laddr:     c.ep.udpLaddr(),
		contact:   c.contact,
		target:    c.req.Contact().Address,
		sessionID: newSessionID(),
		local:     local,
		remote:    c.offer,
	}
	d.init()
	if cd, ok := local.Codec(); ok {
		d.remote.Codecs = []media.Codec{cd}
	}
	d.remote.Crypto = answeredCrypto(c.offer.Crypto, local.Crypto)
	// Known before the 200 goes out: the ACK may come back at once.
	c.ep.addDialog(d)
	res := gosip.NewSDPResponseFromRequest(c.sess.InviteRequest, BuildSDP(d.sessionID, d.version, local))
	res.AppendHeader(gosip.NewHeader("Allow", allowedMethods))
	c.respMu.Lock()
	err := c.sess.WriteResponse(res)
	c.respMu.Unlock()
	if err != nil {
		d.end(EndReason{Text: "answer failed: " + err.Error()})
		return nil, fmt.Errorf("answer: %w", err)
	}
	return d, nil
}

// Reject declines the call with a final response, e.g. 486 Busy Here or 603 Decline.
func (c *IncomingCall) Reject(code int, reason string) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("reject: %d is not a failure code", code)
	}
	if err := c.begin(); err != nil {
		return err
	}
	defer close(c.finished)
	return c.respondFinal(code, reason)
}

func (c *IncomingCall) respondFinal(code int, reason string) error {
	c.respMu.Lock()
	defer c.respMu.Unlock()
	if err := c.sess.Respond(code, reasonPhrase(reason), nil); err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	return nil
}

// handleInvite takes a new INVITE (or hands a re-INVITE to its dialog). It checks the offer,
// then runs the OnCall handler and keeps the transaction until a final response: sipgo ends a
// server transaction when its handler returns.
func (e *Endpoint) handleInvite(req *gosip.Request, tx gosip.ServerTransaction) {
	if to := req.To(); to != nil {
		if tag, ok := to.Params.Get("tag"); ok && tag != "" {
			d := e.findDialog(req)
			if d == nil {
				e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
				return
			}
			d.readReInvite(req, tx)
			return
		}
	}
	e.calls.mu.Lock()
	handler, screen := e.calls.handler, e.calls.screen
	e.calls.mu.Unlock()
	if handler == nil {
		e.respond(tx, req, gosip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
		return
	}
	if req.Contact() == nil {
		e.respond(tx, req, gosip.StatusBadRequest, "Missing Contact Header")
		return
	}
	if len(req.Body()) == 0 {
		// A late offer (RFC 3261 section 13.2.1: offer in our 2xx, answer in the ACK) is not
		// supported yet.
		e.respond(tx, req, gosip.StatusNotAcceptableHere, "Not Acceptable Here (no SDP offer)",
			warning(399, "INVITE without SDP offer is not supported"))
		return
	}
	if ct := req.ContentType(); ct != nil && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct.Value())), "application/sdp") {
		e.respond(tx, req, gosip.StatusUnsupportedMediaType, "Unsupported Media Type",
			gosip.NewHeader("Accept", "application/sdp"))
		return
	}
	offer, err := ParseSDP(req.Body())
	if err == nil {
		_, err = Negotiate(offer, media.Codecs())
	}
	if err == nil && offer.Secure && !offer.Encrypted() {
		// RTP/SAVP with no key Lineup can use: no line's policy can answer it.
		_, err = AnswerCrypto(offer, line.EncryptionRequire, nil)
	}
	if errors.Is(err, ErrEncryption) {
		e.respond(tx, req, gosip.StatusNotAcceptableHere, "Not Acceptable Here", warning(399, err.Error()))
		return
	}
	if errors.Is(err, ErrNoCommonCodec) {
		e.respond(tx, req, gosip.StatusNotAcceptableHere, "Not Acceptable Here", warning(305, err.Error()))
		return
	}
	if err != nil {
		e.respond(tx, req, gosip.StatusBadRequest, reasonPhrase("Bad SDP: "+strings.TrimPrefix(err.Error(), ErrBadSDP.Error()+": ")))
		return
	}

	var replaces *Replaces
	if hs := req.GetHeaders("Replaces"); len(hs) > 0 {
		r, err := ParseReplaces(hs[0].Value())
		if err != nil || len(hs) > 1 {
			if err == nil {
				err = errors.New("more than one Replaces header")
			}
			e.respond(tx, req, gosip.StatusBadRequest, "Bad Replaces Header", warning(399, err.Error()))
			return
		}
		replaces = &r
		// RFC 3891 section 3: the dialog must be ours and confirmed (an early dialog is
		// never in the table); early-only asks not to replace a confirmed one.
		e.calls.mu.Lock()
		d := e.calls.dialogs[dialogKey(r.CallID, r.ToTag, r.FromTag)]
		e.calls.mu.Unlock()
		switch {
		case d == nil || d.ended():
			e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist",
				warning(399, "Replaces names no call here"))
			return
		case r.EarlyOnly:
			e.respond(tx, req, gosip.StatusBusyHere, "Busy Here", warning(399, "the call to replace is answered"))
			return
		}
	}

	if screen != nil {
		f := req.From()
		name, user := e.requestLine(req)
		inv := ScreenedInvite{Line: name, ToUser: user, CallID: req.CallID().Value(),
			From: partyOf(f.DisplayName, f.Address), Offer: offer, Replaces: replaces}
		if code, reason := screen(inv); code >= 300 {
			e.respond(tx, req, code, reasonPhrase(reason))
			return
		}
	}

	c, err := e.newIncomingCall(req, tx, offer)
	if err == nil {
		c.replaces = replaces
	}
	if err != nil {
		e.log.Debug("incoming call refused", "error", err)
		e.respond(tx, req, gosip.StatusInternalServerError, "Server Internal Error")
		return
	}
	handler(c)
	select {
	case <-c.finished:
	case <-tx.Done():
	case <-e.calls.ctx.Done():
		c.mu.Lock()
		pending := !c.final
		c.final = true
		c.mu.Unlock()
		if pending {
			e.respond(tx, req, gosip.StatusServiceUnavailable, "Service Unavailable")
		}
	}
}

func (e *Endpoint) newIncomingCall(req *gosip.Request, tx gosip.ServerTransaction, offer MediaDesc) (*IncomingCall, error) {
	transport := strings.ToUpper(req.Transport())
	lt := line.TransportUDP
	if transport != "UDP" {
		lt = line.TransportTCP
	}
	host, err := e.localIPFor(context.Background(), req.Source())
	if err != nil {
		return nil, err
	}
	port := e.port(lt)
	if transport != "UDP" && req.Recipient.Port != 0 {
		// Over TCP and TLS the request came to the Contact we registered, whose port is that of
		// our connection to the registrar: we listen for TLS nowhere else, so the dialog's
		// requests must come back over that connection too.
		port = req.Recipient.Port
	}
	contact := gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: req.Recipient.User, Host: host, Port: port}}
	if transport != "UDP" {
		contact.Address.UriParams = gosip.NewParams()
		contact.Address.UriParams.Add("transport", strings.ToLower(transport))
	}
	c := &IncomingCall{
		ep: e, req: req, tx: tx, offer: offer, transport: transport,
		contact: contact, viaHost: host,
		cancelled: make(chan struct{}), finished: make(chan struct{}),
	}
	// Registered before the dialog's own CANCEL handler (which ReadInvite adds, and which ends
	// the session): the reason is known by the time Cancelled closes.
	tx.OnCancel(func(r *gosip.Request) {
		if h := r.GetHeader("Reason"); h != nil {
			reason := parseCancelReason(h.Value())
			c.mu.Lock()
			c.cancelReason = reason
			c.mu.Unlock()
		}
	})
	dua := &sipgo.DialogUA{Client: e.client, ContactHDR: contact}
	sess, err := dua.ReadInvite(req, tx)
	if err != nil {
		return nil, err
	}
	c.sess = sess
	// sipgo ends the session with ErrTransactionCanceled when a CANCEL arrives before the answer
	// (the transaction layer has answered it 200 and the INVITE 487 by then).
	sess.OnState(func(s gosip.DialogState) {
		if s == gosip.DialogStateEnded && errors.Is(context.Cause(sess.Context()), gosip.ErrTransactionCanceled) {
			c.cancelOnce.Do(func() { close(c.cancelled) })
		}
	})
	return c, nil
}
