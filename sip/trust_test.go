package sip

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/line"
)

// TestRequestsFromUntrustedAddressesGetNoAnswer: an endpoint takes requests only from its
// lines' registrars and the peers it is told to trust. From anywhere else an OPTIONS and an
// INVITE get no answer at all and ring nothing; a trusted peer (127.0.0.2) gets its answer; and
// a registrar's address is trusted while its line registers, and no longer after.
func TestRequestsFromUntrustedAddressesGetNoAnswer(t *testing.T) {
	e, err := NewEndpoint(EndpointConfig{ListenIP: "127.0.0.1", TrustedPeers: []string{"127.0.0.2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	var calls atomic.Int32
	e.OnCall(func(c *IncomingCall) { calls.Add(1); _ = c.Reject(486, "Busy Here") })
	server := e.Addr(line.TransportUDP)
	host, portText, _ := strings.Cut(server, ":")
	port, _ := strconv.Atoi(portText)

	ask := func(local string, msg func(from string) []byte) (sipcorpus.Response, error) {
		t.Helper()
		p, err := sipcorpus.DialFrom(local, "UDP", server)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if err := p.Send(msg(p.Addr())); err != nil {
			t.Fatal(err)
		}
		return p.Final(time.Second)
	}
	options := func(from string) []byte { return sipcorpus.Options(from, "UDP", server, "201", 1) }
	invite := func(from string) []byte {
		for _, c := range sipcorpus.Cases(sipcorpus.Target{Host: host, Port: port, User: "201", Transport: "UDP", From: from}, 0) {
			if c.Name == "INVITE with non-ASCII names" { // a well-formed INVITE
				return c.Msg
			}
		}
		t.Fatal("no well-formed INVITE in the corpus")
		return nil
	}
	if res, err := ask("127.0.0.1", options); err == nil {
		t.Errorf("OPTIONS from an untrusted address answered %q", res.Raw)
	}
	if res, err := ask("127.0.0.1", invite); err == nil {
		t.Errorf("INVITE from an untrusted address answered %q", res.Raw)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d calls offered from an untrusted address", n)
	}
	if res, err := ask("127.0.0.2", options); err != nil || res.Code != 200 {
		t.Errorf("OPTIONS from the trusted peer: %q %v, want 200", res.Raw, err)
	}
	if res, err := ask("127.0.0.2", invite); err != nil || res.Code != 486 || calls.Load() != 1 {
		t.Errorf("INVITE from the trusted peer: %q %v (%d calls), want the handler's 486", res.Raw, err, calls.Load())
	}

	reg := startScripted(t, func(n int, req *gosip.Request) *gosip.Response {
		res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(gosip.HeaderClone(req.Contact()))
		return res
	})
	log, stop := runRegistrar(t, e, line.Account{Registrar: reg.addr, User: "201", Transport: line.TransportUDP})
	log.waitFor(t, line.RegRegistered, 10*time.Second)
	if !e.trust.trusted(reg.addr) {
		t.Errorf("the registrar %s is not trusted while its line registers", reg.addr)
	}
	if e.trust.trusted("127.0.0.1:9") {
		t.Error("another port of the registrar's host is trusted")
	}
	stop()
	if e.trust.trusted(reg.addr) {
		t.Errorf("the registrar %s is still trusted after its line stopped", reg.addr)
	}
}
