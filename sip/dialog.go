package sip

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/media"
)

// ErrCallEnded is returned by Dialog methods once the call is over.
var ErrCallEnded = errors.New("call ended")

// Dialog is an established call (RFC 3261 section 12), from either side. Its methods are safe
// for concurrent use. sipgo's DialogServerSession or DialogClientSession underneath keeps the
// tags, CSeq and route set; requests inside the dialog are built here so that they carry our
// Via and leave from the listening socket (sipgo's own would take the client's defaults).
type Dialog struct {
	ep  *Endpoint
	key string

	callID string
	uas    *sipgo.DialogServerSession // set when the peer called us
	uac    *sipgo.DialogClientSession // set when we called

	transport string // "UDP", "TCP", "TLS"
	viaHost   string
	viaPort   int
	laddr     gosip.Addr
	contact   gosip.ContactHeader
	target    gosip.Uri // the peer's Contact: the Request-URI of our requests

	sessionID uint64

	// offerMu makes our re-INVITEs one at a time.
	offerMu sync.Mutex

	mu        sync.Mutex
	version   uint64
	local     MediaDesc
	remote    MediaDesc
	localHold bool
	offering  bool // our re-INVITE is pending: a peer's one meets 491 (RFC 3261 section 14.2)
	onRemote  func(MediaDesc)
	onDTMF    func(rune)
	referral  *Referral // our REFER under way (refer.go)
	reason    EndReason
	done      chan struct{}
}

func (d *Dialog) init() {
	d.done = make(chan struct{})
	d.version = 1
}

// CallID is the dialog's Call-ID.
func (d *Dialog) CallID() string { return d.callID }

// Remote is the peer's current media description: where to send RTP, the codec in use first,
// its telephone-event payload type and its direction.
func (d *Dialog) Remote() MediaDesc {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.remote
}

// Local is our current media description; its Direction is what our stream does now (e.g.
// recvonly while the peer holds the call).
func (d *Dialog) Local() MediaDesc {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.local
}

// OnRemoteChange sets a function called after the peer changed the session with a re-INVITE
// (hold, resume, new address) and we answered it; Local and Remote hold the new state then.
func (d *Dialog) OnRemoteChange(f func(MediaDesc)) {
	d.mu.Lock()
	d.onRemote = f
	d.mu.Unlock()
}

// OnDTMFInfo sets a function called with each digit the peer sends by SIP INFO.
func (d *Dialog) OnDTMFInfo(f func(rune)) {
	d.mu.Lock()
	d.onDTMF = f
	d.mu.Unlock()
}

// Done is closed when the call is over; EndReason then says why.
func (d *Dialog) Done() <-chan struct{} { return d.done }

// EndReason says who ended the call or why. It is empty while the call lasts.
func (d *Dialog) EndReason() EndReason {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reason
}

func (d *Dialog) ended() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// end marks the call over once and forgets the dialog.
func (d *Dialog) end(r EndReason) {
	d.mu.Lock()
	select {
	case <-d.done:
		d.mu.Unlock()
		return
	default:
	}
	d.reason = r
	if d.referral != nil {
		d.referral.close()
		d.referral = nil
	}
	// Forgotten before Done closes, so that whoever sees Done finds the dialog gone.
	d.ep.removeDialog(d)
	close(d.done)
	d.mu.Unlock()
	if d.uas != nil {
		_ = d.uas.Close()
	} else if d.uac != nil {
		_ = d.uac.Close()
	}
}

// newRequest builds a request inside the dialog; the session adds From, To, Call-ID, CSeq and
// the route set.
func (d *Dialog) newRequest(method gosip.RequestMethod, contentType string, body []byte) *gosip.Request {
	req := gosip.NewRequest(method, *d.target.Clone())
	req.SetTransport(d.transport)
	req.AppendHeader(newVia(d.transport, d.viaHost, d.viaPort))
	if d.transport == "UDP" {
		req.Laddr = d.laddr
	}
	req.AppendHeader(gosip.HeaderClone(&d.contact))
	req.AppendHeader(gosip.NewHeader("User-Agent", UserAgentName))
	if contentType != "" {
		req.AppendHeader(gosip.NewHeader("Content-Type", contentType))
	}
	req.SetBody(body)
	return req
}

