package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/journalcsv"
	"github.com/lineupphone/lineup/line"
)

// This file is what the journal window asks of the session: the query its filter fields make,
// and the CSV export of the entries they select.

// exportPage is how many entries the CSV export reads at a time.
const exportPage = 1000

// journalFilter turns what the filter fields say into a query and a match for the text the
// query cannot select. Text that reads as a phone number (digits, with + * # and the usual
// separators) selects by number; other text matches names, numbers, lines and memos.
func journalFilter(text, lineName, outcome, from, to string) (api.JournalQuery, func(line.JournalEntry) bool, error) {
	var q api.JournalQuery
	match := func(line.JournalEntry) bool { return true }
	if lineName != "" && lineName != allLines {
		q.Line = lineName
	}
	for _, o := range line.Outcomes() {
		if outcomeText(o) == outcome {
			q.Outcome = o
		}
	}
	day := func(field, s string) (time.Time, error) {
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", s, time.Local)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s date %q: must be written YYYY-MM-DD", field, s)
		}
		return t, nil
	}
	var err error
	if q.From, err = day("from", from); err != nil {
		return q, nil, err
	}
	if q.To, err = day("to", to); err != nil {
		return q, nil, err
	}
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // the To day is included
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return q, nil, errors.New("to date: must not be before the from date")
	}
	text = strings.TrimSpace(text)
	if n := numberText(text); n != "" {
		q.Number = n
	} else if text != "" {
		low := strings.ToLower(text)
		match = func(e line.JournalEntry) bool {
			for _, s := range []string{e.RemoteName, e.RemoteNumber, e.LocalNumber, e.Line, e.Memo, e.FeatureCode} {
				if strings.Contains(strings.ToLower(s), low) {
					return true
				}
			}
			return false
		}
	}
	return q, match, nil
}

// numberText returns s without separators when it reads as a phone number, else "".
func numberText(s string) string {
	var b strings.Builder
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			b.WriteRune(r)
		case r == '+' || r == '*' || r == '#':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '/' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	if digits == 0 || line.CheckJournalNumber(b.String()) != nil {
		return ""
	}
	return b.String()
}

// export asks for a file and writes the filtered entries to it as CSV.
func (j *journalView) export() {
	dialog.ShowFileSave(func(w fyne.URIWriteCloser, err error) {
		switch {
		case err != nil:
			j.u.showError(j.win, "Export", err)
		case w != nil:
			j.exportTo(w, nil)
		}
	}, j.win)
}

// exportTo writes the entries the filters select (all of them, not only those read) to w as
// CSV and closes it; done, when not nil, runs afterwards with how many were written.
func (j *journalView) exportTo(w io.WriteCloser, done func(n int, err error)) {
	s := j.u.sess
	q, match := j.q, j.match
	n := 0
	j.showStatus("Exporting…")
	j.u.b.run(func(ctx context.Context) error {
		var err error
		n, err = exportJournal(ctx, s, q, match, w)
		if cerr := w.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("export journal: %w", cerr)
		}
		return err
	}, func(err error) {
		if err != nil {
			j.u.showError(j.win, "Export", err)
		} else {
			j.showStatus("Exported " + nCalls(n))
		}
		if done != nil {
			done(n, err)
		}
	})
}

// exportJournal writes the entries q and match select, newest first, to w as CSV, reading a
// page at a time, and returns how many it wrote.
func exportJournal(ctx context.Context, s api.Session, q api.JournalQuery, match func(line.JournalEntry) bool, w io.Writer) (int, error) {
	if s == nil {
		return 0, fmt.Errorf("export journal: %w", api.ErrLoggedOff)
	}
	n, err := journalcsv.WritePages(w, exportPage, 0, func(before uint64, limit int) ([]line.JournalEntry, error) {
		q.Before, q.Limit = before, limit
		return s.Journal(ctx, q)
	}, match)
	if err != nil {
		return n, fmt.Errorf("export journal: %w", err)
	}
	return n, nil
}
