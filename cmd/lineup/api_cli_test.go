package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/testpbx"
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
	if err := writeJournalCSV(&viaAPI, entries); err != nil {
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
	s.wait(t, `msg="local api listening"`, 1)
	s.wait(t, `msg="line registered"`, 2)

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
