package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/provision"
)

// lineupResult is one run of the line server binary.
type lineupResult struct {
	allRegistered time.Duration // process start until the last line logged "line registered"
	started       time.Duration // process start until "line server started"
	firstReg      time.Duration
	p50, p90      time.Duration // of the per-line registration times since process start
	failures      int           // lines that failed at least once or never registered
	failedOnce    int           // lines that logged "registration failed" at least once
	peakRSS       int64
	deregister    time.Duration // SIGTERM until the process exited
	unregistered  int           // lines that logged "line unregistered"
	deregFailed   int           // lines that logged "line de-registration failed"
	exitErr       error         // the process's exit status after SIGTERM
	otherWarnings map[string]int
	histogram     string // lines registered per quarter second since process start

	// UDP datagrams dropped for full receive buffers until all registered: at Kamailio's socket,
	// at the line server's socket, and on the whole host (-1: unknown).
	pbxDrops, serverDrops, hostDrops int64
	// The same while de-registering (the server's own socket is gone by then).
	pbxDropsDereg, hostDropsDereg int64
}

// quarterHistogram counts the durations per 250 ms step, leaving out empty steps.
func quarterHistogram(times []time.Duration) string {
	counts := map[int]int{}
	last := 0
	for _, d := range times {
		b := int(d / (250 * time.Millisecond))
		counts[b]++
		last = max(last, b)
	}
	var parts []string
	for b := 0; b <= last; b++ {
		if counts[b] > 0 {
			parts = append(parts, fmt.Sprintf("%.2f-%.2fs:%d", float64(b)/4, float64(b+1)/4, counts[b]))
		}
	}
	return strings.Join(parts, " ")
}

// users returns the PBX accounts 5000, 5001, ... with a password of their own.
func users(n int) []testpbx.User {
	us := make([]testpbx.User, n)
	for i := range us {
		name := fmt.Sprint(5000 + i)
		us[i] = testpbx.User{Name: name, Password: "pw-" + name}
	}
	return us
}

// lineConfig is one group of n UDP lines at the PBX, paced at rate requests/s (0: unpaced).
func lineConfig(pbx *testpbx.PBX, n int, rate float64) line.Config {
	cfg := line.Config{Groups: []line.Group{{Name: "Bench", RegisterRate: rate}}}
	for i, u := range users(n) {
		cfg.Lines = append(cfg.Lines, line.Line{
			Name:  fmt.Sprintf("L%04d", i),
			Group: "Bench",
			Account: line.Account{
				Registrar: pbx.UDPAddr(),
				User:      u.Name,
				Password:  u.Password,
				Transport: line.TransportUDP,
			},
		})
	}
	return cfg
}

