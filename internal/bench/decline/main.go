// Command decline is the decline throughput benchmark behind `make bench`. It measures how many
// incoming calls per second the line server can turn away by itself, with SIPp as the caller on
// the loopback interface, against a bare sipgo server as the yardstick:
//
//  1. Bare: this program started again as a separate process (first argument "bare-server"): a
//     sipgo UDP server on 127.0.0.1 that answers 486 Busy Here to every INVITE and takes the
//     ACK, with nothing else to do.
//  2. Lineup: a Kamailio (package testpbx) with one user; a data directory provisioned with the
//     lineup binary with one group (not_logged_on = "486", journal_all = true) and one line of
//     that user; `lineup serve --audio none` on 127.0.0.1. No client logs on, so the line server
//     answers each call with 486 itself and journals it.
//
// Each peer gets, one after the other (the machines have 2 cores, shared with SIPp):
//
//   - max rate: SIPp (testdata/sipp/bench/decline.xml: INVITE, 100/180 optional, 486, ACK) for
//     -duration at a rate above any server's reach, with at most -limit calls open, so that a
//     new call starts as one ends: the successful calls per second are the server's
//     throughput, and every call that got no 486 within 5 s counts as failed;
//   - goal rate (line server only): -goal-rate calls/s for -duration, paced, for the goal
//     "sustained for 30 s with 0 failed calls";
//   - latency: -latency-rate calls/s for -latency-duration with every call's INVITE-to-486
//     time traced; p99 of those (SIPp's clock has 1 ms resolution).
//
// The line server is then stopped with SIGTERM (which flushes the journal) and its journal is
// counted with package store (and with `lineup journal --csv` where the binary has that
// command): every call SIPp made must be there. The server's CPU time during the max-rate run is
// read from /proc.
//
// Each of -runs runs does both peers; the program prints every run and the medians beside the
// goals. Every server binds to 127.0.0.1 on free ports; every process is stopped on exit, on
// error and on Ctrl-C, and every wait is bounded.
//
// Usage:
//
//	go run ./internal/bench/decline -lineup bin/lineup [-runs 3] [-duration 30s] [-limit 200]
//	    [-goal-rate 5000] [-latency-rate 2000] [-latency-duration 10s] [-serve-args '...']
//	    [-journal=false] [-skip-bare] [-lineup-output FILE]
//
// For a quick try: -runs 1 -duration 5s -latency-duration 3s. To see where the line server's
// time goes: GODEBUG=gctrace=1 with -lineup-output, or a profiling flag of serve in -serve-args.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
)

// Goals the medians are printed beside.
const (
	goalRate  = 5000 // calls/s sustained with 0 failed calls
	goalRatio = 0.5  // line server rate / bare sipgo rate
	goalP99   = 10   // ms at the latency rate (2000/s)
)

type options struct {
	lineup          string
	scenario        string
	user            string
	runs            int
	duration        time.Duration
	limit           int
	maxRate         int
	goalRate        int
	latencyRate     int
	latencyDuration time.Duration
	pause           time.Duration
	timeout         time.Duration
	logLevel        string
	serveArgs       []string
	skipBare        bool
	journal         bool
	lineupOutput    string
}

// peerResult is one peer's figures in one run.
type peerResult struct {
	max     sippResult
	goal    *sippResult // line server only, when -goal-rate > 0
	latency sippResult
	cpu     time.Duration // the server's CPU time during the max-rate run
	latCPU  time.Duration // the server's CPU time during the latency run
	peakRSS int64         // the server's peak resident set size, bytes (0: unknown)
}

