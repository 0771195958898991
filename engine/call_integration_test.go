package engine

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// party is one Lineup line server with one line, registered at the test PBX, and (from
// startParty) a client logged on to it that the test acts through, as the UI does.
type party struct {
	srv    *Server
	audio  *toneAudio
	client *eventLog
	calls  *updates[api.Call] // the calls of the client's events
	line   string
	stop   func()
}

// answeredCall has from dial number, which rings at to and is answered there; it returns the
// call as from sees it connected, and as to sees it ringing. Each step waits at most d.
func answeredCall(ctx context.Context, t *testing.T, from, to *party, number string, d time.Duration) (out, in api.Call) {
	t.Helper()
	dialled, err := from.client.Dial(ctx, from.line, number)
	if err != nil {
		t.Fatal(err)
	}
	in = to.calls.wait(t, "ringing at "+number, d, func(x api.Call) bool { return x.State == line.CallRinging })
	if err := to.client.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	out = from.calls.wait(t, "connected to "+number, d, func(x api.Call) bool { return x.ID == dialled.ID && x.State == line.CallConnected })
	return out, in
}

func startParty(t *testing.T, pbx *testpbx.PBX, user, password string, freq float64, opts ...Option) *party {
	t.Helper()
	name := "line " + user
	cfg := testConfig(pbx, line.Line{Name: name, Account: acct(user, password, line.TransportUDP)})
	p := startPartyConfig(t, cfg, freq, opts...)
	p.client = logOnClient(t, p.srv, "test client")
	p.calls = p.client.calls
	return p
}

// startPartyConfig runs a line server with cfg whose audio plays a tone at freq; p.line is its
// first line. No client is logged on.
func startPartyConfig(t *testing.T, cfg line.Config, freq float64, opts ...Option) *party {
	t.Helper()
	p := &party{audio: &toneAudio{freq: freq}, line: cfg.Lines[0].Name}
	w := newWatcher()
	all := append([]Option{
		WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}),
		WithStateFunc(w.add),
		WithAudio(p.audio),
	}, opts...)
	srv, err := New(cfg, all...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	p.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(p.stop)
	var names []string
	for _, l := range cfg.Lines {
		names = append(names, l.Name)
	}
	w.waitAll(t, line.RegRegistered, 10*time.Second, names...)
	p.srv = srv
	return p
}

func twoParties(t *testing.T, opts ...Option) (a, b *party) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	a = startParty(t, pbx, "201", "pw-201", 440, opts...)
	b = startParty(t, pbx, "202", "pw-202", 1000, opts...)
	return a, b
}

// connect has a dial b and b answer; it returns both sides' call ids.
func connect(t *testing.T, a, b *party) (aID, bID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	in := b.calls.wait(t, "ringing at b", 5*time.Second, func(c api.Call) bool {
		return c.Direction == line.Incoming && c.State == line.CallRinging
	})
	if in.RemoteNumber != "201" {
		t.Errorf("b sees the call from %q, want 201", in.RemoteNumber)
	}
	a.calls.wait(t, "alerting at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallAlerting
	})
	if b.audio.rings.Load() == 0 {
		t.Error("b's ringer did not ring")
	}
	if err := b.client.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "connected at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallConnected
	})
	if b.audio.ring.Load() {
		t.Error("b still rings after answering")
	}
	return out.ID, in.ID
}

// assertHears checks that the call a party talks in (its newest open one) heard the tone at freq
// (and not the other tone).
func assertHears(t *testing.T, who string, p *party, freq, other float64) {
	t.Helper()
	c := p.audio.talking()
	if c == nil {
		t.Fatalf("%s has no call audio", who)
	}
	pcm := c.recent(1)
	if len(pcm) < c.rate/2 {
		t.Fatalf("%s heard only %d samples", who, len(pcm))
	}
	if r := media.ToneRatio(pcm, c.rate, freq); r < 0.5 {
		t.Errorf("%s: %.0f Hz makes up %.2f of what it heard, want > 0.5", who, freq, r)
	}
	if r := media.ToneRatio(pcm, c.rate, other); r > 0.1 {
		t.Errorf("%s: its own %.0f Hz makes up %.2f of what it heard, want < 0.1", who, other, r)
	}
}

