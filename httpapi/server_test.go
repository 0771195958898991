package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/line"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "test-token-0123456789abcdef"

func testConfig() line.Config {
	return line.Config{
		Groups: []line.Group{
			{Name: "Sales", PickupCode: "*59<NUMBER>", JournalAll: true,
				FeatureCodes: []line.FeatureCode{{Name: "Forward off", Code: "#21#"}}},
			{Name: "Desk", HideDecline: true, DisabledFunctions: []line.Function{line.FuncHold}},
		},
		Lines: []line.Line{
			{Name: "Alice", Group: "Sales", Number: "+49891234201"},
			{Name: "Front desk", Group: "Desk", Number: "+49891234202"},
			{Name: "Off", Group: "Sales", Disabled: true},
		},
	}
}

type fixture struct {
	phone  *apitest.Phone
	server *httpapi.Server
	ts     *httptest.Server
	hc     *http.Client
}

func setup(t testing.TB, opts ...httpapi.ServerOption) *fixture {
	t.Helper()
	p := apitest.New(testConfig())
	opts = append([]httpapi.ServerOption{httpapi.WithServerLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	srv, err := httpapi.NewServer(p, token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		hc.CloseIdleConnections()
	})
	return &fixture{phone: p, server: srv, ts: ts, hc: hc}
}

// request sends a raw request and returns the status and body.
func (f *fixture) request(t testing.TB, method, path, session, body string, hdr ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if session != "" {
		req.Header.Set(httpapi.SessionHeader, session)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *fixture) logOn(t testing.TB, client string) string {
	t.Helper()
	code, body := f.request(t, "POST", "/api/v1/sessions", "", fmt.Sprintf(`{"client":%q}`, client))
	if code != http.StatusCreated {
		t.Fatalf("log on: %d %s", code, body)
	}
	var rep struct {
		Session string `json:"session"`
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || rep.Session == "" {
		t.Fatalf("log on reply %q: %v", body, err)
	}
	return rep.Session
}

func TestTokenIsRequired(t *testing.T) {
	f := setup(t)
	for _, c := range []struct{ name, auth string }{
		{"no header", ""},
		{"wrong token", "Bearer nope"},
		{"token with a suffix", "Bearer " + token + "x"},
		{"basic auth", "Basic " + token},
	} {
		req, _ := http.NewRequest("POST", f.ts.URL+"/api/v1/sessions", strings.NewReader(`{"client":"x"}`))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := f.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `"error":"missing or wrong token`) {
			t.Errorf("%s: %d %s, want 401 with a JSON error", c.name, resp.StatusCode, b)
		}
	}
	if got := f.phone.Clients(); len(got) != 0 {
		t.Errorf("a request without the token logged on %v", got)
	}
	if code, body := f.request(t, "GET", "/api/v1/status", "", ""); code != 200 || !strings.Contains(body, `"api":"v1"`) {
		t.Errorf("status with the token: %d %s", code, body)
	}
}

func TestSessionIsRequired(t *testing.T) {
	f := setup(t)
	if code, body := f.request(t, "GET", "/api/v1/lines", "", ""); code != 401 || !strings.Contains(body, httpapi.SessionHeader) {
		t.Errorf("lines without a session: %d %s", code, body)
	}
	if code, body := f.request(t, "GET", "/api/v1/lines", "session-99", ""); code != 401 || !strings.Contains(body, "session-99") {
		t.Errorf("lines with an unknown session: %d %s", code, body)
	}
	id := f.logOn(t, "crm")
	if code, body := f.request(t, "GET", "/api/v1/lines", id, ""); code != 200 || !strings.Contains(body, `"name":"Front desk"`) {
		t.Errorf("lines: %d %s", code, body)
	}
	if code, body := f.request(t, "DELETE", "/api/v1/sessions/current", id, ""); code != 204 {
		t.Errorf("log off: %d %s", code, body)
	}
	if got := f.phone.Clients(); len(got) != 0 {
		t.Errorf("still logged on after DELETE: %v", got)
	}
	if code, _ := f.request(t, "GET", "/api/v1/lines", id, ""); code != 401 {
		t.Errorf("lines after log-off: %d, want 401", code)
	}
}

// TestErrorStatuses checks, for each way a request can be refused, the status code and that the
// message names what was refused.
func TestErrorStatuses(t *testing.T) {
	f := setup(t)
	id := f.logOn(t, "crm")
	ctx := context.Background()
	out, _ := f.phone.Ring("Alice", "+4930555", "")
	in, _ := f.phone.Ring("Front desk", "+4930666", "")
	talk, _ := f.phone.Ring("Alice", "+4930777", "")
	helper, err := f.phone.LogOn(ctx, "helper")
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Answer(ctx, talk.ID); err != nil {
		t.Fatal(err)
	}
	big := `{"number":"` + strings.Repeat("1", httpapi.MaxRequestBody) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
		says                     []string
	}{
		{"unknown line", "POST", "/api/v1/lines/Nobody/dial", `{"number":"12"}`, 404, "no_line", []string{"Nobody", "no such line"}},
		{"unknown call", "POST", "/api/v1/calls/call-77/answer", "", 404, "no_call", []string{"call-77"}},
		{"unknown journal entry", "PUT", "/api/v1/journal/42/memo", `{"memo":"x"}`, 404, "no_entry", []string{"42"}},
		{"decline hidden by the group", "POST", "/api/v1/calls/" + in.ID + "/decline", `{"reason":"busy"}`, 403, "function_disabled", []string{`"decline"`, `"Desk"`}},
		{"pickup with no pickup code", "POST", "/api/v1/lines/Front%20desk/pickup", `{"number":"201"}`, 403, "function_disabled", []string{"pickup", "no pickup code"}},
		{"line switched off", "POST", "/api/v1/lines/Off/dial", `{"number":"12"}`, 409, "line_off", []string{"Off", "not in use"}},
		{"feature code on a busy line", "POST", "/api/v1/lines/Alice/feature-code", `{"name":"Forward off"}`, 409, "function_state", []string{"feature_codes", "has a call"}},
		{"hold of a ringing call", "POST", "/api/v1/calls/" + out.ID + "/hold", "", 409, "function_state", []string{"hold", "ringing"}},
		{"mute of a ringing call", "PUT", "/api/v1/calls/" + out.ID + "/mute", `{"muted":true}`, 409, "call_state", []string{"mute", "ringing"}},
		{"feature code of a group with none", "POST", "/api/v1/lines/Front%20desk/feature-code", `{"name":"Nope"}`, 403, "function_disabled", []string{"no feature codes"}},
		{"bad number", "POST", "/api/v1/lines/Alice/dial", `{"number":"12x"}`, 400, "bad_number", []string{"12x"}},
		{"empty number", "POST", "/api/v1/lines/Alice/dial", `{"number":" "}`, 400, "bad_input", []string{`"number"`}},
		{"bad decline reason", "POST", "/api/v1/calls/" + out.ID + "/decline", `{"reason":"maybe"}`, 400, "bad_input", []string{`"reason"`, "maybe"}},
		{"malformed JSON", "POST", "/api/v1/lines/Alice/dial", `{"number":`, 400, "bad_input", []string{"request body"}},
		{"unknown field", "POST", "/api/v1/lines/Alice/dial", `{"number":"12","line":"Ben"}`, 400, "bad_input", []string{`"line"`}},
		{"wrong type", "PUT", "/api/v1/lines/Alice/dnd", `{"on":"yes"}`, 400, "bad_input", []string{`"on"`, "true or false"}},
		{"missing switch", "PUT", "/api/v1/lines/Alice/dnd", `{}`, 400, "bad_input", []string{`"on"`}},
		{"two JSON values", "POST", "/api/v1/lines/Alice/dial", `{"number":"12"}{}`, 400, "bad_input", []string{"more than one"}},
		{"body too large", "POST", "/api/v1/lines/Alice/dial", big, 400, "bad_input", []string{"larger than"}},
		{"bad DTMF", "POST", "/api/v1/calls/" + talk.ID + "/dtmf", `{"digits":"12E"}`, 400, "bad_input", []string{"dtmf", "E"}},
		{"DTMF on a ringing call", "POST", "/api/v1/calls/" + out.ID + "/dtmf", `{"digits":"12"}`, 409, "function_state", []string{"dtmf", "ringing"}},
		{"bad journal limit", "GET", "/api/v1/journal?limit=ten", "", 400, "bad_input", []string{`"limit"`, "ten"}},
		{"bad journal outcome", "GET", "/api/v1/journal?outcome=lost", "", 400, "bad_input", []string{`"outcome"`, "lost"}},
		{"bad journal time", "GET", "/api/v1/journal?from=yesterday", "", 400, "bad_input", []string{`"from"`}},
		{"unknown journal parameter", "GET", "/api/v1/journal?lines=Alice", "", 400, "bad_input", []string{`"lines"`}},
		{"bad entry ID", "PUT", "/api/v1/journal/x/memo", `{"memo":"x"}`, 400, "bad_input", []string{`"x"`}},
		{"unknown endpoint", "GET", "/api/v1/nothing", "", 404, "not_found", []string{"/api/v1/nothing"}},
	}
	for _, c := range cases {
		code, body := f.request(t, c.method, c.path, id, c.body)
		var eb struct{ Error, Code string }
		if err := json.Unmarshal([]byte(body), &eb); err != nil {
			t.Errorf("%s: body %q is not a JSON error: %v", c.name, body, err)
			continue
		}
		if code != c.status || eb.Code != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, eb.Code, c.status, c.code)
		}
		for _, s := range c.says {
			if !strings.Contains(eb.Error, s) {
				t.Errorf("%s: message %q does not say %q", c.name, eb.Error, s)
			}
		}
	}

	// The fake line server is not running: log-on is refused with 503.
	f.phone.Fail("LogOn", fmt.Errorf("log on: %w", api.ErrNotRunning))
	if code, body := f.request(t, "POST", "/api/v1/sessions", "", `{"client":"x"}`); code != 503 || !strings.Contains(body, "not running") {
		t.Errorf("log on while not running: %d %s", code, body)
	}
	if code, body := f.request(t, "POST", "/api/v1/sessions", "", `{}`); code != 400 || !strings.Contains(body, `field \"client\": must not be empty`) {
		t.Errorf("log on without a client name: %d %s", code, body)
	}
}

