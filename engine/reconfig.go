package engine

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// This file changes the set-up of a running line server (SaveConfig): groups, locations and line
// details take effect at once; a line re-registers only when its account changed, and lines that
// were added or removed (or switched on or off) register or de-register.

// regRun is one line's registrar and the goroutine that runs it.
type regRun struct {
	name   string
	r      *sip.Registrar
	acct   line.Account
	group  string
	cancel context.CancelFunc
	done   chan struct{}
}

// conf returns the set-up the server runs now. It is never changed in place.
func (s *Server) conf() line.Config {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg
}

// groupPacers makes the REGISTER pacers of the groups that set a register rate.
func groupPacers(cfg line.Config) map[string]*rate.Limiter {
	pacers := map[string]*rate.Limiter{}
	for _, g := range cfg.Groups {
		if g.RegisterRate > 0 {
			pacers[g.Name] = rate.NewLimiter(rate.Limit(g.RegisterRate), 1)
		}
	}
	return pacers
}

// newRegRun prepares a line's registrar.
func (s *Server) newRegRun(l line.Line, pacers map[string]*rate.Limiter) (*regRun, error) {
	ro := append([]sip.RegisterOption{sip.WithStateFunc(s.setState)}, s.regOpts...)
	if p := pacers[l.Group]; p != nil {
		ro = append(ro, sip.WithPacer(p))
	}
	r, err := s.ep.NewRegistrar(l.Name, l.Account, ro...)
	if err != nil {
		return nil, err
	}
	return &regRun{name: l.Name, r: r, acct: l.Account, group: l.Group, done: make(chan struct{})}, nil
}

// startRegRun runs a registrar within the server's run; s.cfgMu is held (so nothing here may
// report state: reports read the set-up) and Run has begun.
func (s *Server) startRegRun(rr *regRun) {
	ctx, cancel := context.WithCancel(s.runCtx)
	rr.cancel = cancel
	s.regWG.Add(1)
	go func() {
		defer s.regWG.Done()
		defer close(rr.done)
		rr.r.Run(ctx)
	}()
}

// stopRegRun ends a registrar (which removes its binding) and waits for it.
func stopRegRun(rr *regRun) {
	if rr.cancel == nil {
		return // never started
	}
	rr.cancel()
	<-rr.done
}

// Apply runs cfg from now on (see SaveConfig). It does not save it.
func (s *Server) Apply(ctx context.Context, cfg line.Config) error {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	pacers := groupPacers(cfg)
	s.cfgMu.Lock()
	old := s.regs
	regs := map[string]*regRun{}
	var stop, start []*regRun
	for _, l := range cfg.Lines {
		if !l.Enabled() {
			continue
		}
		if rr := old[l.Name]; rr != nil && rr.acct == l.Account && rr.group == l.Group {
			regs[l.Name] = rr
			continue
		}
		rr, err := s.newRegRun(l, pacers)
		if err != nil {
			s.cfgMu.Unlock()
			return fmt.Errorf("settings: line %q: %w", l.Name, err)
		}
		regs[l.Name] = rr
		start = append(start, rr)
	}
	for name, rr := range old {
		if regs[name] != rr {
			stop = append(stop, rr)
		}
	}
	s.cfg, s.lines, s.regs = cfg, indexLines(cfg), regs
	running := s.runCtx != nil && s.runCtx.Err() == nil
	s.cfgMu.Unlock()

	s.mu.Lock()
	now := time.Now()
	for _, l := range cfg.Lines {
		s.dnd[l.Name] = l.DND
		if !l.Enabled() {
			s.state[l.Name] = line.Registration{Line: l.Name, State: line.RegDisabled, Changed: now}
		}
	}
	s.mu.Unlock()
	// The old registrars go first: a changed line's de-registration must not remove the new
	// binding of the same address of record.
	for _, rr := range stop {
		stopRegRun(rr)
	}
	if running {
		var started []string
		s.cfgMu.Lock()
		for _, rr := range start {
			if s.regs[rr.name] == rr && s.runCtx.Err() == nil {
				s.startRegRun(rr)
				started = append(started, rr.name)
			}
		}
		s.cfgMu.Unlock()
		for _, name := range started {
			// The registrar reports its own progress; this marks the line until it does.
			s.mu.Lock()
			if st := s.state[name]; st.State != line.RegRegistered && st.State != line.RegFailed {
				s.state[name] = line.Registration{Line: name, State: line.RegRegistering, Changed: time.Now()}
			}
			s.mu.Unlock()
		}
	}
	if running {
		s.cfgMu.RLock()
		rctx := s.runCtx
		s.cfgMu.RUnlock()
		s.syncSubs(rctx, cfg)
	}
	s.log.Info("settings applied", "lines", len(cfg.Lines), "registering", len(start), "removed", len(stop))
	s.publishAllLines()
	return ctx.Err()
}

func (ss *session) Config(ctx context.Context) (line.Config, error) {
	if err := ss.check(); err != nil {
		return line.Config{}, err
	}
	return ss.s.conf().Clone(), nil
}

func (ss *session) SaveConfig(ctx context.Context, cfg line.Config) error {
	if err := ss.check(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if st := ss.s.store; st != nil {
		if err := st.SaveConfig(cfg); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
	}
	return ss.s.Apply(ctx, cfg)
}
