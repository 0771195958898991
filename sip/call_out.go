package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// Progress is a provisional response to our INVITE: 100 Trying, 180 Ringing, 183 Session
// Progress; Early is the early media description when the response carried SDP.
type Progress struct {
	Code   int
	Reason string
	Early  *MediaDesc
}

// OutgoingCall is a call we placed, until it is answered or fails.
type OutgoingCall struct {
	ep     *Endpoint
	callID string

	progress chan Progress
	cancel   context.CancelFunc
	done     chan struct{}

	// set before done closes
	dialog *Dialog
	err    error
}

// CallID is the call's Call-ID.
func (c *OutgoingCall) CallID() string { return c.callID }

// Progress delivers the provisional responses; it is closed when the attempt ends. Responses
// that find the channel full (16 waiting) are dropped.
func (c *OutgoingCall) Progress() <-chan Progress { return c.progress }

// Cancel gives up before the answer: CANCEL is sent once the callee sent a provisional response
// (RFC 3261 section 9.1) and Wait then returns a *CallError with code 487.
func (c *OutgoingCall) Cancel() { c.cancel() }

// Wait waits for the outcome: the established Dialog, a *CallError for a final response of 300
// or more (487 after Cancel), or an error saying the callee did not answer in time. When ctx ends
// first the call is cancelled and ctx's error returned.
func (c *OutgoingCall) Wait(ctx context.Context) (*Dialog, error) {
	select {
	case <-c.done:
		return c.dialog, c.err
	case <-ctx.Done():
		c.cancel()
		return nil, fmt.Errorf("call not answered: %w", ctx.Err())
	}
}

