package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/line"
)

// The golden files in testdata pin the JSON on the wire: clients of the HTTP API depend on its
// member names, omitted empty members and value spellings, so a change to a Go field or type must
// not change them. Run with -update only when the wire format is meant to change.
var update = flag.Bool("update", false, "rewrite the golden files in testdata from today's output")

var goldenTime = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// goldenCall has every field of a call set.
func goldenCall() api.Call {
	return api.Call{
		ID: "call-7", Line: "Alice", Direction: line.Incoming, State: line.CallConnected,
		RemoteNumber: "+4930123456", RemoteDisplay: "+49 30 123456", RemoteName: "Bob \"B\" <&>",
		Dialled: "0030123456", FeatureCode: "Forward off", Codec: "PCMA", HeldByRemote: true,
		Muted: true, DTMFReceived: "12#", LossPercent: 1.5, ServerRinging: true,
		Started: goldenTime, Answered: goldenTime.Add(3 * time.Second), Ended: goldenTime.Add(time.Minute),
		EndCause: line.EndRefused, EndCode: 486, EndReason: "Busy Here", JournalID: 42,
		ConsultFor: "call-6",
		Transfer:   api.TransferStatus{State: api.TransferFailed, Target: "202", Attended: true, Code: 486, Reason: "Busy Here"},
		Conference: "conf-1",
		Functions:  []line.Function{line.FuncHangUp, line.FuncHold, line.FuncDTMF},
	}
}

// goldenLines has a line with every field set and one with only what is always there.
func goldenLines() []api.Line {
	held := goldenCall()
	held.ID, held.State, held.Functions = "call-8", line.CallRinging, []line.Function{line.FuncDeflect}
	return []api.Line{
		{
			Name: "Alice", Group: "Sales", Number: "+49891234201", NumberDisplay: "+49 89 1234-201",
			Location: "Munich", Enabled: true, DND: true, Registration: line.RegFailed, RegCode: 403,
			RegReason: "Forbidden", Functions: []line.Function{line.FuncDial, line.FuncDND, line.FuncPickup, line.FuncFeatureCodes, line.FuncRedial},
			FeatureCodes: []line.FeatureCode{{Name: "Forward off", Code: "#21#"}},
			Redial:       "0171 555", HeldRinging: []api.Call{held},
			Forward: line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 25}, CallWaiting: true,
			Incoming: line.DecideIncoming(line.Group{NotLoggedOn: line.ResponseRinging}, line.LineView{Enabled: true, Registered: true, DND: true, Calls: 1,
				Forward: line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 25}}),
			Voicemail: api.Voicemail{Known: true, Waiting: true, New: 2, Old: 5},
			Lamps:     []api.Lamp{{Extension: "202", State: api.LampRinging}, {Extension: "203", State: api.LampBusy}, {Extension: "204", State: api.LampIdle}, {Extension: "205", State: api.LampUnknown}},
		},
		{Name: "Off", Group: "Desk", Registration: line.RegDisabled},
	}
}

// goldenEntries has an entry with every field set and one with only what is always there.
func goldenEntries() []line.JournalEntry {
	return []line.JournalEntry{
		{
			ID: 9, Line: "Alice", Group: "Sales", Direction: line.Outgoing, LocalNumber: "+49891234201",
			RemoteNumber: "+4930123456", RemoteName: "Bob", Start: goldenTime,
			Answer: goldenTime.Add(2 * time.Second), End: goldenTime.Add(62 * time.Second),
			Duration: 60*time.Second + 250*time.Millisecond, Outcome: line.OutcomeBusy, Code: 486,
			FeatureCode: "Forward off", Client: "desktop", Memo: "call back \"soon\"",
			ConferenceWith: "+4930999, 203",
		},
		{ID: 3, Line: "Off", Direction: line.Incoming, Start: goldenTime, End: goldenTime.Add(time.Second),
			Outcome: line.OutcomeMissed},
	}
}

