// Package engine is the line server: it ties the domain (line), signalling (sip) and, as they
// land, media and the store together into the running thing that registers the lines, handles
// their calls and reports their state. It has its own package because it is none of its parts:
// line must stay pure, sip knows nothing of groups or clients, and both the headless `serve`
// command and the desktop UI run the same engine in-process.
package engine

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
	"github.com/lineupphone/lineup/store"
)

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger; default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithEndpoint sets where the server listens for SIP (address, ports).
func WithEndpoint(c sip.EndpointConfig) Option { return func(s *Server) { s.epCfg = c } }

// WithRegisterOptions adds options to every line's registrar (back-off, timeouts, counters).
func WithRegisterOptions(o ...sip.RegisterOption) Option {
	return func(s *Server) { s.regOpts = append(s.regOpts, o...) }
}

// WithStateFunc is called after every registration state change. It must not block.
func WithStateFunc(f func(line.Registration)) Option {
	return func(s *Server) { s.onState = append(s.onState, f) }
}

// Server is the line server. New prepares it and opens its sockets; Run registers the lines
// until its context ends and then removes their bindings.
type Server struct {
	log     *slog.Logger
	epCfg   sip.EndpointConfig
	regOpts []sip.RegisterOption
	onState []func(line.Registration)

	// cfgMu guards cfg, lines and regs, which SaveConfig replaces while the server runs (cfg is
	// replaced whole, never changed in place, so a copy read under the lock stays valid).
	cfgMu  sync.RWMutex
	cfg    line.Config
	ep     *sip.Endpoint
	regs   map[string]*regRun // by line name, enabled lines only
	runCtx context.Context    // set by Run: registrars started later run within it
	regWG  sync.WaitGroup

	mu    sync.RWMutex
	state map[string]line.Registration

	// Calls.
	audio      Audio
	codecs     []media.Codec
	inactivity time.Duration
	rtpMin     int
	rtpMax     int
	callMu     sync.Mutex
	calls      map[string]*call
	callCtx    context.Context // set by Run: calls live within it
	callWG     sync.WaitGroup  // one per call until its sockets are released

	audioMu        sync.Mutex
	audioStatus    AudioStatus
	audioStatusSet bool

	// Clients and the group policies (clients.go, policy.go). dnd and redial are guarded by mu.
	store      *store.Store
	ringResend time.Duration
	sessMu     sync.Mutex
	sessions   map[string]*session
	dnd        map[string]bool
	redial     map[string]string
	lines      lineIndex // the enabled lines, for incoming calls

	lampSt lampState // voicemail and busy lamps (subscriptions.go)
}

// lineIndex finds the enabled line an incoming call is for: by name (the registration it was
// routed to) and by account user (the first line with that user).
type lineIndex struct{ byName, byUser map[string]line.Line }

func indexLines(cfg line.Config) lineIndex {
	ix := lineIndex{byName: map[string]line.Line{}, byUser: map[string]line.Line{}}
	for _, l := range cfg.Lines {
		if !l.Enabled() {
			continue
		}
		ix.byName[l.Name] = l
		if _, dup := ix.byUser[l.Account.User]; !dup {
			ix.byUser[l.Account.User] = l
		}
	}
	return ix
}

