package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/lineupphone/lineup/audio"
	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
)

// lineServer is what serve and the desktop app both run: the data directory's store, the sound
// devices and the engine on them.
type lineServer struct {
	log        *slog.Logger
	dir        string
	st         *store.Store
	srv        *engine.Server
	closeAudio func()
	// audio is the sound devices; nil without, and then noAudio says why.
	audio   *audio.Engine
	noAudio string
}

// openLineServer opens the data directory, the sound devices (audioMode as serve's --audio) and
// the engine listening for SIP on listen:port. close releases the devices and the store, after
// the engine's Run returned or when it never ran.
func openLineServer(g *globalFlags, stderr io.Writer, listen string, port int, audioMode string) (*lineServer, error) {
	log, err := g.logger(stderr)
	if err != nil {
		return nil, err
	}
	dir, err := g.dataDir()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := st.Config()
	if err != nil {
		st.Close()
		return nil, err
	}
	if !audio.ValidMode(audioMode) {
		st.Close()
		return nil, fmt.Errorf("--audio %q: want system, null or none: %w", audioMode, errUsage)
	}
	snd, err := audio.Open(audioMode, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	opts := append([]engine.Option{
		engine.WithLogger(log),
		engine.WithStore(st),
		engine.WithEndpoint(sip.EndpointConfig{ListenIP: listen, UDPPort: port, TCPPort: port}),
	}, snd.Options...)
	srv, err := engine.New(cfg, opts...)
	if err != nil {
		snd.Close()
		st.Close()
		return nil, err
	}
	log.Info("line server started", "data", st.Path(), "lines", len(cfg.Lines),
		"udp", srv.SIPAddr(line.TransportUDP), "tcp", srv.SIPAddr(line.TransportTCP))
	return &lineServer{log: log, dir: dir, st: st, srv: srv, closeAudio: snd.Close, audio: snd.Engine, noAudio: snd.Off}, nil
}

// close releases the sound devices and the store.
func (ls *lineServer) close() error {
	ls.closeAudio()
	return ls.st.Close()
}