// goldenConfig has every field of the set-up set, and a location, group and line with only the
// required ones.
func goldenConfig() line.Config {
	return line.Config{
		Locations: []line.Location{
			{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00", NationalPrefix: "0",
				OutsideLine: "0", BaseNumber: "1234", InternalMin: 2, InternalMax: 4},
			{Name: "Bare", CountryCode: "1", InternationalPrefix: "011"},
		},
		Groups: []line.Group{
			{Name: "Sales", NotLoggedOn: line.ResponseTemporarilyUnavailable, ClientReject: line.ResponseClientChoice,
				HideDecline: true, JournalAll: true, AutoNumbers: true, Location: "Munich", PerLineLocation: true,
				DisabledFunctions: []line.Function{line.FuncHold, line.FuncDeflect},
				FeatureCodes:      []line.FeatureCode{{Name: "Forward off", Code: "#21#"}},
				PickupCode:        "*59<NUMBER>", RegisterRate: 2.5},
			{Name: "Desk", NotLoggedOn: line.ResponseBusyHere, ClientReject: line.ResponseDecline},
		},
		Lines: []line.Line{
			{Name: "Alice", Group: "Sales", Number: "+49891234201", Location: "Munich", Journal: true,
				Disabled: true, DND: true, NoCallWaiting: true, Account: line.Account{Registrar: "pbx.example:5061",
					Proxy: "proxy.example", Domain: "example.com", User: "201", AuthUser: "a201",
					Password: "s3cret", Transport: line.TransportTLS, DisplayName: "Alice A.", Expires: 600,
					CAFile: "/etc/ca.pem", DirectCalls: true, Encryption: line.EncryptionOffer}},
			{Name: "Off", Group: "Desk", Account: line.Account{Registrar: "pbx.example", User: "202"}},
		},
	}
}

// goldenSession answers every Session method with the golden values and records what it was
// given.
type goldenSession struct {
	id     string
	events chan api.Event

	mu      sync.Mutex
	saved   []line.Config
	queries []api.JournalQuery
	args    []string
}

func (s *goldenSession) note(format string, a ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.args = append(s.args, fmt.Sprintf(format, a...))
}

func (s *goldenSession) Client() string                            { return "golden" }
func (s *goldenSession) ID() string                                { return s.id }
func (s *goldenSession) Events() <-chan api.Event                  { return s.events }
func (s *goldenSession) Lines(context.Context) ([]api.Line, error) { return goldenLines(), nil }
func (s *goldenSession) Calls(context.Context) ([]api.Call, error) {
	return []api.Call{goldenCall()}, nil
}
func (s *goldenSession) Config(context.Context) (line.Config, error) { return goldenConfig(), nil }
func (s *goldenSession) LogOff(context.Context) error                { return nil }
func (s *goldenSession) Answer(_ context.Context, id string) error {
	s.note("Answer %s", id)
	return nil
}
func (s *goldenSession) HangUp(_ context.Context, id string) error {
	s.note("HangUp %s", id)
	return nil
}
func (s *goldenSession) Hold(_ context.Context, id string) error { s.note("Hold %s", id); return nil }
func (s *goldenSession) Retrieve(_ context.Context, id string) error {
	s.note("Retrieve %s", id)
	return nil
}
func (s *goldenSession) Redial(_ context.Context, l string) (api.Call, error) {
	return goldenCall(), nil
}

func (s *goldenSession) Dialable(_ context.Context, l, input string) (string, error) {
	s.note("Dialable %s %s", l, input)
	return "0030123456", nil
}

func (s *goldenSession) Dial(_ context.Context, l, input string) (api.Call, error) {
	s.note("Dial %s %s", l, input)
	if input == "x" {
		return api.Call{}, fmt.Errorf("number %q: %w", input, line.ErrBadNumber)
	}
	return goldenCall(), nil
}

func (s *goldenSession) FeatureCode(_ context.Context, l, name string) (api.Call, error) {
	s.note("FeatureCode %s %s", l, name)
	return goldenCall(), nil
}

func (s *goldenSession) Voicemail(_ context.Context, l string) (api.Call, error) {
	s.note("Voicemail %s", l)
	return goldenCall(), nil
}

func (s *goldenSession) Pickup(_ context.Context, l, number string) (api.Call, error) {
	s.note("Pickup %s %s", l, number)
	return goldenCall(), nil
}

func (s *goldenSession) SetDND(_ context.Context, l string, on bool) error {
	s.note("SetDND %s %v", l, on)
	return nil
}

func (s *goldenSession) SetForward(_ context.Context, l string, f line.Forward) error {
	s.note("SetForward %s %v %s %d", l, f.Mode, f.Target, f.After)
	return nil
}

func (s *goldenSession) SetCallWaiting(_ context.Context, l string, on bool) error {
	s.note("SetCallWaiting %s %v", l, on)
	return nil
}

func (s *goldenSession) Decline(_ context.Context, id string, r api.DeclineReason) error {
	s.note("Decline %s %s", id, r)
	return nil
}

func (s *goldenSession) Deflect(_ context.Context, id, number string) error {
	s.note("Deflect %s %s", id, number)
	return nil
}

