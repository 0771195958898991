package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/journalcsv"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/store"
)

// cmdJournal prints the call journal, newest first: through the running line server's API when
// one runs with --api (the data file is locked then), else from the data file itself.
func cmdJournal(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("journal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	asCSV := fs.Bool("csv", false, "write CSV (RFC 4180, with a header row) instead of a table")
	lineName := fs.String("line", "", "only calls on this `line`")
	number := fs.String("number", "", "only calls whose remote or local number ends with these `digits`")
	exact := fs.Bool("exact", false, "--number must match the whole number (canonical form, e.g. +49891234567)")
	outcome := fs.String("outcome", "", "only calls with this `outcome`: answered, missed, declined, busy, cancelled, answered_elsewhere, picked_up_locally, deflected or failed")
	from := fs.String("from", "", "only calls that started at or after `TIME` (2026-01-31 or 2026-01-31T14:00:00+01:00)")
	to := fs.String("to", "", "only calls that started before `TIME`")
	limit := fs.Int("limit", 0, "at most `N` entries, the newest (0: all)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fmt.Errorf("journal: %w", errUsage)
	}
	if len(pos) > 0 {
		return fmt.Errorf("journal takes no arguments, only flags (got %q): %w", pos[0], errUsage)
	}
	q := api.JournalQuery{Line: *lineName, Number: strings.TrimSpace(*number), ExactNumber: *exact, Limit: *limit}
	if *exact && q.Number == "" {
		return fmt.Errorf("--exact needs --number: %w", errUsage)
	}
	if q.Number != "" {
		if err := line.CheckJournalNumber(q.Number); err != nil {
			return fmt.Errorf("--number %q: %v", q.Number, err)
		}
	}
	if *outcome != "" {
		if q.Outcome, err = line.ParseOutcome(*outcome); err != nil {
			return fmt.Errorf("--outcome: %w", err)
		}
	}
	for _, t := range []struct {
		flag, val string
		dst       *time.Time
	}{{"--from", *from, &q.From}, {"--to", *to, &q.To}} {
		if t.val == "" {
			continue
		}
		tm, err := parseLocalTime(t.val)
		if err != nil {
			return fmt.Errorf("%s %q: must be a date (2026-01-31) or a time (2026-01-31T14:00:00+01:00 or 2026-01-31 14:00)", t.flag, t.val)
		}
		*t.dst = tm
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		return fmt.Errorf("--to %q: must be after --from %q", *to, *from)
	}
	if q.Limit < 0 {
		return fmt.Errorf("--limit %d: must be 0 (all) or more", q.Limit)
	}

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s, found, err := connectAPI(ctx, g, "lineup journal")
	switch {
	case err != nil && (found || !errors.Is(err, api.ErrNotRunning)):
		return fmt.Errorf("journal: %w", err)
	case found:
		defer s.LogOff(context.WithoutCancel(ctx))
		// Pages of apiPage entries, so that no single answer grows with the whole journal.
		read := func(before uint64, limit int) ([]line.JournalEntry, error) {
			page := q
			page.Limit = limit
			if before != 0 {
				page.Before = before
			}
			return s.Journal(ctx, page)
		}
		if *asCSV {
			if _, err := journalcsv.WritePages(stdout, apiPage, q.Limit, read, nil); err != nil {
				return fmt.Errorf("journal: %w", err)
			}
			return nil
		}
		var entries []line.JournalEntry
		if err := journalcsv.Pages(apiPage, q.Limit, read, func(es []line.JournalEntry) error {
			entries = append(entries, es...)
			return nil
		}); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		return journalcsv.WriteTable(stdout, entries)
	}
	// No server with the API (or a stale api.json): read the data file.
	dir, err := g.dataDir()
	if err != nil {
		return err
	}
	st, err := store.Open(dir)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("journal: %w; a line server runs without the local API: restart it with 'lineup serve --api 127.0.0.1:0' to read the journal while it runs", err)
		}
		return err
	}
	defer st.Close()
	sq := store.JournalQuery{Line: q.Line, Number: q.Number, ExactNumber: q.ExactNumber,
		Outcome: q.Outcome, From: q.From, To: q.To, Limit: q.Limit}
	if *asCSV {
		return st.Journal().ExportCSV(stdout, sq)
	}
	entries, err := st.Journal().Query(sq)
	if err != nil {
		return err
	}
	return journalcsv.WriteTable(stdout, entries)
}

// apiPage is how many entries one API request asks for.
const apiPage = 1000

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
