package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// cmdServe runs the headless line server until SIGINT or SIGTERM, then de-registers the lines.
func cmdServe(ctx context.Context, g *globalFlags, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	listen := fs.String("sip-listen", "", "local `IP` to listen on for SIP (default: all interfaces)")
	port := fs.Int("sip-port", 0, "local SIP `port` for UDP and TCP (default: a free port)")
	audioMode := fs.String("audio", "system", "sound `devices`: system, null (silent devices) or none")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("serve: %w", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments: %w", errUsage)
	}
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	st, err := g.openStore()
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
		engine.WithEndpoint(sip.EndpointConfig{ListenIP: *listen, UDPPort: *port, TCPPort: *port}),
	}, audioOpts...)
	srv, err := engine.New(cfg, opts...)
	if err != nil {
		st.Close()
		return err
	}
	log.Info("line server started", "data", st.Path(), "lines", len(cfg.Lines),
		"udp", srv.SIPAddr(line.TransportUDP), "tcp", srv.SIPAddr(line.TransportTCP))
	runErr := srv.Run(ctx)
	log.Info("line server stopped")
	if err := st.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}
