package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

// Secrets keeps SIP passwords outside the data file, by key: the OS keyring (OSKeyring) or, in
// tests, a map. Keys are "<file ID>/<ref>"; a ref is random and never reused, so a changed
// password is always a new key and a key's value never changes.
type Secrets interface {
	// Get returns the secret of key, or an error wrapping ErrSecretNotFound.
	Get(key string) (string, error)
	// Set stores value under key.
	Set(key, value string) error
	// Delete removes key; a missing key is not an error.
	Delete(key string) error
}

// Prober is implemented by Secrets that can tell at Open whether they work at all, within the
// context's deadline.
type Prober interface {
	Probe(ctx context.Context) error
}

// ErrSecretNotFound is wrapped by Secrets.Get when the key holds nothing.
var ErrSecretNotFound = errors.New("secret not found")

// ErrNoKeyring is wrapped by Open when WithSecretsRequired was given and the keyring does not
// answer.
var ErrNoKeyring = errors.New("no OS keyring")

// probeTimeout bounds Open's keyring probe.
const probeTimeout = 5 * time.Second

// WithSecrets makes the store keep SIP passwords in sec instead of the data file. When sec is a
// Prober and its probe fails at Open, the passwords stay in the file and Open logs why (or fails,
// with WithSecretsRequired).
func WithSecrets(sec Secrets) Option {
	return func(o *options) { o.secrets, o.chosen = sec, false }
}

// WithSecretsRequired makes Open fail with ErrNoKeyring rather than keep passwords in the file
// when the Secrets of WithSecrets does not work.
func WithSecretsRequired() Option {
	return func(o *options) { o.required = true }
}

// WithoutSecrets keeps SIP passwords in the data file, as the user chose: Open says so as a
// notice rather than a warning; reason says why there and in SecretsIn (e.g. "--secrets
// database").
func WithoutSecrets(reason string) Option {
	return func(o *options) {
		o.secrets = nil
		o.chosen = true
		if reason != "" {
			o.noSecrets = reason
		}
	}
}

// SecretsMode says where the store keeps SIP passwords.
type SecretsMode struct {
	// Keyring is true when passwords go to the Secrets of WithSecrets.
	Keyring bool
	// Reason says, when Keyring is false, why they stay in the data file.
	Reason string
}

func (m SecretsMode) String() string {
	if m.Keyring {
		return "OS keyring"
	}
	return fmt.Sprintf("lineup.db (no OS keyring: %s)", m.Reason)
}

// SecretsIn returns where the store keeps SIP passwords.
func (s *Store) SecretsIn() SecretsMode {
	if s.secrets.sec != nil {
		return SecretsMode{Keyring: true}
	}
	return SecretsMode{Reason: s.secrets.reason}
}

// secretSlot is the store's password state. sec and id are set by Open and not changed after;
// cache holds the keyring's value of every ref read or written, so that Config does not ask the
// keyring each time (a ref's value never changes).
type secretSlot struct {
	sec    Secrets
	reason string
	id     string

	mu    sync.Mutex
	cache map[string]string
}

func (s *Store) secretKey(ref string) string { return s.secrets.id + "/" + ref }

func (s *Store) cached(ref string) (string, bool) {
	s.secrets.mu.Lock()
	defer s.secrets.mu.Unlock()
	v, ok := s.secrets.cache[ref]
	return v, ok
}

func (s *Store) setCached(ref, v string) {
	s.secrets.mu.Lock()
	defer s.secrets.mu.Unlock()
	if s.secrets.cache == nil {
		s.secrets.cache = map[string]string{}
	}
	s.secrets.cache[ref] = v
}

func (s *Store) dropCached(ref string) {
	s.secrets.mu.Lock()
	defer s.secrets.mu.Unlock()
	delete(s.secrets.cache, ref)
}

