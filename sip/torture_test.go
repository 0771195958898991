package sip

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/line"
)

// TestTortureMessagesGetAnAnswerAndLeaveTheEndpointWorking sends every message of the torture
// corpus over UDP and TCP to an endpoint that takes calls, checks the answer each gets, and
// after each one that the endpoint still answers OPTIONS; at the end a real call still connects.
func TestTortureMessagesGetAnAnswerAndLeaveTheEndpointWorking(t *testing.T) {
	e := newCallEndpoint(t)
	e.OnCall(func(c *IncomingCall) {
		if err := c.Reject(486, "Busy Here"); err != nil {
			t.Errorf("reject: %v", err)
		}
	})
	for _, transport := range []string{"UDP", "TCP"} {
		server := e.Addr(line.TransportUDP)
		if transport == "TCP" {
			server = e.Addr(line.TransportTCP)
		}
		host, portText, _ := strings.Cut(server, ":")
		port, _ := strconv.Atoi(portText)
		for i, c := range sipcorpus.Cases(sipcorpus.Target{Host: host, Port: port, User: "201", Transport: transport, From: "127.0.0.1:9"}, 0) {
			if (c.UDPOnly && transport != "UDP") || (c.StreamOnly && transport != "TCP") {
				continue
			}
			t.Run(transport+"/"+c.Name, func(t *testing.T) {
				tortureOne(t, transport, server, host, port, c.Name, i)
			})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	connect(ctx, t, newCallEndpoint(t), e)
}

// tortureOne sends case i from a fresh socket (the corpus is rebuilt with its address in the
// Via, so that answers come back to it) and checks the answer, then an OPTIONS.
func tortureOne(t *testing.T, transport, server, host string, port int, name string, i int) {
	p, err := sipcorpus.Dial(transport, server)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := sipcorpus.Cases(sipcorpus.Target{Host: host, Port: port, User: "201", Transport: transport, From: p.Addr()}, i)[i]
	if c.Name != name {
		t.Fatalf("corpus order changed: %q at %d, want %q", c.Name, i, name)
	}
	if err := p.Send(c.Msg); err != nil {
		t.Fatal(err)
	}
	wait := 2 * time.Second
	if len(c.Want) == 0 {
		wait = time.Second
	}
	res, err := p.Final(wait)
	switch {
	case len(c.Want) == 0 && err == nil:
		t.Errorf("answered %d %s, want no answer", res.Code, res.Reason)
	case len(c.Want) > 0 && err != nil:
		t.Errorf("no answer (%v), want one of %v", err, c.Want)
	case len(c.Want) > 0 && !slices.Contains(c.Want, res.Code):
		t.Errorf("answered %q, want one of %v", res.Raw, c.Want)
	case len(c.Want) > 0 && res.Version != "SIP/2.0":
		t.Errorf("answered in version %q, want SIP/2.0", res.Version)
	case err == nil && res.Code == 405 && res.Header.Get("Allow") == "":
		t.Errorf("405 without Allow")
	}
	if err == nil {
		t.Logf("%s: %s", c.Name, res.Raw)
	}
	checkOptions(t, transport, server, 1000+i)
}

// checkOptions asks the endpoint OPTIONS from a fresh socket and wants 200.
func checkOptions(t *testing.T, transport, server string, n int) {
	t.Helper()
	p, err := sipcorpus.Dial(transport, server)
	if err != nil {
		t.Fatalf("after the message, %s connect: %v", transport, err)
	}
	defer p.Close()
	if err := p.Send(sipcorpus.Options(p.Addr(), transport, server, "201", n)); err != nil {
		t.Fatal(err)
	}
	res, err := p.Final(2 * time.Second)
	if err != nil || res.Code != 200 {
		t.Fatalf("after the message, OPTIONS got %v %v, want 200", res.Raw, err)
	}
}
