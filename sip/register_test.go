package sip

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/line"
)

// scriptedRegistrar is a UDP SIP server on 127.0.0.1 whose answer to each REGISTER is decided by
// the test. It records every request it saw.
type scriptedRegistrar struct {
	addr   string
	mu     sync.Mutex
	reqs   []*gosip.Request
	answer func(n int, req *gosip.Request) *gosip.Response
}

// more adds handlers for other methods to the server before it serves.
func startScripted(t *testing.T, answer func(n int, req *gosip.Request) *gosip.Response, more ...func(*sipgo.Server)) *scriptedRegistrar {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedRegistrar{addr: conn.LocalAddr().String(), answer: answer}
	srv.OnRegister(func(req *gosip.Request, tx gosip.ServerTransaction) {
		s.mu.Lock()
		s.reqs = append(s.reqs, req.Clone())
		n := len(s.reqs)
		s.mu.Unlock()
		if res := s.answer(n, req); res != nil {
			_ = tx.Respond(res)
		}
	})
	for _, m := range more {
		m(srv)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		conn.Close()
		<-done
		srv.Close()
		ua.Close()
	})
	return s
}

func (s *scriptedRegistrar) requests() []*gosip.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*gosip.Request(nil), s.reqs...)
}

// ok answers 200 echoing the request's contacts with the given per-contact expires (-1 for none).
func ok(req *gosip.Request, contactExpires int, headerExpires int) *gosip.Response {
	res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, h := range req.GetHeaders("Contact") {
		c := h.(*gosip.ContactHeader).Clone()
		if c.Params.GetOr("expires", "") == "0" {
			continue
		}
		c.Params = gosip.NewParams()
		if contactExpires >= 0 {
			c.Params.Add("expires", strconv.Itoa(contactExpires))
		}
		res.AppendHeader(c)
	}
	if headerExpires >= 0 {
		res.AppendHeader(gosip.NewHeader("Expires", strconv.Itoa(headerExpires)))
	}
	return res
}

func newTestEndpoint(t *testing.T) *Endpoint {
	t.Helper()
	ep, err := NewEndpoint(EndpointConfig{ListenIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

// runRegistrar runs a registrar until stop is called, collecting its states.
type stateLog struct {
	mu     sync.Mutex
	states []line.Registration
	ch     chan line.Registration
}

func (l *stateLog) add(r line.Registration) {
	l.mu.Lock()
	l.states = append(l.states, r)
	l.mu.Unlock()
	select {
	case l.ch <- r:
	default:
	}
}

func (l *stateLog) waitFor(t *testing.T, want line.RegState, within time.Duration) line.Registration {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case r := <-l.ch:
			if r.State == want {
				return r
			}
		case <-deadline:
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("no %v state within %v; states: %+v", want, within, l.states)
		}
	}
}

func runRegistrar(t *testing.T, ep *Endpoint, acct line.Account, opts ...RegisterOption) (*stateLog, func()) {
	t.Helper()
	log := &stateLog{ch: make(chan line.Registration, 64)}
	r, err := ep.NewRegistrar("L1", acct, append([]RegisterOption{WithStateFunc(log.add)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return log, stop
}

func TestRegisterPerContactExpiresWinsOverHeader(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		return ok(req, 30, 3600)
	})
	ep := newTestEndpoint(t)
	log, _ := runRegistrar(t, ep, line.Account{Registrar: reg.addr, User: "201"})
	r := log.waitFor(t, line.RegRegistered, 5*time.Second)
	left := time.Until(r.Expires)
	if left > 31*time.Second || left < 25*time.Second {
		t.Fatalf("expiry in %v, want about 30s from the Contact's expires (header said 3600)", left)
	}
	if r.Number != "201" {
		t.Fatalf("number %q, want the AOR user 201", r.Number)
	}
}

func TestRegisterHeaderExpiresWithoutContactParam(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		return ok(req, -1, 120)
	})
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201"})
	r := log.waitFor(t, line.RegRegistered, 5*time.Second)
	if left := time.Until(r.Expires); left > 121*time.Second || left < 115*time.Second {
		t.Fatalf("expiry in %v, want about 120s from the Expires header", left)
	}
}