// run is one run's figures; a nil part failed.
type run struct {
	bare, lineup *peerResult
	journal      int   // entries in the store after the line server stopped
	journalCLI   int   // the same through `lineup journal --csv`; -1 where not available
	calls        int64 // calls SIPp made to the line server in this run
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == bareCommand {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := serveBare(ctx, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	var o options
	var serveArgs string
	flag.StringVar(&o.lineup, "lineup", "bin/lineup", "the lineup `binary` to measure")
	flag.StringVar(&o.scenario, "scenario", "testdata/sipp/bench/decline.xml", "the SIPp `scenario`")
	flag.StringVar(&o.user, "user", "7000", "the line's user, called by SIPp")
	flag.IntVar(&o.runs, "runs", 3, "number of runs; the medians are printed")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "length of the max-rate and goal-rate runs")
	flag.IntVar(&o.limit, "limit", 200, "open calls SIPp keeps at most in the max-rate run")
	flag.IntVar(&o.maxRate, "max-rate", 50000, "call rate SIPp aims at in the max-rate run, beyond any server's reach")
	flag.IntVar(&o.goalRate, "goal-rate", goalRate, "paced call rate for the line server's goal run; 0 skips it")
	flag.IntVar(&o.latencyRate, "latency-rate", 2000, "call rate of the latency run")
	flag.DurationVar(&o.latencyDuration, "latency-duration", 10*time.Second, "length of the latency run")
	flag.DurationVar(&o.pause, "pause", 3*time.Second, "pause between SIPp runs, for the server to settle")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "bound of every start and stop")
	flag.StringVar(&o.logLevel, "log-level", "info", "the line server's --log-level")
	flag.StringVar(&serveArgs, "serve-args", "", "more arguments for `lineup serve`, space-separated (e.g. a profiling flag)")
	flag.BoolVar(&o.skipBare, "skip-bare", false, "measure the line server only")
	flag.BoolVar(&o.journal, "journal", true, "journal_all of the line's group; false shows what journaling costs")
	flag.StringVar(&o.lineupOutput, "lineup-output", "", "append the line server's output (log, GODEBUG traces) to this `file`")
	flag.Parse()
	o.serveArgs = strings.Fields(serveArgs)
	if o.runs < 1 || o.duration < time.Second || o.limit < 1 || o.maxRate < 1 || o.goalRate < 0 ||
		o.latencyRate < 1 || o.latencyDuration < time.Second || o.timeout <= 0 || o.pause < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "bench: need -runs >= 1, -duration and -latency-duration >= 1s, -limit, -max-rate and -latency-rate >= 1, -goal-rate >= 0, -timeout > 0, no arguments")
		os.Exit(2)
	}
	benchkit.Main(func(ctx context.Context) error { return bench(ctx, o, os.Stdout) })
}

func bench(ctx context.Context, o options, w io.Writer) error {
	var err error
	if o.lineup, err = benchkit.LineupBinary(o.lineup); err != nil {
		return err
	}
	if o.scenario, err = filepath.Abs(o.scenario); err != nil {
		return err
	}
	if _, err := os.Stat(o.scenario); err != nil {
		return fmt.Errorf("scenario: %w (run from the repository root)", err)
	}
	if _, err := exec.LookPath("sipp"); err != nil {
		return fmt.Errorf("%w (install sip-tester)", err)
	}
	maxLoad := load{rate: o.maxRate, limit: o.limit, duration: o.duration}
	latLoad := load{rate: o.latencyRate, calls: o.latencyRate * int(o.latencyDuration.Seconds()), rtt: true}
	goalLoad := load{rate: o.goalRate, calls: o.goalRate * int(o.duration.Seconds())}
	goalText := goalLoad.String()
	if o.goalRate == 0 {
		goalText = "off"
	}
	fmt.Fprintf(w, "decline benchmark: %d runs on %d CPUs; max rate: %v; goal rate: %s; latency: %v\n",
		o.runs, runtime.NumCPU(), maxLoad, goalText, latLoad)

	var runs []run
	for i := 1; i <= o.runs; i++ {
		r := run{journalCLI: -1}
		if !o.skipBare {
			b, err := measureBare(ctx, o, maxLoad, latLoad)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: run %d: bare: %v\n", i, err)
			} else {
				r.bare = b
				fmt.Fprintf(w, "run %d bare:   max %s; at %d/s: %s\n", i, maxText(b), o.latencyRate, latText(b))
			}
		}
		l, err := measureLineup(ctx, o, w, &r, maxLoad, goalLoad, latLoad)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: run %d: lineup: %v\n", i, err)
		}
		if l != nil {
			r.lineup = l
			fmt.Fprintf(w, "run %d lineup: max %s", i, maxText(l))
			if l.goal != nil {
				fmt.Fprintf(w, "; at %d/s: %d of %d calls failed, achieved %.0f/s, %d retransmissions, %d UDP drops",
					o.goalRate, l.goal.failed, l.goal.outgoing, l.goal.rate, l.goal.retrans, l.goal.hostDrops)
			}
			fmt.Fprintf(w, "; at %d/s: %s\n", o.latencyRate, latText(l))
			fmt.Fprintf(w, "run %d lineup: journal %d entries for %d calls", i, r.journal, r.calls)
			if r.journalCLI >= 0 {
				fmt.Fprintf(w, " (lineup journal --csv: %d rows)", r.journalCLI)
			} else {
				fmt.Fprint(w, " (counted with package store; `lineup journal --csv` failed or is missing)")
			}
			fmt.Fprintln(w)
		}
		runs = append(runs, r)
	}
	fmt.Fprintln(w)
	printTable(w, o, runs)
	if runs[len(runs)-1].lineup == nil {
		return errors.New("the last lineup run failed")
	}
	return nil
}

