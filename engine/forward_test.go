package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
)

// Tones of the forwarding tests: Lineup, the callers and the forward's target each send their
// own, so what each heard tells who it talked to.
const (
	fwdLineupHz = 440
	fwdCallerHz = 1000
	fwdSecondHz = 1300
	fwdTargetHz = 700
)

// forwardSetup is a PBX that follows redirects for its phones (baresip does not follow a 302
// itself), Lineup's line 201 (journaled, with a store), baresip callers 301 and 303 and baresip
// 302, which answers at once, as the forward's target.
type forwardSetup struct {
	lu             *party
	lineName       string
	caller, second *baresiptest.Agent
	target         *baresiptest.Agent
	domain         string
}

func startForwardSetup(t *testing.T) *forwardSetup {
	t.Helper()
	pbx := testpbx.Start(t, testpbx.Config{FollowRedirects: true, Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "301", Password: "pw-301"},
		{Name: "302", Password: "pw-302"}, {Name: "303", Password: "pw-303"},
	}})
	cfg := testConfig(pbx, line.Line{Name: "line 201", Number: "201", Account: acct("201", "pw-201", line.TransportUDP), Journal: true})
	lu := startPartyConfig(t, cfg, fwdLineupHz, WithStore(openTestStore(t, cfg)))
	lu.client = logOnClient(t, lu.srv, "test client")
	lu.calls = lu.client.calls
	fs := &forwardSetup{lu: lu, lineName: cfg.Lines[0].Name,
		caller: baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx, ToneHz: fwdCallerHz}),
		second: baresiptest.Start(t, baresiptest.Config{User: "303", Password: "pw-303", PBX: pbx, ToneHz: fwdSecondHz}),
		target: baresiptest.Start(t, baresiptest.Config{User: "302", Password: "pw-302", PBX: pbx, ToneHz: fwdTargetHz, AutoAnswer: true}),
	}
	fs.domain = strings.SplitN(fs.caller.AOR(), "@", 2)[1]
	return fs
}

// lineNow is the line as the client sees it.
func (fs *forwardSetup) lineNow(t *testing.T) api.Line {
	t.Helper()
	ls, err := fs.lu.client.Lines(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == fs.lineName {
			return l
		}
	}
	t.Fatalf("no line %q", fs.lineName)
	return api.Line{}
}

// talkToTarget checks that a forwarded baresip caller talks to the target: both hear the
// other's tone once the caller hangs up.
func (fs *forwardSetup) talkToTarget(t *testing.T, ctx context.Context, caller *baresiptest.Agent, callerHz float64) {
	t.Helper()
	if _, err := caller.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("the forwarded caller was not connected: %v", err)
	}
	if _, err := fs.target.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("the forward's target was not called: %v", err)
	}
	time.Sleep(2 * time.Second)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range []*baresiptest.Agent{fs.target, caller} {
		if _, err := a.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
			t.Fatal(err)
		}
	}
	heardInRecording(t, "the forward's target 302", fs.target, callerHz, fwdTargetHz)
	heardInRecording(t, "the forwarded caller", caller, fwdTargetHz, callerHz)
}

// checkForwardedEntry checks the line's newest journal entry: the call from caller forwarded
// with 302.
func (fs *forwardSetup) checkForwardedEntry(t *testing.T, caller string) {
	t.Helper()
	e := newestEntry(t, fs.lu, fs.lineName)
	if e.Outcome != line.OutcomeForwarded || e.Code != 302 || e.RemoteNumber != caller || e.Direction != line.Incoming {
		t.Errorf("journal entry %+v, want the call from %s forwarded with 302", e, caller)
	}
}

