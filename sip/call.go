package sip

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/lineupphone/lineup/line"
)

// CallError is the end of a call attempt with a final response of 300 or more (RFC 3261 section
// 21), e.g. 486 Busy Here, or 487 Request Terminated after Cancel.
type CallError struct {
	Code   int
	Reason string
	// Err is why Lineup itself ended the attempt at that response, e.g. ErrForeignChallenge;
	// nil when the response alone ended it.
	Err error
	// Contacts are where a redirect (301, 302) sends the call, in the response's order: its
	// sip:, sips: and tel: Contact URIs, at most maxRedirectContacts.
	Contacts []string
}

// maxRedirectContacts bounds the targets kept from one redirect.
const maxRedirectContacts = 8

// redirectContacts are the Contact URIs of a 301 or 302 response.
func redirectContacts(res *gosip.Response) []string {
	if res.StatusCode != gosip.StatusMovedPermanently && res.StatusCode != gosip.StatusMovedTemporarily {
		return nil
	}
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		ch, ok := h.(*gosip.ContactHeader)
		if !ok || len(out) == maxRedirectContacts {
			continue
		}
		switch strings.ToLower(ch.Address.Scheme) {
		case "sip", "sips", "tel":
			u := ch.Address
			u.Headers = nil // no headers smuggled into the next request
			out = append(out, u.String())
		}
	}
	return out
}

func (e *CallError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("call failed: %d %s: %v", e.Code, e.Reason, e.Err)
	}
	return fmt.Sprintf("call failed: %d %s", e.Code, e.Reason)
}

func (e *CallError) Unwrap() error { return e.Err }

// EndReason says how an established call ended.
type EndReason struct {
	// Remote is true when the peer hung up (its BYE).
	Remote bool
	// Text is the reason in words, e.g. "remote hung up".
	Text string
}

func (r EndReason) String() string { return r.Text }

// Party is the caller or callee as a From or To header names it.
type Party struct {
	// Display is the display name, possibly empty.
	Display string
	// User is the user part of the URI (usually the number).
	User string
	// URI is the whole address, e.g. "sip:201@example.com".
	URI string
}

func partyOf(display string, uri gosip.Uri) Party {
	u := uri
	u.UriParams, u.Headers = nil, nil
	return Party{Display: display, User: uri.User, URI: u.String()}
}

// calls is the per-endpoint call state: the handler for new calls and every dialog the endpoint
// is part of, found by Call-ID and tags when a request inside a dialog arrives. sipgo's
// DialogServerCache and DialogClientCache each hold one side only and key them differently, so
// one map here serves both roles and the handlers below.
type calls struct {
	mu      sync.Mutex
	handler func(*IncomingCall)
	screen  func(ScreenedInvite) (int, string)
	refer   func(*IncomingRefer) (int, string)
	dialogs map[string]*Dialog

	// ctx ends when the endpoint closes; outgoing call attempts and waiting INVITE handlers
	// stop with it. wg counts the outgoing attempts' goroutines.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
}

// dialogKey names a dialog by Call-ID, our tag and the peer's tag; a request arriving in the
// dialog carries our tag in To and the peer's in From, whichever side began the dialog.
func dialogKey(callID, localTag, remoteTag string) string {
	return callID + "\x00" + localTag + "\x00" + remoteTag
}

func requestDialogKey(req *gosip.Request) (string, bool) {
	cid, from, to := req.CallID(), req.From(), req.To()
	if cid == nil || from == nil || to == nil {
		return "", false
	}
	local, ok := to.Params.Get("tag")
	if !ok || local == "" {
		return "", false
	}
	remote, _ := from.Params.Get("tag")
	return dialogKey(cid.Value(), local, remote), true
}

