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
	qf := journalcsv.AddQueryFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fmt.Errorf("journal: %w", errUsage)
	}
	if len(pos) > 0 {
		return fmt.Errorf("journal takes no arguments, only flags (got %q): %w", pos[0], errUsage)
	}
	if qf.Exact && strings.TrimSpace(qf.Number) == "" {
		return fmt.Errorf("--exact needs --number: %w", errUsage)
	}
	q, err := qf.Query()
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s, found, err := connectAPI(ctx, g, "lineup journal")
	switch {
	case err != nil && (found || !errors.Is(err, api.ErrNotRunning)):
		return fmt.Errorf("journal: %w", err)
	case found:
		defer s.LogOff(context.WithoutCancel(ctx))
		err := journalcsv.Print(stdout, *asCSV, journalPage, q.Limit, func(before uint64, limit int) ([]line.JournalEntry, error) {
			page := q
			page.Before, page.Limit = before, limit
			return s.Journal(ctx, page)
		})
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		return nil
	}
	// No server with the API (or a stale api.json): read the data file.
	st, err := g.openStore(stderr)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return fmt.Errorf("journal: %w; a line server runs without the local API: restart it with 'lineup serve --api 127.0.0.1:0' to read the journal while it runs", err)
		}
		return err
	}
	defer st.Close()
	return journalcsv.Print(stdout, *asCSV, journalPage, q.Limit, func(before uint64, limit int) ([]line.JournalEntry, error) {
		return st.Journal().Query(store.JournalQuery{Line: q.Line, Number: q.Number, ExactNumber: q.ExactNumber,
			Outcome: q.Outcome, From: q.From, To: q.To, Before: before, Limit: limit})
	})
}

// journalPage is how many entries one read of the journal asks for, so that no single answer
// (or read transaction) grows with the whole journal.
const journalPage = 1000
