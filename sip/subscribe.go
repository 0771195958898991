package sip

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"golang.org/x/time/rate"

	"github.com/lineupphone/lineup/line"
)

// Event subscriptions (RFC 6665) of a line at its phone system: SUBSCRIBE through the line's
// registrar or proxy, with the line's credentials, refreshed before the granted expiry and
// begun again when the notifier ends it; the NOTIFYs of the subscription's dialog go to the
// subscriber. The events Lineup subscribes to are message-summary (mwi.go) and dialog
// (dialoginfo.go).

// The event packages and what each accepts.
const (
	EventMessageSummary = "message-summary"
	EventDialog         = "dialog"
)

// SubState is where a subscription stands.
type SubState struct {
	// Active is set while the notifier holds the subscription (2xx, or a NOTIFY active or
	// pending).
	Active bool
	// Refused is set when the phone system does not offer the event (489, 404, 403, 405, 501,
	// or a NOTIFY terminated with reason rejected or noresource): the subscriber waits its
	// longest back-off before it asks again.
	Refused bool
	// Code and Reason are the last failure's status, 0 for none or a timeout.
	Code   int
	Reason string
}

// Notification is what one NOTIFY of a subscription said.
type Notification struct {
	Event string
	// Terminated is set when the notifier ended the subscription with it.
	Terminated bool
	// Summary is the body of a message-summary NOTIFY, nil when it had none.
	Summary *MessageSummary
	// Dialogs is the body of a dialog NOTIFY, nil when it had none.
	Dialogs *DialogInfo
}

// SubscribeOptions say what a Subscriber subscribes to.
type SubscribeOptions struct {
	// Event is EventMessageSummary or EventDialog.
	Event string
	// Target is the number or SIP URI subscribed to; empty is the line's own address.
	Target string
	// Expires is the lifetime asked for; default 10 minutes.
	Expires time.Duration
	// BackoffFirst and BackoffMax bound the waits after failures (defaults 2 s and 10 min); a
	// refusal waits BackoffMax.
	BackoffFirst, BackoffMax time.Duration
	// OnNotify gets each NOTIFY's content; OnState each change of the subscription's state.
	// Both are called from the endpoint's goroutines and must not block.
	OnNotify func(Notification)
	OnState  func(SubState)
	// Pacer, when set, is waited for before each SUBSCRIBE that begins a subscription (the
	// group's register rate: a thousand lines starting together do not flood the PBX).
	Pacer *rate.Limiter
}

// Subscriber keeps one subscription of a line. Run drives it.
type Subscriber struct {
	ep   *Endpoint
	name string
	acct line.Account
	opts SubscribeOptions

	dest, domain, transport string
	ruri                    gosip.Uri

	kick chan struct{} // a NOTIFY ended the subscription: begin again

	mu       sync.Mutex
	callID   string
	fromTag  string
	toTag    string
	target   gosip.Uri // the notifier's Contact, the Request-URI of refreshes
	cseq     uint32
	active   bool
	failures int
	// since is when the subscription last became active; quickEnds counts the notifier's
	// ends of subscriptions that lasted less than a minute, in a row: each further one waits
	// longer before subscribing again, so that a notifier ending every subscription at once
	// does not draw a storm of SUBSCRIBEs.
	since     time.Time
	quickEnds int
	state     SubState
	auth      *authState
}

// subscriptions are an endpoint's subscribers, by Call-ID and our tag, and the handler of
// NOTIFYs outside any subscription.
type subscriptions struct {
	mu    sync.Mutex
	byKey map[string]*Subscriber
	mwi   func(lineName string, m MessageSummary)
}

func subKey(callID, localTag string) string { return callID + "\x00" + localTag }

