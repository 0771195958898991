package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
)

// munich is the location of the policy tests' lines: Germany, Munich, outside line 0, PBX base
// number 1234, three-digit extensions.
var munich = line.Location{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
	NationalPrefix: "0", OutsideLine: "0", BaseNumber: "1234", InternalMin: 3, InternalMax: 3}

// policyLine is a line of the policy tests, in a group of its own.
type policyLine struct {
	user  string
	group line.Group
}

// policyServer runs a line server whose lines (each in its own group, all journaled, at
// munich) register at a test Kamailio, with a store for the journal. It returns the server and
// the store.
func policyServer(t *testing.T, lines []policyLine, opts ...Option) (*Server, *store.Store) {
	t.Helper()
	return policyServerWith(t, lines, nil, opts...)
}

// policyServerWith is policyServer with the set-up changed by edit (when not nil) before the
// server starts.
func policyServerWith(t *testing.T, lines []policyLine, edit func(*line.Config), opts ...Option) (*Server, *store.Store) {
	t.Helper()
	var users []testpbx.User
	for _, l := range lines {
		users = append(users, testpbx.User{Name: l.user, Password: "pw-" + l.user})
	}
	pbx := testpbx.Start(t, testpbx.Config{Users: users})
	cfg := line.Config{Locations: []line.Location{munich}}
	var names []string
	for _, l := range lines {
		g := l.group
		g.JournalAll = true
		g.Location = munich.Name
		cfg.Groups = append(cfg.Groups, g)
		name := "line " + l.user
		names = append(names, name)
		cfg.Lines = append(cfg.Lines, line.Line{Name: name, Group: g.Name,
			Account: line.Account{Registrar: pbx.UDPAddr(), User: l.user, Password: "pw-" + l.user}})
	}
	if edit != nil {
		edit(&cfg)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveConfig(cfg); err != nil {
		t.Fatal(err)
	}
	w := newWatcher()
	// SIPp plays the phone system here and calls the line server directly: take its requests.
	all := append([]Option{WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1", OpenToAll: true}), WithStateFunc(w.add),
		WithStore(st)}, opts...)
	srv, err := New(cfg, all...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("store: %v", err)
		}
	})
	w.waitAll(t, line.RegRegistered, 10*time.Second, names...)
	return srv, st
}

// lastEntry returns the newest journal entry of a line once the journal has it.
func lastEntry(t *testing.T, st *store.Store, lineName string) line.JournalEntry {
	t.Helper()
	// The call ends, and is journaled, just after the caller has its final response: wait a
	// moment for the entry.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := st.Journal().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		es, err := st.Journal().Query(store.JournalQuery{Line: lineName, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 1 {
			return es[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("line %q: no journal entry within 5 s", lineName)
		}
	}
}

// checkEntry checks a journal entry's outcome, code and client, and that the caller's number
// was made canonical.
func checkEntry(t *testing.T, e line.JournalEntry, o line.Outcome, code int, client string) {
	t.Helper()
	if e.Outcome != o || e.Code != code || e.Client != client {
		t.Errorf("journal: outcome %v code %d client %q, want %v %d %q", e.Outcome, e.Code, e.Client, o, code, client)
	}
	if e.Direction != line.Incoming || e.RemoteNumber != "+4930123456" || e.RemoteName != "Policy Test" {
		t.Errorf("journal: %v call from %q %q, want incoming from +4930123456 \"Policy Test\"", e.Direction, e.RemoteNumber, e.RemoteName)
	}
}

// cancelHeader is the header the held-call scenario puts in its CANCEL.
const (
	plainCancel     = "X-Test: caller hangs up"
	elsewhereCancel = `Reason: SIP;cause=200;text="Call completed elsewhere"`
)

// count180 counts the 180 Ringing SIPp received.
func count180(res sipptest.Result) int {
	n := 0
	for _, c := range res.StatusCodes() {
		if c == 180 {
			n++
		}
	}
	return n
}