// openSecrets decides where passwords go, reads the file ID, and moves passwords the file holds
// into the keyring when one is in use. Exactly one warning is logged when passwords stay in the
// file.
func (s *Store) openSecrets(o options) error {
	if err := s.view(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(bucketMeta); meta != nil {
			s.secrets.id = string(meta.Get(keyID))
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read data file ID: %w", err)
	}
	if s.secrets.id == "" {
		// Only a migration chain replaced by a test ends without one.
		if err := s.update(func(tx *bolt.Tx) error {
			var err error
			s.secrets.id, err = ensureID(tx)
			return err
		}); err != nil {
			return err
		}
	}
	reason := o.noSecrets
	if o.secrets != nil {
		err := error(nil)
		if p, ok := o.secrets.(Prober); ok {
			ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			err = p.Probe(ctx)
			cancel()
		}
		if err == nil {
			s.secrets.sec = o.secrets
			err = s.moveIntoKeyring()
			if err == nil {
				return nil
			}
			s.secrets.sec = nil
			err = fmt.Errorf("move SIP passwords into it: %w", err)
		}
		if o.required {
			return fmt.Errorf("%w: %w", ErrNoKeyring, err)
		}
		reason = err.Error()
	}
	s.secrets.reason = reason
	msg := fmt.Sprintf("no OS keyring (%s): SIP passwords are kept in %s, protected only by its file mode 0600", reason, FileName)
	if o.chosen && o.secrets == nil {
		s.log.Info(msg, "path", s.path)
	} else {
		s.log.Warn(msg, "path", s.path)
	}
	s.warnUnreadable()
	return nil
}

// warnUnreadable tells, without a keyring in use, which lines have their password in a keyring
// this run cannot reach: they read with an empty password until it is entered again.
func (s *Store) warnUnreadable() {
	_ = s.view(func(tx *bolt.Tx) error {
		recs, err := readLineRecords(tx)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.rec.Account.PasswordRef != "" {
				s.log.Warn("line's SIP password is in the OS keyring, which is not in use: the line has no password",
					"line", r.rec.Name)
			}
		}
		return nil
	})
}

// keyedRecord is a line record and its key in the bucket.
type keyedRecord struct {
	key []byte
	rec lineRecord
}

// readLineRecords returns the records of the lines bucket, in key order.
func readLineRecords(tx *bolt.Tx) ([]keyedRecord, error) { return lineRecordsOf(tx, false) }

// lineRecordsOf returns the records of the lines bucket, in key order; with lenient, a record
// that does not decode is left out instead of failing (a save replaces it anyway).
func lineRecordsOf(tx *bolt.Tx, lenient bool) ([]keyedRecord, error) {
	b := tx.Bucket(bucketLines)
	if b == nil {
		return nil, nil
	}
	var out []keyedRecord
	err := b.ForEach(func(k, v []byte) error {
		var rec lineRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			if lenient {
				return nil
			}
			return fmt.Errorf("bucket %q key %x: %w: %w", bucketLines, k, ErrCorrupt, err)
		}
		out = append(out, keyedRecord{key: append([]byte(nil), k...), rec: rec})
		return nil
	})
	return out, err
}

// moveIntoKeyring puts every password the file holds into the keyring, leaving refs in the
// records, then rewrites the file so that the passwords are gone from its free pages as well.
func (s *Store) moveIntoKeyring() error {
	var ch secretChange
	err := s.update(func(tx *bolt.Tx) error {
		recs, err := readLineRecords(tx)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketLines)
		for _, r := range recs {
			a := &r.rec.Account
			if a.Password == "" {
				continue
			}
			ch.oldPlain = append(ch.oldPlain, a.Password)
			ref, err := s.storeSecret(&ch, r.rec.Name, a.Password)
			if err != nil {
				return err
			}
			a.Password, a.PasswordRef = "", ref
			v, err := json.Marshal(r.rec)
			if err != nil {
				return fmt.Errorf("encode line %q: %w", r.rec.Name, err)
			}
			if err := b.Put(r.key, v); err != nil {
				return fmt.Errorf("write line %q: %w", r.rec.Name, err)
			}
		}
		return nil
	})
	if err := s.finishSecrets(&ch, err); err != nil {
		return err
	}
	if len(ch.oldPlain) > 0 {
		s.log.Info("moved SIP passwords from the data file into the OS keyring", "lines", len(ch.oldPlain))
	}
	return nil
}

// secretChange collects what one write transaction did to the passwords, for finishSecrets.
type secretChange struct {
	added              []string // refs written to the keyring by this transaction
	oldRefs, newRefs   map[string]bool
	oldPlain, newPlain []string // passwords in the file's records before and after
}

// storeSecret writes password to the keyring under a new ref and returns the ref.
func (s *Store) storeSecret(ch *secretChange, lineName, password string) (string, error) {
	ref, err := randomHex(16)
	if err != nil {
		return "", fmt.Errorf("line %q: make password ref: %w", lineName, err)
	}
	if err := s.secrets.sec.Set(s.secretKey(ref), password); err != nil {
		return "", fmt.Errorf("line %q: save SIP password in the OS keyring: %w", lineName, err)
	}
	ch.added = append(ch.added, ref)
	s.setCached(ref, password)
	return ref, nil
}

