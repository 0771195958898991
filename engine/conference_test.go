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
	"github.com/lineupphone/lineup/media"
)

// The tones of the conference test: what each side heard tells whom it heard.
const (
	confLineupHz = 440
	confAHz      = 1000 // baresip 202
	confBHz      = 700  // baresip 203
)

// hearsBoth checks that pcm (at rate) carries both tones a and b clearly and not own.
func hearsBoth(t *testing.T, who string, pcm []int16, rate int, a, b, own float64) {
	t.Helper()
	if len(pcm) < rate/2 {
		t.Fatalf("%s: only %d samples to listen to", who, len(pcm))
	}
	t.Logf("%s: shares %.0f Hz %.3f, %.0f Hz %.3f, own %.0f Hz %.3f", who, a, media.ToneRatio(pcm, rate, a), b, media.ToneRatio(pcm, rate, b), own, media.ToneRatio(pcm, rate, own))
	for _, f := range []float64{a, b} {
		// baresip's tone is louder than a line server's, so a share of a tenth is a clear one.
		if r := media.ToneRatio(pcm, rate, f); r < 0.1 {
			t.Errorf("%s: %.0f Hz makes up %.2f of what it heard, want > 0.1 (both others heard)", who, f, r)
		}
	}
	if r := media.ToneRatio(pcm, rate, own); r > 0.05 {
		t.Errorf("%s: its own %.0f Hz makes up %.2f of what it heard, want < 0.05", who, own, r)
	}
}

// hearsOnly checks that pcm carries want clearly and neither of the others.
func hearsOnly(t *testing.T, who string, pcm []int16, rate int, want float64, not ...float64) {
	t.Helper()
	if len(pcm) < rate/2 {
		t.Fatalf("%s: only %d samples to listen to", who, len(pcm))
	}
	if r := media.ToneRatio(pcm, rate, want); r < 0.5 {
		t.Errorf("%s: %.0f Hz makes up %.2f of what it heard, want > 0.5", who, want, r)
	}
	for _, f := range not {
		if r := media.ToneRatio(pcm, rate, f); r > 0.1 {
			t.Errorf("%s: %.0f Hz makes up %.2f of what it heard, want < 0.1", who, f, r)
		}
	}
}

// span is the part of a recording from..to after its start, clipped to it.
func span(pcm []int16, rate int, from, to time.Duration) []int16 {
	a := min(max(int(from.Seconds()*float64(rate)), 0), len(pcm))
	b := min(max(int(to.Seconds()*float64(rate)), a), len(pcm))
	return pcm[a:b]
}