func TestRegisterDigestAndPreemptiveRefresh(t *testing.T) {
	const nonce = "abc123"
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		h := req.GetHeader("Authorization")
		if h == nil {
			res := gosip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(gosip.NewHeader("WWW-Authenticate", `Digest realm="pbx", nonce="`+nonce+`", qop="auth", algorithm=MD5`))
			return res
		}
		return ok(req, 4, -1)
	})
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201", Password: "pw"})
	log.waitFor(t, line.RegRegistered, 5*time.Second)
	// The binding lasts 4 s: the refresh comes about 2 s before it runs out.
	log.waitFor(t, line.RegRegistered, 6*time.Second)
	reqs := reg.requests()
	if len(reqs) != 3 {
		t.Fatalf("saw %d REGISTERs, want 3: challenge, authorized, authorized refresh", len(reqs))
	}
	for i, want := range []bool{false, true, true} {
		h := reqs[i].GetHeader("Authorization")
		if (h != nil) != want {
			t.Fatalf("request %d: Authorization present=%v, want %v", i+1, h != nil, want)
		}
		if want && !strings.Contains(h.Value(), `username="201"`) {
			t.Fatalf("request %d: Authorization %q has no username 201", i+1, h.Value())
		}
	}
	if !strings.Contains(reqs[2].GetHeader("Authorization").Value(), "nc=00000002") {
		t.Fatalf("refresh should count the nonce use: %q", reqs[2].GetHeader("Authorization").Value())
	}
	if reqs[0].CallID().Value() != reqs[2].CallID().Value() || reqs[2].CSeq().SeqNo <= reqs[1].CSeq().SeqNo {
		t.Fatal("refresh must keep the Call-ID and raise the CSeq (RFC 3261 10.2.4)")
	}
}

func TestRegisterWrongPasswordFailsAndBacksOff(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		res := gosip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(gosip.NewHeader("WWW-Authenticate", `Digest realm="pbx", nonce="n`+strconv.Itoa(n)+`", algorithm=MD5`))
		return res
	})
	log, stop := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201", Password: "wrong"},
		WithBackoff(300*time.Millisecond, 5*time.Second))
	f := log.waitFor(t, line.RegFailed, 5*time.Second)
	if f.Code != 401 || f.Reason != "Unauthorized" {
		t.Fatalf("failure %d %q, want 401 Unauthorized", f.Code, f.Reason)
	}
	time.Sleep(1500 * time.Millisecond)
	stop()
	// Back-off doubles from 300 ms: attempts start at about 0, 0.3 and 0.9 s, each of two
	// requests (request and answer to the challenge); a loop without back-off would send hundreds.
	n := len(reg.requests())
	if n < 4 || n > 8 {
		t.Fatalf("%d REGISTER requests in 1.5 s, want 4 to 8 (2 to 4 attempts) with back-off", n)
	}
}

func TestRegisterRetryAfterIsHonoured(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		res := gosip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
		res.AppendHeader(gosip.NewHeader("Retry-After", "7"))
		return res
	})
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201"},
		WithBackoff(100*time.Millisecond, time.Second))
	f := log.waitFor(t, line.RegFailed, 5*time.Second)
	if f.Code != 503 {
		t.Fatalf("code %d, want 503", f.Code)
	}
	if wait := time.Until(f.RetryAt); wait < 6*time.Second {
		t.Fatalf("retry in %v, want at least the 7 s of Retry-After", wait)
	}
}

func TestRegisterIntervalTooBrief(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		if req.GetHeader("Expires").Value() == "60" {
			res := gosip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			res.AppendHeader(gosip.NewHeader("Min-Expires", "300"))
			return res
		}
		return ok(req, -1, 300)
	})
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201", Expires: 60})
	log.waitFor(t, line.RegRegistered, 5*time.Second)
	if got := reg.requests()[1].GetHeader("Expires").Value(); got != "300" {
		t.Fatalf("second REGISTER asked Expires %s, want Min-Expires 300", got)
	}
}

