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

// Config reads the saved configuration. A file with none yet gives an empty Config.
func (s *Store) Config() (line.Config, error) {
	var cfg line.Config
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		cfg, err = readConfig(tx)
		return err
	})
	if err != nil {
		return line.Config{}, fmt.Errorf("read config: %w", err)
	}
	return cfg, nil
}

// SaveConfig replaces the whole configuration with cfg, its unset settings at their defaults, in
// one transaction. An invalid configuration changes nothing; the error is the one
// line.Config.Validate returned, so errors.Is(err, line.ErrInvalid) holds and line.FieldErrors
// lists every violation.
func (s *Store) SaveConfig(cfg line.Config) error {
	c := cfg.WithDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return writeConfig(tx, c) }); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// Update reads the configuration, lets fn change it, applies the defaults, validates and writes
// the result, all in one read-write transaction. An error from fn, or a validation error (returned
// as Validate gave it), aborts and nothing changes. fn must not call other methods of s: bbolt
// allows one writer at a time and such a call would wait for this one forever.
func (s *Store) Update(fn func(*line.Config) error) error {
	var invalid error
	err := s.db.Update(func(tx *bolt.Tx) error {
		cfg, err := readConfig(tx)
		if err != nil {
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
		return writeConfig(tx, c)
	})
	if err != nil && invalid == nil {
		return fmt.Errorf("update config: %w", err)
	}
	return err
}

func readConfig(tx *bolt.Tx) (line.Config, error) {
	var cfg line.Config
	var err error
	if cfg.Locations, err = readList(tx, bucketLocations, locationRecord.location); err != nil {
		return line.Config{}, err
	}
	if cfg.Groups, err = readList(tx, bucketGroups, groupRecord.group); err != nil {
		return line.Config{}, err
	}
	if cfg.Lines, err = readList(tx, bucketLines, lineRecord.line); err != nil {
		return line.Config{}, err
	}
	return cfg, nil
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

func writeConfig(tx *bolt.Tx, c line.Config) error {
	if err := writeList(tx, bucketLocations, c.Locations, toLocationRecord); err != nil {
		return err
	}
	if err := writeList(tx, bucketGroups, c.Groups, toGroupRecord); err != nil {
		return err
	}
	return writeList(tx, bucketLines, c.Lines, toLineRecord)
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
