package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
)

// waitFor feeds the child's output lines to handle until done() reaches want, the child exits or
// timeout passes; those two give waitErr. Only ctx ending gives err.
func waitFor(ctx context.Context, c *benchkit.Child, lines <-chan benchkit.Line, handle func(benchkit.Line),
	done func() int, want int, timeout time.Duration, what, unit string) (waitErr, err error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for done() < want {
		select {
		case l, ok := <-lines:
			if !ok {
				<-c.Done()
				return fmt.Errorf("%s exited (%v) with %d of %d %s registered:\n%s",
					what, c.ExitErr(), done(), want, unit, c.OutputTail()), nil
			}
			handle(l)
		case <-deadline.C:
			return fmt.Errorf("%s: %d of %d %s registered after %v", what, done(), want, unit, timeout), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, nil
}

// settle feeds the child's output lines to handle for d (or until the output ends), so that a
// peak taken afterwards sees the process at rest. Only ctx ending gives an error.
func settle(ctx context.Context, lines <-chan benchkit.Line, handle func(benchkit.Line), d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			handle(l)
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