// callServer has SIPp call a line of srv and returns the result; held says the server holds the
// call ringing, so SIPp waits for the repeated 180 and cancels with cancel.
func callServer(t *testing.T, srv *Server, user string, held bool, cancel string) sipptest.Result {
	t.Helper()
	ctx, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	if held {
		return sipptest.Run(ctx, t, "policy_held_cancel.xml", srv.SIPAddr(line.TransportUDP),
			sipptest.Service(user), sipptest.Key("cancel_header", cancel))
	}
	return sipptest.Run(ctx, t, "policy_caller.xml", srv.SIPAddr(line.TransportUDP), sipptest.Service(user))
}

// TestServerAnswersWithTheNotLoggedOnResponse checks line-group property 1 on the wire: with no
// client logged on, and with a client logged on but the line on Do Not Disturb, each setting's
// status reaches the caller and the journal has the call; with 180 the call rings on (180 sent
// again) until the caller cancels, which the journal records as missed.
func TestServerAnswersWithTheNotLoggedOnResponse(t *testing.T) {
	settings := []struct {
		user string
		resp line.Response
	}{
		{"411", line.ResponseBusyHere}, {"412", line.ResponseTemporarilyUnavailable},
		{"413", line.ResponseDecline}, {"414", line.ResponseRinging},
	}
	var lines []policyLine
	for _, s := range settings {
		lines = append(lines, policyLine{s.user, line.Group{Name: "not logged on " + s.resp.String(), NotLoggedOn: s.resp}})
	}
	srv, st := policyServer(t, lines, WithRingResend(200*time.Millisecond))

	run := func(t *testing.T, client string) {
		for _, s := range settings {
			t.Run(s.resp.String(), func(t *testing.T) {
				name := "line " + s.user
				if s.resp == line.ResponseRinging {
					res := callServer(t, srv, s.user, true, plainCancel)
					if res.ExitCode != 0 || res.FinalStatus() != 487 {
						t.Fatalf("sipp exit %d, final %d, codes %v; want 180s then 487\n%s", res.ExitCode,
							res.FinalStatus(), res.StatusCodes(), res.Errors)
					}
					// 1.5 s of ringing with a resend every 200 ms: the first 180 and about 7 more.
					if n := count180(res); n < 4 {
						t.Errorf("%d 180 Ringing in 1.5 s, want the first and at least 3 resent", n)
					}
					checkEntry(t, lastEntry(t, st, name), line.OutcomeMissed, 0, "")
					return
				}
				res := callServer(t, srv, s.user, false, "")
				if got := res.FinalStatus(); got != s.resp.Code() || res.ExitCode != 0 {
					t.Fatalf("final status %d (codes %v, sipp exit %d), want %d", got, res.StatusCodes(), res.ExitCode, s.resp.Code())
				}
				for _, c := range res.StatusCodes() {
					if c == 180 {
						t.Errorf("the call rang (180) before the %d: nobody is there to answer", s.resp.Code())
					}
				}
				want := line.OutcomeDeclined
				if s.resp == line.ResponseBusyHere {
					want = line.OutcomeBusy
				}
				checkEntry(t, lastEntry(t, st, name), want, s.resp.Code(), "")
			})
		}
	}
	t.Run("no client logged on", func(t *testing.T) { run(t, "") })

	t.Run("line on DND", func(t *testing.T) {
		el := logOnClient(t, srv, "desk")
		ctx := context.Background()
		for _, s := range settings {
			if err := el.SetDND(ctx, "line "+s.user, true); err != nil {
				t.Fatal(err)
			}
		}
		cfg, err := st.Config()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range cfg.Lines {
			if !l.DND {
				t.Errorf("line %q: DND not saved", l.Name)
			}
		}
		run(t, "desk")
		if n := el.count(func(ev api.Event) bool { return ev.Type == api.EventCall }); n != 0 {
			t.Errorf("the client was shown %d call events for calls on DND lines", n)
		}
	})
}

