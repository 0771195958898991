package provision

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadFile(t *testing.T) {
	path := writeFile(t, "office.toml", readDemo(t))
	cfg, err := ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	want, err := Decode("office.toml", readDemo(t))
	if err != nil || !reflect.DeepEqual(cfg, want) {
		t.Errorf("ReadFile gives %+v, want what Decode gives: %+v (%v)", cfg, want, err)
	}

	// Problems name the file by its base name.
	path = writeFile(t, "broken.toml", []byte("[[group]]\nname = \"Sales\"\ncolour = \"red\"\n"))
	_, err = ReadFile(path)
	if err == nil || err.Error() != "broken.toml:3:1: group \"Sales\": colour: unknown key" {
		t.Errorf("ReadFile(broken) = %v", err)
	}

	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v, want a not-exist error", err)
	}
}

// A file over the limit is refused by its size, before it is read: a sparse file of 50 MiB costs
// nothing to refuse. The message names the file, its size and the limit.
func TestReadFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.toml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	start := time.Now()
	cfg, err := ReadFile(path)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFile(50 MiB) = %v, want ErrTooLarge", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v", d)
	}
	const msg = "huge.toml: 52428800 bytes: too large: a provisioning file may have at most 4 MiB (4194304 bytes)"
	if err.Error() != msg {
		t.Errorf("message = %q, want %q", err, msg)
	}
	if !reflect.DeepEqual(cfg, line.Config{}) {
		t.Errorf("config = %+v, want empty", cfg)
	}

	// At the limit a file is read; one byte more is not. Comments keep it valid TOML.
	body := func(n int) []byte {
		b := []byte(strings.Repeat("#"+strings.Repeat("x", 62)+"\n", n/64))
		return append(b, strings.Repeat("#", n-len(b))...)
	}
	if _, err := ReadFile(writeFile(t, "limit.toml", body(MaxFileSize))); err != nil {
		t.Errorf("a file of exactly %d bytes: %v", MaxFileSize, err)
	}
	_, err = ReadFile(writeFile(t, "over.toml", body(MaxFileSize+1)))
	if !errors.Is(err, ErrTooLarge) || !strings.HasPrefix(err.Error(), "over.toml: 4194305 bytes: ") {
		t.Errorf("a file of %d bytes: %v", MaxFileSize+1, err)
	}
	// Decode refuses the same data when it comes another way.
	if _, err := Decode("piped.toml", body(MaxFileSize+1)); !errors.Is(err, ErrTooLarge) ||
		!strings.HasPrefix(err.Error(), "piped.toml: 4194305 bytes: ") {
		t.Errorf("Decode of %d bytes: %v", MaxFileSize+1, err)
	}
}

// A file that is not regular (a pipe) is read up to the limit and no further.
func TestReadFileTooLargePipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		chunk := []byte(strings.Repeat("#", 1<<16) + "\n")
		for i := 0; i < 200; i++ { // 12.5 MiB unless the reader stops
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}()
	path := fmt.Sprintf("/dev/fd/%d", r.Fd())
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no /dev/fd on this system: %v", err)
	}
	_, err = ReadFile(path)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 4194304 bytes") {
		t.Errorf("ReadFile(pipe) = %v", err)
	}
	r.Close()
	<-done
}

// Errors prints at most MaxPrinted problems and says how many more there are; all of them stay
// in Problems.
func TestErrorsPrintedAreCapped(t *testing.T) {
	file := func(n int) []byte {
		var b strings.Builder
		b.WriteString("[[group]]\nname = \"Sales\"\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "colour%d = \"red\"\n", i)
		}
		return []byte(b.String())
	}
	for _, tc := range []struct {
		problems int
		last     string
	}{
		{MaxPrinted, `p.toml:102:1: group "Sales": colour99: unknown key`},
		{MaxPrinted + 1, "... and 1 more error"},
		{250, "... and 150 more errors"},
	} {
		_, err := Decode("p.toml", file(tc.problems))
		var errs *Errors
		if !errors.As(err, &errs) || len(errs.Problems) != tc.problems {
			t.Fatalf("%d unknown keys: %v", tc.problems, err)
		}
		lines := strings.Split(err.Error(), "\n")
		wantLines := min(tc.problems, MaxPrinted+1)
		if len(lines) != wantLines || lines[len(lines)-1] != tc.last {
			t.Errorf("%d problems print %d lines ending %q, want %d ending %q",
				tc.problems, len(lines), lines[len(lines)-1], wantLines, tc.last)
		}
		if lines[0] != `p.toml:3:1: group "Sales": colour0: unknown key` {
			t.Errorf("first line %q", lines[0])
		}
	}
}
