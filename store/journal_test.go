package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

// t0 is a Friday morning; the test calls happen around it.
var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// call returns an answered incoming call on line Reception, starting at t0+min minutes, lasting
// one minute, with name as the caller's display name.
func call(min int, name string) line.JournalEntry {
	start := t0.Add(time.Duration(min) * time.Minute)
	return line.JournalEntry{
		Line: "Reception", Group: "Zentrale", Direction: line.Incoming,
		LocalNumber: "+49891234201", RemoteNumber: "+4930123456", RemoteName: name,
		Start: start, Answer: start.Add(5 * time.Second), End: start.Add(65 * time.Second),
		Duration: time.Minute, Outcome: line.OutcomeAnswered, Client: "desktop",
	}
}

// missed turns e into a call nobody answered.
func missed(e line.JournalEntry) line.JournalEntry {
	e.Answer, e.Duration, e.Outcome, e.Client = time.Time{}, 0, line.OutcomeMissed, ""
	return e
}

func addAll(t *testing.T, j *Journal, es ...line.JournalEntry) {
	t.Helper()
	for _, e := range es {
		if err := j.Add(context.Background(), e); err != nil {
			t.Fatalf("Add(%s): %v", e.RemoteName, err)
		}
	}
	if err := j.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// sameEntry reports the first difference between got and want, ignoring the ID.
func sameEntry(got, want line.JournalEntry) string {
	for _, tm := range []struct {
		name   string
		g, w   time.Time
		bothOK bool
	}{{"start", got.Start, want.Start, true}, {"answer", got.Answer, want.Answer, true}, {"end", got.End, want.End, true}} {
		if !tm.g.Equal(tm.w) {
			return fmt.Sprintf("%s %v, want %v", tm.name, tm.g, tm.w)
		}
	}
	got.ID, got.Start, got.Answer, got.End = want.ID, want.Start, want.Answer, want.End
	if got != want {
		return fmt.Sprintf("got %+v\nwant %+v", got, want)
	}
	return ""
}

func names(es []line.JournalEntry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.RemoteName)
	}
	return strings.Join(out, ",")
}

func TestJournalRoundTripNewestFirst(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	j := s.Journal()
	if got, err := j.Latest(10); err != nil || len(got) != 0 {
		t.Fatalf("fresh journal: Latest = %v, %v; want empty", got, err)
	}

	a := call(0, "A")
	b := missed(call(10, "B"))
	b.RemoteNumber = "" // anonymous
	c := call(20, "C")
	c.Direction, c.Outcome, c.Code, c.FeatureCode = line.Outgoing, line.OutcomeDeclined, 603, "Call forwarding off"
	c.Answer, c.Duration, c.Client, c.Memo = time.Time{}, 0, "api:crm", "line 1\nline 2, \"quoted\""
	// D ended before C (the clock went back): it is still the newest entry, as it was written last.
	d := call(5, "D")
	d.ID = 12345 // ignored
	addAll(t, j, a, b, c, d)

	got, err := j.Latest(10)
	if err != nil {
		t.Fatal(err)
	}
	want := []line.JournalEntry{d, c, b, a}
	if len(got) != len(want) {
		t.Fatalf("Latest(10) = %s, want D,C,B,A", names(got))
	}
	for i := range want {
		if diff := sameEntry(got[i], want[i]); diff != "" {
			t.Errorf("entry %d (%s): %s", i, want[i].RemoteName, diff)
		}
		if i > 0 && got[i].ID >= got[i-1].ID {
			t.Errorf("IDs not decreasing: %d after %d", got[i].ID, got[i-1].ID)
		}
	}
	if got[0].ID == 12345 {
		t.Error("the store kept the ID given to Add")
	}
	if two, err := j.Latest(2); err != nil || names(two) != "D,C" {
		t.Errorf("Latest(2) = %s, %v; want D,C", names(two), err)
	}
	if _, err := j.Latest(-1); err == nil {
		t.Error("Latest(-1) gave no error")
	}

	// The entries survive a reopen, and the schema version did not change.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, dir)
	again, err := s2.Journal().Latest(10)
	if err != nil || names(again) != "D,C,B,A" {
		t.Fatalf("after reopen: %s, %v", names(again), err)
	}
	if again[0].ID != got[0].ID {
		t.Errorf("ID changed across reopen: %d, was %d", again[0].ID, got[0].ID)
	}
	if v, err := s2.SchemaVersion(); err != nil || v != currentVersion {
		t.Errorf("schema version %d (%v), want %d", v, err, currentVersion)
	}
}