// TestClientDeclineFollowsTheGroupSetting checks line-group property 2 on the wire: the client says
// busy or decline; "Busy Here/Decline" sends its choice, the fixed settings replace it, and 180
// takes the call away from the client and rings on at the server until the caller cancels.
func TestClientDeclineFollowsTheGroupSetting(t *testing.T) {
	settings := []struct {
		user string
		resp line.Response
	}{
		{"421", line.ResponseClientChoice}, {"422", line.ResponseBusyHere},
		{"423", line.ResponseTemporarilyUnavailable}, {"424", line.ResponseDecline},
		{"425", line.ResponseRinging},
	}
	var lines []policyLine
	for _, s := range settings {
		lines = append(lines, policyLine{s.user, line.Group{Name: "client reject " + s.resp.String(), ClientReject: s.resp}})
	}
	srv, st := policyServer(t, lines, WithRingResend(200*time.Millisecond))
	el := logOnClient(t, srv, "desk")

	for _, s := range settings {
		for _, reason := range []api.DeclineReason{api.DeclineBusy, api.DeclineDecline} {
			t.Run(fmt.Sprintf("%s/%s", s.resp, reason), func(t *testing.T) {
				name := "line " + s.user
				before := el.count(func(api.Event) bool { return true })
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					ev, err := el.find(before, 10*time.Second, func(ev api.Event) bool {
						return ev.Type == api.EventCall && ev.Call.Line == name && ev.Call.State == line.CallRinging
					})
					if err != nil {
						t.Errorf("no ringing call at the client: %v", err)
						return
					}
					if err := el.Decline(context.Background(), ev.Call.ID, reason); err != nil {
						t.Errorf("decline: %v", err)
					}
				}()
				held := s.resp == line.ResponseRinging
				res := callServer(t, srv, s.user, held, plainCancel)
				wg.Wait()
				code := s.resp.Code()
				if s.resp == line.ResponseClientChoice {
					code = map[api.DeclineReason]int{api.DeclineBusy: 486, api.DeclineDecline: 603}[reason]
				}
				if held {
					if res.ExitCode != 0 || res.FinalStatus() != 487 {
						t.Fatalf("sipp exit %d, codes %v; want 180s then 487 after the cancel", res.ExitCode, res.StatusCodes())
					}
					if n := count180(res); n < 4 {
						t.Errorf("%d 180 Ringing, want the first and at least 3 resent while held", n)
					}
					el.waitAfter(t, before, "call removed from the client", time.Second, func(ev api.Event) bool {
						return ev.Type == api.EventCallRemoved && ev.Call.Line == name
					})
					checkEntry(t, lastEntry(t, st, name), line.OutcomeMissed, 0, "")
					return
				}
				if got := res.FinalStatus(); got != code || res.ExitCode != 0 {
					t.Fatalf("final status %d (codes %v, sipp exit %d), want %d", got, res.StatusCodes(), res.ExitCode, code)
				}
				want := line.OutcomeDeclined
				if code == 486 {
					want = line.OutcomeBusy
				}
				checkEntry(t, lastEntry(t, st, name), want, code, "desk")
			})
		}
	}
}

// TestHeldRingingCallAnsweredElsewhere checks that a PBX's CANCEL with Reason "Call completed
// elsewhere" is journaled as answered elsewhere, not missed.
func TestHeldRingingCallAnsweredElsewhere(t *testing.T) {
	srv, st := policyServer(t, []policyLine{{"431", line.Group{Name: "ring on", NotLoggedOn: line.ResponseRinging}}},
		WithRingResend(200*time.Millisecond))
	res := callServer(t, srv, "431", true, elsewhereCancel)
	if res.ExitCode != 0 || res.FinalStatus() != 487 {
		t.Fatalf("sipp exit %d, codes %v", res.ExitCode, res.StatusCodes())
	}
	checkEntry(t, lastEntry(t, st, "line 431"), line.OutcomeAnsweredElsewhere, 0, "")
}