// TestStatusOf checks the mapping with the errors the function table really returns.
func TestStatusOf(t *testing.T) {
	desk := line.Group{Name: "Desk", HideDecline: true, DisabledFunctions: []line.Function{line.FuncHold}}
	ringing := line.Call{Direction: line.Incoming, State: line.CallRinging}
	badCfg := line.Config{Lines: []line.Line{{Name: ""}}}
	_, badNum := line.Location{CountryCode: "49", InternationalPrefix: "00", NationalPrefix: "0", InternalMin: 2, InternalMax: 4}.Canonical("abc")
	cases := []struct {
		err    error
		status int
	}{
		{nil, 200},
		{fmt.Errorf("dial: line %q: %w", "x", api.ErrNoLine), 404},
		{fmt.Errorf("answer: %w", api.ErrNoCall), 404},
		{fmt.Errorf("memo: %w", api.ErrNoEntry), 404},
		{line.CheckCallFunction(desk, ringing, line.FuncDecline), 403},
		{line.CheckCallFunction(desk, line.Call{Direction: line.Incoming, State: line.CallConnected}, line.FuncHold), 403},
		{line.CheckCallFunction(line.Group{}, ringing, line.FuncHold), 409},
		{line.CheckLineFunction(line.Group{Name: "g"}, line.LineView{Enabled: true}, line.FuncPickup), 403},
		{fmt.Errorf("x: %w", api.ErrCallState), 409},
		{fmt.Errorf("x: %w", api.ErrLineOff), 409},
		{badNum, 400},
		{fmt.Errorf("x: %w", api.ErrBadInput), 400},
		{badCfg.Validate(), 400},
		{fmt.Errorf("x: %w", api.ErrLoggedOff), 401},
		{fmt.Errorf("x: %w", api.ErrNotRunning), 503},
		{errors.New("disk on fire"), 500},
	}
	for _, c := range cases {
		if got, _ := httpapi.StatusOf(c.err); got != c.status {
			t.Errorf("StatusOf(%v) = %d, want %d", c.err, got, c.status)
		}
	}
	if badNum == nil {
		t.Error("the bad number case has no error")
	}
}

