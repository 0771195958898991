//go:build linux

package engine

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
)

// benchSelfCPU is the CPU time (user and system, all threads) this process used so far.
func benchSelfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// benchFindProcess returns the pid of the process named name whose command line holds the
// arguments args in a row (e.g. "-f", a baresip agent's directory).
func benchFindProcess(name string, args ...string) (int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	want := []byte(strings.Join(args, "\x00") + "\x00")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue // gone meanwhile
		}
		argv := bytes.SplitN(cmdline, []byte{0}, 2)
		if len(argv) < 2 || filepath.Base(string(argv[0])) != name || !bytes.Contains(argv[1], want) {
			continue
		}
		return strconv.Atoi(filepath.Base(d))
	}
	return 0, fmt.Errorf("no %s process with arguments %q", name, args)
}

func TestProcCPUAgreesWithGetrusage(t *testing.T) {
	stat0, err := benchkit.ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	self0, err := benchSelfCPU()
	if err != nil {
		t.Fatal(err)
	}
	// Spin until getrusage has counted 300 ms of CPU (on a loaded machine that takes longer than
	// 300 ms of wall time), then compare what /proc says for the same span.
	var self1 time.Duration
	for deadline := time.Now().Add(20 * time.Second); ; {
		if self1, err = benchSelfCPU(); err != nil {
			t.Fatal(err)
		}
		if self1-self0 >= 300*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a busy loop got only %v of CPU in 20 s", self1-self0)
		}
		for start := time.Now(); time.Since(start) < 10*time.Millisecond; {
		}
	}
	stat1, err := benchkit.ProcCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	stat, self := stat1-stat0, self1-self0
	if diff := (stat - self).Abs(); diff > 50*time.Millisecond+self/10 {
		t.Errorf("/proc/PID/stat counted %v, getrusage %v", stat, self)
	}
}

func TestBenchFindProcess(t *testing.T) {
	// A sleep with an argument no other process has.
	arg := strconv.FormatFloat(1000+float64(time.Now().UnixNano()%1e6)/1e3, 'f', 3, 64)
	cmd := exec.Command("sleep", arg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	pid, err := benchFindProcess("sleep", arg)
	if err != nil {
		t.Fatal(err)
	}
	if pid != cmd.Process.Pid {
		t.Errorf("found pid %d, want %d", pid, cmd.Process.Pid)
	}
	if _, err := benchFindProcess("sleep", arg+"1"); err == nil {
		t.Error("found a process for arguments nobody has")
	}
}
