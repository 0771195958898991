package sip

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/line"
)

// answeringEndpoint is an endpoint whose OnCall handler counts calls and answers each after
// delay, hanging up when the peer does.
func answeringEndpoint(t *testing.T, delay time.Duration) (*Endpoint, *atomic.Int32) {
	t.Helper()
	e := newCallEndpoint(t)
	var n atomic.Int32
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	e.OnCall(func(c *IncomingCall) {
		n.Add(1)
		time.Sleep(delay)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.Answer(ctx, MediaDesc{Port: 42000}); err != nil {
			t.Errorf("answer: %v", err)
		}
	})
	return e, &n
}

func responsesTo(r sipptest.Result, code int) []string {
	var out []string
	for _, m := range r.Received() {
		if strings.HasPrefix(m, "SIP/2.0 "+strconv.Itoa(code)+" ") && strings.Contains(m, "INVITE") {
			out = append(out, m)
		}
	}
	return out
}

func headerLine(msg, name string) string {
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(strings.ToLower(l), strings.ToLower(name)+":") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func TestSIPpCodecMismatchIs488(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, calls := answeringEndpoint(t, 0)
	r := sipptest.Run(ctx, t, "call_codec_mismatch.xml", e.Addr(line.TransportUDP), sipptest.Service("202"))
	if r.ExitCode != 0 || r.FinalStatus() != 488 {
		t.Fatalf("exit %d final %d, want 0 and 488", r.ExitCode, r.FinalStatus())
	}
	if w := headerLine(responsesTo(r, 488)[0], "Warning"); !strings.Contains(w, "305") || !strings.Contains(w, "no common codec") {
		t.Errorf("488 warning %q, want 305 naming the lack of a common codec", w)
	}
	if calls.Load() != 0 {
		t.Errorf("handler called %d times for a call it cannot take", calls.Load())
	}
}

func TestSIPpMalformedSDPIs400(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, calls := answeringEndpoint(t, 0)
	r := sipptest.Run(ctx, t, "call_bad_sdp.xml", e.Addr(line.TransportUDP), sipptest.Service("202"))
	if r.ExitCode != 0 || r.FinalStatus() != 400 {
		t.Fatalf("exit %d final %d, want 0 and 400", r.ExitCode, r.FinalStatus())
	}
	status, _, _ := strings.Cut(responsesTo(r, 400)[0], "\n")
	if !strings.Contains(status, "Bad SDP") || !strings.Contains(status, "not-an-address") {
		t.Errorf("status line %q, want the reason naming the bad address", status)
	}
	if calls.Load() != 0 {
		t.Errorf("handler called %d times", calls.Load())
	}
	// The endpoint still takes calls afterwards.
	if r := sipptest.Run(ctx, t, "uac_call.xml", e.Addr(line.TransportUDP), sipptest.Service("202"), sipptest.Key("transport", "udp")); r.ExitCode != 0 {
		t.Errorf("a good call after the bad one failed: exit %d", r.ExitCode)
	}
}

func TestSIPpUnknownByeIs481(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, _ := answeringEndpoint(t, 0)
	r := sipptest.Run(ctx, t, "call_unknown_bye.xml", e.Addr(line.TransportUDP), sipptest.Service("202"))
	if r.ExitCode != 0 || r.FinalStatus() != 481 {
		t.Fatalf("exit %d final %d, want 0 and 481", r.ExitCode, r.FinalStatus())
	}
}

func TestSIPpRetransmittedInviteAnsweredOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, calls := answeringEndpoint(t, 400*time.Millisecond)
	r := sipptest.Run(ctx, t, "call_retransmit.xml", e.Addr(line.TransportUDP), sipptest.Service("202"))
	if r.ExitCode != 0 {
		t.Fatalf("exit %d", r.ExitCode)
	}
	invites := 0
	for _, m := range r.Sent() {
		if strings.HasPrefix(m, "INVITE ") {
			invites++
		}
	}
	if invites != 2 {
		t.Fatalf("sipp sent %d INVITEs, want the same one twice", invites)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times for one INVITE sent twice, want 1", n)
	}
	oks := responsesTo(r, 200)
	if len(oks) == 0 {
		t.Fatal("no 200 for the INVITE")
	}
	to := headerLine(oks[0], "To")
	for _, m := range oks[1:] {
		if headerLine(m, "To") != to {
			t.Errorf("200s differ: %q and %q", to, headerLine(m, "To"))
		}
	}
	if !strings.Contains(oks[0], "m=audio 42000 RTP/AVP 0") {
		t.Errorf("answer does not choose PCMU on our port:\n%s", oks[0])
	}
}
