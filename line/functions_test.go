package line

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fullGroup is a group that offers everything: every function active, feature codes and a pickup
// code set, decline shown.
func fullGroup() Group {
	return Group{
		Name: "Sales",
		FeatureCodes: []FeatureCode{
			{Name: "Call forwarding off", Code: "#21#"},
			{Name: "Voicemail", Code: "*86"},
		},
		PickupCode: "*59<NUMBER>",
		Voicemail:  "*97",
	}
}

func without(fs []Function, f Function) []Function {
	var out []Function
	for _, x := range fs {
		if x != f {
			out = append(out, x)
		}
	}
	return out
}

func contains(fs []Function, f Function) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

// lineViewCases lists every line state with what a user must be offered there, written out by hand
// from line-group properties 7 and 8 (docs/line-groups.md): a switched-off line offers nothing; an
// unregistered line only DND and forwarding (the server acts on both); a registered line dial, DND,
// pickup, redial, forwarding, call waiting and voicemail, and feature codes only while it has no
// call.
var lineViewCases = []struct {
	name  string
	view  LineView
	state string // how the refusal names the state
	want  []Function
}{
	{"off", LineView{Enabled: false, Registered: true, HasRedial: true}, "the line is switched off", nil},
	{"off with call", LineView{Enabled: false, Registered: true, Calls: 1, HasRedial: true}, "the line is switched off", nil},
	{"unregistered", LineView{Enabled: true, HasRedial: true}, "the line is not registered",
		[]Function{FuncDND, FuncForward}},
	{"unregistered on DND", LineView{Enabled: true, DND: true, HasRedial: true}, "the line is not registered",
		[]Function{FuncDND, FuncForward}},
	{"idle", LineView{Enabled: true, Registered: true, HasRedial: true}, "the line has no call",
		[]Function{FuncDial, FuncDND, FuncPickup, FuncFeatureCodes, FuncRedial, FuncForward, FuncCallWaiting, FuncVoicemail}},
	{"idle on DND", LineView{Enabled: true, Registered: true, DND: true, HasRedial: true}, "the line has no call",
		[]Function{FuncDial, FuncDND, FuncPickup, FuncFeatureCodes, FuncRedial, FuncForward, FuncCallWaiting, FuncVoicemail}},
	{"idle without last number", LineView{Enabled: true, Registered: true}, "the line has no last dialled number",
		[]Function{FuncDial, FuncDND, FuncPickup, FuncFeatureCodes, FuncForward, FuncCallWaiting, FuncVoicemail}},
	{"one call", LineView{Enabled: true, Registered: true, Calls: 1, HasRedial: true}, "the line has a call",
		[]Function{FuncDial, FuncDND, FuncPickup, FuncRedial, FuncForward, FuncCallWaiting, FuncVoicemail}},
	{"two calls", LineView{Enabled: true, Registered: true, Calls: 2, HasRedial: true}, "the line has a call",
		[]Function{FuncDial, FuncDND, FuncPickup, FuncRedial, FuncForward, FuncCallWaiting, FuncVoicemail}},
}

// callStateCases lists every call state in both directions with what a user must be offered, by hand
// from the brief: answer, decline and deflect only on an incoming call ringing here; hang up on any
// call not ended; hold when connected; retrieve when held; DTMF when connected or held. Incoming
// dialing/alerting and outgoing ringing do not occur in practice but must still be answered safely.
var callStateCases = []struct {
	dir   CallDirection
	state CallState
	want  []Function
}{
	{Incoming, CallDialing, []Function{FuncHangUp}},
	{Incoming, CallAlerting, []Function{FuncHangUp}},
	{Incoming, CallRinging, []Function{FuncAnswer, FuncDecline, FuncDeflect}},
	{Incoming, CallConnected, []Function{FuncHangUp, FuncHold, FuncDTMF, FuncTransfer, FuncConference}},
	{Incoming, CallHeld, []Function{FuncHangUp, FuncRetrieve, FuncDTMF, FuncTransfer, FuncConference}},
	{Incoming, CallEnded, nil},
	{Outgoing, CallDialing, []Function{FuncHangUp}},
	{Outgoing, CallAlerting, []Function{FuncHangUp}},
	{Outgoing, CallRinging, []Function{FuncHangUp}},
	{Outgoing, CallConnected, []Function{FuncHangUp, FuncHold, FuncDTMF, FuncTransfer, FuncConference}},
	{Outgoing, CallHeld, []Function{FuncHangUp, FuncRetrieve, FuncDTMF, FuncTransfer, FuncConference}},
	{Outgoing, CallEnded, nil},
}

