package line

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// registered is an idle registered line with a client logged on.
var registered = LineView{Enabled: true, Registered: true, LoggedOn: true}

func TestDecideIncomingExamples(t *testing.T) {
	def := Group{Name: "G", NotLoggedOn: ResponseBusyHere, ClientReject: ResponseClientChoice}
	with := func(f func(*Group)) Group {
		g := def
		f(&g)
		return g
	}
	state := func(f func(*LineView)) LineView {
		l := registered
		f(&l)
		return l
	}
	tests := []struct {
		name  string
		g     Group
		l     LineView
		want  string
		code  int
		check func(Decision) bool
	}{
		{"defaults, logged on", def, registered,
			"reachable: ring; decline 486/603; offers answer,decline,deflect", 0, nil},
		{"no client", def, state(func(l *LineView) { l.LoggedOn = false }),
			"reachable: answer 486 (no_client); decline 486/603; offers none", 486, nil},
		{"DND with a client", with(func(g *Group) { g.NotLoggedOn = ResponseDecline }), state(func(l *LineView) { l.DND = true }),
			"reachable: answer 603 (dnd); decline 486/603; offers none", 603, nil},
		{"DND wins over no client", with(func(g *Group) { g.NotLoggedOn = ResponseTemporarilyUnavailable }),
			state(func(l *LineView) { l.DND, l.LoggedOn = true, false }),
			"reachable: answer 480 (dnd); decline 486/603; offers none", 480, nil},
		{"180 holds ringing", with(func(g *Group) { g.NotLoggedOn = ResponseRinging }), state(func(l *LineView) { l.LoggedOn = false }),
			"reachable: hold_ringing 180 (no_client); decline 486/603; offers deflect", 180, nil},
		{"180 without deflect", with(func(g *Group) {
			g.NotLoggedOn = ResponseRinging
			g.DisabledFunctions = []Function{FuncDeflect}
		}), state(func(l *LineView) { l.LoggedOn = false }),
			"reachable: hold_ringing 180 (no_client); decline 486/603; offers none", 180, nil},
		{"waiting call", def, state(func(l *LineView) { l.Calls = 1 }),
			"reachable: ring, waiting; decline 486/603; offers answer,decline,deflect", 0, nil},
		{"decline hidden", with(func(g *Group) { g.HideDecline = true }), registered,
			"reachable: ring; decline not offered; offers answer,deflect", 0, nil},
		{"decline deactivated", with(func(g *Group) { g.DisabledFunctions = []Function{FuncDecline} }), registered,
			"reachable: ring; decline not offered; offers answer,deflect", 0, nil},
		{"fixed 480", with(func(g *Group) { g.ClientReject = ResponseTemporarilyUnavailable }), registered,
			"reachable: ring; decline 480; offers answer,decline,deflect", 0,
			func(d Decision) bool { return d.DeclineWith(true).Code() == 480 && d.DeclineWith(false).Code() == 480 }},
		{"client choice", def, registered, "reachable: ring; decline 486/603; offers answer,decline,deflect", 0,
			func(d Decision) bool { return d.DeclineWith(true).Code() == 486 && d.DeclineWith(false).Code() == 603 }},
		{"decline holds ringing", with(func(g *Group) { g.ClientReject = ResponseRinging }), registered,
			"reachable: ring; decline 180; offers answer,decline,deflect", 0,
			func(d Decision) bool { return d.DeclineWith(true).Code() == 180 }},
		{"unset settings are the defaults", Group{Name: "bare"}, state(func(l *LineView) { l.LoggedOn = false }),
			"reachable: answer 486 (no_client); decline 486/603; offers none", 486, nil},
		{"line off", def, LineView{LoggedOn: true},
			"line_off: ring; decline 486/603; offers answer,decline,deflect", 0, nil},
		{"not registered, nobody there", def, LineView{Enabled: true},
			"not_registered: answer 486 (no_client); decline 486/603; offers none", 486, nil},
		{"forward always", def, state(func(l *LineView) { l.Forward = Forward{Mode: ForwardAlways, Target: " 203 "} }),
			"reachable: forward 302 (forward_always) to 203; decline 486/603; offers none", 302,
			func(d Decision) bool { return d.ForwardTo == "203" && d.ForwardAfter == 0 }},
		{"forward always wins over DND and no client", def,
			state(func(l *LineView) {
				l.DND, l.LoggedOn, l.Forward = true, false, Forward{Mode: ForwardAlways, Target: "203"}
			}),
			"reachable: forward 302 (forward_always) to 203; decline 486/603; offers none", 302, nil},
		{"forward always, deactivated", with(func(g *Group) { g.DisabledFunctions = []Function{FuncForward} }),
			state(func(l *LineView) { l.Forward = Forward{Mode: ForwardAlways, Target: "203"} }),
			"reachable: ring, forwarding ignored (deactivated); decline 486/603; offers answer,decline,deflect", 0,
			func(d Decision) bool { return d.ForwardIgnored && d.ForwardTo == "" }},
		{"forward busy, idle line rings", def, state(func(l *LineView) { l.Forward = Forward{Mode: ForwardBusy, Target: "203"} }),
			"reachable: ring; decline 486/603; offers answer,decline,deflect", 0, nil},
		{"forward busy, line has a call", def,
			state(func(l *LineView) { l.Calls, l.Forward = 1, Forward{Mode: ForwardBusy, Target: "203"} }),
			"reachable: forward 302 (forward_busy) to 203, waiting; decline 486/603; offers none", 302, nil},
		{"forward busy wins over call waiting off", def,
			state(func(l *LineView) {
				l.Calls, l.NoCallWaiting, l.Forward = 1, true, Forward{Mode: ForwardBusy, Target: "203"}
			}),
			"reachable: forward 302 (forward_busy) to 203, waiting; decline 486/603; offers none", 302, nil},
		{"forward no answer rings first", def,
			state(func(l *LineView) { l.Forward = Forward{Mode: ForwardNoAnswer, Target: "203", After: 5} }),
			"reachable: ring, forward after 5s to 203; decline 486/603; offers answer,decline,deflect", 0,
			func(d Decision) bool { return d.ForwardAfter == 5 && d.ForwardTo == "203" }},
		{"forward no answer, default time", def,
			state(func(l *LineView) { l.Forward = Forward{Mode: ForwardNoAnswer, Target: "203"} }),
			"reachable: ring, forward after 20s to 203; decline 486/603; offers answer,decline,deflect", 0, nil},
		{"forward no answer, held ringing", with(func(g *Group) { g.NotLoggedOn = ResponseRinging }),
			state(func(l *LineView) {
				l.LoggedOn, l.Forward = false, Forward{Mode: ForwardNoAnswer, Target: "203", After: 5}
			}),
			"reachable: hold_ringing 180 (no_client), forward after 5s to 203; decline 486/603; offers deflect", 180, nil},
		{"forward no answer, nobody could answer", def,
			state(func(l *LineView) { l.DND, l.Forward = true, Forward{Mode: ForwardNoAnswer, Target: "203", After: 5} }),
			"reachable: forward 302 (forward_no_answer) to 203; decline 486/603; offers none", 302, nil},
		{"call waiting off", def, state(func(l *LineView) { l.Calls, l.NoCallWaiting = 1, true }),
			"reachable: answer 486 (no_call_waiting), waiting; decline 486/603; offers none", 486, nil},
		{"call waiting deactivated", with(func(g *Group) { g.DisabledFunctions = []Function{FuncCallWaiting} }),
			state(func(l *LineView) { l.Calls = 2 }),
			"reachable: answer 486 (no_call_waiting), waiting; decline 486/603; offers none", 486, nil},
		{"call waiting off, the group's 603", with(func(g *Group) { g.NotLoggedOn = ResponseDecline }),
			state(func(l *LineView) { l.Calls, l.NoCallWaiting = 1, true }),
			"reachable: answer 603 (no_call_waiting), waiting; decline 486/603; offers none", 603, nil},
		{"call waiting off, the group holds ringing: busy", with(func(g *Group) { g.NotLoggedOn = ResponseRinging }),
			state(func(l *LineView) { l.Calls, l.NoCallWaiting = 1, true }),
			"reachable: answer 486 (no_call_waiting), waiting; decline 486/603; offers none", 486, nil},
		{"call waiting off, idle line rings", def, state(func(l *LineView) { l.NoCallWaiting = true }),
			"reachable: ring; decline 486/603; offers answer,decline,deflect", 0, nil},
		{"call waiting off, no answer forwards the second call", def,
			state(func(l *LineView) {
				l.Calls, l.NoCallWaiting, l.Forward = 1, true, Forward{Mode: ForwardNoAnswer, Target: "203"}
			}),
			"reachable: forward 302 (forward_no_answer) to 203, waiting; decline 486/603; offers none", 302, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DecideIncoming(tc.g, tc.l)
			if got := d.String(); got != tc.want {
				t.Errorf("DecideIncoming = %q\n                want %q", got, tc.want)
			}
			if d.Code() != tc.code {
				t.Errorf("Code() = %d, want %d", d.Code(), tc.code)
			}
			if tc.check != nil && !tc.check(d) {
				t.Errorf("check failed on %+v: decline codes busy %d, decline %d", d, d.DeclineWith(true).Code(), d.DeclineWith(false).Code())
			}
		})
	}
}