func TestCallBetweenTwoLinesCarriesAudioBothWays(t *testing.T) {
	for _, codec := range []media.Codec{media.G722, media.PCMU, media.PCMA} {
		t.Run(codec.Name, func(t *testing.T) {
			a, b := twoParties(t, WithCodecs(codec))
			aID, bID := connect(t, a, b)
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "caller", a, 1000, 440)
			assertHears(t, "callee", b, 440, 1000)
			if c, _ := a.client.call(t, aID); c.Codec != codec.Name {
				t.Errorf("codec %q, want %s", c.Codec, codec.Name)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := b.client.HangUp(ctx, bID); err != nil {
				t.Fatal(err)
			}
			end := a.calls.wait(t, "ended at a", 5*time.Second, func(c api.Call) bool {
				return c.ID == aID && c.State == line.CallEnded
			})
			if end.EndCause != line.EndHungUpThere || end.Answered.IsZero() {
				t.Errorf("ended call: %+v, want answered and ended by the other party", end)
			}
			// The audio is released once the media stops, right after the end is reported.
			deadline := time.Now().Add(2 * time.Second)
			for !(a.audio.last().isClosed() && b.audio.last().isClosed()) && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if !a.audio.last().isClosed() || !b.audio.last().isClosed() {
				t.Error("call audio not closed within 2 s of the hang-up")
			}
		})
	}
}

func TestDTMFHoldAndHangUpFromCaller(t *testing.T) {
	a, b := twoParties(t)
	aID, bID := connect(t, a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if err := a.client.SendDTMF(ctx, aID, "123#"); err != nil {
		t.Fatal(err)
	}
	b.calls.wait(t, "digits at b", 5*time.Second, func(c api.Call) bool {
		return c.ID == bID && c.DTMFReceived == "123#"
	})
	if err := b.client.SendDTMF(ctx, bID, "*9"); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "digits at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == aID && c.DTMFReceived == "*9"
	})

	if err := a.client.Hold(ctx, aID); err != nil {
		t.Fatal(err)
	}
	b.calls.wait(t, "held at b", 5*time.Second, func(c api.Call) bool {
		return c.ID == bID && c.HeldByRemote
	})
	time.Sleep(3500 * time.Millisecond)
	// While held, the callee hears nothing of the caller's tone, but the hold music: its notes
	// make up most of what it heard over one round of the tune.
	held := b.audio.last().recent(3)
	rate := b.audio.last().rate
	if r := media.ToneRatio(held, rate, 440); r > 0.1 {
		t.Errorf("callee still hears the caller's tone while held (%.2f)", r)
	}
	// Over 100 ms pieces: the audible ones are each mostly one of the tune's notes.
	audible, notes := 0, 0
	for p := 0; p+rate/10 <= len(held); p += rate / 10 {
		piece := held[p : p+rate/10]
		if rmsOf(piece) < 300 {
			continue
		}
		audible++
		for _, n := range media.HoldNotes[:3] {
			if media.ToneRatio(piece, rate, n.Freq) > 0.5 {
				notes++
				break
			}
		}
	}
	if audible < 10 || notes < audible*8/10 {
		t.Errorf("the held callee hears %d audible pieces of 100 ms, %d of them notes of the hold music; want at least 10, nearly all notes", audible, notes)
	}
	if err := a.client.Retrieve(ctx, aID); err != nil {
		t.Fatal(err)
	}
	b.calls.wait(t, "retrieved at b", 5*time.Second, func(c api.Call) bool {
		return c.ID == bID && !c.HeldByRemote && c.State == line.CallConnected
	})
	time.Sleep(1200 * time.Millisecond)
	assertHears(t, "callee after retrieve", b, 440, 1000)

	if err := a.client.HangUp(ctx, aID); err != nil {
		t.Fatal(err)
	}
	b.calls.wait(t, "ended at b", 5*time.Second, func(c api.Call) bool {
		return c.ID == bID && c.State == line.CallEnded
	})
	if n := len(a.client.liveCalls(t)) + len(b.client.liveCalls(t)); n != 0 {
		t.Errorf("%d calls left after hang-up", n)
	}
}