// initCalls sets up call state and adds the handlers of call requests. NewEndpoint calls it.
func (e *Endpoint) initCalls() {
	e.calls.dialogs = map[string]*Dialog{}
	e.calls.ctx, e.calls.cancel = context.WithCancelCause(context.Background())
	e.handlers[gosip.INVITE] = e.guard(e.handleInvite)
	e.handlers[gosip.ACK] = e.guard(e.handleAck)
	e.handlers[gosip.BYE] = e.guard(e.handleBye)
	e.handlers[gosip.CANCEL] = e.guard(e.handleCancel)
	e.handlers[gosip.INFO] = e.guard(e.handleInfo)
	e.handlers[gosip.REFER] = e.guard(e.handleRefer)
	e.handlers[gosip.NOTIFY] = e.guard(e.handleNotify)
	e.handlers[gosip.SUBSCRIBE] = e.guard(e.handleSubscribe)
}

// closeCalls stops outgoing call attempts (without sending CANCEL), ends every dialog without
// signalling (hang up calls before closing the endpoint to send BYE), and waits for the attempts.
func (e *Endpoint) closeCalls() {
	e.calls.mu.Lock()
	e.calls.cancel(sipgo.WaitAnswerForceCancelErr)
	e.calls.mu.Unlock()
	e.calls.mu.Lock()
	ds := make([]*Dialog, 0, len(e.calls.dialogs))
	for _, d := range e.calls.dialogs {
		ds = append(ds, d)
	}
	e.calls.mu.Unlock()
	for _, d := range ds {
		d.end(EndReason{Text: "line server stopped"})
	}
	e.calls.wg.Wait()
}

// OnCall sets the handler of new incoming calls. It runs on the INVITE's own goroutine and may
// answer at once or return and answer later; the INVITE stays pending until Answer or Reject, a
// CANCEL, or the endpoint closes. Without a handler INVITEs are answered 480.
func (e *Endpoint) OnCall(f func(*IncomingCall)) {
	e.calls.mu.Lock()
	e.calls.handler = f
	e.calls.mu.Unlock()
}

// ScreenedInvite is what OnScreen sees of a new INVITE: enough to decide whether to take it.
type ScreenedInvite struct {
	// Line and ToUser are the line and the user the call is for (as IncomingCall.Line and
	// ToUser).
	Line   string
	ToUser string
	From   Party
	CallID string
	// Offer is the INVITE's session description, read and known to hold a codec in common.
	Offer MediaDesc
	// Replaces is the dialog the INVITE is to replace (RFC 3891), nil for none.
	Replaces *Replaces
}

// OnScreen sets a function that sees every new INVITE before its offer is read and a call is
// made of it. Returning a final status (300-699) answers the INVITE with it at once, without a
// dialog: the cheap path for calls the line server declines by itself. Returning 0 hands the
// INVITE on to the OnCall handler. It runs on the INVITE's goroutine and must not block.
func (e *Endpoint) OnScreen(f func(ScreenedInvite) (code int, reason string)) {
	e.calls.mu.Lock()
	e.calls.screen = f
	e.calls.mu.Unlock()
}

func (e *Endpoint) addDialog(d *Dialog) {
	e.calls.mu.Lock()
	e.calls.dialogs[d.key] = d
	e.calls.mu.Unlock()
}

func (e *Endpoint) removeDialog(d *Dialog) {
	e.calls.mu.Lock()
	if e.calls.dialogs[d.key] == d {
		delete(e.calls.dialogs, d.key)
	}
	e.calls.mu.Unlock()
}

func (e *Endpoint) findDialog(req *gosip.Request) *Dialog {
	key, ok := requestDialogKey(req)
	if !ok {
		return nil
	}
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return e.calls.dialogs[key]
}

// respond sends a response built from req, with extra headers; failures are only logged, as the
// peer retransmits or gives up by itself.
func (e *Endpoint) respond(tx gosip.ServerTransaction, req *gosip.Request, code int, reason string, hdrs ...gosip.Header) {
	res := gosip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		e.log.Debug("sip response failed", "code", code, "method", req.Method.String(), "error", err)
	}
}