// TestDecideIncomingEveryCombination walks every combination of the settings and states a line
// can be in and checks each rule of README.md "Line groups at work" on the decision.
func TestDecideIncomingEveryCombination(t *testing.T) {
	notLoggedOn := []Response{ResponseBusyHere, ResponseTemporarilyUnavailable, ResponseDecline, ResponseRinging}
	clientReject := []Response{ResponseClientChoice, ResponseBusyHere, ResponseTemporarilyUnavailable, ResponseDecline, ResponseRinging}
	reaches := []struct {
		enabled, registered bool
		want                Reach
	}{{false, false, ReachLineOff}, {false, true, ReachLineOff}, {true, false, ReachNotRegistered}, {true, true, Reachable}}
	n := 0
	for _, nlo := range notLoggedOn {
		for _, cr := range clientReject {
			for _, hide := range []bool{false, true} {
				for _, declineOff := range []bool{false, true} {
					for _, deflectOff := range []bool{false, true} {
						for _, r := range reaches {
							for _, loggedOn := range []bool{false, true} {
								for _, dnd := range []bool{false, true} {
									for _, calls := range []int{0, 1, 3} {
										g := Group{Name: "G", NotLoggedOn: nlo, ClientReject: cr, HideDecline: hide}
										if declineOff {
											g.DisabledFunctions = append(g.DisabledFunctions, FuncDecline)
										}
										if deflectOff {
											g.DisabledFunctions = append(g.DisabledFunctions, FuncDeflect)
										}
										l := LineView{Enabled: r.enabled, Registered: r.registered, LoggedOn: loggedOn, DND: dnd, Calls: calls}
										checkDecision(t, g, l, r.want)
										n++
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if n != 4*5*2*2*2*4*2*2*3 {
		t.Errorf("%d combinations checked", n)
	}
}

func checkDecision(t *testing.T, g Group, l LineView, reach Reach) {
	t.Helper()
	d := DecideIncoming(g, l)
	ctx := fmt.Sprintf("group %+v, line %+v: %v", g, l, d)
	if d.Reach != reach {
		t.Errorf("%s: reach %v, want %v", ctx, d.Reach, reach)
	}
	if !d.equal(DecideIncoming(g, l)) {
		t.Errorf("%s: not the same decision twice", ctx)
	}
	if d.Waiting != (l.Calls > 0) {
		t.Errorf("%s: waiting %v with %d calls", ctx, d.Waiting, l.Calls)
	}
	serverTakes := !l.LoggedOn || l.DND
	switch {
	case !serverTakes:
		if d.Action != ActionRing || d.Cause != CauseNone || d.Answer != ResponseUnset || d.Code() != 0 {
			t.Errorf("%s: a client is there and no DND, want the call to ring at the clients", ctx)
		}
	case g.NotLoggedOn == ResponseRinging:
		if d.Action != ActionHoldRinging || d.Code() != 180 {
			t.Errorf("%s: want the server to hold the call ringing with 180", ctx)
		}
	default:
		if d.Action != ActionAnswer || d.Answer != g.NotLoggedOn || d.Code() != g.NotLoggedOn.Code() {
			t.Errorf("%s: want the server to answer %d", ctx, g.NotLoggedOn.Code())
		}
	}
	switch {
	case l.DND && d.Cause != CauseDND:
		t.Errorf("%s: DND is on, cause %v", ctx, d.Cause)
	case !l.DND && !l.LoggedOn && d.Cause != CauseNoClient:
		t.Errorf("%s: no client, cause %v", ctx, d.Cause)
	}

	declineOffered := g.FunctionEnabled(FuncDecline) && !g.HideDecline
	switch {
	case !declineOffered && d.Decline != ResponseUnset:
		t.Errorf("%s: decline is hidden or deactivated, yet it sends %v", ctx, d.Decline)
	case declineOffered && d.Decline != g.ClientReject:
		t.Errorf("%s: decline sends %v, the group says %v", ctx, d.Decline, g.ClientReject)
	}
	wantBusy, wantDecline := g.ClientReject.Code(), g.ClientReject.Code()
	if g.ClientReject == ResponseClientChoice {
		wantBusy, wantDecline = 486, 603
	}
	if !declineOffered {
		wantBusy, wantDecline = 0, 0
	}
	if d.DeclineWith(true).Code() != wantBusy || d.DeclineWith(false).Code() != wantDecline {
		t.Errorf("%s: decline sends %d (busy) %d (decline), want %d %d", ctx, d.DeclineWith(true).Code(), d.DeclineWith(false).Code(), wantBusy, wantDecline)
	}

	var offers []Function
	deflect := g.FunctionEnabled(FuncDeflect)
	switch d.Action {
	case ActionRing:
		offers = append(offers, FuncAnswer)
		if declineOffered {
			offers = append(offers, FuncDecline)
		}
		if deflect {
			offers = append(offers, FuncDeflect)
		}
	case ActionHoldRinging:
		if deflect {
			offers = append(offers, FuncDeflect)
		}
	}
	if !slices.Equal(d.Offers, offers) || d.Offers == nil {
		t.Errorf("%s: offers %v, want %v", ctx, d.Offers, offers)
	}
	for _, f := range Functions() {
		if d.Offered(f) != slices.Contains(offers, f) {
			t.Errorf("%s: Offered(%v) = %v", ctx, f, d.Offered(f))
		}
	}
}

// equal compares two decisions field by field (Offers is a slice).
func (d Decision) equal(o Decision) bool {
	return d.Reach == o.Reach && d.Action == o.Action && d.Cause == o.Cause && d.Answer == o.Answer &&
		d.Waiting == o.Waiting && d.Decline == o.Decline && slices.Equal(d.Offers, o.Offers)
}

// TestDecideIncomingForwardingEveryCombination walks the forwarding rules and the call waiting
// switch over the line states and checks who takes the call.
func TestDecideIncomingForwardingEveryCombination(t *testing.T) {
	n := 0
	for _, mode := range []ForwardMode{ForwardOff, ForwardAlways, ForwardBusy, ForwardNoAnswer} {
		for _, target := range []string{"", "203"} {
			for _, fwdOff := range []bool{false, true} {
				for _, cwOff := range []bool{false, true} {
					for _, noCW := range []bool{false, true} {
						for _, nlo := range []Response{ResponseBusyHere, ResponseDecline, ResponseRinging} {
							for _, loggedOn := range []bool{false, true} {
								for _, dnd := range []bool{false, true} {
									for _, calls := range []int{0, 1} {
										g := Group{Name: "G", NotLoggedOn: nlo}
										if fwdOff {
											g.DisabledFunctions = append(g.DisabledFunctions, FuncForward)
										}
										if cwOff {
											g.DisabledFunctions = append(g.DisabledFunctions, FuncCallWaiting)
										}
										l := LineView{Enabled: true, Registered: true, LoggedOn: loggedOn, DND: dnd, Calls: calls,
											NoCallWaiting: noCW, Forward: Forward{Mode: mode, Target: target, After: 7}}
										checkForwarding(t, g, l)
										n++
									}
								}
							}
						}
					}
				}
			}
		}
	}
	if n != 4*2*2*2*2*3*2*2*2 {
		t.Errorf("%d combinations checked", n)
	}
}

func checkForwarding(t *testing.T, g Group, l LineView) {
	t.Helper()
	d := DecideIncoming(g, l)
	ctx := fmt.Sprintf("group %+v, line %+v: %v", g, l, d)
	rule := l.Forward.Mode != ForwardOff && l.Forward.Target != ""
	applies := rule && g.FunctionEnabled(FuncForward)
	if d.ForwardIgnored != (rule && !applies) {
		t.Errorf("%s: forward ignored %v", ctx, d.ForwardIgnored)
	}
	noWaiting := l.Calls > 0 && (l.NoCallWaiting || !g.FunctionEnabled(FuncCallWaiting))
	serverAnswers := l.DND || !l.LoggedOn || noWaiting
	var want Cause
	switch {
	case applies && l.Forward.Mode == ForwardAlways:
		want = CauseForwardAlways
	case applies && l.Forward.Mode == ForwardBusy && l.Calls > 0:
		want = CauseForwardBusy
	case applies && l.Forward.Mode == ForwardNoAnswer && serverAnswers && !(g.NotLoggedOn == ResponseRinging && (l.DND || !l.LoggedOn)):
		// Nobody could answer it and the server would not hold it ringing.
		want = CauseForwardNoAnswer
	}
	if want != CauseNone {
		if d.Action != ActionForward || d.Cause != want || d.Code() != 302 || d.ForwardTo != "203" || len(d.Offers) != 0 {
			t.Errorf("%s: want forward 302 (%v) to 203", ctx, want)
		}
		return
	}
	if d.Action == ActionForward {
		t.Errorf("%s: forwarded, want no forwarding", ctx)
	}
	ringsOn := d.Action == ActionRing || d.Action == ActionHoldRinging
	if wantAfter := applies && l.Forward.Mode == ForwardNoAnswer && ringsOn; (d.ForwardAfter == 7) != wantAfter ||
		(d.ForwardTo != "") != wantAfter {
		t.Errorf("%s: forward after %v to %q, want a timer %v", ctx, d.ForwardAfter, d.ForwardTo, wantAfter)
	}
	if noWaiting && !l.DND && l.LoggedOn {
		wantCode := g.NotLoggedOn.Code()
		if g.NotLoggedOn == ResponseRinging {
			wantCode = 486
		}
		if d.Action != ActionAnswer || d.Cause != CauseNoCallWaiting || d.Code() != wantCode {
			t.Errorf("%s: no call waiting, want answer %d", ctx, wantCode)
		}
	}
	if !serverAnswers && d.Action != ActionRing {
		t.Errorf("%s: want the call to ring", ctx)
	}
}

func TestDecideIncomingAnswersDefaultForBadSetting(t *testing.T) {
	// Validation refuses "486/603" for not_logged_on; should one reach the server all the same,
	// the call is answered with the documented default rather than rung at nobody.
	d := DecideIncoming(Group{NotLoggedOn: ResponseClientChoice}, LineView{Enabled: true, Registered: true})
	if d.Action != ActionAnswer || d.Code() != 486 {
		t.Errorf("not_logged_on 486/603 with no client: %v, want answer 486", d)
	}
}

func TestDecisionEnumsText(t *testing.T) {
	type enum interface {
		String() string
		MarshalText() ([]byte, error)
	}
	tests := []struct {
		v    enum
		text string
		back func([]byte) (enum, error)
	}{
		{ActionRing, "ring", func(b []byte) (enum, error) { var a Action; err := a.UnmarshalText(b); return a, err }},
		{ActionAnswer, "answer", func(b []byte) (enum, error) { var a Action; err := a.UnmarshalText(b); return a, err }},
		{ActionHoldRinging, "hold_ringing", func(b []byte) (enum, error) { var a Action; err := a.UnmarshalText(b); return a, err }},
		{CauseNone, "none", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{CauseNoClient, "no_client", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{CauseDND, "dnd", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{ActionForward, "forward", func(b []byte) (enum, error) { var a Action; err := a.UnmarshalText(b); return a, err }},
		{CauseForwardAlways, "forward_always", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{CauseForwardBusy, "forward_busy", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{CauseForwardNoAnswer, "forward_no_answer", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{CauseNoCallWaiting, "no_call_waiting", func(b []byte) (enum, error) { var c Cause; err := c.UnmarshalText(b); return c, err }},
		{Reachable, "reachable", func(b []byte) (enum, error) { var r Reach; err := r.UnmarshalText(b); return r, err }},
		{ReachLineOff, "line_off", func(b []byte) (enum, error) { var r Reach; err := r.UnmarshalText(b); return r, err }},
		{ReachNotRegistered, "not_registered", func(b []byte) (enum, error) { var r Reach; err := r.UnmarshalText(b); return r, err }},
	}
	for _, tc := range tests {
		b, err := tc.v.MarshalText()
		if err != nil || string(b) != tc.text || tc.v.String() != tc.text {
			t.Errorf("%v: MarshalText %q, %v; String %q; want %q", tc.v, b, err, tc.v.String(), tc.text)
		}
		back, err := tc.back([]byte(" " + tc.text))
		if err != nil || back != tc.v {
			t.Errorf("UnmarshalText(%q) = %v, %v", tc.text, back, err)
		}
		if _, err := tc.back([]byte("unknown")); !errors.Is(err, ErrUnknownValue) {
			t.Errorf("%T reads \"unknown\": %v", tc.v, err)
		}
	}
	for _, v := range []enum{ActionUnknown, Action(9), ReachUnknown, Reach(-1), Cause(7)} {
		if b, err := v.MarshalText(); !errors.Is(err, ErrUnknownValue) {
			t.Errorf("%T(%v).MarshalText() = %q, %v; want ErrUnknownValue", v, v, b, err)
		}
	}
	if Action(9).String() != "Action(9)" || Reach(-1).String() != "Reach(-1)" || Cause(7).String() != "Cause(7)" {
		t.Errorf("unknown values print %q %q %q", Action(9), Reach(-1), Cause(7))
	}
}

func TestResponsePhrase(t *testing.T) {
	for r, want := range map[Response]string{ResponseBusyHere: "Busy Here", ResponseTemporarilyUnavailable: "Temporarily Unavailable",
		ResponseDecline: "Decline", ResponseRinging: "Ringing", ResponseUnset: ""} {
		if got := r.Phrase(); got != want {
			t.Errorf("%v.Phrase() = %q, want %q", r, got, want)
		}
	}
}