func (s *goldenSession) Transfer(_ context.Context, id, number string) error {
	s.note("Transfer %s %s", id, number)
	return nil
}

func (s *goldenSession) Consult(_ context.Context, id, number string) (api.Call, error) {
	s.note("Consult %s %s", id, number)
	return goldenCall(), nil
}

func (s *goldenSession) CompleteTransfer(_ context.Context, id string) error {
	s.note("CompleteTransfer %s", id)
	return nil
}

func (s *goldenSession) Conference(_ context.Context, id string) error {
	s.note("Conference %s", id)
	return nil
}

func (s *goldenSession) SendDTMF(_ context.Context, id, digits string) error {
	s.note("SendDTMF %s %s", id, digits)
	return nil
}

func (s *goldenSession) SetMuted(_ context.Context, id string, muted bool) error {
	s.note("SetMuted %s %v", id, muted)
	return nil
}

func (s *goldenSession) Journal(_ context.Context, q api.JournalQuery) ([]line.JournalEntry, error) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	if q.Line == "none" {
		return nil, nil
	}
	return goldenEntries(), nil
}

func (s *goldenSession) SetMemo(_ context.Context, id uint64, memo string) error {
	s.note("SetMemo %d %q", id, memo)
	return nil
}

func (s *goldenSession) SaveConfig(_ context.Context, cfg line.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved = append(s.saved, cfg)
	return nil
}

// goldenPhone opens golden sessions "session-1", "session-2", ...
type goldenPhone struct {
	mu       sync.Mutex
	sessions []*goldenSession
}

func (p *goldenPhone) LogOn(context.Context, string) (api.Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := &goldenSession{id: fmt.Sprintf("session-%d", len(p.sessions)+1), events: make(chan api.Event, 8)}
	p.sessions = append(p.sessions, s)
	return s, nil
}

func (p *goldenPhone) session(i int) *goldenSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[i]
}

// transcript records every request to a handler and its response.
type transcript struct {
	h  http.Handler
	mu sync.Mutex
	b  bytes.Buffer
}

func (t *transcript) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/events" {
		// A stream is open until log-off: the test reads it itself.
		t.h.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	t.mu.Lock()
	fmt.Fprintf(&t.b, "> %s %s\n", r.Method, r.URL.RequestURI())
	if len(body) > 0 {
		fmt.Fprintf(&t.b, "%s\n", bytes.TrimRight(body, "\n"))
	}
	fmt.Fprintf(&t.b, "< %d\n", rec.Code)
	if rec.Body.Len() > 0 {
		fmt.Fprintf(&t.b, "%s\n", bytes.TrimRight(rec.Body.Bytes(), "\n"))
	}
	fmt.Fprintln(&t.b)
	t.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// golden compares got with testdata/name, or writes it there with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %s\nwant: %s", name, i+1, g, w)
			}
		}
	}
}

