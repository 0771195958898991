package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/assets"
	"github.com/lineupphone/lineup/line"
)

// Options configure the desktop UI.
type Options struct {
	// Client is the name the UI logs on with; "desktop" when empty.
	Client string
	// Logger receives the UI's log; slog.Default() when nil.
	Logger *slog.Logger

	// Idle, when set, runs on a goroutine of its own (not Fyne's) after start and after the last
	// call ended, once no event came for 2 s and again 32 s later (when the line server's SIP
	// transactions of the calls have run out); not while a call is going on, and not again
	// until the next call ended. The desktop app returns the memory freed to the system with it.
	Idle func()

	// Audio lists, chooses and tests the sound devices on the settings window's Audio tab; nil
	// when the app runs without sound devices, and then NoAudio says why.
	Audio   api.Audio
	NoAudio string

	// Autostart starts the app with the user's session or not (the settings window's Desktop
	// tab); nil where the platform offers none, and then the tab says so.
	Autostart Autostart

	// notifyAnyway sends notifications without a session D-Bus: Fyne's test app records them.
	notifyAnyway bool
	// do replaces fyne.Do in tests, which run the UI's updates on the test goroutine.
	do func(func())
}

// Status is the user's presence as the status control shows it.
type Status int

// The statuses: logged on (calls ring here), Do Not Disturb on every line, or logged off (the
// groups' "client not logged on" response applies).
const (
	StatusLoggedOn Status = iota
	StatusDND
	StatusLoggedOff
)

var statusNames = []string{"Logged on", "Do Not Disturb", "Logged off"}

// String returns the status as the status control shows it.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// UI is the running desktop app on one line server: the main window, the conversation windows,
// the tray menu and the session they work through. Its methods run on Fyne's goroutine, except
// Close.
type UI struct {
	app    fyne.App
	phone  api.Phone
	audio  api.Audio // nil without sound devices; then noAudio says why
	client string
	log    *slog.Logger
	b      *bridge

	noAudio   string
	autostart Autostart // nil: the platform offers none
	notifies  bool      // the desktop shows notifications (a session D-Bus, or Windows or macOS)

	sess   api.Session // nil while logged off
	status Status
	busy   bool // a log on or log off is under way

	// openForward is the forwarding dialog opened last (forward.go).
	openForward *forwardDialog

	lines []api.Line
	calls map[string]api.Call // calls that have not ended, by ID
	order []string            // their IDs, oldest first
	wins  map[string]*callWindow
	spare []*callWindow        // hidden conversation windows kept for the next calls
	ended map[string]time.Time // calls seen ended, and when: later snapshots of them are stale

	// stopClock stops the clock that advances the durations shown; nil while it is stopped
	// (no call going on: nothing to advance, and an idle app should not wake up every second).
	stopClock func()
	// tellIdle tells the idle watch what happened; nil without Options.Idle.
	tellIdle func(idleNews)

	tray     desktop.App // nil without a system tray
	trayRing string      // the ringing call the tray menu offers to answer

	main fyne.Window
	mv   *mainView

	phoneIcon fyne.Resource
	appIcon   fyne.Resource
}

// logOnWait is how long Create retries a log-on while the line server is still starting.
const logOnWait = 5 * time.Second

// Create logs on to phone as a client and builds the main window (not yet shown: call
// ShowAndRun on Window, or Show it and run the app). The UI reads the session's events until
// Close; when ctx ends the app quits.
func Create(ctx context.Context, a fyne.App, phone api.Phone, opts Options) (*UI, error) {
	u := &UI{
		app: a, phone: phone, client: opts.Client, log: opts.Logger, audio: opts.Audio, noAudio: opts.NoAudio, autostart: opts.Autostart, notifies: opts.notifyAnyway || hasSessionBus(),
		calls: map[string]api.Call{}, wins: map[string]*callWindow{}, ended: map[string]time.Time{},
		phoneIcon: theme.NewThemedResource(fyne.NewStaticResource("phone.svg", assets.Phone)),
		appIcon:   fyne.NewStaticResource("icon.png", assets.Icon),
	}
	if u.client == "" {
		u.client = "desktop"
	}
	if u.log == nil {
		u.log = slog.Default()
	}
	sess, err := logOn(ctx, phone, u.client)
	if err != nil {
		return nil, err
	}
	u.b = newBridge(opts.do)
	a.SetIcon(u.appIcon)
	w := a.NewWindow("Lineup")
	u.main = w
	u.mv = newMainView(u)
	w.SetContent(u.mv.content)
	w.Resize(fyne.NewSize(480, 640))
	w.SetMaster()
	u.addShortcuts(w)
	u.setupTray()
	u.b.quitWhenDone(ctx, a)
	if opts.Idle != nil {
		u.tellIdle = u.b.whenIdle(idleDelays, opts.Idle)
	}
	u.startSession(sess)
	if u.tellIdle != nil {
		u.tellIdle(idleSettling)
	}
	return u, nil
}

