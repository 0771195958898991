package engine

import (
	"context"
	"sync"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// The lamps of the line rows: a voicemail lamp per line (RFC 3842 message summary) and a busy
// lamp per extension a group monitors (RFC 4235 dialog state). Each line of a group with a
// voicemail number subscribes to its own message summary; message summaries the phone system
// sends unasked (from the line's registrar) light the lamp too. Each monitored extension is
// subscribed once per group, through the group's first switched-on line. A changed set-up
// subscribes what is new and unsubscribes what went (syncSubs).

// subRun is one subscription and the goroutine that runs it.
type subRun struct {
	acct   line.Account
	line   string // the line it goes through
	cancel context.CancelFunc
	done   chan struct{}
}

// lampState is the lamps' state, guarded by its mutex (never held while publishing).
type lampState struct {
	mu        sync.Mutex
	runs      map[string]*subRun // by subKey
	voicemail map[string]api.Voicemail
	dialogs   map[string]*sip.DialogSet // by group and extension
	lamps     map[string]api.LampState  // by group and extension
	wg        sync.WaitGroup
}

func mwiKey(lineName string) string    { return "mwi\x00" + lineName }
func blfKey(group, ext string) string  { return "blf\x00" + group + "\x00" + ext }
func lampKey(group, ext string) string { return group + "\x00" + ext }
func (ls *lampState) init()            { ls.runs, ls.voicemail = map[string]*subRun{}, map[string]api.Voicemail{} }
func (ls *lampState) initLamps() {
	ls.dialogs, ls.lamps = map[string]*sip.DialogSet{}, map[string]api.LampState{}
}
func activityLamp(a sip.Activity) api.LampState {
	switch a {
	case sip.ActivityRinging:
		return api.LampRinging
	case sip.ActivityBusy:
		return api.LampBusy
	}
	return api.LampIdle
}

// wantedSub is a subscription the set-up asks for.
type wantedSub struct {
	line  line.Line
	opts  sip.SubscribeOptions
	group string // for a busy lamp
	ext   string
}

// wantedSubs lists the subscriptions cfg asks for, by key.
func wantedSubs(cfg line.Config) map[string]wantedSub {
	out := map[string]wantedSub{}
	first := map[string]line.Line{}
	for _, l := range cfg.Lines {
		if !l.Enabled() {
			continue
		}
		if _, ok := first[l.Group]; !ok {
			first[l.Group] = l
		}
		if g, ok := cfg.Group(l.Group); ok && g.Voicemail != "" {
			out[mwiKey(l.Name)] = wantedSub{line: l, opts: sip.SubscribeOptions{Event: sip.EventMessageSummary}}
		}
	}
	for _, g := range cfg.Groups {
		l, ok := first[g.Name]
		if !ok {
			continue
		}
		for _, ext := range g.Monitored {
			out[blfKey(g.Name, ext)] = wantedSub{line: l, group: g.Name, ext: ext,
				opts: sip.SubscribeOptions{Event: sip.EventDialog, Target: ext}}
		}
	}
	return out
}

// syncSubs starts the subscriptions the set-up asks for and not yet running (within ctx, the
// server's run) and stops those it no longer asks for, waiting for their unsubscription.
func (s *Server) syncSubs(ctx context.Context, cfg line.Config) {
	want := wantedSubs(cfg)
	pacers := groupPacers(cfg)
	for k, w := range want {
		w.opts.Pacer = pacers[w.line.Group]
		want[k] = w
	}
	ls := &s.lampSt
	var stop []*subRun
	var gone []string
	ls.mu.Lock()
	if ls.runs == nil {
		ls.init()
	}
	for key, run := range ls.runs {
		w, ok := want[key]
		if ok && w.line.Name == run.line && w.line.Account == run.acct {
			continue
		}
		run.cancel()
		stop = append(stop, run)
		delete(ls.runs, key)
		gone = append(gone, key)
	}
	for key, w := range want {
		if _, ok := ls.runs[key]; ok || ctx == nil || ctx.Err() != nil {
			continue
		}
		run, err := s.startSub(ctx, key, w)
		if err != nil {
			s.log.Warn("subscription not started", "line", w.line.Name, "event", w.opts.Event, "target", w.opts.Target, "error", err)
			continue
		}
		ls.runs[key] = run
	}
	ls.mu.Unlock()
	for _, run := range stop {
		<-run.done
	}
	// What is no longer watched shows nothing.
	ls.mu.Lock()
	for _, key := range gone {
		if name, ok := cutPrefix(key, "mwi\x00"); ok {
			delete(ls.voicemail, name)
		} else if rest, ok := cutPrefix(key, "blf\x00"); ok {
			delete(ls.lamps, rest)
			delete(ls.dialogs, rest)
		}
	}
	ls.mu.Unlock()
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

// startSub starts one subscription; ls.mu is held.
func (s *Server) startSub(ctx context.Context, key string, w wantedSub) (*subRun, error) {
	opts := w.opts
	if opts.Event == sip.EventMessageSummary {
		name := w.line.Name
		opts.OnNotify = func(n sip.Notification) {
			if n.Summary != nil {
				s.setVoicemail(name, *n.Summary)
			}
		}
	} else {
		group, ext := w.group, w.ext
		opts.OnNotify = func(n sip.Notification) { s.applyDialogs(group, ext, n) }
		opts.OnState = func(st sip.SubState) {
			if !st.Active {
				s.setLamp(group, ext, nil)
			}
		}
	}
	sub, err := s.ep.NewSubscriber(w.line.Name, w.line.Account, opts)
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	run := &subRun{acct: w.line.Account, line: w.line.Name, cancel: cancel, done: make(chan struct{})}
	s.lampSt.wg.Add(1)
	go func() {
		defer s.lampSt.wg.Done()
		defer close(run.done)
		defer cancel()
		sub.Run(sctx)
	}()
	return run, nil
}

// stopSubs ends every subscription (they unsubscribe) and waits for them.
func (s *Server) stopSubs() {
	ls := &s.lampSt
	ls.mu.Lock()
	for _, run := range ls.runs {
		run.cancel()
	}
	ls.runs = map[string]*subRun{}
	ls.mu.Unlock()
	ls.wg.Wait()
}

// setVoicemail lights the line's voicemail lamp.
func (s *Server) setVoicemail(lineName string, m sip.MessageSummary) {
	v := api.Voicemail{Known: true, Waiting: m.Waiting, New: m.New, Old: m.Old}
	ls := &s.lampSt
	ls.mu.Lock()
	if ls.voicemail == nil {
		ls.init()
	}
	changed := ls.voicemail[lineName] != v
	ls.voicemail[lineName] = v
	ls.mu.Unlock()
	if changed {
		s.log.Info("voicemail", "line", lineName, "waiting", m.Waiting, "new", m.New, "old", m.Old)
		s.publishLine(lineName)
	}
}

// onMessageSummary takes a message summary the phone system sent a line unasked.
func (s *Server) onMessageSummary(lineName string, m sip.MessageSummary) {
	cfg := s.conf()
	if _, ok := cfg.Line(lineName); ok {
		s.setVoicemail(lineName, m)
	}
}

// applyDialogs takes a dialog NOTIFY of a monitored extension. One without a body while the
// subscription lasts says the extension has no dialogs (Kamailio's presence server sends that
// for an extension that never called).
func (s *Server) applyDialogs(group, ext string, n sip.Notification) {
	if n.Dialogs == nil {
		if n.Terminated {
			return
		}
		idle := api.LampIdle
		s.lampSt.mu.Lock()
		delete(s.lampSt.dialogs, lampKey(group, ext))
		s.lampSt.mu.Unlock()
		s.setLamp(group, ext, &idle)
		return
	}
	ls := &s.lampSt
	ls.mu.Lock()
	if ls.dialogs == nil {
		ls.initLamps()
	}
	k := lampKey(group, ext)
	set := ls.dialogs[k]
	if set == nil {
		set = &sip.DialogSet{}
		ls.dialogs[k] = set
	}
	set.Apply(*n.Dialogs)
	st := activityLamp(set.Activity())
	ls.mu.Unlock()
	s.setLamp(group, ext, &st)
}

// setLamp sets a busy lamp (nil: unknown, its dialogs forgotten) and tells the group's lines.
func (s *Server) setLamp(group, ext string, st *api.LampState) {
	ls := &s.lampSt
	k := lampKey(group, ext)
	ls.mu.Lock()
	if ls.lamps == nil {
		ls.initLamps()
	}
	v := api.LampUnknown
	if st != nil {
		v = *st
	} else {
		delete(ls.dialogs, k)
	}
	changed := ls.lamps[k] != v
	ls.lamps[k] = v
	ls.mu.Unlock()
	if !changed {
		return
	}
	s.log.Debug("busy lamp", "group", group, "extension", ext, "state", v.String())
	for _, l := range s.conf().Lines {
		if l.Group == group {
			s.publishLine(l.Name)
		}
	}
}

// lampsView fills a line's lamps.
func (s *Server) lampsView(v *api.Line, g line.Group) {
	ls := &s.lampSt
	ls.mu.Lock()
	defer ls.mu.Unlock()
	v.Voicemail = ls.voicemail[v.Name]
	for _, ext := range g.Monitored {
		v.Lamps = append(v.Lamps, api.Lamp{Extension: ext, State: ls.lamps[lampKey(g.Name, ext)]})
	}
}

// Voicemail dials the group's voicemail number, verbatim like a feature code.
func (ss *session) Voicemail(ctx context.Context, lineName string) (api.Call, error) {
	e, err := ss.lineFor(lineName, line.FuncVoicemail)
	if err != nil {
		return api.Call{}, err
	}
	code := e.Group.Voicemail
	return ss.s.dialAs(ctx, e, code, code, callExtras{client: ss.client, featureCode: "voicemail"})
}
