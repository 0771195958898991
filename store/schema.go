package store

import (
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// currentVersion is the schema version this build writes.
const currentVersion = 2

var (
	bucketMeta = []byte("meta")
	keySchema  = []byte("schema")
	// keyID holds the data file's random ID, which names its passwords in the OS keyring.
	keyID = []byte("id")
)

// migration turns a file of schema version from into version to, inside the transaction it is
// given. It must not commit or roll back.
type migration struct {
	from, to int
	fn       func(tx *bolt.Tx) error
}

// migrations lists the steps between schema versions in order.
//
// Version 2 gives the file a random ID (meta "id") and lets a line's account record name its
// password in the OS keyring ("password_ref") instead of holding it: a build that knows only
// version 1 would read such a line without a password, so it must refuse the file. Records of
// version 1 read unchanged; moving their passwords into a keyring is Open's work (secrets.go),
// as it needs the keyring, not only the file.
var migrations = []migration{
	{from: 1, to: 2, fn: func(tx *bolt.Tx) error {
		_, err := ensureID(tx)
		return err
	}},
}

// ensureID returns the file's ID, creating it when the file has none.
func ensureID(tx *bolt.Tx) (string, error) {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return "", fmt.Errorf("create bucket %q: %w", bucketMeta, err)
	}
	if id := meta.Get(keyID); len(id) > 0 {
		return string(id), nil
	}
	id, err := randomHex(16)
	if err != nil {
		return "", fmt.Errorf("make data file ID: %w", err)
	}
	if err := meta.Put(keyID, []byte(id)); err != nil {
		return "", fmt.Errorf("write data file ID: %w", err)
	}
	return id, nil
}

// SchemaVersion returns the schema version recorded in the file.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		v, _, err = readVersion(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// readVersion returns the file's schema version and whether the file holds nothing at all.
func readVersion(tx *bolt.Tx) (version int, empty bool, err error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		empty = true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error {
			empty = false
			return nil
		})
		return 0, empty, nil
	}
	raw := meta.Get(keySchema)
	if raw == nil {
		return 0, false, fmt.Errorf("bucket %q key %q: missing: %w", bucketMeta, keySchema, ErrCorrupt)
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 0 {
		return 0, false, fmt.Errorf("bucket %q key %q: bad version %q: %w", bucketMeta, keySchema, raw, ErrCorrupt)
	}
	return v, false, nil
}

func writeVersion(tx *bolt.Tx, v int) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", bucketMeta, err)
	}
	if err := meta.Put(keySchema, []byte(strconv.Itoa(v))); err != nil {
		return fmt.Errorf("write schema version: %w", err)
	}
	return nil
}

// upgrade brings the file to schema version current. A current file is only read; a newer one is
// refused without a write; a new one gets the version recorded; an older one runs the migration
// chain in one transaction.
func (s *Store) upgrade(current int, steps []migration) error {
	var version int
	var empty bool
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		version, empty, err = readVersion(tx)
		return err
	}); err != nil {
		return err
	}
	switch {
	case version == current && !empty:
		return nil
	case version > current:
		return fmt.Errorf("schema version %d, this build knows up to %d: %w", version, current, ErrSchemaTooNew)
	}
	return s.update(func(tx *bolt.Tx) error {
		// Read again: the file is locked, but the transaction is what counts.
		version, empty, err := readVersion(tx)
		if err != nil {
			return err
		}
		if empty {
			if _, err := ensureID(tx); err != nil {
				return err
			}
			return writeVersion(tx, current)
		}
		from := version
		for version < current {
			step, ok := findStep(steps, version)
			if !ok {
				return fmt.Errorf("schema version %d: no migration to version %d: %w", version, current, ErrCorrupt)
			}
			if err := step.fn(tx); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", step.from, step.to, err)
			}
			version = step.to
		}
		if version != current {
			return fmt.Errorf("migrations from schema %d end at %d, not %d", from, version, current)
		}
		s.log.Info("migrated data file", "path", s.path, "from", from, "to", current)
		return writeVersion(tx, current)
	})
}

func findStep(steps []migration, from int) (migration, bool) {
	for _, m := range steps {
		if m.from == from && m.to > m.from {
			return m, true
		}
	}
	return migration{}, false
}