// runLineup measures one run of `lineup serve` with n lines.
func runLineup(ctx context.Context, o options) (res lineupResult, err error) {
	pctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	pbx, err := testpbx.Launch(pctx, testpbx.Config{Users: users(o.lines)})
	if err != nil {
		return res, fmt.Errorf("lineup run: start kamailio: %w", err)
	}
	defer pbx.Stop()

	dir, err := os.MkdirTemp("", "bench-lineup-")
	if err != nil {
		return res, fmt.Errorf("lineup run: %w", err)
	}
	defer os.RemoveAll(dir)
	var buf bytes.Buffer
	if err := provision.Encode(&buf, lineConfig(pbx, o.lines, 0)); err != nil {
		return res, fmt.Errorf("lineup run: %w", err)
	}
	file := filepath.Join(dir, "lines.toml")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		return res, fmt.Errorf("lineup run: %w", err)
	}
	data := filepath.Join(dir, "data")
	ictx, icancel := context.WithTimeout(ctx, o.timeout)
	err = benchkit.ProvisionImport(ictx, o.lineup, data, file)
	icancel()
	if err != nil {
		return res, fmt.Errorf("lineup run: %w", err)
	}

	hostBefore, pbxBefore := benchkit.HostUDPDrops(), benchkit.SocketUDPDrops(pbx.UDPAddr())
	c, lines, err := benchkit.StartChild("lineup serve",
		exec.Command(o.lineup, "--data", data, "--secrets", "database", "serve", "--sip-listen", "127.0.0.1"), benchkit.Output{})
	if err != nil {
		return res, fmt.Errorf("lineup run: %w", err)
	}
	defer c.Kill()

	registered := map[string]time.Duration{}
	failed := map[string]bool{}
	unregistered := map[string]bool{}
	deregFailed := map[string]bool{}
	res.otherWarnings = map[string]int{}
	serverUDP := ""
	handle := func(l benchkit.Line) {
		f := benchkit.LogFields(l.Text)
		switch f["msg"] {
		case "line server started":
			res.started = l.At.Sub(c.Started())
			serverUDP = f["udp"]
		case "line registered":
			if _, ok := registered[f["line"]]; !ok {
				registered[f["line"]] = l.At.Sub(c.Started())
			}
		case "line registration failed":
			failed[f["line"]] = true
		case "line unregistered":
			unregistered[f["line"]] = true
		case "line de-registration failed":
			deregFailed[f["line"]] = true
		default:
			if f["level"] == "WARN" || f["level"] == "ERROR" {
				res.otherWarnings[f["level"]+" "+f["msg"]]++
			}
		}
	}

	// Wait until every line registered, the process ends, or the timeout.
	waitErr, err := waitFor(ctx, c, lines, handle, func() int { return len(registered) }, o.lines, o.timeout, "lineup serve", "lines")
	if err != nil {
		return res, err
	}
	if waitErr != nil {
		fmt.Fprintf(os.Stderr, "bench: lineup: %v\n", waitErr)
	}
	times := make([]time.Duration, 0, len(registered))
	for _, d := range registered {
		times = append(times, d)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) > 0 {
		res.firstReg = times[0]
		res.p50 = times[len(times)/2]
		res.p90 = times[len(times)*9/10]
		res.allRegistered = times[len(times)-1]
	}
	if len(registered) < o.lines {
		res.allRegistered = 0 // not reached
	}
	res.peakRSS = benchkit.PeakRSS(c.Pid())
	res.histogram = quarterHistogram(times)
	res.hostDrops = benchkit.DropDelta(benchkit.HostUDPDrops(), hostBefore)
	res.pbxDrops = benchkit.DropDelta(benchkit.SocketUDPDrops(pbx.UDPAddr()), pbxBefore)
	res.serverDrops = -1
	if serverUDP != "" {
		res.serverDrops = benchkit.SocketUDPDrops(serverUDP)
	}

	// Let the server settle, still reading its log, then take the peak again just before SIGTERM.
	if err := settle(ctx, lines, handle, o.settle); err != nil {
		return res, err
	}
	res.peakRSS = max(res.peakRSS, benchkit.PeakRSS(c.Pid()))
	res.failedOnce = len(failed)
	res.failures = len(failed) // a line that failed counts once, whether it registered later or not
	for i := 0; i < o.lines; i++ {
		name := fmt.Sprintf("L%04d", i)
		if _, ok := registered[name]; !ok && !failed[name] {
			res.failures++ // never registered by the timeout
		}
	}

	// De-register: SIGTERM, then read the log until the process has exited and closed it.
	if c.Exited() {
		return res, waitErr
	}
	hostBefore, pbxBefore = benchkit.HostUDPDrops(), benchkit.SocketUDPDrops(pbx.UDPAddr())
	term := time.Now()
	if err := c.Signal(syscall.SIGTERM); err != nil {
		return res, err
	}
	deadline := time.NewTimer(o.timeout)
	defer deadline.Stop()
drain:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break drain
			}
			handle(l)
		case <-deadline.C:
			return res, fmt.Errorf("lineup serve did not exit within %v of SIGTERM", o.timeout)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	if err := c.WaitExit(ctx); err != nil {
		return res, err
	}
	res.deregister = c.ExitedAt().Sub(term)
	res.hostDropsDereg = benchkit.DropDelta(benchkit.HostUDPDrops(), hostBefore)
	res.pbxDropsDereg = benchkit.DropDelta(benchkit.SocketUDPDrops(pbx.UDPAddr()), pbxBefore)
	res.exitErr = c.ExitErr()
	res.unregistered = len(unregistered)
	res.deregFailed = len(deregFailed)
	return res, waitErr
}
