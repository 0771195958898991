package store

import (
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/lineupphone/lineup/line"
)

func TestConfigRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir)

	empty, err := s.Config()
	if err != nil {
		t.Fatalf("Config on a new file: %v", err)
	}
	if len(empty.Locations)+len(empty.Groups)+len(empty.Lines) != 0 {
		t.Fatalf("new file has a config: %+v", empty)
	}

	in := realisticConfig()
	if err := s.SaveConfig(in); err != nil {
		t.Fatalf("SaveConfig: %v", err)
	}
	// What a user expects back: exactly what was saved, with the group left at defaults now
	// answering Busy Here (486) when nobody is logged on and sending the client's choice on reject.
	want := realisticConfig()
	want.Groups[2].NotLoggedOn = line.ResponseBusyHere
	want.Groups[2].ClientReject = line.ResponseClientChoice

	got, err := s.Config()
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back differs\n got %+v\nwant %+v", got, want)
	}
	if !reflect.DeepEqual(in, realisticConfig()) {
		t.Fatal("SaveConfig changed its argument")
	}

	// The same after the file was closed and opened again.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openT(t, dir)
	got, err = s2.Config()
	if err != nil {
		t.Fatalf("Config after reopen: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back after reopen differs\n got %+v\nwant %+v", got, want)
	}

	// Saving a smaller configuration leaves no records of the bigger one behind.
	small := line.Config{
		Groups: []line.Group{{Name: "Only", NotLoggedOn: line.ResponseDecline, ClientReject: line.ResponseDecline}},
		Lines:  []line.Line{testLine(7, "Only")},
	}
	if err := s2.SaveConfig(small); err != nil {
		t.Fatalf("SaveConfig small: %v", err)
	}
	got, err = s2.Config()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, small) {
		t.Fatalf("after saving a smaller config\n got %+v\nwant %+v", got, small)
	}
}

func TestConfigOrderKept(t *testing.T) {
	s := openT(t, t.TempDir())
	// More than 255 lines, in an order that is neither alphabetical nor numeric, so that a
	// one-byte or text-sorted key would show.
	cfg := line.Config{Groups: []line.Group{{Name: "G"}}}
	var names []string
	for i := 300; i > 0; i-- {
		n := (i * 7919) % 1000
		l := testLine(n, "G")
		if _, dup := cfg.Line(l.Name); dup {
			continue
		}
		cfg.Lines = append(cfg.Lines, l)
		names = append(names, l.Name)
	}
	if err := s.SaveConfig(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lines) != len(names) {
		t.Fatalf("got %d lines, want %d", len(got.Lines), len(names))
	}
	for i, l := range got.Lines {
		if l.Name != names[i] {
			t.Fatalf("line #%d is %q, want %q", i+1, l.Name, names[i])
		}
	}
}

func TestInvalidSaveChangesNothing(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	before := dumpBuckets(t, s)

	bad := realisticConfig()
	bad.Groups[0].PickupCode = "*59"                      // no <NUMBER>
	bad.Lines = append(bad.Lines, testLine(1, "Nowhere")) // names no group
	err := s.SaveConfig(bad)
	if !errors.Is(err, line.ErrInvalid) {
		t.Fatalf("SaveConfig(invalid) = %v, want an error wrapping line.ErrInvalid", err)
	}
	keys := map[string]bool{}
	for _, fe := range line.FieldErrors(err) {
		keys[string(fe.Kind)+" "+fe.Name+" "+fe.Key] = true
	}
	if len(keys) != 2 || !keys["group Zentrale pickup_code"] || !keys["line L1 group"] {
		t.Fatalf("field errors %v, want the pickup code of Zentrale and the group of L1", keys)
	}
	if after := dumpBuckets(t, s); !reflect.DeepEqual(before, after) {
		t.Fatal("an invalid SaveConfig changed the file")
	}
}

func TestFailingUpdateChangesNothing(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveConfig(realisticConfig()); err != nil {
		t.Fatal(err)
	}
	before := dumpBuckets(t, s)
	unchanged := func(what string) {
		t.Helper()
		if after := dumpBuckets(t, s); !reflect.DeepEqual(before, after) {
			t.Fatalf("%s changed the file", what)
		}
	}

	boom := errors.New("boom")
	err := s.Update(func(c *line.Config) error {
		c.Lines = append(c.Lines, testLine(1, "Hotline"))
		c.Groups[0].HideDecline = false
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	unchanged("an Update whose fn failed")

	err = s.Update(func(c *line.Config) error {
		c.Lines = append(c.Lines, c.Lines[0]) // duplicate name
		c.Locations = c.Locations[:1]         // the Hotline group's location is gone
		return nil
	})
	if !errors.Is(err, line.ErrInvalid) {
		t.Fatalf("Update(invalid) = %v, want an error wrapping line.ErrInvalid", err)
	}
	if n := len(line.FieldErrors(err)); n < 2 {
		t.Fatalf("Update(invalid) gave %d field errors, want at least 2: %v", n, err)
	}
	unchanged("an invalid Update")

	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("a panic in fn was swallowed")
			}
		}()
		_ = s.Update(func(c *line.Config) error {
			c.Lines = nil
			panic("fn panics")
		})
	}()
	unchanged("an Update whose fn panicked")

	// The store still works after all that, and a good Update sees the stored config.
	err = s.Update(func(c *line.Config) error {
		if len(c.Lines) != len(realisticConfig().Lines) {
			t.Errorf("fn got %d lines, want %d", len(c.Lines), len(realisticConfig().Lines))
		}
		c.Groups = append(c.Groups, line.Group{Name: "Night"})
		c.Lines = append(c.Lines, testLine(1, "Night"))
		return nil
	})
	if err != nil {
		t.Fatalf("good Update: %v", err)
	}
	got, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	g, ok := got.Group("Night")
	if !ok {
		t.Fatal("group added by Update is missing")
	}
	if g.NotLoggedOn != line.ResponseBusyHere || g.ClientReject != line.ResponseClientChoice {
		t.Fatalf("Update did not apply defaults: %+v", g)
	}
	if last := got.Lines[len(got.Lines)-1]; last.Name != "L1" {
		t.Fatalf("last line is %q, want L1", last.Name)
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SaveConfig(line.Config{Groups: []line.Group{{Name: "G"}}}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				errs <- s.Update(func(c *line.Config) error {
					c.Lines = append(c.Lines, testLine(w*each+j, "G"))
					return nil
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Lines) != workers*each {
		t.Fatalf("got %d lines, want %d", len(got.Lines), workers*each)
	}
	for i := range workers * each {
		if _, ok := got.Line(testLine(i, "G").Name); !ok {
			t.Fatalf("line L%d lost", i)
		}
	}
}

func BenchmarkSaveConfig(b *testing.B) {
	s := openT(b, b.TempDir(), WithLockTimeout(0))
	cfg := realisticConfig()
	for i := range 50 - len(cfg.Lines) {
		cfg.Lines = append(cfg.Lines, testLine(i, "Hotline"))
	}
	for b.Loop() {
		if err := s.SaveConfig(cfg); err != nil {
			b.Fatal(err)
		}
	}
}