// reasonPhrase makes text usable as a status line's reason phrase: one line, bounded.
func reasonPhrase(text string) string {
	text = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, text)
	if len(text) > 120 {
		text = text[:120]
	}
	return strings.TrimSpace(text)
}

// warning is a Warning header (RFC 3261 section 20.43) with code 399 (miscellaneous) or a
// media code (304 media type not available, 305 incompatible media format).
func warning(code int, text string) gosip.Header {
	text = strings.ReplaceAll(reasonPhrase(text), `"`, "'")
	return gosip.NewHeader("Warning", strconv.Itoa(code)+" lineup \""+text+"\"")
}

func (e *Endpoint) handleAck(req *gosip.Request, tx gosip.ServerTransaction) {
	d := e.findDialog(req)
	if d == nil {
		return // the ACK of a non-2xx response is absorbed by its transaction
	}
	d.readAck(req, tx)
}

func (e *Endpoint) handleBye(req *gosip.Request, tx gosip.ServerTransaction) {
	d := e.findDialog(req)
	if d == nil {
		e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	d.readBye(req, tx)
}

// handleCancel sees only CANCELs that match no pending INVITE: the transaction layer answers the
// others itself (200 for the CANCEL, 487 for the INVITE).
func (e *Endpoint) handleCancel(req *gosip.Request, tx gosip.ServerTransaction) {
	e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
}

func (e *Endpoint) handleInfo(req *gosip.Request, tx gosip.ServerTransaction) {
	d := e.findDialog(req)
	if d == nil {
		e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	d.readInfo(req, tx)
}

// lineDest is where requests of a line go first: its proxy, else its registrar.
func lineDest(acct line.Account) (string, error) {
	if acct.Proxy != "" {
		return hostPortDefault(acct.Proxy, acct.Transport.DefaultPort())
	}
	return hostPortDefault(acct.Registrar, acct.Transport.DefaultPort())
}

// lineDomain is the domain of a line's AOR.
func lineDomain(acct line.Account) string {
	if acct.Domain != "" {
		return acct.Domain
	}
	h, _, _ := net.SplitHostPort(mustHostPort(acct.Registrar))
	return h
}

// transportName is the transport as Via and sipgo name it: "UDP", "TCP", "TLS".
func transportName(t line.Transport) string { return strings.ToUpper(t.String()) }

// udpLaddr is the listening UDP socket's address: UDP requests go out from it so that the
// answers and the peer's requests come back to where we listen.
func (e *Endpoint) udpLaddr() gosip.Addr {
	return gosip.Addr{IP: net.ParseIP(e.listenIP), Port: e.port(line.TransportUDP)}
}

// newVia is a Via for a request we send from host (port 0 on connection-oriented transports:
// sipgo fills in the connection's port).
func newVia(transport, host string, port int) *gosip.ViaHeader {
	via := &gosip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: transport,
		Host: host, Port: port, Params: gosip.NewParams(),
	}
	if transport != "UDP" {
		via.Port = 0
	}
	via.Params.Add("branch", gosip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	return via
}

// authorizeRequest adds the digest answer to a challenge to req (RFC 3261 section 22.2).
func authorizeRequest(req *gosip.Request, chal *digest.Challenge, proxy bool, acct line.Account, count int) error {
	cred, err := digest.Digest(chal, digest.Options{
		Method:   req.Method.String(),
		URI:      req.Recipient.Addr(),
		Username: acct.AuthName(),
		Password: acct.Password,
		Count:    count,
	})
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	name := "Authorization"
	if proxy {
		name = "Proxy-Authorization"
	}
	req.RemoveHeader(name)
	req.AppendHeader(gosip.NewHeader(name, cred.String()))
	return nil
}

func newSessionID() uint64 { return rand.Uint64() >> 2 }

var errEndpointClosed = errors.New("line server stopped")
