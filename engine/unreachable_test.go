package engine

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// TestDialToAHostThatDoesNotResolve: a line set for direct calls dials a sip: address whose host
// name does not resolve (the test's resolver has no name server, so nothing leaves the machine).
// The client gets api.ErrUnreachable naming the host, which the HTTP API answers 422, not 500.
func TestDialToAHostThatDoesNotResolve(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "pw-201"}}})
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name server in this test")
	}}
	a := acct("201", "pw-201", line.TransportUDP)
	a.DirectCalls = true
	cfg := testConfig(pbx, line.Line{Name: "line 201", Account: a})
	p := startPartyConfig(t, cfg, 440, WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1", Resolver: noDNS}))
	client := logOnClient(t, p.srv, "test client")
	_, err := client.Dial(context.Background(), "line 201", "sip:bob@pbx.nowhere.test")
	if !errors.Is(err, api.ErrUnreachable) || !strings.Contains(err.Error(), "pbx.nowhere.test") {
		t.Fatalf("dial: %v, want api.ErrUnreachable naming the host", err)
	}
	if status, code := httpapi.StatusOf(err); status != 422 || code != httpapi.CodeUnreachable {
		t.Errorf("the HTTP API would answer %d %s, want 422 unreachable", status, code)
	}
}
