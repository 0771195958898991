// Command register is the registration benchmark behind `make bench`. It measures how fast the
// line server brings many lines up at a PBX, what it costs, and whether a group's register rate
// holds, against real peers on the loopback interface:
//
//  1. Lineup: a Kamailio (package testpbx) with -lines digest users; a provisioning file with as
//     many UDP lines in one unpaced group is imported with the lineup binary, then `lineup serve`
//     runs as a child process. Measured: the wall time from process start until every line has
//     logged "line registered" (distinct lines), the failures (lines that logged "line
//     registration failed" at least once, plus lines never registered by -timeout), the peak RSS
//     (VmHWM, read once all are registered and again just before SIGTERM), and the time from
//     SIGTERM until the process has de-registered every line and exited.
//  2. baresip, for comparison: a fresh Kamailio with the same users, and baresip (Debian's
//     baresip-core) with the same accounts in its accounts file and only the account module
//     loaded. Measured the same way from its "200 OK" lines per account; skipped with the reason
//     printed when baresip is not installed or -baresip=false.
//  3. Pacing: the engine in-process with one group of -pacing-lines lines and register_rate
//     -pacing-rate; every REGISTER request is timestamped through sip.WithRequestCounter, and the
//     measured rate is (n-1)/(t_last-t_first) over the requests sent until all lines registered.
//
// Each of -runs runs does all three; the program prints every run and the medians beside the
// goals. Every server binds to 127.0.0.1 on free ports; every child process is stopped on exit,
// on error and on Ctrl-C, and every wait is bounded by -timeout.
//
// Usage:
//
//	go run ./internal/bench/register -lineup bin/lineup [-lines 1000] [-runs 5] [-baresip=true]
//	    [-pacing-rate 100] [-pacing-lines 200] [-timeout 60s]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
)

// Goals the figures are printed beside (for 1000 lines).
const (
	goalTime    = 1.5 // seconds until all lines are registered
	goalRSSMB   = 60
	goalPaceDev = 10 // percent
)

type options struct {
	lineup      string
	lines       int
	runs        int
	baresip     bool
	pacingRate  float64
	pacingLines int
	timeout     time.Duration
	settle      time.Duration
}

// run is one run's figures; a nil part was skipped or failed.
type run struct {
	lineup  *lineupResult
	baresip *baresipResult
	pacing  *pacingResult
}

func main() {
	var o options
	flag.StringVar(&o.lineup, "lineup", "bin/lineup", "the lineup `binary` to measure")
	flag.IntVar(&o.lines, "lines", 1000, "number of lines (and PBX users)")
	flag.IntVar(&o.runs, "runs", 5, "number of runs; the medians are printed")
	flag.BoolVar(&o.baresip, "baresip", true, "measure baresip with the same accounts for comparison")
	flag.Float64Var(&o.pacingRate, "pacing-rate", 100, "register rate of the paced group, requests/s")
	flag.IntVar(&o.pacingLines, "pacing-lines", 200, "lines in the paced group")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "bound of every wait")
	flag.DurationVar(&o.settle, "settle", time.Second, "how long a client runs on after all registered, before it is stopped")
	flag.Parse()
	if o.lines < 1 || o.lines > 9999 || o.runs < 1 || o.pacingLines < 2 || o.pacingRate <= 0 || o.timeout <= 0 {
		fmt.Fprintln(os.Stderr, "bench: need 1 <= -lines <= 9999, -runs >= 1, -pacing-lines >= 2, -pacing-rate > 0, -timeout > 0")
		os.Exit(2)
	}
	benchkit.Main(func(ctx context.Context) error { return bench(ctx, o, os.Stdout) })
}

func bench(ctx context.Context, o options, w io.Writer) error {
	bin, err := benchkit.LineupBinary(o.lineup)
	if err != nil {
		return err
	}
	o.lineup = bin
	baresipWhy := ""
	if !o.baresip {
		baresipWhy = "switched off with -baresip=false"
	} else if err := checkBaresip(); err != nil {
		baresipWhy = err.Error()
		o.baresip = false
	}

	fmt.Fprintf(w, "registration benchmark: %d lines, %d runs, pacing %d lines at %g/s, timeout %v\n",
		o.lines, o.runs, o.pacingLines, o.pacingRate, o.timeout)
	var runs []run
	for i := 1; i <= o.runs; i++ {
		var r run
		lr, err := runLineup(ctx, o)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: run %d: lineup: %v\n", i, err)
		}
		if lr.peakRSS > 0 || err == nil {
			r.lineup = &lr
			fmt.Fprintf(w, "run %d lineup: first registered %s, p50 %s, p90 %s, all %s (server started at %s); "+
				"failed once %d; de-registered %d, de-registration failed %d, exit %v",
				i, secs(lr.firstReg), secs(lr.p50), secs(lr.p90), secs(lr.allRegistered), secs(lr.started),
				lr.failedOnce, lr.unregistered, lr.deregFailed, exitText(lr.exitErr))
			fmt.Fprintf(w, "\nrun %d lineup: registered per quarter second: %s", i, lr.histogram)
			fmt.Fprintf(w, "\nrun %d lineup: UDP receive-buffer drops while registering: kamailio socket %d, line server socket %d, host %d; while de-registering: kamailio %d, host %d",
				i, lr.pbxDrops, lr.serverDrops, lr.hostDrops, lr.pbxDropsDereg, lr.hostDropsDereg)
			if len(lr.otherWarnings) > 0 {
				fmt.Fprintf(w, "; other warnings: %s", warningsText(lr.otherWarnings))
			}
			fmt.Fprintln(w)
		}
		if o.baresip {
			br, err := runBaresip(ctx, o)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: run %d: baresip: %v\n", i, err)
			}
			if br.peakRSS > 0 {
				r.baresip = &br
				fmt.Fprintf(w, "run %d baresip: all %s, failures %d, exit after SIGTERM %s\n",
					i, secs(br.allRegistered), br.failures, secs(br.exit))
			}
		}
		pr, err := runPacing(ctx, o)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: run %d: pacing: %v\n", i, err)
		}
		if pr.requests > 1 {
			r.pacing = &pr
			fmt.Fprintf(w, "run %d pacing: %d requests in %s to register %d lines; stopping sent %d more in %s, de-registration failed %d\n",
				i, pr.requests, secs(pr.took), o.pacingLines, pr.deregRequests, secs(pr.stop), pr.deregFailed)
		}
		runs = append(runs, r)
	}
	fmt.Fprintln(w)
	printTable(w, o, runs, baresipWhy)
	if len(runs) == 0 || runs[len(runs)-1].lineup == nil {
		return errors.New("the last lineup run failed")
	}
	return nil
}

