package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

func TestDefaultDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "xdg"))
	t.Setenv("AppData", filepath.Join(home, "AppData"))
	var want string
	switch runtime.GOOS {
	case "windows":
		want = filepath.Join(home, "AppData", "Lineup")
	case "darwin", "ios":
		want = filepath.Join(home, "Library", "Application Support", "Lineup")
	default:
		want = filepath.Join(home, "xdg", "Lineup")
	}
	got, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("DefaultDir() = %q, want %q", got, want)
	}

	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("AppData", "")
	if dir, err := DefaultDir(); err == nil {
		t.Fatalf("DefaultDir() without a home directory = %q, want an error", dir)
	}
}

func TestModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	dir := filepath.Join(t.TempDir(), "config", "Lineup")
	s := openT(t, dir)
	if s.Path() != filepath.Join(dir, "lineup.db") {
		t.Fatalf("Path() = %q", s.Path())
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", path, got, want)
		}
	}
}

func TestLooseFileModeIsTightened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	dir := t.TempDir()
	s := openT(t, dir)
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	s2 := openT(t, dir, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("mode after Open = %v, want -rw-------", got)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), path) {
		t.Fatalf("tightening was not logged with the file's path; log:\n%s", logs.String())
	}
	cfg, err := s2.Config()
	if err != nil || len(cfg.Lines) != len(realisticConfig().Lines) {
		t.Fatalf("config after tightening: %d lines, %v", len(cfg.Lines), err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	first := openT(t, dir)

	const timeout = 300 * time.Millisecond
	start := time.Now()
	s, err := Open(dir, WithLockTimeout(timeout))
	took := time.Since(start)
	if err == nil {
		_ = s.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want an error wrapping ErrLocked", err)
	}
	if !strings.Contains(err.Error(), first.Path()) {
		t.Fatalf("error %q does not name the file %s", err, first.Path())
	}
	if took < timeout/2 || took > timeout+2*time.Second {
		t.Fatalf("second Open gave up after %v, want about %v", took, timeout)
	}

	// Once the first is closed the directory is free again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openT(t, dir, WithLockTimeout(timeout))
}

func TestNewFileGetsCurrentSchema(t *testing.T) {
	s := openT(t, t.TempDir())
	v, err := s.SchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v != currentVersion {
		t.Fatalf("SchemaVersion() = %d, want %d", v, currentVersion)
	}
}

func TestSchemaTooNew(t *testing.T) {
	dir := t.TempDir()
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		m, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := m.Put([]byte("schema"), []byte(strconv.Itoa(currentVersion+1))); err != nil {
			return err
		}
		_, err = tx.CreateBucket([]byte("calls-v9"))
		return err
	})
	path := filepath.Join(dir, FileName)
	sum := fileSum(t, path)

	s, err := Open(dir)
	if err == nil {
		_ = s.Close()
		t.Fatal("Open of a file of a newer schema succeeded")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open = %v, want an error wrapping ErrSchemaTooNew", err)
	}
	if fileSum(t, path) != sum {
		t.Fatal("Open of a too new file changed it")
	}
	// The lock was released: a newer build could open the file now.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("file still locked after the refused Open: %v", err)
	}
	_ = db.Close()
}

func TestCorruptRecord(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("lines")).Put(seqKey(2), []byte(`{"name": "Hotline 1", "account": {`))
	})

	s2 := openT(t, dir)
	_, err := s2.Config()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Config = %v, want an error wrapping ErrCorrupt", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `bucket "lines"`) || !strings.Contains(msg, "key 2") {
		t.Fatalf("error %q does not name bucket lines and key 2", msg)
	}
	called := false
	err = s2.Update(func(*line.Config) error { called = true; return nil })
	if !errors.Is(err, ErrCorrupt) || called {
		t.Fatalf("Update on a corrupt record = %v (fn called: %v), want ErrCorrupt before fn", err, called)
	}

	// A record whose value decodes to the wrong type is just as corrupt.
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("lines")).Put(seqKey(2), []byte(`{"name": "Hotline 1"}`)); err != nil {
			return err
		}
		return tx.Bucket([]byte("groups")).Put(seqKey(1), []byte(`{"name": 17}`))
	})
	s3 := openT(t, dir)
	if _, err := s3.Config(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `bucket "groups" key 1`) {
		t.Fatalf("Config = %v, want ErrCorrupt naming bucket groups key 1", err)
	}
}

