package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

var (
	bucketLocations = []byte("locations")
	bucketGroups    = []byte("groups")
	bucketLines     = []byte("lines")
)

// Config reads the saved configuration, the lines' passwords filled in from wherever they are
// kept (SecretsIn). A file with none yet gives an empty Config.
func (s *Store) Config() (line.Config, error) {
	var cfg line.Config
	var refs []string
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		cfg, refs, err = readConfig(tx)
		return err
	})
	if err == nil {
		err = s.fillPasswords(cfg.Lines, refs)
	}
	if err != nil {
		return line.Config{}, fmt.Errorf("read config: %w", err)
	}
	return cfg, nil
}

// SaveConfig replaces the whole configuration with cfg, its unset settings at their defaults, in
// one transaction. An invalid configuration changes nothing; the error is the one
// line.Config.Validate returned, so errors.Is(err, line.ErrInvalid) holds and line.FieldErrors
// lists every violation. With the OS keyring in use, new and changed passwords are written to it
// before the file's commit (a failure aborts the save, naming the line), taken out again when the
// commit fails, and the passwords no longer used are deleted from it after the commit.
func (s *Store) SaveConfig(cfg line.Config) error {
	c := cfg.WithDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	var ch secretChange
	err := s.update(func(tx *bolt.Tx) error { return s.writeConfig(tx, c, &ch) })
	if err := s.finishSecrets(&ch, err); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// Update reads the configuration, lets fn change it, applies the defaults, validates and writes
// the result, all in one read-write transaction. An error from fn, or a validation error (returned
// as Validate gave it), aborts and nothing changes. fn must not call other methods of s: bbolt
// allows one writer at a time and such a call would wait for this one forever. Passwords are
// handled as by SaveConfig.
func (s *Store) Update(fn func(*line.Config) error) error {
	var invalid error
	var ch secretChange
	err := s.update(func(tx *bolt.Tx) error {
		cfg, refs, err := readConfig(tx)
		if err != nil {
			return err
		}
		if err := s.fillPasswords(cfg.Lines, refs); err != nil {
			return err
		}
		if err := fn(&cfg); err != nil {
			return err
		}
		c := cfg.WithDefaults()
		if err := c.Validate(); err != nil {
			invalid = err
			return err
		}
		return s.writeConfig(tx, c, &ch)
	})
	err = s.finishSecrets(&ch, err)
	if err != nil && invalid == nil {
		return fmt.Errorf("update config: %w", err)
	}
	return err
}

// lineRef is a line and the keyring ref its record names.
type lineRef struct {
	line line.Line
	ref  string
}

// readConfig reads the configuration records; refs[i] is the password ref of cfg.Lines[i]
// (fillPasswords resolves them).
func readConfig(tx *bolt.Tx) (cfg line.Config, refs []string, err error) {
	if cfg.Locations, err = readList(tx, bucketLocations, locationRecord.location); err != nil {
		return line.Config{}, nil, err
	}
	if cfg.Groups, err = readList(tx, bucketGroups, groupRecord.group); err != nil {
		return line.Config{}, nil, err
	}
	lines, err := readList(tx, bucketLines, func(r lineRecord) (lineRef, error) {
		l, err := r.line()
		return lineRef{line: l, ref: r.Account.PasswordRef}, err
	})
	if err != nil {
		return line.Config{}, nil, err
	}
	for _, l := range lines {
		cfg.Lines = append(cfg.Lines, l.line)
		refs = append(refs, l.ref)
	}
	return cfg, refs, nil
}

// readList decodes a bucket's records (R, see records.go) in key order and turns each into its
// item. A missing bucket is an empty list.
func readList[R, T any](tx *bolt.Tx, name []byte, item func(R) (T, error)) ([]T, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, nil
	}
	var out []T
	err := b.ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("bucket %q key %x: key is not an 8-byte sequence number: %w", name, k, ErrCorrupt)
		}
		if v == nil {
			return fmt.Errorf("bucket %q key %d: nested bucket where a record belongs: %w",
				name, binary.BigEndian.Uint64(k), ErrCorrupt)
		}
		var rec R
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("bucket %q key %d: %w: %w", name, binary.BigEndian.Uint64(k), ErrCorrupt, err)
		}
		it, err := item(rec)
		if err != nil {
			return fmt.Errorf("bucket %q key %d: %w: %w", name, binary.BigEndian.Uint64(k), ErrCorrupt, err)
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

// writeConfig writes c's records; ch collects what happened to the passwords.
func (s *Store) writeConfig(tx *bolt.Tx, c line.Config, ch *secretChange) error {
	lines, err := s.lineRecords(tx, c.Lines, ch)
	if err != nil {
		return err
	}
	if err := writeList(tx, bucketLocations, c.Locations, toLocationRecord); err != nil {
		return err
	}
	if err := writeList(tx, bucketGroups, c.Groups, toGroupRecord); err != nil {
		return err
	}
	return writeList(tx, bucketLines, lines, func(r lineRecord) (lineRecord, error) { return r, nil })
}

// writeList replaces a bucket's contents with the records of items, keyed by their position.
func writeList[T, R any](tx *bolt.Tx, name []byte, items []T, record func(T) (R, error)) error {
	if tx.Bucket(name) != nil {
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("clear bucket %q: %w", name, err)
		}
	}
	b, err := tx.CreateBucket(name)
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	// Keys are written in ascending order; a full fill factor keeps the pages dense.
	b.FillPercent = 1.0
	for i, item := range items {
		rec, err := record(item)
		if err != nil {
			return fmt.Errorf("encode %s #%d: %w", name, i+1, err)
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode %s #%d: %w", name, i+1, err)
		}
		if err := b.Put(seqKey(uint64(i)), v); err != nil {
			return fmt.Errorf("write %s #%d: %w", name, i+1, err)
		}
	}
	return nil
}

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}
