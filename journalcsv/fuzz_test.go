package journalcsv

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
)

// FuzzCSVDefusing writes an entry whose caller-controlled texts (remote name and number, memo,
// client, feature code) are anything, and reads the CSV back: it stays one row of the header's
// columns, no text cell starts as a spreadsheet formula would (=, @, +, -, tab or CR, except a
// plain +number), and dropping the defusing quote gives the text back.
func FuzzCSVDefusing(f *testing.F) {
	for _, s := range []string{"=HYPERLINK(\"http://x\")", "@SUM(A1)", "+49301234", "-1+1", "\tx", "\r=1", "a,\"b\"\nc", "'", "+", "Jürgen"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, memo string) {
		e := line.JournalEntry{ID: 1, Line: "L", Direction: line.Incoming, RemoteNumber: name, RemoteName: name,
			Memo: memo, Client: memo, FeatureCode: name, Start: time.Unix(0, 0), End: time.Unix(1, 0), Outcome: line.OutcomeMissed}
		var b bytes.Buffer
		w := New(&b)
		if err := w.Write([]line.JournalEntry{e}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("the CSV does not read back: %v\n%q", err, b.String())
		}
		if len(recs) != 2 || len(recs[1]) != len(recs[0]) {
			t.Fatalf("%d rows of %v columns, want the header and one row of the same width", len(recs), len(recs[len(recs)-1]))
		}
		for i, want := range map[int]string{5: name, 6: name, 13: name, 14: memo, 15: memo} {
			cell := recs[1][i]
			if formula(cell) {
				t.Errorf("column %s: %q starts like a formula", recs[0][i], cell)
			}
			// encoding/csv turns \r\n into \n inside a quoted field.
			norm := strings.ReplaceAll(want, "\r\n", "\n")
			if cell != norm && cell != "'"+norm && strings.ReplaceAll(cell, "\r\n", "\n") != norm {
				t.Errorf("column %s: %q, want %q, possibly behind one quote", recs[0][i], cell, norm)
			}
		}
	})
}

// formula reports whether a spreadsheet would read cell as a formula.
func formula(cell string) bool {
	if cell == "" {
		return false
	}
	switch cell[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		return len(cell) == 1 || strings.Trim(cell[1:], "0123456789") != ""
	}
	return false
}
