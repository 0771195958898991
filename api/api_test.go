package api_test

import (
	"errors"
	"testing"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

func TestLineOffering(t *testing.T) {
	lines := []api.Line{
		{Name: "Off", Registration: line.RegDisabled},
		{Name: "Lost", Enabled: true, Registration: line.RegFailed},
		{Name: "Alice", Enabled: true, Registration: line.RegRegistered, Functions: []line.Function{line.FuncDND, line.FuncDial}},
		{Name: "Ben", Enabled: true, Registration: line.RegRegistered, Functions: []line.Function{line.FuncDial}},
	}
	if name, err := api.LineOffering(lines, line.FuncDial); name != "Alice" || err != nil {
		t.Errorf("dial: %q, %v; want the first line that offers it, Alice", name, err)
	}
	_, err := api.LineOffering(lines, line.FuncPickup)
	if want := "no line offers pickup now (Off: switched off, Lost: failed, Alice: registered, Ben: registered)"; err == nil || err.Error() != want {
		t.Errorf("pickup: %v, want %q", err, want)
	}
	if _, err := api.LineOffering(nil, line.FuncDial); err == nil || err.Error() != "no line offers dial now (no line is configured)" {
		t.Errorf("no lines: %v", err)
	}
}

func TestTransferStateText(t *testing.T) {
	for st, name := range map[api.TransferState]string{api.TransferNone: "none", api.TransferPending: "pending",
		api.TransferRinging: "ringing", api.TransferDone: "done", api.TransferFailed: "failed"} {
		b, err := st.MarshalText()
		if err != nil || string(b) != name || st.String() != name {
			t.Errorf("%d: %q, %v, String %q; want %q", int(st), b, err, st.String(), name)
		}
		var back api.TransferState = -1
		if err := back.UnmarshalText([]byte(" " + name)); err != nil || back != st {
			t.Errorf("UnmarshalText(%q) = %v, %v", name, back, err)
		}
	}
	var bad api.TransferState
	if err := bad.UnmarshalText([]byte("lost")); !errors.Is(err, api.ErrBadInput) {
		t.Errorf("UnmarshalText(lost) = %v", err)
	}
	if _, err := api.TransferState(9).MarshalText(); !errors.Is(err, api.ErrBadInput) || api.TransferState(9).String() != "TransferState(9)" {
		t.Errorf("TransferState(9): %v", err)
	}
}
