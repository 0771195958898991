package benchkit

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a strings.Builder that the child's reader and the test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestChildOutputLinesInOrder(t *testing.T) {
	var copied lockedBuffer
	script := `echo one; echo "level=WARN msg=careful" 1>&2; i=0; while [ $i -lt 40 ]; do echo "n=$i"; i=$((i+1)); done; exit 3`
	c, lines, err := StartChild("sh", exec.Command("sh", "-c", script), Output{CopyTo: &copied})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Kill)
	var got []string
	var last time.Time
	for l := range lines {
		if l.At.Before(c.Started()) || l.At.Before(last) {
			t.Errorf("line %q read at %v, before the start or the line before", l.Text, l.At)
		}
		last = l.At
		got = append(got, l.Text)
	}
	if len(got) != 42 || got[0] != "one" || got[1] != "level=WARN msg=careful" || got[41] != "n=39" {
		t.Errorf("lines %q, want one, the warning, n=0..n=39", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitExit(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.Exited() {
		t.Error("not exited after WaitExit")
	}
	if ee, ok := c.ExitErr().(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Errorf("exit status %v, want 3", c.ExitErr())
	}
	if w := c.Warnings(); len(w) != 1 || w[0] != "level=WARN msg=careful" {
		t.Errorf("warnings %q, want the one WARN line", w)
	}
	tail := strings.Split(c.OutputTail(), "\n")
	if len(tail) != 30 || tail[29] != "n=39" || tail[0] != "n=10" {
		t.Errorf("tail of %d lines from %q to %q, want the last 30 (n=10..n=39)", len(tail), tail[0], tail[len(tail)-1])
	}
	if c := copied.String(); c != strings.Join(got, "\n")+"\n" {
		t.Errorf("copy %q differs from the lines read", c)
	}
}

func TestChildStopEndsTheProcess(t *testing.T) {
	c, _, err := StartChild("sleep", exec.Command("sleep", "30"), Output{Lossy: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Kill)
	start := time.Now()
	if err := c.Stop(10 * time.Second); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Errorf("Stop = %v, want the exit status of a process ended by SIGTERM", err)
	}
	if !c.Exited() || time.Since(start) > 5*time.Second {
		t.Errorf("exited %v after %v, want at once", c.Exited(), time.Since(start))
	}
	if c.ExitedAt().Before(start) {
		t.Errorf("exit seen at %v, before the stop at %v", c.ExitedAt(), start)
	}
	if err := c.Signal(0); err != nil {
		t.Errorf("signal to an exited child: %v", err)
	}
}

func TestStartChildWithoutTheProgram(t *testing.T) {
	_, _, err := StartChild("nothing", exec.Command(filepath.Join(t.TempDir(), "no-such-program")), Output{})
	if err == nil || !strings.Contains(err.Error(), "nothing: start") {
		t.Errorf("error %v, want one that names the child", err)
	}
}

func TestLineupBinaryWantsAFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LineupBinary(dir); err == nil || !strings.Contains(err.Error(), "run make build") {
		t.Errorf("a directory: error %v, want one that says to build", err)
	}
	bin := filepath.Join(dir, "lineup")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := LineupBinary(bin); err != nil || got != bin {
		t.Errorf("LineupBinary(%s) = %q, %v", bin, got, err)
	}
}