// TestHeldRingingCallDeflected checks that a client can deflect a call the server holds ringing:
// the caller gets 302 with the dialable form of the number the user gave.
func TestHeldRingingCallDeflected(t *testing.T) {
	srv, st := policyServer(t, []policyLine{{"441", line.Group{Name: "ring on", NotLoggedOn: line.ResponseRinging}}})
	el := logOnClient(t, srv, "desk")
	if err := el.SetDND(context.Background(), "line 441", true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := sipptest.Start(ctx, t, "policy_caller.xml", srv.SIPAddr(line.TransportUDP), sipptest.Service("441"))
	ev := el.wait(t, "held ringing on the line", 10*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventLine && ev.Line.Name == "line 441" && len(ev.Line.HeldRinging) == 1
	})
	held := ev.Line.HeldRinging[0]
	if !held.ServerRinging || len(held.Functions) != 1 || held.Functions[0] != line.FuncDeflect {
		t.Errorf("held call as shown: server ringing %v, functions %v; want true, [deflect]", held.ServerRinging, held.Functions)
	}
	if err := el.Answer(ctx, held.ID); err == nil {
		t.Error("answering a call held ringing at the server was accepted; want pickup or deflect")
	}
	if err := el.Deflect(ctx, held.ID, "+49 30 555 0100"); err != nil {
		t.Fatal(err)
	}
	res := p.Wait()
	if res.ExitCode != 0 || res.FinalStatus() != 302 {
		t.Fatalf("sipp exit %d, codes %v; want 302", res.ExitCode, res.StatusCodes())
	}
	var contact string
	for _, m := range res.Received() {
		if strings.HasPrefix(m, "SIP/2.0 302") {
			for _, h := range strings.Split(m, "\n") {
				if strings.HasPrefix(strings.ToLower(h), "contact:") || strings.HasPrefix(strings.ToLower(h), "m:") {
					contact = h
				}
			}
		}
	}
	// Berlin from Munich: outside line 0, national prefix 0, 30 5550100.
	if !strings.Contains(contact, "sip:00305550100@") {
		t.Errorf("302 Contact %q, want the dialable 00305550100", contact)
	}
	e := lastEntry(t, st, "line 441")
	checkEntry(t, e, line.OutcomeDeflected, 302, "desk")
}