// TestWireGolden works every endpoint through the Go client and checks that the requests and
// responses on the wire are byte for byte the golden transcript, and that what the client and the
// server decode is what the other side encoded.
func TestWireGolden(t *testing.T) {
	phone := &goldenPhone{}
	srv, err := httpapi.NewServer(phone, token, httpapi.WithServerLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	tr := &transcript{h: srv}
	ts := httptest.NewServer(tr)
	hc := &http.Client{Transport: &http.Transport{}}
	defer func() {
		srv.Close()
		ts.Close()
		hc.CloseIdleConnections()
	}()
	ctx := context.Background()
	c, err := httpapi.Dial(ctx, ts.URL, token, httpapi.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.LogOn(ctx, "golden")
	if err != nil {
		t.Fatal(err)
	}
	ss := phone.session(0)
	check := func(what string, got, want any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s decoded as\n%+v\nwant\n%+v", what, got, want)
		}
	}
	ls, err := s.Lines(ctx)
	check("lines", ls, goldenLines(), err)
	cs, err := s.Calls(ctx)
	check("calls", cs, []api.Call{goldenCall()}, err)
	d, err := s.Dialable(ctx, "Alice", "030 123456")
	check("dialable", d, "0030123456", err)
	for _, act := range []func() (api.Call, error){
		func() (api.Call, error) { return s.Dial(ctx, "Alice", "030 123456") },
		func() (api.Call, error) { return s.Redial(ctx, "Alice") },
		func() (api.Call, error) { return s.FeatureCode(ctx, "Alice", "Forward off") },
		func() (api.Call, error) { return s.Pickup(ctx, "Front desk", "201") },
		func() (api.Call, error) { return s.Voicemail(ctx, "Alice") },
		func() (api.Call, error) { return s.Consult(ctx, "call-7", "202") },
	} {
		call, err := act()
		check("call reply", call, goldenCall(), err)
	}
	if _, err := s.Dial(ctx, "Alice", "x"); err == nil {
		t.Error("a refused dial gave no error")
	}
	for what, err := range map[string]error{
		"dnd":        s.SetDND(ctx, "Alice", true),
		"forward":    s.SetForward(ctx, "Alice", line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 25}),
		"waiting":    s.SetCallWaiting(ctx, "Alice", false),
		"answer":     s.Answer(ctx, "call-7"),
		"decline":    s.Decline(ctx, "call-7", api.DeclineBusy),
		"deflect":    s.Deflect(ctx, "call-7", "+4930999"),
		"transfer":   s.Transfer(ctx, "call-7", "202"),
		"complete":   s.CompleteTransfer(ctx, "call-7"),
		"conference": s.Conference(ctx, "call-7"),
		"hang up":    s.HangUp(ctx, "call-7"),
		"hold":       s.Hold(ctx, "call-7"),
		"retrieve":   s.Retrieve(ctx, "call-7"),
		"dtmf":       s.SendDTMF(ctx, "call-7", "12#"),
		"mute":       s.SetMuted(ctx, "call-7", true),
		"memo":       s.SetMemo(ctx, 9, "call back"),
	} {
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	q := api.JournalQuery{Line: "Alice", Number: "123456", ExactNumber: true, Outcome: line.OutcomeBusy,
		From: goldenTime, To: goldenTime.Add(time.Hour), Before: 10, Limit: 5}
	es, err := s.Journal(ctx, q)
	check("journal", es, goldenEntries(), err)
	es, err = s.Journal(ctx, api.JournalQuery{Line: "none"})
	check("empty journal", es, []line.JournalEntry{}, err)
	cfg, err := s.Config(ctx)
	check("config (passwords stay on the server)", cfg, line.WithoutPasswords(goldenConfig()), err)
	if err := s.SaveConfig(ctx, goldenConfig()); err != nil {
		t.Fatal(err)
	}
	ss.mu.Lock()
	if want := []api.JournalQuery{q, {Line: "none"}}; !reflect.DeepEqual(ss.queries, want) {
		t.Errorf("the server decoded the journal queries as %+v, want %+v", ss.queries, want)
	}
	if len(ss.saved) != 1 || !reflect.DeepEqual(ss.saved[0], goldenConfig()) {
		t.Errorf("the server decoded the saved config as %+v, want %+v", ss.saved, goldenConfig())
	}
	ss.mu.Unlock()

	// Events: the stream's data lines, and what the client decodes of them.
	entry := goldenEntries()[0]
	l, call := goldenLines()[0], goldenCall()
	evs := []api.Event{{Type: api.EventLine, Line: &l}, {Type: api.EventCall, Call: &call},
		{Type: api.EventCallRemoved, Call: &call}, {Type: api.EventJournal, Entry: &entry}, {Type: api.EventResync}}
	// A second session, logged on by hand, reads the stream's lines.
	logOn, err := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/sessions", strings.NewReader(`{"client":"raw"}`))
	if err != nil {
		t.Fatal(err)
	}
	logOn.Header.Set("Authorization", "Bearer "+token)
	if resp, err := hc.Do(logOn); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	raw := phone.session(1)
	for _, ev := range evs {
		raw.events <- ev
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(httpapi.SessionHeader, raw.id)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var stream bytes.Buffer
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 0; n < len(evs) && sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "event:") || strings.HasPrefix(sc.Text(), "data:") {
			fmt.Fprintln(&stream, sc.Text())
			if strings.HasPrefix(sc.Text(), "data:") {
				n++
			}
		}
	}
	resp.Body.Close()
	golden(t, "events.txt", stream.Bytes())

	// The client decodes what the server sent.
	for _, ev := range evs {
		ss.events <- ev
	}
	ch := s.Events()
	for i, want := range evs {
		select {
		case got := <-ch:
			check(fmt.Sprintf("event %d", i), got, want, nil)
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d did not come", i)
		}
	}
	if err := s.LogOff(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	tr.mu.Lock()
	got := append([]byte(nil), tr.b.Bytes()...)
	tr.mu.Unlock()
	golden(t, "transcript.txt", got)
	ss.mu.Lock()
	golden(t, "calls.txt", []byte(strings.Join(ss.args, "\n")+"\n"))
	ss.mu.Unlock()
}
