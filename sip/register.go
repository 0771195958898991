package sip

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
	"golang.org/x/time/rate"

	"github.com/lineupphone/lineup/line"
)

// RegisterOption tunes a Registrar.
type RegisterOption func(*Registrar)

// WithBackoff sets the first and the longest wait between failed attempts. The wait doubles after
// each failure up to max; defaults 2 s and 5 min.
func WithBackoff(first, max time.Duration) RegisterOption {
	return func(r *Registrar) { r.backoffFirst, r.backoffMax = first, max }
}

// WithAttemptTimeout bounds one registration attempt (all its requests); default 10 s. An attempt
// that times out counts as a failure and backs off.
func WithAttemptTimeout(d time.Duration) RegisterOption {
	return func(r *Registrar) { r.attemptTimeout = d }
}

// WithPacer makes every REGISTER request wait for the limiter first. Lines of a group share one
// limiter so the group's "register rate" holds for all of them together.
func WithPacer(l *rate.Limiter) RegisterOption {
	return func(r *Registrar) { r.pacer = l }
}

// WithStateFunc is called on every change of the line's registration state. It must not block.
func WithStateFunc(f func(line.Registration)) RegisterOption {
	return func(r *Registrar) { r.onState = f }
}

// WithRequestCounter is called once for every REGISTER request sent (benchmarks count them).
func WithRequestCounter(f func()) RegisterOption {
	return func(r *Registrar) { r.onRequest = f }
}

// Registrar keeps one line registered. Run drives it; all other state is private to Run's
// goroutine, so a Registrar is used by one goroutine at a time.
type Registrar struct {
	ep   *Endpoint
	name string
	acct line.Account

	backoffFirst, backoffMax time.Duration
	attemptTimeout           time.Duration
	pacer                    *rate.Limiter
	onState                  func(line.Registration)
	onRequest                func()

	transport string // "UDP", "TCP", "TLS"
	dest      string // host:port requests go to
	domain    string
	callID    string
	fromTag   string
	cseq      uint32

	// contact is what the registrar should hold; staleContact is a contact replaced after the
	// registrar showed our public address (received/rport) and still to be removed.
	contact      gosip.Uri
	staleContact *gosip.Uri

	// auth is the last challenge, reused for the next request (preemptive authorization) so that
	// a refresh costs one request instead of two while the nonce is fresh.
	auth *authState

	failures int
	state    line.Registration

	hops    []netip.AddrPort // trusted for this line now (trustHops)
	untrust func()
}

// trustHops makes hops the addresses this line's calls are taken from, replacing the last ones.
func (r *Registrar) trustHops(hops []netip.AddrPort) {
	if r.untrust != nil && slices.Equal(hops, r.hops) {
		return
	}
	if r.untrust != nil {
		r.untrust()
		r.untrust = nil
	}
	r.hops = hops
	r.ep.trust.setLineHops(r.name, hops)
	if len(hops) > 0 {
		r.untrust = r.ep.trust.addHops(hops)
	}
}

type authState struct {
	chal  *digest.Challenge
	proxy bool
	count int
}

// NewRegistrar prepares the registration of one line. It does not send anything before Run.
func (e *Endpoint) NewRegistrar(name string, acct line.Account, opts ...RegisterOption) (*Registrar, error) {
	r := &Registrar{
		ep:             e,
		name:           name,
		acct:           acct,
		backoffFirst:   2 * time.Second,
		backoffMax:     5 * time.Minute,
		attemptTimeout: 10 * time.Second,
		transport:      strings.ToUpper(acct.Transport.String()),
		callID:         gosip.GenerateTagN(24),
		fromTag:        gosip.GenerateTagN(12),
		cseq:           1,
	}
	for _, o := range opts {
		o(r)
	}
	var err error
	if r.dest, err = hostPortDefault(acct.Registrar, acct.Transport.DefaultPort()); err != nil {
		return nil, fmt.Errorf("line %q: registrar: %w", name, err)
	}
	if acct.Proxy != "" {
		if r.dest, err = hostPortDefault(acct.Proxy, acct.Transport.DefaultPort()); err != nil {
			return nil, fmt.Errorf("line %q: proxy: %w", name, err)
		}
	}
	r.domain = acct.Domain
	if r.domain == "" {
		r.domain, _, _ = net.SplitHostPort(mustHostPort(acct.Registrar))
	}
	r.state = line.Registration{Line: name, State: line.RegRegistering}
	return r, nil
}