// TestSessionRefusesWhatTheGroupDoesNotOffer checks line-group properties 3 and 7
// (docs/line-groups.md) through the client interface: deactivated functions are neither offered nor
// accepted, decline is absent and refused when the group hides it, and a function the state forbids
// is refused as such.
func TestSessionRefusesWhatTheGroupDoesNotOffer(t *testing.T) {
	g := line.Group{Name: "Locked", HideDecline: true, PickupCode: "*59<NUMBER>",
		FeatureCodes:      []line.FeatureCode{{Name: "Voicemail", Code: "*86"}},
		DisabledFunctions: []line.Function{line.FuncDial, line.FuncDND, line.FuncPickup, line.FuncFeatureCodes, line.FuncDeflect, line.FuncForward, line.FuncCallWaiting}}
	srv, _ := policyServer(t, []policyLine{{"451", g}})
	el := logOnClient(t, srv, "desk")
	ctx := context.Background()
	name := "line 451"

	ls, err := el.Lines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls[0].Functions) != 0 || len(ls[0].FeatureCodes) != 0 {
		t.Errorf("line offers %v and feature codes %v; want nothing (all deactivated, no redial number)", ls[0].Functions, ls[0].FeatureCodes)
	}
	disabled := func(what string, err error, fn string) {
		t.Helper()
		if !errors.Is(err, line.ErrFunctionDisabled) || !strings.Contains(err.Error(), fn) || !strings.Contains(err.Error(), `"Locked"`) {
			t.Errorf("%s: %v; want refused as deactivated for group \"Locked\", naming %s", what, err, fn)
		}
	}
	_, err = el.Dial(ctx, name, "202")
	disabled("dial", err, `"dial"`)
	disabled("dnd", el.SetDND(ctx, name, true), `"dnd"`)
	_, err = el.Pickup(ctx, name, "202")
	disabled("pickup", err, `"pickup"`)
	_, err = el.FeatureCode(ctx, name, "Voicemail")
	disabled("feature code", err, `"feature_codes"`)
	_, err = el.Redial(ctx, name)
	if !errors.Is(err, line.ErrFunctionState) {
		t.Errorf("redial with nothing dialled: %v, want refused for the state", err)
	}

	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	p := sipptest.Start(tctx, t, "policy_held_cancel.xml", srv.SIPAddr(line.TransportUDP), sipptest.Service("451"),
		sipptest.Key("cancel_header", plainCancel))
	ev := el.wait(t, "ringing at the client", 10*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventCall && ev.Call.State == line.CallRinging
	})
	if fs := ev.Call.Functions; len(fs) != 1 || fs[0] != line.FuncAnswer {
		t.Errorf("ringing call offers %v, want [answer] (decline hidden, deflect deactivated)", fs)
	}
	disabled("decline", el.Decline(ctx, ev.Call.ID, api.DeclineBusy), `"decline"`)
	disabled("deflect", el.Deflect(ctx, ev.Call.ID, "203"), `"deflect"`)
	if err := el.Hold(ctx, ev.Call.ID); !errors.Is(err, line.ErrFunctionState) || !strings.Contains(err.Error(), "ringing") {
		t.Errorf("hold of a ringing call: %v, want refused while ringing", err)
	}
	if err := el.HangUp(ctx, ev.Call.ID); !errors.Is(err, line.ErrFunctionState) {
		t.Errorf("hang up of a ringing call with decline hidden: %v, want refused (it would decline)", err)
	}
	// The caller gives up (SIPp cancels after 1.5 s): the call ends as missed, never declined.
	if res := p.Wait(); res.ExitCode != 0 || res.FinalStatus() != 487 {
		t.Errorf("caller: sipp exit %d, codes %v; want 487 after its cancel", res.ExitCode, res.StatusCodes())
	}
	if err := el.Decline(ctx, "no-such-call", api.DeclineBusy); !errors.Is(err, api.ErrNoCall) {
		t.Errorf("decline of an unknown call: %v, want ErrNoCall", err)
	}
	if err := el.LogOff(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := el.Lines(ctx); !errors.Is(err, api.ErrLoggedOff) {
		t.Errorf("after log-off: %v, want ErrLoggedOff", err)
	}
}

