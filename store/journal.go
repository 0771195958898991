package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

// The call journal lives in three top-level buckets:
//
//	journal            key: entry ID, 8 bytes big-endian; value: the entry as JSON (journalRecord)
//	journal_by_number  key: reversed number + 0x00 + ID; value: empty. One key for the remote and
//	                   one for the local number of every entry (one only when they are equal).
//	journal_by_line    key: line name + 0x00 + ID; value: empty.
//
// IDs grow with every entry written, so "the latest N" is a reverse cursor walk over "journal".
// An ID is the entry's end time in Unix microseconds, or the previous ID + 1 when that is not
// larger: IDs are unique and increasing, and an entry's ID is never below its end time (nor,
// therefore, its start time). A walk from the newest entry can thus stop at the first ID before
// the From bound of a query. Numbers are stored reversed in the index so that one prefix scan
// finds a number exactly (reversed number + 0x00) or by its last digits (reversed digits alone);
// neither numbers nor line names can contain 0x00 (line.JournalEntry.Validate refuses control
// characters).
//
// The buckets are created by the first journal write and a missing bucket reads as an empty
// journal, so files written before the journal existed need no migration and the schema version
// stays as it was.
var (
	bucketJournal         = []byte("journal")
	bucketJournalByNumber = []byte("journal_by_number")
	bucketJournalByLine   = []byte("journal_by_line")
)

// ErrJournalClosed is wrapped by Journal.Add once the store is closed.
var ErrJournalClosed = errors.New("journal is closed")

// ErrJournalBacklog is wrapped by Journal.Add when so many entries wait for the disk that taking
// more would let memory grow without bound; the entry is not journaled.
var ErrJournalBacklog = errors.New("journal backlog is full")

// ErrJournalEntryNotFound is wrapped when no journal entry has the given ID.
var ErrJournalEntryNotFound = errors.New("journal entry not found")

const (
	// journalMaxQueued bounds the entries waiting for the writer.
	journalMaxQueued = 1 << 16
	// journalMaxBatch bounds the entries written in one transaction.
	journalMaxBatch = 4096
	// journalGather is how long the writer lets entries gather after it wakes, before it
	// commits them.
	journalGather = 5 * time.Millisecond
	// journalPage is how many entries ExportCSV reads per read transaction, so that a long
	// export does not hold one transaction open (which would stall the writer when the file
	// grows).
	journalPage = 1000
)

// journalSlot is the Store's journal, made on first use.
type journalSlot struct {
	once sync.Once
	j    *Journal
}

// Journal is the call journal of a Store. Add queues entries and returns at once; one writer
// goroutine, started by the first Add and stopped by Store.Close, writes what is queued in one
// transaction per batch. Its methods are safe for concurrent use.
type Journal struct {
	s *Store

	mu sync.Mutex
	// queue holds entries accepted by Add and not yet taken by the writer.
	queue []line.JournalEntry
	// queued counts the entries accepted by Add, and done those the writer has finished with
	// (written or lost); Flush waits for done to reach queued.
	queued, done uint64
	// progress is closed and replaced whenever done grows.
	progress chan struct{}
	// lost counts entries whose write failed since the last Flush, and failure is the first
	// such error.
	lost    uint64
	failure error
	running bool
	closed  bool
	// lastID is the newest ID handed out; lastKnown is set once it was read from the disk.
	lastID    uint64
	lastKnown bool
	// wake is signalled when there is work or the journal closes; exited is closed when the
	// writer returns.
	wake   chan struct{}
	exited chan struct{}
}

// Journal returns the store's call journal.
func (s *Store) Journal() *Journal {
	s.journal.once.Do(func() {
		s.journal.j = &Journal{
			s:        s,
			progress: make(chan struct{}),
			wake:     make(chan struct{}, 1),
			exited:   make(chan struct{}),
		}
	})
	return s.journal.j
}

// closeJournal refuses further entries, waits until the writer has written everything queued
// and stops it. It returns the write failures Flush has not reported.
func (s *Store) closeJournal() error {
	j := s.Journal()
	j.mu.Lock()
	j.closed = true
	running := j.running
	j.mu.Unlock()
	if running {
		j.signal()
		<-j.exited
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.takeFailure()
}

func (j *Journal) isClosed() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closed
}

