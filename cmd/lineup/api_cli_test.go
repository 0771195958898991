package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/journalcsv"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/store"
)

// journalFixture writes three entries to a new data directory and returns it with the entries
// as the store gave them back (newest first).
func journalFixture(t *testing.T) (string, []line.JournalEntry) {
	t.Helper()
	data := t.TempDir()
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	ctx := context.Background()
	for _, e := range []line.JournalEntry{
		{Line: "Alice", Group: "Sales", Direction: line.Outgoing, LocalNumber: "+49891234201",
			RemoteNumber: "+4930555123", Start: t0, Answer: t0.Add(5 * time.Second), End: t0.Add(70 * time.Second),
			Duration: 65 * time.Second, Outcome: line.OutcomeAnswered, Client: "desktop", Memo: "call back\nmonday"},
		{Line: "Ben", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234202",
			RemoteNumber: "+4989111", RemoteName: "=HYPERLINK(1)", Start: t0.Add(time.Hour), End: t0.Add(time.Hour + 20*time.Second),
			Outcome: line.OutcomeMissed},
		{Line: "Alice", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234201",
			RemoteNumber: "+4930555123", RemoteName: "Carla", Start: t0.Add(2 * time.Hour), End: t0.Add(2*time.Hour + time.Second),
			Outcome: line.OutcomeBusy, Code: 486},
	} {
		if err := st.Journal().Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Journal().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	entries, err := st.Journal().Query(store.JournalQuery{})
	if err != nil || len(entries) != 3 {
		t.Fatalf("fixture: %v %v", entries, err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return data, entries
}

// tableRows returns the table's data rows, each split at runs of two spaces or more.
func tableRows(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("no table header in %q", out)
	}
	var rows [][]string
	for _, l := range lines[1:] {
		rows = append(rows, regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1))
	}
	return rows
}

func TestJournalFromTheDataFile(t *testing.T) {
	data, entries := journalFixture(t)
	busy, missed, answered := entries[0], entries[1], entries[2]

	out, errOut, code := lineup(t, "--data", data, "journal")
	if code != 0 {
		t.Fatalf("journal: exit %d: %s", code, errOut)
	}
	rows := tableRows(t, out)
	if len(rows) != 3 {
		t.Fatalf("table rows %d, want 3:\n%s", len(rows), out)
	}
	want := [][]string{
		{itoa(busy.ID), busy.Start.Local().Format(time.DateTime), "Alice", "incoming", "+4930555123", "Carla", "busy (486)", "0:00", "-"},
		{itoa(missed.ID), missed.Start.Local().Format(time.DateTime), "Ben", "incoming", "+4989111", "=HYPERLINK(1)", "missed", "0:00", "-"},
		{itoa(answered.ID), answered.Start.Local().Format(time.DateTime), "Alice", "outgoing", "+4930555123", "-", "answered", "1:05", "call back ..."},
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, rows[i], want[i])
		}
	}

	// CSV is the store's own export; the API path's writer must give the same bytes.
	csvOut, errOut, code := lineup(t, "--data", data, "journal", "--csv")
	if code != 0 {
		t.Fatalf("journal --csv: exit %d: %s", code, errOut)
	}
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	var direct, viaAPI bytes.Buffer
	if err := st.Journal().ExportCSV(&direct, store.JournalQuery{}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cw := journalcsv.New(&viaAPI)
	if err := cw.Write(entries); err != nil || cw.Flush() != nil {
		t.Fatal(err)
	}
	if csvOut != direct.String() || viaAPI.String() != direct.String() {
		t.Errorf("CSV differs:\ncommand:\n%s\nstore:\n%s\nAPI writer:\n%s", csvOut, direct.String(), viaAPI.String())
	}
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(recs) != 4 || recs[2][6] != "'=HYPERLINK(1)" {
		t.Errorf("CSV records %q %v", recs, err)
	}

	ids := func(args ...string) string {
		t.Helper()
		out, errOut, code := lineup(t, append([]string{"--data", data, "journal"}, args...)...)
		if code != 0 {
			t.Fatalf("journal %v: exit %d: %s", args, code, errOut)
		}
		var got []string
		for _, r := range tableRows(t, out) {
			got = append(got, r[0])
		}
		return strings.Join(got, ",")
	}
	for _, c := range []struct {
		args []string
		want []uint64
	}{
		{[]string{"--line", "Alice"}, []uint64{busy.ID, answered.ID}},
		{[]string{"--number", "555123"}, []uint64{busy.ID, answered.ID}},
		{[]string{"--number", "555123", "--exact"}, nil},
		{[]string{"--number", "+4930555123", "--exact"}, []uint64{busy.ID, answered.ID}},
		{[]string{"--outcome", "missed"}, []uint64{missed.ID}},
		{[]string{"--limit", "1"}, []uint64{busy.ID}},
		{[]string{"--from", missed.Start.Format(time.RFC3339), "--to", busy.Start.Format(time.RFC3339)}, []uint64{missed.ID}},
	} {
		var want []string
		for _, id := range c.want {
			want = append(want, itoa(id))
		}
		if len(c.want) == 0 {
			out, _, _ := lineup(t, append([]string{"--data", data, "journal"}, c.args...)...)
			if strings.TrimSpace(out) != "no journal entries" {
				t.Errorf("journal %v: %q, want no entries", c.args, out)
			}
			continue
		}
		if got := ids(c.args...); got != strings.Join(want, ",") {
			t.Errorf("journal %v: IDs %s, want %s", c.args, got, strings.Join(want, ","))
		}
	}

	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--outcome", "lost"}, 1, `--outcome: outcome "lost"`},
		{[]string{"--from", "yesterday"}, 1, `--from "yesterday": must be a date`},
		{[]string{"--limit", "-1"}, 1, "--limit -1"},
		{[]string{"--limit", "ten"}, 2, "-limit"},
		{[]string{"--number", "12 34"}, 1, `--number "12 34"`},
		{[]string{"--exact"}, 2, "--exact needs --number"},
		{[]string{"--from", "2026-03-02", "--to", "2026-03-01"}, 1, "--to \"2026-03-01\": must be after --from"},
		{[]string{"Alice"}, 2, "journal takes no arguments"},
	} {
		_, errOut, code := lineup(t, append([]string{"--data", data, "journal"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("journal %v: exit %d, stderr %q; want exit %d saying %q", c.args, code, errOut, c.code, c.says)
		}
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// served is a running `lineup serve` whose log the test reads.
type served struct {
	cmd   *exec.Cmd
	lines chan string
	log   strings.Builder
}

func startServe(t *testing.T, data string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(lineupBin, append([]string{"--data", data, "serve", "--sip-listen", "127.0.0.1", "--audio", "none"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, lines: make(chan string, 1000)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		for range s.lines {
		}
		cmd.Wait()
	})
	return s
}

// wait returns the log line of the nth message containing what.
func (s *served) wait(t *testing.T, what string, n int) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for seen := 0; ; {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("lineup serve exited before %d %q; log:\n%s", n, what, s.log.String())
			}
			s.log.WriteString(l + "\n")
			if strings.Contains(l, what) {
				if seen++; seen == n {
					return l
				}
			}
		case <-deadline:
			t.Fatalf("no %d %q within 20 s; log:\n%s", n, what, s.log.String())
		}
	}
}

func (s *served) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.wait(t, `msg="line server stopped"`, 1)
	for range s.lines {
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("lineup serve after SIGTERM: %v\n%s", err, s.log.String())
	}
}