// sseReader reads one event stream.
type sseReader struct {
	resp  *http.Response
	lines chan string
}

func (f *fixture) openEvents(t *testing.T, session string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.ts.URL+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set(httpapi.SessionHeader, session)
	resp, err := f.hc.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		resp.Body.Close()
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := &sseReader{resp: resp, lines: make(chan string, 100)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(r.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		for range r.lines {
		}
		<-done
	})
	return r
}

// next returns the next line that starts with prefix, failing after 5 s.
func (r *sseReader) next(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				t.Fatalf("event stream ended before a line %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line %q within 5 s", prefix)
		}
	}
}

func TestEventStream(t *testing.T) {
	f := setup(t, httpapi.WithKeepAlive(50*time.Millisecond))
	id := f.logOn(t, "crm")
	st := f.openEvents(t, id)
	if code, body := f.request(t, "GET", "/api/v1/events", id, ""); code != 409 || !strings.Contains(body, "one per session") {
		t.Errorf("second stream for a session: %d %s", code, body)
	}
	c, err := f.phone.Ring("Alice", "+4930555", "Carla")
	if err != nil {
		t.Fatal(err)
	}
	if l := st.next(t, "event: "); l != "event: call" {
		t.Fatalf("first event line %q, want event: call", l)
	}
	data := strings.TrimPrefix(st.next(t, "data: "), "data: ")
	var ev struct {
		Type string `json:"type"`
		Call struct {
			ID         string `json:"id"`
			State      string `json:"state"`
			RemoteName string `json:"remote_name"`
		} `json:"call"`
	}
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatalf("data %q: %v", data, err)
	}
	if ev.Type != "call" || ev.Call.ID != c.ID || ev.Call.State != "ringing" || ev.Call.RemoteName != "Carla" {
		t.Errorf("call event %s", data)
	}
	if l := st.next(t, "event: "); l != "event: line" {
		t.Errorf("second event %q, want event: line", l)
	}
	st.next(t, ": keep-alive")

	// Log-off ends the stream.
	if code, _ := f.request(t, "DELETE", "/api/v1/sessions/current", id, ""); code != 204 {
		t.Fatalf("log off: %d", code)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-st.lines:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the event stream did not end at log-off")
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within 5 s", what)
}

