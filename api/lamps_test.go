package api

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestLampStateText(t *testing.T) {
	for s, want := range map[LampState]string{LampUnknown: "unknown", LampIdle: "idle", LampRinging: "ringing", LampBusy: "busy"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
		b, err := json.Marshal(Lamp{Extension: "202", State: s})
		if err != nil {
			t.Fatal(err)
		}
		var back Lamp
		if err := json.Unmarshal(b, &back); err != nil || back.State != s {
			t.Errorf("round trip of %s: %s gives %v %v", want, b, back.State, err)
		}
	}
	var s LampState
	if err := s.UnmarshalText([]byte("blinking")); !errors.Is(err, ErrBadInput) {
		t.Errorf("unknown name: %v, want ErrBadInput", err)
	}
	if _, err := LampState(9).MarshalText(); err == nil {
		t.Error("state 9 marshalled")
	}
	if LampState(9).String() != "LampState(9)" {
		t.Errorf("state 9 reads %q", LampState(9).String())
	}
}
