package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// TestServeSurvivesTheTortureCorpus runs `lineup serve` with two lines at a real Kamailio and
// sends it, over UDP and TCP, every message of the torture corpus (missing, repeated and
// mismatched mandatory headers, wrong versions, schemes and methods, bad lengths, huge headers
// and bodies, truncated and binary data, broken SDP, escaped and non-ASCII URIs). Each gets its
// answer, and after each the line server still answers OPTIONS. At the end it still takes a call
// through Kamailio (no client is logged on: it answers 486 itself) and places one through the API.
func TestServeSurvivesTheTortureCorpus(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	port, err := harness.FreeUDPTCPPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// The corpus comes from 127.0.0.2, a peer the line server is told to trust: from anywhere
	// else (TestScannersFindNothing) it would get no answer at all.
	s := startServe(t, data, "--sip-port", strconv.Itoa(port), "--api", "127.0.0.1:0", "--sip-trusted-peer", "127.0.0.2")
	apiURL := urlInLog.FindStringSubmatch(s.wait(t, `msg="local api listening"`, 1))
	s.wait(t, `msg="line registered"`, 2)
	server := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	n := 0
	for _, transport := range []string{"UDP", "TCP"} {
		for i, c := range sipcorpus.Cases(sipcorpus.Target{Host: "127.0.0.1", Port: port, User: "201", Transport: transport, From: "127.0.0.2:9"}, 0) {
			if (c.UDPOnly && transport != "UDP") || (c.StreamOnly && transport != "TCP") {
				continue
			}
			n++
			p, err := sipcorpus.DialFrom("127.0.0.2", transport, server)
			if err != nil {
				t.Fatalf("%s %s: connect: %v", transport, c.Name, err)
			}
			c = sipcorpus.Cases(sipcorpus.Target{Host: "127.0.0.1", Port: port, User: "201", Transport: transport, From: p.Addr()}, 100+n)[i]
			if err := p.Send(c.Msg); err != nil {
				t.Fatal(err)
			}
			wait := 2 * time.Second
			if len(c.Want) == 0 {
				wait = time.Second
			}
			res, err := p.Final(wait)
			p.Close()
			switch {
			case len(c.Want) == 0 && err == nil:
				t.Errorf("%s %s: answered %q, want no answer", transport, c.Name, res.Raw)
			case len(c.Want) > 0 && err != nil:
				t.Errorf("%s %s: no answer (%v), want one of %v", transport, c.Name, err, c.Want)
			case len(c.Want) > 0 && !slices.Contains(c.Want, res.Code):
				t.Errorf("%s %s: answered %q, want one of %v", transport, c.Name, res.Raw, c.Want)
			}
			q, err := sipcorpus.DialFrom("127.0.0.2", transport, server)
			if err != nil {
				t.Fatalf("after %s %s: the line server takes no %s connection: %v\n%s", transport, c.Name, transport, err, s.log.String())
			}
			if err := q.Send(sipcorpus.Options(q.Addr(), transport, server, "201", 1000+n)); err != nil {
				t.Fatal(err)
			}
			ok, err := q.Final(3 * time.Second)
			q.Close()
			if err != nil || ok.Code != 200 {
				t.Fatalf("after %s %s: OPTIONS got %q %v, want 200\n%s", transport, c.Name, ok.Raw, err, s.log.String())
			}
		}
	}
	t.Logf("%d hostile messages sent", n)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := sipptest.Run(ctx, t, "policy_caller.xml", pbx.UDPAddr(), sipptest.Service("201"))
	if code := r.FinalStatus(); code != 486 {
		t.Errorf("a real call through Kamailio after the corpus: %d, want the line server's 486 (no client logged on)", code)
	}
	// An outgoing call through the API still goes out: 203 has no binding, Kamailio says 404.
	if apiURL == nil {
		t.Fatalf("no API URL in the log")
	}
	out, errOut, code := lineup(t, "--data", data, "dial", "203", "--line", "Alice")
	if code != 0 {
		t.Fatalf("dial after the corpus: exit %d: %s %s", code, out, errOut)
	}
	s.wait(t, fmt.Sprintf(`code=%d`, 404), 1)
	s.stop(t)
}
