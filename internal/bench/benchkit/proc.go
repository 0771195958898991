package benchkit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// PeakRSS returns the process's peak resident set size (VmHWM) in bytes, or 0 where /proc has no
// such figure (another OS, or the process is gone).
func PeakRSS(pid int) int64 {
	n, _ := statusBytes(pid, "VmHWM")
	return n
}

// RSS returns the process's resident set size (VmRSS) in bytes.
func RSS(pid int) (int64, error) {
	n, err := statusBytes(pid, "VmRSS")
	if err == nil && n == 0 {
		err = fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return n, err
}

func statusBytes(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return StatusBytes(f, field), nil
}

// StatusBytes finds the "FIELD:  1234 kB" line (e.g. VmHWM, VmRSS) of a /proc/PID/status text
// and returns it in bytes, or 0 where there is no such line.
func StatusBytes(r io.Reader, field string) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return n * 1024
	}
	return 0
}

// CPUTime returns the user and system CPU time the process used so far, read from /proc, or 0
// where /proc has no such figure.
func CPUTime(pid int) time.Duration {
	d, _ := ProcCPU(pid)
	return d
}

// ProcCPU returns the user and system CPU time (all threads) the process used so far, read from
// /proc/PID/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("cpu time of process %d: %w", pid, err)
	}
	return ParseStatCPU(string(b))
}

// ParseStatCPU reads utime + stime from the text of /proc/PID/stat. The command name in
// parentheses may hold spaces, so the fields are counted after its closing parenthesis.
func ParseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc stat %q: no command name", stat)
	}
	f := strings.Fields(stat[i+1:])
	// After the name: state(3) ppid(4) ... utime(14) stime(15), so utime is f[11].
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name, want at least 13", len(f))
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("proc stat: utime %q stime %q: not numbers", f[11], f[12])
	}
	return time.Duration(u+s) * time.Second / userHZ, nil
}