func (j *Journal) signal() {
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

// Add validates e and queues it for writing; it does not wait for the disk. It is Record without
// the ID.
func (j *Journal) Add(ctx context.Context, e line.JournalEntry) error {
	_, err := j.Record(ctx, e)
	return err
}

// Record validates e, gives it its ID and queues it for writing; it does not wait for the disk,
// and the entry can be found under the ID once it is written (Flush waits for that). An ID set in
// e is ignored. An invalid entry is refused with the error of line.JournalEntry.Validate wrapped
// (errors.Is(err, line.ErrInvalid) holds). Record fails with ErrJournalClosed after Store.Close
// and with ErrJournalBacklog when the disk is far behind.
func (j *Journal) Record(ctx context.Context, e line.JournalEntry) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("journal call: %w", err)
	}
	if err := e.Validate(); err != nil {
		return 0, fmt.Errorf("journal call: %w", err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, fmt.Errorf("journal call on line %q: %w", e.Line, ErrJournalClosed)
	}
	if len(j.queue) >= journalMaxQueued {
		return 0, fmt.Errorf("journal call on line %q: %w (%d entries wait for the disk)", e.Line, ErrJournalBacklog, len(j.queue))
	}
	if !j.lastKnown {
		// Once per store: the newest ID on disk. Every later entry passes through here, so the
		// IDs handed out stay unique and increasing.
		err := j.s.view(func(tx *bolt.Tx) error {
			if b := tx.Bucket(bucketJournal); b != nil {
				if k, _ := b.Cursor().Last(); len(k) == 8 {
					j.lastID = binary.BigEndian.Uint64(k)
				}
			}
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("journal call: read the last entry: %w", err)
		}
		j.lastKnown = true
	}
	id := uint64(max(e.End.UnixMicro(), 0))
	if id <= j.lastID {
		id = j.lastID + 1
	}
	j.lastID = id
	e.ID = id
	j.queue = append(j.queue, e)
	j.queued++
	if !j.running {
		j.running = true
		go j.run()
	}
	j.signal()
	return id, nil
}

// Flush waits until every entry queued before the call is written, or ctx ends. It returns an
// error when entries could not be written since the last Flush (they are lost; each failure is
// also logged).
func (j *Journal) Flush(ctx context.Context) error {
	j.mu.Lock()
	target := j.queued
	for j.done < target {
		ch := j.progress
		j.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("flush journal: %w", ctx.Err())
		}
		j.mu.Lock()
	}
	defer j.mu.Unlock()
	return j.takeFailure()
}

// takeFailure returns and forgets the write failures; j.mu must be held.
func (j *Journal) takeFailure() error {
	if j.failure == nil {
		return nil
	}
	err := fmt.Errorf("journal: %d entries could not be written: %w", j.lost, j.failure)
	j.lost, j.failure = 0, nil
	return err
}

// run is the writer: it writes batches until the journal is closed and the queue is empty.
func (j *Journal) run() {
	defer close(j.exited)
	for {
		j.mu.Lock()
		n := min(len(j.queue), journalMaxBatch)
		batch := j.queue[:n:n]
		j.queue = j.queue[n:]
		if len(j.queue) == 0 {
			j.queue = nil // let the array go
		}
		closed := j.closed
		j.mu.Unlock()
		if n == 0 {
			if closed {
				return
			}
			<-j.wake
			if !j.isClosed() {
				// Let a few milliseconds of entries gather, so that a steady stream of calls costs
				// one commit (and one fdatasync) per journalGather, not one per call.
				time.Sleep(journalGather)
			}
			continue
		}
		err := j.s.update(func(tx *bolt.Tx) error { return putJournal(tx, batch) })
		if err != nil {
			j.s.log.Error("journal entries lost: write failed", "entries", n, "error", err)
		}
		j.mu.Lock()
		j.done += uint64(n)
		if err != nil {
			j.lost += uint64(n)
			if j.failure == nil {
				j.failure = err
			}
		}
		close(j.progress)
		j.progress = make(chan struct{})
		j.mu.Unlock()
	}
}

// putJournal writes a batch of valid entries under the IDs Record gave them.
func putJournal(tx *bolt.Tx, batch []line.JournalEntry) error {
	var bs [3]*bolt.Bucket
	for i, name := range [][]byte{bucketJournal, bucketJournalByNumber, bucketJournalByLine} {
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
		bs[i] = b
	}
	entries, byNumber, byLine := bs[0], bs[1], bs[2]
	// IDs only grow, so the entries' pages fill from the right: pack them.
	entries.FillPercent = 0.9
	empty := []byte{}
	for i := range batch {
		e := &batch[i]
		id := e.ID
		v, err := json.Marshal(toRecord(e))
		if err != nil {
			return fmt.Errorf("encode journal entry: %w", err)
		}
		if err := entries.Put(idKey(id), v); err != nil {
			return fmt.Errorf("bucket %q key %d: %w", bucketJournal, id, err)
		}
		numbers := []string{e.RemoteNumber, e.LocalNumber}
		if e.LocalNumber == e.RemoteNumber {
			numbers = numbers[:1]
		}
		for _, n := range numbers {
			if n == "" {
				continue
			}
			if err := byNumber.Put(numberKey(n, id), empty); err != nil {
				return fmt.Errorf("bucket %q: %w", bucketJournalByNumber, err)
			}
		}
		if err := byLine.Put(indexKey([]byte(e.Line), id), empty); err != nil {
			return fmt.Errorf("bucket %q: %w", bucketJournalByLine, err)
		}
	}
	return nil
}

// SetMemo replaces the memo of entry id; an empty memo removes it. It fails with an error
// wrapping ErrJournalEntryNotFound when there is no such entry, and with a validation error
// (line.ErrInvalid) for a memo that is too long or holds control characters other than line
// breaks and tabs.
func (j *Journal) SetMemo(id uint64, memo string) error {
	err := j.s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJournal)
		k := idKey(id)
		var v []byte
		if b != nil {
			v = b.Get(k)
		}
		if v == nil {
			return ErrJournalEntryNotFound
		}
		e, err := decodeEntry(k, v)
		if err != nil {
			return err
		}
		e.Memo = memo
		if err := e.Validate(); err != nil {
			return err
		}
		nv, err := json.Marshal(toRecord(&e))
		if err != nil {
			return fmt.Errorf("encode journal entry: %w", err)
		}
		return b.Put(k, nv)
	})
	if err != nil {
		return fmt.Errorf("set memo of journal entry %d: %w", id, err)
	}
	return nil
}