// Dial calls target from a line: INVITE from the line's AOR with our offer local, sent to the
// line's proxy, else its registrar, whatever host target names: the phone system routes the
// call, and a host that is not the line's never sees the line's requests. Only a line set for
// direct calls sends a target of another host straight there, and a challenge from that host
// fails the call without the line's credentials (checkChallenge). local.Host empty means the address we signal from. Dial returns once the
// INVITE is on its way; Wait gives the outcome and Progress the ringing.
func (e *Endpoint) Dial(ctx context.Context, acct line.Account, target string, local MediaDesc, opts ...DialOption) (*OutgoingCall, error) {
	var o dialOptions
	for _, opt := range opts {
		opt(&o)
	}
	// Count the attempt before anything goes out, under the lock closeCalls cancels under: a Dial
	// racing Close either is refused or is waited for, never Add after Wait.
	e.calls.mu.Lock()
	if err := e.calls.ctx.Err(); err != nil {
		e.calls.mu.Unlock()
		return nil, fmt.Errorf("dial: %w", errEndpointClosed)
	}
	e.calls.wg.Add(1)
	e.calls.mu.Unlock()
	started := false
	defer func() {
		if !started {
			e.calls.wg.Done()
		}
	}()
	domain := lineDomain(acct)
	ruri, err := targetURI(target, domain)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	transport := transportName(acct.Transport)
	dest, err := lineDest(acct)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if acct.DirectCalls {
		port := ruri.Port
		if port == 0 {
			port = acct.Transport.DefaultPort()
		}
		target := net.JoinHostPort(ruri.Host, strconv.Itoa(port))
		registrar, _ := hostPortDefault(acct.Registrar, acct.Transport.DefaultPort())
		// Another host, or the same host on another port than the registrar's.
		if !strings.EqualFold(ruri.Host, domain) || (ruri.Port != 0 && target != registrar) {
			dest = target
		}
	}
	if acct.Transport != line.TransportUDP {
		ruri.UriParams = gosip.NewParams()
		ruri.UriParams.Add("transport", strings.ToLower(transport))
	}
	host, err := e.localIPFor(ctx, dest)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if local.Host == "" {
		local.Host = host
	}
	if len(local.Codecs) == 0 {
		local.Codecs, local.EventPT = media.Codecs(), TelephoneEventPT
	}

	contact := gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: acct.User, Host: host, Port: e.port(acct.Transport)}}
	if acct.Transport != line.TransportUDP {
		// The connection's own port is only known once connected: sipgo fills it in from the Via.
		contact.Address.Port = 0
		contact.Address.UriParams = gosip.NewParams()
		contact.Address.UriParams.Add("transport", strings.ToLower(transport))
	}
	sessionID := newSessionID()
	body := BuildSDP(sessionID, 1, local)

	req := gosip.NewRequest(gosip.INVITE, ruri)
	req.SetTransport(transport)
	req.SetDestination(dest)
	// The registrar (or outbound proxy) is the first hop: name it in a preloaded Route (RFC 3261
	// 8.1.2) so that requests built from this INVITE, above all sipgo's CANCEL, which copies the
	// Route but not the destination, go there too instead of to the target's domain.
	if r, err := firstHopRoute(dest, transport); err == nil {
		req.AppendHeader(r)
	}
	req.AppendHeader(newVia(transport, host, e.port(acct.Transport)))
	if acct.Transport == line.TransportUDP {
		req.Laddr = e.udpLaddr()
	}
	from := &gosip.FromHeader{DisplayName: acct.DisplayName, Address: gosip.Uri{Scheme: "sip", User: acct.User, Host: domain}, Params: gosip.NewParams()}
	from.Params.Add("tag", gosip.GenerateTagN(12))
	req.AppendHeader(from)
	toURI := ruri
	toURI.UriParams = nil
	req.AppendHeader(&gosip.ToHeader{Address: toURI, Params: gosip.NewParams()})
	callID := gosip.CallIDHeader(gosip.GenerateTagN(24))
	req.AppendHeader(&callID)
	req.AppendHeader(&gosip.CSeqHeader{SeqNo: 1, MethodName: gosip.INVITE})
	maxFwd := gosip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(gosip.HeaderClone(&contact))
	req.AppendHeader(gosip.NewHeader("User-Agent", UserAgentName))
	req.AppendHeader(gosip.NewHeader("Allow", allowedMethods))
	req.AppendHeader(gosip.NewHeader("Supported", "replaces"))
	if o.replaces != nil {
		req.AppendHeader(gosip.NewHeader("Replaces", o.replaces.String()))
	}
	if o.referredBy != "" {
		req.AppendHeader(gosip.NewHeader("Referred-By", o.referredBy))
	}
	req.AppendHeader(gosip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)

	dua := &sipgo.DialogUA{Client: e.client, ContactHDR: contact}
	sess, err := dua.WriteInvite(ctx, req, prebuilt)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, fmt.Errorf("dial %s: %w: %s: %w", target, ErrUnreachable, dnsErr.Name, err)
		}
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	actx, cancel := context.WithCancel(e.calls.ctx)
	c := &OutgoingCall{
		ep: e, callID: string(callID),
		progress: make(chan Progress, 16), cancel: cancel, done: make(chan struct{}),
	}
	a := &attempt{ep: e, call: c, acct: acct, req: req, sess: sess, dua: dua, local: local, sessionID: sessionID, transport: transport, viaHost: host}
	started = true
	go func() {
		defer e.calls.wg.Done()
		defer cancel()
		a.run(actx)
	}()
	return c, nil
}

// DialOption changes the INVITE Dial sends.
type DialOption func(*dialOptions)

type dialOptions struct {
	replaces   *Replaces
	referredBy string
}

// WithReplaces makes the INVITE replace a dialog at the target (RFC 3891): the transferee's
// call of an attended transfer.
func WithReplaces(r Replaces) DialOption { return func(o *dialOptions) { o.replaces = &r } }

// WithReferredBy names the transferor in the INVITE (RFC 3892), as the REFER gave it.
func WithReferredBy(v string) DialOption { return func(o *dialOptions) { o.referredBy = v } }

// targetURI reads a dialled target: a SIP URI, user@host, or a bare number in the line's domain.
func targetURI(target, domain string) (gosip.Uri, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return gosip.Uri{}, errors.New("empty target")
	}
	lower := strings.ToLower(t)
	if !strings.HasPrefix(lower, "sip:") && !strings.HasPrefix(lower, "sips:") {
		if !strings.Contains(t, "@") {
			t = t + "@" + domain
		}
		t = "sip:" + t
	}
	var u gosip.Uri
	if err := gosip.ParseUri(t, &u); err != nil {
		return gosip.Uri{}, fmt.Errorf("target %q: %w", target, err)
	}
	if !validHost(u.Host) {
		return gosip.Uri{}, fmt.Errorf("target %q has no valid host", target)
	}
	if u.Password != "" || strings.Contains(u.User, ":") {
		// RFC 3261 section 19.1.1 advises against passwords in SIP URIs; in a dialled target
		// it is a typing slip, not something to send.
		return gosip.Uri{}, fmt.Errorf("target %q has a password part", target)
	}
	return u, nil
}

