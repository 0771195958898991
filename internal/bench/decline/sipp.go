package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
)

// load is one SIPp run's offered load.
type load struct {
	// rate is the call rate SIPp aims at, per second. With limit > 0 SIPp keeps at most limit
	// calls open, so a rate above what the server can take makes a closed loop: a new call
	// starts as one ends, and the achieved rate is the server's throughput.
	rate  int
	limit int
	// calls ends the run after this many calls (-m); duration ends it after that time
	// (-timeout) when calls is 0.
	calls    int
	duration time.Duration
	// rtt traces every message (-trace_msg) for the INVITE-to-486 times. SIPp's own response
	// times (-trace_rtt) come in steps of its main loop's clock, 4 ms here, too coarse for a
	// p99 goal of 10 ms; the message log stamps each message in microseconds.
	rtt bool
}

func (l load) String() string {
	s := fmt.Sprintf("%d/s", l.rate)
	if l.limit > 0 {
		s = fmt.Sprintf("as fast as it goes (at most %d open calls)", l.limit)
	}
	if l.calls > 0 {
		return fmt.Sprintf("%d calls at %s", l.calls, s)
	}
	return fmt.Sprintf("%v at %s", l.duration, s)
}

// sippResult is what one SIPp run measured.
type sippResult struct {
	outgoing   int64         // calls started (INVITEs sent)
	successful int64         // calls that got their 486 and sent the ACK
	failed     int64         // outgoing - successful: failed, or still open when SIPp stopped
	elapsed    time.Duration // from SIPp's start to its last statistics
	rate       float64       // successful calls per second over elapsed
	rtts       []float64     // INVITE-to-486 times in ms, sorted, where load.rtt
	cpu        time.Duration // SIPp's own user+system CPU time
	retrans    int64         // retransmissions SIPp sent (the server dropped a request or was late)
	// UDP datagrams dropped for a full receive buffer during the run: at the server's socket,
	// and on the whole host (SIPp's socket too); -1 where unknown.
	serverDrops, hostDrops int64
}

// percentile returns the p-th percentile (0 < p <= 100) of the sorted values, nearest rank.
func percentile(sorted []float64, p float64) (float64, bool) {
	if len(sorted) == 0 {
		return 0, false
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1], true
}

