package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
)

// requestURIs returns the Request-URIs of the INVITEs SIPp received, in order.
func requestURIs(res sipptest.Result) []string {
	var out []string
	for _, m := range res.Received() {
		first, _, _ := strings.Cut(m, "\n")
		if f := strings.Fields(first); len(f) == 3 && f[0] == "INVITE" {
			out = append(out, f[1])
		}
	}
	return out
}

// userOf is the user part of a sip: URI, with %23 read as '#'.
func userOf(uri string) string {
	u := strings.TrimPrefix(uri, "sip:")
	u, _, _ = strings.Cut(u, "@")
	return strings.ReplaceAll(strings.ReplaceAll(u, "%23", "#"), "%2A", "*")
}

// TestLineAtSIPpPBX runs one line against a SIPp PBX that registers it (sending P-Associated-URI)
// and refuses its calls, and checks what reaches the PBX: a feature code verbatim, the pickup code
// with the number substituted, dialled numbers in their dialable form; and that the automatic
// number follows the registration.
func TestLineAtSIPpPBX(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pbx := sipptest.Start(ctx, t, "policy_pbx.xml", "", sipptest.Calls(100),
		sipptest.Key("pau1", "<sip:+49891234201@127.0.0.1>, <sip:201@127.0.0.1>"),
		sipptest.Key("pau2", "<tel:+49891234299>"))
	cfg := line.Config{
		Locations: []line.Location{munich},
		Groups: []line.Group{{Name: "Desk", AutoNumbers: true, JournalAll: true, Location: munich.Name,
			FeatureCodes: []line.FeatureCode{{Name: "Call forwarding off", Code: "#21#"}, {Name: "Voicemail", Code: "*86"}},
			PickupCode:   "*59<NUMBER>"}},
		Lines: []line.Line{{Name: "desk", Group: "Desk", Number: "999",
			Account: line.Account{Registrar: pbx.Addr(), User: "201", Password: "x"}}},
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := newWatcher()
	srv, err := New(cfg, WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}), WithStateFunc(w.add), WithStore(st))
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(rctx) }()
	t.Cleanup(func() {
		stop()
		<-done
		st.Close()
	})
	w.waitAll(t, line.RegRegistered, 10*time.Second, "desk")
	el := logOnClient(t, srv, "desk client")

	// Automatic number: the first P-Associated-URI, canonical, shown as the extension; then the
	// refresh's.
	ls, err := el.Lines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ls[0].Number != "+49891234201" || ls[0].NumberDisplay != "201" {
		t.Errorf("number %q shown %q after registering, want +49891234201 shown 201 (not the manual 999)", ls[0].Number, ls[0].NumberDisplay)
	}
	el.wait(t, "number after the refresh", 10*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventLine && ev.Line.Number == "+49891234299" && ev.Line.NumberDisplay == "299"
	})

	// A feature code is dialled verbatim and is not offered while the line has a call.
	fc, err := el.FeatureCode(ctx, "desk", "Call forwarding off")
	if err != nil {
		t.Fatal(err)
	}
	el.wait(t, "feature code call alerting", 5*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventCall && ev.Call.ID == fc.ID && ev.Call.State == line.CallAlerting
	})
	if _, err := el.FeatureCode(ctx, "desk", "Voicemail"); !errors.Is(err, line.ErrFunctionState) {
		t.Errorf("feature code during a call: %v, want refused for the line's state", err)
	}
	ls, _ = el.Lines(ctx)
	for _, f := range ls[0].Functions {
		if f == line.FuncFeatureCodes {
			t.Error("feature codes offered while the line has a call")
		}
	}
	waitEnded := func(id string) api.Call {
		t.Helper()
		ev := el.wait(t, "call "+id+" ended", 10*time.Second, func(ev api.Event) bool {
			return ev.Type == api.EventCall && ev.Call.ID == id && ev.Call.State == line.CallEnded
		})
		return *ev.Call
	}
	if end := waitEnded(fc.ID); end.EndCode != 486 || end.FeatureCode != "Call forwarding off" {
		t.Errorf("feature code call ended %d, feature code %q", end.EndCode, end.FeatureCode)
	}

	// Pickup of another number dials the pickup code; dialled numbers go out dialable.
	pk, err := el.Pickup(ctx, "desk", "202")
	if err != nil {
		t.Fatal(err)
	}
	waitEnded(pk.ID)
	for _, n := range []string{"+49 89 1234 205", "+49 30 5550100"} {
		c, err := el.Dial(ctx, "desk", n)
		if err != nil {
			t.Fatal(err)
		}
		waitEnded(c.ID)
	}
	if _, err := el.Dial(ctx, "desk", "+49 30 55x"); !errors.Is(err, line.ErrBadNumber) {
		t.Errorf("dialling a number with a letter: %v, want a bad-number error", err)
	}

	res := pbx.Stop()
	var got []string
	for _, u := range requestURIs(res) {
		got = append(got, userOf(u))
	}
	want := []string{"#21#", "*59202", "205", "00305550100"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Request-URI users at the PBX %q, want %q", got, want)
	}

	if err := st.Journal().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := st.Journal().Query(store.JournalQuery{Line: "desk"})
	if err != nil || len(es) != 4 {
		t.Fatalf("journal: %d entries (%v), want 4", len(es), err)
	}
	first := es[len(es)-1] // newest first
	if first.FeatureCode != "Call forwarding off" || first.Outcome != line.OutcomeBusy || first.Code != 486 ||
		first.Client != "desk client" || first.LocalNumber != "+49891234299" || first.Direction != line.Outgoing {
		t.Errorf("feature code journal entry: %+v", first)
	}
	if es[0].RemoteNumber != "+49305550100" {
		t.Errorf("dialled number journaled as %q, want canonical +49305550100", es[0].RemoteNumber)
	}
}