var urlInLog = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)

func checkMode(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", filepath.Base(path), fi.Mode().Perm())
	}
}

func TestServeAPIAddressTokenAndFiles(t *testing.T) {
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"serve", "--api", "0.0.0.0:0"}, 1, `0.0.0.0 is not a loopback address`},
		{[]string{"serve", "--api", ":0"}, 1, "all interfaces is not a loopback address"},
		{[]string{"serve", "--api", "192.168.1.10:7070"}, 1, "--api-allow-remote"},
		{[]string{"serve", "--api", "127.0.0.1"}, 2, "must be HOST:PORT"},
		{[]string{"serve", "--api-allow-remote"}, 2, "--api-allow-remote needs --api"},
		{[]string{"dial", "0301234"}, 1, "no line server with the local API runs on this data directory"},
		{[]string{"dial"}, 2, "dial takes one NUMBER"},
	} {
		_, errOut, code := lineup(t, append([]string{"--data", data}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.says) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d saying %q", c.args, code, errOut, c.code, c.says)
		}
	}

	// The token is made once and kept across restarts; api.json names the URL while the server
	// runs, and both are for the owner only.
	var tokens []string
	for range 2 {
		s := startServe(t, data, "--api", "127.0.0.1:0")
		m := urlInLog.FindStringSubmatch(s.wait(t, `msg="local api listening"`, 1))
		if m == nil {
			t.Fatalf("no URL in the log:\n%s", s.log.String())
		}
		tok, err := os.ReadFile(filepath.Join(data, "api-token"))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, strings.TrimSpace(string(tok)))
		checkMode(t, filepath.Join(data, "api-token"))
		checkMode(t, filepath.Join(data, "api.json"))
		var info struct{ URL string }
		if b, err := os.ReadFile(filepath.Join(data, "api.json")); err != nil || json.Unmarshal(b, &info) != nil || info.URL != m[1] {
			t.Errorf("api.json %s %v, want url %s", b, err, m[1])
		}
		for _, c := range []struct {
			token string
			want  int
		}{{"", 401}, {"wrong", 401}, {tokens[len(tokens)-1], 200}} {
			req, _ := http.NewRequest("GET", m[1]+"/api/v1/status", nil)
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Errorf("status with token %q: %d, want %d", c.token, resp.StatusCode, c.want)
			}
		}
		s.stop(t)
		if _, err := os.Stat(filepath.Join(data, "api.json")); !os.IsNotExist(err) {
			t.Errorf("api.json left after the server stopped: %v", err)
		}
	}
	if len(tokens[0]) < 32 || tokens[0] != tokens[1] {
		t.Errorf("tokens across restarts: %q", tokens)
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestDialAndJournalThroughServe dials through a running `serve --api` to a number the PBX does
// not know, and reads the failed call's journal entry through the API while the server runs and
// from the data file after it stopped.
func TestDialAndJournalThroughServe(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	data := t.TempDir()
	if _, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, pbx.UDPAddr(), "")); code != 0 {
		t.Fatalf("import failed: %s", errOut)
	}
	s := startServe(t, data, "--api", "127.0.0.1:0")
	apiURL := urlInLog.FindStringSubmatch(s.wait(t, `msg="local api listening"`, 1))
	if apiURL == nil {
		t.Fatalf("no URL in the log:\n%s", s.log.String())
	}
	s.wait(t, `msg="line registered"`, 2)
	events := watchEvents(t, apiURL[1], data)

	// While serve runs the data file is locked: the journal is read through the API.
	out, errOut, code := lineup(t, "--data", data, "journal")
	if code != 0 || strings.TrimSpace(out) != "no journal entries" {
		t.Fatalf("journal before any call: exit %d, %q, %s", code, out, errOut)
	}

	_, errOut, code = lineup(t, "--data", data, "dial", "299", "--line", "Nobody")
	if code != 1 || !strings.Contains(errOut, `--line "Nobody"`) || !strings.Contains(errOut, "no such line") {
		t.Errorf("dial on an unknown line: exit %d, %q", code, errOut)
	}
	_, errOut, code = lineup(t, "--data", data, "dial", "12x", "--line", "Alice")
	if code != 1 || !strings.Contains(errOut, "12x") {
		t.Errorf("dial of a bad number: exit %d, %q", code, errOut)
	}

	// 299 has no binding at Kamailio: the call fails with 404 and is journaled (Alice journals).
	out, errOut, code = lineup(t, "--data", data, "dial", "299", "--line", "Alice")
	if code != 0 {
		t.Fatalf("dial: exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^call:\s+(\S+)\nline:\s+Alice\ndialled:\s+299$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("dial printed %q, want the call ID, the line and what was dialled", out)
	}

	// Another client following the events sees the call end and its journal entry.
	events.until(t, "event: call", `"id":"`+m[1]+`"`, `"state":"ended"`, `"end_code":404`)
	events.until(t, "event: journal", `"remote_number":"299"`, `"outcome":"failed"`, `"client":"lineup dial"`)

	var rec []string
	for deadline := time.Now().Add(15 * time.Second); rec == nil; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no journal entry for the call within 15 s; log:\n%s", s.log.String())
		}
		out, errOut, code := lineup(t, "--data", data, "journal", "--csv", "--line", "Alice")
		if code != 0 {
			t.Fatalf("journal --csv through the API: exit %d: %s", code, errOut)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 1 {
			rec = recs[1]
		}
	}
	// id line group direction local remote name start answer end duration outcome code fc client memo
	if rec[1] != "Alice" || rec[3] != "outgoing" || rec[5] != "299" || rec[11] != "failed" || rec[12] != "404" || rec[14] != "lineup dial" {
		t.Errorf("journal entry %q: want Alice outgoing 299 failed 404 by lineup dial", rec)
	}

	s.stop(t)
	out, errOut, code = lineup(t, "--data", data, "journal", "--outcome", "failed")
	if code != 0 {
		t.Fatalf("journal from the data file: exit %d: %s", code, errOut)
	}
	if rows := tableRows(t, out); len(rows) != 1 || rows[0][0] != rec[0] || rows[0][6] != "failed (404)" {
		t.Errorf("journal after serve stopped: %q", out)
	}
}

