package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/store"
)

// Tones of the transfer tests: each party sends its own, so what each heard tells who it talked
// to.
const (
	xferLineupHz = 440
	xferCallerHz = 1000
	xferTargetHz = 700
)

// heardInRecording checks the newest call recording of a baresip for want (and not its own
// tone), skipping the first half second.
func heardInRecording(t *testing.T, who string, bs *baresiptest.Agent, want, own float64) {
	t.Helper()
	path, err := bs.RecordingDec()
	if err != nil {
		t.Fatalf("%s: recording: %v", who, err)
	}
	pcm, rate, err := baresiptest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) < rate {
		t.Fatalf("%s recorded only %d samples", who, len(pcm))
	}
	part := pcm[rate/2 : min(len(pcm), rate*3/2)]
	if r := media.ToneRatio(part, rate, want); r < 0.5 {
		t.Errorf("%s heard %.0f Hz at a share of %.2f, want > 0.5", who, want, r)
	}
	if r := media.ToneRatio(part, rate, own); r > 0.1 {
		t.Errorf("%s heard its own %.0f Hz at %.2f, want < 0.1", who, own, r)
	}
}

// TestBlindTransferOfABaresipCaller: baresip 301 calls Lineup's line 201, which transfers the
// call. First to a number nobody has (the PBX answers 404): the caller gets the call back, off
// hold, with the reason. Then to baresip 302: the caller calls 302, Lineup's call ends as
// transferred and is journaled so, and 301 and 302 hear each other.
func TestBlindTransferOfABaresipCaller(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "301", Password: "pw-301"}, {Name: "302", Password: "pw-302"},
	}})
	cfg := testConfig(pbx, line.Line{Name: "line 201", Account: acct("201", "pw-201", line.TransportUDP), Journal: true})
	lu := startPartyConfig(t, cfg, xferLineupHz, WithStore(openTestStore(t, cfg)))
	lu.client = logOnClient(t, lu.srv, "test client")
	lu.calls = lu.client.calls
	caller := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx, ToneHz: xferCallerHz})
	target := baresiptest.Start(t, baresiptest.Config{User: "302", Password: "pw-302", PBX: pbx, ToneHz: xferTargetHz, AutoAnswer: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	domain := strings.SplitN(caller.AOR(), "@", 2)[1]

	if err := caller.Dial(ctx, "sip:201@"+domain); err != nil {
		t.Fatal(err)
	}
	in := lu.calls.wait(t, "ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := lu.client.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "connected", 5*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.State == line.CallConnected })
	if c, _ := lu.client.call(t, in.ID); !offersFn(c.Functions, line.FuncTransfer) {
		t.Fatalf("a connected call offers %v, want transfer among them", c.Functions)
	}

	// Bad input first: nothing to dial, and the line's own number.
	for _, bad := range []string{"", "  ", "201"} {
		if err := lu.client.Transfer(ctx, in.ID, bad); !errors.Is(err, api.ErrBadInput) {
			t.Errorf("transfer to %q: %v, want ErrBadInput", bad, err)
		}
	}

	// To a number nobody has: the PBX answers the caller's INVITE 404.
	if err := lu.client.Transfer(ctx, in.ID, "399"); err != nil {
		t.Fatalf("transfer to 399: %v", err)
	}
	back := lu.calls.wait(t, "transfer failed, call back", 15*time.Second, func(x api.Call) bool {
		return x.ID == in.ID && x.Transfer.State == api.TransferFailed && x.State == line.CallConnected
	})
	if back.Transfer.Code != 404 || back.Transfer.Target != "399" {
		t.Errorf("failed transfer reported %+v, want 404 to 399", back.Transfer)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "Lineup after the failed transfer", lu, xferCallerHz, xferLineupHz)

	// To baresip 302, which answers at once.
	if err := lu.client.Transfer(ctx, in.ID, "302"); err != nil {
		t.Fatalf("transfer to 302: %v", err)
	}
	end := lu.calls.wait(t, "transferred", 15*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.State == line.CallEnded })
	if end.EndCause != line.EndTransferred || end.EndReason != "302" || end.Transfer.State != api.TransferDone {
		t.Errorf("the call ended %v %q with transfer %+v, want transferred to 302, done", end.EndCause, end.EndReason, end.Transfer)
	}
	if _, err := target.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("302 was not called: %v", err)
	}
	time.Sleep(2 * time.Second)
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := target.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	heardInRecording(t, "the target 302", target, xferCallerHz, xferTargetHz)
	heardInRecording(t, "the caller 301", caller, xferTargetHz, xferCallerHz)

	entry := newestEntry(t, lu, cfg.Lines[0].Name)
	if entry.Outcome != line.OutcomeTransferred || entry.Duration <= 0 {
		t.Errorf("journal entry %+v, want transferred with a duration", entry)
	}
}

