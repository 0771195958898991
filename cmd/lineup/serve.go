package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
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
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	dir, err := g.dataDir()
	if err != nil {
		return err
	}
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	cfg, err := st.Config()
	if err != nil {
		st.Close()
		return err
	}
	audioOpts, closeAudio, err := serveAudio(*audioMode, st, log)
	if err != nil {
		st.Close()
		return err
	}
	defer closeAudio()
	opts := append([]engine.Option{
		engine.WithLogger(log),
		engine.WithStore(st),
		engine.WithEndpoint(sip.EndpointConfig{ListenIP: *listen, UDPPort: *port, TCPPort: *port}),
	}, audioOpts...)
	srv, err := engine.New(cfg, opts...)
	if err != nil {
		st.Close()
		return err
	}
	log.Info("line server started", "data", st.Path(), "lines", len(cfg.Lines),
		"udp", srv.SIPAddr(line.TransportUDP), "tcp", srv.SIPAddr(line.TransportTCP))
	stopAPI := func() {}
	if *apiAddr != "" {
		var phone api.Phone = srv
		if stopAPI, err = startAPI(dir, *apiAddr, phone, log); err != nil {
			srv.Close()
			st.Close()
			return err
		}
	}
	runErr := srv.Run(ctx)
	stopAPI()
	log.Info("line server stopped")
	if err := st.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}
