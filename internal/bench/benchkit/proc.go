package benchkit

import (
	"bufio"
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
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	return VmHWM(f)
}

// VmHWM finds the "VmHWM:  1234 kB" line of a /proc/PID/status text and returns it in bytes, or
// 0 where there is no such line.
func VmHWM(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
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
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return ParseStatCPU(string(b))
}

// ParseStatCPU reads utime + stime from the text of /proc/PID/stat, or 0 where it cannot. The
// command name in parentheses may hold spaces, so the fields are counted after its closing
// parenthesis.
func ParseStatCPU(stat string) time.Duration {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	// After the name: state(3) ppid(4) ... utime(14) stime(15), so utime is f[11].
	if len(f) < 13 {
		return 0
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(u+s) * time.Second / userHZ
}