// eventWatch is an API session that follows the event stream of a running serve.
type eventWatch struct {
	lines chan string
	seen  []string
}

func watchEvents(t *testing.T, url, data string) *eventWatch {
	t.Helper()
	tok, err := os.ReadFile(filepath.Join(data, "api-token"))
	if err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + strings.TrimSpace(string(tok))
	hc := &http.Client{Transport: &http.Transport{}}
	req, _ := http.NewRequest("POST", url+"/api/v1/sessions", strings.NewReader(`{"client":"watcher"}`))
	req.Header.Set("Authorization", auth)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct{ Session string }
	err = json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || rep.Session == "" {
		t.Fatalf("log on: %d %v", resp.StatusCode, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ = http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", auth)
	req.Header.Set("Lineup-Session", rep.Session)
	resp, err = hc.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("events: %d", resp.StatusCode)
	}
	w := &eventWatch{lines: make(chan string, 1000)}
	go func() {
		defer close(w.lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			w.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		for range w.lines {
		}
		hc.CloseIdleConnections()
	})
	return w
}

// until waits up to 15 s for an event of the kind whose data holds every one of parts; events
// seen by earlier calls count too, so the order of two events does not matter.
func (w *eventWatch) until(t *testing.T, kind string, parts ...string) {
	t.Helper()
	match := func(i int) bool {
		if i == 0 || w.seen[i-1] != kind || !strings.HasPrefix(w.seen[i], "data: ") {
			return false
		}
		for _, p := range parts {
			if !strings.Contains(w.seen[i], p) {
				return false
			}
		}
		return true
	}
	for i := range w.seen {
		if match(i) {
			return
		}
	}
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-w.lines:
			if !ok {
				t.Fatalf("event stream ended before %s with %q; saw:\n%s", kind, parts, strings.Join(w.seen, "\n"))
			}
			w.seen = append(w.seen, l)
			if match(len(w.seen) - 1) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s with %q within 15 s; saw:\n%s", kind, parts, strings.Join(w.seen, "\n"))
		}
	}
}

