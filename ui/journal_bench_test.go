package ui

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// BenchmarkJournalViewOpen opens the journal window of the line server (engine and its bbolt
// data file, as the desktop app runs them) on a journal of 100,000 calls and scrolls to the
// bottom of what it shows ten times. It reports the milliseconds until the first rows are drawn
// (by the test driver's software painter), and how many entries the table and the chart read:
// the table reads a page per scroll, never the whole journal (issue 6: open in at most 300 ms).
func BenchmarkJournalViewOpen(b *testing.B) {
	const entries = 100_000
	p := journalServer(b, manyEntries(entries))
	a := test.NewTempApp(b)
	q := make(chan func(), 1<<14)
	u, err := Create(context.Background(), a, p, Options{
		do:     func(f func()) { q <- f },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-q:
				case <-done:
					return
				}
			}
		}()
		_ = u.Close()
		close(done)
	})
	pump := func(what string, cond func() bool) {
		deadline := time.After(30 * time.Second)
		for !cond() {
			select {
			case f := <-q:
				f()
			case <-deadline:
				b.Fatalf("timed out waiting until %s", what)
			}
		}
	}
	pump("the lines show", func() bool { return len(u.lines) == 3 })

	var openMS, tableRead, chartRead, scrolledRead float64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		u.mv.openJournal()
		j := u.mv.journal
		pump("the first rows show", func() bool { return len(j.rows) > 0 })
		j.win.Canvas().Capture() // draw them
		openMS += float64(time.Since(start).Microseconds()) / 1000
		tableRead += float64(j.fetched)
		for range 10 {
			n := len(j.rows)
			j.table.ScrollToBottom()
			pump("scrolling reads the next page", func() bool { return len(j.rows) > n && !j.loading })
		}
		scrolledRead += float64(j.fetched)
		pump("the chart is drawn", func() bool { return len(j.chart.days) > 0 })
		chartRead += float64(j.chartFetched)
		b.StopTimer()
		j.win.Close()
		if j.fetched >= entries {
			b.Fatalf("scrolling read all %d entries", j.fetched)
		}
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(openMS/n, "ms-to-first-rows")
	b.ReportMetric(tableRead/n, "entries-read-at-open")
	b.ReportMetric(scrolledRead/n, "entries-read-after-10-scrolls")
	b.ReportMetric(chartRead/n, "entries-read-by-chart")
}

// journalServer runs a line server whose data file holds entries; its lines are not in use, so
// nothing registers anywhere.
func journalServer(b *testing.B, entries []line.JournalEntry) api.Phone {
	b.Helper()
	cfg := testConfig()
	for i := range cfg.Lines {
		cfg.Lines[i].Disabled = true
		cfg.Lines[i].Account = line.Account{Registrar: "127.0.0.1:9", User: "u"}
	}
	srv, st := lineServer(b, b.TempDir(), cfg)
	ctx := context.Background()
	for i, e := range entries {
		if _, err := st.Journal().Record(ctx, e); err != nil {
			b.Fatal(err)
		}
		if (i+1)%10_000 == 0 || i == len(entries)-1 { // the writer's backlog is bounded
			if err := st.Journal().Flush(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	return srv
}
