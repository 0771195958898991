package sip

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"golang.org/x/time/rate"

	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/line"
)

// subRecorder collects what a Subscriber reports.
type subRecorder struct {
	mu     sync.Mutex
	notes  []Notification
	states []SubState
	ch     chan struct{}
}

func newSubRecorder() *subRecorder { return &subRecorder{ch: make(chan struct{}, 64)} }

func (r *subRecorder) notify(n Notification) {
	r.mu.Lock()
	r.notes = append(r.notes, n)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

func (r *subRecorder) state(s SubState) {
	r.mu.Lock()
	r.states = append(r.states, s)
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds over what was recorded.
func (r *subRecorder) waitFor(t *testing.T, what string, within time.Duration, cond func([]Notification, []SubState) bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		r.mu.Lock()
		ok := cond(r.notes, r.states)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.ch:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("%s: not within %v; notes %+v states %+v", what, within, r.notes, r.states)
		}
	}
}

// subscribePBX is a scripted notifier: answer decides each SUBSCRIBE's response.
type subscribePBX struct {
	*scriptedRegistrar
	mu     sync.Mutex
	subs   []*gosip.Request
	arrive chan *gosip.Request
}

func startSubscribePBX(t *testing.T, answer func(n int, req *gosip.Request) *gosip.Response) *subscribePBX {
	p := &subscribePBX{arrive: make(chan *gosip.Request, 32)}
	p.scriptedRegistrar = startScripted(t, func(int, *gosip.Request) *gosip.Response { return nil }, func(srv *sipgo.Server) {
		srv.OnSubscribe(func(req *gosip.Request, tx gosip.ServerTransaction) {
			p.mu.Lock()
			p.subs = append(p.subs, req.Clone())
			n := len(p.subs)
			p.mu.Unlock()
			_ = tx.Respond(answer(n, req))
			p.arrive <- req.Clone()
		})
	})
	return p
}

func (p *subscribePBX) next(t *testing.T, within time.Duration) *gosip.Request {
	t.Helper()
	select {
	case r := <-p.arrive:
		return r
	case <-time.After(within):
		t.Fatalf("no SUBSCRIBE within %v", within)
		return nil
	}
}

func subOK(req *gosip.Request, toTag string, expires int) *gosip.Response {
	res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
	if _, ok := req.To().Params.Get("tag"); !ok {
		res.To().Params.Remove("tag")
		res.To().Params.Add("tag", toTag)
	}
	res.AppendHeader(gosip.NewHeader("Expires", strconv.Itoa(expires)))
	res.AppendHeader(&gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: "pbx", Host: "127.0.0.1", Port: 9}})
	return res
}

// notifyFor is a NOTIFY of the subscription sub (a SUBSCRIBE it saw) sent from the peer at from.
func notifyFor(sub *gosip.Request, from, toTag, state, ctype, body string, n int) []byte {
	fromTag, _ := sub.From().Params.Get("tag")
	ev := sub.GetHeader("Event").Value()
	msg := fmt.Sprintf("NOTIFY %s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-notify-%d;rport\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@127.0.0.1>;tag=%s\r\n"+
		"To: %s;tag=%s\r\n"+
		"Call-ID: %s\r\n"+
		"CSeq: %d NOTIFY\r\n"+
		"Contact: <sip:pbx@%s>\r\n"+
		"Event: %s\r\n"+
		"Subscription-State: %s\r\n",
		sub.Contact().Address.String(), from, n, sub.To().Address.User, toTag,
		sub.From().Address.String(), fromTag, sub.CallID().Value(), n, from, ev, state)
	if body != "" {
		msg += "Content-Type: " + ctype + "\r\n"
	}
	msg += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	return []byte(msg)
}