// NewSubscriber prepares a subscription of the line name with the account. Nothing is sent
// before Run.
func (e *Endpoint) NewSubscriber(name string, acct line.Account, opts SubscribeOptions) (*Subscriber, error) {
	if opts.Event != EventMessageSummary && opts.Event != EventDialog {
		return nil, fmt.Errorf("line %q: subscribe: event %q is not %s or %s", name, opts.Event, EventMessageSummary, EventDialog)
	}
	if opts.Expires <= 0 {
		opts.Expires = 10 * time.Minute
	}
	if opts.BackoffFirst <= 0 {
		opts.BackoffFirst = 2 * time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 10 * time.Minute
	}
	dest, err := lineDest(acct)
	if err != nil {
		return nil, fmt.Errorf("line %q: subscribe: %w", name, err)
	}
	domain := lineDomain(acct)
	target := opts.Target
	if target == "" {
		target = acct.User
	}
	ruri, err := targetURI(target, domain)
	if err != nil {
		return nil, fmt.Errorf("line %q: subscribe target: %w", name, err)
	}
	transport := transportName(acct.Transport)
	if acct.Transport != line.TransportUDP {
		ruri.UriParams = gosip.NewParams()
		ruri.UriParams.Add("transport", strings.ToLower(transport))
	}
	return &Subscriber{ep: e, name: name, acct: acct, opts: opts, dest: dest, domain: domain,
		transport: transport, ruri: ruri, kick: make(chan struct{}, 1)}, nil
}

