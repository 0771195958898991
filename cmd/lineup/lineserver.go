package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/lineupphone/lineup/audio"
	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
)

// lineOptions are the line server's settings: serve takes them as flags, the desktop app from
// LINEUP_SIP_LISTEN, LINEUP_SIP_PORT, LINEUP_SIP_TRUSTED_PEER, LINEUP_AUDIO and LINEUP_API (the
// API then lets `lineup dial` click-to-dial through the running app).
type lineOptions struct {
	listen    string // local IP for SIP; "" listens on every interface
	port      int    // local SIP port for UDP and TCP; 0 picks a free one
	audio     string // system, null (silent devices), none, tone:HZ or wav:FILE
	record    string // with a file sound: the directory each call's audio is recorded to
	api       string // HOST:PORT of the local HTTP API; "" for none
	apiRemote bool   // the API may listen on an address that is not loopback
	trusted   string // further addresses (IP or IP:PORT, comma-separated) calls may come from
}

func (o *lineOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.listen, "sip-listen", "", "local `IP` to listen on for SIP (default: all interfaces)")
	fs.IntVar(&o.port, "sip-port", 0, "local SIP `port` for UDP and TCP (default: a free port)")
	fs.StringVar(&o.audio, "audio", "system", "sound `devices`: system, null (silent devices), none, or a file sound: tone:HZ or wav:FILE as every call's microphone")
	fs.StringVar(&o.record, "audio-record", "", "with --audio tone:HZ or wav:FILE, write what each call plays to a WAV file in `DIR`")
	fs.StringVar(&o.api, "api", "", "serve the local HTTP API on `HOST:PORT` (loopback only; port 0 picks a free one)")
	fs.BoolVar(&o.apiRemote, "api-allow-remote", false, "allow --api on an address that is not loopback")
	fs.StringVar(&o.trusted, "sip-trusted-peer", "", "also take calls from these `IP[:PORT],...` (the lines' registrars and proxies always are)")
}

func lineOptionsFromEnv() (lineOptions, error) {
	o := lineOptions{listen: os.Getenv("LINEUP_SIP_LISTEN"), audio: os.Getenv("LINEUP_AUDIO"), api: os.Getenv("LINEUP_API"),
		record: os.Getenv("LINEUP_AUDIO_RECORD")}
	if o.audio == "" {
		o.audio = "system"
	}
	if p := os.Getenv("LINEUP_SIP_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return o, fmt.Errorf("LINEUP_SIP_PORT %q: must be a port number: %w", p, errUsage)
		}
		o.port = n
	}
	if err := o.checkAPI(); err != nil {
		return o, fmt.Errorf("LINEUP_API: %w", err)
	}
	o.trusted = os.Getenv("LINEUP_SIP_TRUSTED_PEER")
	return o, nil
}

// checkAPI refuses an API address that is not HOST:PORT (a usage error), or that is not on the
// loopback interface unless remote access was asked for.
func (o *lineOptions) checkAPI() error {
	if o.api == "" {
		return nil
	}
	err := httpapi.CheckAddr(o.api, o.apiRemote)
	var ae *httpapi.AddrError
	switch {
	case errors.As(err, &ae) && ae.NotLoopback:
		return fmt.Errorf("--api %w unless --api-allow-remote is given", err)
	case err != nil:
		return fmt.Errorf("--api %w: %w", err, errUsage)
	}
	return nil
}

// lineServer is what serve and the desktop app both run: the data directory's store, the sound
// devices, the engine on them and the local API.
type lineServer struct {
	log *slog.Logger
	st  *store.Store
	srv *engine.Server
	// snd is the sound devices: snd.Engine is nil without, and then snd.Off says why.
	snd     audio.Setup
	stopAPI func()
}

// openLineServer opens the data directory, the sound devices and the engine listening for SIP,
// and serves the API when o asks for it (with apiOpts). close stops the API and releases the devices and the
// store, after the engine's Run returned or when it never ran.
func openLineServer(g *globalFlags, stderr io.Writer, o lineOptions, apiOpts ...httpapi.ServerOption) (ls *lineServer, err error) {
	if !audio.ValidMode(o.audio) {
		return nil, fmt.Errorf("--audio %q: want system, null, none, tone:HZ or wav:FILE: %w", o.audio, errUsage)
	}
	if o.record != "" && !audio.IsFileMode(o.audio) {
		return nil, fmt.Errorf("--audio-record needs --audio tone:HZ or wav:FILE, not %q: %w", o.audio, errUsage)
	}
	log, err := g.logger(stderr)
	if err != nil {
		return nil, err
	}
	dir, err := g.dataDir()
	if err != nil {
		return nil, err
	}
	st, err := g.openStore(stderr)
	if err != nil {
		return nil, err
	}
	ls = &lineServer{log: log, st: st, snd: audio.Setup{Close: func() {}}, stopAPI: func() {}}
	opened := ls // a failed return sets ls to nil before this runs
	defer func() {
		if err != nil { // release what was opened, the engine first
			if opened.srv != nil {
				opened.srv.Close()
			}
			opened.close()
		}
	}()
	cfg, err := st.Config()
	if err != nil {
		return nil, err
	}
	snd, err := audio.Open(o.audio, st, log, audio.WithRecordDir(o.record))
	if err != nil {
		return nil, err
	}
	ls.snd = snd
	if ls.srv, err = engine.New(cfg, append([]engine.Option{engine.WithLogger(log), engine.WithStore(st),
		engine.WithEndpoint(sip.EndpointConfig{ListenIP: o.listen, UDPPort: o.port, TCPPort: o.port, TrustedPeers: strings.FieldsFunc(o.trusted, func(r rune) bool { return r == ',' || r == ' ' })}),
	}, snd.Options...)...); err != nil {
		return nil, err
	}
	log.Info("line server started", "data", st.Path(), "passwords", st.SecretsIn().String(), "lines", len(cfg.Lines),
		"udp", ls.srv.SIPAddr(line.TransportUDP), "tcp", ls.srv.SIPAddr(line.TransportTCP))
	if o.api != "" {
		stop, err := httpapi.Start(dir, o.api, ls.srv, log, apiOpts...)
		if err != nil {
			return nil, err
		}
		ls.stopAPI = stop
	}
	return ls, nil
}

// close stops the API (logging its sessions off) and releases the sound devices and the store.
func (ls *lineServer) close() error {
	ls.stopAPI()
	ls.snd.Close()
	return ls.st.Close()
}