func TestEveryFunctionIsLineOrCallLevel(t *testing.T) {
	line := []Function{FuncDial, FuncDND, FuncPickup, FuncFeatureCodes, FuncRedial, FuncForward, FuncCallWaiting, FuncVoicemail}
	for _, f := range Functions() {
		if got, want := IsCallFunction(f), !contains(line, f); got != want {
			t.Errorf("IsCallFunction(%s) = %v, want %v", f, got, want)
		}
	}
}

func TestLineFunctionsEveryState(t *testing.T) {
	for _, tc := range lineViewCases {
		t.Run(tc.name, func(t *testing.T) {
			g := fullGroup()
			if got := LineFunctions(g, tc.view); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("LineFunctions = %v, want %v", got, tc.want)
			}
			for _, f := range Functions() {
				err := CheckLineFunction(g, tc.view, f)
				switch {
				case IsCallFunction(f):
					if !errors.Is(err, ErrUnknownValue) {
						t.Errorf("%s: CheckLineFunction of a call function = %v, want ErrUnknownValue", f, err)
					}
				case contains(tc.want, f):
					if err != nil {
						t.Errorf("%s: CheckLineFunction = %v, want offered", f, err)
					}
				default:
					if !errors.Is(err, ErrFunctionState) || errors.Is(err, ErrFunctionDisabled) {
						t.Errorf("%s: CheckLineFunction = %v, want ErrFunctionState only", f, err)
						continue
					}
					want := f.String() + " is not possible while " + tc.state
					if err.Error() != want {
						t.Errorf("%s: message %q, want %q", f, err, want)
					}
				}
			}
		})
	}
}

func TestLineFunctionsDeactivated(t *testing.T) {
	for _, tc := range lineViewCases {
		for _, off := range Functions() {
			if IsCallFunction(off) {
				continue
			}
			g := fullGroup()
			g.DisabledFunctions = []Function{off}
			want := without(tc.want, off)
			if got := LineFunctions(g, tc.view); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, %s deactivated: LineFunctions = %v, want %v", tc.name, off, got, want)
			}
			// Deactivated wins over the state: the message says it is deactivated in every state.
			err := CheckLineFunction(g, tc.view, off)
			if !errors.Is(err, ErrFunctionDisabled) || errors.Is(err, ErrFunctionState) {
				t.Errorf("%s, %s deactivated: CheckLineFunction = %v, want ErrFunctionDisabled", tc.name, off, err)
				continue
			}
			if msg := `function "` + off.String() + `" is deactivated for group "Sales"`; err.Error() != msg {
				t.Errorf("%s: message %q, want %q", tc.name, err, msg)
			}
			var fe *FunctionError
			if !errors.As(err, &fe) || fe.Function != off || fe.Group != "Sales" {
				t.Errorf("%s: error %#v does not name function %s and group Sales", tc.name, err, off)
			}
		}
	}
}

func TestCallFunctionsEveryState(t *testing.T) {
	for _, tc := range callStateCases {
		name := tc.dir.String() + " " + tc.state.String()
		t.Run(name, func(t *testing.T) {
			g := fullGroup()
			c := Call{ID: "c1", Line: "desk", Direction: tc.dir, State: tc.state}
			if got := CallFunctions(g, c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CallFunctions = %v, want %v", got, tc.want)
			}
			for _, f := range Functions() {
				err := CheckCallFunction(g, c, f)
				switch {
				case !IsCallFunction(f):
					if !errors.Is(err, ErrUnknownValue) {
						t.Errorf("%s: CheckCallFunction of a line function = %v, want ErrUnknownValue", f, err)
					}
				case contains(tc.want, f):
					if err != nil {
						t.Errorf("%s: CheckCallFunction = %v, want offered", f, err)
					}
				default:
					if !errors.Is(err, ErrFunctionState) || errors.Is(err, ErrFunctionDisabled) {
						t.Errorf("%s: CheckCallFunction = %v, want ErrFunctionState only", f, err)
						continue
					}
					msg := err.Error()
					if !strings.HasPrefix(msg, f.String()+" is not possible while the ") ||
						!strings.HasSuffix(msg, "call is "+tc.state.String()) {
						t.Errorf("%s: message %q does not name the function and the state %s", f, msg, tc.state)
					}
				}
			}
		})
	}
}

