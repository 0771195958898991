package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
)

// TestJournalScreenshot draws the journal window with a fortnight of calls and writes it as
// journal.png to the test's temporary directory and to $LINEUP_ARTEFACTS when set, for a
// person to look at.
func TestJournalScreenshot(t *testing.T) {
	var entries []line.JournalEntry
	for d := 13; d >= 0; d-- {
		for k := range d%5 + 2 {
			e := typicalEntries()[k%4]
			off := time.Duration(k) * 7 * time.Minute
			e.Start, e.End = e.Start.AddDate(0, 0, -d).Add(off), e.End.AddDate(0, 0, -d).Add(off)
			if !e.Answer.IsZero() {
				e.Answer = e.Answer.AddDate(0, 0, -d).Add(off)
			}
			entries = append(entries, e)
		}
	}
	h, _, j := openJournalOn(t, entries)
	h.until("the chart is drawn", func() bool { return len(j.chart.days) == chartDays })
	h.settle()
	img := j.win.Canvas().Capture()
	b := img.Bounds()
	if b.Dx() < 100 || b.Dy() < 100 {
		t.Fatalf("the journal window draws %v", b)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("LINEUP_ARTEFACTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		f, err := os.Create(filepath.Join(d, "journal.png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