func offersFn(fs []line.Function, f line.Function) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

// openTestStore is a store in a fresh directory holding cfg, closed when the test ends.
func openTestStore(t *testing.T, cfg line.Config) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.SaveConfig(cfg); err != nil {
		t.Fatal(err)
	}
	return st
}

// newestEntry waits for the line's journal to have an entry and returns the newest.
func newestEntry(t *testing.T, p *party, lineName string) line.JournalEntry {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		es, err := p.client.Journal(context.Background(), api.JournalQuery{Line: lineName, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) > 0 {
			return es[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no journal entry for %s", lineName)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLineupIsTransferredByBaresip: Lineup's line 201 calls baresip 301, which transfers it
// (REFER) to baresip 302. Lineup calls 302 on the same line, reports the progress, and then
// talks to 302; its call with 301 ends as transferred.
func TestLineupIsTransferredByBaresip(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "301", Password: "pw-301"}, {Name: "302", Password: "pw-302"},
	}})
	lu := startParty(t, pbx, "201", "pw-201", xferLineupHz)
	transferor := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx, ToneHz: xferCallerHz, AutoAnswer: true})
	target := baresiptest.Start(t, baresiptest.Config{User: "302", Password: "pw-302", PBX: pbx, ToneHz: xferTargetHz, AutoAnswer: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	domain := strings.SplitN(transferor.AOR(), "@", 2)[1]

	first, err := lu.client.Dial(ctx, lu.line, "301")
	if err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "connected to 301", 10*time.Second, func(x api.Call) bool { return x.ID == first.ID && x.State == line.CallConnected })
	time.Sleep(500 * time.Millisecond)
	if _, err := transferor.Command(ctx, "transfer", "sip:302@"+domain); err != nil {
		t.Fatal(err)
	}
	second := lu.calls.wait(t, "calling 302", 10*time.Second, func(x api.Call) bool {
		return x.ID != first.ID && x.Direction == line.Outgoing && x.RemoteNumber == "302"
	})
	lu.calls.wait(t, "connected to 302", 10*time.Second, func(x api.Call) bool { return x.ID == second.ID && x.State == line.CallConnected })
	end := lu.calls.wait(t, "the call with 301 ended", 10*time.Second, func(x api.Call) bool { return x.ID == first.ID && x.State == line.CallEnded })
	if end.EndCause != line.EndTransferred || end.Transfer.State != api.TransferDone || end.Transfer.Target != "302" {
		t.Errorf("the call with 301 ended %v %q, transfer %+v; want transferred to 302, done", end.EndCause, end.EndReason, end.Transfer)
	}
	if ev, err := transferor.WaitEvent(ctx, "CALL_CLOSED"); err != nil || !strings.Contains(ev.Param, "transfer") {
		t.Errorf("301's call closed %q (%v), want closed as transferred once Lineup reported the answer", ev.Param, err)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "Lineup after the transfer", lu, xferTargetHz, xferLineupHz)
	if err := lu.client.HangUp(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := target.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	heardInRecording(t, "the target 302", target, xferLineupHz, xferTargetHz)
}

// TestAttendedTransferBetweenLineups: three line servers through one Kamailio. 203 calls 201;
// 201 consults 202, goes back to the caller once, consults again and completes the transfer:
// 203 calls 202 with Replaces, 202 takes that call in the place of its call with 201, and 203
// and 202 hear each other. Both of 201's calls end as transferred.
func TestAttendedTransferBetweenLineups(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	const aHz, bHz, cHz = 440, 1000, 700
	a := startParty(t, pbx, "201", "pw-201", aHz)
	b := startParty(t, pbx, "202", "pw-202", bHz)
	c := startParty(t, pbx, "203", "pw-203", cHz)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	out, in := answeredCall(ctx, t, c, a, "201", 5*time.Second)

	// Nothing to complete before a consultation.
	if err := a.client.CompleteTransfer(ctx, in.ID); !errors.Is(err, api.ErrCallState) {
		t.Errorf("complete without a consultation: %v, want ErrCallState", err)
	}
	var bSeen []string // 202's calls so far: each consultation rings anew
	consult := func() api.Call {
		t.Helper()
		cs, err := a.client.Consult(ctx, in.ID, "202")
		if err != nil {
			t.Fatal(err)
		}
		if cs.ConsultFor != in.ID {
			t.Errorf("consultation names %q, want the held call %s", cs.ConsultFor, in.ID)
		}
		a.calls.wait(t, "caller held", 5*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.State == line.CallHeld })
		rb := b.calls.wait(t, "ringing at 202", 5*time.Second, func(x api.Call) bool {
			return x.State == line.CallRinging && !slices.Contains(bSeen, x.ID)
		})
		bSeen = append(bSeen, rb.ID)
		if err := b.client.Answer(ctx, rb.ID); err != nil {
			t.Fatal(err)
		}
		a.calls.wait(t, "consultation connected", 5*time.Second, func(x api.Call) bool { return x.ID == cs.ID && x.State == line.CallConnected })
		return cs
	}
	// Back to the caller: the consultation is hung up and the caller retrieved.
	cs := consult()
	if err := a.client.CompleteTransfer(ctx, "no-such-call"); !errors.Is(err, api.ErrNoCall) {
		t.Errorf("complete of an unknown call: %v", err)
	}
	if err := a.client.HangUp(ctx, cs.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.client.Retrieve(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "201 back with the caller", a, cHz, aHz)

	cs = consult()
	time.Sleep(time.Second)
	assertHears(t, "201 consulting 202", a, bHz, aHz)
	if err := a.client.CompleteTransfer(ctx, cs.ID); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{in.ID, cs.ID} {
		end := a.calls.wait(t, "201's call ended", 10*time.Second, func(x api.Call) bool { return x.ID == id && x.State == line.CallEnded })
		if end.EndCause != line.EndTransferred {
			t.Errorf("201's call %s ended %v %q, want transferred", id, end.EndCause, end.EndReason)
		}
	}
	// 203's new call to 202 replaced 202's call with 201.
	joined := c.calls.wait(t, "203 calls 202", 10*time.Second, func(x api.Call) bool {
		return x.ID != out.ID && x.RemoteNumber == "202" && x.State == line.CallConnected
	})
	bJoined := b.calls.wait(t, "202 talks to 203", 10*time.Second, func(x api.Call) bool {
		return x.RemoteNumber == "203" && x.State == line.CallConnected && !slices.Contains(bSeen, x.ID)
	})
	if n := len(b.client.liveCalls(t)); n != 1 {
		t.Errorf("202 has %d calls, want only the one with 203", n)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "203 after the transfer", c, bHz, cHz)
	assertHears(t, "202 after the transfer", b, cHz, bHz)
	if err := b.client.HangUp(ctx, bJoined.ID); err != nil {
		t.Fatal(err)
	}
	c.calls.wait(t, "203's call ended", 5*time.Second, func(x api.Call) bool { return x.ID == joined.ID && x.State == line.CallEnded })
}
