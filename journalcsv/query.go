package journalcsv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// QueryFlags are the filters of `lineup journal` as command-line flags.
type QueryFlags struct {
	Line, Number, Outcome, From, To string
	Exact                           bool
	Limit                           int
}

// AddQueryFlags adds --line, --number, --exact, --outcome, --from, --to and --limit to fs.
func AddQueryFlags(fs *flag.FlagSet) *QueryFlags {
	f := &QueryFlags{}
	fs.StringVar(&f.Line, "line", "", "only calls on this `line`")
	fs.StringVar(&f.Number, "number", "", "only calls whose remote or local number ends with these `digits`")
	fs.BoolVar(&f.Exact, "exact", false, "--number must match the whole number (canonical form, e.g. +49891234567)")
	fs.StringVar(&f.Outcome, "outcome", "", "only calls with this `outcome`: answered, missed, declined, busy, cancelled, answered_elsewhere, picked_up_locally, deflected, failed or transferred")
	fs.StringVar(&f.From, "from", "", "only calls that started at or after `TIME` (2026-01-31 or 2026-01-31T14:00:00+01:00)")
	fs.StringVar(&f.To, "to", "", "only calls that started before `TIME`")
	fs.IntVar(&f.Limit, "limit", 0, "at most `N` entries, the newest (0: all)")
	return f
}

// Query checks the flags and returns the query they select. A date or a time without a zone is
// local time. Each error names the flag at fault.
func (f *QueryFlags) Query() (api.JournalQuery, error) {
	q := api.JournalQuery{Line: f.Line, Number: strings.TrimSpace(f.Number), ExactNumber: f.Exact, Limit: f.Limit}
	if f.Exact && q.Number == "" {
		return q, errors.New("--exact needs --number")
	}
	if q.Number != "" {
		if err := line.CheckJournalNumber(q.Number); err != nil {
			return q, fmt.Errorf("--number %q: %v", q.Number, err)
		}
	}
	if f.Outcome != "" {
		var err error
		if q.Outcome, err = line.ParseOutcome(f.Outcome); err != nil {
			return q, fmt.Errorf("--outcome: %w", err)
		}
	}
	for _, t := range []struct {
		flag, val string
		dst       *time.Time
	}{{"--from", f.From, &q.From}, {"--to", f.To, &q.To}} {
		if t.val == "" {
			continue
		}
		tm, err := parseLocalTime(t.val)
		if err != nil {
			return q, fmt.Errorf("%s %q: must be a date (2026-01-31) or a time (2026-01-31T14:00:00+01:00 or 2026-01-31 14:00)", t.flag, t.val)
		}
		*t.dst = tm
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return q, fmt.Errorf("--to %q: must be after --from %q", f.To, f.From)
	}
	if q.Limit < 0 {
		return q, fmt.Errorf("--limit %d: must be 0 (all) or more", q.Limit)
	}
	return q, nil
}

// parseLocalTime reads a date or a time; a date or a time without zone is local time.
func parseLocalTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02 15:04", time.DateTime, "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date or time")
}

// Print writes the entries read selects, newest first and at most limit (0: all), to w as CSV
// or as the table WriteTable writes, reading pageSize entries at a time.
func Print(w io.Writer, asCSV bool, pageSize, limit int, read ReadPage) error {
	if asCSV {
		_, err := WritePages(w, pageSize, limit, read, nil)
		return err
	}
	var entries []line.JournalEntry
	if err := Pages(pageSize, limit, read, func(es []line.JournalEntry) error {
		entries = append(entries, es...)
		return nil
	}); err != nil {
		return err
	}
	return WriteTable(w, entries)
}
