package journalcsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
)

// journal is n entries, newest (highest ID) first, and a ReadPage over them that records what
// it was asked for.
type journal struct {
	entries []line.JournalEntry
	asked   []string
}

func newJournal(n int) *journal {
	j := &journal{}
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for id := n; id >= 1; id-- {
		j.entries = append(j.entries, line.JournalEntry{ID: uint64(id), Line: "Alice", Direction: line.Incoming,
			RemoteNumber: fmt.Sprint(200 + id), Start: start.Add(time.Duration(id) * time.Minute),
			End: start.Add(time.Duration(id)*time.Minute + time.Second), Outcome: line.OutcomeMissed})
	}
	return j
}

func (j *journal) read(before uint64, limit int) ([]line.JournalEntry, error) {
	j.asked = append(j.asked, fmt.Sprintf("%d/%d", before, limit))
	var out []line.JournalEntry
	for _, e := range j.entries {
		if (before == 0 || e.ID < before) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func ids(es []line.JournalEntry) string {
	var s []string
	for _, e := range es {
		s = append(s, fmt.Sprint(e.ID))
	}
	return strings.Join(s, ",")
}

func TestPagesReadsEverythingOnceInOrder(t *testing.T) {
	for _, tc := range []struct {
		n, page, limit int
		want, asked    string
	}{
		{7, 3, 0, "7,6,5,4,3,2,1", "0/3 5/3 2/3"},
		{6, 3, 0, "6,5,4,3,2,1", "0/3 4/3 1/3"}, // a full last page needs one more (empty) read
		{7, 3, 4, "7,6,5,4", "0/3 5/1"},
		{7, 3, 3, "7,6,5", "0/3"},
		{2, 3, 5, "2,1", "0/3"},
		{0, 3, 0, "", "0/3"},
	} {
		j := newJournal(tc.n)
		var got []line.JournalEntry
		err := Pages(tc.page, tc.limit, j.read, func(es []line.JournalEntry) error {
			got = append(got, es...)
			return nil
		})
		if err != nil || ids(got) != tc.want || strings.Join(j.asked, " ") != tc.asked {
			t.Errorf("%d entries, pages of %d, limit %d: got %q asking %q (%v); want %q asking %q",
				tc.n, tc.page, tc.limit, ids(got), j.asked, err, tc.want, tc.asked)
		}
	}
}

func TestPagesStopsAtAnError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	err := Pages(2, 0, func(uint64, int) ([]line.JournalEntry, error) {
		calls++
		return nil, boom
	}, func([]line.JournalEntry) error { return nil })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("error %v after %d reads, want boom after 1", err, calls)
	}
}

func TestWritePagesWritesOneCSVOfTheKeptEntries(t *testing.T) {
	j := newJournal(5)
	var buf bytes.Buffer
	n, err := WritePages(&buf, 2, 0, j.read, func(e line.JournalEntry) bool { return e.ID%2 == 1 })
	if err != nil || n != 3 {
		t.Fatalf("wrote %d, %v; want 3", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || recs[0][0] != "id" || recs[1][0] != "5" || recs[2][0] != "3" || recs[3][0] != "1" {
		t.Errorf("records %q: want the header once and entries 5, 3, 1", recs)
	}
	buf.Reset()
	if n, err := WritePages(&buf, 2, 0, newJournal(0).read, nil); err != nil || n != 0 ||
		buf.String() != strings.Join(journalCSVHeader, ",")+"\n" {
		t.Errorf("an empty journal: %d, %v, %q; want the header alone", n, err, buf.String())
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(1)": "'=HYPERLINK(1)", "@x": "'@x", "+4930123": "+4930123", "+x": "'+x",
		"-": "'-", "-12": "-12", "Bob": "Bob", "": "",
	} {
		if got := csvText(in); got != want {
			t.Errorf("csvText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteTableCleansCallerTexts(t *testing.T) {
	e := newJournal(1).entries[0]
	e.RemoteName = "Eve\x1b[31m\nsecond line"
	e.Duration = 3723 * time.Second
	e.Outcome, e.Code = line.OutcomeDeclined, 603
	e.ConferenceWith = "203"
	var buf bytes.Buffer
	if err := WriteTable(&buf, []line.JournalEntry{e}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"ID", "MEMO", "Eve?[31m ...", "1:02:03", "declined (603), conference with 203", "201"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, '\x1b') || strings.Count(out, "\n") != 2 {
		t.Errorf("a caller's text steers the terminal or breaks the row:\n%q", out)
	}
	buf.Reset()
	if err := WriteTable(&buf, nil); err != nil || buf.String() != "no journal entries\n" {
		t.Errorf("no entries: %q, %v", buf.String(), err)
	}
}
