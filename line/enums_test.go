package line

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestResponseText(t *testing.T) {
	tests := []struct {
		r     Response
		text  string
		label string
		code  int
	}{
		{ResponseBusyHere, "486", "Busy Here (486)", 486},
		{ResponseTemporarilyUnavailable, "480", "Temporarily Unavailable (480)", 480},
		{ResponseDecline, "603", "Decline (603)", 603},
		{ResponseRinging, "180", "Ringing (180)", 180},
		{ResponseClientChoice, "486/603", "Busy Here/Decline (486/603)", 0},
	}
	for _, tc := range tests {
		b, err := tc.r.MarshalText()
		if err != nil || string(b) != tc.text {
			t.Errorf("%v.MarshalText() = %q, %v; want %q", tc.r, b, err, tc.text)
		}
		var back Response
		if err := back.UnmarshalText([]byte(tc.text)); err != nil || back != tc.r {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tc.text, back, err, tc.r)
		}
		if err := back.UnmarshalText([]byte(" " + tc.text + "\n")); err != nil || back != tc.r {
			t.Errorf("UnmarshalText(%q with spaces) = %v, %v; want %v", tc.text, back, err, tc.r)
		}
		if got := tc.r.String(); got != tc.label {
			t.Errorf("String() = %q, want %q", got, tc.label)
		}
		if got := tc.r.Code(); got != tc.code {
			t.Errorf("%v.Code() = %d, want %d", tc.r, got, tc.code)
		}
	}
}

func TestResponseTextErrors(t *testing.T) {
	for _, r := range []Response{ResponseUnset, Response(-1), Response(99)} {
		if b, err := r.MarshalText(); !errors.Is(err, ErrUnknownValue) {
			t.Errorf("Response(%d).MarshalText() = %q, %v; want ErrUnknownValue", int(r), b, err)
		}
		if r.Code() != 0 {
			t.Errorf("Response(%d).Code() = %d, want 0", int(r), r.Code())
		}
	}
	if got := Response(99).String(); got != "Response(99)" {
		t.Errorf("String() of unknown = %q", got)
	}
	for _, s := range []string{"", "487", "busy", "486 /603", "603/486"} {
		r := ResponseRinging
		err := r.UnmarshalText([]byte(s))
		if !errors.Is(err, ErrUnknownValue) {
			t.Errorf("UnmarshalText(%q) err = %v, want ErrUnknownValue", s, err)
		}
		if err != nil && !strings.Contains(err.Error(), "486/603") {
			t.Errorf("UnmarshalText(%q) error %q does not list the accepted values", s, err)
		}
		if r != ResponseRinging {
			t.Errorf("UnmarshalText(%q) changed the value to %v on error", s, r)
		}
	}
}

func TestTransportText(t *testing.T) {
	for _, tc := range []struct {
		t    Transport
		text string
		port int
	}{{TransportUDP, "udp", 5060}, {TransportTCP, "tcp", 5060}, {TransportTLS, "tls", 5061}} {
		if got := tc.t.String(); got != tc.text {
			t.Errorf("String() = %q, want %q", got, tc.text)
		}
		b, err := tc.t.MarshalText()
		if err != nil || string(b) != tc.text {
			t.Errorf("MarshalText() = %q, %v; want %q", b, err, tc.text)
		}
		for _, in := range []string{tc.text, strings.ToUpper(tc.text), " " + tc.text + " "} {
			var back Transport = 7
			if err := back.UnmarshalText([]byte(in)); err != nil || back != tc.t {
				t.Errorf("UnmarshalText(%q) = %v, %v; want %v", in, back, err, tc.t)
			}
		}
		if got := tc.t.DefaultPort(); got != tc.port {
			t.Errorf("%v.DefaultPort() = %d, want %d", tc.t, got, tc.port)
		}
	}
	var empty Transport = TransportTLS
	if err := empty.UnmarshalText(nil); err != nil || empty != TransportUDP {
		t.Errorf("UnmarshalText(empty) = %v, %v; want udp", empty, err)
	}
	var bad Transport
	if err := bad.UnmarshalText([]byte("sctp")); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("UnmarshalText(sctp) err = %v, want ErrUnknownValue", err)
	}
	if _, err := Transport(3).MarshalText(); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("Transport(3).MarshalText() err = %v, want ErrUnknownValue", err)
	}
	if got := Transport(-1).String(); got != "Transport(-1)" {
		t.Errorf("String() of unknown = %q", got)
	}
}

