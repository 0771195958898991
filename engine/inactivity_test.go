package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// A caller that answers our media with silence (no RTP at all) is hung up after the inactivity
// timeout, with a BYE on the wire and the reason in the call's end.
// sippCalls lets SIPp, which plays the phone system in these tests, call the line server
// directly.
var sippCalls = WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1", OpenToAll: true})

func TestCallEndsAfterRTPInactivity(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "pw"}}})
	p := startParty(t, pbx, "201", "pw", 440, WithInactivityTimeout(1500*time.Millisecond), sippCalls)
	answered := make(chan struct{})
	t.Cleanup(func() { <-answered })
	go func() {
		defer close(answered)
		// The client answers the call when it rings.
		c, err := p.calls.find(0, 20*time.Second, func(c api.Call) bool { return c.State == line.CallRinging })
		if err != nil {
			t.Errorf("no call rang: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.client.Answer(ctx, c.ID); err != nil {
			t.Errorf("answer: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	res := sipptest.Run(ctx, t, "call_silent_caller.xml", p.srv.SIPAddr(line.TransportUDP), sipptest.Service("201"))
	if res.ExitCode != 0 {
		t.Fatalf("SIPp exit %d: the callee sent no BYE; output:\n%s", res.ExitCode, res.Output)
	}
	var bye bool
	for _, m := range res.Received() {
		if strings.HasPrefix(m, "BYE ") {
			bye = true
		}
	}
	if !bye {
		t.Fatal("no BYE in SIPp's trace")
	}
	end := p.calls.wait(t, "ended", 5*time.Second, func(c api.Call) bool { return c.State == line.CallEnded })
	if end.EndCause != line.EndNoAudio {
		t.Errorf("end cause %v (%q), want no_audio (the RTP timeout)", end.EndCause, end.EndReason)
	}
	if took := time.Since(start); took > 8*time.Second {
		t.Errorf("the silent call lasted %v, want about the 1.5 s timeout", took)
	}
}

// A far end that offers no telephone-event gets our DTMF as SIP INFO (application/dtmf-relay).
func TestDTMFFallsBackToSIPInfo(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "pw"}}})
	p := startParty(t, pbx, "201", "pw", 440, sippCalls)
	handled := make(chan struct{})
	t.Cleanup(func() { <-handled })
	go func() {
		defer close(handled)
		c, err := p.calls.find(0, 20*time.Second, func(c api.Call) bool { return c.State == line.CallRinging })
		if err != nil {
			t.Errorf("no call rang: %v", err)
			return
		}
		id := c.ID
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.client.Answer(ctx, id); err != nil {
			t.Errorf("answer: %v", err)
			return
		}
		if err := p.client.SendDTMF(ctx, id, "5"); err != nil {
			t.Errorf("dtmf: %v", err)
		}
		if err := p.client.HangUp(ctx, id); err != nil {
			t.Errorf("hang up: %v", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := sipptest.Run(ctx, t, "call_info_dtmf.xml", p.srv.SIPAddr(line.TransportUDP), sipptest.Service("201"))
	if res.ExitCode != 0 {
		t.Fatalf("SIPp exit %d; output:\n%s", res.ExitCode, res.Output)
	}
	var info string
	for _, m := range res.Received() {
		if strings.HasPrefix(m, "INFO ") {
			info = m
		}
	}
	if !strings.Contains(info, "application/dtmf-relay") || !strings.Contains(info, "Signal=5") {
		t.Fatalf("INFO on the wire lacks the dtmf-relay body with Signal=5:\n%s", info)
	}
}