// validHost reports whether h is a DNS name or an IP address (RFC 3261 section 25.1's host).
func validHost(h string) bool {
	if h == "" {
		return false
	}
	if net.ParseIP(strings.Trim(h, "[]")) != nil {
		return true
	}
	for _, r := range h {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// attempt drives one outgoing call until the answer or failure. Its goroutine is owned by the
// endpoint's call state, which stops it on Close.
type attempt struct {
	ep        *Endpoint
	call      *OutgoingCall
	acct      line.Account
	req       *gosip.Request
	sess      *sipgo.DialogClientSession
	dua       *sipgo.DialogUA
	local     MediaDesc
	sessionID uint64
	transport string
	viaHost   string
}

func (a *attempt) finish(d *Dialog, err error) {
	a.call.dialog, a.call.err = d, err
	close(a.call.progress)
	close(a.call.done)
}

func (a *attempt) onResponse(res *gosip.Response) error {
	if !res.IsProvisional() {
		return nil
	}
	p := Progress{Code: res.StatusCode, Reason: res.Reason}
	if len(res.Body()) > 0 {
		if md, err := ParseSDP(res.Body()); err == nil {
			if md.Crypto, err = AcceptAnswerCrypto(a.local, md); err == nil {
				p.Early = &md
			} else {
				a.ep.log.Debug("early media not taken", "call", a.call.callID, "error", err)
			}
		}
	}
	select {
	case a.call.progress <- p:
	default:
		a.ep.log.Debug("call progress dropped", "call", a.call.callID, "code", res.StatusCode)
	}
	return nil
}

// run waits for the answer. Digest challenges are answered here rather than by WaitAnswer's
// own retry: that one rebuilds the Via from the client's defaults (0.0.0.0 when listening on all
// interfaces) and drops our per-line credentials' auth user handling.
func (a *attempt) run(ctx context.Context) {
	challenges := 0
	for {
		err := a.sess.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: a.onResponse})
		if err == nil {
			a.answered(ctx)
			return
		}
		if ctx.Err() != nil {
			a.finish(nil, a.cancelled(ctx))
			return
		}
		var de *sipgo.ErrDialogResponse
		if !errors.As(err, &de) {
			if errors.Is(err, gosip.ErrTransactionTimeout) || strings.Contains(err.Error(), "timed out") {
				a.finish(nil, fmt.Errorf("no answer from the callee (timeout): %w", err))
			} else {
				a.finish(nil, fmt.Errorf("call failed: %w", err))
			}
			return
		}
		res := de.Res
		if (res.StatusCode == gosip.StatusUnauthorized || res.StatusCode == gosip.StatusProxyAuthRequired) && a.acct.Password != "" {
			chal, proxy, cerr := challengeOf(res)
			if cerr == nil {
				if err := a.ep.checkChallenge(ctx, a.acct, res, chal); err != nil {
					a.ep.log.Warn("call challenge refused", "call", a.call.callID, "source", res.Source(), "realm", chal.Realm, "error", err)
					a.finish(nil, &CallError{Code: res.StatusCode, Reason: res.Reason, Err: err})
					return
				}
			}
			if cerr == nil && (challenges == 0 || chal.Stale) && challenges < 3 {
				challenges++
				if err := a.retryWithAuth(ctx, chal, proxy); err != nil {
					a.finish(nil, fmt.Errorf("call failed: %w", err))
					return
				}
				continue
			}
			if cerr == nil {
				a.finish(nil, &CallError{Code: res.StatusCode, Reason: res.Reason + " (" + ErrAuthFailed.Error() + ")"})
				return
			}
		}
		a.finish(nil, &CallError{Code: res.StatusCode, Reason: res.Reason, Contacts: redirectContacts(res)})
		return
	}
}