// TestSaveConfigReachesRunningLines checks that saved settings take effect without a restart: a
// group's decline setting applies to the next call, a line whose password changed re-registers
// (and fails), a removed line de-registers, an untouched line keeps its registration, and an
// invalid set-up is refused naming the field, with nothing saved.
func TestSaveConfigReachesRunningLines(t *testing.T) {
	srv, st := policyServer(t, []policyLine{
		{"461", line.Group{Name: "A"}}, {"462", line.Group{Name: "B"}}, {"463", line.Group{Name: "C"}},
	})
	el := logOnClient(t, srv, "admin")
	ctx := context.Background()
	cfg, err := el.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}

	bad := cfg.Clone()
	bad.Groups[0].PickupCode = "*59"
	err = el.SaveConfig(ctx, bad)
	if !errors.Is(err, line.ErrInvalid) || !strings.Contains(err.Error(), "pickup code") || !strings.Contains(err.Error(), "<NUMBER>") {
		t.Errorf("invalid pickup code saved or badly refused: %v", err)
	}
	if saved, _ := st.Config(); saved.Groups[0].PickupCode != "" {
		t.Errorf("the invalid set-up was saved: pickup code %q", saved.Groups[0].PickupCode)
	}

	before := el.count(func(api.Event) bool { return true })
	next := cfg.Clone()
	next.Groups[0].NotLoggedOn = line.ResponseDecline // group A: 603 from now on
	next.Lines[0].DND = true                          // line 461
	next.Lines[1].Account.Password = "wrong"          // line 462 re-registers and fails
	next.Lines = next.Lines[:2]                       // line 463 goes
	if err := el.SaveConfig(ctx, next); err != nil {
		t.Fatal(err)
	}
	el.waitAfter(t, before, "line 462 refused with its new password", 10*time.Second, func(ev api.Event) bool {
		return ev.Type == api.EventLine && ev.Line.Name == "line 462" && ev.Line.Registration == line.RegFailed && ev.Line.RegCode == 401
	})
	for _, r := range srv.Registrations() {
		if r.Line == "line 461" && r.State != line.RegRegistered {
			t.Errorf("line 461 (account unchanged) is %v", r.State)
		}
	}
	if n := el.count(func(ev api.Event) bool {
		return ev.Type == api.EventLine && ev.Line.Name == "line 461" && ev.Line.Registration != line.RegRegistered
	}); n != 0 {
		t.Errorf("line 461 left its registration %d times though its account did not change", n)
	}
	ls, _ := el.Lines(ctx)
	if len(ls) != 2 {
		t.Errorf("%d lines after removing one, want 2", len(ls))
	}
	res := callServer(t, srv, "461", false, "")
	if res.FinalStatus() != 603 {
		t.Errorf("call to line 461 on DND after the change: %v, want 603 from the new group setting", res.StatusCodes())
	}
	if res := callServer(t, srv, "463", false, ""); res.FinalStatus() == 486 || res.FinalStatus() == 180 {
		t.Errorf("the removed line 463 still takes calls: %v", res.StatusCodes())
	}
	if saved, _ := st.Config(); len(saved.Lines) != 2 || !saved.Lines[0].DND {
		t.Errorf("saved set-up: %d lines, line 461 DND %v", len(saved.Lines), saved.Lines[0].DND)
	}
}