func runSubscriber(t *testing.T, ep *Endpoint, acct line.Account, opts SubscribeOptions) (*subRecorder, func()) {
	t.Helper()
	rec := newSubRecorder()
	opts.OnNotify, opts.OnState = rec.notify, rec.state
	s, err := ep.NewSubscriber("L1", acct, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return rec, stop
}

// TestSubscribeDigestNotifyRefreshAndUnsubscribe: the SUBSCRIBE answers the notifier's
// challenge with the line's credentials, a NOTIFY of the subscription gives its counts, a bad
// body gets 400 and changes nothing, the refresh keeps the dialog, and stopping unsubscribes.
func TestSubscribeDigestNotifyRefreshAndUnsubscribe(t *testing.T) {
	pbx := startSubscribePBX(t, func(n int, req *gosip.Request) *gosip.Response {
		if req.GetHeader("Authorization") == nil {
			res := gosip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(gosip.NewHeader("WWW-Authenticate", `Digest realm="pbx", nonce="n1", qop="auth", algorithm=MD5`))
			return res
		}
		return subOK(req, "pbx1", 3)
	})
	ep := newTestEndpoint(t)
	acct := line.Account{Registrar: pbx.addr, User: "201", Password: "pw"}
	rec, stop := runSubscriber(t, ep, acct, SubscribeOptions{Event: EventMessageSummary, Expires: 3 * time.Second})
	first := pbx.next(t, 5*time.Second)
	if first.GetHeader("Authorization") != nil {
		t.Fatal("the first SUBSCRIBE carried credentials before any challenge")
	}
	sub := pbx.next(t, 5*time.Second)
	if got := sub.GetHeader("Event").Value(); got != "message-summary" {
		t.Fatalf("Event %q", got)
	}
	if got := sub.GetHeader("Accept").Value(); got != MessageSummaryType {
		t.Fatalf("Accept %q", got)
	}
	if sub.Recipient.User != "201" {
		t.Fatalf("Request-URI %s, want the line's own address", sub.Recipient.String())
	}
	rec.waitFor(t, "active", 5*time.Second, func(_ []Notification, s []SubState) bool { return len(s) > 0 && s[len(s)-1].Active })

	peer, err := sipcorpus.Dial("UDP", ep.Addr(line.TransportUDP))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	body := "Messages-Waiting: yes\r\nVoice-Message: 2/5 (0/0)\r\n"
	if err := peer.Send(notifyFor(sub, peer.Addr(), "pbx1", "active;expires=3", MessageSummaryType, body, 1)); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(2 * time.Second); err != nil || res.Code != 200 {
		t.Fatalf("NOTIFY answered %+v %v, want 200", res, err)
	}
	rec.waitFor(t, "the counts", 2*time.Second, func(n []Notification, _ []SubState) bool {
		return len(n) == 1 && n[0].Summary != nil && n[0].Summary.Waiting && n[0].Summary.New == 2 && n[0].Summary.Old == 5
	})
	if err := peer.Send(notifyFor(sub, peer.Addr(), "pbx1", "active", MessageSummaryType, "Voice-Message: lots\r\n", 2)); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(2 * time.Second); err != nil || res.Code != 400 {
		t.Fatalf("NOTIFY with a bad body answered %+v %v, want 400", res, err)
	}
	if err := peer.Send(notifyFor(sub, peer.Addr(), "pbx1", "active", "text/plain", "hello", 3)); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(2 * time.Second); err != nil || res.Code != 415 {
		t.Fatalf("NOTIFY with a text body answered %+v %v, want 415", res, err)
	}

	refresh := pbx.next(t, 4*time.Second)
	if refresh.CallID().Value() != sub.CallID().Value() {
		t.Fatal("the refresh began another dialog")
	}
	if tag, _ := refresh.To().Params.Get("tag"); tag != "pbx1" {
		t.Fatalf("the refresh's To tag %q, want pbx1", tag)
	}
	if refresh.Recipient.User != "pbx" {
		t.Fatalf("the refresh went to %s, want the notifier's Contact", refresh.Recipient.String())
	}
	if refresh.GetHeader("Authorization") == nil || refresh.CSeq().SeqNo <= sub.CSeq().SeqNo {
		t.Fatal("the refresh must carry credentials and a higher CSeq")
	}
	stop()
	rec.mu.Lock()
	notes := len(rec.notes)
	rec.mu.Unlock()
	if notes != 1 {
		t.Fatalf("%d notifications reached the subscriber, want 1 (the bad ones change nothing)", notes)
	}
	var last *gosip.Request
	for len(pbx.arrive) > 0 {
		last = <-pbx.arrive
	}
	if last == nil || last.GetHeader("Expires").Value() != "0" || last.CallID().Value() != sub.CallID().Value() {
		t.Fatalf("stopping sent %v, want SUBSCRIBE with Expires: 0 in the dialog", last)
	}
}

// TestSubscribeRefusedBacksOff: a notifier that does not offer the event (489) is asked again
// only after the longest back-off; a failure of another kind is retried soon.
func TestSubscribeRefusedBacksOff(t *testing.T) {
	for _, tc := range []struct {
		code    int
		refused bool
	}{{489, true}, {404, true}, {500, false}} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			pbx := startSubscribePBX(t, func(n int, req *gosip.Request) *gosip.Response {
				return gosip.NewResponseFromRequest(req, tc.code, "No", nil)
			})
			rec, _ := runSubscriber(t, newTestEndpoint(t), line.Account{Registrar: pbx.addr, User: "201"},
				SubscribeOptions{Event: EventDialog, Target: "202", BackoffFirst: 100 * time.Millisecond, BackoffMax: time.Minute})
			sub := pbx.next(t, 5*time.Second)
			if sub.Recipient.User != "202" || sub.GetHeader("Accept").Value() != DialogInfoType {
				t.Fatalf("SUBSCRIBE %s Accept %v", sub.Recipient.String(), sub.GetHeader("Accept"))
			}
			rec.waitFor(t, "the failure", 2*time.Second, func(_ []Notification, s []SubState) bool {
				return len(s) > 0 && s[len(s)-1].Code == tc.code && s[len(s)-1].Refused == tc.refused
			})
			select {
			case r := <-pbx.arrive:
				if tc.refused {
					t.Fatalf("asked again at once after %d: %s", tc.code, r.StartLine())
				}
			case <-time.After(time.Second):
				if !tc.refused {
					t.Fatalf("not retried within 1 s after %d", tc.code)
				}
			}
		})
	}
}