func (a *attempt) retryWithAuth(ctx context.Context, chal *digest.Challenge, proxy bool) error {
	req := a.req.Clone()
	req.RemoveHeader("Via")
	req.PrependHeader(newVia(a.transport, a.viaHost, a.ep.port(a.acct.Transport)))
	req.Laddr = a.req.Laddr
	req.SetDestination(a.req.Destination())
	if cseq := req.CSeq(); cseq != nil {
		cseq.SeqNo++
	}
	if err := authorizeRequest(req, chal, proxy, a.acct, 1); err != nil {
		return err
	}
	a.req = req
	sess, err := a.dua.WriteInvite(ctx, req, prebuilt)
	if err != nil {
		return err
	}
	a.sess = sess
	return nil
}

// cancelled ends an attempt whose context ended: 487 after Cancel, or the endpoint closing. A
// 2xx that crossed our CANCEL is acknowledged and hung up at once.
func (a *attempt) cancelled(ctx context.Context) error {
	res := a.sess.InviteResponse
	if res != nil && res.IsSuccess() {
		hctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.sess.Ack(hctx); err == nil {
			_ = a.sess.Bye(hctx)
		}
	}
	if errors.Is(context.Cause(ctx), sipgo.WaitAnswerForceCancelErr) {
		return errEndpointClosed
	}
	if res != nil && res.StatusCode == gosip.StatusRequestTerminated {
		return &CallError{Code: res.StatusCode, Reason: res.Reason}
	}
	return &CallError{Code: gosip.StatusRequestTerminated, Reason: "Request Terminated"}
}

// answered acknowledges the 2xx and turns the session into a Dialog.
func (a *attempt) answered(ctx context.Context) {
	res := a.sess.InviteResponse
	toTag, _ := res.To().Params.Get("tag")
	fromTag, _ := a.req.From().Params.Get("tag")
	d := &Dialog{
		ep:        a.ep,
		key:       dialogKey(a.call.callID, fromTag, toTag),
		callID:    a.call.callID,
		uac:       a.sess,
		transport: a.transport,
		viaHost:   a.viaHost,
		viaPort:   a.ep.port(a.acct.Transport),
		laddr:     a.req.Laddr,
		contact:   *a.req.Contact(),
		target:    a.req.Recipient,
		sessionID: a.sessionID,
		local:     a.local,
	}
	if c := res.Contact(); c != nil {
		d.target = c.Address
	}
	d.init()
	a.ep.addDialog(d)
	ack := d.newRequest(gosip.ACK, "", nil)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.sess.WriteAck(actx, ack); err != nil {
		d.end(EndReason{Text: "ack failed: " + err.Error()})
		a.finish(nil, fmt.Errorf("call answered but ack failed: %w", err))
		return
	}
	answer, err := ParseSDP(res.Body())
	if err == nil {
		_, err = Negotiate(answer, a.local.Codecs)
	}
	if err == nil {
		answer.Crypto, err = AcceptAnswerCrypto(a.local, answer)
	}
	if err != nil {
		// RFC 3264 leaves nothing to do with an answer we cannot use but to end the call.
		_ = d.Hangup(actx)
		a.finish(nil, fmt.Errorf("call answered with unusable sdp: %w", err))
		return
	}
	d.mu.Lock()
	d.remote = answer
	d.local.Crypto = answeredCrypto(a.local.Crypto, answer.Crypto)
	c, _ := answer.Codec()
	d.local.Codecs = []media.Codec{c}
	d.local.EventPT = answer.EventPT
	d.local.Direction = combineDirection(a.local.Direction, answer.Direction.Reverse())
	d.mu.Unlock()
	a.finish(d, nil)
}

// firstHopRoute is a loose-routing Route header for the proxy at dest (host:port).
func firstHopRoute(dest, transport string) (*gosip.RouteHeader, error) {
	host, port, err := gosip.ParseAddr(dest)
	if err != nil {
		return nil, err
	}
	u := gosip.Uri{Scheme: "sip", Host: host, Port: port, UriParams: gosip.NewParams()}
	u.UriParams.Add("lr", "")
	if t := strings.ToLower(transport); t != "udp" {
		u.UriParams.Add("transport", t)
	}
	return &gosip.RouteHeader{Address: u}, nil
}
