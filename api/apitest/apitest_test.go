package apitest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

func testConfig() line.Config {
	return line.Config{
		Groups: []line.Group{
			{Name: "Sales", PickupCode: "*59<NUMBER>", FeatureCodes: []line.FeatureCode{{Name: "Forward off", Code: "#21#"}}},
			{Name: "Desk", HideDecline: true, DisabledFunctions: []line.Function{line.FuncHold}, JournalAll: true},
		},
		Lines: []line.Line{
			{Name: "Alice", Group: "Sales", Number: "+49891234201", Journal: true},
			{Name: "Ben", Group: "Desk", Number: "+49891234202"},
			{Name: "Off", Group: "Sales", Disabled: true},
		},
	}
}

func TestFakeFollowsTheFunctionTable(t *testing.T) {
	ctx := context.Background()
	p := New(testConfig())
	s, err := p.LogOn(ctx, "tester")
	if err != nil {
		t.Fatal(err)
	}
	defer s.LogOff(ctx)

	lines, err := s.Lines(ctx)
	if err != nil || len(lines) != 3 {
		t.Fatalf("Lines: %v, %v", lines, err)
	}
	if !slices.Contains(lines[0].Functions, line.FuncFeatureCodes) || len(lines[0].FeatureCodes) != 1 {
		t.Errorf("idle Alice offers %v with codes %v, want feature codes", lines[0].Functions, lines[0].FeatureCodes)
	}
	if len(lines[2].Functions) != 0 {
		t.Errorf("switched-off line offers %v", lines[2].Functions)
	}

	c, err := s.Dial(ctx, "Alice", "0171 / 555-12")
	if err != nil || c.Dialled != "017155512" || c.State != line.CallDialing || c.Direction != line.Outgoing {
		t.Fatalf("Dial: %+v, %v", c, err)
	}
	if _, err := s.FeatureCode(ctx, "Alice", "Forward off"); !errors.Is(err, line.ErrFunctionState) {
		t.Errorf("feature code on a busy line: %v, want ErrFunctionState", err)
	}
	if _, err := s.Dial(ctx, "Nobody", "1"); !errors.Is(err, api.ErrNoLine) {
		t.Errorf("dial on an unknown line: %v", err)
	}
	if _, err := s.Dial(ctx, "Off", "1"); !errors.Is(err, api.ErrLineOff) {
		t.Errorf("dial on a line switched off: %v", err)
	}
	if _, err := s.Dial(ctx, "Alice", "12x"); !errors.Is(err, line.ErrBadNumber) {
		t.Errorf("dial of a bad number: %v", err)
	}
	if err := s.Answer(ctx, c.ID); !errors.Is(err, line.ErrFunctionState) {
		t.Errorf("answer of an outgoing call: %v", err)
	}
	if err := p.Connect(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Hold(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.Call(c.ID); got.State != line.CallHeld || !slices.Contains(got.Functions, line.FuncRetrieve) {
		t.Errorf("after hold: %+v", got)
	}
	if err := s.HangUp(ctx, c.ID); err != nil {
		t.Fatal(err)
	}

	in, err := p.Ring("Ben", "+4930555", "Carla")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Decline(ctx, in.ID, api.DeclineBusy); !errors.Is(err, line.ErrFunctionDisabled) {
		t.Errorf("decline hidden by the group: %v, want ErrFunctionDisabled", err)
	}
	if err := s.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Hold(ctx, in.ID); !errors.Is(err, line.ErrFunctionDisabled) {
		t.Errorf("hold deactivated by the group: %v", err)
	}
	if err := s.SendDTMF(ctx, in.ID, "12E"); !errors.Is(err, api.ErrBadInput) {
		t.Errorf("bad DTMF: %v", err)
	}
	if err := p.RemoteHangUp(in.ID, 0); err != nil {
		t.Fatal(err)
	}

	j, err := s.Journal(ctx, api.JournalQuery{})
	if err != nil || len(j) != 2 {
		t.Fatalf("journal: %+v, %v", j, err)
	}
	if j[0].Line != "Ben" || j[0].Outcome != line.OutcomeAnswered || j[1].Line != "Alice" || j[1].Outcome != line.OutcomeAnswered {
		t.Errorf("journal newest first: %+v", j)
	}
	if j, _ := s.Journal(ctx, api.JournalQuery{Number: "555"}); len(j) != 1 || j[0].Line != "Ben" {
		t.Errorf("journal by number suffix: %+v", j)
	}
	if err := s.SetMemo(ctx, 99, "x"); !errors.Is(err, api.ErrNoEntry) {
		t.Errorf("memo of a missing entry: %v", err)
	}

	want := []Action{
		{"tester", "Dial", "Alice", "0171 / 555-12"},
		{"tester", "FeatureCode", "Alice", "Forward off"},
		{"tester", "Dial", "Nobody", "1"},
		{"tester", "Dial", "Off", "1"},
		{"tester", "Dial", "Alice", "12x"},
		{"tester", "Answer", c.ID, ""},
		{"tester", "Hold", c.ID, ""},
		{"tester", "HangUp", c.ID, ""},
		{"tester", "Decline", in.ID, "busy"},
		{"tester", "Answer", in.ID, ""},
		{"tester", "Hold", in.ID, ""},
		{"tester", "SendDTMF", in.ID, "12E"},
		{"tester", "SetMemo", "99", "x"},
	}
	if got := p.Actions(); !slices.Equal(got, want) {
		t.Errorf("actions:\n got %v\nwant %v", got, want)
	}
}

func TestFakeEventsFailuresAndLogOff(t *testing.T) {
	ctx := context.Background()
	p := New(testConfig())
	s, err := p.LogOn(ctx, "ui")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Clients(); !slices.Equal(got, []string{"ui"}) {
		t.Errorf("clients: %v", got)
	}
	in, _ := p.Ring("Alice", "201", "")
	ev := <-s.Events()
	if ev.Type != api.EventCall || ev.Call.ID != in.ID || ev.Call.State != line.CallRinging {
		t.Errorf("first event: %+v", ev)
	}
	if ev := <-s.Events(); ev.Type != api.EventLine || ev.Line.Name != "Alice" {
		t.Errorf("second event: %+v", ev)
	}

	boom := errors.New("boom")
	p.Fail("Answer", boom)
	if err := s.Answer(ctx, in.ID); err != boom {
		t.Errorf("Answer with a failure set: %v", err)
	}
	p.Fail("Answer", nil)
	if err := s.Answer(ctx, in.ID); err != nil {
		t.Errorf("Answer after the failure was cleared: %v", err)
	}

	// A session that does not read gets a resync once there is room.
	for range EventBuffer + 10 {
		p.Publish(api.Event{Type: api.EventLine, Line: &api.Line{Name: "x"}})
	}
	for range EventBuffer {
		<-s.Events()
	}
	p.Publish(api.Event{Type: api.EventLine, Line: &api.Line{Name: "y"}})
	if ev := <-s.Events(); ev.Type != api.EventResync {
		t.Errorf("after an overflow: %v, want resync", ev.Type)
	}

	if err := s.LogOff(ctx); err != nil {
		t.Fatal(err)
	}
	for range s.Events() {
	}
	if _, err := s.Lines(ctx); !errors.Is(err, api.ErrLoggedOff) {
		t.Errorf("Lines after LogOff: %v", err)
	}
	if len(p.Clients()) != 0 {
		t.Errorf("clients after LogOff: %v", p.Clients())
	}
}

// TestFakeConference: Conference joins the held call and the active one; a call alone is
// refused; when one party hangs up the other is a normal call again, and both are journaled
// with the other's number.
func TestFakeConference(t *testing.T) {
	ctx := context.Background()
	p := New(testConfig())
	s, err := p.LogOn(ctx, "tester")
	if err != nil {
		t.Fatal(err)
	}
	defer s.LogOff(ctx)
	a, _ := s.Dial(ctx, "Alice", "202")
	if err := p.Connect(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Conference(ctx, a.ID); !errors.Is(err, api.ErrCallState) {
		t.Errorf("conference of a call alone: %v, want ErrCallState", err)
	}
	if err := s.Hold(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Dial(ctx, "Alice", "203")
	if err := p.Connect(b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Conference(ctx, b.ID); err != nil {
		t.Fatalf("conference: %v", err)
	}
	ca, _ := p.Call(a.ID)
	cb, _ := p.Call(b.ID)
	if ca.Conference == "" || ca.Conference != cb.Conference || ca.State != line.CallConnected || cb.State != line.CallConnected {
		t.Fatalf("after conference: %+v / %+v, want both connected in one conference", ca, cb)
	}
	if err := s.Conference(ctx, a.ID); err == nil {
		t.Error("a second conference of a call in one: no error")
	}
	calls, _ := s.Calls(ctx)
	for _, c := range calls {
		if slices.Contains(c.Functions, line.FuncConference) {
			t.Errorf("call %s in a conference still offers conference", c.ID)
		}
	}
	if err := p.RemoteHangUp(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if ca, _ = p.Call(a.ID); ca.Conference != "" || ca.State != line.CallConnected {
		t.Errorf("after 203 hung up: %+v, want a normal connected call", ca)
	}
	if err := s.HangUp(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	es := p.JournalEntries()
	if len(es) != 2 || es[0].ConferenceWith != "202" || es[1].ConferenceWith != "203" {
		t.Errorf("journal %+v, want 203's entry noting 202 and 202's noting 203", es)
	}
}