// TestThreeWayConference: Lineup's line 201 calls 202 (G.722, tone A), holds it, calls baresip
// 203 (PCMU, tone B) and joins the two in a conference. 202 hears B and Lineup, 203 hears A and
// Lineup, Lineup hears A and B. On the way: hold of one call of the conference (the two others
// talk on) and its retrieve, and mute (the user leaves the mix; the parties still hear each
// other). 203 hangs up: 202 and Lineup go on as a normal call and hear each other. Both calls
// are journaled with the other party noted.
//
// 202 is a second Lineup line server rather than a baresip: baresip 1.0 stops writing its
// decode recording at the first re-INVITE of a call (the hold), so a held baresip cannot show
// what it heard in the conference; a line server's recording goes on through hold and
// retrieve. 203, never re-invited, is a baresip, and its recording is checked.
func TestThreeWayConference(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	cfg := testConfig(pbx, line.Line{Name: "line 201", Account: acct("201", "pw-201", line.TransportUDP), Journal: true})
	lu := startPartyConfig(t, cfg, confLineupHz, WithStore(openTestStore(t, cfg)))
	lu.client = logOnClient(t, lu.srv, "test client")
	lu.calls = lu.client.calls
	a := startParty(t, pbx, "202", "pw-202", confAHz)
	b := baresiptest.Start(t, baresiptest.Config{User: "203", Password: "pw-203", PBX: pbx, ToneHz: confBHz, AutoAnswer: true, Codecs: []string{"PCMU"}})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	ca, inA := answeredCall(ctx, t, lu, a, "202", 10*time.Second)
	toA := ca
	if ca.Codec != "G722" {
		t.Errorf("202 talks %s, want G722", ca.Codec)
	}
	if !offersFn(ca.Functions, line.FuncConference) {
		t.Errorf("a connected call offers %v, want conference among them", ca.Functions)
	}
	// A call alone has nothing to join.
	if err := lu.client.Conference(ctx, toA.ID); !errors.Is(err, api.ErrCallState) {
		t.Errorf("conference of a call alone: %v, want ErrCallState", err)
	}
	time.Sleep(time.Second)
	if err := lu.client.Hold(ctx, toA.ID); err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "202 held", 5*time.Second, func(x api.Call) bool { return x.ID == toA.ID && x.State == line.CallHeld })
	toB, err := lu.client.Dial(ctx, lu.line, "203")
	if err != nil {
		t.Fatal(err)
	}
	cb := lu.calls.wait(t, "connected to 203", 10*time.Second, func(x api.Call) bool { return x.ID == toB.ID && x.State == line.CallConnected })
	bStart := time.Now()
	if cb.Codec != "PCMU" {
		t.Errorf("203 talks %s, want PCMU", cb.Codec)
	}
	time.Sleep(time.Second)
	assertHears(t, "Lineup talking to 203", lu, confBHz, confLineupHz)

	// Either call's ID joins both; here the held one's.
	if err := lu.client.Conference(ctx, toA.ID); err != nil {
		t.Fatalf("conference: %v", err)
	}
	confAt := time.Now()
	ja := lu.calls.wait(t, "202 in the conference", 5*time.Second, func(x api.Call) bool {
		return x.ID == toA.ID && x.Conference != "" && x.State == line.CallConnected
	})
	jb := lu.calls.wait(t, "203 in the conference", 5*time.Second, func(x api.Call) bool { return x.ID == toB.ID && x.Conference != "" })
	if ja.Conference != jb.Conference {
		t.Errorf("the calls are in conferences %q and %q, want one", ja.Conference, jb.Conference)
	}
	if offersFn(ja.Functions, line.FuncConference) {
		t.Errorf("a call in a conference still offers conference: %v", ja.Functions)
	}
	if err := lu.client.Conference(ctx, toB.ID); !errors.Is(err, api.ErrCallState) {
		t.Errorf("a second conference: %v, want ErrCallState", err)
	}
	time.Sleep(3 * time.Second)
	// Lineup's user hears the conference through the audio of the call it talked in (203's).
	talk := lu.audio.talking()
	hearsBoth(t, "Lineup in the conference", talk.recent(1.5), talk.rate, confAHz, confBHz, confLineupHz)
	heardByA := a.audio.talking()
	hearsBoth(t, "202 in the conference", heardByA.recent(1.5), heardByA.rate, confBHz, confLineupHz, confAHz)

	// Hold on a call of the conference holds that call only: 203 and the user talk on; Retrieve
	// puts it back into the mix and holds nothing else.
	if err := lu.client.Hold(ctx, toA.ID); err != nil {
		t.Fatal(err)
	}
	holdAt := time.Now()
	lu.calls.wait(t, "202 held in the conference", 5*time.Second, func(x api.Call) bool {
		return x.ID == toA.ID && x.State == line.CallHeld && x.Conference == ja.Conference
	})
	time.Sleep(2 * time.Second)
	hearsOnly(t, "Lineup with 202 held", talk.recent(1), talk.rate, confBHz, confAHz, confLineupHz)
	if err := lu.client.Retrieve(ctx, toA.ID); err != nil {
		t.Fatal(err)
	}
	retrieveAt := time.Now()
	lu.calls.wait(t, "202 back in the conference", 5*time.Second, func(x api.Call) bool {
		return x.ID == toA.ID && x.State == line.CallConnected && x.Conference == ja.Conference
	})
	time.Sleep(2 * time.Second)
	if c, _ := lu.client.call(t, toB.ID); c.State != line.CallConnected || c.Conference != ja.Conference {
		t.Errorf("203 after 202 was retrieved: %v in %q, want connected in the conference", c.State, c.Conference)
	}
	hearsBoth(t, "Lineup after 202 was retrieved", talk.recent(1.5), talk.rate, confAHz, confBHz, confLineupHz)

	// Mute mutes the user in the whole conference; the parties still hear each other.
	if err := lu.client.SetMuted(ctx, toB.ID, true); err != nil {
		t.Fatal(err)
	}
	muteAt := time.Now()
	for _, id := range []string{toA.ID, toB.ID} {
		lu.calls.wait(t, "muted", 5*time.Second, func(x api.Call) bool { return x.ID == id && x.Muted })
	}
	time.Sleep(2 * time.Second)
	hearsOnly(t, "202 with the user muted", heardByA.recent(1), heardByA.rate, confBHz, confLineupHz, confAHz)
	if err := lu.client.SetMuted(ctx, toA.ID, false); err != nil {
		t.Fatal(err)
	}
	unmuteAt := time.Now()
	for _, id := range []string{toA.ID, toB.ID} {
		lu.calls.wait(t, "unmuted", 5*time.Second, func(x api.Call) bool { return x.ID == id && !x.Muted && x.Conference != "" })
	}
	time.Sleep(2 * time.Second)
	hearsBoth(t, "202 after the user unmuted", heardByA.recent(1.5), heardByA.rate, confBHz, confLineupHz, confAHz)

	// 203 hangs up: 202 and Lineup are a normal call again.
	n := lu.calls.count(func(api.Call) bool { return true })
	if err := b.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	splitAt := time.Now()
	endB := lu.calls.waitAfter(t, n, "203's call ended", 10*time.Second, func(x api.Call) bool { return x.ID == toB.ID && x.State == line.CallEnded })
	if endB.EndCause != line.EndHungUpThere {
		t.Errorf("203's call ended %v, want hung up there", endB.EndCause)
	}
	lu.calls.waitAfter(t, n, "202 out of the conference", 5*time.Second, func(x api.Call) bool {
		return x.ID == toA.ID && x.Conference == "" && x.State == line.CallConnected
	})
	if _, err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	assertHears(t, "Lineup with 202 after 203 left", lu, confAHz, confLineupHz)
	hearsOnly(t, "202 after 203 left", heardByA.recent(1), heardByA.rate, confLineupHz, confBHz, confAHz)
	if c, _ := lu.client.call(t, toA.ID); c.Conference != "" || !offersFn(c.Functions, line.FuncHold) {
		t.Errorf("202's call after the conference: %+v, want a normal call offering hold", c)
	}
	// Nothing left to join; and a group without the function refuses it before anything else.
	if err := lu.client.Conference(ctx, toA.ID); !errors.Is(err, api.ErrCallState) {
		t.Errorf("conference with the other party gone: %v, want ErrCallState", err)
	}
	off, err := lu.client.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	off.Groups[0].DisabledFunctions = append(off.Groups[0].DisabledFunctions, line.FuncConference)
	if err := lu.client.SaveConfig(ctx, off); err != nil {
		t.Fatal(err)
	}
	if err := lu.client.Conference(ctx, toA.ID); !errors.Is(err, line.ErrFunctionDisabled) {
		t.Errorf("conference deactivated: %v, want ErrFunctionDisabled", err)
	}
	if err := lu.client.HangUp(ctx, toA.ID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "202's call ended", 5*time.Second, func(x api.Call) bool { return x.ID == inA.ID && x.State == line.CallEnded })

	// What baresip 203 heard in the conference, by the time since its call began.
	const margin = 700 * time.Millisecond
	path, err := b.RecordingDec()
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := baresiptest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	// The recording ends when 203 hung up: times are placed from its end, which holds also when
	// baresip started recording a little after the call was answered.
	length := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	t.Logf("203's recording: %v, the call lasted %v", length, splitAt.Sub(bStart))
	at := func(tm time.Time) time.Duration { return length - splitAt.Sub(tm) }
	hearsBoth(t, "203 in the conference", span(pcm, rate, at(confAt)+margin, at(holdAt)-margin/2),
		rate, confAHz, confLineupHz, confBHz)
	hearsOnly(t, "203 with 202 held", span(pcm, rate, at(holdAt)+margin, at(retrieveAt)-margin/2),
		rate, confLineupHz, confAHz, confBHz)
	hearsBoth(t, "203 after 202 was retrieved", span(pcm, rate, at(retrieveAt)+margin, at(muteAt)-margin/2),
		rate, confAHz, confLineupHz, confBHz)
	hearsOnly(t, "203 with the user muted", span(pcm, rate, at(muteAt)+margin, at(unmuteAt)-margin/2),
		rate, confAHz, confLineupHz, confBHz)
	hearsBoth(t, "203 after the user unmuted", span(pcm, rate, at(unmuteAt)+margin, at(splitAt)-margin/2),
		rate, confAHz, confLineupHz, confBHz)

	// Both calls journaled as answered, each noting the other party of the conference.
	var es []line.JournalEntry
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		es, err = lu.client.Journal(ctx, api.JournalQuery{Line: lu.line})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) >= 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(es) != 2 {
		t.Fatalf("journal: %+v; want two entries", es)
	}
	want := map[string]string{"202": "203", "203": "202"}
	for _, e := range es {
		if e.Outcome != line.OutcomeAnswered || e.ConferenceWith != want[e.RemoteNumber] {
			t.Errorf("journal entry for %s: outcome %v, conference with %q; want answered, with %q", e.RemoteNumber, e.Outcome, e.ConferenceWith, want[e.RemoteNumber])
		}
	}
}