// State is the subscription's state now.
func (s *Subscriber) State() SubState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Run subscribes, refreshes, subscribes again after the notifier ended the subscription or a
// failure (backing off), and when ctx ends unsubscribes (Expires: 0, with its own short
// deadline) before it returns.
func (s *Subscriber) Run(ctx context.Context) {
	defer s.forget()
	for {
		wait := s.attempt(ctx)
		if ctx.Err() != nil {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-s.kick:
			t.Stop()
			t = time.NewTimer(s.againAfter())
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
		t.Stop()
		if ctx.Err() != nil {
			break
		}
	}
	s.mu.Lock()
	active := s.active
	s.mu.Unlock()
	if active {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if _, err := s.subscribe(uctx, 0); err != nil {
			s.ep.log.Debug("unsubscribe failed", "line", s.name, "event", s.opts.Event, "error", err)
		}
		cancel()
	}
	s.setState(SubState{})
}

// againAfter is the wait before subscribing again after the notifier ended the subscription:
// none the first time, then doubling from BackoffFirst while the subscriptions keep ending
// within a minute.
func (s *Subscriber) againAfter() time.Duration {
	s.mu.Lock()
	n := s.quickEnds
	s.mu.Unlock()
	if n <= 1 {
		return 0
	}
	d := s.opts.BackoffFirst << min(n-2, 30)
	if d > s.opts.BackoffMax || d <= 0 {
		d = s.opts.BackoffMax
	}
	return d
}

// forget removes the subscription's dialog from the endpoint.
func (s *Subscriber) forget() {
	s.mu.Lock()
	key := subKey(s.callID, s.fromTag)
	s.mu.Unlock()
	s.ep.subs.mu.Lock()
	if s.ep.subs.byKey[key] == s {
		delete(s.ep.subs.byKey, key)
	}
	s.ep.subs.mu.Unlock()
}

// begin starts a new subscription dialog: a new Call-ID and tag, known to the endpoint before
// the SUBSCRIBE leaves (its first NOTIFY may come before the 200).
func (s *Subscriber) begin() {
	s.forget()
	s.mu.Lock()
	s.callID, s.fromTag, s.toTag = gosip.GenerateTagN(24), gosip.GenerateTagN(12), ""
	s.target, s.cseq, s.active = s.ruri, 0, false
	key := subKey(s.callID, s.fromTag)
	s.mu.Unlock()
	s.ep.subs.mu.Lock()
	if s.ep.subs.byKey == nil {
		s.ep.subs.byKey = map[string]*Subscriber{}
	}
	s.ep.subs.byKey[key] = s
	s.ep.subs.mu.Unlock()
}

func (s *Subscriber) setState(st SubState) {
	s.mu.Lock()
	changed := s.state != st
	s.state = st
	s.mu.Unlock()
	if changed && s.opts.OnState != nil {
		s.opts.OnState(st)
	}
}

// attempt subscribes or refreshes once and returns the wait before the next one.
func (s *Subscriber) attempt(ctx context.Context) time.Duration {
	s.mu.Lock()
	fresh := !s.active
	s.mu.Unlock()
	if fresh {
		if s.opts.Pacer != nil {
			if err := s.opts.Pacer.Wait(ctx); err != nil {
				return 0
			}
		}
		s.begin()
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := s.subscribe(actx, s.opts.Expires)
	if ctx.Err() != nil {
		return 0
	}
	if err != nil {
		return s.fail(0, failureText(err), false)
	}
	switch {
	case res.IsSuccess():
		granted := s.opts.Expires
		if h := res.GetHeader("Expires"); h != nil {
			if d, ok := parseSeconds(h.Value()); ok {
				granted = min(d, s.opts.Expires)
			}
		}
		if granted <= 0 {
			s.markInactive()
			return s.fail(0, "the notifier granted no time", false)
		}
		s.mu.Lock()
		s.active, s.failures = true, 0
		if fresh {
			s.since = time.Now()
		}
		if tag, ok := res.To().Params.Get("tag"); ok && s.toTag == "" {
			s.toTag = tag
		}
		if c := res.Contact(); c != nil && fresh {
			// The dialog's remote target (RFC 6665 section 4.1.2.4); its NOTIFYs may update it.
			s.target = c.Address
		}
		s.mu.Unlock()
		s.setState(SubState{Active: true})
		return refreshAfter(granted)
	case res.StatusCode == gosip.StatusCallTransactionDoesNotExists && !fresh:
		// The notifier forgot the subscription: begin a new one now.
		s.markInactive()
		return 0
	case refusal(res.StatusCode):
		s.markInactive()
		return s.fail(res.StatusCode, res.Reason, true)
	default:
		s.markInactive()
		return s.fail(res.StatusCode, res.Reason, false)
	}
}

// refusal reports whether a status says the phone system does not offer the subscription.
func refusal(code int) bool {
	switch code {
	case statusBadEvent, gosip.StatusNotFound, gosip.StatusForbidden, gosip.StatusMethodNotAllowed,
		gosip.StatusNotImplemented, gosip.StatusUnsupportedMediaType, gosip.StatusNotAcceptable:
		return true
	}
	return false
}

func (s *Subscriber) markInactive() {
	s.mu.Lock()
	s.active = false
	s.mu.Unlock()
}

func (s *Subscriber) fail(code int, reason string, refused bool) time.Duration {
	s.mu.Lock()
	s.failures++
	n := s.failures
	s.mu.Unlock()
	d := s.opts.BackoffFirst << min(n-1, 30)
	if refused || d > s.opts.BackoffMax || d <= 0 {
		d = s.opts.BackoffMax
	}
	d -= time.Duration(rand.Int64N(int64(d)/5 + 1))
	s.setState(SubState{Refused: refused, Code: code, Reason: reason})
	return d
}

// subscribe sends one SUBSCRIBE in the subscription's dialog and answers one digest challenge
// of the line's registrar or proxy.
func (s *Subscriber) subscribe(ctx context.Context, expires time.Duration) (*gosip.Response, error) {
	answered := false
	for {
		req, err := s.build(ctx, expires)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		auth := s.auth
		s.mu.Unlock()
		if auth != nil {
			auth.count++
			if err := authorizeRequest(req, auth.chal, auth.proxy, s.acct, auth.count); err != nil {
				return nil, err
			}
		}
		tx, err := s.ep.client.TransactionRequest(ctx, req, prebuilt)
		if err != nil {
			return nil, err
		}
		res, err := finalResponse(ctx, tx)
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
		if (res.StatusCode != gosip.StatusUnauthorized && res.StatusCode != gosip.StatusProxyAuthRequired) || s.acct.Password == "" {
			return res, nil
		}
		chal, proxy, err := challengeOf(res)
		if err != nil {
			return res, nil
		}
		if err := s.ep.checkChallenge(ctx, s.acct, res, chal); err != nil {
			return nil, fmt.Errorf("%d %s: %w", res.StatusCode, res.Reason, err)
		}
		if answered && !chal.Stale {
			return res, nil
		}
		answered = true
		s.mu.Lock()
		s.auth = &authState{chal: chal, proxy: proxy}
		s.mu.Unlock()
	}
}

// build makes the next SUBSCRIBE of the dialog.
func (s *Subscriber) build(ctx context.Context, expires time.Duration) (*gosip.Request, error) {
	host, err := s.ep.localIPFor(ctx, s.dest)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cseq++
	req := gosip.NewRequest(gosip.SUBSCRIBE, *s.target.Clone())
	req.SetTransport(s.transport)
	req.SetDestination(s.dest)
	if r, err := firstHopRoute(s.dest, s.transport); err == nil {
		req.AppendHeader(r)
	}
	req.AppendHeader(newVia(s.transport, host, s.ep.port(s.acct.Transport)))
	if s.acct.Transport == line.TransportUDP {
		req.Laddr = s.ep.udpLaddr()
	}
	from := &gosip.FromHeader{DisplayName: s.acct.DisplayName, Address: gosip.Uri{Scheme: "sip", User: s.acct.User, Host: s.domain}, Params: gosip.NewParams()}
	from.Params.Add("tag", s.fromTag)
	req.AppendHeader(from)
	toURI := s.ruri
	toURI.UriParams = nil
	to := &gosip.ToHeader{Address: toURI, Params: gosip.NewParams()}
	if s.toTag != "" {
		to.Params.Add("tag", s.toTag)
	}
	req.AppendHeader(to)
	callID := gosip.CallIDHeader(s.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&gosip.CSeqHeader{SeqNo: s.cseq, MethodName: gosip.SUBSCRIBE})
	maxFwd := gosip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	contact := gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: s.acct.User, Host: host, Port: s.ep.port(s.acct.Transport)}}
	if s.acct.Transport != line.TransportUDP {
		contact.Address.Port = 0
		contact.Address.UriParams = gosip.NewParams()
		contact.Address.UriParams.Add("transport", strings.ToLower(s.transport))
	}
	req.AppendHeader(&contact)
	req.AppendHeader(gosip.NewHeader("Event", s.opts.Event))
	accept := MessageSummaryType
	if s.opts.Event == EventDialog {
		accept = DialogInfoType
	}
	req.AppendHeader(gosip.NewHeader("Accept", accept))
	req.AppendHeader(gosip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(gosip.NewHeader("User-Agent", UserAgentName))
	req.AppendHeader(gosip.NewHeader("Allow", allowedMethods))
	req.SetBody(nil)
	return req, nil
}

// findSubscriber is the subscription a request inside one belongs to: its Call-ID and our tag
// (in To) name it.
func (e *Endpoint) findSubscriber(req *gosip.Request) *Subscriber {
	cid, to := req.CallID(), req.To()
	if cid == nil || to == nil {
		return nil
	}
	tag, ok := to.Params.Get("tag")
	if !ok || tag == "" {
		return nil
	}
	e.subs.mu.Lock()
	defer e.subs.mu.Unlock()
	return e.subs.byKey[subKey(cid.Value(), tag)]
}

// OnMessageSummary sets the handler of message-summary NOTIFYs a phone system sends a line
// without a subscription (many send them to every registered line). It gets the line's name.
func (e *Endpoint) OnMessageSummary(f func(lineName string, m MessageSummary)) {
	e.subs.mu.Lock()
	e.subs.mwi = f
	e.subs.mu.Unlock()
}

// eventPackage is the package of a request's Event header, lower case, without parameters.
func eventPackage(req *gosip.Request) string {
	h := req.GetHeader("Event")
	if h == nil {
		return ""
	}
	pkg, _, _ := strings.Cut(h.Value(), ";")
	return strings.ToLower(strings.TrimSpace(pkg))
}

// subscriptionState reads Subscription-State: its state and its reason parameter.
func subscriptionState(req *gosip.Request) (state, reason string) {
	h := req.GetHeader("Subscription-State")
	if h == nil {
		return "", ""
	}
	parts := strings.Split(h.Value(), ";")
	state = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "reason") {
			reason = strings.ToLower(strings.TrimSpace(v))
		}
	}
	return state, reason
}