// TestLocalPickupConnectsTheCall checks line-group property 9's local pickup end to end: a call to
// a line on DND in a group answering 180 is held ringing by the server (the caller hears it
// alerting); the user picks it up from another line with that line's number, and the two parties
// hear each other.
func TestLocalPickupConnectsTheCall(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	a := startParty(t, pbx, "202", "pw-202", 440)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := line.Config{
		Groups: []line.Group{{Name: "Desk", NotLoggedOn: line.ResponseRinging, PickupCode: "*59<NUMBER>", JournalAll: true}},
		Lines: []line.Line{
			{Name: "back", Group: "Desk", Account: line.Account{Registrar: pbx.UDPAddr(), User: "203", Password: "pw-203"}},
			{Name: "front", Group: "Desk", DND: true, Account: line.Account{Registrar: pbx.UDPAddr(), User: "201", Password: "pw-201"}},
		},
	}
	if err := st.SaveConfig(cfg); err != nil {
		t.Fatal(err)
	}
	b := startPartyConfig(t, cfg, 1000, WithStore(st))
	el := logOnClient(t, b.srv, "desk")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := a.client.Dial(ctx, a.line, "201")
	if err != nil {
		t.Fatal(err)
	}
	a.calls.wait(t, "alerting at the caller", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallAlerting
	})
	ev := el.wait(t, "held ringing on front", 5*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventLine && ev.Line.Name == "front" && len(ev.Line.HeldRinging) == 1
	})
	if n := el.count(func(ev api.Event) bool { return ev.Type == api.EventCall }); n != 0 {
		t.Errorf("the client was shown %d call events for a call held at the server", n)
	}
	if b.audio.rings.Load() != 0 {
		t.Error("the ringer rang for a call the server holds")
	}
	picked, err := el.Pickup(ctx, "back", "201")
	if err != nil {
		t.Fatal(err)
	}
	if picked.ID != ev.Line.HeldRinging[0].ID {
		t.Errorf("picked up call %s, want the held %s", picked.ID, ev.Line.HeldRinging[0].ID)
	}
	a.calls.wait(t, "connected at the caller", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallConnected
	})
	el.wait(t, "connected at the client", 5*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventCall && ev.Call.ID == picked.ID && ev.Call.State == line.CallConnected
	})
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "caller", a, 1000, 440)
	assertHears(t, "picker", b, 440, 1000)
	if err := el.HangUp(ctx, picked.ID); err != nil {
		t.Fatal(err)
	}
	e := lastEntry(t, st, "front")
	if e.Outcome != line.OutcomePickedUpLocally || e.Client != "desk" || e.Answer.IsZero() || e.Duration <= time.Second {
		t.Errorf("journal: %+v; want picked up locally by desk, answered, over a second", e)
	}
}
