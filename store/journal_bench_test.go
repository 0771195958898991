package store

import (
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

const (
	benchJournalSize    = 1_000_000
	benchJournalNumbers = 10_000 // distinct callers: about 100 calls each
	benchJournalBatch   = 5_000
)

// benchNumber returns the remote number of caller i.
func benchNumber(i int) string { return fmt.Sprintf("+4930%07d", (i*7919)%9_999_991) }

// benchJournal opens a store in b.TempDir holding benchJournalSize entries: 20 lines, 10,000
// callers, a call every 30 seconds over about a year, a quarter of them missed. The entries are
// written in big transactions directly, without the queue and without fsync, to keep set-up short.
func benchJournal(b *testing.B) *Store {
	b.Helper()
	s := openT(b, b.TempDir())
	start := time.Now()
	s.db.NoSync = true
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	batch := make([]line.JournalEntry, 0, benchJournalBatch)
	for i := 0; i < benchJournalSize; i++ {
		st := base.Add(time.Duration(i) * 30 * time.Second)
		e := line.JournalEntry{
			Line: fmt.Sprintf("Line %d", i%20), Group: "Zentrale", Direction: line.Incoming,
			LocalNumber: fmt.Sprintf("+498912342%02d", i%20), RemoteNumber: benchNumber(i % benchJournalNumbers),
			RemoteName: "Caller", Start: st, End: st.Add(20 * time.Second), Outcome: line.OutcomeMissed,
		}
		if i%4 != 0 {
			e.Answer, e.Duration, e.Outcome, e.Client = st.Add(5*time.Second), 15*time.Second, line.OutcomeAnswered, "desktop"
		}
		e.ID = uint64(e.End.UnixMicro()) // as Record assigns it: the entries end 30 s apart
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if err := s.db.Update(func(tx *bolt.Tx) error { return putJournal(tx, batch) }); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	s.db.NoSync = false
	if err := s.db.Sync(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a journal of %d entries in %v", benchJournalSize, time.Since(start).Round(time.Millisecond))
	return s
}

func reportMS(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
}

// BenchmarkJournal measures the journal view's queries on a journal of a million calls. Goals:
// Latest(100) <= 20 ms, a search by number <= 100 ms.
func BenchmarkJournal(b *testing.B) {
	s := benchJournal(b)
	j := s.Journal()
	b.Run("Latest100", func(b *testing.B) {
		for b.Loop() {
			es, err := j.Latest(100)
			if err != nil || len(es) != 100 {
				b.Fatalf("Latest(100) = %d entries, %v", len(es), err)
			}
		}
		reportMS(b)
	})
	// Number 42 called 100 times over the year.
	want := benchJournalSize / benchJournalNumbers
	b.Run("NumberExact", func(b *testing.B) {
		q := JournalQuery{Number: benchNumber(42), ExactNumber: true}
		for b.Loop() {
			es, err := j.Query(q)
			if err != nil || len(es) != want {
				b.Fatalf("Query(%+v) = %d entries, %v; want %d", q, len(es), err, want)
			}
		}
		reportMS(b)
	})
	b.Run("NumberLastDigits", func(b *testing.B) {
		n := benchNumber(42)
		q := JournalQuery{Number: n[len(n)-7:]}
		for b.Loop() {
			es, err := j.Query(q)
			if err != nil || len(es) < want {
				b.Fatalf("Query(%+v) = %d entries, %v; want at least %d", q, len(es), err, want)
			}
		}
		reportMS(b)
	})
	// The last three digits match a thousand numbers or so: the view shows the newest 100.
	b.Run("NumberShortSuffixLimit100", func(b *testing.B) {
		q := JournalQuery{Number: "201", Limit: 100}
		for b.Loop() {
			es, err := j.Query(q)
			if err != nil || len(es) != 100 {
				b.Fatalf("Query(%+v) = %d entries, %v", q, len(es), err)
			}
		}
		reportMS(b)
	})
	b.Run("LineLimit100", func(b *testing.B) {
		q := JournalQuery{Line: "Line 8", Outcome: line.OutcomeMissed, Limit: 100}
		for b.Loop() {
			es, err := j.Query(q)
			if err != nil || len(es) != 100 {
				b.Fatalf("Query(%+v) = %d entries, %v", q, len(es), err)
			}
		}
		reportMS(b)
	})
}