func TestCallFunctionsDeactivated(t *testing.T) {
	for _, tc := range callStateCases {
		for _, off := range Functions() {
			if !IsCallFunction(off) {
				continue
			}
			g := fullGroup()
			g.DisabledFunctions = []Function{FuncRedial, off}
			c := Call{Direction: tc.dir, State: tc.state}
			want := without(tc.want, off)
			if got := CallFunctions(g, c); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s, %s deactivated: CallFunctions = %v, want %v", tc.dir, tc.state, off, got, want)
			}
			err := CheckCallFunction(g, c, off)
			if !errors.Is(err, ErrFunctionDisabled) || errors.Is(err, ErrFunctionState) {
				t.Errorf("%s %s, %s deactivated: CheckCallFunction = %v, want ErrFunctionDisabled", tc.dir, tc.state, off, err)
				continue
			}
			if msg := `function "` + off.String() + `" is deactivated for group "Sales"`; err.Error() != msg {
				t.Errorf("message %q, want %q", err, msg)
			}
		}
	}
}

func TestHideDecline(t *testing.T) {
	for _, tc := range callStateCases {
		g := fullGroup()
		g.HideDecline = true
		c := Call{Direction: tc.dir, State: tc.state}
		want := without(tc.want, FuncDecline)
		if got := CallFunctions(g, c); !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s: CallFunctions = %v, want %v", tc.dir, tc.state, got, want)
		}
		err := CheckCallFunction(g, c, FuncDecline)
		if !errors.Is(err, ErrFunctionDisabled) {
			t.Errorf("%s %s: CheckCallFunction(decline) = %v, want ErrFunctionDisabled", tc.dir, tc.state, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, `"decline"`) || !strings.Contains(msg, "hidden") ||
			!strings.Contains(msg, `"Sales"`) {
			t.Errorf("message %q does not say decline is hidden for the group", msg)
		}
	}
	// Hiding decline leaves the other functions of a ringing call alone, and hang up, which would
	// reject the call all the same, is not offered on it either.
	g := fullGroup()
	g.HideDecline = true
	got := CallFunctions(g, Call{Direction: Incoming, State: CallRinging})
	if want := []Function{FuncAnswer, FuncDeflect}; !reflect.DeepEqual(got, want) {
		t.Errorf("ringing with decline hidden: %v, want %v", got, want)
	}
}

func TestCheckMessages(t *testing.T) {
	g := fullGroup()
	g.DisabledFunctions = []Function{FuncDeflect}
	tests := []struct {
		err  error
		is   error
		want string
	}{
		{CheckCallFunction(g, Call{Direction: Incoming, State: CallRinging}, FuncDeflect),
			ErrFunctionDisabled, `function "deflect" is deactivated for group "Sales"`},
		{CheckCallFunction(g, Call{Direction: Incoming, State: CallRinging}, FuncHold),
			ErrFunctionState, "hold is not possible while the call is ringing"},
		{CheckCallFunction(g, Call{Direction: Outgoing, State: CallAlerting}, FuncAnswer),
			ErrFunctionState, "answer is not possible while the call is alerting"},
		// Only the direction is wrong: the message says which direction.
		{CheckCallFunction(g, Call{Direction: Outgoing, State: CallRinging}, FuncAnswer),
			ErrFunctionState, "answer is not possible while the outgoing call is ringing"},
		{CheckCallFunction(g, Call{Direction: Incoming, State: CallEnded}, FuncHangUp),
			ErrFunctionState, "hangup is not possible while the call is ended"},
		{CheckLineFunction(g, LineView{Enabled: true, Registered: true, Calls: 1}, FuncFeatureCodes),
			ErrFunctionState, "feature_codes is not possible while the line has a call"},
		{CheckLineFunction(g, LineView{Enabled: true}, FuncDial),
			ErrFunctionState, "dial is not possible while the line is not registered"},
		{CheckLineFunction(g, LineView{Enabled: true, Registered: true}, FuncRedial),
			ErrFunctionState, "redial is not possible while the line has no last dialled number"},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.is) {
			t.Errorf("%v: want %v", tc.err, tc.is)
		}
		if tc.err == nil || tc.err.Error() != tc.want {
			t.Errorf("message %v, want %q", tc.err, tc.want)
		}
	}
}