func TestCancelBeforeAnswerAndRejectBusy(t *testing.T) {
	a, b := twoParties(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// The caller gives up while it rings: the callee's call ends as cancelled.
	out, err := a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	in := b.calls.wait(t, "ringing", 5*time.Second, func(c api.Call) bool { return c.State == line.CallRinging })
	if err := a.client.HangUp(ctx, out.ID); err != nil {
		t.Fatal(err)
	}
	end := b.calls.wait(t, "cancelled at b", 5*time.Second, func(c api.Call) bool {
		return c.ID == in.ID && c.State == line.CallEnded
	})
	if end.EndCode != 487 {
		t.Errorf("callee's call ended %d %q, want 487 (cancelled)", end.EndCode, end.EndReason)
	}
	if b.audio.ring.Load() {
		t.Error("callee still rings after the caller cancelled")
	}

	// The callee rejects as busy: the caller sees 486.
	out, err = a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	in = b.calls.wait(t, "ringing again", 5*time.Second, func(c api.Call) bool {
		return c.State == line.CallRinging && c.ID != in.ID
	})
	if err := b.client.Decline(ctx, in.ID, api.DeclineBusy); err != nil {
		t.Fatal(err)
	}
	end = a.calls.wait(t, "busy at a", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallEnded
	})
	if end.EndCode != 486 {
		t.Errorf("caller's call ended %d %q, want 486", end.EndCode, end.EndReason)
	}
}

