package httpapi

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/lineupphone/lineup/line"
)

// TestDecisionOnTheWire pins how a line's "what a call arriving now gets" travels: its enums by
// name, nothing for what was not decided, and the same decision read back.
func TestDecisionOnTheWire(t *testing.T) {
	g := line.Group{NotLoggedOn: line.ResponseRinging, ClientReject: line.ResponseTemporarilyUnavailable}
	for _, tc := range []struct {
		d    line.Decision
		want string
	}{
		{line.DecideIncoming(g, line.LineView{Enabled: true, Registered: true, DND: true, LoggedOn: true, Calls: 1}),
			`{"reach":"reachable","action":"hold_ringing","cause":"dnd","answer":"180","waiting":true,"offers":["deflect"],"decline":"480"}`},
		{line.DecideIncoming(line.Group{}, line.LineView{Enabled: true, Registered: true, LoggedOn: true}),
			`{"reach":"reachable","action":"ring","offers":["answer","decline","deflect"],"decline":"486/603"}`},
		// A line view made before anything was decided must still reach API clients.
		{line.Decision{}, `{"offers":null}`},
	} {
		b, err := json.Marshal(toWireDecision(tc.d))
		if err != nil || string(b) != tc.want {
			t.Errorf("JSON %s (%v)\n want %s", b, err, tc.want)
			continue
		}
		var back wireDecision
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		got := back.line()
		if got.Reach != tc.d.Reach || got.Action != tc.d.Action || got.Cause != tc.d.Cause || got.Answer != tc.d.Answer ||
			got.Waiting != tc.d.Waiting || got.Decline != tc.d.Decline || !slices.Equal(got.Offers, tc.d.Offers) {
			t.Errorf("read back %+v, want %+v", got, tc.d)
		}
	}
}