// fakeServe serves an apitest fake on 127.0.0.1 as `serve --api` would, with its api.json and
// api-token in data.
func fakeServe(t *testing.T, data string, p *apitest.Phone) {
	t.Helper()
	const tok = "fake-token-0123456789abcdef"
	h, err := httpapi.NewServer(p, tok)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		ts.Close()
	})
	if err := os.WriteFile(filepath.Join(data, "api-token"), []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := httpapi.WriteInfo(data, httpapi.Info{URL: ts.URL, PID: os.Getpid()}); err != nil {
		t.Fatal(err)
	}
}

func TestDialChoosesTheLineAndLogsOff(t *testing.T) {
	p := apitest.New(line.Config{
		Groups: []line.Group{{Name: "Sales"}},
		Lines: []line.Line{
			{Name: "Off", Group: "Sales", Disabled: true},
			{Name: "Lost", Group: "Sales"},
			{Name: "Alice", Group: "Sales"},
		},
	})
	if err := p.SetRegistration("Lost", line.RegFailed); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	fakeServe(t, data, p)

	// A number written in parts is one number; the first line that offers dial takes it.
	out, errOut, code := lineup(t, "--data", data, "dial", "+49", "30", "555-12")
	if code != 0 {
		t.Fatalf("dial: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "line:    Alice\n") || !strings.Contains(out, "dialled: +493055512\n") || !strings.Contains(out, "call:    call-") {
		t.Errorf("dial printed %q", out)
	}
	want := []apitest.Action{
		{Client: "lineup dial", Method: "Dial", Target: "Alice", Arg: "+49 30 555-12"},
		{Client: "lineup dial", Method: "LogOff"},
	}
	if got := p.Actions(); !slices.Equal(got, want) {
		t.Errorf("actions %+v, want %+v", got, want)
	}
	if got := p.Clients(); len(got) != 0 {
		t.Errorf("still logged on after dial: %v", got)
	}

	// With no line able to dial, the error says where each stands.
	if err := p.SetRegistration("Alice", line.RegRegistering); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = lineup(t, "--data", data, "dial", "201")
	if code != 1 || !strings.Contains(errOut, "no line offers dial now (Off: switched off, Lost: failed, Alice: registering); choose one with --line") {
		t.Errorf("dial with no line able: exit %d, %q", code, errOut)
	}
	// The engine's refusal comes through with its reason.
	_, errOut, code = lineup(t, "--data", data, "dial", "201", "--line", "Lost")
	if code != 1 || !strings.Contains(errOut, "dial is not possible while the line is not registered") {
		t.Errorf("dial on a line that is not registered: exit %d, %q", code, errOut)
	}
}

func TestJournalThroughTheAPIPages(t *testing.T) {
	p := apitest.New(line.Config{Groups: []line.Group{{Name: "Sales"}}, Lines: []line.Line{{Name: "Alice", Group: "Sales"}}})
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	const n = 2500
	for i := range n {
		start := t0.Add(time.Duration(i) * time.Minute)
		p.AddJournal(line.JournalEntry{Line: "Alice", Group: "Sales", Direction: line.Incoming,
			RemoteNumber: "+4930" + strconv.Itoa(1000+i), Start: start, End: start.Add(time.Second), Outcome: line.OutcomeMissed})
	}
	data := t.TempDir()
	fakeServe(t, data, p)
	for _, c := range []struct {
		args        []string
		rows        int
		first, last int // IDs
	}{
		{nil, n, n, 1},
		{[]string{"--limit", "1500"}, 1500, n, n - 1499},
		{[]string{"--limit", "1000"}, 1000, n, n - 999},
	} {
		out, errOut, code := lineup(t, append([]string{"--data", data, "journal", "--csv"}, c.args...)...)
		if code != 0 {
			t.Fatalf("journal %v: exit %d: %s", c.args, code, errOut)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs)-1 != c.rows || recs[1][0] != strconv.Itoa(c.first) || recs[len(recs)-1][0] != strconv.Itoa(c.last) {
			t.Errorf("journal %v: %d rows from %s to %s, want %d from %d to %d", c.args, len(recs)-1,
				recs[1][0], recs[len(recs)-1][0], c.rows, c.first, c.last)
		}
	}
}

func TestVoicemailAndLampsThroughTheAPI(t *testing.T) {
	p := apitest.New(line.Config{
		Groups: []line.Group{{Name: "Sales", Voicemail: "*97", Monitored: []string{"202", "203"}}, {Name: "Desk"}},
		Lines:  []line.Line{{Name: "Ben", Group: "Desk"}, {Name: "Alice", Group: "Sales"}},
	})
	if err := p.SetVoicemail("Alice", api.Voicemail{Known: true, Waiting: true, New: 2, Old: 5}); err != nil {
		t.Fatal(err)
	}
	p.SetLamp("Sales", "203", api.LampRinging)
	data := t.TempDir()
	fakeServe(t, data, p)

	out, errOut, code := lineup(t, "--data", data, "lamps")
	if code != 0 {
		t.Fatalf("lamps: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Alice\tvoicemail: 2 new, 5 old\tlamps: 202 unknown, 203 ringing\n") || !strings.Contains(out, "Ben\tvoicemail: -\tlamps: \n") {
		t.Errorf("lamps printed %q", out)
	}
	// Without a LINE: the first line that offers voicemail.
	out, errOut, code = lineup(t, "--data", data, "voicemail")
	if code != 0 {
		t.Fatalf("voicemail: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "line:    Alice\n") || !strings.Contains(out, "dialled: *97\n") {
		t.Errorf("voicemail printed %q", out)
	}
	_, errOut, code = lineup(t, "--data", data, "voicemail", "Ben")
	if code != 1 || !strings.Contains(errOut, "no voicemail number") {
		t.Errorf("voicemail on Ben: exit %d, %q", code, errOut)
	}
}