func TestMediaEncryptionText(t *testing.T) {
	for _, c := range []struct {
		e    MediaEncryption
		text string
	}{{EncryptionOff, "off"}, {EncryptionOffer, "offer"}, {EncryptionRequire, "require"}} {
		if got := c.e.String(); got != c.text {
			t.Errorf("%d.String() = %q, want %q", int(c.e), got, c.text)
		}
		b, err := c.e.MarshalText()
		if err != nil || string(b) != c.text {
			t.Errorf("MarshalText(%v) = %q, %v", c.e, b, err)
		}
		var back MediaEncryption = 9
		if err := back.UnmarshalText([]byte(" " + strings.ToUpper(c.text) + " ")); err != nil || back != c.e {
			t.Errorf("UnmarshalText(%q) = %v, %v", c.text, back, err)
		}
	}
	var empty MediaEncryption = EncryptionRequire
	if err := empty.UnmarshalText(nil); err != nil || empty != EncryptionOff {
		t.Errorf("empty text gives %v, %v; want off", empty, err)
	}
	var bad MediaEncryption
	if err := bad.UnmarshalText([]byte("always")); !errors.Is(err, ErrUnknownValue) || !strings.Contains(err.Error(), "off, offer or require") {
		t.Errorf("UnmarshalText(always) err = %v", err)
	}
	if _, err := MediaEncryption(3).MarshalText(); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("MediaEncryption(3).MarshalText() err = %v", err)
	}
	if got := MediaEncryption(-1).String(); got != "MediaEncryption(-1)" || MediaEncryption(-1).Known() {
		t.Errorf("unknown policy: String() %q", got)
	}
}

func TestFunctionText(t *testing.T) {
	want := []struct {
		f   Function
		key string
	}{
		{FuncDial, "dial"}, {FuncAnswer, "answer"}, {FuncDecline, "decline"}, {FuncHangUp, "hangup"},
		{FuncHold, "hold"}, {FuncRetrieve, "retrieve"}, {FuncDTMF, "dtmf"}, {FuncDND, "dnd"},
		{FuncPickup, "pickup"}, {FuncFeatureCodes, "feature_codes"}, {FuncRedial, "redial"},
		{FuncDeflect, "deflect"}, {FuncTransfer, "transfer"}, {FuncConference, "conference"},
		{FuncForward, "forward"}, {FuncCallWaiting, "call_waiting"}, {FuncVoicemail, "voicemail"},
	}
	all := Functions()
	if len(all) != len(want) {
		t.Fatalf("Functions() has %d entries, want %d", len(all), len(want))
	}
	descriptions := map[string]bool{}
	for i, tc := range want {
		if all[i] != tc.f {
			t.Errorf("Functions()[%d] = %v, want %v", i, all[i], tc.f)
		}
		if got := tc.f.String(); got != tc.key {
			t.Errorf("String() = %q, want %q", got, tc.key)
		}
		b, err := tc.f.MarshalText()
		if err != nil || string(b) != tc.key {
			t.Errorf("MarshalText() = %q, %v; want %q", b, err, tc.key)
		}
		var back Function = -1
		if err := back.UnmarshalText([]byte(strings.ToUpper(tc.key))); err != nil || back != tc.f {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", strings.ToUpper(tc.key), back, err, tc.f)
		}
		d := tc.f.Description()
		if d == "" || descriptions[d] {
			t.Errorf("%v has an empty or repeated description %q", tc.f, d)
		}
		descriptions[d] = true
	}
	var f Function
	if err := f.UnmarshalText([]byte("park")); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("UnmarshalText(park) err = %v, want ErrUnknownValue", err)
	}
	if _, err := Function(len(want)).MarshalText(); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("MarshalText() of unknown err = %v, want ErrUnknownValue", err)
	}
	if got := Function(99).String(); got != "Function(99)" {
		t.Errorf("String() of unknown = %q", got)
	}
	if got := Function(-1).Description(); got != "" {
		t.Errorf("Description() of unknown = %q, want empty", got)
	}
}

func TestRegStateString(t *testing.T) {
	for s, want := range map[RegState]string{
		RegDisabled: "disabled", RegRegistering: "registering", RegRegistered: "registered",
		RegFailed: "failed", RegUnregistered: "unregistered", RegState(9): "RegState(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("RegState(%d).String() = %q, want %q", int(s), got, want)
		}
	}
}