// TestSubscribeAgainAfterTerminated: a NOTIFY that ends the subscription (deactivated) makes
// the subscriber begin a new one at once; one for a dialog we do not have gets 481.
func TestSubscribeAgainAfterTerminated(t *testing.T) {
	pbx := startSubscribePBX(t, func(n int, req *gosip.Request) *gosip.Response {
		return subOK(req, "t"+strconv.Itoa(n), 600)
	})
	ep := newTestEndpoint(t)
	rec, _ := runSubscriber(t, ep, line.Account{Registrar: pbx.addr, User: "201"}, SubscribeOptions{Event: EventDialog, Target: "203"})
	sub := pbx.next(t, 5*time.Second)
	rec.waitFor(t, "active", 5*time.Second, func(_ []Notification, s []SubState) bool { return len(s) > 0 && s[len(s)-1].Active })
	peer, err := sipcorpus.Dial("UDP", ep.Addr(line.TransportUDP))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	doc := `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:203@127.0.0.1"><dialog id="d1" direction="recipient"><state>early</state></dialog></dialog-info>`
	if err := peer.Send(notifyFor(sub, peer.Addr(), "t1", "active", DialogInfoType, doc, 1)); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(2 * time.Second); err != nil || res.Code != 200 {
		t.Fatalf("NOTIFY answered %+v %v", res, err)
	}
	rec.waitFor(t, "the dialog", 2*time.Second, func(n []Notification, _ []SubState) bool {
		return len(n) == 1 && n[0].Dialogs != nil && len(n[0].Dialogs.Dialogs) == 1 && n[0].Dialogs.Dialogs[0].State == "early"
	})
	if err := peer.Send(notifyFor(sub, peer.Addr(), "t1", "terminated;reason=deactivated", "", "", 2)); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(2 * time.Second); err != nil || res.Code != 200 {
		t.Fatalf("terminating NOTIFY answered %+v %v", res, err)
	}
	again := pbx.next(t, 2*time.Second)
	if again.CallID().Value() == sub.CallID().Value() {
		t.Fatal("subscribed again in the ended dialog")
	}
	if tag, ok := again.To().Params.Get("tag"); ok && tag != "" {
		t.Fatalf("a new subscription with a To tag %q", tag)
	}
	// The ended dialog is gone: its NOTIFY, from an address that is no line's registrar, now
	// belongs to nothing and gets no answer, like any stranger's request.
	if err := peer.Send(notifyFor(sub, peer.Addr(), "t1", "active", DialogInfoType, doc, 3)); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(time.Second); !sipcorpus.IsNoAnswer(err) {
		t.Fatalf("NOTIFY of the ended subscription answered %+v %v, want no answer", res, err)
	}
}

