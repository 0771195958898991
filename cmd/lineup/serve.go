package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/httpapi"
)

// cmdServe runs the headless line server until SIGINT or SIGTERM, then de-registers the lines.
func cmdServe(ctx context.Context, g *globalFlags, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	listen := fs.String("sip-listen", "", "local `IP` to listen on for SIP (default: all interfaces)")
	port := fs.Int("sip-port", 0, "local SIP `port` for UDP and TCP (default: a free port)")
	audioMode := fs.String("audio", "system", "sound `devices`: system, null (silent devices) or none")
	apiAddr := fs.String("api", "", "serve the local HTTP API on `HOST:PORT` (loopback only; port 0 picks a free one)")
	apiRemote := fs.Bool("api-allow-remote", false, "allow --api on an address that is not loopback")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("serve: %w", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments: %w", errUsage)
	}
	if *apiRemote && *apiAddr == "" {
		return fmt.Errorf("--api-allow-remote needs --api: %w", errUsage)
	}
	if *apiAddr != "" {
		if err := checkAPIAddr(*apiAddr, *apiRemote); err != nil {
			return err
		}
	}
	ls, err := openLineServer(g, stderr, *listen, *port, *audioMode)
	if err != nil {
		return err
	}
	log, srv := ls.log, ls.srv
	stopAPI := func() {}
	if *apiAddr != "" {
		var phone api.Phone = srv
		if stopAPI, err = httpapi.Start(ls.dir, *apiAddr, phone, log); err != nil {
			srv.Close()
			ls.close()
			return err
		}
	}
	runErr := srv.Run(ctx)
	stopAPI()
	log.Info("line server stopped")
	if err := ls.close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}