func TestIdleSessionIsLoggedOff(t *testing.T) {
	const idle = 400 * time.Millisecond
	f := setup(t, httpapi.WithIdleTimeout(idle), httpapi.WithKeepAlive(20*time.Millisecond))

	// A session kept busy with requests stays.
	id := f.logOn(t, "script")
	for range 6 {
		time.Sleep(idle / 4)
		if code, body := f.request(t, "GET", "/api/v1/calls", id, ""); code != 200 {
			t.Fatalf("calls while in use: %d %s", code, body)
		}
	}
	// Left alone, it is logged off.
	waitFor(t, "idle session logged off", func() bool { return len(f.phone.Clients()) == 0 })
	if code, body := f.request(t, "GET", "/api/v1/calls", id, ""); code != 401 || !strings.Contains(body, "logged off") {
		t.Errorf("request after expiry: %d %s", code, body)
	}

	// A session with an open event stream stays however long it is quiet.
	id = f.logOn(t, "ui")
	st := f.openEvents(t, id)
	time.Sleep(3 * idle)
	if got := f.phone.Clients(); len(got) != 1 || got[0] != "ui" {
		t.Fatalf("session with an open stream: clients %v", got)
	}
	st.resp.Body.Close()
	waitFor(t, "session logged off after its stream closed", func() bool { return len(f.phone.Clients()) == 0 })
}

func TestCloseEndsStreamsAndSessions(t *testing.T) {
	f := setup(t)
	id := f.logOn(t, "ui")
	st := f.openEvents(t, id)
	if err := f.server.Close(); err != nil {
		t.Fatal(err)
	}
	for range st.lines {
	}
	if got := f.phone.Clients(); len(got) != 0 {
		t.Errorf("clients after Close: %v", got)
	}
	if code, _ := f.request(t, "POST", "/api/v1/sessions", "", `{"client":"late"}`); code != 503 {
		t.Errorf("log on after Close: %d, want 503", code)
	}
}
