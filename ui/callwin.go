package ui

import (
	"context"
	"errors"
	"slices"
	"time"

	"fyne.io/fyne/v2"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// callWindow is the conversation window of one call.
type callWindow struct {
	w    fyne.Window
	view *CallView
}

// updateCall takes a newer view of a call from the session's events (or a reload after
// EventResync): the main window's line shows it, its conversation window follows it, and a new
// call opens one (an incoming call also notifies the desktop). A call the user places (dial,
// redial, a feature code, a pickup) comes the same way: the line server sends its first event,
// with the ID the action returns, before the action returns, so the UI never applies an action's
// result and has no older view of a call to tell from the events' newer one.
func (u *UI) updateCall(c api.Call) {
	defer u.syncPeers()
	defer u.syncClock()
	defer u.trayRinging()
	if _, gone := u.ended[c.ID]; gone && active(c) {
		return // a list of calls read before the call's end, applied after it (a reload)
	}
	if c.ServerRinging && active(c) {
		// The server holds it ringing: the line lists it (Line.HeldRinging), it rings nowhere.
		u.removeCall(c)
		return
	}
	_, known := u.calls[c.ID]
	if !active(c) {
		u.markEnded(c.ID)
		u.forgetCall(c.ID)
		if cw := u.wins[c.ID]; cw != nil {
			cw.view.SetCall(c)
			// An incoming call that was never answered has nothing left to say (the journal
			// keeps it as missed): its window goes, unless the user began a memo.
			if c.Direction == line.Incoming && c.Answered.IsZero() && cw.view.Memo() == "" {
				u.closeCallWindow(cw)
			}
		}
		return
	}
	u.calls[c.ID] = c
	if !known {
		u.order = append(u.order, c.ID)
	}
	u.mv.updateCalls(c.Line)
	cw := u.wins[c.ID]
	if cw != nil {
		cw.view.SetCall(c)
		return
	}
	if known {
		return // the user closed its window; the main window still lists the call
	}
	cw = u.openCallWindow(c)
	if c.Direction == line.Incoming && c.State == line.CallRinging {
		u.Notify("Incoming call on "+c.Line, incomingText(c))
		cw.w.RequestFocus()
	}
}

func incomingText(c api.Call) string {
	n := partyNumber(c)
	if n == "" {
		return partyName(c)
	}
	return partyName(c) + " " + n
}

// endedMemory is how long the UI remembers that a call ended: longer than reading the calls can
// take, so that a list read before the call's end and applied after it is seen as stale.
var endedMemory = 2 * actionTimeout

// markEnded remembers that a call ended and forgets the calls that ended long ago, so that the
// UI holds nothing more for each call it ever saw.
func (u *UI) markEnded(id string) {
	now := time.Now()
	for x, t := range u.ended {
		if now.Sub(t) > endedMemory {
			delete(u.ended, x)
		}
	}
	if _, ok := u.ended[id]; !ok {
		u.ended[id] = now
	}
}

// removeCall drops a call that left the clients' view without ending (the line server holds it
// ringing): its window closes.
func (u *UI) removeCall(c api.Call) {
	u.forgetCall(c.ID)
	if cw := u.wins[c.ID]; cw != nil {
		u.closeCallWindow(cw)
	}
}

// forgetCall drops a call from the calls going on.
func (u *UI) forgetCall(id string) {
	c, ok := u.calls[id]
	if !ok {
		return
	}
	delete(u.calls, id)
	u.order = slices.DeleteFunc(u.order, func(x string) bool { return x == id })
	u.mv.updateCalls(c.Line)
	u.trayRinging()
	u.syncClock()
}

// trayRinging updates the tray menu when the call it offers to answer changed.
func (u *UI) trayRinging() {
	c, _ := u.ringingCall()
	if c.ID != u.trayRing {
		u.trayRing = c.ID
		u.updateTray()
	}
}

// journaled gives a conversation window its call's journal entry, when the call event did not
// carry it: the entry of the same line that started at the same moment.
func (u *UI) journaled(e line.JournalEntry) {
	for _, cw := range u.wins {
		c := cw.view.Call()
		if c.JournalID == 0 && c.Line == e.Line && c.Started.Sub(e.Start).Abs() < time.Second {
			c.JournalID = e.ID
			cw.view.SetCall(c)
		}
	}
}

// spareWindows is how many closed conversation windows are kept hidden for the next calls.
const spareWindows = 3

// windowCloseDelay is how long a conversation window stays hidden before it is destroyed.
const windowCloseDelay = time.Second

// closeCallWindow takes a conversation window off the screen. The window is kept hidden for the
// next call with its view (new windows and widgets for every call pile up in memory: Fyne 2.7
// and Mesa give little of it back), or, with enough spares, destroyed a moment later: destroying a window while the pointer
// moves over it can crash Fyne 2.7's GLFW driver (a pointer event reaches the destroyed window),
// and a hidden window gets no pointer events.
func (u *UI) closeCallWindow(cw *callWindow) {
	for id, x := range u.wins {
		if x == cw {
			delete(u.wins, id)
		}
	}
	cw.w.Hide()
	u.syncClock()
	if len(u.spare) < spareWindows {
		u.spare = append(u.spare, cw)
		return
	}
	u.b.after(windowCloseDelay, cw.w.Close)
}

// callsOf returns the calls going on at a line, oldest first.
func (u *UI) callsOf(lineName string) []api.Call {
	var out []api.Call
	for _, id := range u.order {
		if c := u.calls[id]; c.Line == lineName {
			out = append(out, c)
		}
	}
	return out
}

// showCall brings a call's conversation window up, opening it again if the user closed it.
func (u *UI) showCall(id string) {
	if cw := u.wins[id]; cw != nil {
		cw.w.Show()
		cw.w.RequestFocus()
		return
	}
	if c, ok := u.calls[id]; ok {
		u.openCallWindow(c).w.RequestFocus()
	}
}

func (u *UI) openCallWindow(c api.Call) *callWindow {
	id := c.ID
	var cw *callWindow
	if n := len(u.spare); n > 0 {
		cw, u.spare = u.spare[n-1], u.spare[:n-1]
		cw.w.SetTitle(partyName(c) + " - Lineup")
		cw.view.Reset(c, u.callActions(id, cw))
	} else {
		cw = &callWindow{w: u.app.NewWindow(partyName(c) + " - Lineup")}
		cw.view = NewCallView(c, u.callActions(id, cw))
		cw.w.SetContent(cw.view)
		cw.w.SetIcon(u.appIcon)
		cw.w.SetCloseIntercept(func() { u.closeCallWindow(cw) })
		u.addShortcuts(cw.w)
	}
	cw.view.Tick(time.Now())
	cw.w.Resize(fyne.NewSize(380, cw.view.MinSize().Height))
	if len(u.wins) == 0 {
		// The first conversation window comes up in the middle of the screen; further ones are
		// placed by the window manager, so that they do not hide each other.
		cw.w.CenterOnScreen()
	}
	u.wins[id] = cw
	cw.w.Show()
	return cw
}

// callActions are the conversation window's controls: each runs its session action and shows
// a failure in the window.
func (u *UI) callActions(id string, cw *callWindow) CallActions {
	doIn := func(what string, f func(ctx context.Context, s api.Session) error) {
		cw.view.ShowError("")
		s := u.sess
		if s == nil {
			cw.view.ShowError(what + ": " + api.ErrLoggedOff.Error())
			return
		}
		u.b.run(func(ctx context.Context) error { return f(ctx, s) }, func(err error) {
			if err != nil {
				u.log.Warn("call action failed", "action", what, "call", id, "error", err)
				cw.view.ShowError(what + ": " + err.Error())
			}
		})
	}
	return CallActions{
		Answer: func() {
			doIn("Answer", func(ctx context.Context, s api.Session) error { return s.Answer(ctx, id) })
		},
		Decline: func(r api.DeclineReason) {
			doIn("Decline", func(ctx context.Context, s api.Session) error { return s.Decline(ctx, id, r) })
		},
		Deflect: func(n string) {
			doIn("Forward", func(ctx context.Context, s api.Session) error { return s.Deflect(ctx, id, n) })
		},
		HangUp: func() {
			doIn("Hang up", func(ctx context.Context, s api.Session) error { return s.HangUp(ctx, id) })
		},
		Hold: func() {
			doIn("Hold", func(ctx context.Context, s api.Session) error { return s.Hold(ctx, id) })
		},
		Retrieve: func() {
			doIn("Retrieve", func(ctx context.Context, s api.Session) error { return s.Retrieve(ctx, id) })
		},
		Mute: func(m bool) {
			doIn("Mute", func(ctx context.Context, s api.Session) error { return s.SetMuted(ctx, id, m) })
		},
		DTMF: func(d string) {
			doIn("Keypad", func(ctx context.Context, s api.Session) error { return s.SendDTMF(ctx, id, d) })
		},
		SaveMemo: func(memo string) {
			jid := cw.view.Call().JournalID
			s := u.sess
			if s == nil || jid == 0 {
				return
			}
			u.b.run(func(ctx context.Context) error { return s.SetMemo(ctx, jid, memo) },
				func(err error) { cw.view.MemoSaved(memo, err) })
		},
		Close: func() { u.closeCallWindow(cw) },
		Transfer: func(n string) {
			doIn("Transfer", func(ctx context.Context, s api.Session) error { return s.Transfer(ctx, id, n) })
		},
		Consult: func(n string) {
			doIn("Consult", func(ctx context.Context, s api.Session) error {
				_, err := s.Consult(ctx, id, n)
				return err
			})
		},
		Conference: func() {
			doIn("Conference", func(ctx context.Context, s api.Session) error { return s.Conference(ctx, id) })
		},
		CompleteTransfer: func() {
			doIn("Complete transfer", func(ctx context.Context, s api.Session) error { return s.CompleteTransfer(ctx, id) })
		},
		BackToCaller: func() {
			held := cw.view.Call().ConsultFor
			doIn("Back to caller", func(ctx context.Context, s api.Session) error {
				if err := s.HangUp(ctx, id); err != nil && !errors.Is(err, api.ErrNoCall) {
					return err
				}
				return s.Retrieve(ctx, held)
			})
		},
	}
}

// startConference brings a call's window up and joins the call with the user's other one, as
// its Conference button does (the line menu's Conference); a failure shows in that window.
func (u *UI) startConference(id string) {
	u.showCall(id)
	if cw := u.wins[id]; cw != nil {
		call0(cw.view.act.Conference)
	}
}

// conferencePair is a call of the line that can be joined in a conference with another call of
// the user (both talking or held, neither in a conference yet), and that other call.
func (u *UI) conferencePair(lineName string) (c, other api.Call, ok bool) {
	for _, x := range u.callsOf(lineName) {
		if !inCall(x.State) || x.Conference != "" || !offers(x.Functions, line.FuncConference) {
			continue
		}
		for _, oid := range u.order {
			if o := u.calls[oid]; oid != x.ID && inCall(o.State) && o.Conference == "" {
				return x, o, true
			}
		}
	}
	return api.Call{}, api.Call{}, false
}

// startTransfer brings a call's window up with its transfer field open (the line menu's
// Transfer… and Consult for…).
func (u *UI) startTransfer(id string, consult bool) {
	u.showCall(id)
	if cw := u.wins[id]; cw != nil {
		cw.view.openTransfer(consult)
	}
}

// syncPeers tells each conversation window of the user's other call, the one Retrieve swaps
// with and a consultation is about: a consultation's held call, else another call that talks
// or is held.
func (u *UI) syncPeers() {
	for id, cw := range u.wins {
		c, ok := u.calls[id]
		if !ok {
			continue
		}
		var peer api.Call
		found := false
		if c.ConsultFor != "" {
			peer, found = u.calls[c.ConsultFor]
		}
		for _, oid := range u.order {
			// A call of a conference: the other call of it.
			if o := u.calls[oid]; !found && c.Conference != "" && oid != id && o.Conference == c.Conference {
				peer, found = o, true
			}
		}
		for _, oid := range u.order {
			if found {
				break
			}
			if o := u.calls[oid]; oid != id && inCall(o.State) {
				peer, found = o, true
			}
		}
		cw.view.SetPeer(peer, found)
	}
}

// ringingCall is the oldest call ringing here that can be answered.
func (u *UI) ringingCall() (api.Call, bool) {
	for _, id := range u.order {
		c := u.calls[id]
		if c.State == line.CallRinging && !c.ServerRinging && offers(c.Functions, line.FuncAnswer) {
			return c, true
		}
	}
	return api.Call{}, false
}

// currentCall is the call a hang-up shortcut ends: the call of the focused conversation window,
// else the newest call that offers hang-up.
func (u *UI) currentCall(w fyne.Window) (api.Call, bool) {
	for id, cw := range u.wins {
		if cw.w == w {
			if c, ok := u.calls[id]; ok && offers(c.Functions, line.FuncHangUp) {
				return c, true
			}
		}
	}
	for i := len(u.order) - 1; i >= 0; i-- {
		c := u.calls[u.order[i]]
		if offers(c.Functions, line.FuncHangUp) && !c.ServerRinging {
			return c, true
		}
	}
	return api.Call{}, false
}
