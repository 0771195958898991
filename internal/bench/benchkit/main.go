package benchkit

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main runs a benchmark with a context that ends on SIGINT (Ctrl-C) or SIGTERM, so that the
// benchmark stops its children in order, and exits with status 1 and the error on stderr where
// the benchmark fails.
func Main(bench func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := bench(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}