// New validates the configuration, opens the SIP endpoint and prepares a registrar for every
// enabled line. Close releases it if Run is never called.
func New(cfg line.Config, opts ...Option) (*Server, error) {
	s := &Server{
		log: slog.Default(), cfg: cfg.WithDefaults(), state: map[string]line.Registration{},
		calls: map[string]*call{}, inactivity: 30 * time.Second,
		sessions: map[string]*session{}, dnd: map[string]bool{}, redial: map[string]string{},
		regs:   map[string]*regRun{},
		rtpMin: defaultRTPPortMin, rtpMax: defaultRTPPortMax,
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.cfg.Validate(); err != nil {
		return nil, fmt.Errorf("line server: %w", err)
	}
	if s.epCfg.Logger == nil {
		s.epCfg.Logger = s.log
	}
	if s.epCfg.TLS == nil {
		tc, err := tlsConfig(s.cfg)
		if err != nil {
			return nil, fmt.Errorf("line server: %w", err)
		}
		s.epCfg.TLS = tc
	}
	ep, err := sip.NewEndpoint(s.epCfg)
	if err != nil {
		return nil, fmt.Errorf("line server: %w", err)
	}
	s.ep = ep
	ep.OnCall(s.onIncoming)
	ep.OnScreen(s.screen)
	ep.OnRefer(s.onRefer)
	ep.OnMessageSummary(s.onMessageSummary)
	for _, l := range s.cfg.Lines {
		s.dnd[l.Name] = l.DND
	}
	s.lines = indexLines(s.cfg)
	s.initAudioStatus()

	now := time.Now()
	pacers := groupPacers(s.cfg)
	for _, l := range s.cfg.Lines {
		if !l.Enabled() {
			s.state[l.Name] = line.Registration{Line: l.Name, State: line.RegDisabled, Changed: now}
			continue
		}
		rr, err := s.newRegRun(l, pacers)
		if err != nil {
			ep.Close()
			return nil, fmt.Errorf("line server: %w", err)
		}
		s.regs[l.Name] = rr
		s.state[l.Name] = line.Registration{Line: l.Name, State: line.RegRegistering, Changed: now}
	}
	return s, nil
}

// tlsConfig trusts the system's roots plus every CA file named by a TLS line. Verification is on.
func tlsConfig(cfg line.Config) (*tls.Config, error) {
	var files []string
	for _, l := range cfg.Lines {
		if l.Enabled() && l.Account.Transport == line.TransportTLS && l.Account.CAFile != "" {
			files = append(files, l.Account.CAFile)
		}
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(files) == 0 {
		return tc, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("ca file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s: no PEM certificate in it", f)
		}
	}
	tc.RootCAs = pool
	return tc, nil
}

// SIPAddr returns the local address the server listens on for a transport.
func (s *Server) SIPAddr(t line.Transport) string { return s.ep.Addr(t) }

// Run registers every enabled line and keeps them registered until ctx ends; then it removes the
// bindings (each with a short deadline), closes the endpoint and returns.
func (s *Server) Run(ctx context.Context) error {
	s.callMu.Lock()
	s.callCtx = ctx
	s.callMu.Unlock()
	s.cfgMu.Lock()
	s.runCtx = ctx
	for _, l := range s.cfg.Lines {
		if rr := s.regs[l.Name]; rr != nil {
			s.startRegRun(rr)
		}
	}
	cfg := s.cfg
	s.cfgMu.Unlock()
	s.syncSubs(ctx, cfg)
	<-ctx.Done()
	s.endAllCalls()
	s.stopSubs()
	s.regWG.Wait()
	return s.Close()
}

// rtpIP is the address RTP sockets bind: the SIP listening address.
func (s *Server) rtpIP() string {
	if s.epCfg.ListenIP != "" {
		return s.epCfg.ListenIP
	}
	return "0.0.0.0"
}

// newCallID returns a short random identifier for a call in the API and the UI.
func newCallID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// Close releases the endpoint. Run calls it; call it yourself only when Run was never called.
func (s *Server) Close() error {
	err := s.ep.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("line server: %w", err)
	}
	return nil
}

// Registrations returns every line's registration state in configured order.
func (s *Server) Registrations() []line.Registration {
	cfg := s.conf()
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]line.Registration, 0, len(cfg.Lines))
	for _, l := range cfg.Lines {
		out = append(out, s.state[l.Name])
	}
	return out
}

// Registration returns one line's state.
func (s *Server) Registration(name string) (line.Registration, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.state[name]
	return r, ok
}

func (s *Server) setState(r line.Registration) {
	s.mu.Lock()
	prev := s.state[r.Line]
	s.state[r.Line] = r
	s.mu.Unlock()
	s.logState(prev, r)
	for _, f := range s.onState {
		f(r)
	}
	if prev.State != r.State || prev.Number != r.Number || prev.Code != r.Code || prev.Reason != r.Reason {
		s.publishLine(r.Line)
	}
}

func (s *Server) logState(prev, r line.Registration) {
	switch r.State {
	case line.RegRegistered:
		if prev.State != line.RegRegistered {
			s.log.Info("line registered", "line", r.Line, "contact", r.Contact, "number", r.Number,
				"expires", r.Expires.Format(time.RFC3339))
		} else {
			s.log.Debug("line refreshed", "line", r.Line, "expires", r.Expires.Format(time.RFC3339))
		}
	case line.RegFailed:
		s.log.Warn("line registration failed", "line", r.Line, "code", r.Code, "reason", r.Reason,
			"retry_in", time.Until(r.RetryAt).Round(10*time.Millisecond).String())
	case line.RegUnregistered:
		s.log.Info("line unregistered", "line", r.Line)
	}
}