func TestJournalQueryFilters(t *testing.T) {
	s := openT(t, t.TempDir())
	j := s.Journal()

	a := call(0, "A") // Reception, from +4930123456, answered
	b := missed(call(10, "B"))
	b.RemoteNumber = "+4940555201"
	c := call(20, "C")
	c.Line, c.LocalNumber, c.RemoteNumber = "Hotline 1", "+12125550100", "201" // an internal caller
	d := missed(call(30, "D"))
	d.Line, d.LocalNumber, d.RemoteNumber = "Hotline 1", "+12125550100", "+4930777"
	e := call(60, "E")
	e.Direction, e.RemoteNumber = line.Outgoing, "+4930999"
	f := missed(call(24*60, "F")) // the next day
	f.RemoteNumber = "+4930123456"
	g := call(24*60+5, "G")
	g.Line, g.LocalNumber, g.RemoteNumber = "Boss", "+49891234202", "+49891234201" // Boss calls Reception's number
	addAll(t, j, a, b, c, d, e, f, g)

	day2 := t0.Add(24 * time.Hour)
	tests := []struct {
		name string
		q    JournalQuery
		want string
	}{
		{"all", JournalQuery{}, "G,F,E,D,C,B,A"},
		{"limit", JournalQuery{Limit: 3}, "G,F,E"},
		{"line", JournalQuery{Line: "Hotline 1"}, "D,C"},
		{"line is exact", JournalQuery{Line: "Hotline"}, ""},
		{"unknown line", JournalQuery{Line: "Nobody"}, ""},
		{"number exact", JournalQuery{Number: "+4930123456", ExactNumber: true}, "F,A"},
		{"number by last digits", JournalQuery{Number: "123456"}, "F,A"},
		{"number suffix covers several numbers", JournalQuery{Number: "201"}, "G,F,E,C,B,A"},
		{"extension exactly", JournalQuery{Number: "201", ExactNumber: true}, "C"},
		{"local number", JournalQuery{Number: "+12125550100", ExactNumber: true}, "D,C"},
		{"remote or local", JournalQuery{Number: "+49891234201", ExactNumber: true}, "G,F,E,B,A"},
		{"number not found", JournalQuery{Number: "888"}, ""},
		{"outcome", JournalQuery{Outcome: line.OutcomeMissed}, "F,D,B"},
		{"outcome none", JournalQuery{Outcome: line.OutcomeBusy}, ""},
		{"from", JournalQuery{From: day2}, "G,F"},
		{"to", JournalQuery{To: t0.Add(20 * time.Minute)}, "B,A"},
		{"range", JournalQuery{From: t0.Add(10 * time.Minute), To: t0.Add(61 * time.Minute)}, "E,D,C,B"},
		{"range by start, not end", JournalQuery{From: t0.Add(30*time.Minute + time.Second)}, "G,F,E"},
		{"line and outcome", JournalQuery{Line: "Reception", Outcome: line.OutcomeMissed}, "F,B"},
		{"number and range", JournalQuery{Number: "123456", From: day2}, "F"},
		{"number and line", JournalQuery{Number: "201", Line: "Boss"}, "G"},
		{"number, outcome, limit", JournalQuery{Number: "201", Outcome: line.OutcomeAnswered, Limit: 2}, "G,E"},
		{"line, range, limit", JournalQuery{Line: "Reception", To: day2, Limit: 2}, "E,B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := j.Query(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if names(got) != tc.want {
				t.Errorf("got %q, want %q", names(got), tc.want)
			}
		})
	}

	// Paging with Before walks every filter's results without gaps or repeats.
	for _, q := range []JournalQuery{{}, {Line: "Reception"}, {Number: "201"}} {
		var all []string
		q.Limit = 2
		for {
			page, err := j.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			all = append(all, names(page))
			q.Before = page[len(page)-1].ID
		}
		full, _ := j.Query(JournalQuery{Line: q.Line, Number: q.Number})
		if strings.Join(all, ",") != names(full) {
			t.Errorf("pages of %+v: %q, want %q", q, all, names(full))
		}
	}

	for _, q := range []JournalQuery{
		{Number: "+49 30"}, {Outcome: 99}, {Limit: -1}, {From: day2, To: t0},
	} {
		if _, err := j.Query(q); err == nil {
			t.Errorf("Query(%+v) gave no error", q)
		}
	}
}

