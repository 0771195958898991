package engine

import (
	"context"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
)

func TestRedirectKey(t *testing.T) {
	for in, want := range map[string]string{
		"202": "202", "sip:202@pbx.example;transport=tcp": "202", "SIPS:Anna@x": "anna",
		"tel:+4930123;phone-context=x": "+4930123", "sip:+49 30@h": "+49 30",
	} {
		if got := redirectKey(in); got != want {
			t.Errorf("redirectKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A call that the far end forwards (302, here a Lineup client deflecting it) is placed anew at
// the forward's target, rings there and talks to it; a forward back to a number already called
// ends the call with a reason instead of going round.
func TestOutgoingCallFollowsRedirects(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	a := startParty(t, pbx, "201", "pw-201", 440)
	b := startParty(t, pbx, "202", "pw-202", 700)
	c := startParty(t, pbx, "203", "pw-203", 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	atB := b.calls.wait(t, "ringing at b", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := b.client.Deflect(ctx, atB.ID, "203"); err != nil {
		t.Fatal(err)
	}
	atC := c.calls.wait(t, "ringing at c", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if atC.RemoteNumber != "201" {
		t.Errorf("c sees the forwarded call from %q, want 201", atC.RemoteNumber)
	}
	if err := c.client.Answer(ctx, atC.ID); err != nil {
		t.Fatal(err)
	}
	conn := a.calls.wait(t, "connected at a", 10*time.Second, func(x api.Call) bool {
		return x.ID == out.ID && x.State == line.CallConnected
	})
	if conn.RemoteNumber != "203" {
		t.Errorf("a's call shows %q, want the forward's target 203", conn.RemoteNumber)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "caller", a, 1000, 440)
	assertHears(t, "forward's target", c, 440, 1000)
	if err := a.client.HangUp(ctx, out.ID); err != nil {
		t.Fatal(err)
	}

	// b forwards to itself: a does not call 202 again.
	out, err = a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	atB = b.calls.wait(t, "ringing at b again", 10*time.Second, func(x api.Call) bool {
		return x.State == line.CallRinging && x.ID != atB.ID
	})
	if err := b.client.Deflect(ctx, atB.ID, "202"); err != nil {
		t.Fatal(err)
	}
	end := a.calls.wait(t, "a's call ended", 10*time.Second, func(x api.Call) bool { return x.ID == out.ID && x.State == line.CallEnded })
	if end.EndCode != 302 || end.EndReason != "redirected back to a number already tried (a forwarding loop)" {
		t.Errorf("a's call ended %v %d %q, want 302 and the loop named", end.EndCause, end.EndCode, end.EndReason)
	}
	time.Sleep(500 * time.Millisecond)
	for _, x := range b.client.liveCalls(t) {
		if x.State == line.CallRinging {
			t.Errorf("b rings again for the looping forward: %+v", x)
		}
	}
}
