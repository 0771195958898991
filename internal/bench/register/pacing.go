package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// pacingResult is one run of a paced group in-process.
type pacingResult struct {
	set, measured float64 // REGISTER requests per second
	requests      int     // REGISTER requests until every line was registered
	took          time.Duration
	deregRequests int // REGISTER requests sent while stopping (bindings removed)
	deregFailed   int // lines whose de-registration failed (logged by the engine)
	stop          time.Duration
}

// deviation is the measured rate's deviation from the set rate, in percent.
func (p pacingResult) deviation() float64 {
	if p.set == 0 {
		return 0
	}
	return (p.measured - p.set) / p.set * 100
}

// countingHandler counts the engine's log records by message and drops them.
type countingHandler struct {
	mu *sync.Mutex
	n  map[string]int
}

func (h countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.n[r.Message]++
	h.mu.Unlock()
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

func (h countingHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[msg]
}

// runPacing registers one group of o.pacingLines lines at o.pacingRate through the engine and
// times every REGISTER request it sends.
func runPacing(ctx context.Context, o options) (res pacingResult, err error) {
	res.set = o.pacingRate
	pctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	pbx, err := testpbx.Launch(pctx, testpbx.Config{Users: users(o.pacingLines)})
	if err != nil {
		return res, fmt.Errorf("pacing run: start kamailio: %w", err)
	}
	defer pbx.Stop()

	var (
		mu       sync.Mutex
		stamps   []time.Time
		reg      = map[string]bool{}
		allReg   = make(chan struct{})
		stopping bool
		deregs   int
	)
	count := func() {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if stopping {
			deregs++
			return
		}
		stamps = append(stamps, now)
	}
	onState := func(r line.Registration) {
		mu.Lock()
		defer mu.Unlock()
		if r.State == line.RegRegistered && !reg[r.Line] {
			reg[r.Line] = true
			if len(reg) == o.pacingLines {
				close(allReg)
			}
		}
	}
	logs := countingHandler{mu: &sync.Mutex{}, n: map[string]int{}}
	srv, err := engine.New(lineConfig(pbx, o.pacingLines, o.pacingRate),
		engine.WithLogger(slog.New(logs)),
		engine.WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}),
		engine.WithRegisterOptions(sip.WithRequestCounter(count)),
		engine.WithStateFunc(onState),
	)
	if err != nil {
		return res, fmt.Errorf("pacing run: %w", err)
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- srv.Run(rctx) }()

	timeout := time.NewTimer(o.timeout)
	defer timeout.Stop()
	var waitErr error
	select {
	case <-allReg:
		res.took = time.Since(start)
	case <-timeout.C:
		mu.Lock()
		waitErr = fmt.Errorf("pacing run: %d of %d lines registered after %v", len(reg), o.pacingLines, o.timeout)
		mu.Unlock()
	case err := <-done:
		return res, fmt.Errorf("pacing run: server ended early: %v", err)
	case <-ctx.Done():
		stop()
		<-done
		return res, ctx.Err()
	}
	mu.Lock()
	stopping = true
	res.requests = len(stamps)
	if n := len(stamps); n > 1 {
		if span := stamps[n-1].Sub(stamps[0]); span > 0 {
			res.measured = float64(n-1) / span.Seconds()
		}
	}
	mu.Unlock()

	stopAt := time.Now()
	stop()
	timeout.Reset(o.timeout)
	select {
	case err := <-done:
		if err != nil && waitErr == nil {
			waitErr = fmt.Errorf("pacing run: %w", err)
		}
	case <-timeout.C:
		return res, fmt.Errorf("pacing run: server did not stop within %v", o.timeout)
	}
	res.stop = time.Since(stopAt)
	mu.Lock()
	res.deregRequests = deregs
	mu.Unlock()
	res.deregFailed = logs.count("line de-registration failed")
	return res, waitErr
}
