//go:build unix

package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
)

// crashDirEnv selects child mode for TestCrashWriterChild and names its data directory.
const crashDirEnv = "LINEUP_STORE_CRASH_CHILD_DIR"

// TestCrashWriterChild is the writer process of TestCrashSafety. Started without crashDirEnv, as
// in a normal test run, it has nothing to do.
func TestCrashWriterChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		return
	}
	s, err := Open(dir, WithLockTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The parent kills this process long before; the limit only keeps an orphan from running on.
	deadline := time.Now().Add(2 * time.Minute)
	for i := 0; time.Now().Before(deadline); i++ {
		err := s.Update(func(c *line.Config) error {
			group := fmt.Sprintf("G%d", i/50)
			if _, ok := c.Group(group); !ok {
				c.Groups = append(c.Groups, line.Group{Name: group, JournalAll: i%100 == 0})
			}
			c.Lines = append(c.Lines, testLine(i, group))
			return nil
		})
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		// Unbuffered: the parent sees each line as soon as it is written.
		fmt.Printf("committed %d\n", i)
	}
	t.Fatal("not killed in time")
}

// TestCrashSafety kills a process in the middle of writing and checks that every update it
// reported as committed survived, and that the file is consistent.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	// The reader ends when the pipe closes, which the kill below makes certain.
	lines := make(chan string)
	readDone := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		readDone <- sc.Err()
	}()

	const want = 200
	last, seen, killed := -1, 0, false
	timeout := time.After(90 * time.Second)
	for lines != nil {
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				break
			}
			rest, found := strings.CutPrefix(l, "committed ")
			if !found {
				continue
			}
			n, err := strconv.Atoi(rest)
			if err != nil || n != last+1 {
				t.Errorf("child printed %q after committed %d", l, last)
			}
			last = n
			seen++
			if seen == want {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatalf("kill child: %v", err)
				}
				killed = true
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			timeout = nil
			t.Errorf("child committed only %d updates in 90s", seen)
		}
	}
	if err := <-readDone; err != nil {
		t.Errorf("reading the child's output: %v", err)
	}
	err = cmd.Wait()
	waited = true
	if t.Failed() {
		t.Fatalf("child's stderr:\n%s", stderr.String())
	}
	if !killed {
		t.Fatalf("child exited (%v) before it was killed; stderr:\n%s", err, stderr.String())
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("child ended with %v, want death by SIGKILL", err)
	}
	if ws, ok := exitErr.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want death by SIGKILL while it was still writing", err)
	}
	t.Logf("child printed committed 0..%d before it died", last)

	s := openT(t, dir, WithLockTimeout(5*time.Second))
	cfg, err := s.Config()
	if err != nil {
		t.Fatalf("config after the crash: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config after the crash is invalid: %v", err)
	}
	for i := 0; i <= last; i++ {
		if _, ok := cfg.Line(fmt.Sprintf("L%d", i)); !ok {
			t.Fatalf("line L%d was reported committed but is missing after the crash", i)
		}
	}
	// At most the update that committed just before the kill, whose line was not printed yet,
	// may be there beyond the last one printed; and the order is the order of the updates.
	if n := len(cfg.Lines); n != last+1 && n != last+2 {
		t.Fatalf("after the crash there are %d lines, want %d or %d", n, last+1, last+2)
	}
	for i, l := range cfg.Lines {
		if l.Name != fmt.Sprintf("L%d", i) {
			t.Fatalf("line #%d is %q, want L%d", i+1, l.Name, i)
		}
	}
	// And the file still takes writes.
	if err := s.Update(func(c *line.Config) error {
		c.Lines = append(c.Lines, testLine(len(c.Lines), "G0"))
		return nil
	}); err != nil {
		t.Fatalf("update after the crash: %v", err)
	}
}