func maxText(p *peerResult) string {
	s := fmt.Sprintf("%.0f calls/s (%d calls in %.1f s, %d failed, %d retransmissions, UDP drops: server %d, host %d)",
		p.max.rate, p.max.successful, p.max.elapsed.Seconds(), p.max.failed, p.max.retrans,
		p.max.serverDrops, p.max.hostDrops)
	if p.cpu > 0 && p.max.successful > 0 {
		s += fmt.Sprintf(", server CPU %.1f s = %.0f us/call, SIPp CPU %.1f s",
			p.cpu.Seconds(), float64(p.cpu.Microseconds())/float64(p.max.successful), p.max.cpu.Seconds())
	}
	if p.peakRSS > 0 {
		s += fmt.Sprintf(", server peak RSS %.0f MB", float64(p.peakRSS)/(1<<20))
	}
	return s
}

func latText(p *peerResult) string {
	r := p.latency
	s := fmt.Sprintf("%d of %d calls failed", r.failed, r.outgoing)
	p50, ok1 := percentile(r.rtts, 50)
	p99, ok2 := percentile(r.rtts, 99)
	if ok1 && ok2 {
		s += fmt.Sprintf(", INVITE-to-486 p50 %.2f ms, p99 %.2f ms, max %.1f ms (%d calls)",
			p50, p99, r.rtts[len(r.rtts)-1], len(r.rtts))
	}
	if p.latCPU > 0 && r.elapsed > 0 {
		s += fmt.Sprintf(", server CPU %.0f %% of a core", 100*p.latCPU.Seconds()/r.elapsed.Seconds())
	}
	return s
}

// measureBare runs the max-rate and latency loads against a fresh bare server.
func measureBare(ctx context.Context, o options, maxLoad, latLoad load) (*peerResult, error) {
	b, err := startBare(ctx, o.timeout)
	if err != nil {
		return nil, err
	}
	defer b.c.Kill()
	var p peerResult
	if p.max, p.cpu, err = sippWithCPU(ctx, o, b.c.Pid(), b.addr, maxLoad); err != nil {
		return nil, fmt.Errorf("max rate: %w", err)
	}
	if err := sleep(ctx, o.pause); err != nil {
		return nil, err
	}
	if p.latency, p.latCPU, err = sippWithCPU(ctx, o, b.c.Pid(), b.addr, latLoad); err != nil {
		return nil, fmt.Errorf("latency: %w", err)
	}
	p.peakRSS = benchkit.PeakRSS(b.c.Pid())
	if err := b.stop(o.timeout); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, b.c.OutputTail())
	}
	return &p, nil
}

// measureLineup runs the loads against a freshly provisioned line server, stops it and counts
// its journal into r.
func measureLineup(ctx context.Context, o options, w io.Writer, r *run, maxLoad, goalLoad, latLoad load) (*peerResult, error) {
	s, err := startLineup(ctx, o, w)
	if err != nil {
		return nil, err
	}
	defer s.close()
	var p peerResult
	if p.max, p.cpu, err = sippWithCPU(ctx, o, s.c.Pid(), s.addr, maxLoad); err != nil {
		return nil, fmt.Errorf("max rate: %w", err)
	}
	r.calls += p.max.outgoing
	if o.goalRate > 0 {
		if err := sleep(ctx, o.pause); err != nil {
			return nil, err
		}
		g, err := runSIPp(ctx, o, s.addr, goalLoad)
		if err != nil {
			return nil, fmt.Errorf("goal rate: %w", err)
		}
		p.goal = &g
		r.calls += g.outgoing
	}
	if err := sleep(ctx, o.pause); err != nil {
		return nil, err
	}
	if p.latency, p.latCPU, err = sippWithCPU(ctx, o, s.c.Pid(), s.addr, latLoad); err != nil {
		return nil, fmt.Errorf("latency: %w", err)
	}
	p.peakRSS = benchkit.PeakRSS(s.c.Pid())
	r.calls += p.latency.outgoing
	if warns := s.c.Warnings(); len(warns) > 0 {
		fmt.Fprintf(w, "lineup warnings (first %d):\n  %s\n", len(warns), strings.Join(warns, "\n  "))
	}
	if err := s.stop(); err != nil {
		return &p, err
	}
	if r.journal, r.journalCLI, err = s.journalCount(ctx); err != nil {
		return &p, err
	}
	return &p, nil
}