// readBody parses a NOTIFY body of the event package: 415 for another content type, 400 for one
// that does not parse. ok is false when it answered.
func (e *Endpoint) readBody(req *gosip.Request, tx gosip.ServerTransaction, pkg string, n *Notification) bool {
	if len(req.Body()) == 0 {
		return true
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct, _, _ = strings.Cut(strings.ToLower(h.Value()), ";")
		ct = strings.TrimSpace(ct)
	}
	want := MessageSummaryType
	if pkg == EventDialog {
		want = DialogInfoType
	}
	if ct != want {
		e.respond(tx, req, gosip.StatusUnsupportedMediaType, "Unsupported Media Type", gosip.NewHeader("Accept", want))
		return false
	}
	if pkg == EventDialog {
		di, err := ParseDialogInfo(req.Body())
		if err != nil {
			e.respond(tx, req, gosip.StatusBadRequest, "Bad Dialog Info", warning(399, err.Error()))
			return false
		}
		n.Dialogs = &di
		return true
	}
	m, err := ParseMessageSummary(req.Body())
	if err != nil {
		e.respond(tx, req, gosip.StatusBadRequest, "Bad Message Summary", warning(399, err.Error()))
		return false
	}
	n.Summary = &m
	return true
}

// readSubNotify takes a NOTIFY of one of our subscriptions.
func (s *Subscriber) readNotify(req *gosip.Request, tx gosip.ServerTransaction) {
	pkg := eventPackage(req)
	if pkg != s.opts.Event {
		s.ep.respond(tx, req, statusBadEvent, "Bad Event", gosip.NewHeader("Allow-Events", s.opts.Event))
		return
	}
	state, reason := subscriptionState(req)
	if state == "" {
		s.ep.respond(tx, req, gosip.StatusBadRequest, "Missing Subscription-State")
		return
	}
	n := Notification{Event: pkg, Terminated: state == "terminated"}
	if !s.ep.readBody(req, tx, pkg, &n) {
		return
	}
	s.ep.respond(tx, req, gosip.StatusOK, "OK")
	s.mu.Lock()
	if tag, ok := req.From().Params.Get("tag"); ok && s.toTag == "" {
		s.toTag = tag
	}
	if c := req.Contact(); c != nil && !n.Terminated {
		s.target = c.Address
	}
	if n.Terminated && s.active {
		s.active = false
		if time.Since(s.since) < time.Minute {
			s.quickEnds++
		} else {
			s.quickEnds = 0
		}
	}
	s.mu.Unlock()
	if s.opts.OnNotify != nil {
		s.opts.OnNotify(n)
	}
	if n.Terminated {
		refused := reason == "rejected" || reason == "noresource" || reason == "invariant"
		if refused {
			s.setState(SubState{Refused: true, Reason: "subscription ended: " + reason})
			return // the next attempt comes after the wait under way
		}
		s.setState(SubState{Reason: "subscription ended: " + reason})
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
}

// handleUnsolicitedNotify takes a message-summary NOTIFY outside any subscription: taken only
// from the registrar or proxy of the line its Request-URI names (403 from another address),
// given to the OnMessageSummary handler.
func (e *Endpoint) handleUnsolicitedNotify(req *gosip.Request, tx gosip.ServerTransaction) {
	name, user := e.trust.lineOf(req.Recipient.User)
	lines := e.trust.linesFrom(name, user, req.Source())
	if len(lines) == 0 {
		e.respond(tx, req, gosip.StatusForbidden, "Forbidden", warning(399, "message summary not from the line's registrar"))
		return
	}
	n := Notification{Event: EventMessageSummary}
	if !e.readBody(req, tx, EventMessageSummary, &n) {
		return
	}
	if n.Summary == nil {
		e.respond(tx, req, gosip.StatusBadRequest, "Missing Message Summary")
		return
	}
	e.respond(tx, req, gosip.StatusOK, "OK")
	e.subs.mu.Lock()
	f := e.subs.mwi
	e.subs.mu.Unlock()
	if f != nil {
		for _, l := range lines {
			f(l, *n.Summary)
		}
	}
}

// handleSubscribe answers SUBSCRIBE to Lineup: it offers no event packages.
func (e *Endpoint) handleSubscribe(req *gosip.Request, tx gosip.ServerTransaction) {
	e.respond(tx, req, statusBadEvent, "Bad Event")
}

// lineHops notes the first hops of the line name (its registration's), for unsolicited NOTIFYs.
func (t *trustSet) setLineHops(name string, hops []netip.AddrPort) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lineHops == nil {
		t.lineHops = map[string][]netip.AddrPort{}
	}
	if len(hops) == 0 {
		delete(t.lineHops, name)
		return
	}
	t.lineHops[name] = slices.Clone(hops)
}

// linesFrom are the lines a request for the line name (or, with no name, the account user) may
// concern that have src among their first hops.
func (t *trustSet) linesFrom(name, user, src string) []string {
	ap, err := netip.ParseAddrPort(src)
	if err != nil {
		return nil
	}
	ap = unmapPort(ap)
	t.mu.Lock()
	defer t.mu.Unlock()
	var candidates []string
	if name != "" {
		candidates = []string{name}
	} else {
		seen := map[string]bool{}
		for _, o := range t.contact {
			if o.user == user && !seen[o.line] {
				seen[o.line] = true
				candidates = append(candidates, o.line)
			}
		}
	}
	var out []string
	for _, l := range candidates {
		if slices.Contains(t.lineHops[l], ap) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}
