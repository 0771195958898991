package store

import (
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// bucketSettings holds the app's own settings (device choices and the like) as key/value text.
// It is created on the first write, so files without it need no migration.
var bucketSettings = []byte("settings")

// ErrBadSettingKey is wrapped when a setting key is not of the accepted form.
var ErrBadSettingKey = errors.New("bad setting key")

// maxSettingKey and maxSettingValue bound a setting's key and value, in bytes.
const (
	maxSettingKey   = 64
	maxSettingValue = 4096
)

// checkSettingKey accepts keys like "audio.call_capture": 1 to 64 bytes of lower-case letters,
// digits, '.', '_' and '-', starting with a letter.
func checkSettingKey(key string) error {
	if key == "" || len(key) > maxSettingKey {
		return fmt.Errorf("%w %q: want 1 to %d characters", ErrBadSettingKey, key, maxSettingKey)
	}
	for i, r := range key {
		ok := r >= 'a' && r <= 'z' || i > 0 && (r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
		if !ok {
			return fmt.Errorf("%w %q: use lower-case letters, digits, '.', '_' and '-', starting with a letter", ErrBadSettingKey, key)
		}
	}
	return nil
}

// Setting returns the value of one setting and whether it is set.
func (s *Store) Setting(key string) (string, bool, error) {
	if err := checkSettingKey(key); err != nil {
		return "", false, fmt.Errorf("read setting: %w", err)
	}
	var val string
	var ok bool
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if b == nil {
			return nil
		}
		if v := b.Get([]byte(key)); v != nil {
			val, ok = string(v), true
		}
		return nil
	})
	if err != nil {
		return "", false, fmt.Errorf("read setting %q: %w", key, err)
	}
	return val, ok, nil
}

// SetSettings writes every setting of kv in one transaction; an empty value removes the setting.
// A bad key or an over-long value changes nothing.
func (s *Store) SetSettings(kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k, v := range kv {
		if err := checkSettingKey(k); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		if len(v) > maxSettingValue {
			return fmt.Errorf("save settings: value of %q is %d bytes, at most %d", k, len(v), maxSettingValue)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys)
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSettings)
		if err != nil {
			return fmt.Errorf("create bucket %q: %w", bucketSettings, err)
		}
		for _, k := range keys {
			if v := kv[k]; v == "" {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), []byte(v))
			}
			if err != nil {
				return fmt.Errorf("bucket %q key %q: %w", bucketSettings, k, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
