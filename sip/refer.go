package sip

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/line"
)

// Call transfer: REFER inside a call's dialog (RFC 3515) with the implicit subscription its
// NOTIFYs report on in message/sipfrag bodies, and the Replaces header (RFC 3891) that an
// attended transfer carries in the Refer-To URI and the transferee sends in its INVITE. The
// roles and flows are those of RFC 5589: the transferor sends REFER, the transferee calls the
// target and reports its progress, the transferor ends its call once the target answered.

// Statuses sipgo has no names for.
const (
	statusBadEvent = 489 // RFC 6665 section 8.3.1
	statusDecline  = 603 // RFC 3261 section 21.6.2
)

// ErrBadRefer is wrapped by the errors of a REFER or NOTIFY that cannot be read.
var ErrBadRefer = errors.New("malformed refer")

// DialogID names a dialog as this side sees it: its Call-ID, our tag and the far end's tag.
type DialogID struct {
	CallID    string
	LocalTag  string
	RemoteTag string
}

// ID returns the dialog's identifier.
func (d *Dialog) ID() DialogID {
	parts := strings.SplitN(d.key, "\x00", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return DialogID{CallID: parts[0], LocalTag: parts[1], RemoteTag: parts[2]}
}

// ReplacesFor is the Replaces header value that makes the far end of this dialog replace it
// with the INVITE carrying it (RFC 3891 section 6.1): the tags are named as the far end sees
// them, its own tag being to-tag.
func (id DialogID) ReplacesFor() string {
	return id.CallID + ";to-tag=" + id.RemoteTag + ";from-tag=" + id.LocalTag
}

// Replaces is a Replaces header of an INVITE (RFC 3891 section 6.1): the dialog it is to
// replace, tags as the receiver sees them.
type Replaces struct {
	CallID  string
	ToTag   string // the receiver's tag
	FromTag string // the tag of the receiver's peer in the replaced dialog
	// EarlyOnly asks that only a dialog not yet confirmed be replaced.
	EarlyOnly bool
}

// Dialog returns the dialog the receiver must find: our tag is ToTag.
func (r Replaces) Dialog() DialogID {
	return DialogID{CallID: r.CallID, LocalTag: r.ToTag, RemoteTag: r.FromTag}
}

// String writes the header value.
func (r Replaces) String() string {
	s := r.CallID + ";to-tag=" + r.ToTag + ";from-tag=" + r.FromTag
	if r.EarlyOnly {
		s += ";early-only"
	}
	return s
}

// maxReplaces bounds a Replaces value, in bytes; Call-IDs and tags are short.
const maxReplaces = 512

// ParseReplaces reads a Replaces header value: a Call-ID, then to-tag and from-tag, both
// required (RFC 3891 section 6.1), and the optional early-only flag.
func ParseReplaces(v string) (Replaces, error) {
	if len(v) > maxReplaces {
		return Replaces{}, fmt.Errorf("%w: replaces longer than %d bytes", ErrBadRefer, maxReplaces)
	}
	parts := strings.Split(v, ";")
	r := Replaces{CallID: strings.TrimSpace(parts[0])}
	if r.CallID == "" || strings.ContainsAny(r.CallID, " \t\r\n,") {
		return Replaces{}, fmt.Errorf("%w: replaces %q has no call-id", ErrBadRefer, v)
	}
	var haveTo, haveFrom bool
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		k, val = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val)
		switch k {
		case "to-tag":
			r.ToTag, haveTo = val, val != ""
		case "from-tag":
			r.FromTag, haveFrom = val, val != ""
		case "early-only":
			r.EarlyOnly = true
		}
	}
	if !haveTo || !haveFrom {
		return Replaces{}, fmt.Errorf("%w: replaces %q needs to-tag and from-tag", ErrBadRefer, v)
	}
	return r, nil
}

// ReferTarget is what a REFER asks for: the target to call and, for an attended transfer, the
// dialog the target is to replace.
type ReferTarget struct {
	// URI is the target without its embedded headers, e.g. "sip:202@pbx.example.com".
	URI string
	// User is the URI's user part (the number), empty for none.
	User string
	// Replaces is set when the Refer-To URI embeds a Replaces header.
	Replaces *Replaces
}

// maxReferTo bounds a Refer-To value, in bytes.
const maxReferTo = 2048

