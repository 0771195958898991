package api_test

import (
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
