package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/journalcsv"
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
		entries, err := journalPages(ctx, s, q)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if *asCSV {
			return writeJournalCSV(stdout, entries)
		}
		return writeJournalTable(stdout, entries)
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
	return writeJournalTable(stdout, entries)
}

// apiPage is how many entries one API request asks for.
const apiPage = 1000

// journalPages reads the entries q selects through the API a page at a time, so that no single
// answer grows with the whole journal.
func journalPages(ctx context.Context, s api.Session, q api.JournalQuery) ([]line.JournalEntry, error) {
	var out []line.JournalEntry
	for {
		page := q
		page.Limit = apiPage
		if q.Limit > 0 {
			page.Limit = min(q.Limit-len(out), apiPage)
		}
		got, err := s.Journal(ctx, page)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		if len(got) < page.Limit || (q.Limit > 0 && len(out) >= q.Limit) {
			return out, nil
		}
		q.Before = got[len(got)-1].ID
	}
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

// writeJournalTable writes entries as a table for people. Texts that came from callers are
// cleaned of control characters, so that a display name cannot steer the terminal.
func writeJournalTable(w io.Writer, entries []line.JournalEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no journal entries")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTART\tLINE\tDIRECTION\tNUMBER\tNAME\tOUTCOME\tDURATION\tMEMO")
	for _, e := range entries {
		outcome := e.Outcome.String()
		if e.Code != 0 {
			outcome += " (" + strconv.Itoa(e.Code) + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Start.Local().Format(time.DateTime),
			cell(e.Line, 24), e.Direction, cell(e.RemoteNumber, 24), cell(e.RemoteName, 24), outcome,
			clock(e.Duration), cell(e.Memo, 40))
	}
	return tw.Flush()
}

// clock writes a duration as h:mm:ss or m:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// cell makes a text fit one table cell: its first line, no control characters, no tabs, at most
// max characters; "-" for none.
func cell(s string, max int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " ..."
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}

// writeJournalCSV writes entries as the store's ExportCSV does, so that the CSV is the same
// whether it comes through the API or from the data file.
func writeJournalCSV(w io.Writer, entries []line.JournalEntry) error {
	cw := journalcsv.New(w)
	if err := cw.Write(entries); err != nil {
		return err
	}
	return cw.Flush()
}