// A provisioning file written as JSON carries the short texts, and reads back to the same group.
// TestEnumsInJSON: the enums travel as their names in any JSON that carries them (the store's
// records and the HTTP API's wire types do), and an unknown name is refused.
func TestEnumsInJSON(t *testing.T) {
	type carrier struct {
		NotLoggedOn  Response   `json:"not_logged_on"`
		ClientReject Response   `json:"client_reject"`
		Disabled     []Function `json:"disabled_functions"`
		Transport    Transport  `json:"transport"`
	}
	in := carrier{ResponseRinging, ResponseClientChoice, []Function{FuncHold, FuncDeflect}, TransportTLS}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"not_logged_on":"180","client_reject":"486/603","disabled_functions":["hold","deflect"],"transport":"tls"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back carrier
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.NotLoggedOn != in.NotLoggedOn || back.ClientReject != in.ClientReject ||
		len(back.Disabled) != 2 || back.Disabled[1] != FuncDeflect || back.Transport != TransportTLS {
		t.Errorf("round trip gave %+v", back)
	}
	if err := json.Unmarshal([]byte(`{"not_logged_on":"404"}`), &back); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("unknown response in JSON: err = %v, want ErrUnknownValue", err)
	}
}

// TestStatesRoundTripAsText checks that every call state, direction and registration state is
// written as its name and read back, as the API's JSON carries them.
func TestStatesRoundTripAsText(t *testing.T) {
	for _, tc := range []struct {
		v    interface{ MarshalText() ([]byte, error) }
		back interface{ UnmarshalText([]byte) error }
		name string
	}{
		{CallRinging, new(CallState), "ringing"}, {CallHeld, new(CallState), "held"},
		{Outgoing, new(CallDirection), "outgoing"}, {Incoming, new(CallDirection), "incoming"},
		{RegRegistered, new(RegState), "registered"}, {RegFailed, new(RegState), "failed"},
	} {
		b, err := tc.v.MarshalText()
		if err != nil || string(b) != tc.name {
			t.Errorf("%v: MarshalText = %q, %v; want %q", tc.v, b, err, tc.name)
			continue
		}
		if err := tc.back.UnmarshalText(b); err != nil {
			t.Errorf("UnmarshalText(%q): %v", b, err)
		}
		if got := fmt.Sprint(deref(tc.back)); got != tc.name {
			t.Errorf("UnmarshalText(%q) read %s", b, got)
		}
	}
	for _, bad := range []interface{ UnmarshalText([]byte) error }{new(CallState), new(CallDirection), new(RegState)} {
		if err := bad.UnmarshalText([]byte("sideways")); !errors.Is(err, ErrUnknownValue) {
			t.Errorf("%T.UnmarshalText(sideways) = %v, want ErrUnknownValue", bad, err)
		}
	}
	if _, err := RegState(9).MarshalText(); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("RegState(9).MarshalText() err = %v, want ErrUnknownValue", err)
	}
}

func deref(v any) any {
	switch p := v.(type) {
	case *CallState:
		return *p
	case *CallDirection:
		return *p
	case *RegState:
		return *p
	}
	return v
}

func TestForwardModeText(t *testing.T) {
	for m, name := range map[ForwardMode]string{ForwardOff: "off", ForwardAlways: "always", ForwardBusy: "busy", ForwardNoAnswer: "no_answer"} {
		b, err := m.MarshalText()
		if err != nil || string(b) != name || m.String() != name {
			t.Errorf("%d: MarshalText %q, %v; String %q; want %q", int(m), b, err, m.String(), name)
		}
		var back ForwardMode = -1
		if err := back.UnmarshalText([]byte(" " + strings.ToUpper(name))); err != nil || back != m {
			t.Errorf("UnmarshalText(%q) = %v, %v", name, back, err)
		}
	}
	var bad ForwardMode
	if err := bad.UnmarshalText([]byte("sometimes")); !errors.Is(err, ErrUnknownValue) || !strings.Contains(err.Error(), "no_answer") {
		t.Errorf("UnmarshalText(sometimes) err = %v", err)
	}
	if _, err := ForwardMode(4).MarshalText(); !errors.Is(err, ErrUnknownValue) || ForwardMode(4).Known() {
		t.Errorf("ForwardMode(4): MarshalText err = %v", err)
	}
}