// TestLineViewCarriesTheDecision checks, without a PBX, that what the clients are told about a
// line comes from line.DecideIncoming with the server's own state: who is logged on, DND, the
// registration; and that a failed registration carries the registrar's code and phrase as they
// came (the clients word the hint).
func TestLineViewCarriesTheDecision(t *testing.T) {
	cfg := line.Config{
		Groups: []line.Group{{Name: "G", NotLoggedOn: line.ResponseDecline, ClientReject: line.ResponseTemporarilyUnavailable}},
		Lines: []line.Line{{Name: "L", Group: "G", Account: line.Account{Registrar: "127.0.0.1:9", User: "501"}},
			{Name: "Off", Group: "G", Disabled: true, Account: line.Account{Registrar: "127.0.0.1:9", User: "502"}}},
	}
	srv, err := New(cfg, WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	l, off := cfg.Lines[0], cfg.Lines[1]
	check := func(what string, got line.Decision, want string) {
		t.Helper()
		if got.String() != want {
			t.Errorf("%s: %v\n want %s", what, got, want)
		}
	}
	check("nobody logged on", srv.lineView(l).Incoming,
		"not_registered: answer 603 (no_client); decline 480; offers none")
	check("line off", srv.lineView(off).Incoming, "line_off: answer 603 (no_client); decline 480; offers none")

	srv.setState(line.Registration{Line: l.Name, State: line.RegRegistered})
	el := logOnClient(t, srv, "desk")
	check("a client logged on", srv.lineView(l).Incoming,
		"reachable: ring; decline 480; offers answer,decline,deflect")
	if err := el.SetDND(context.Background(), l.Name, true); err != nil {
		t.Fatal(err)
	}
	check("DND", srv.lineView(l).Incoming, "reachable: answer 603 (dnd); decline 480; offers none")

	srv.setState(line.Registration{Line: l.Name, State: line.RegFailed, Code: 403, Reason: "Forbidden"})
	v := srv.lineView(l)
	if v.RegCode != 403 || v.RegReason != "Forbidden" {
		t.Errorf("failed registration: %d %q, want 403 \"Forbidden\" as the registrar sent them", v.RegCode, v.RegReason)
	}
	check("registration failed", v.Incoming, "not_registered: answer 603 (dnd); decline 480; offers none")
}

// TestLastLogOffGivesRingingCallsTheNotLoggedOnResponse checks on the wire that a call ringing
// at the only client gets the group's "not logged on" response when that client logs off: 480
// at once, or with 180 held ringing at the server (180 resent) until the caller cancels.
func TestLastLogOffGivesRingingCallsTheNotLoggedOnResponse(t *testing.T) {
	srv, st := policyServer(t, []policyLine{
		{"471", line.Group{Name: "answer 480", NotLoggedOn: line.ResponseTemporarilyUnavailable}},
		{"472", line.Group{Name: "ring on", NotLoggedOn: line.ResponseRinging}},
	}, WithRingResend(200*time.Millisecond))
	ringThenLogOff := func(t *testing.T, user string) {
		t.Helper()
		el := logOnClient(t, srv, "desk")
		el.wait(t, "ringing at the client", 10*time.Second, func(ev api.Event) bool {
			return ev.Type == api.EventCall && ev.Call.Line == "line "+user && ev.Call.State == line.CallRinging
		})
		if err := el.LogOff(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	caller := func(t *testing.T, scenario, user string, opts ...sipptest.Option) *sipptest.Proc {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t.Cleanup(cancel)
		return sipptest.Start(ctx, t, scenario, srv.SIPAddr(line.TransportUDP), append(opts, sipptest.Service(user))...)
	}

	t.Run("480", func(t *testing.T) {
		p := caller(t, "policy_caller.xml", "471")
		ringThenLogOff(t, "471")
		res := p.Wait()
		if res.ExitCode != 0 || res.FinalStatus() != 480 || count180(res) == 0 {
			t.Fatalf("sipp exit %d, codes %v; want 180 (rang at the client), then 480 at its log-off", res.ExitCode, res.StatusCodes())
		}
		checkEntry(t, lastEntry(t, st, "line 471"), line.OutcomeDeclined, 480, "")
	})

	t.Run("180", func(t *testing.T) {
		p := caller(t, "policy_held_cancel.xml", "472", sipptest.Key("cancel_header", plainCancel))
		ringThenLogOff(t, "472")
		res := p.Wait()
		if res.ExitCode != 0 || res.FinalStatus() != 487 {
			t.Fatalf("sipp exit %d, codes %v; want 180s, then 487 after the caller's cancel", res.ExitCode, res.StatusCodes())
		}
		if n := count180(res); n < 4 {
			t.Errorf("%d 180 Ringing, want the first and at least 3 resent while the server held the call", n)
		}
		checkEntry(t, lastEntry(t, st, "line 472"), line.OutcomeMissed, 0, "")
	})
}

// TestSessionRefusesABadDTMFDigit checks that a digit outside 0-9 * # A-D is refused as bad input,
// wrapping the one sentinel for it (media.ErrBadDigit), before any digit is sent.
func TestSessionRefusesABadDTMFDigit(t *testing.T) {
	a, b := twoParties(t)
	aID, bID := connect(t, a, b)
	err := a.client.SendDTMF(context.Background(), aID, "12E")
	if !errors.Is(err, api.ErrBadInput) || !errors.Is(err, media.ErrBadDigit) {
		t.Fatalf("digits 12E: %v; want bad input wrapping media.ErrBadDigit", err)
	}
	time.Sleep(500 * time.Millisecond)
	calls, err := b.client.Calls(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range calls {
		if c.ID == bID {
			found = true
			if c.DTMFReceived != "" {
				t.Errorf("the far end got digits %q; want none sent", c.DTMFReceived)
			}
		}
	}
	if !found {
		t.Errorf("the far end's call %s is gone", bID)
	}
}
