package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
)

// memSecrets is a keyring in memory. Set fails for the values in failSet; Probe fails with
// probeErr.
type memSecrets struct {
	mu       sync.Mutex
	m        map[string]string
	sets     int
	failSet  map[string]bool
	probeErr error
}

func newMemSecrets() *memSecrets { return &memSecrets{m: map[string]string{}} }

func (k *memSecrets) Get(key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return "", fmt.Errorf("%s: %w", key, ErrSecretNotFound)
	}
	return v, nil
}

func (k *memSecrets) Set(key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.failSet[value] {
		return errors.New("keyring is locked")
	}
	k.sets++
	k.m[key] = value
	return nil
}

func (k *memSecrets) Delete(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

func (k *memSecrets) Probe(context.Context) error { return k.probeErr }

// values returns the stored secrets, sorted, and the number of Set calls so far.
func (k *memSecrets) values() (map[string]string, int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for key, v := range k.m {
		out[key] = v
	}
	return out, k.sets
}

// fileHas reports whether the data file's bytes, free pages included, contain text.
func fileHas(t *testing.T, s *Store, text string) bool {
	t.Helper()
	b, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(text))
}

// logTo returns a logger writing text to buf.
func logTo(buf *syncBuffer) Option {
	return WithLogger(slog.New(slog.NewTextHandler(buf, nil)))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func withPassword(cfg line.Config, name, pw string) line.Config {
	for i := range cfg.Lines {
		if cfg.Lines[i].Name == name {
			cfg.Lines[i].Account.Password = pw
		}
	}
	return cfg
}

// Without a keyring the password is in the file; once changed, or once its line is removed, the
// old one is nowhere in the file's bytes, and the rewritten file keeps its mode and its lock.
func TestDatabasePasswordGoneFromFile(t *testing.T) {
	var log syncBuffer
	dir := t.TempDir()
	s := openT(t, dir, logTo(&log))
	if m := s.SecretsIn(); m.Keyring || m.Reason != "none configured" {
		t.Fatalf("SecretsIn = %+v, want the data file", m)
	}
	if n := strings.Count(log.String(), "no OS keyring"); n != 1 {
		t.Errorf("Open logged %d keyring warnings, want 1:\n%s", n, log.String())
	}
	const a, b = "alpha-Pw-4711", "bravo-Pw-0815"
	if err := s.SaveConfig(withPassword(realisticConfig(), "Reception", a)); err != nil {
		t.Fatal(err)
	}
	if !fileHas(t, s, a) {
		t.Fatal("password A is not in the file: the check cannot see passwords")
	}
	if err := s.Update(func(c *line.Config) error {
		*c = withPassword(*c, "Reception", b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fileHas(t, s, a) {
		t.Error("old password A is still in the file's bytes after it was changed to B")
	}
	cfg, err := s.Config()
	if err != nil || cfg.Lines[0].Account.Password != b {
		t.Fatalf("Config after change: %+v, %v; want password B", cfg.Lines[0].Account, err)
	}
	if fi, err := os.Stat(s.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rewritten file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if other, err := Open(dir, WithLockTimeout(50*time.Millisecond)); !errors.Is(err, ErrLocked) {
		if other != nil {
			other.Close()
		}
		t.Errorf("second Open after the rewrite = %v, want ErrLocked", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want lineup.db only", len(entries))
	}

	// Removing the line removes B.
	if err := s.Update(func(c *line.Config) error {
		c.Lines = c.Lines[1:]
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fileHas(t, s, b) {
		t.Error("password B is still in the file's bytes after its line was removed")
	}
	// The store goes on working after the rewrites, and its data survive a reopen.
	if _, err := s.Journal().Record(context.Background(), journalEntry("Boss")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir)
	cfg, err = s.Config()
	if err != nil || len(cfg.Lines) != len(realisticConfig().Lines)-1 || cfg.Lines[0].Account.Password != "x" {
		t.Fatalf("after reopen: %+v, %v", cfg.Lines, err)
	}
	if got, err := s.Journal().Latest(5); err != nil || len(got) != 1 {
		t.Fatalf("journal after reopen: %d entries, %v; want 1", len(got), err)
	}
}

func journalEntry(lineName string) line.JournalEntry {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	return line.JournalEntry{Line: lineName, Group: "Zentrale", Direction: line.Incoming,
		RemoteNumber: "+4930123456", Start: start, End: start.Add(time.Minute), Outcome: line.OutcomeMissed}
}

// With a keyring, no password is in the file at all; Config gives them back; a changed password
// gets a new keyring entry and the old one is deleted; a removed line's entry is deleted; an
// unchanged password is not written again.
func TestKeyringKeepsPasswords(t *testing.T) {
	dir := t.TempDir()
	mem := newMemSecrets()
	s := openT(t, dir, WithSecrets(mem))
	if m := s.SecretsIn(); !m.Keyring || m.String() != "OS keyring" {
		t.Fatalf("SecretsIn = %v, want the OS keyring", m)
	}
	const a, b = "alpha-Pw-4711", "bravo-Pw-0815"
	want := withPassword(realisticConfig(), "Reception", a).WithDefaults()
	if err := s.SaveConfig(want); err != nil {
		t.Fatal(err)
	}
	if fileHas(t, s, a) || fileHas(t, s, `"password"`) {
		t.Error("a password is in the file although the keyring is in use")
	}
	rec := dumpBuckets(t, s)["lines"][string(seqKey(0))]
	if !strings.Contains(rec, `"password_ref":"`) {
		t.Errorf("line record %s names no password_ref", rec)
	}
	if got, err := s.Config(); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Config = %+v, %v; want %+v", got, err, want)
	}
	vals, sets := mem.values()
	id := dumpBuckets(t, s)["meta"]["id"]
	if len(vals) != 2 || sets != 2 {
		t.Fatalf("keyring holds %v after %d writes, want the 2 passwords", vals, sets)
	}
	for k, v := range vals {
		if !strings.HasPrefix(k, id+"/") || (v != a && v != "x") {
			t.Errorf("keyring entry %q = %q, want key %s/<ref> and a line's password", k, v, id)
		}
	}

	// An unchanged password is not written again.
	if err := s.Update(func(c *line.Config) error {
		c.Lines[2].DND = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if after, n := mem.values(); n != sets || !reflect.DeepEqual(after, vals) {
		t.Errorf("a save without password changes wrote the keyring: %v after %d writes", after, n)
	}

	// A changed password replaces its entry.
	if err := s.Update(func(c *line.Config) error {
		*c = withPassword(*c, "Reception", b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	vals, _ = mem.values()
	if len(vals) != 2 || !hasValue(vals, b) || hasValue(vals, a) {
		t.Errorf("keyring after change = %v, want B and x only", vals)
	}

	// The passwords survive a reopen (with the same keyring) and the file still has none.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, WithSecrets(mem))
	cfg, err := s.Config()
	if err != nil || cfg.Lines[0].Account.Password != b || cfg.Lines[1].Account.Password != "x" {
		t.Fatalf("after reopen: %+v, %v", cfg.Lines, err)
	}
	if fileHas(t, s, b) || fileHas(t, s, a) {
		t.Error("a password is in the file")
	}

	// Removing a line deletes its entry.
	if err := s.Update(func(c *line.Config) error {
		c.Lines = c.Lines[1:]
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if vals, _ = mem.values(); len(vals) != 1 || !hasValue(vals, "x") {
		t.Errorf("keyring after removing the line = %v, want x only", vals)
	}
}

func hasValue(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

// A keyring write that fails aborts the save, naming the line; what the save had already put into
// the keyring is taken out again, and the configuration is unchanged. A save that fails
// validation writes nothing to the keyring.
func TestKeyringFailureSavesNothing(t *testing.T) {
	mem := newMemSecrets()
	s := openT(t, t.TempDir(), WithSecrets(mem))
	before := realisticConfig().WithDefaults()
	if err := s.SaveConfig(before); err != nil {
		t.Fatal(err)
	}
	vals, _ := mem.values()
	mem.failSet = map[string]bool{"locked-out": true}
	err := s.Update(func(c *line.Config) error {
		*c = withPassword(*c, "Hotline 1", "new-and-fine")
		*c = withPassword(*c, "Azubi", "locked-out")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), `line "Azubi"`) || !strings.Contains(err.Error(), "keyring is locked") {
		t.Fatalf("Update = %v, want an error naming line Azubi and the keyring's reason", err)
	}
	if after, _ := mem.values(); !reflect.DeepEqual(after, vals) {
		t.Errorf("keyring after the failed save = %v, want as before %v", after, vals)
	}
	if got, err := s.Config(); err != nil || !reflect.DeepEqual(got, before) {
		t.Errorf("Config after the failed save = %+v, %v; want unchanged", got, err)
	}

	bad := withPassword(before, "Hotline 1", "new-and-fine")
	bad.Lines[0].Group = "no such group"
	if err := s.SaveConfig(bad); !errors.Is(err, line.ErrInvalid) {
		t.Fatalf("SaveConfig of an invalid config = %v, want ErrInvalid", err)
	}
	if err := s.Update(func(c *line.Config) error {
		*c = bad
		return nil
	}); !errors.Is(err, line.ErrInvalid) {
		t.Fatalf("Update to an invalid config = %v, want ErrInvalid", err)
	}
	if after, _ := mem.values(); !reflect.DeepEqual(after, vals) {
		t.Errorf("keyring after invalid saves = %v, want as before %v", after, vals)
	}
}

// A keyring that does not answer at Open leaves the passwords in the file with one warning
// naming why; when the keyring is required, Open fails.
func TestKeyringProbeFails(t *testing.T) {
	dir := t.TempDir()
	mem := newMemSecrets()
	mem.probeErr = errors.New("no D-Bus session bus")
	var log syncBuffer
	s := openT(t, dir, WithSecrets(mem), logTo(&log))
	m := s.SecretsIn()
	if m.Keyring || m.Reason != "no D-Bus session bus" ||
		m.String() != "lineup.db (no OS keyring: no D-Bus session bus)" {
		t.Errorf("SecretsIn = %+v (%v), want the file, for no session bus", m, m)
	}
	warn := "no OS keyring (no D-Bus session bus): SIP passwords are kept in lineup.db, protected only by its file mode 0600"
	if n := strings.Count(log.String(), warn); n != 1 || strings.Count(log.String(), "level=WARN") != 1 {
		t.Errorf("Open logged, want the one warning %q:\n%s", warn, log.String())
	}
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	if !fileHas(t, s, "s3cret") {
		t.Error("without a keyring the password is not in the file")
	}
	if vals, _ := mem.values(); len(vals) != 0 {
		t.Errorf("keyring that failed its probe was written: %v", vals)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(dir, WithSecrets(mem), WithSecretsRequired()); !errors.Is(err, ErrNoKeyring) ||
		!strings.Contains(err.Error(), "no D-Bus session bus") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open with the keyring required = %v, want ErrNoKeyring naming the reason", err)
	}
}

// An old file's passwords move into the keyring at Open: the data read the same, and none of the
// passwords is left in the file's bytes. Opened later without the keyring, those lines read
// without a password and Open says so for each.
func TestSchema1PasswordsMoveIntoKeyring(t *testing.T) {
	dir := copySchema1(t)
	mem := newMemSecrets()
	s := openT(t, dir, WithSecrets(mem))
	checkSchema1Data(t, s)
	vals, _ := mem.values()
	if len(vals) != 4 {
		t.Errorf("keyring holds %d passwords, want the 4 of the file", len(vals))
	}
	for _, pw := range []string{`s3cr\"et\\201`, "pw202", "pw-rec", `"password"`} {
		if fileHas(t, s, pw) {
			t.Errorf("%s is still in the file's bytes after the move into the keyring", pw)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened with the keyring: nothing more to move, the same data.
	s = openT(t, dir, WithSecrets(mem))
	checkSchema1Data(t, s)
	if _, n := mem.values(); n != 4 {
		t.Errorf("keyring written %d times, want 4 (no move at the second Open)", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	var log syncBuffer
	s = openT(t, dir, logTo(&log))
	cfg, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cfg.Lines {
		if l.Account.Password != "" {
			t.Errorf("line %q reads password %q without the keyring", l.Name, l.Account.Password)
		}
	}
	if n := strings.Count(log.String(), "is in the OS keyring, which is not in use"); n != 4 {
		t.Errorf("Open warned about %d lines, want 4:\n%s", n, log.String())
	}
	// A save without the keyring keeps the refs of passwords it could not read.
	if err := s.Update(func(c *line.Config) error {
		c.Lines[0].DND = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir, WithSecrets(mem))
	cfg, err = s.Config()
	if err != nil || cfg.Lines[1].Account.Password != "pw202" || !cfg.Lines[0].DND {
		t.Errorf("with the keyring again: %+v, %v; want pw202 back", cfg.Lines[:2], err)
	}
}

// Two data files on one keyring never share a key.
func TestKeyringKeysPerFile(t *testing.T) {
	mem := newMemSecrets()
	s1 := openT(t, t.TempDir(), WithSecrets(mem))
	s2 := openT(t, t.TempDir(), WithSecrets(mem))
	if err := s1.SaveConfig(withPassword(realisticConfig(), "Reception", "one")); err != nil {
		t.Fatal(err)
	}
	if err := s2.SaveConfig(withPassword(realisticConfig(), "Reception", "two")); err != nil {
		t.Fatal(err)
	}
	if err := s2.Update(func(c *line.Config) error {
		c.Lines = nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg, err := s1.Config()
	if err != nil || cfg.Lines[0].Account.Password != "one" || cfg.Lines[1].Account.Password != "x" {
		t.Fatalf("first file after the second dropped its lines: %+v, %v", cfg.Lines, err)
	}
	if vals, _ := mem.values(); len(vals) != 2 {
		t.Errorf("keyring = %v, want the first file's 2 passwords", vals)
	}
}

// Readers, the journal and saves that rewrite the file run at once without a race or an error.
func TestRewriteWithConcurrentUse(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := s.Config(); err != nil {
					errs <- err
					return
				}
				if _, err := s.Journal().Record(ctx, journalEntry("Boss")); err != nil && ctx.Err() == nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		if err := s.Update(func(c *line.Config) error {
			*c = withPassword(*c, "Reception", fmt.Sprintf("pw-%d", i))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := s.Journal().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fileHas(t, s, "pw-18") || !fileHas(t, s, "pw-19") {
		t.Error("the file holds an old password, or not the current one")
	}
	if entries, _ := os.ReadDir(filepath.Dir(s.Path())); len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want lineup.db only", len(entries))
	}
}

// Keeping the passwords in the file by choice is said once as a notice, not a warning.
func TestWithoutSecretsIsANotice(t *testing.T) {
	var log syncBuffer
	s := openT(t, t.TempDir(), WithSecrets(newMemSecrets()), WithoutSecrets("--secrets database"), logTo(&log))
	if m := s.SecretsIn(); m.Keyring || m.String() != "lineup.db (no OS keyring: --secrets database)" {
		t.Errorf("SecretsIn = %v, want the file by choice", m)
	}
	out := log.String()
	if strings.Count(out, "level=INFO msg=\"no OS keyring (--secrets database): SIP passwords are kept in lineup.db") != 1 ||
		strings.Contains(out, "level=WARN") {
		t.Errorf("Open logged:\n%s\nwant one notice and no warning", out)
	}
}

// A password missing from the keyring (deleted there by hand) reads as none, is warned about
// once, and entering it again stores it anew.
func TestKeyringItemMissing(t *testing.T) {
	mem := newMemSecrets()
	dir := t.TempDir()
	s := openT(t, dir, WithSecrets(mem))
	if err := s.SaveConfig(withPassword(realisticConfig(), "Reception", "gone-soon")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	vals, _ := mem.values()
	for k, v := range vals {
		if v == "gone-soon" {
			mem.Delete(k)
		}
	}
	var log syncBuffer
	s = openT(t, dir, WithSecrets(mem), logTo(&log))
	for i := 0; i < 3; i++ {
		cfg, err := s.Config()
		if err != nil || cfg.Lines[0].Account.Password != "" || cfg.Lines[1].Account.Password != "x" {
			t.Fatalf("Config = %+v, %v; want Reception without a password", cfg.Lines[:2], err)
		}
	}
	if n := strings.Count(log.String(), "missing from the OS keyring"); n != 1 {
		t.Errorf("warned %d times about the missing password, want once:\n%s", n, log.String())
	}
	if err := s.Update(func(c *line.Config) error {
		*c = withPassword(*c, "Reception", "back-again")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if cfg, err := s.Config(); err != nil || cfg.Lines[0].Account.Password != "back-again" {
		t.Fatalf("after entering it again: %+v, %v", cfg.Lines[0].Account, err)
	}
	if vals, _ := mem.values(); len(vals) != 2 || !hasValue(vals, "back-again") {
		t.Errorf("keyring = %v, want x and the new password", vals)
	}
}
