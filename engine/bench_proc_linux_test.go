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
)

// benchSelfCPU is the CPU time (user and system, all threads) this process used so far.
func benchSelfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// benchClockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ). It is 100 on every
// Linux architecture Go supports; sysconf(_SC_CLK_TCK) would need cgo to ask.
const benchClockTick = 10 * time.Millisecond

// benchProcCPU is the CPU time (utime+stime of all threads) of process pid so far.
func benchProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	return parseProcStatCPU(b)
}

// parseProcStatCPU takes utime and stime (fields 14 and 15) from a /proc/PID/stat line. The
// command name (field 2) is in parentheses and may contain spaces, so fields are counted after
// its closing parenthesis.
func parseProcStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc stat %q: no command name", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("proc stat: utime %q stime %q: not numbers", f[11], f[12])
	}
	return time.Duration(utime+stime) * benchClockTick, nil
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

func TestParseProcStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis; utime 250 and stime 50 ticks.
	line := "4242 (bare sip) (x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 50 0 0 20 0 4 0 12345 0\n"
	got, err := parseProcStatCPU([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if got != 3*time.Second {
		t.Errorf("cpu %v, want 3s (300 ticks)", got)
	}
	if _, err := parseProcStatCPU([]byte("4242 (x) S 1 2")); err == nil {
		t.Error("a short stat line parsed without error")
	}
}

func TestBenchProcCPUAgreesWithGetrusage(t *testing.T) {
	stat0, err := benchProcCPU(os.Getpid())
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
	stat1, err := benchProcCPU(os.Getpid())
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