func TestFunctionStateErrorFields(t *testing.T) {
	err := CheckCallFunction(fullGroup(), Call{Direction: Outgoing, State: CallHeld}, FuncHold)
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FunctionError", err)
	}
	if fe.Function != FuncHold || fe.State != "the call is held" || fe.Group != "" {
		t.Errorf("FunctionError = %+v", fe)
	}
}

func TestGroupWithoutCodes(t *testing.T) {
	idle := LineView{Enabled: true, Registered: true, HasRedial: true}
	g := Group{Name: "Bare"}
	if got, want := LineFunctions(g, idle), []Function{FuncDial, FuncDND, FuncRedial, FuncForward, FuncCallWaiting}; !reflect.DeepEqual(got, want) {
		t.Errorf("LineFunctions without codes = %v, want %v", got, want)
	}
	err := CheckLineFunction(g, idle, FuncPickup)
	if !errors.Is(err, ErrNoPickupCode) || !errors.Is(err, ErrFunctionDisabled) {
		t.Errorf("pickup without code: %v, want ErrNoPickupCode and ErrFunctionDisabled", err)
	} else if !strings.Contains(err.Error(), "pickup") || !strings.Contains(err.Error(), `"Bare"`) {
		t.Errorf("message %q does not name pickup and the group", err)
	}
	err = CheckLineFunction(g, idle, FuncFeatureCodes)
	if !errors.Is(err, ErrNoFeatureCodes) || !errors.Is(err, ErrFunctionDisabled) {
		t.Errorf("feature codes without any: %v, want ErrNoFeatureCodes and ErrFunctionDisabled", err)
	}
}

func TestUnknownFunctionValues(t *testing.T) {
	for _, f := range []Function{-1, Function(len(Functions())), 99} {
		if err := CheckLineFunction(fullGroup(), LineView{Enabled: true, Registered: true}, f); !errors.Is(err, ErrUnknownValue) {
			t.Errorf("CheckLineFunction(%d) = %v, want ErrUnknownValue", int(f), err)
		}
		if err := CheckCallFunction(fullGroup(), Call{State: CallConnected}, f); !errors.Is(err, ErrUnknownValue) {
			t.Errorf("CheckCallFunction(%d) = %v, want ErrUnknownValue", int(f), err)
		}
	}
	// A call in a state or direction outside the enumerations is offered nothing.
	for _, c := range []Call{{State: CallState(-1)}, {State: CallState(42)}, {Direction: CallDirection(7), State: CallConnected}} {
		if got := CallFunctions(fullGroup(), c); len(got) != 0 {
			t.Errorf("CallFunctions(%+v) = %v, want none", c, got)
		}
		if err := CheckCallFunction(fullGroup(), c, FuncHangUp); !errors.Is(err, ErrFunctionState) {
			t.Errorf("CheckCallFunction(%+v, hangup) = %v, want ErrFunctionState", c, err)
		}
	}
}

func TestFeatureCode(t *testing.T) {
	g := fullGroup()
	fc, err := g.FeatureCode("Call forwarding off")
	if err != nil {
		t.Fatalf("FeatureCode: %v", err)
	}
	if fc.Code != "#21#" || fc.Name != "Call forwarding off" {
		t.Errorf("FeatureCode = %+v, want #21#", fc)
	}
	if fc, err := g.FeatureCode("Voicemail"); err != nil || fc.Code != "*86" {
		t.Errorf("FeatureCode(Voicemail) = %+v, %v", fc, err)
	}

	// Names are matched as offered.
	for _, name := range []string{"call forwarding off", "Call forwarding", "", "Nope"} {
		_, err := g.FeatureCode(name)
		if !errors.Is(err, ErrUnknownFeatureCode) {
			t.Errorf("FeatureCode(%q) = %v, want ErrUnknownFeatureCode", name, err)
		} else if !strings.Contains(err.Error(), `"`+name+`"`) || !strings.Contains(err.Error(), `"Sales"`) {
			t.Errorf("message %q does not name the code and the group", err)
		}
	}

	off := fullGroup()
	off.DisabledFunctions = []Function{FuncFeatureCodes}
	if _, err := off.FeatureCode("Voicemail"); !errors.Is(err, ErrFunctionDisabled) {
		t.Errorf("deactivated: %v, want ErrFunctionDisabled", err)
	}
	none := Group{Name: "Bare"}
	if _, err := none.FeatureCode("Voicemail"); !errors.Is(err, ErrNoFeatureCodes) {
		t.Errorf("no codes: %v, want ErrNoFeatureCodes", err)
	}
}