func mustHostPort(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s
	}
	return net.JoinHostPort(strings.Trim(s, "[]"), "0")
}

func hostPortDefault(s string, port int) (string, error) {
	if host, p, err := net.SplitHostPort(s); err == nil {
		if _, err := strconv.Atoi(p); err != nil || host == "" {
			return "", fmt.Errorf("%q: bad host:port", s)
		}
		return s, nil
	}
	host := strings.Trim(s, "[]")
	if host == "" {
		return "", fmt.Errorf("%q: empty host", s)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// Run registers the line, refreshes it before the granted expiry, backs off after failures, and
// when ctx ends removes the binding (with its own short deadline) before returning.
func (r *Registrar) Run(ctx context.Context) {
	r.setState(line.Registration{State: line.RegRegistering})
	// The registrar (or proxy) is where the phone system sends this line's calls from: trusted
	// as resolved now, again at each attempt (a name that did not resolve at start, or moved),
	// and as the address its last 200 OK came from.
	defer func() { r.trustHops(nil) }()
	r.trustHops(resolveHop(ctx, r.ep.resolver, r.dest))
	defer func() {
		if r.contact.User != "" {
			r.ep.trust.dropContactUser(r.contact.User)
		}
	}()
	for {
		wait := r.attempt(ctx)
		if ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	if r.state.State == line.RegRegistered || r.state.State == line.RegRegistering || r.staleContact != nil {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		err := r.unregister(dctx)
		cancel()
		if err != nil {
			r.ep.log.Warn("line de-registration failed", "line", r.name, "error", err)
		}
	}
	r.setState(line.Registration{State: line.RegUnregistered})
}

// attempt makes one registration (with its authentication round and a contact correction) and
// returns how long to wait before the next one.
func (r *Registrar) attempt(ctx context.Context) time.Duration {
	actx, cancel := context.WithTimeout(ctx, r.attemptTimeout)
	defer cancel()
	hops := resolveHop(actx, r.ep.resolver, r.dest)
	res, err := r.register(actx, r.acct.ExpiresOrDefault())
	if ctx.Err() != nil {
		return 0
	}
	if err == nil && res.StatusCode == gosip.StatusOK && r.fixContact(res) {
		// The registrar sees us at another address than our Contact says (NAT, or a TCP/TLS
		// connection's own port): register that address and drop the old binding.
		res, err = r.register(actx, r.acct.ExpiresOrDefault())
	}
	if err != nil {
		return r.fail(0, failureText(err), 0)
	}
	if res.StatusCode != gosip.StatusOK {
		return r.fail(res.StatusCode, res.Reason, retryAfter(res))
	}
	granted, ok := r.grantedExpiry(res)
	if !ok || granted <= 0 {
		return r.fail(0, "registrar granted no binding for our contact", 0)
	}
	// A registrar may shorten the lifetime asked for, not lengthen it (RFC 3261 section 10.3):
	// more is taken as what was asked, so that the line refreshes in time.
	granted = min(granted, r.acct.ExpiresOrDefault())
	if src, err := netip.ParseAddrPort(res.Source()); err == nil && !slices.Contains(hops, unmapPort(src)) {
		hops = append(hops, unmapPort(src))
	}
	r.trustHops(hops)
	r.failures = 0
	r.staleContact = nil
	now := time.Now()
	r.setState(line.Registration{
		State:   line.RegRegistered,
		Expires: now.Add(granted),
		Contact: r.contact.String(),
		Number:  registeredNumber(res, r.acct.User),
	})
	return refreshAfter(granted)
}

// refreshAfter returns when to refresh a binding granted for d: at 80 % of it, and at least
// 2 s before it runs out where that leaves more than a second.
func refreshAfter(d time.Duration) time.Duration {
	w := d * 8 / 10
	if d-w < 2*time.Second && d > 3*time.Second {
		w = d - 2*time.Second
	}
	return w
}

func failureText(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, gosip.ErrTransactionTimeout):
		return "no answer from the registrar (timeout)"
	case errors.Is(err, ErrAuthFailed):
		return err.Error()
	}
	var unknownCA x509.UnknownAuthorityError
	if errors.As(err, &unknownCA) {
		return "the registrar's TLS certificate is not trusted (unknown authority): add its CA as the line's ca_file"
	}
	var host x509.HostnameError
	if errors.As(err, &host) {
		return "the registrar's TLS certificate is not valid for " + host.Host
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) {
		return "the registrar's TLS certificate is invalid: " + invalid.Error()
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return "cannot reach the registrar: " + op.Err.Error()
	}
	return err.Error()
}

func (r *Registrar) fail(code int, reason string, retry time.Duration) time.Duration {
	r.failures++
	d := r.backoffFirst << min(r.failures-1, 30)
	if d > r.backoffMax || d <= 0 {
		d = r.backoffMax
	}
	// Spread retries of many lines: wait between 80 % and 100 % of the step.
	d = d - time.Duration(rand.Int64N(int64(d)/5+1))
	if retry > d {
		d = retry
	}
	r.setState(line.Registration{
		State:   line.RegFailed,
		Code:    code,
		Reason:  reason,
		RetryAt: time.Now().Add(d),
		Contact: r.contact.String(),
	})
	return d
}

func (r *Registrar) setState(s line.Registration) {
	s.Line = r.name
	s.Changed = time.Now()
	r.state = s
	if r.onState != nil {
		r.onState(s)
	}
}

// register sends REGISTER for the line's contact with the given expiry and answers a challenge
// once. It returns the final response.
func (r *Registrar) register(ctx context.Context, expires time.Duration) (*gosip.Response, error) {
	if r.contact.Host == "" {
		if err := r.initContact(ctx); err != nil {
			return nil, err
		}
	}
	if r.auth == nil {
		r.auth = r.ep.sharedChallenge(r.dest)
	}
	answered := false
	for {
		req := r.buildRegister(expires)
		if r.auth != nil {
			if err := r.authorize(req); err != nil {
				return nil, err
			}
		}
		res, err := r.send(ctx, req, expires > 0)
		if err != nil {
			return nil, err
		}
		if res.StatusCode == 423 && expires > 0 {
			if d, ok := retryExpires(res, expires); ok {
				expires = d
				continue
			}
			return res, nil
		}
		if res.StatusCode != gosip.StatusUnauthorized && res.StatusCode != gosip.StatusProxyAuthRequired {
			return res, nil
		}
		chal, proxy, err := challengeOf(res)
		if err != nil {
			return nil, fmt.Errorf("%d %s: %w", res.StatusCode, res.Reason, err)
		}
		if !fromHost(ctx, r.ep.resolver, res.Source(), r.dest) {
			return nil, fmt.Errorf("%d %s: %w: %s asked, not %s", res.StatusCode, res.Reason, ErrForeignChallenge, res.Source(), r.dest)
		}
		// A challenge to credentials computed for a fresh challenge of this attempt (not just a
		// stale nonce) means they are wrong. Preemptive credentials, from our last challenge or
		// one another line drew, get one fresh challenge first.
		if answered && !chal.Stale {
			return res, nil
		}
		answered = true
		r.ep.rememberRealm(r.dest, r.acct.AuthName(), chal.Realm)
		r.auth = &authState{chal: chal, proxy: proxy}
		r.ep.rememberChallenge(r.dest, r.auth)
	}
}

func (r *Registrar) authorize(req *gosip.Request) error {
	r.auth.count++
	cred, err := digest.Digest(r.auth.chal, digest.Options{
		Method:   req.Method.String(),
		URI:      req.Recipient.Addr(),
		Username: r.acct.AuthName(),
		Password: r.acct.Password,
		Count:    r.auth.count,
	})
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	name := "Authorization"
	if r.auth.proxy {
		name = "Proxy-Authorization"
	}
	req.AppendHeader(gosip.NewHeader(name, cred.String()))
	return nil
}

// send runs one REGISTER transaction after the pacer allows it (de-registrations are not paced:
// at shutdown they must all get out within their deadline) and a place among the endpoint's
// transactions under way is free.
func (r *Registrar) send(ctx context.Context, req *gosip.Request, paced bool) (*gosip.Response, error) {
	if paced && r.pacer != nil {
		if err := r.pacer.Wait(ctx); err != nil {
			return nil, err
		}
	}
	select {
	case r.ep.inflight <- struct{}{}:
		defer func() { <-r.ep.inflight }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.onRequest != nil {
		r.onRequest()
	}
	tx, err := r.ep.client.TransactionRequest(ctx, req, prebuilt)
	if err != nil {
		return nil, err
	}
	return finalResponse(ctx, tx)
}

// finalResponse waits for a client transaction's final response, skipping provisional ones, and
// terminates the transaction.
func finalResponse(ctx context.Context, tx gosip.ClientTransaction) (*gosip.Response, error) {
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			return res, nil
		case <-tx.Done():
			if err := tx.Err(); err != nil {
				return nil, err
			}
			return nil, gosip.ErrTransactionTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// prebuilt tells sipgo the request is complete: it adds no headers of its own.
func prebuilt(*sipgo.Client, *gosip.Request) error { return nil }

func (r *Registrar) initContact(ctx context.Context) error {
	host, err := r.ep.localIPFor(ctx, r.dest)
	if err != nil {
		return err
	}
	user := r.contact.User
	if user == "" {
		user = r.ep.trust.newContactUser(r.name, r.acct.User)
	}
	r.contact = gosip.Uri{Scheme: "sip", User: user, Host: host, Port: r.ep.port(r.acct.Transport)}
	if r.acct.Transport != line.TransportUDP {
		r.contact.UriParams = gosip.NewParams()
		r.contact.UriParams.Add("transport", strings.ToLower(r.transport))
	}
	return nil
}

func (r *Registrar) buildRegister(expires time.Duration) *gosip.Request {
	ruri := gosip.Uri{Scheme: "sip", Host: r.domain}
	if r.acct.Transport != line.TransportUDP {
		ruri.UriParams = gosip.NewParams()
		ruri.UriParams.Add("transport", strings.ToLower(r.transport))
	}
	req := gosip.NewRequest(gosip.REGISTER, ruri)
	req.SetTransport(r.transport)
	req.SetDestination(r.dest)

	via := &gosip.ViaHeader{
		ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: r.transport,
		Host: r.contact.Host, Port: r.contact.Port, Params: gosip.NewParams(),
	}
	if r.acct.Transport != line.TransportUDP {
		// The connection's own port is only known once connected: sipgo fills it in.
		via.Port = 0
	} else {
		// Send from the listening socket so that replies and incoming requests reach it.
		req.Laddr = gosip.Addr{IP: net.ParseIP(r.ep.listenIP), Port: r.contact.Port}
	}
	via.Params.Add("branch", gosip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	req.AppendHeader(via)

	aor := gosip.Uri{Scheme: "sip", User: r.acct.User, Host: r.domain}
	from := &gosip.FromHeader{DisplayName: r.acct.DisplayName, Address: aor, Params: gosip.NewParams()}
	from.Params.Add("tag", r.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&gosip.ToHeader{Address: aor, Params: gosip.NewParams()})
	callID := gosip.CallIDHeader(r.callID)
	req.AppendHeader(&callID)
	r.cseq++
	req.AppendHeader(&gosip.CSeqHeader{SeqNo: r.cseq, MethodName: gosip.REGISTER})
	maxFwd := gosip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)

	req.AppendHeader(&gosip.ContactHeader{Address: r.contact})
	if r.staleContact != nil {
		stale := &gosip.ContactHeader{Address: *r.staleContact, Params: gosip.NewParams()}
		stale.Params.Add("expires", "0")
		req.AppendHeader(stale)
	}
	req.AppendHeader(gosip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(gosip.NewHeader("User-Agent", UserAgentName))
	req.AppendHeader(gosip.NewHeader("Allow", allowedMethods))
	req.SetBody(nil)
	return req
}

// unregister removes the line's binding (and a stale one) with Expires: 0.
func (r *Registrar) unregister(ctx context.Context) error {
	if r.contact.Host == "" {
		return nil
	}
	res, err := r.register(ctx, 0)
	if err != nil {
		return err
	}
	if res.StatusCode != gosip.StatusOK {
		return fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	}
	return nil
}
