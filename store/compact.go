package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds the data one transaction of the copy holds (a long journal is copied in
// several), so that a rewrite does not hold the whole file in memory.
const compactTxSize = 16 << 20

// compact rewrites the data file with only its live data, so that what a transaction freed (an
// old password, say) is not left in a free page: bbolt does not zero freed pages. The copy is
// made beside the file, synced, and renamed over it. Transactions wait meanwhile (s.mu).
//
// On Unix the copy is renamed while it is open, so its bbolt handle already holds the file lock
// of the new lineup.db and no other process can take the file between the old and the new one.
// Windows cannot rename over an open file: there the old file is closed first and the new one
// opened again after the rename.
func (s *Store) compact() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Dir(s.path)
	f, err := os.CreateTemp(dir, "."+FileName+".compact-*")
	if err != nil {
		return fmt.Errorf("compact data file: %w", err)
	}
	tmp := f.Name()
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact data file: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = os.Remove(tmp)
		}
	}()
	if err := os.Chmod(tmp, fileMode); err != nil {
		return fmt.Errorf("compact data file: %w", err)
	}
	dst, err := bolt.Open(tmp, fileMode, &bolt.Options{Timeout: DefaultLockTimeout})
	if err != nil {
		return fmt.Errorf("compact data file: %w", err)
	}
	if err := bolt.Compact(dst, s.db, compactTxSize); err != nil {
		_ = dst.Close()
		return fmt.Errorf("compact data file: %w", err)
	}
	// Compact commits with fsync; sync again so the copy is on disk whatever its options.
	if err := dst.Sync(); err != nil {
		_ = dst.Close()
		return fmt.Errorf("compact data file: sync: %w", err)
	}
	if runtime.GOOS == "windows" {
		return s.swapClosed(dst, tmp, &renamed)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		_ = dst.Close()
		return fmt.Errorf("compact data file: %w", err)
	}
	renamed = true
	syncDir(dir)
	if err := s.db.Close(); err != nil {
		s.log.Warn("close the data file replaced by its compact copy", "err", err)
	}
	s.db = dst
	return nil
}

// swapClosed is compact's last step where an open file cannot be renamed over.
func (s *Store) swapClosed(dst *bolt.DB, tmp string, renamed *bool) error {
	if err := dst.Close(); err != nil {
		return fmt.Errorf("compact data file: %w", err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("compact data file: close: %w", err)
	}
	renameErr := os.Rename(tmp, s.path)
	*renamed = renameErr == nil
	db, err := bolt.Open(s.path, fileMode, &bolt.Options{Timeout: DefaultLockTimeout})
	if err != nil {
		return fmt.Errorf("compact data file: reopen: %w", err)
	}
	s.db = db
	if renameErr != nil {
		return fmt.Errorf("compact data file: %w", renameErr)
	}
	return nil
}

// syncDir makes a rename in dir durable where the system allows it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