func secs(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

func exitText(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}

func warningsText(m map[string]int) string {
	var parts []string
	for k, n := range m {
		parts = append(parts, fmt.Sprintf("%q x%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

const mb = 1 << 20

func printTable(w io.Writer, o options, runs []run, baresipWhy string) {
	type column = benchkit.Column[run]
	cols := []column{
		{Head: "lineup all reg (s)", Get: func(r run) (float64, bool) {
			if r.lineup == nil || r.lineup.allRegistered <= 0 {
				return 0, false
			}
			return r.lineup.allRegistered.Seconds(), true
		}, Format: "%.3f", Goal: fmt.Sprintf("<= %.1f (1000 lines)", goalTime), Meets: func(m float64) bool { return m <= goalTime }},
		{Head: "failures", Get: func(r run) (float64, bool) {
			if r.lineup == nil {
				return 0, false
			}
			return float64(r.lineup.failures), true
		}, Format: "%.0f", Goal: "0", Meets: func(m float64) bool { return m == 0 }},
		{Head: "peak RSS (MB)", Get: func(r run) (float64, bool) {
			if r.lineup == nil || r.lineup.peakRSS <= 0 {
				return 0, false
			}
			return float64(r.lineup.peakRSS) / mb, true
		}, Format: "%.1f", Goal: fmt.Sprintf("<= %d", goalRSSMB), Meets: func(m float64) bool { return m <= goalRSSMB }},
		{Head: "de-register (s)", Get: func(r run) (float64, bool) {
			if r.lineup == nil || r.lineup.deregister <= 0 {
				return 0, false
			}
			return r.lineup.deregister.Seconds(), true
		}, Format: "%.3f"},
	}
	if baresipWhy == "" {
		cols = append(cols,
			column{Head: "baresip all reg (s)", Get: func(r run) (float64, bool) {
				if r.baresip == nil || r.baresip.allRegistered <= 0 {
					return 0, false
				}
				return r.baresip.allRegistered.Seconds(), true
			}, Format: "%.3f"},
			column{Head: "baresip failures", Get: func(r run) (float64, bool) {
				if r.baresip == nil {
					return 0, false
				}
				return float64(r.baresip.failures), true
			}, Format: "%.0f"},
			column{Head: "baresip RSS (MB)", Get: func(r run) (float64, bool) {
				if r.baresip == nil {
					return 0, false
				}
				return float64(r.baresip.peakRSS) / mb, true
			}, Format: "%.1f"},
		)
	}
	cols = append(cols,
		column{Head: "pacing set (/s)", Get: func(r run) (float64, bool) {
			if r.pacing == nil {
				return 0, false
			}
			return r.pacing.set, true
		}, Format: "%.0f"},
		column{Head: "pacing measured (/s)", Get: func(r run) (float64, bool) {
			if r.pacing == nil || r.pacing.measured <= 0 {
				return 0, false
			}
			return r.pacing.measured, true
		}, Format: "%.1f"},
		column{Head: "pacing dev (%)", Get: func(r run) (float64, bool) {
			if r.pacing == nil || r.pacing.measured <= 0 {
				return 0, false
			}
			return r.pacing.deviation(), true
		}, Format: "%+.1f", Goal: fmt.Sprintf("within +-%d", goalPaceDev),
			Meets: func(m float64) bool { return m >= -goalPaceDev && m <= goalPaceDev }},
	)

	benchkit.PrintTable(w, cols, runs)
	if baresipWhy != "" {
		fmt.Fprintf(w, "baresip column skipped: %s\n", baresipWhy)
	}
	if o.lines != 1000 {
		fmt.Fprintf(w, "note: the time and RSS goals are for 1000 lines; this ran %d\n", o.lines)
	}
}
