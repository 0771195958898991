package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// cmdServe runs the headless line server until SIGINT or SIGTERM, then de-registers the lines.
func cmdServe(ctx context.Context, g *globalFlags, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	var o lineOptions
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("serve: %w", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments: %w", errUsage)
	}
	if o.apiRemote && o.api == "" {
		return fmt.Errorf("--api-allow-remote needs --api: %w", errUsage)
	}
	if err := o.checkAPI(); err != nil {
		return err
	}
	ls, err := openLineServer(g, stderr, o)
	if err != nil {
		return err
	}
	runErr := ls.srv.Run(ctx)
	ls.log.Info("line server stopped")
	if err := ls.close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}