func TestPickupDial(t *testing.T) {
	tests := []struct {
		code, number, want string
	}{
		{"*59<NUMBER>", "201", "*59201"},
		{"*59<NUMBER>", " 201 ", "*59201"},
		{"<NUMBER>#", "0891234567", "0891234567#"},
		{"**<NUMBER>*1", "20*1#", "**20*1#*1"},
		{"#8<NUMBER>", "#", "#8#"},
	}
	for _, tc := range tests {
		g := Group{Name: "Sales", PickupCode: tc.code}
		got, err := g.PickupDial(tc.number)
		if err != nil || got != tc.want {
			t.Errorf("%q.PickupDial(%q) = %q, %v; want %q", tc.code, tc.number, got, err, tc.want)
		}
	}
}

func TestPickupDialErrors(t *testing.T) {
	g := Group{Name: "Sales", PickupCode: "*59<NUMBER>"}
	for _, n := range []string{"", "   ", "20a", "+49891234", "2 01", "201;x", "<NUMBER>", "２０１",
		strings.Repeat("1", 33)} {
		got, err := g.PickupDial(n)
		if !errors.Is(err, ErrInvalidNumber) || got != "" {
			t.Errorf("PickupDial(%q) = %q, %v; want ErrInvalidNumber", n, got, err)
		} else if !strings.Contains(err.Error(), "pickup number") {
			t.Errorf("message %q does not name the pickup number", err)
		}
	}
	if got, err := g.PickupDial(strings.Repeat("1", 32)); err != nil || got != "*59"+strings.Repeat("1", 32) {
		t.Errorf("32 digits: %q, %v", got, err)
	}

	none := Group{Name: "Sales"}
	_, err := none.PickupDial("201")
	if !errors.Is(err, ErrNoPickupCode) || !errors.Is(err, ErrFunctionDisabled) {
		t.Errorf("no pickup code: %v, want ErrNoPickupCode", err)
	} else if !strings.Contains(err.Error(), `"Sales"`) {
		t.Errorf("message %q does not name the group", err)
	}

	off := g
	off.DisabledFunctions = []Function{FuncPickup}
	if _, err := off.PickupDial("201"); !errors.Is(err, ErrFunctionDisabled) || errors.Is(err, ErrNoPickupCode) {
		t.Errorf("pickup deactivated: %v, want ErrFunctionDisabled", err)
	}

	for _, code := range []string{"*59", "*59<NUMBER><NUMBER>"} {
		bad := Group{Name: "Sales", PickupCode: code}
		if _, err := bad.PickupDial("201"); !errors.Is(err, ErrInvalid) {
			t.Errorf("pickup code %q: %v, want ErrInvalid", code, err)
		}
	}
}

// The group is passed by value: checking and listing never change it.
func TestChecksLeaveGroupAlone(t *testing.T) {
	g := fullGroup()
	g.DisabledFunctions = []Function{FuncHold}
	before := g
	before.DisabledFunctions = append([]Function(nil), g.DisabledFunctions...)
	before.FeatureCodes = append([]FeatureCode(nil), g.FeatureCodes...)
	LineFunctions(g, LineView{Enabled: true, Registered: true})
	CallFunctions(g, Call{State: CallConnected})
	_, _ = g.PickupDial("201")
	_, _ = g.FeatureCode("Voicemail")
	if !reflect.DeepEqual(g, before) {
		t.Errorf("group changed: %+v, was %+v", g, before)
	}
}