// sippWithCPU runs SIPp against the server at addr with the load l, and measures the CPU time
// the server's process pid used meanwhile.
func sippWithCPU(ctx context.Context, o options, pid int, addr string, l load) (sippResult, time.Duration, error) {
	cpu0 := benchkit.CPUTime(pid)
	res, err := runSIPp(ctx, o, addr, l)
	return res, benchkit.CPUTime(pid) - cpu0, err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func printTable(w io.Writer, o options, runs []run) {
	type column = benchkit.Column[run]
	lineup := func(f func(*peerResult) (float64, bool)) func(run) (float64, bool) {
		return func(r run) (float64, bool) {
			if r.lineup == nil {
				return 0, false
			}
			return f(r.lineup)
		}
	}
	bare := func(f func(*peerResult) (float64, bool)) func(run) (float64, bool) {
		return func(r run) (float64, bool) {
			if r.bare == nil {
				return 0, false
			}
			return f(r.bare)
		}
	}
	p99 := func(p *peerResult) (float64, bool) { return percentile(p.latency.rtts, 99) }
	cols := []column{
		{Head: "lineup (/s)", Get: lineup(func(p *peerResult) (float64, bool) { return p.max.rate, true }),
			Format: "%.0f", Goal: fmt.Sprintf(">= %d", goalRate), Meets: func(m float64) bool { return m >= goalRate }},
		{Head: "bare sipgo (/s)", Get: bare(func(p *peerResult) (float64, bool) { return p.max.rate, true }),
			Format: "%.0f"},
		{Head: "ratio", Get: func(r run) (float64, bool) {
			if r.lineup == nil || r.bare == nil || r.bare.max.rate <= 0 {
				return 0, false
			}
			return r.lineup.max.rate / r.bare.max.rate, true
		}, Format: "%.2f", Goal: fmt.Sprintf(">= %.1f", goalRatio), Meets: func(m float64) bool { return m >= goalRatio }},
		{Head: "lineup failed", Get: lineup(func(p *peerResult) (float64, bool) { return float64(p.max.failed), true }),
			Format: "%.0f", Goal: "0", Meets: func(m float64) bool { return m == 0 }},
	}
	if o.goalRate > 0 {
		cols = append(cols, column{Head: fmt.Sprintf("failed at %d/s", o.goalRate),
			Get: lineup(func(p *peerResult) (float64, bool) {
				if p.goal == nil {
					return 0, false
				}
				return float64(p.goal.failed), true
			}), Format: "%.0f", Goal: "0", Meets: func(m float64) bool { return m == 0 }})
	}
	cols = append(cols,
		column{Head: fmt.Sprintf("lineup p99 at %d/s (ms)", o.latencyRate), Get: lineup(p99), Format: "%.2f",
			Goal: fmt.Sprintf("<= %d (2000/s)", goalP99), Meets: func(m float64) bool { return m <= goalP99 }},
		column{Head: fmt.Sprintf("bare p99 at %d/s (ms)", o.latencyRate), Get: bare(p99), Format: "%.2f"},
		column{Head: "journal missing", Get: func(r run) (float64, bool) {
			if r.lineup == nil || r.calls == 0 || !o.journal {
				return 0, false
			}
			return float64(r.calls - int64(r.journal)), true
		}, Format: "%.0f", Goal: "0", Meets: func(m float64) bool { return m == 0 }},
		column{Head: "lineup CPU (us/call)", Get: lineup(func(p *peerResult) (float64, bool) {
			if p.cpu <= 0 || p.max.successful == 0 {
				return 0, false
			}
			return float64(p.cpu.Microseconds()) / float64(p.max.successful), true
		}), Format: "%.0f"},
	)

	benchkit.PrintTable(w, cols, runs)
	fmt.Fprintf(w, "rates: successful calls/s with at most %d open calls for %v; journal missing: calls SIPp made less entries in the store\n",
		o.limit, o.duration)
	if o.duration != 30*time.Second || o.latencyRate != 2000 {
		fmt.Fprintf(w, "note: the goals are for 30 s runs and 2000/s latency; this ran %v and %d/s\n", o.duration, o.latencyRate)
	}
}