// logOn logs on, retrying for a moment while the line server is not running yet.
func logOn(ctx context.Context, phone api.Phone, client string) (api.Session, error) {
	deadline := time.Now().Add(logOnWait)
	for {
		s, err := phone.LogOn(ctx, client)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, api.ErrNotRunning) || time.Now().After(deadline) {
			return nil, fmt.Errorf("log on as %q: %w", client, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("log on as %q: %w", client, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.main }

// Raise shows the main window (also when hidden to the tray) and brings it to the front; it is
// safe to call from any goroutine. A second start of the app calls it through the local API.
func (u *UI) Raise() {
	u.b.post(func() {
		u.main.Show()
		u.main.RequestFocus()
	})
}

// Status is the status the status control shows.
func (u *UI) Status() Status { return u.status }

// Close stops the UI's goroutines and logs off. Call it after the app has quit.
func (u *UI) Close() error {
	u.b.stop()
	if u.sess == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := u.sess.LogOff(ctx)
	u.sess = nil
	if errors.Is(err, api.ErrLoggedOff) {
		err = nil
	}
	return err
}

// startSession begins working with a new session: read its events and its lines and calls.
func (u *UI) startSession(s api.Session) {
	u.sess = s
	u.status = StatusLoggedOn
	u.b.watch(s, func(ev api.Event) { u.apply(s, ev) }, func() { u.sessionClosed(s) })
	u.reload(s)
	u.mv.showStatus()
	u.updateTray()
}

// reload reads the session's lines and calls again (at start and after EventResync).
func (u *UI) reload(s api.Session) {
	var lines []api.Line
	var calls []api.Call
	u.b.run(func(ctx context.Context) error {
		var err error
		if lines, err = s.Lines(ctx); err != nil {
			return err
		}
		calls, err = s.Calls(ctx)
		return err
	}, func(err error) {
		if s != u.sess {
			return
		}
		if err != nil {
			u.mv.setMessage("Reading the lines failed: " + err.Error())
			return
		}
		u.setLines(lines)
		seen := map[string]bool{}
		for _, c := range calls {
			seen[c.ID] = true
			u.updateCall(c)
		}
		for _, id := range append([]string(nil), u.order...) {
			if !seen[id] {
				u.forgetCall(id)
				if cw := u.wins[id]; cw != nil && cw.view.Call().State != line.CallEnded {
					u.closeCallWindow(cw)
				}
			}
		}
	})
}

// apply takes one event of session s.
func (u *UI) apply(s api.Session, ev api.Event) {
	if s != u.sess {
		return
	}
	defer u.activity()
	switch ev.Type {
	case api.EventLine:
		if ev.Line != nil {
			u.updateLine(*ev.Line)
		}
	case api.EventCall:
		if ev.Call != nil {
			u.updateCall(*ev.Call)
		}
	case api.EventCallRemoved:
		if ev.Call != nil {
			u.removeCall(*ev.Call)
		}
	case api.EventJournal:
		if ev.Entry != nil {
			u.journaled(*ev.Entry)
		}
		if j := u.mv.journal; j != nil && !j.closed {
			j.readNew() // the open journal window shows the new call at once
		}
	case api.EventResync:
		u.reload(s)
	}
}

// sessionClosed runs when the session's event channel closed: logged off, here or by the server.
func (u *UI) sessionClosed(s api.Session) {
	if s != u.sess {
		return
	}
	u.loggedOff()
}

func (u *UI) loggedOff() {
	u.sess = nil
	u.status = StatusLoggedOff
	u.lines = nil
	for _, id := range append([]string(nil), u.order...) {
		u.forgetCall(id)
	}
	for _, cw := range u.wins {
		if cw.view.Call().State != line.CallEnded {
			u.closeCallWindow(cw)
		}
	}
	u.mv.setLines(nil)
	u.mv.showStatus()
	u.updateTray()
}

func (u *UI) setLines(lines []api.Line) {
	u.lines = lines
	u.mv.setLines(lines)
	if j := u.mv.journal; j != nil && !j.closed {
		j.setLines(lines)
	}
	u.deriveStatus()
}

func (u *UI) updateLine(l api.Line) {
	for i := range u.lines {
		if u.lines[i].Name == l.Name {
			u.lines[i] = l
			u.mv.updateLine(l)
			u.deriveStatus()
			return
		}
	}
	u.setLines(append(u.lines, l))
}

// line returns the line of that name.
func (u *UI) line(name string) (api.Line, bool) {
	for _, l := range u.lines {
		if l.Name == name {
			return l, true
		}
	}
	return api.Line{}, false
}

// deriveStatus shows Do Not Disturb when every line in use that has DND is on DND.
func (u *UI) deriveStatus() {
	if u.sess == nil || u.busy {
		return
	}
	n, dnd := 0, 0
	for _, l := range u.lines {
		if l.Enabled && (l.DND || offers(l.Functions, line.FuncDND)) {
			n++
			if l.DND {
				dnd++
			}
		}
	}
	st := StatusLoggedOn
	if n > 0 && dnd == n {
		st = StatusDND
	}
	if st != u.status {
		u.status = st
		u.mv.showStatus()
		u.updateTray()
	}
}

// SetStatus switches the status: logging on (a new session), DND on or off on every line that
// offers it, or logging off.
func (u *UI) SetStatus(st Status) {
	if u.busy || (st == u.status && (st == StatusLoggedOff) == (u.sess == nil)) {
		return
	}
	switch {
	case st == StatusLoggedOff:
		s := u.sess
		if s == nil {
			return
		}
		u.busy = true
		u.b.run(func(ctx context.Context) error { return s.LogOff(ctx) }, func(err error) {
			u.busy = false
			if err != nil && !errors.Is(err, api.ErrLoggedOff) {
				u.mv.setMessage("Log off failed: " + err.Error())
				u.mv.showStatus()
				return
			}
			if s == u.sess {
				u.loggedOff()
			}
		})
	case u.sess == nil:
		u.busy = true
		u.mv.setMessage("Logging on…")
		var s api.Session
		u.b.run(func(ctx context.Context) error {
			var err error
			s, err = u.phone.LogOn(ctx, u.client)
			return err
		}, func(err error) {
			u.busy = false
			if err != nil {
				u.mv.setMessage("Log on failed: " + err.Error())
				u.mv.showStatus()
				return
			}
			u.mv.setMessage("")
			u.startSession(s)
			if st == StatusDND {
				u.status = StatusDND
				u.setAllDND(s, true)
			}
		})
	default:
		u.status = st
		u.setAllDND(u.sess, st == StatusDND)
		u.mv.showStatus()
		u.updateTray()
	}
}

// setAllDND switches DND on every line in use that offers it and is not already so. With
// lines not read yet (just logged on) it reads them first.
func (u *UI) setAllDND(s api.Session, on bool) {
	u.b.run(func(ctx context.Context) error {
		lines, err := s.Lines(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, l := range lines {
			if l.Enabled && l.DND != on && offers(l.Functions, line.FuncDND) {
				if err := s.SetDND(ctx, l.Name, on); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", l.Name, err))
				}
			}
		}
		return errors.Join(errs...)
	}, func(err error) {
		if err != nil {
			u.mv.setMessage("Do Not Disturb: " + err.Error())
		}
	})
}

// act runs a session action and shows its error in win (the main window when nil).
func (u *UI) act(win fyne.Window, what string, action func(ctx context.Context, s api.Session) error, done func()) {
	s := u.sess
	if s == nil {
		u.showError(win, what, api.ErrLoggedOff)
		return
	}
	u.b.run(func(ctx context.Context) error { return action(ctx, s) }, func(err error) {
		if err != nil {
			u.showError(win, what, err)
			return
		}
		if done != nil {
			done()
		}
	})
}

func (u *UI) showError(win fyne.Window, what string, err error) {
	u.log.Warn("action failed", "action", what, "error", err)
	if win == nil || win == u.main {
		u.mv.setMessage(what + " failed: " + err.Error())
		return
	}
	dialog.ShowError(fmt.Errorf("%s: %w", what, err), win)
}

// tick advances the durations shown.
func (u *UI) tick(now time.Time) {
	for _, cw := range u.wins {
		cw.view.Tick(now)
	}
	u.mv.tick(now)
}

// clockInterval is how often the durations shown advance while a call is going on.
const clockInterval = time.Second

// syncClock runs the clock while a call is going on (its duration shows in the main window and
// in its conversation window) and stops it when none is: an ended call's duration is fixed.
func (u *UI) syncClock() {
	running := u.stopClock != nil
	switch need := u.clockNeeded(); {
	case need && !running:
		u.stopClock = u.b.tick(clockInterval, u.tick)
		if u.tellIdle != nil {
			u.tellIdle(idleBusy)
		}
	case !need && running:
		u.stopClock()
		u.stopClock = nil
		if u.tellIdle != nil {
			u.tellIdle(idleSettling)
		}
	}
}

// idleDelays are when Options.Idle runs after start and after the last call ended, counted
// from the last event: once the app is quiet, and again once the line server's SIP
// transactions of those calls have run out (they live 64×T1 = 32 s after a call, RFC 3261) and
// what they held became garbage.
var idleDelays = []time.Duration{2 * time.Second, 32 * time.Second}

// activity tells the idle watch that something happened.
func (u *UI) activity() {
	if u.tellIdle == nil {
		return
	}
	if u.clockNeeded() {
		u.tellIdle(idleBusy)
	} else {
		u.tellIdle(idleEvent)
	}
}

// clockNeeded reports whether a duration shown is still running.
func (u *UI) clockNeeded() bool {
	if len(u.calls) > 0 {
		return true
	}
	for _, cw := range u.wins {
		if active(cw.view.Call()) {
			return true
		}
	}
	return false
}