// FuzzSubscriptionNotify puts NOTIFYs with any event, state, content type and body into a
// subscription's dialog: no panic, every one answered 200, 400, 415 or 489, and the subscriber
// gets only bodies that parsed.
func FuzzSubscriptionNotify(f *testing.F) {
	f.Add("dialog", "active;expires=60", DialogInfoType, []byte(`<dialog-info version="1"><dialog id="a"><state>early</state></dialog></dialog-info>`))
	f.Add("dialog", "terminated;reason=deactivated", "", []byte(nil))
	f.Add("message-summary", "active", MessageSummaryType, []byte("Messages-Waiting: yes\r\n"))
	f.Add("dialog", "", DialogInfoType, []byte("<dialog-info"))
	f.Add("refer", "active", "message/sipfrag", []byte("SIP/2.0 200 OK\r\n"))
	e, err := NewEndpoint(EndpointConfig{ListenIP: "127.0.0.1", OpenToAll: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	var got []Notification
	s, err := e.NewSubscriber("L1", line.Account{Registrar: "127.0.0.1:9", User: "201"}, SubscribeOptions{Event: EventDialog, Target: "202",
		OnNotify: func(n Notification) { got = append(got, n) }})
	if err != nil {
		f.Fatal(err)
	}
	s.begin()
	s.mu.Lock()
	callID, tag := s.callID, s.fromTag
	s.mu.Unlock()
	f.Fuzz(func(t *testing.T, event, state, ctype string, body []byte) {
		for _, v := range []string{event, state, ctype} {
			if strings.ContainsAny(v, "\r\n") {
				return
			}
		}
		msg := "NOTIFY sip:201@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-f1\r\nMax-Forwards: 70\r\n" +
			"From: <sip:202@127.0.0.1>;tag=pbx\r\nTo: <sip:201@127.0.0.1>;tag=" + tag + "\r\nCall-ID: " + callID + "\r\nCSeq: 2 NOTIFY\r\n" +
			"Event: " + event + "\r\nSubscription-State: " + state + "\r\nContent-Type: " + ctype + "\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
		m, err := gosip.ParseMessage([]byte(msg))
		if err != nil {
			return
		}
		req, ok := m.(*gosip.Request)
		if !ok {
			return
		}
		req.SetSource("127.0.0.1:5099")
		req.SetTransport("UDP")
		if _, err := gosip.ServerTxKeyMake(req); err != nil {
			return
		}
		before := len(got)
		rec := siptest.NewServerTxRecorder(req)
		defer rec.Terminate()
		e.handlerFor(req.Method)(req, rec)
		res := rec.Result()
		if len(res) != 1 {
			t.Fatalf("%d answers to %q", len(res), msg)
		}
		switch code := res[0].StatusCode; code {
		case 200:
		case 400, 415, 489, 481:
			if len(got) != before {
				t.Fatalf("answered %d but the subscriber got %+v", code, got[len(got)-1])
			}
		default:
			t.Fatalf("answered %d to %q", code, msg)
		}
		if len(got) > before {
			n := got[len(got)-1]
			if len(body) > 0 && n.Dialogs == nil && !n.Terminated {
				t.Fatalf("a body reached the subscriber unparsed: %q", body)
			}
		}
		if s.State().Active {
			t.Fatal("a NOTIFY made the subscription active without the notifier's 2xx")
		}
	})
}

// TestSubscribeAgainBacksOffWhenEndedAtOnce: a notifier that ends every subscription as soon
// as it begins is asked again at once the first time, then only after a growing wait.
func TestSubscribeAgainBacksOffWhenEndedAtOnce(t *testing.T) {
	pbx := startSubscribePBX(t, func(n int, req *gosip.Request) *gosip.Response {
		return subOK(req, "q"+strconv.Itoa(n), 600)
	})
	ep := newTestEndpoint(t)
	rec, _ := runSubscriber(t, ep, line.Account{Registrar: pbx.addr, User: "201"},
		SubscribeOptions{Event: EventDialog, Target: "203", BackoffFirst: time.Second, BackoffMax: time.Minute})
	peer, err := sipcorpus.Dial("UDP", ep.Addr(line.TransportUDP))
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	sub := pbx.next(t, 5*time.Second)
	for i, want := range []time.Duration{0, time.Second, 2 * time.Second} {
		rec.waitFor(t, "active", 5*time.Second, func(_ []Notification, s []SubState) bool { return len(s) > 0 && s[len(s)-1].Active })
		if err := peer.Send(notifyFor(sub, peer.Addr(), "q"+strconv.Itoa(i+1), "terminated;reason=deactivated", "", "", i+1)); err != nil {
			t.Fatal(err)
		}
		if res, err := peer.Final(2 * time.Second); err != nil || res.Code != 200 {
			t.Fatalf("terminating NOTIFY %d answered %+v %v", i+1, res, err)
		}
		start := time.Now()
		sub = pbx.next(t, want+3*time.Second)
		took := time.Since(start)
		if took < want || took > want+time.Second {
			t.Errorf("after end %d subscribed again in %v, want about %v", i+1, took.Round(10*time.Millisecond), want)
		}
	}
}

// TestSubscribePacedByTheGroupsRate: subscribers sharing a pacer of 2 per second begin their
// subscriptions half a second apart.
func TestSubscribePacedByTheGroupsRate(t *testing.T) {
	pbx := startSubscribePBX(t, func(n int, req *gosip.Request) *gosip.Response { return subOK(req, "p"+strconv.Itoa(n), 600) })
	ep := newTestEndpoint(t)
	pacer := rate.NewLimiter(2, 1)
	for _, ext := range []string{"202", "203", "204"} {
		runSubscriber(t, ep, line.Account{Registrar: pbx.addr, User: "201"}, SubscribeOptions{Event: EventDialog, Target: ext, Pacer: pacer})
	}
	var at []time.Time
	for range 3 {
		pbx.next(t, 5*time.Second)
		at = append(at, time.Now())
	}
	if d := at[2].Sub(at[0]); d < 800*time.Millisecond {
		t.Errorf("three subscriptions began within %v, want about 1 s at 2 per second", d)
	}
}
