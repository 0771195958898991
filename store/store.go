package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the data file inside the data directory.
const FileName = "lineup.db"

// DefaultLockTimeout is how long Open waits for another process to release the data file.
const DefaultLockTimeout = time.Second

const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// Store is Lineup's open data file. Its methods are safe for concurrent use; bbolt runs one
// read-write transaction at a time and any number of readers beside it.
type Store struct {
	// mu guards db: every transaction holds it for reading, and compact holds it for writing
	// while it swaps in the rewritten file.
	mu      sync.RWMutex
	db      *bolt.DB
	path    string
	log     *slog.Logger
	journal journalSlot
	secrets secretSlot
}

// Option changes how Open works.
type Option func(*options)

type options struct {
	lockTimeout time.Duration
	logger      *slog.Logger
	// current and migrations are the schema this build writes and the steps to reach it; tests
	// replace them to exercise the migration machinery.
	current    int
	migrations []migration
	// secrets is where SIP passwords go (nil: into the data file, for noSecrets); required
	// makes Open fail when secrets does not answer its probe.
	secrets   Secrets
	required  bool
	noSecrets string
	chosen    bool // WithoutSecrets: the file was chosen, not fallen back to
}

// WithLockTimeout sets how long Open waits for the file lock held by another process before it
// gives up with ErrLocked. A value of zero or less means DefaultLockTimeout.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.lockTimeout = d
		}
	}
}

// WithLogger sets the logger for the store's notices (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// DefaultDir returns the per-user data directory: os.UserConfigDir()/Lineup.
func DefaultDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find data directory: %w", err)
	}
	return filepath.Join(base, "Lineup"), nil
}

// Open opens or creates DIR/lineup.db. It creates DIR with mode 0700 when it is missing, creates
// the file with mode 0600 and tightens a looser mode on an existing file, takes the file's
// exclusive lock (waiting up to the lock timeout, then failing with an error wrapping ErrLocked
// that names the file), checks the schema version and runs the migrations an older file needs.
func Open(dir string, opts ...Option) (*Store, error) {
	o := options{
		lockTimeout: DefaultLockTimeout,
		logger:      slog.Default(),
		current:     currentVersion,
		migrations:  migrations,
		noSecrets:   "none configured",
	}
	for _, opt := range opts {
		opt(&o)
	}
	if dir == "" {
		return nil, errors.New("open store: data directory is empty")
	}
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, fileMode, &bolt.Options{Timeout: o.lockTimeout})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return nil, fmt.Errorf("open %s: %w (no lock within %v; is another Lineup running on this data directory?)",
				path, ErrLocked, o.lockTimeout)
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum),
			errors.Is(err, berrors.ErrVersionMismatch):
			return nil, fmt.Errorf("open %s: %w: %w", path, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, log: o.logger}
	if err := s.tightenMode(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.upgrade(o.current, o.migrations); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := s.openSecrets(o); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// view runs fn in a read-only transaction.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.View(fn)
}

// update runs fn in the read-write transaction. fn must not start another transaction.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.Update(fn)
}

// ensureDir creates dir with mode 0700 when it does not exist. An existing directory is left as
// the user set it up.
func ensureDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("data directory %s: not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	// MkdirAll is subject to the umask; make the mode exact.
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	return nil
}

// tightenMode makes the data file readable by its owner only. Windows has no such mode bits.
func (s *Store) tightenMode() error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("check data file mode: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&^fileMode != 0 {
		if err := os.Chmod(s.path, fileMode); err != nil {
			return fmt.Errorf("tighten data file mode: %w", err)
		}
		s.log.Warn("data file was readable by others; restricted it to its owner",
			"path", s.path, "was", perm.String(), "now", fileMode.String())
	}
	return nil
}

// Close writes the journal entries still queued, stops the journal's writer, and releases the
// file and its lock. A journal write failure not yet reported by Journal.Flush is returned.
func (s *Store) Close() error {
	jerr := s.closeJournal()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Close(); err != nil {
		return errors.Join(jerr, fmt.Errorf("close %s: %w", s.path, err))
	}
	return jerr
}

// Path returns the data file's path.
func (s *Store) Path() string { return s.path }
