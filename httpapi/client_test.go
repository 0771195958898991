package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/line"
)

func (f *fixture) client(t *testing.T) *httpapi.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := httpapi.Dial(ctx, f.ts.URL, token, httpapi.WithHTTPClient(f.hc), httpapi.WithReconnectDelay(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDialChecksServerAndToken(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := httpapi.Dial(ctx, f.ts.URL, "wrong", httpapi.WithHTTPClient(f.hc)); !errors.Is(err, httpapi.ErrUnauthorized) {
		t.Errorf("wrong token: %v, want ErrUnauthorized", err)
	}
	if _, err := httpapi.Dial(ctx, "ftp://x", token); !errors.Is(err, api.ErrBadInput) {
		t.Errorf("bad URL: %v", err)
	}
	// A port nothing listens on: take a free one from a closed test server.
	gone := setup(t)
	gone.ts.Close()
	if _, err := httpapi.Dial(ctx, gone.ts.URL, token, httpapi.WithHTTPClient(f.hc)); !errors.Is(err, api.ErrNotRunning) {
		t.Errorf("no server: %v, want ErrNotRunning", err)
	}
}

// TestClientWorksTheFakeThroughHTTP runs a session's actions through client, server and fake,
// and checks what the fake was asked for and what came back.
func TestClientWorksTheFakeThroughHTTP(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	ph := f.client(t)
	s, err := ph.LogOn(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	if s.Client() != "crm" || s.ID() == "" {
		t.Errorf("session %q %q", s.Client(), s.ID())
	}

	lines, err := s.Lines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := f.phone.Line("Front desk")
	if len(lines) != 3 || lines[1].Name != "Front desk" || lines[1].Registration != line.RegRegistered ||
		!slices.Equal(lines[1].Functions, want.Functions) || lines[0].FeatureCodes[0].Code != "#21#" {
		t.Errorf("lines: %+v", lines)
	}

	if d, err := s.Dialable(ctx, "Front desk", "030 / 555"); err != nil || d != "030555" {
		t.Errorf("dialable: %q %v", d, err)
	}
	c, err := s.Dial(ctx, "Front desk", "030 555")
	if err != nil {
		t.Fatal(err)
	}
	if c.Direction != line.Outgoing || c.State != line.CallDialing || c.Dialled != "030555" || c.Line != "Front desk" {
		t.Errorf("dialled call: %+v", c)
	}
	if err := f.phone.Connect(c.ID); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		do   func() error
	}{
		{"dtmf", func() error { return s.SendDTMF(ctx, c.ID, "12#") }},
		{"mute", func() error { return s.SetMuted(ctx, c.ID, true) }},
		{"hang up", func() error { return s.HangUp(ctx, c.ID) }},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}

	in, _ := f.phone.Ring("Alice", "+4930555", "Carla")
	calls, err := s.Calls(ctx)
	if err != nil || len(calls) != 1 || calls[0].ID != in.ID || calls[0].State != line.CallRinging ||
		calls[0].Direction != line.Incoming || !slices.Contains(calls[0].Functions, line.FuncAnswer) {
		t.Fatalf("calls: %+v %v", calls, err)
	}
	if err := s.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Hold(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Retrieve(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.phone.RemoteHangUp(in.ID, 0); err != nil {
		t.Fatal(err)
	}
	busy, _ := f.phone.Ring("Alice", "+4930666", "")
	if err := s.Decline(ctx, busy.ID, api.DeclineBusy); err != nil {
		t.Fatal(err)
	}
	defl, _ := f.phone.Ring("Alice", "+4930777", "")
	if err := s.Deflect(ctx, defl.ID, "202"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDND(ctx, "Alice", true); err != nil {
		t.Fatal(err)
	}
	if l, _ := f.phone.Line("Alice"); !l.DND {
		t.Error("DND not set")
	}
	fc, err := s.FeatureCode(ctx, "Alice", "Forward off")
	if err != nil || fc.Dialled != "#21#" || fc.FeatureCode != "Forward off" {
		t.Fatalf("feature code: %+v %v", fc, err)
	}
	if err := s.HangUp(ctx, fc.ID); err != nil {
		t.Fatal(err)
	}
	pk, err := s.Pickup(ctx, "Alice", "201")
	if err != nil || pk.Dialled != "*59201" {
		t.Fatalf("pickup: %+v %v", pk, err)
	}
	if err := s.HangUp(ctx, pk.ID); err != nil {
		t.Fatal(err)
	}
	rd, err := s.Redial(ctx, "Front desk")
	if err != nil || rd.Dialled != "030555" {
		t.Fatalf("redial: %+v %v", rd, err)
	}

	// The journal (Alice's group journals every call) through the query parameters.
	all, err := s.Journal(ctx, api.JournalQuery{Line: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	var outcomes []line.Outcome
	for _, e := range all {
		outcomes = append(outcomes, e.Outcome)
	}
	wantOut := []line.Outcome{line.OutcomeCancelled, line.OutcomeCancelled, line.OutcomeDeflected, line.OutcomeBusy, line.OutcomeAnswered}
	if !slices.Equal(outcomes, wantOut) {
		t.Errorf("journal outcomes newest first: %v, want %v", outcomes, wantOut)
	}
	if all[4].Direction != line.Incoming || all[4].RemoteName != "Carla" || all[4].Duration <= 0 {
		t.Errorf("answered entry: %+v", all[4])
	}
	got, err := s.Journal(ctx, api.JournalQuery{Number: "666", Outcome: line.OutcomeBusy, Limit: 5,
		From: apitest.Start, To: apitest.Start.Add(time.Hour)})
	if err != nil || len(got) != 1 || got[0].RemoteNumber != "+4930666" || got[0].Code != 486 {
		t.Errorf("journal by number and outcome: %+v %v", got, err)
	}
	if got, _ := s.Journal(ctx, api.JournalQuery{Number: "+4930666", ExactNumber: true, Before: got[0].ID}); len(got) != 0 {
		t.Errorf("journal before the busy entry: %+v", got)
	}
	if err := s.SetMemo(ctx, all[0].ID, "call back\nmonday"); err != nil {
		t.Fatal(err)
	}
	if j := f.phone.JournalEntries(); j[all[0].ID-1].Memo != "call back\nmonday" {
		t.Errorf("memo: %+v", j[all[0].ID-1])
	}

	wantActions := []apitest.Action{
		{Client: "crm", Method: "Dial", Target: "Front desk", Arg: "030 555"},
		{Client: "crm", Method: "SendDTMF", Target: c.ID, Arg: "12#"},
		{Client: "crm", Method: "SetMuted", Target: c.ID, Arg: "true"},
		{Client: "crm", Method: "HangUp", Target: c.ID},
		{Client: "crm", Method: "Answer", Target: in.ID},
		{Client: "crm", Method: "Hold", Target: in.ID},
		{Client: "crm", Method: "Retrieve", Target: in.ID},
		{Client: "crm", Method: "Decline", Target: busy.ID, Arg: "busy"},
		{Client: "crm", Method: "Deflect", Target: defl.ID, Arg: "202"},
		{Client: "crm", Method: "SetDND", Target: "Alice", Arg: "true"},
		{Client: "crm", Method: "FeatureCode", Target: "Alice", Arg: "Forward off"},
		{Client: "crm", Method: "HangUp", Target: fc.ID},
		{Client: "crm", Method: "Pickup", Target: "Alice", Arg: "201"},
		{Client: "crm", Method: "HangUp", Target: pk.ID},
		{Client: "crm", Method: "Redial", Target: "Front desk"},
		{Client: "crm", Method: "SetMemo", Target: "1", Arg: "call back\nmonday"},
	}
	wantActions[len(wantActions)-1].Target = strconv.FormatUint(all[0].ID, 10)
	if got := f.phone.Actions(); !slices.Equal(got, wantActions) {
		t.Errorf("actions:\n got %+v\nwant %+v", got, wantActions)
	}

	if err := s.LogOff(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.LogOff(ctx); err != nil {
		t.Errorf("second log-off: %v", err)
	}
	if _, err := s.Lines(ctx); !errors.Is(err, api.ErrLoggedOff) {
		t.Errorf("lines after log-off: %v", err)
	}
	if len(f.phone.Clients()) != 0 {
		t.Errorf("clients after log-off: %v", f.phone.Clients())
	}
}

// TestClientErrorsWrapSentinels checks that refusals come back as the same sentinels the
// in-process interface gives, with the server's message.
func TestClientErrorsWrapSentinels(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	s, err := f.client(t).LogOn(ctx, "crm")
	if err != nil {
		t.Fatal(err)
	}
	defer s.LogOff(ctx)
	local, err := f.phone.LogOn(ctx, "local")
	if err != nil {
		t.Fatal(err)
	}
	defer local.LogOff(ctx)
	in, _ := f.phone.Ring("Front desk", "+4930555", "")

	for _, c := range []struct {
		name    string
		err     func(api.Session) error
		want    error
		status  int
		message string
	}{
		{"no line", func(s api.Session) error { _, err := s.Dial(ctx, "Nobody", "1"); return err }, api.ErrNoLine, 404, ""},
		{"no call", func(s api.Session) error { return s.Answer(ctx, "call-99") }, api.ErrNoCall, 404, ""},
		{"no entry", func(s api.Session) error { return s.SetMemo(ctx, 9, "x") }, api.ErrNoEntry, 404, ""},
		{"decline hidden", func(s api.Session) error { return s.Decline(ctx, in.ID, api.DeclineDecline) }, line.ErrFunctionDisabled, 403, ""},
		{"line off", func(s api.Session) error { _, err := s.Dial(ctx, "Off", "1"); return err }, api.ErrLineOff, 409, ""},
		{"wrong state", func(s api.Session) error { return s.Retrieve(ctx, in.ID) }, line.ErrFunctionState, 409, ""},
		{"mute while ringing", func(s api.Session) error { return s.SetMuted(ctx, in.ID, true) }, api.ErrCallState, 409, ""},
		{"bad number", func(s api.Session) error { _, err := s.Dial(ctx, "Alice", "1x"); return err }, line.ErrBadNumber, 400, ""},
		{"bad reason", func(s api.Session) error { return s.Decline(ctx, in.ID, api.DeclineReason(7)) }, api.ErrBadInput, 0, ""},
	} {
		wantErr := c.err(local)
		gotErr := c.err(s)
		if !errors.Is(wantErr, c.want) {
			t.Errorf("%s: in-process error %v does not wrap %v", c.name, wantErr, c.want)
		}
		if !errors.Is(gotErr, c.want) {
			t.Errorf("%s: HTTP error %v does not wrap %v", c.name, gotErr, c.want)
			continue
		}
		var se *httpapi.StatusError
		if c.status != 0 {
			if !errors.As(gotErr, &se) || se.Status != c.status {
				t.Errorf("%s: %v is not a StatusError %d", c.name, gotErr, c.status)
			} else if se.Message != wantErr.Error() {
				t.Errorf("%s: message %q, want the server's %q", c.name, se.Message, wantErr.Error())
			}
		}
	}
}

func TestClientEvents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	s, err := f.client(t).LogOn(ctx, "ui")
	if err != nil {
		t.Fatal(err)
	}
	evs := s.Events()
	if s.Events() != evs {
		t.Error("Events returns another channel on its second call")
	}
	// The session queues events while the stream connects, so none is lost.
	in, _ := f.phone.Ring("Alice", "+4930555", "Carla")
	select {
	case ev := <-evs:
		if ev.Type != api.EventCall || ev.Call == nil || ev.Call.ID != in.ID || ev.Call.State != line.CallRinging ||
			ev.Call.Direction != line.Incoming || !slices.Contains(ev.Call.Functions, line.FuncAnswer) {
			t.Errorf("first event: %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	select {
	case ev := <-evs:
		if ev.Type != api.EventLine || ev.Line == nil || ev.Line.Name != "Alice" || ev.Line.Registration != line.RegRegistered {
			t.Errorf("second event: %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no line event within 5 s")
	}
	if err := s.LogOff(ctx); err != nil {
		t.Fatal(err)
	}
	for range evs {
	}
}

// TestClientEventsEndWhenTheServerForgetsTheSession: an expired session's channel is closed.
func TestClientEventsEndWhenTheServerForgetsTheSession(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	s, err := f.client(t).LogOn(ctx, "ui")
	if err != nil {
		t.Fatal(err)
	}
	evs := s.Events()
	// Another client logs the session off behind its back.
	req, _ := http.NewRequest("DELETE", f.ts.URL+"/api/v1/sessions/current", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(httpapi.SessionHeader, s.ID())
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	done := make(chan struct{})
	go func() {
		for range evs {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("events channel not closed after the server logged the session off")
	}
	if err := s.LogOff(ctx); err != nil {
		t.Errorf("log-off of a session the server forgot: %v", err)
	}
}

// TestClientEventsReconnect: when the stream breaks but the session lives on, the client connects
// again and says resync first, since events may have been lost in between.
func TestClientEventsReconnect(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	s, err := f.client(t).LogOn(ctx, "ui")
	if err != nil {
		t.Fatal(err)
	}
	defer s.LogOff(ctx)
	evs := s.Events()
	next := func() api.Event {
		t.Helper()
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatal("events channel closed")
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
		return api.Event{}
	}
	f.phone.Publish(api.Event{Type: api.EventLine, Line: &api.Line{Name: "first"}})
	if ev := next(); ev.Type != api.EventLine || ev.Line.Name != "first" {
		t.Fatalf("first event: %+v", ev)
	}
	f.ts.CloseClientConnections()
	if ev := next(); ev.Type != api.EventResync {
		t.Fatalf("after the stream broke: %v, want resync", ev.Type)
	}
	f.phone.Publish(api.Event{Type: api.EventLine, Line: &api.Line{Name: "second"}})
	if ev := next(); ev.Type != api.EventLine || ev.Line.Name != "second" {
		t.Fatalf("event after reconnecting: %+v", ev)
	}
}