// runSIPp runs the decline scenario against target (host:port) with the given load and calling
// user, in a temporary directory that holds SIPp's statistics files.
func runSIPp(ctx context.Context, o options, target string, l load) (res sippResult, err error) {
	dir, err := os.MkdirTemp("", "bench-decline-sipp-")
	if err != nil {
		return res, fmt.Errorf("sipp: %w", err)
	}
	defer os.RemoveAll(dir)
	port, err := freeUDPPort()
	if err != nil {
		return res, fmt.Errorf("sipp: %w", err)
	}
	args := []string{
		"-sf", o.scenario,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1",
		"-s", o.user,
		"-r", strconv.Itoa(l.rate), "-rp", "1000",
		"-nostdin",
		// SIPp's socket buffers (default 64 KB) would drop responses in bursts, and every drop
		// costs a retransmission 500 ms later; the host caps this at net.core.rmem_max.
		"-buff_size", "4194304",
		"-trace_stat", "-stf", filepath.Join(dir, "stat.csv"), "-fd", "1",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
	}
	wait := l.duration
	if l.calls > 0 {
		args = append(args, "-m", strconv.Itoa(l.calls))
		wait = time.Duration(float64(l.calls)/float64(l.rate)*float64(time.Second)) + 30*time.Second
	} else {
		args = append(args, "-timeout", fmt.Sprintf("%ds", int(math.Ceil(l.duration.Seconds()))))
		wait += 30 * time.Second
	}
	if l.limit > 0 {
		args = append(args, "-l", strconv.Itoa(l.limit))
	}
	if l.rtt {
		args = append(args, "-trace_msg", "-message_file", filepath.Join(dir, "messages.log"))
	}
	args = append(args, target)

	rctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	out, err := os.Create(filepath.Join(dir, "output.log"))
	if err != nil {
		return res, fmt.Errorf("sipp: %w", err)
	}
	defer out.Close()
	cmd := exec.CommandContext(rctx, "sipp", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = benchkit.ProcAttr()
	cmd.WaitDelay = 5 * time.Second
	server0, host0 := benchkit.SocketUDPDrops(target), benchkit.HostUDPDrops()
	runErr := cmd.Run()
	res.serverDrops = benchkit.DropDelta(benchkit.SocketUDPDrops(target), server0)
	res.hostDrops = benchkit.DropDelta(benchkit.HostUDPDrops(), host0)
	if cmd.ProcessState != nil {
		res.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	// Exit status 1 means some calls failed: the statistics tell how many.
	var ee *exec.ExitError
	if runErr != nil && !(errors.As(runErr, &ee) && ee.ExitCode() == 1) {
		return res, fmt.Errorf("sipp %s: %w\n%s", strings.Join(args, " "), runErr, fileTail(out.Name(), 20))
	}
	f, err := os.Open(filepath.Join(dir, "stat.csv"))
	if err != nil {
		return res, fmt.Errorf("sipp: no statistics: %w\n%s", err, fileTail(out.Name(), 20))
	}
	defer f.Close()
	if err := readStats(f, &res); err != nil {
		return res, fmt.Errorf("sipp: %w", err)
	}
	if l.rtt {
		mf, err := os.Open(filepath.Join(dir, "messages.log"))
		if err != nil {
			return res, fmt.Errorf("sipp: %w", err)
		}
		res.rtts, err = responseTimes(mf)
		mf.Close()
		if err != nil {
			return res, fmt.Errorf("sipp: message log: %w", err)
		}
		sort.Float64s(res.rtts)
	}
	return res, nil
}

// readStats reads the last row of SIPp's -trace_stat file (semicolon-separated, a header row
// first) into res.
func readStats(r io.Reader, res *sippResult) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var head, last []string
	for sc.Scan() {
		row := strings.Split(strings.TrimRight(sc.Text(), ";"), ";")
		if head == nil {
			head = row
			continue
		}
		last = row
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	if last == nil {
		return errors.New("statistics: no rows")
	}
	col := map[string]string{}
	for i, h := range head {
		if i < len(last) {
			col[h] = strings.TrimSpace(last[i])
		}
	}
	num := func(name string) (int64, error) {
		v, ok := col[name]
		if !ok {
			return 0, fmt.Errorf("statistics: no column %s", name)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("statistics: %s: %w", name, err)
		}
		return n, nil
	}
	var err error
	if res.outgoing, err = num("OutgoingCall(C)"); err != nil {
		return err
	}
	if res.successful, err = num("SuccessfulCall(C)"); err != nil {
		return err
	}
	res.failed = res.outgoing - res.successful
	// StartTime and CurrentTime read "date<TAB>time<TAB>epoch.micros".
	start, err1 := epoch(col["StartTime"])
	now, err2 := epoch(col["CurrentTime"])
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	res.elapsed = now.Sub(start)
	if res.elapsed > 0 {
		res.rate = float64(res.successful) / res.elapsed.Seconds()
	}
	// Retransmissions of any message: the server dropped a request or answered late.
	if v, ok := col["Retransmissions(C)"]; ok {
		res.retrans, _ = strconv.ParseInt(v, 10, 64)
	}
	return nil
}

// epoch reads the last tab-separated field of a SIPp time cell, seconds since 1970 with a
// fraction.
func epoch(cell string) (time.Time, error) {
	f := strings.Fields(cell)
	if len(f) == 0 {
		return time.Time{}, fmt.Errorf("time %q: empty", cell)
	}
	s, err := strconv.ParseFloat(f[len(f)-1], 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", cell, err)
	}
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// responseTimes reads SIPp's -trace_msg log and returns, per call, the time in ms from the first
// transmission of the INVITE to the receipt of the first 486. Each message in the log follows a
// line of dashes that ends in the date and time (microseconds) and a line saying whether it was
// sent or received.
func responseTimes(r io.Reader) ([]float64, error) {
	const layout = "2006-01-02 15:04:05.000000"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	invites := map[string]time.Time{}
	answered := map[string]bool{}
	var out []float64
	var at time.Time
	var sent, received bool
	var first string // the message's start line
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "----------") {
			f := strings.Fields(strings.TrimLeft(l, "-"))
			if len(f) != 2 {
				continue
			}
			t, err := time.Parse(layout, f[0]+" "+f[1])
			if err != nil {
				return nil, fmt.Errorf("time %q: %w", l, err)
			}
			at, sent, received, first = t, false, false, ""
			continue
		}
		switch {
		case strings.HasPrefix(l, "UDP message sent"):
			sent = true
		case strings.HasPrefix(l, "UDP message received"):
			received = true
		case first == "" && (sent || received) && strings.TrimSpace(l) != "":
			first = l
		case first != "" && len(l) > 8 && strings.EqualFold(l[:8], "call-id:"):
			id := strings.TrimSpace(l[8:])
			switch {
			case sent && strings.HasPrefix(first, "INVITE "):
				if _, ok := invites[id]; !ok {
					invites[id] = at
				}
			case received && strings.HasPrefix(first, "SIP/2.0 486 ") && !answered[id]:
				if t0, ok := invites[id]; ok {
					answered[id] = true
					out = append(out, float64(at.Sub(t0).Microseconds())/1000)
				}
			}
		}
	}
	return out, sc.Err()
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort() (int, error) {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port, nil
}

// fileTail returns the last n lines of a file, for error messages.
func fileTail(name string, n int) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