// do sends a request inside the dialog and waits for its final response.
func (d *Dialog) do(ctx context.Context, req *gosip.Request) (*gosip.Response, error) {
	var tx gosip.ClientTransaction
	var err error
	if d.uas != nil {
		tx, err = d.uas.TransactionRequest(ctx, req)
	} else {
		tx, err = d.uac.TransactionRequest(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	return finalResponse(ctx, tx)
}

func (d *Dialog) writeRequest(req *gosip.Request) error {
	if d.uas != nil {
		return d.uas.WriteRequest(req)
	}
	return d.uac.WriteRequest(req)
}

// Hangup ends the call with BYE (RFC 3261 section 15) and waits for its answer. The call counts
// as ended in any case.
func (d *Dialog) Hangup(ctx context.Context) error {
	if d.ended() {
		return nil
	}
	bye := d.newRequest(gosip.BYE, "", nil)
	var err error
	if d.uas != nil {
		err = d.uas.WriteBye(ctx, bye)
	} else {
		err = d.uac.WriteBye(ctx, bye)
	}
	d.end(EndReason{Text: "hung up"})
	if err != nil {
		return fmt.Errorf("hang up: %w", err)
	}
	return nil
}

// Hold puts the call on hold with a re-INVITE offering sendonly (inactive when the peer holds
// the call too), RFC 3264 section 8.4.
func (d *Dialog) Hold(ctx context.Context) error { return d.reinvite(ctx, true) }

// Resume takes the call off hold with a re-INVITE offering sendrecv.
func (d *Dialog) Resume(ctx context.Context) error { return d.reinvite(ctx, false) }

func (d *Dialog) wish() media.Direction {
	if d.localHold {
		return media.SendOnly
	}
	return media.SendRecv
}

func (d *Dialog) reinvite(ctx context.Context, hold bool) error {
	d.offerMu.Lock()
	defer d.offerMu.Unlock()
	if d.ended() {
		return ErrCallEnded
	}
	d.mu.Lock()
	offer := d.local
	offer.Direction = media.SendRecv
	if hold {
		offer.Direction = media.SendOnly
	}
	// Offer the codec in use first, then the others we support.
	offer.Codecs = append([]media.Codec(nil), d.local.Codecs...)
	offer.EventPT = d.local.EventPT
	if offer.EventPT == 0 {
		offer.EventPT = TelephoneEventPT
	}
	d.version++
	body := BuildSDP(d.sessionID, d.version, offer)
	d.offering = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.offering = false
		d.mu.Unlock()
	}()

	req := d.newRequest(gosip.INVITE, "application/sdp", body)
	res, err := d.do(ctx, req)
	if err != nil {
		return fmt.Errorf("re-invite: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("re-invite: %w", &CallError{Code: res.StatusCode, Reason: res.Reason})
	}
	// The ACK of a 2xx goes straight to the transport (RFC 3261 section 13.2.2.4); the session
	// gives it the re-INVITE's CSeq.
	if err := d.writeRequest(d.newRequest(gosip.ACK, "", nil)); err != nil {
		return fmt.Errorf("re-invite ack: %w", err)
	}
	answer, err := ParseSDP(res.Body())
	if err != nil {
		return fmt.Errorf("re-invite answer: %w", err)
	}
	if answer.Crypto, err = AcceptAnswerCrypto(offer, answer); err != nil {
		return fmt.Errorf("re-invite answer: %w", err)
	}
	d.mu.Lock()
	d.localHold = hold
	d.remote = answer
	d.local.Direction = combineDirection(offer.Direction, answer.Direction.Reverse())
	if c, ok := answer.Codec(); ok {
		d.local.Codecs = []media.Codec{c}
	}
	d.local.EventPT = answer.EventPT
	d.mu.Unlock()
	return nil
}

// readReInvite answers a peer's re-INVITE: the codec in use when still offered, telephone-event
// when offered, and the offer's direction reversed within our own wish (held by us: sendonly).
// A re-INVITE without SDP gets our current description as the offer and the answer comes in the
// ACK. The 2xx is sent once and not retransmitted until the ACK (RFC 6026 asks the TU to), which
// loss on the way would need.
func (d *Dialog) readReInvite(req *gosip.Request, tx gosip.ServerTransaction) {
	d.mu.Lock()
	if d.offering {
		d.mu.Unlock()
		d.ep.respond(tx, req, gosip.StatusRequestPending, "Request Pending")
		return
	}
	d.mu.Unlock()
	if d.ended() {
		d.ep.respond(tx, req, gosip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	var offer MediaDesc
	hasOffer := len(req.Body()) > 0
	if hasOffer {
		var err error
		offer, err = ParseSDP(req.Body())
		if errors.Is(err, ErrNoCommonCodec) {
			d.ep.respond(tx, req, gosip.StatusNotAcceptableHere, "Not Acceptable Here", warning(305, err.Error()))
			return
		}
		if err != nil {
			d.ep.respond(tx, req, gosip.StatusBadRequest, reasonPhrase("Bad SDP: "+err.Error()))
			return
		}
	}

	d.mu.Lock()
	local := d.local
	if hasOffer {
		ans, err := Negotiate(offer, local.Codecs)
		if err != nil {
			ans, err = Negotiate(offer, media.Codecs())
		}
		if err != nil {
			d.mu.Unlock()
			d.ep.respond(tx, req, gosip.StatusNotAcceptableHere, "Not Acceptable Here", warning(305, err.Error()))
			return
		}
		sec, err := ReofferCrypto(offer, d.local.Crypto)
		if err != nil {
			d.mu.Unlock()
			d.ep.respond(tx, req, gosip.StatusNotAcceptableHere, "Not Acceptable Here", warning(399, err.Error()))
			return
		}
		local.Codecs = ans.Codecs
		local.EventPT = ans.EventPT
		local.Direction = combineDirection(d.wish(), ans.Direction)
		local.Crypto, local.Secure = sec.Local, sec.Secure
		offer.Crypto = sec.Remote
	} else {
		local.Direction = d.wish()
	}
	d.version++
	body := BuildSDP(d.sessionID, d.version, local)
	// The new state holds before the 2xx leaves: the peer may look at us once it has it.
	d.local = local
	remote := offer
	if hasOffer {
		remote.Codecs = local.Codecs
		d.remote = remote
	}
	f := d.onRemote
	d.mu.Unlock()

	res := gosip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(gosip.HeaderClone(&d.contact))
	if err := tx.Respond(res); err != nil {
		d.ep.log.Debug("re-invite answer failed", "call", d.callID, "error", err)
		return
	}
	if hasOffer && f != nil {
		f(remote)
	}
}

func (d *Dialog) readAck(req *gosip.Request, tx gosip.ServerTransaction) {
	if d.uas != nil && req.CSeq() != nil && req.CSeq().SeqNo == d.uas.InviteRequest.CSeq().SeqNo {
		// The ACK of our 2xx to the first INVITE confirms the dialog (Answer waits for it).
		if err := d.uas.ReadAck(req, tx); err != nil {
			d.ep.log.Debug("ack not matched", "call", d.callID, "error", err)
		}
		return
	}
	if len(req.Body()) == 0 {
		return
	}
	// The answer to the offer we made in a 2xx to a re-INVITE without SDP.
	answer, err := ParseSDP(req.Body())
	if err != nil {
		d.ep.log.Debug("ack with bad sdp", "call", d.callID, "error", err)
		return
	}
	d.mu.Lock()
	if answer.Crypto, err = AcceptAnswerCrypto(d.local, answer); err != nil {
		d.mu.Unlock()
		d.ep.log.Debug("ack with unusable keys", "call", d.callID, "error", err)
		return
	}
	d.remote = answer
	d.local.Direction = combineDirection(d.local.Direction, answer.Direction.Reverse())
	if c, ok := answer.Codec(); ok {
		d.local.Codecs = []media.Codec{c}
	}
	f := d.onRemote
	d.mu.Unlock()
	if f != nil {
		f(answer)
	}
}

func (d *Dialog) readBye(req *gosip.Request, tx gosip.ServerTransaction) {
	var err error
	if d.uas != nil {
		err = d.uas.ReadBye(req, tx)
	} else {
		err = d.uac.ReadBye(req, tx)
	}
	if err != nil {
		d.ep.log.Debug("bye refused", "call", d.callID, "error", err)
		d.ep.respond(tx, req, gosip.StatusBadRequest, reasonPhrase(err.Error()))
		return
	}
	d.end(EndReason{Remote: true, Text: "remote hung up"})
}

// SendDTMFInfo sends one digit (0-9, *, #, A-D) as SIP INFO with an application/dtmf-relay body,
// for peers that offer no telephone-event.
func (d *Dialog) SendDTMFInfo(ctx context.Context, digit rune) error {
	if !isDTMFDigit(digit) {
		return fmt.Errorf("dtmf info: %q is not a dtmf digit", digit)
	}
	if d.ended() {
		return ErrCallEnded
	}
	body := fmt.Sprintf("Signal=%c\r\nDuration=160\r\n", digit)
	res, err := d.do(ctx, d.newRequest(gosip.INFO, "application/dtmf-relay", []byte(body)))
	if err != nil {
		return fmt.Errorf("dtmf info: %w", err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("dtmf info: %w", &CallError{Code: res.StatusCode, Reason: res.Reason})
	}
	return nil
}

func isDTMFDigit(r rune) bool {
	return (r >= '0' && r <= '9') || r == '*' || r == '#' || (r >= 'A' && r <= 'D')
}

// readInfo takes DTMF by INFO: application/dtmf-relay ("Signal=5") or application/dtmf ("5").
func (d *Dialog) readInfo(req *gosip.Request, tx gosip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	digit, code := dtmfInfoDigit(ct, req.Body())
	switch code {
	case gosip.StatusOK:
	case gosip.StatusUnsupportedMediaType:
		d.ep.respond(tx, req, code, "Unsupported Media Type",
			gosip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	default:
		d.ep.respond(tx, req, code, "Bad DTMF Info Body")
		return
	}
	d.ep.respond(tx, req, gosip.StatusOK, "OK")
	if digit == 0 {
		return
	}
	d.mu.Lock()
	f := d.onDTMF
	d.mu.Unlock()
	if f != nil {
		f(digit)
	}
}

// dtmfInfoDigit reads the digit of an INFO body of content type ct and the status to answer:
// 200 with the digit, 200 with none for an empty INFO (a keep-alive probe, RFC 6086 section
// 4.2), 415 for another content type, 400 for a body without one digit.
func dtmfInfoDigit(ct string, body []byte) (rune, int) {
	ct = strings.ToLower(strings.TrimSpace(ct))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	var digit rune
	switch ct {
	case "application/dtmf-relay":
		for _, l := range strings.Split(string(body), "\n") {
			k, v, ok := strings.Cut(l, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				v = strings.ToUpper(strings.TrimSpace(v))
				if len(v) == 1 {
					digit = rune(v[0])
				}
			}
		}
	case "application/dtmf":
		v := strings.ToUpper(strings.TrimSpace(string(body)))
		if len(v) == 1 {
			digit = rune(v[0])
		}
	case "":
		return 0, gosip.StatusOK
	default:
		return 0, gosip.StatusUnsupportedMediaType
	}
	if !isDTMFDigit(digit) {
		return 0, gosip.StatusBadRequest
	}
	return digit, gosip.StatusOK
}
