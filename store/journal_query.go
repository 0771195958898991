package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/journalcsv"
	"github.com/lineupphone/lineup/line"
)

// JournalQuery selects journal entries. Zero fields select everything; the filters combine
// with "and". Results are newest first (by ID).
type JournalQuery struct {
	// Line is a line's name, matched exactly.
	Line string
	// Number matches entries whose remote or local number ends with it, so "1234567" finds
	// "+49891234567" and "201" finds the extension 201 as well as "+49891234201". With
	// ExactNumber the whole number must equal it. Numbers are compared in their canonical form,
	// as stored; Number follows line.CheckJournalNumber.
	Number      string
	ExactNumber bool
	// Outcome selects one outcome; line.OutcomeUnset selects all.
	Outcome line.Outcome
	// From and To select entries whose Start is in [From, To); a zero bound is open.
	From, To time.Time
	// Before selects entries with an ID below it, to page through results; 0 means no bound.
	Before uint64
	// Limit returns at most this many entries; 0 means no limit.
	Limit int
}

func (q JournalQuery) check() error {
	var errs []error
	if q.Number != "" {
		if err := line.CheckJournalNumber(q.Number); err != nil {
			errs = append(errs, fmt.Errorf("number %q: %w", q.Number, err))
		}
	}
	if q.Outcome != line.OutcomeUnset && !q.Outcome.Valid() {
		errs = append(errs, fmt.Errorf("outcome %d: %w", int(q.Outcome), line.ErrUnknownValue))
	}
	if q.Limit < 0 {
		errs = append(errs, fmt.Errorf("limit %d: must not be negative", q.Limit))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		errs = append(errs, errors.New("time range: to must be after from"))
	}
	return errors.Join(errs...)
}

// Latest returns the n newest entries, newest first.
func (j *Journal) Latest(n int) ([]line.JournalEntry, error) {
	if n < 0 {
		return nil, fmt.Errorf("read journal: count %d: must not be negative", n)
	}
	if n == 0 {
		return nil, nil
	}
	return j.Query(JournalQuery{Limit: n})
}

// Query returns the entries q selects, newest first. Entries still queued by Add are not seen;
// call Flush first where that matters.
func (j *Journal) Query(q JournalQuery) ([]line.JournalEntry, error) {
	if err := q.check(); err != nil {
		return nil, fmt.Errorf("query journal: %w", err)
	}
	var out []line.JournalEntry
	err := j.s.view(func(tx *bolt.Tx) error {
		return scanJournal(tx, q, func(e line.JournalEntry) bool {
			out = append(out, e)
			return q.Limit == 0 || len(out) < q.Limit
		})
	})
	if err != nil {
		return nil, fmt.Errorf("query journal: %w", err)
	}
	return out, nil
}

// scanJournal calls fn for each entry q selects, newest first, until fn returns false. Only the
// Limit of q is left to fn.
func scanJournal(tx *bolt.Tx, q JournalQuery, fn func(line.JournalEntry) bool) error {
	entries := tx.Bucket(bucketJournal)
	if entries == nil {
		return nil
	}
	// Entries with an ID below floor ended, and so started, before From.
	var floor uint64
	if !q.From.IsZero() {
		floor = uint64(max(q.From.UnixMicro(), 0))
	}
	ceiling := q.Before // exclusive; 0 for none
	inRange := func(id uint64) bool { return id >= floor && (ceiling == 0 || id < ceiling) }
	match := func(e *line.JournalEntry) bool {
		return (q.Line == "" || e.Line == q.Line) &&
			(q.Outcome == line.OutcomeUnset || e.Outcome == q.Outcome) &&
			(q.From.IsZero() || !e.Start.Before(q.From)) &&
			(q.To.IsZero() || e.Start.Before(q.To))
	}
	visit := func(k, v []byte) (bool, error) {
		if v == nil {
			return false, fmt.Errorf("bucket %q key %x: entry in index but missing: %w", bucketJournal, k, ErrCorrupt)
		}
		e, err := decodeEntry(k, v)
		if err != nil {
			return false, err
		}
		if !match(&e) {
			return true, nil
		}
		return fn(e), nil
	}

	if q.Number != "" {
		// Several numbers may end in the digits asked for, each with its own run of IDs: gather
		// the IDs from the index keys, then read the entries newest first.
		idx := tx.Bucket(bucketJournalByNumber)
		if idx == nil {
			return nil
		}
		prefix := reversed(q.Number)
		if q.ExactNumber {
			prefix = append(prefix, 0)
		}
		var ids []uint64
		c := idx.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(k) < 9 {
				return fmt.Errorf("bucket %q key %x: too short: %w", bucketJournalByNumber, k, ErrCorrupt)
			}
			if id := binary.BigEndian.Uint64(k[len(k)-8:]); inRange(id) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		ids = slices.Compact(ids) // an entry with equal local and remote number is indexed once, but be safe
		for i := len(ids) - 1; i >= 0; i-- {
			k := idKey(ids[i])
			more, err := visit(k, entries.Get(k))
			if err != nil || !more {
				return err
			}
		}
		return nil
	}

	if q.Line != "" {
		idx := tx.Bucket(bucketJournalByLine)
		if idx == nil {
			return nil
		}
		prefix := append([]byte(q.Line), 0)
		return reverseWalk(idx.Cursor(), prefix, ceiling, func(k, _ []byte) (bool, error) {
			if len(k) != len(prefix)+8 {
				return false, fmt.Errorf("bucket %q key %x: bad length: %w", bucketJournalByLine, k, ErrCorrupt)
			}
			id := binary.BigEndian.Uint64(k[len(prefix):])
			if id < floor {
				return false, nil
			}
			ek := idKey(id)
			return visit(ek, entries.Get(ek))
		})
	}

	return reverseWalk(entries.Cursor(), nil, ceiling, func(k, v []byte) (bool, error) {
		if len(k) == 8 && binary.BigEndian.Uint64(k) < floor {
			return false, nil
		}
		return visit(k, v)
	})
}

// reverseWalk calls fn for the keys prefix + 8-byte ID, from the highest ID below ceiling (all
// when ceiling is 0) down, until fn returns false or an error.
func reverseWalk(c *bolt.Cursor, prefix []byte, ceiling uint64, fn func(k, v []byte) (bool, error)) error {
	var seek []byte
	if ceiling != 0 {
		seek = binary.BigEndian.AppendUint64(slices.Clone(prefix), ceiling)
	} else {
		// Longer than any key of the prefix, and above all of them.
		seek = append(slices.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	}
	k, v := c.Seek(seek)
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
		more, err := fn(k, v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// ExportCSV writes the entries q selects, newest first, as CSV: see package journalcsv for the
// columns. It reads the journal a page at a time.
func (j *Journal) ExportCSV(w io.Writer, q JournalQuery) error {
	if err := q.check(); err != nil {
		return fmt.Errorf("export journal: %w", err)
	}
	_, err := journalcsv.WritePages(w, journalPage, q.Limit, func(before uint64, limit int) ([]line.JournalEntry, error) {
		page := q
		page.Limit = limit
		if before != 0 {
			page.Before = before
		}
		return j.Query(page)
	}, nil)
	if err != nil {
		return fmt.Errorf("export journal: %w", err)
	}
	return nil
}