// ParseReferTo reads a Refer-To header value (RFC 3515 section 2.1): a sip: or sips: URI, in
// angle brackets or bare, maybe with a display name, maybe with embedded headers of which
// Replaces is taken and the others ignored.
func ParseReferTo(v string) (ReferTarget, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return ReferTarget{}, fmt.Errorf("%w: empty refer-to", ErrBadRefer)
	}
	if len(v) > maxReferTo {
		return ReferTarget{}, fmt.Errorf("%w: refer-to longer than %d bytes", ErrBadRefer, maxReferTo)
	}
	addr := v
	if i := strings.IndexByte(v, '<'); i >= 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ReferTarget{}, fmt.Errorf("%w: refer-to %q has no closing >", ErrBadRefer, v)
		}
		addr = v[i+1 : i+j]
	} else if i := strings.IndexByte(v, ';'); i >= 0 {
		addr = v[:i] // header parameters of a bare URI
	}
	addr, headers, _ := strings.Cut(strings.TrimSpace(addr), "?")
	lower := strings.ToLower(addr)
	if !strings.HasPrefix(lower, "sip:") && !strings.HasPrefix(lower, "sips:") {
		return ReferTarget{}, fmt.Errorf("%w: refer-to %q is not a sip: or sips: address", ErrBadRefer, v)
	}
	var u gosip.Uri
	if err := gosip.ParseUri(addr, &u); err != nil || u.Host == "" {
		return ReferTarget{}, fmt.Errorf("%w: refer-to %q is not a sip address", ErrBadRefer, v)
	}
	if !validHost(u.Host) {
		return ReferTarget{}, fmt.Errorf("%w: refer-to host %q", ErrBadRefer, u.Host)
	}
	t := ReferTarget{URI: addr, User: u.User}
	for _, kv := range strings.Split(headers, "&") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.EqualFold(k, "replaces") {
			continue
		}
		raw, err := url.QueryUnescape(val)
		if err != nil {
			return ReferTarget{}, fmt.Errorf("%w: refer-to replaces %q: %w", ErrBadRefer, val, err)
		}
		r, err := ParseReplaces(raw)
		if err != nil {
			return ReferTarget{}, err
		}
		t.Replaces = &r
	}
	return t, nil
}

// ReferProgress is one NOTIFY of a transfer: the status of the transferee's call to the target,
// as its sipfrag body gave it (RFC 3515 section 2.4.5).
type ReferProgress struct {
	Code   int
	Reason string
	// Final is set when the transfer's outcome is known: a final status, or a subscription the
	// transferee ended.
	Final bool
}

// Referral is a REFER this side sent and the transferee accepted. Its progress arrives on
// Progress until a final one, after which the channel is closed; a dialog that ends first closes
// it too.
type Referral struct {
	mu       sync.Mutex
	progress chan ReferProgress
	closed   bool
}

// Progress delivers the transfer's progress in order. It is closed after the final report.
func (r *Referral) Progress() <-chan ReferProgress { return r.progress }

func (r *Referral) report(p ReferProgress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	select {
	case r.progress <- p:
	default:
		if !p.Final {
			return // a report nobody read in time; the final one matters
		}
		// Make room for the final report: drop the oldest.
		select {
		case <-r.progress:
		default:
		}
		r.progress <- p
	}
	if p.Final {
		r.closed = true
		close(r.progress)
	}
}

func (r *Referral) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.progress)
	}
}

// Refer asks the far end of d to call target (RFC 3515, blind transfer; RFC 5589 section 6):
// REFER with Refer-To and Referred-By, inside the dialog. target is a number in the line's
// domain or a SIP URI; replaces, when set, names a dialog of ours with the target that the
// target is to replace (attended transfer, RFC 5589 section 7): its Replaces rides in the URI.
// A REFER the far end refuses gives a *CallError with its status.
func (e *Endpoint) Refer(ctx context.Context, d *Dialog, acct line.Account, target string, replaces *DialogID) (*Referral, error) {
	if d.ended() {
		return nil, fmt.Errorf("refer: %w", ErrCallEnded)
	}
	u, err := targetURI(target, lineDomain(acct))
	if err != nil {
		return nil, fmt.Errorf("refer: %w", err)
	}
	u.UriParams = nil
	referTo := u.String()
	if replaces != nil {
		referTo += "?Replaces=" + url.QueryEscape(replaces.ReplacesFor())
	}
	r := &Referral{progress: make(chan ReferProgress, 8)}
	d.mu.Lock()
	if d.referral != nil {
		d.mu.Unlock()
		return nil, fmt.Errorf("refer: a transfer of this call is under way: %w", ErrBadRefer)
	}
	d.referral = r
	d.mu.Unlock()
	clear := func() {
		d.mu.Lock()
		if d.referral == r {
			d.referral = nil
		}
		d.mu.Unlock()
	}

	req := d.newRequest(gosip.REFER, "", nil)
	req.AppendHeader(gosip.NewHeader("Refer-To", "<"+referTo+">"))
	from := gosip.Uri{Scheme: "sip", User: acct.User, Host: lineDomain(acct)}
	req.AppendHeader(gosip.NewHeader("Referred-By", "<"+from.String()+">"))
	res, err := d.do(ctx, req)
	if err != nil {
		clear()
		return nil, fmt.Errorf("refer: %w", err)
	}
	if !res.IsSuccess() {
		clear()
		return nil, fmt.Errorf("refer: %w", &CallError{Code: res.StatusCode, Reason: res.Reason})
	}
	return r, nil
}