func TestTwoCallsOnOneLine(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "a"}, {Name: "202", Password: "b"}, {Name: "203", Password: "c"},
	}})
	a := startParty(t, pbx, "201", "a", 440)
	b := startParty(t, pbx, "202", "b", 1000)
	c := startParty(t, pbx, "203", "c", 700)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	aID, bID := connect(t, a, b)
	first := a.audio.last()
	rings := a.audio.rings.Load()
	// While 201 talks to 202, 203 calls 201: call waiting rings the second call, as a soft tone
	// in the call 201 is in rather than on the ringer.
	if _, err := c.client.Dial(ctx, c.line, "201"); err != nil {
		t.Fatal(err)
	}
	second := a.calls.wait(t, "second call ringing", 5*time.Second, func(x api.Call) bool {
		return x.Direction == line.Incoming && x.State == line.CallRinging
	})
	time.Sleep(1200 * time.Millisecond)
	if got := a.audio.rings.Load(); got != rings {
		t.Errorf("the ringer rang %d times for the waiting call, want 0", got-rings)
	}
	heard := first.recent(1.2)
	burst := 0
	for p := 0; p+first.rate/20 <= len(heard); p += first.rate / 20 {
		if media.ToneRatio(heard[p:p+first.rate/20], first.rate, media.CallWaiting.Freqs[0]) > 0.1 {
			burst++
		}
	}
	if burst == 0 {
		t.Error("201 does not hear the call-waiting tone in its call")
	}
	if err := a.client.Answer(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "second connected", 5*time.Second, func(x api.Call) bool {
		return x.ID == second.ID && x.State == line.CallConnected
	})
	// Answering the second call held the first: 202 is held, and its tone no longer reaches 203.
	b.calls.wait(t, "first call held at 202", 5*time.Second, func(x api.Call) bool { return x.ID == bID && x.HeldByRemote })
	if x, _ := a.client.call(t, aID); x.State != line.CallHeld {
		t.Errorf("201's first call is %v after answering the second, want held", x.State)
	}
	if n := len(a.client.liveCalls(t)); n != 2 {
		t.Fatalf("line 201 has %d calls, want 2", n)
	}
	time.Sleep(1200 * time.Millisecond)
	assertHears(t, "third party", c, 440, 700)

	// Swap: retrieving the first call holds the second, and 202 talks to 201 again.
	if err := a.client.Retrieve(ctx, aID); err != nil {
		t.Fatal(err)
	}
	c.calls.wait(t, "second call held at 203", 5*time.Second, func(x api.Call) bool { return x.HeldByRemote })
	b.calls.wait(t, "first call back at 202", 5*time.Second, func(x api.Call) bool { return x.ID == bID && !x.HeldByRemote })
	if x, _ := a.client.call(t, second.ID); x.State != line.CallHeld {
		t.Errorf("201's second call is %v after retrieving the first, want held", x.State)
	}
	time.Sleep(1200 * time.Millisecond)
	assertHears(t, "202 after the swap", b, 440, 1000)

	// 203 calls again while 201 talks to 202: the waiting tone; then 202 hangs up, and the call
	// still ringing moves to the ringer: with no call to hear it in, the user must hear it ring.
	if err := a.client.HangUp(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client.Dial(ctx, c.line, "201"); err != nil {
		t.Fatal(err)
	}
	third := a.calls.wait(t, "third call ringing", 5*time.Second, func(x api.Call) bool {
		return x.Direction == line.Incoming && x.State == line.CallRinging && x.ID != second.ID
	})
	rings = a.audio.rings.Load()
	if err := b.client.HangUp(ctx, bID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "first call over", 5*time.Second, func(x api.Call) bool { return x.ID == aID && x.State == line.CallEnded })
	deadline := time.Now().Add(2 * time.Second)
	for a.audio.rings.Load() == rings && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a.audio.rings.Load() == rings || !a.audio.ring.Load() {
		t.Error("the call left ringing after the talking call ended does not ring on the ringer")
	}
	if err := a.client.Answer(ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "third connected", 5*time.Second, func(x api.Call) bool { return x.ID == third.ID && x.State == line.CallConnected })
	if a.audio.ring.Load() {
		t.Error("the ringer still rings after the answer")
	}
}

// A call placed through a session has one identity: Dial returns the call as its first event
// shows it, and that event is on the session's stream before Dial returns, so a client can take
// the call from its events alone.
func TestDialResultIsTheCallsFirstEvent(t *testing.T) {
	a, b := twoParties(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ss, err := a.srv.LogOn(ctx, "second client")
	if err != nil {
		t.Fatal(err)
	}
	defer ss.LogOff(context.Background())
	out, err := ss.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	var first *api.Call
	for first == nil {
		select {
		case ev := <-ss.Events():
			if ev.Type == api.EventCall && ev.Call != nil && ev.Call.ID == out.ID {
				first = ev.Call
			}
		default:
			t.Fatalf("Dial returned call %s before its first event was on the session's stream", out.ID)
		}
	}
	if first.State != line.CallDialing || out.State != first.State || out.Dialled != "202" ||
		out.Dialled != first.Dialled || out.RemoteNumber != first.RemoteNumber || !out.Started.Equal(first.Started) {
		t.Errorf("Dial returned %+v; the call's first event showed %+v", out, *first)
	}
	b.calls.wait(t, "ringing at b", 5*time.Second, func(c api.Call) bool { return c.State == line.CallRinging })
	if err := ss.HangUp(ctx, out.ID); err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "ended at a", 5*time.Second, func(c api.Call) bool { return c.ID == out.ID && c.State == line.CallEnded })
}

// rmsOf is the root mean square level of pcm.
func rmsOf(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, x := range pcm {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}