// lineRecords turns the lines of c into records. With a keyring in use, an unchanged password
// keeps its ref and a new or changed one is written to the keyring under a new ref; without one,
// the password goes into the record, and a ref the keyring could not be asked for is kept while
// the line's password is left empty.
func (s *Store) lineRecords(tx *bolt.Tx, lines []line.Line, ch *secretChange) ([]lineRecord, error) {
	old, err := lineRecordsOf(tx, true)
	if err != nil {
		return nil, err
	}
	ch.oldRefs, ch.newRefs = map[string]bool{}, map[string]bool{}
	byName := map[string]accountRecord{}
	for _, r := range old {
		byName[r.rec.Name] = r.rec.Account
		if r.rec.Account.PasswordRef != "" {
			ch.oldRefs[r.rec.Account.PasswordRef] = true
		}
		if r.rec.Account.Password != "" {
			ch.oldPlain = append(ch.oldPlain, r.rec.Account.Password)
		}
	}
	recs := make([]lineRecord, 0, len(lines))
	for _, l := range lines {
		rec, err := toLineRecord(l)
		if err != nil {
			return nil, err
		}
		a := &rec.Account
		prev, had := byName[l.Name]
		switch {
		case s.secrets.sec == nil:
			if a.Password == "" && had && prev.PasswordRef != "" {
				a.PasswordRef = prev.PasswordRef
			}
		case a.Password == "":
		default:
			if v, ok := s.cached(prev.PasswordRef); had && prev.PasswordRef != "" && ok && v == a.Password {
				a.PasswordRef = prev.PasswordRef
			} else if a.PasswordRef, err = s.storeSecret(ch, l.Name, a.Password); err != nil {
				return nil, err
			}
			a.Password = ""
		}
		if a.PasswordRef != "" {
			ch.newRefs[a.PasswordRef] = true
		}
		if a.Password != "" {
			ch.newPlain = append(ch.newPlain, a.Password)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// finishSecrets completes a write transaction's password changes once its outcome txErr is
// known: on failure the refs it wrote are deleted again; on success the refs no longer named are
// deleted, and the file is rewritten when a password it held is no longer current, so that the
// old one is not left in a free page. txErr is returned as it is.
func (s *Store) finishSecrets(ch *secretChange, txErr error) error {
	if txErr != nil {
		for _, ref := range ch.added {
			s.deleteSecret(ref)
		}
		return txErr
	}
	for ref := range ch.oldRefs {
		if !ch.newRefs[ref] {
			s.deleteSecret(ref)
		}
	}
	current := map[string]bool{}
	for _, p := range ch.newPlain {
		current[p] = true
	}
	for _, p := range ch.oldPlain {
		if !current[p] {
			if err := s.compact(); err != nil {
				return fmt.Errorf("saved, but an old password may remain in a free page: %w", err)
			}
			break
		}
	}
	return nil
}

// deleteSecret removes ref from the keyring; a failure leaves an orphan there and is logged.
func (s *Store) deleteSecret(ref string) {
	s.dropCached(ref)
	if s.secrets.sec == nil {
		return
	}
	if err := s.secrets.sec.Delete(s.secretKey(ref)); err != nil && !errors.Is(err, ErrSecretNotFound) {
		s.log.Warn("could not delete an old SIP password from the OS keyring", "key", s.secretKey(ref), "err", err)
	}
}

// fillPasswords sets the password of every line whose record names a ref (refs[i] for
// cfg.Lines[i]) from the keyring. Without a keyring in use such a line has no password.
func (s *Store) fillPasswords(lines []line.Line, refs []string) error {
	for i, ref := range refs {
		if ref == "" {
			continue
		}
		if v, ok := s.cached(ref); ok {
			lines[i].Account.Password = v
			continue
		}
		if s.secrets.sec == nil {
			continue
		}
		v, err := s.secrets.sec.Get(s.secretKey(ref))
		switch {
		case errors.Is(err, ErrSecretNotFound):
			s.log.Warn("line's SIP password is missing from the OS keyring: the line has no password",
				"line", lines[i].Name, "key", s.secretKey(ref))
			s.setCached(ref, "") // said once; the line reads without a password
			continue
		case err != nil:
			return fmt.Errorf("line %q: read SIP password from the OS keyring: %w", lines[i].Name, err)
		}
		s.setCached(ref, v)
		lines[i].Account.Password = v
	}
	return nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