func TestJournalSetMemo(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	j := s.Journal()
	addAll(t, j, call(0, "A"), call(1, "B"))
	es, _ := j.Latest(2)
	b, a := es[0], es[1]

	if err := j.SetMemo(a.ID, "sent the offer\tto Erika"); err != nil {
		t.Fatal(err)
	}
	if err := j.SetMemo(a.ID+1_000_000_000, "x"); !errors.Is(err, ErrJournalEntryNotFound) {
		t.Errorf("SetMemo(unknown id): %v, want ErrJournalEntryNotFound", err)
	}
	if err := j.SetMemo(b.ID, "bell\a"); !errors.Is(err, line.ErrInvalid) || !strings.Contains(err.Error(), "memo") {
		t.Errorf("SetMemo(control character): %v, want an ErrInvalid about the memo", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	es, err := openT(t, dir).Journal().Latest(2)
	if err != nil {
		t.Fatal(err)
	}
	a.Memo = "sent the offer\tto Erika"
	for i, want := range []line.JournalEntry{b, a} {
		if es[i].ID != want.ID {
			t.Fatalf("entry %d: ID %d, want %d", i, es[i].ID, want.ID)
		}
		if diff := sameEntry(es[i], want); diff != "" {
			t.Errorf("entry %s: %s", want.RemoteName, diff)
		}
	}
	// Clearing the memo.
	s3 := openT(t, t.TempDir())
	addAll(t, s3.Journal(), func() line.JournalEntry { e := call(0, "M"); e.Memo = "old"; return e }())
	m, _ := s3.Journal().Latest(1)
	if err := s3.Journal().SetMemo(m[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	if m, _ = s3.Journal().Latest(1); m[0].Memo != "" {
		t.Errorf("memo %q after clearing", m[0].Memo)
	}
}

func TestJournalExportCSV(t *testing.T) {
	s := openT(t, t.TempDir())
	j := s.Journal()
	a := call(0, "Erika Mustermann")
	a.Memo = "called back, \"urgent\"\nsecond line"
	b := missed(call(10, "=HYPERLINK(\"http://evil.example\",\"click\")"))
	b.RemoteNumber = ""
	c := call(20, "-2+3")
	c.Answer, c.Duration, c.Outcome, c.Code, c.Client = time.Time{}, 0, line.OutcomeDeclined, 486, ""
	c.Direction, c.FeatureCode = line.Outgoing, "@SUM(A1)"
	d := call(30, "Dave")
	d.Duration = 1500 * time.Millisecond
	addAll(t, j, a, b, c, d)

	var buf bytes.Buffer
	if err := j.ExportCSV(&buf, JournalQuery{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	wantHeader := "id,line,group,direction,local_number,remote_number,remote_name,start,answer,end," +
		"duration_seconds,outcome,code,feature_code,client,memo"
	if len(rows) != 5 || strings.Join(rows[0], ",") != wantHeader {
		t.Fatalf("got %d rows, header %q", len(rows), rows[0])
	}
	latest, _ := j.Latest(4)
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for i, want := range []line.JournalEntry{d, c, b, a} {
		row := rows[i+1]
		cell := func(h string) string { return row[col[h]] }
		if cell("id") != strconv.FormatUint(latest[i].ID, 10) {
			t.Errorf("row %d: id %q, want %d", i+1, cell("id"), latest[i].ID)
		}
		for h, w := range map[string]string{
			"line": want.Line, "group": want.Group, "direction": want.Direction.String(),
			"local_number": want.LocalNumber, "remote_number": want.RemoteNumber,
			"outcome": want.Outcome.String(), "client": want.Client, "memo": want.Memo,
		} {
			if cell(h) != w {
				t.Errorf("row %d: %s %q, want %q", i+1, h, cell(h), w)
			}
		}
		for h, w := range map[string]time.Time{"start": want.Start, "answer": want.Answer, "end": want.End} {
			if w.IsZero() {
				if cell(h) != "" {
					t.Errorf("row %d: %s %q, want empty", i+1, h, cell(h))
				}
				continue
			}
			if tm, err := time.Parse(time.RFC3339, cell(h)); err != nil || !tm.Equal(w) {
				t.Errorf("row %d: %s %q (%v), want %v", i+1, h, cell(h), err, w)
			}
		}
	}
	// Values a person would check in the spreadsheet.
	checks := []struct {
		row       int
		col, want string
	}{
		{1, "duration_seconds", "1.5"},
		{4, "duration_seconds", "60"},
		{3, "duration_seconds", "0"},
		{2, "code", "486"},
		{4, "code", ""},
		{4, "remote_number", "+4930123456"}, // a number stays a number
		{3, "remote_name", `'=HYPERLINK("http://evil.example","click")`},
		{2, "remote_name", "'-2+3"},
		{2, "feature_code", "'@SUM(A1)"},
		{4, "remote_name", "Erika Mustermann"},
	}
	for _, c := range checks {
		if got := rows[c.row][col[c.col]]; got != c.want {
			t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.want)
		}
	}

	// A query limits the export; paging inside the export does not repeat or drop rows.
	buf.Reset()
	if err := j.ExportCSV(&buf, JournalQuery{Outcome: line.OutcomeAnswered, Limit: 1}); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	if len(rows) != 2 || rows[1][col["remote_name"]] != "Dave" {
		t.Errorf("limited export: %q", rows)
	}
	more := make([]line.JournalEntry, 0, 2*journalPage+5)
	for i := range cap(more) {
		more = append(more, call(100+i, fmt.Sprintf("bulk %d", i)))
	}
	addAll(t, j, more...)
	buf.Reset()
	if err := j.ExportCSV(&buf, JournalQuery{}); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&buf).ReadAll()
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if seen[r[0]] {
			t.Fatalf("id %s exported twice", r[0])
		}
		seen[r[0]] = true
	}
	if len(rows) != 1+4+len(more) {
		t.Errorf("full export: %d rows, want %d", len(rows), 1+4+len(more))
	}
}

func TestJournalCloseFlushes(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	for i := range n {
		if err := s.Journal().Add(context.Background(), call(i, fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil { // no Flush: Close must write what is queued
		t.Fatal(err)
	}
	if err := s.Journal().Add(context.Background(), call(0, "late")); !errors.Is(err, ErrJournalClosed) {
		t.Errorf("Add after Close: %v, want ErrJournalClosed", err)
	}
	got, err := openT(t, dir).Journal().Latest(n + 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || got[0].RemoteName != fmt.Sprint(n-1) || got[n-1].RemoteName != "0" {
		t.Fatalf("after reopen: %d entries, newest %q; want %d, newest %q", len(got), got[0].RemoteName, n, fmt.Sprint(n-1))
	}
}

func TestJournalRejectsInvalid(t *testing.T) {
	s := openT(t, t.TempDir())
	j := s.Journal()
	bad := call(0, "bad")
	bad.End = bad.Start.Add(-time.Minute)
	err := j.Add(context.Background(), bad)
	if !errors.Is(err, line.ErrInvalid) {
		t.Fatalf("Add(end before start) = %v, want line.ErrInvalid", err)
	}
	if fes := line.FieldErrors(err); len(fes) == 0 || fes[0].Key != "end" || !strings.Contains(err.Error(), "must not be before start") {
		t.Errorf("error %q does not name the end time and the rule", err)
	}
	noLine := call(1, "x")
	noLine.Line = ""
	if err := j.Add(context.Background(), noLine); !errors.Is(err, line.ErrInvalid) || !strings.Contains(err.Error(), "line: must not be empty") {
		t.Errorf("Add(no line) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := j.Add(ctx, call(2, "cancelled ctx")); !errors.Is(err, context.Canceled) {
		t.Errorf("Add(cancelled ctx) = %v", err)
	}
	if err := j.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := j.Latest(10); len(got) != 0 {
		t.Errorf("refused entries were written: %s", names(got))
	}
}

func TestJournalAddDoesNotWaitForDisk(t *testing.T) {
	s := openT(t, t.TempDir())
	j := s.Journal()
	// Hold the only write transaction, as a slow disk would hold the writer.
	tx, err := s.db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	release := func() {
		if !released {
			released = true
			_ = tx.Rollback()
		}
	}
	t.Cleanup(release)

	start := time.Now()
	for i := range 1000 {
		if err := j.Add(context.Background(), call(i, "x")); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("1000 Adds took %v while the disk was busy", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := j.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush while the writer is blocked: %v, want DeadlineExceeded", err)
	}
	// Fill the backlog: the entry beyond it is refused, not waited for.
	var full error
	for i := 0; i < journalMaxQueued+1 && full == nil; i++ {
		full = j.Add(context.Background(), call(i, "x"))
	}
	if !errors.Is(full, ErrJournalBacklog) {
		t.Errorf("Add beyond the backlog: %v, want ErrJournalBacklog", full)
	}

	release()
	if err := j.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var count int
	_ = s.db.View(func(tx *bolt.Tx) error {
		count = tx.Bucket(bucketJournal).Stats().KeyN
		return nil
	})
	if count < journalMaxQueued || count > journalMaxQueued+1000 {
		t.Errorf("%d entries written, want between %d and %d", count, journalMaxQueued, journalMaxQueued+1000)
	}
}

func TestJournalConcurrentAdd(t *testing.T) {
	s := openT(t, t.TempDir())
	j := s.Journal()
	const workers, each = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := call(i, fmt.Sprintf("w%d-%d", w, i))
				e.Line = fmt.Sprintf("line %d", w)
				if err := j.Add(context.Background(), e); err != nil {
					errs <- err
					return
				}
				if i%50 == 0 {
					if _, err := j.Latest(5); err != nil { // readers beside the writer
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := j.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	all, err := j.Query(JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != workers*each {
		t.Fatalf("%d entries, want %d", len(all), workers*each)
	}
	seen := map[string]bool{}
	ids := map[uint64]bool{}
	for _, e := range all {
		if seen[e.RemoteName] || ids[e.ID] {
			t.Fatalf("entry %s (id %d) twice", e.RemoteName, e.ID)
		}
		seen[e.RemoteName], ids[e.ID] = true, true
	}
	// Each worker's entries, by line, come back newest first in the order that worker added them.
	got, err := j.Query(JournalQuery{Line: "line 3"})
	if err != nil || len(got) != each || got[0].RemoteName != fmt.Sprintf("w3-%d", each-1) || got[each-1].RemoteName != "w3-0" {
		t.Errorf("line 3: %d entries (%v), first %v", len(got), err, got[0].RemoteName)
	}
}

func TestJournalCorruptRecord(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	addAll(t, s.Journal(), call(0, "A"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJournal)
		k, _ := b.Cursor().Last()
		return b.Put(k, []byte("{not json"))
	})
	_, err = openT(t, dir).Journal().Latest(1)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `bucket "journal"`) {
		t.Errorf("Latest over a damaged record: %v, want ErrCorrupt naming the bucket", err)
	}
}

// TestJournalRecordID checks that the ID Record hands out is the one the entry is found under,
// also for entries with the same end time and after the store is opened again.
func TestJournalRecordID(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var ids []uint64
	for i := range 3 {
		e := call(0, fmt.Sprint("caller ", i)) // the same times: IDs must still differ
		e.End = base
		e.Start, e.Answer, e.Duration = base.Add(-time.Minute), base.Add(-time.Minute), time.Minute
		id, err := s.Journal().Record(context.Background(), e)
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
		ids = append(ids, id)
	}
	if ids[0] != uint64(base.UnixMicro()) || ids[1] != ids[0]+1 || ids[2] != ids[1]+1 {
		t.Fatalf("ids %v: want end time in microseconds, then +1, +1", ids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir)
	id, err := s.Journal().Record(context.Background(), call(0, "after reopen"))
	if err != nil {
		t.Fatal(err)
	}
	if id <= ids[2] {
		t.Fatalf("id after reopen %d: want above %d", id, ids[2])
	}
	if err := s.Journal().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, want := range append(ids, id) {
		got, err := s.Journal().Query(JournalQuery{Before: want + 1, Limit: 1})
		if err != nil || len(got) != 1 || got[0].ID != want {
			t.Fatalf("entry %d: query for id %d gave %v, %v", i, want, got, err)
		}
	}
}