// Forward always: the call is answered 302 before it rings here, the PBX calls the target, and
// the baresip caller talks to it; the journal says forwarded.
func TestForwardAlwaysSendsTheCallerToTheTarget(t *testing.T) {
	fs := startForwardSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for _, bad := range []line.Forward{
		{Mode: line.ForwardAlways},
		{Mode: line.ForwardAlways, Target: "201"},
		{Mode: line.ForwardNoAnswer, Target: "302", After: 2},
		{Mode: line.ForwardAlways, Target: "30x"},
	} {
		if err := fs.lu.client.SetForward(ctx, fs.lineName, bad); !errors.Is(err, line.ErrInvalid) {
			t.Errorf("SetForward(%+v) = %v, want an error wrapping ErrInvalid", bad, err)
		}
	}
	if l := fs.lineNow(t); l.Forward.Mode != line.ForwardOff || l.Incoming.Action != line.ActionRing {
		t.Fatalf("after refused rules the line forwards %+v, decides %v", l.Forward, l.Incoming)
	}
	if err := fs.lu.client.SetForward(ctx, fs.lineName, line.Forward{Mode: line.ForwardAlways, Target: "302"}); err != nil {
		t.Fatal(err)
	}
	l := fs.lineNow(t)
	if l.Forward != (line.Forward{Mode: line.ForwardAlways, Target: "302"}) || l.Incoming.Action != line.ActionForward ||
		l.Incoming.ForwardTo != "302" {
		t.Errorf("line shows forward %+v, decision %v; want always to 302", l.Forward, l.Incoming)
	}
	cfg, err := fs.lu.srv.store.Config()
	if err != nil {
		t.Fatal(err)
	}
	if saved, _ := cfg.Line(fs.lineName); saved.Forward.Mode != line.ForwardAlways || saved.Forward.Target != "302" {
		t.Errorf("the store keeps %+v, want the rule", saved.Forward)
	}

	if err := fs.caller.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	fs.talkToTarget(t, ctx, fs.caller, fwdCallerHz)
	end := fs.lu.calls.wait(t, "forwarded", 5*time.Second, func(x api.Call) bool { return x.State == line.CallEnded })
	if end.EndCause != line.EndForwarded || end.EndCode != 302 || end.EndReason != "302" {
		t.Errorf("the call ended %v %d %q, want forwarded with 302 to 302", end.EndCause, end.EndCode, end.EndReason)
	}
	if n := fs.lu.audio.rings.Load(); n != 0 {
		t.Errorf("the ringer rang %d times for a call forwarded always", n)
	}
	fs.checkForwardedEntry(t, "301")

	// The group deactivates forwarding: the rule is kept but ignored, the next call rings here,
	// and the user cannot set another.
	cfg, err = fs.lu.client.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Groups[0].DisabledFunctions = append(cfg.Groups[0].DisabledFunctions, line.FuncForward)
	if err := fs.lu.client.SaveConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if l := fs.lineNow(t); !l.Incoming.ForwardIgnored || l.Incoming.Action != line.ActionRing || l.Forward.Mode != line.ForwardAlways {
		t.Errorf("with forwarding deactivated the line shows %+v and decides %v, want the rule kept and ignored", l.Forward, l.Incoming)
	}
	if err := fs.lu.client.SetForward(ctx, fs.lineName, line.Forward{}); !errors.Is(err, line.ErrFunctionDisabled) {
		t.Errorf("SetForward in a group without forwarding: %v, want ErrFunctionDisabled", err)
	}
	if err := fs.caller.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	in := fs.lu.calls.wait(t, "ringing here", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := fs.lu.client.Decline(ctx, in.ID, api.DeclineBusy); err != nil {
		t.Fatal(err)
	}
	if closed, err := fs.caller.WaitEvent(ctx, "CALL_CLOSED"); err != nil || !strings.Contains(closed.Param, "486") {
		t.Errorf("the declined call closed with %q, %v; want 486", closed.Param, err)
	}
}

// Forward when busy: while the user talks with 301, a call from 303 is forwarded to 302 instead
// of waiting, and the first call goes on.
func TestForwardBusySendsTheSecondCallOn(t *testing.T) {
	fs := startForwardSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := fs.lu.client.SetForward(ctx, fs.lineName, line.Forward{Mode: line.ForwardBusy, Target: "302"}); err != nil {
		t.Fatal(err)
	}
	if l := fs.lineNow(t); l.Incoming.Action != line.ActionRing {
		t.Errorf("an idle line forwarding when busy decides %v, want ring", l.Incoming)
	}
	if err := fs.caller.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	first := fs.lu.calls.wait(t, "ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := fs.lu.client.Answer(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	fs.lu.calls.wait(t, "connected", 5*time.Second, func(x api.Call) bool { return x.ID == first.ID && x.State == line.CallConnected })
	if l := fs.lineNow(t); l.Incoming.Action != line.ActionForward || l.Incoming.Cause != line.CauseForwardBusy {
		t.Errorf("a busy line forwarding when busy decides %v, want forward (forward_busy)", l.Incoming)
	}

	if err := fs.second.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	fs.talkToTarget(t, ctx, fs.second, fwdSecondHz)
	end := fs.lu.calls.wait(t, "second call forwarded", 5*time.Second, func(x api.Call) bool {
		return x.ID != first.ID && x.State == line.CallEnded
	})
	if end.EndCause != line.EndForwarded || end.RemoteNumber != "303" {
		t.Errorf("the second call ended %v from %q, want forwarded, from 303", end.EndCause, end.RemoteNumber)
	}
	fs.checkForwardedEntry(t, "303")
	if c, _ := fs.lu.client.call(t, first.ID); c.State != line.CallConnected {
		t.Errorf("the first call is %v, want still connected", c.State)
	}
	assertHears(t, "Lineup in the first call", fs.lu, fwdCallerHz, fwdLineupHz)
	if err := fs.lu.client.HangUp(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
}

// Forward when not answered after 5 s: the call rings here first (the ringer rings), then goes
// to 302; a call answered in time is not forwarded.
func TestForwardNoAnswerAfterRinging(t *testing.T) {
	fs := startForwardSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rule := line.Forward{Mode: line.ForwardNoAnswer, Target: "302", After: 5}
	if err := fs.lu.client.SetForward(ctx, fs.lineName, rule); err != nil {
		t.Fatal(err)
	}
	if l := fs.lineNow(t); l.Incoming.Action != line.ActionRing || l.Incoming.ForwardAfter != 5 || l.Incoming.ForwardTo != "302" {
		t.Errorf("decision %v, want ring and forward after 5 s to 302", l.Incoming)
	}

	// Answered within the 5 s: it stays here.
	if err := fs.caller.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	in := fs.lu.calls.wait(t, "ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := fs.lu.client.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	fs.lu.calls.wait(t, "connected", 5*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.State == line.CallConnected })
	time.Sleep(6 * time.Second)
	if c, _ := fs.lu.client.call(t, in.ID); c.State != line.CallConnected {
		t.Fatalf("the answered call is %v %v after the forwarding time, want still connected", c.State, c.EndCause)
	}
	assertHears(t, "Lineup in the answered call", fs.lu, fwdCallerHz, fwdLineupHz)
	if err := fs.lu.client.HangUp(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.caller.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}

	// Not answered: forwarded after it rang 5 s.
	rings := fs.lu.audio.rings.Load()
	if err := fs.caller.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	in = fs.lu.calls.wait(t, "ringing again", 10*time.Second, func(x api.Call) bool {
		return x.State == line.CallRinging && x.ID != in.ID
	})
	rangAt := time.Now()
	end := fs.lu.calls.wait(t, "forwarded", 10*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.State == line.CallEnded })
	if d := time.Since(rangAt); d < 4500*time.Millisecond || d > 7*time.Second {
		t.Errorf("forwarded %v after it began to ring, want about 5 s", d)
	}
	if end.EndCause != line.EndForwarded || end.EndCode != 302 {
		t.Errorf("the call ended %v %d, want forwarded with 302", end.EndCause, end.EndCode)
	}
	if fs.lu.audio.rings.Load() == rings {
		t.Error("the ringer did not ring before the call was forwarded")
	}
	if fs.lu.audio.ring.Load() {
		t.Error("the ringer still rings after the call was forwarded")
	}
	fs.talkToTarget(t, ctx, fs.caller, fwdCallerHz)
	fs.checkForwardedEntry(t, "301")
}

// Call waiting off: while the user talks, a second call gets 486 from the server, is journaled
// busy, and the first call goes on without a waiting tone; switched on again, a second call
// rings beside it.
func TestCallWaitingOffAnswersBusy(t *testing.T) {
	fs := startForwardSetup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := fs.lu.client.SetCallWaiting(ctx, fs.lineName, false); err != nil {
		t.Fatal(err)
	}
	if l := fs.lineNow(t); l.CallWaiting {
		t.Error("the line still shows call waiting on")
	}
	if err := fs.caller.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	first := fs.lu.calls.wait(t, "ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := fs.lu.client.Answer(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	fs.lu.calls.wait(t, "connected", 5*time.Second, func(x api.Call) bool { return x.ID == first.ID && x.State == line.CallConnected })
	if l := fs.lineNow(t); l.Incoming.Action != line.ActionAnswer || l.Incoming.Cause != line.CauseNoCallWaiting || l.Incoming.Code() != 486 {
		t.Errorf("a busy line without call waiting decides %v, want answer 486 (no_call_waiting)", l.Incoming)
	}

	if err := fs.second.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	closed, err := fs.second.WaitEvent(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(closed.Param, "486") {
		t.Errorf("the second caller's call closed with %q, want 486 Busy Here", closed.Param)
	}
	e := newestEntry(t, fs.lu, fs.lineName)
	if e.Outcome != line.OutcomeBusy || e.Code != 486 || e.RemoteNumber != "303" {
		t.Errorf("journal entry %+v, want the call from 303 busy with 486", e)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "Lineup in the first call", fs.lu, fwdCallerHz, fwdLineupHz)
	if c, _ := fs.lu.client.call(t, first.ID); c.State != line.CallConnected {
		t.Errorf("the first call is %v, want still connected", c.State)
	}

	// On again: the second call rings beside the first.
	if err := fs.lu.client.SetCallWaiting(ctx, fs.lineName, true); err != nil {
		t.Fatal(err)
	}
	if err := fs.second.Dial(ctx, "sip:201@"+fs.domain); err != nil {
		t.Fatal(err)
	}
	waiting := fs.lu.calls.wait(t, "second call rings", 10*time.Second, func(x api.Call) bool {
		return x.ID != first.ID && x.State == line.CallRinging
	})
	if err := fs.lu.client.Decline(ctx, waiting.ID, api.DeclineBusy); err != nil {
		t.Fatal(err)
	}
	if err := fs.lu.client.HangUp(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
}