// sipfrag reads the status line of a message/sipfrag body (RFC 3420), e.g. "SIP/2.0 180
// Ringing".
func sipfrag(body []byte) (code int, reason string, err error) {
	first, _, _ := strings.Cut(string(body), "\n")
	first = strings.TrimSpace(first)
	proto, rest, ok := strings.Cut(first, " ")
	if !ok || !strings.EqualFold(proto, "SIP/2.0") {
		return 0, "", fmt.Errorf("%w: sipfrag %q is not a SIP status line", ErrBadRefer, truncate(first, 60))
	}
	num, reason, _ := strings.Cut(rest, " ")
	code, err = strconv.Atoi(num)
	if err != nil || code < 100 || code > 699 {
		return 0, "", fmt.Errorf("%w: sipfrag status %q is not 100-699", ErrBadRefer, truncate(num, 20))
	}
	return code, strings.TrimSpace(reason), nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// readNotify takes a NOTIFY inside a call's dialog: the progress of the REFER we sent (Event:
// refer). Another event package gets 489; a NOTIFY with no transfer under way 481; a body that
// is not a sipfrag status 400, leaving the transfer as it stood.
func (d *Dialog) readNotify(req *gosip.Request, tx gosip.ServerTransaction) {
	ev := ""
	if h := req.GetHeader("Event"); h != nil {
		ev = h.Value()
	}
	pkg, _, _ := strings.Cut(ev, ";")
	if !strings.EqualFold(strings.TrimSpace(pkg), "refer") {
		d.ep.respond(tx, req, statusBadEvent, "Bad Event", gosip.NewHeader("Allow-Events", "refer"))
		return
	}
	d.mu.Lock()
	r := d.referral
	d.mu.Unlock()
	if r == nil {
		d.ep.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Subscription Does Not Exist")
		return
	}
	terminated := false
	if h := req.GetHeader("Subscription-State"); h != nil {
		st, _, _ := strings.Cut(h.Value(), ";")
		terminated = strings.EqualFold(strings.TrimSpace(st), "terminated")
	}
	p := ReferProgress{Final: terminated}
	if len(req.Body()) > 0 {
		ct := ""
		if h := req.ContentType(); h != nil {
			ct = strings.ToLower(h.Value())
		}
		if !strings.HasPrefix(strings.TrimSpace(ct), "message/sipfrag") {
			d.ep.respond(tx, req, gosip.StatusUnsupportedMediaType, "Unsupported Media Type",
				gosip.NewHeader("Accept", "message/sipfrag"))
			return
		}
		code, reason, err := sipfrag(req.Body())
		if err != nil {
			d.ep.respond(tx, req, gosip.StatusBadRequest, "Bad Sipfrag Body", warning(399, err.Error()))
			return
		}
		p.Code, p.Reason = code, reason
		if code >= 200 {
			p.Final = true
		}
	} else if !terminated {
		d.ep.respond(tx, req, gosip.StatusOK, "OK")
		return // the subscription's first NOTIFY may carry no body
	}
	d.ep.respond(tx, req, gosip.StatusOK, "OK")
	if p.Final && p.Code == 0 {
		// Ended without saying how the call went: the transfer did not complete.
		p.Code, p.Reason = gosip.StatusRequestTerminated, "Transfer subscription ended"
	}
	if p.Final {
		d.mu.Lock()
		if d.referral == r {
			d.referral = nil
		}
		d.mu.Unlock()
	}
	r.report(p)
}

// IncomingRefer is a REFER the far end of a call sent us: it asks us to call Target (we are the
// transferee). The handler answers it by returning; once accepted (202), Notify reports how the
// call to the target goes.
type IncomingRefer struct {
	Dialog *Dialog
	Target ReferTarget
	// ReferredBy is the Referred-By header as it came, empty for none.
	ReferredBy string
	// id is the REFER's CSeq number, the id parameter of the NOTIFYs' Event (RFC 3515 2.4.4).
	id uint32
}

// OnRefer sets the handler of REFERs inside calls. It returns the status to answer: 202 accepts
// (Notify reports afterwards), another final status refuses. Without a handler REFERs get 603.
func (e *Endpoint) OnRefer(f func(*IncomingRefer) (code int, reason string)) {
	e.calls.mu.Lock()
	e.calls.refer = f
	e.calls.mu.Unlock()
}

// handleRefer takes a REFER: inside a call only (outside one it gets 481: Lineup calls no one
// on a stranger's word), with exactly one Refer-To naming a SIP address (400 otherwise).
func (e *Endpoint) handleRefer(req *gosip.Request, tx gosip.ServerTransaction) {
	d := e.findDialog(req)
	if d == nil || d.ended() {
		e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	hs := req.GetHeaders("Refer-To")
	if len(hs) != 1 {
		e.respond(tx, req, gosip.StatusBadRequest, "Bad Refer-To", warning(399, "a REFER needs exactly one Refer-To"))
		return
	}
	target, err := ParseReferTo(hs[0].Value())
	if err != nil {
		e.respond(tx, req, gosip.StatusBadRequest, "Bad Refer-To", warning(399, err.Error()))
		return
	}
	in := &IncomingRefer{Dialog: d, Target: target}
	if h := req.GetHeader("Referred-By"); h != nil {
		in.ReferredBy = reasonPhrase(h.Value())
	}
	if cs := req.CSeq(); cs != nil {
		in.id = cs.SeqNo
	}
	e.calls.mu.Lock()
	handler := e.calls.refer
	e.calls.mu.Unlock()
	code, reason := statusDecline, "Decline"
	if handler != nil {
		code, reason = handler(in)
	}
	if code == gosip.StatusAccepted {
		e.respond(tx, req, gosip.StatusAccepted, "Accepted")
		return
	}
	if code < 300 || code > 699 {
		code, reason = gosip.StatusInternalServerError, "Server Internal Error"
	}
	e.respond(tx, req, code, reasonPhrase(reason))
}

// Notify reports the transfer's progress to the transferor: NOTIFY with the status of our call
// to the target as a sipfrag (RFC 3515 section 2.4.5); a final status ends the subscription.
func (r *IncomingRefer) Notify(ctx context.Context, code int, reason string) error {
	d := r.Dialog
	if d.ended() {
		return fmt.Errorf("notify: %w", ErrCallEnded)
	}
	body := []byte("SIP/2.0 " + strconv.Itoa(code) + " " + reasonPhrase(reason) + "\r\n")
	req := d.newRequest(gosip.NOTIFY, "message/sipfrag;version=2.0", body)
	req.AppendHeader(gosip.NewHeader("Event", "refer;id="+strconv.FormatUint(uint64(r.id), 10)))
	state := "active;expires=60"
	if code >= 200 {
		state = "terminated;reason=noresource"
	}
	req.AppendHeader(gosip.NewHeader("Subscription-State", state))
	res, err := d.do(ctx, req)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("notify: %w", &CallError{Code: res.StatusCode, Reason: res.Reason})
	}
	return nil
}

// handleNotify takes NOTIFYs: those inside a call's dialog report a transfer, those of a
// subscription go to its subscriber, and a message-summary one outside both may come from a
// line's registrar (subscribe.go).
func (e *Endpoint) handleNotify(req *gosip.Request, tx gosip.ServerTransaction) {
	if d := e.findDialog(req); d != nil {
		d.readNotify(req, tx)
		return
	}
	if s := e.findSubscriber(req); s != nil {
		s.readNotify(req, tx)
		return
	}
	if eventPackage(req) == EventMessageSummary {
		if tag, _ := req.To().Params.Get("tag"); tag == "" {
			e.handleUnsolicitedNotify(req, tx)
			return
		}
	}
	e.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Subscription Does Not Exist")
}