func TestRegisterContactFollowsReceivedRport(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		res := ok(req, 60, -1)
		// Pretend a NAT: the registrar saw us at another address.
		res.Via().Params.Add("received", "192.0.2.7")
		res.Via().Params.Add("rport", "40000")
		return res
	})
	log, stop := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201"})
	r := log.waitFor(t, line.RegRegistered, 5*time.Second)
	if !regexp.MustCompile(`^sip:lu[0-9a-f]{16}@192\.0\.2\.7:40000$`).MatchString(r.Contact) {
		t.Fatalf("contact %q, want a random user at the address the registrar saw", r.Contact)
	}
	stop()
	reqs := reg.requests()
	second := reqs[1].GetHeaders("Contact")
	if len(second) != 2 || second[0].(*gosip.ContactHeader).Address.Host != "192.0.2.7" ||
		second[1].(*gosip.ContactHeader).Params.GetOr("expires", "") != "0" {
		t.Fatalf("re-REGISTER contacts %v: want the new contact and the old one with expires=0", second)
	}
	last := reqs[len(reqs)-1]
	if last.GetHeader("Expires").Value() != "0" {
		t.Fatalf("last request should de-register (Expires: 0), got %s", last.GetHeader("Expires").Value())
	}
}

func TestRegisterPAssociatedURIGivesNumber(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		res := ok(req, 60, -1)
		res.AppendHeader(gosip.NewHeader("P-Associated-URI", "<sip:+49891234201@pbx.example>, <sip:201@pbx.example>"))
		return res
	})
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201"})
	if r := log.waitFor(t, line.RegRegistered, 5*time.Second); r.Number != "+49891234201" {
		t.Fatalf("number %q, want the first P-Associated-URI's user", r.Number)
	}
}

func TestRegisterTimeoutIsAFailureWithoutCode(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response { return nil })
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201"},
		WithAttemptTimeout(500*time.Millisecond))
	f := log.waitFor(t, line.RegFailed, 5*time.Second)
	if f.Code != 0 || !strings.Contains(f.Reason, "timeout") {
		t.Fatalf("failure %d %q, want code 0 and a timeout reason", f.Code, f.Reason)
	}
}

func TestRefreshAfter(t *testing.T) {
	for _, c := range []struct{ granted, want time.Duration }{
		{3600 * time.Second, 2880 * time.Second},
		{60 * time.Second, 48 * time.Second},
		{5 * time.Second, 3 * time.Second},
		{2 * time.Second, 1600 * time.Millisecond},
	} {
		if got := refreshAfter(c.granted); got != c.want {
			t.Errorf("refreshAfter(%v) = %v, want %v", c.granted, got, c.want)
		}
	}
}

func TestRegisterProxyAuthentication(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		if req.GetHeader("Proxy-Authorization") == nil {
			res := gosip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
			res.AppendHeader(gosip.NewHeader("Proxy-Authenticate", `Digest realm="proxy", nonce="p1", algorithm=MD5`))
			return res
		}
		return ok(req, 60, -1)
	})
	log, _ := runRegistrar(t, newTestEndpoint(t), line.Account{Registrar: reg.addr, User: "201", AuthUser: "auth201", Password: "pw"})
	log.waitFor(t, line.RegRegistered, 5*time.Second)
	reqs := reg.requests()
	h := reqs[1].GetHeader("Proxy-Authorization")
	if h == nil || !strings.Contains(h.Value(), `username="auth201"`) || !strings.Contains(h.Value(), `realm="proxy"`) {
		t.Fatalf("second REGISTER should answer the 407 with the auth user; got %v", h)
	}
}

func TestRegisterSecondLineReusesTheRegistrarsChallenge(t *testing.T) {
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		if h := req.GetHeader("Authorization"); h == nil || !strings.Contains(h.Value(), `nonce="shared"`) {
			res := gosip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(gosip.NewHeader("WWW-Authenticate", `Digest realm="pbx", nonce="shared", algorithm=MD5`))
			return res
		}
		return ok(req, 60, -1)
	})
	ep := newTestEndpoint(t)
	first, _ := runRegistrar(t, ep, line.Account{Registrar: reg.addr, User: "201", Password: "a"})
	first.waitFor(t, line.RegRegistered, 5*time.Second)
	second, _ := runRegistrar(t, ep, line.Account{Registrar: reg.addr, User: "202", Password: "b"})
	second.waitFor(t, line.RegRegistered, 5*time.Second)
	var from202 []*gosip.Request
	for _, r := range reg.requests() {
		if r.From().Address.User == "202" {
			from202 = append(from202, r)
		}
	}
	if len(from202) != 1 || !strings.Contains(from202[0].GetHeader("Authorization").Value(), `username="202"`) {
		t.Fatalf("line 202 sent %d REGISTERs; want 1, answering the challenge line 201 drew", len(from202))
	}
}
