package sip

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/line"
)

// TestChallengeInAForeignRealmGetsNoCredentials: the line's registrar challenged its REGISTER in
// realm "pbx.test" and then challenges a call in "harvest.test", as a host that collects digests
// would. The call fails with ErrForeignChallenge naming that realm, and the registrar never sees
// an INVITE with credentials.
func TestChallengeInAForeignRealmGetsNoCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	var invites []*gosip.Request
	challengeCalls := func(srv *sipgo.Server) {
		srv.OnInvite(func(req *gosip.Request, tx gosip.ServerTransaction) {
			mu.Lock()
			invites = append(invites, req.Clone())
			mu.Unlock()
			res := gosip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
			res.AppendHeader(gosip.NewHeader("Proxy-Authenticate", `Digest realm="harvest.test", nonce="h4rvest", algorithm=MD5, qop="auth"`))
			_ = tx.Respond(res)
		})
		srv.OnAck(func(*gosip.Request, gosip.ServerTransaction) {})
	}
	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		if req.GetHeader("Authorization") == nil {
			res := gosip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
			res.AppendHeader(gosip.NewHeader("WWW-Authenticate", `Digest realm="pbx.test", nonce="n0nce1", algorithm=MD5, qop="auth"`))
			return res
		}
		res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(gosip.HeaderClone(req.Contact()))
		return res
	}, challengeCalls)

	ep := newCallEndpoint(t)
	acct := line.Account{Registrar: reg.addr, User: "201", Password: "secret-201", Transport: line.TransportUDP}
	log, _ := runRegistrar(t, ep, acct)
	log.waitFor(t, line.RegRegistered, 10*time.Second)

	oc, err := ep.Dial(ctx, acct, "sip:bob@elsewhere.test", MediaDesc{Port: 40000})
	if err != nil {
		t.Fatal(err)
	}
	_, err = oc.Wait(ctx)
	var ce *CallError
	if !errors.Is(err, ErrForeignChallenge) || !errors.As(err, &ce) || ce.Code != 407 || !strings.Contains(err.Error(), `"harvest.test"`) {
		t.Fatalf("call: %v, want a 407 call error wrapping ErrForeignChallenge that names realm harvest.test", err)
	}
	time.Sleep(500 * time.Millisecond) // a retry with credentials would follow at once
	mu.Lock()
	defer mu.Unlock()
	if len(invites) != 1 {
		t.Errorf("the registrar saw %d INVITEs, want 1 (no retry with credentials)", len(invites))
	}
	for _, inv := range invites {
		if h := inv.GetHeader("Proxy-Authorization"); h != nil {
			t.Errorf("the line answered the foreign challenge: %s", h.Value())
		}
	}
}

// TestCallToAnotherHostGoesThroughTheRegistrar: a sip: URI naming another host is sent to the
// line's registrar (which routes it), never to that host.
func TestCallToAnotherHostGoesThroughTheRegistrar(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pbx, other := newCallEndpoint(t), newCallEndpoint(t)
	seen := make(chan string, 1)
	pbx.OnCall(func(c *IncomingCall) {
		seen <- c.req.Recipient.Host + ":" + c.req.Recipient.User
		_ = c.Reject(404, "Not Found")
	})
	other.OnCall(func(c *IncomingCall) {
		t.Errorf("the other host got the call from %s", c.From().URI)
		_ = c.Reject(603, "Decline")
	})
	otherHost, _, _ := strings.Cut(other.Addr(line.TransportUDP), ":")
	oc, err := newCallEndpoint(t).Dial(ctx, lineAcct("201", pbx), "sip:bob@"+other.Addr(line.TransportUDP), MediaDesc{Port: 40000})
	if err != nil {
		t.Fatal(err)
	}
	_, err = oc.Wait(ctx)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Code != 404 {
		t.Fatalf("call: %v, want the registrar's 404", err)
	}
	if got := <-seen; got != otherHost+":bob" {
		t.Errorf("the registrar got a call for %q, want %q", got, otherHost+":bob")
	}
}

// TestDirectCallToARogueHostSendsNoCredentials: a line set for direct calls dials a sip: URI of
// another host, which (SIPp) answers 401 with a challenge of its own. The call fails with
// ErrForeignChallenge naming the host, and SIPp never sees an INVITE with Authorization.
func TestDirectCallToARogueHostSendsNoCredentials(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rogue := sipptest.Start(ctx, t, "rogue_challenge.xml", "")
	ep, pbx := newCallEndpoint(t), newCallEndpoint(t)
	acct := lineAcct("201", pbx)
	acct.Password, acct.DirectCalls = "secret-201", true
	oc, err := ep.Dial(ctx, acct, "sip:bob@"+rogue.Addr(), MediaDesc{Port: 40000})
	if err != nil {
		t.Fatal(err)
	}
	_, err = oc.Wait(ctx)
	var ce *CallError
	if !errors.Is(err, ErrForeignChallenge) || !errors.As(err, &ce) || ce.Code != 401 || !strings.Contains(err.Error(), rogue.Addr()) {
		t.Fatalf("call: %v, want a 401 call error wrapping ErrForeignChallenge that names %s", err, rogue.Addr())
	}
	r := rogue.Wait()
	invites := 0
	for _, m := range r.Received() {
		if strings.HasPrefix(m, "INVITE ") {
			invites++
			if h := headerLine(m, "Authorization"); h != "" {
				t.Errorf("the line answered the rogue's challenge: %s", h)
			}
		}
	}
	if invites != 1 {
		t.Errorf("the rogue saw %d INVITEs, want 1 (no retry with credentials)", invites)
	}
}