// TestThreeWayConferenceOfTwoBaresips: the same conference with both parties baresips (202 on
// G.722, 203 on PCMU), for the directions baresip can show: Lineup hears both, 203 (never
// re-invited, so its recording is whole) hears 202 and Lineup, and after 202 hung up (the call
// whose own sound was idle) Lineup and 203 hear each other alone; a third call ringing meanwhile is heard as the call-waiting tone in the
// conference, and a key sent on 202's call as its feedback tone. What the held and retrieved 202 heard its recording cannot tell (baresip 1.0
// stops it at the hold); TestThreeWayConference checks that direction with a line server.
func TestThreeWayConferenceOfTwoBaresips(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
		{Name: "204", Password: "pw-204"},
	}})
	lu := startParty(t, pbx, "201", "pw-201", confLineupHz)
	a := baresiptest.Start(t, baresiptest.Config{User: "202", Password: "pw-202", PBX: pbx, ToneHz: confAHz, AutoAnswer: true, Codecs: []string{"G722"}})
	b := baresiptest.Start(t, baresiptest.Config{User: "203", Password: "pw-203", PBX: pbx, ToneHz: confBHz, AutoAnswer: true, Codecs: []string{"PCMU"}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	toA, err := lu.client.Dial(ctx, lu.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "connected to 202", 10*time.Second, func(x api.Call) bool { return x.ID == toA.ID && x.State == line.CallConnected })
	if err := lu.client.Hold(ctx, toA.ID); err != nil {
		t.Fatal(err)
	}
	toB, err := lu.client.Dial(ctx, lu.line, "203")
	if err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "connected to 203", 10*time.Second, func(x api.Call) bool { return x.ID == toB.ID && x.State == line.CallConnected })
	time.Sleep(500 * time.Millisecond)
	if err := lu.client.Conference(ctx, toB.ID); err != nil {
		t.Fatalf("conference: %v", err)
	}
	confAt := time.Now()
	lu.calls.wait(t, "202 in the conference", 5*time.Second, func(x api.Call) bool {
		return x.ID == toA.ID && x.Conference != "" && x.State == line.CallConnected
	})
	time.Sleep(3 * time.Second)
	talk := lu.audio.talking()
	hearsBoth(t, "Lineup in the conference", talk.recent(1.5), talk.rate, confAHz, confBHz, confLineupHz)

	// A third call rings during the conference: the user hears the call-waiting tone in it. The
	// tone is soft beside baresip's loud ones, so its power is compared with that at its
	// frequency before the call came.
	waitingPower := func() float64 {
		heard, best := talk.recent(1.2), 0.0
		for p := 0; p+talk.rate/20 <= len(heard); p += talk.rate / 20 {
			best = max(best, media.GoertzelPower(heard[p:p+talk.rate/20], talk.rate, media.CallWaiting.Freqs[0]))
		}
		return best
	}
	before := waitingPower()
	rings := lu.audio.rings.Load()
	c := baresiptest.Start(t, baresiptest.Config{User: "204", Password: "pw-204", PBX: pbx})
	if err := c.Dial(ctx, "sip:201@"+strings.SplitN(c.AOR(), "@", 2)[1]); err != nil {
		t.Fatal(err)
	}
	third := lu.calls.wait(t, "204 ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	time.Sleep(1200 * time.Millisecond)
	// A -18 dBFS sine has a power of about 8.5e6.
	if after := waitingPower(); after < 2e6 || after < 20*before {
		t.Errorf("the call-waiting tone in the conference: power %.3g at %.0f Hz (before the call: %.3g), want a burst",
			after, media.CallWaiting.Freqs[0], before)
	}
	if got := lu.audio.rings.Load(); got != rings {
		t.Errorf("the ringer rang %d times for a call waiting beside a conference, want 0", got-rings)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "204 gave up", 10*time.Second, func(x api.Call) bool { return x.ID == third.ID && x.State == line.CallEnded })

	// A key sent on the call whose sound is idle (202's) is heard in the conference's speaker.
	feedback := func() float64 {
		heard, best := talk.recent(0.6), 0.0
		for p := 0; p+talk.rate/20 <= len(heard); p += talk.rate / 20 {
			best = max(best, media.GoertzelPower(heard[p:p+talk.rate/20], talk.rate, 1336))
		}
		return best
	}
	quiet := feedback()
	if err := lu.client.SendDTMF(ctx, toA.ID, "5"); err != nil {
		t.Fatal(err)
	}
	// A -10 dBFS sine has a power of about 5e7.
	if got := feedback(); got < 1e7 || got < 20*quiet {
		t.Errorf("the key's feedback in the conference: power %.3g at 1336 Hz (before: %.3g), want the tone", got, quiet)
	}

	// This time 202, whose sound is idle in the conference, hangs up: 203 and Lineup talk on in
	// the sound of 203's call.
	n := lu.calls.count(func(api.Call) bool { return true })
	if err := a.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	splitAt := time.Now()
	lu.calls.waitAfter(t, n, "203 out of the conference", 10*time.Second, func(x api.Call) bool {
		return x.ID == toB.ID && x.Conference == "" && x.State == line.CallConnected
	})
	if _, err := a.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	assertHears(t, "Lineup with 203 after 202 left", lu, confBHz, confLineupHz)
	if err := lu.client.HangUp(ctx, toB.ID); err != nil {
		t.Fatal(err)
	}
	endAt := time.Now()
	if _, err := b.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}

	path, err := b.RecordingDec()
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := baresiptest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	// Placed from the recording's end, the hang-up.
	length := time.Duration(len(pcm)) * time.Second / time.Duration(rate)
	at := func(tm time.Time) time.Duration { return length - endAt.Sub(tm) }
	const margin = 700 * time.Millisecond
	hearsBoth(t, "203 in the conference", span(pcm, rate, at(confAt)+margin, at(confAt)+3*time.Second), rate, confAHz, confLineupHz, confBHz)
	hearsOnly(t, "203 after 202 left", span(pcm, rate, at(splitAt)+margin, at(endAt)-margin/2), rate, confLineupHz, confAHz, confBHz)
}
