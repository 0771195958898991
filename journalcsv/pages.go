package journalcsv

import (
	"io"

	"github.com/lineupphone/lineup/line"
)

// ReadPage reads one page of a journal query, newest first: at most limit entries older than
// the entry before, or from where the query itself starts when before is 0.
type ReadPage func(before uint64, limit int) ([]line.JournalEntry, error)

// Pages reads a journal query a page of pageSize entries at a time, each page starting after the
// last entry of the one before, and hands each page to each; it stops after limit entries (0:
// all) or at the first page shorter than asked for.
func Pages(pageSize, limit int, read ReadPage, each func([]line.JournalEntry) error) error {
	var before uint64
	left := limit
	for {
		n := pageSize
		if limit > 0 {
			n = min(left, pageSize)
		}
		got, err := read(before, n)
		if err != nil {
			return err
		}
		if err := each(got); err != nil {
			return err
		}
		left -= len(got)
		if len(got) < n || limit > 0 && left <= 0 {
			return nil
		}
		before = got[len(got)-1].ID
	}
}

// WritePages writes the entries that read selects as CSV to w, with its header, a page at a time
// (see Pages); keep, when not nil, picks the entries written. It returns how many were written.
func WritePages(w io.Writer, pageSize, limit int, read ReadPage, keep func(line.JournalEntry) bool) (int, error) {
	cw := New(w)
	n := 0
	err := Pages(pageSize, limit, read, func(es []line.JournalEntry) error {
		if keep != nil {
			kept := es[:0:0]
			for _, e := range es {
				if keep(e) {
					kept = append(kept, e)
				}
			}
			es = kept
		}
		n += len(es)
		return cw.Write(es)
	})
	if err != nil {
		return n, err
	}
	return n, cw.Flush()
}