func TestCorruptKeyAndSchema(t *testing.T) {
	dir := t.TempDir()
	openT(t, dir).Close()
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("locations"))
		if err != nil {
			return err
		}
		return b.Put([]byte("first"), []byte(`{"name":"Munich"}`))
	})
	s := openT(t, dir)
	if _, err := s.Config(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"locations"`) {
		t.Fatalf("Config with a text key = %v, want ErrCorrupt naming bucket locations", err)
	}
	s.Close()

	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("one"))
	})
	if s, err := Open(dir); !errors.Is(err, ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open with schema \"one\" = %v, want ErrCorrupt", err)
	}
}

func TestNotADataFile(t *testing.T) {
	dir := t.TempDir()
	junk := bytes.Repeat([]byte("this is not a bbolt file\n"), 2000)
	if err := os.WriteFile(filepath.Join(dir, FileName), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err == nil {
		s.Close()
		t.Fatal("Open of a text file succeeded")
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a text file = %v, want ErrCorrupt", err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Equal(got, junk) {
		t.Fatal("Open changed a file it could not read")
	}
}

// writeV0 writes a file in the layout of a made-up schema 0: no meta bucket, the whole
// configuration as one JSON document in bucket "config" under key "all".
func writeV0(t *testing.T, dir string, cfg line.Config) {
	t.Helper()
	doc, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("config"))
		if err != nil {
			return err
		}
		return b.Put([]byte("all"), doc)
	})
}

// migrateV0 turns the schema 0 layout into buckets of records.
func migrateV0(tx *bolt.Tx) error {
	b := tx.Bucket([]byte("config"))
	var cfg line.Config
	if err := json.Unmarshal(b.Get([]byte("all")), &cfg); err != nil {
		return err
	}
	if err := tx.DeleteBucket([]byte("config")); err != nil {
		return err
	}
	return (&Store{}).writeConfig(tx, cfg, &secretChange{})
}

func withMigrations(current int, steps ...migration) Option {
	return func(o *options) {
		o.current = current
		o.migrations = steps
	}
}

func TestMigrationFromV0(t *testing.T) {
	dir := t.TempDir()
	old := realisticConfig().WithDefaults()
	writeV0(t, dir, old)

	s := openT(t, dir, withMigrations(1, migration{from: 0, to: 1, fn: migrateV0}))
	if v, err := s.SchemaVersion(); err != nil || v != 1 {
		t.Fatalf("SchemaVersion after migration = %d, %v; want 1", v, err)
	}
	got, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, old) {
		t.Fatalf("migrated config differs\n got %+v\nwant %+v", got, old)
	}
	if _, ok := dumpBuckets(t, s)["config"]; ok {
		t.Fatal("the schema 0 bucket is still there")
	}

	// The migrated file opens with the build's own migrations (none) as a current file.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, dir)
	if got, err := s2.Config(); err != nil || !reflect.DeepEqual(got, old) {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestMigrationFailureLeavesFile(t *testing.T) {
	dir := t.TempDir()
	writeV0(t, dir, realisticConfig().WithDefaults())
	path := filepath.Join(dir, FileName)
	sum := fileSum(t, path)

	failing := func(tx *bolt.Tx) error {
		if err := migrateV0(tx); err != nil {
			return err
		}
		return errors.New("disk says no")
	}
	s, err := Open(dir, withMigrations(1, migration{from: 0, to: 1, fn: failing}))
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded although the migration failed")
	}
	if !strings.Contains(err.Error(), "disk says no") {
		t.Fatalf("Open = %v, want the migration's error", err)
	}
	if fileSum(t, path) != sum {
		t.Fatal("a failed migration changed the file")
	}

	// Without any migration from 0 the file is refused, also unchanged.
	if s, err := Open(dir); !errors.Is(err, ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a schema 0 file without migrations = %v, want ErrCorrupt", err)
	}
	if fileSum(t, path) != sum {
		t.Fatal("a refused schema 0 file was changed")
	}
}

func TestMigrationChain(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	s.Close()

	var ran []string
	step := func(name string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			ran = append(ran, name)
			_, err := tx.CreateBucket([]byte(name))
			return err
		}
	}
	// Listed out of order on purpose: the chain follows the versions.
	s3 := openT(t, dir, withMigrations(currentVersion+2,
		migration{from: currentVersion + 1, to: currentVersion + 2, fn: step("journal")},
		migration{from: currentVersion, to: currentVersion + 1, fn: step("journal-index")},
	))
	if want := []string{"journal-index", "journal"}; !reflect.DeepEqual(ran, want) {
		t.Fatalf("migrations ran %v, want %v", ran, want)
	}
	if v, err := s3.SchemaVersion(); err != nil || v != currentVersion+2 {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, currentVersion+2)
	}
	if cfg, err := s3.Config(); err != nil || len(cfg.Lines) != len(realisticConfig().Lines) {
		t.Fatalf("config after migrations: %d lines, %v", len(cfg.Lines), err)
	}
	s3.Close()

	// This build knows up to currentVersion only.
	if s, err := Open(dir); !errors.Is(err, ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a schema %d file = %v, want ErrSchemaTooNew", currentVersion+2, err)
	}
}
