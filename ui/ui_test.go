package ui

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

func TestMainWindowShowsLinesByGroup(t *testing.T) {
	h := newHarness(t)
	if got := h.phone.Clients(); len(got) != 1 || got[0] != "desktop" {
		t.Fatalf("logged on clients %q, want [desktop]", got)
	}
	txt := texts(h.u.Window().Content())
	for _, want := range []string{"SALES", "DESK", "Alice", "+49891234201", "Ben", "Carol", "Registered", "3 of 3 lines registered"} {
		if !strings.Contains(txt, want) {
			t.Errorf("main window lacks %q; it shows:\n%s", want, txt)
		}
	}
	if strings.Index(txt, "Alice") > strings.Index(txt, "Carol") || strings.Index(txt, "Carol") > strings.Index(txt, "DESK") ||
		strings.Index(txt, "DESK") > strings.Index(txt, "Ben") {
		t.Errorf("lines not grouped in configured order:\n%s", txt)
	}
	if strings.Contains(txt, "Do Not Disturb\n") {
		t.Errorf("a DND badge shows though no line is on DND:\n%s", txt)
	}
	if h.u.mv.status.Selected != "Logged on" {
		t.Errorf("status control shows %q", h.u.mv.status.Selected)
	}

	// Each line says under its name what a call arriving now would get, and follows a change.
	for name, want := range map[string]string{
		"Alice": "Rings here; Decline sends busy (486) or decline (603), as chosen.",
		"Carol": "Rings here; Decline sends busy (486) or decline (603), as chosen.",
		"Ben":   "Rings here; Decline is not offered.",
	} {
		if !strings.Contains(texts(h.u.mv.rows[name]), want) {
			t.Errorf("%s's row does not say what happens now (%q):\n%s", name, want, texts(h.u.mv.rows[name]))
		}
	}
	al, _ := h.phone.Line("Alice")
	al.Incoming = line.DecideIncoming(line.Group{NotLoggedOn: line.ResponseBusyHere}, line.LineView{Enabled: true, Registered: true})
	h.phone.Publish(api.Event{Type: api.EventLine, Line: &al})
	h.until("Alice's row tells what happens now", func() bool {
		return strings.Contains(texts(h.u.mv.rows["Alice"]), "callers hear busy (486)")
	})

	// A failed registration: red lamp, and the reason beside the line and on the lamp.
	l, _ := h.phone.Line("Carol")
	l.Registration, l.RegCode, l.RegReason = line.RegFailed, 403, "Forbidden"
	h.phone.Publish(api.Event{Type: api.EventLine, Line: &l})
	row := h.u.mv.rows["Carol"]
	h.until("Carol shows the failure", func() bool { return row.line.Registration == line.RegFailed })
	if !strings.Contains(texts(row), "403 Forbidden: check the user name and password") {
		t.Errorf("Carol's row does not say why:\n%s", texts(row))
	}
	if !strings.Contains(row.lamp.Text(), "403 Forbidden: check the user name and password") {
		t.Errorf("the lamp tells %q", row.lamp.Text())
	}
	test.Tap(row.lamp)
	if row.lamp.pop == nil || !strings.Contains(texts(row.lamp.pop), "check the user name and password") {
		t.Error("tapping the lamp does not show the reason")
	}
	if row.lamp.circle.FillColor == h.u.mv.rows["Alice"].lamp.circle.FillColor {
		t.Error("a failed line's lamp has the colour of a registered one")
	}
	if !strings.Contains(texts(h.u.Window().Content()), "2 of 3 lines registered") {
		t.Errorf("summary not updated:\n%s", texts(h.u.Window().Content()))
	}

	// DND on a line from its menu: the badge shows.
	h.menuItem("Alice", "Do Not Disturb")
	if a := h.action("SetDND"); a.Target != "Alice" || a.Arg != "true" {
		t.Errorf("DND entry did %+v", a)
	}
	h.until("Alice shows DND", func() bool { return h.u.mv.rows["Alice"].line.DND })
	if !strings.Contains(texts(h.u.mv.rows["Alice"]), "Do Not Disturb") {
		t.Errorf("no DND badge on Alice:\n%s", texts(h.u.mv.rows["Alice"]))
	}
	// Its lamp takes the DND colour, apart from a registered line's green, and says so.
	h.until("Alice's lamp shows DND", func() bool { return h.u.mv.rows["Alice"].lamp.circle.FillColor == themeColor(colorNameDND) })
	if l := h.u.mv.rows["Alice"].lamp; !strings.HasSuffix(l.Text(), " · Do Not Disturb") || themeColor(colorNameDND) == theme.Color(theme.ColorNameSuccess) {
		t.Errorf("Alice's DND lamp reads %q", l.Text())
	}
	shoot(t, h.u.main, "line-dnd-dark.png")
	h.u.app.Settings().SetTheme(theme.LightTheme()) //nolint:staticcheck // the light variant, as a user's setting gives it
	h.settle()
	shoot(t, h.u.main, "line-dnd-light.png")
}

func TestDialFieldShowsDialableThenDials(t *testing.T) {
	h := newHarness(t)
	m := h.u.mv
	if m.lineSel.Selected != "Alice" {
		t.Errorf("dial line %q, want the first line", m.lineSel.Selected)
	}
	m.lineSel.SetSelected("Ben")
	test.Type(m.dial, "0171 / 555-12")
	h.until("the hint shows what is sent", func() bool { return strings.HasPrefix(m.hint.Text, "Sends") })
	if m.hint.Text != "Sends 017155512 on Ben" {
		t.Errorf("hint %q", m.hint.Text)
	}
	test.Type(m.dial, "x")
	h.until("the hint shows the error", func() bool { return !strings.HasPrefix(m.hint.Text, "Sends") })
	if m.hint.Text == "" || m.hint.Importance != widget.DangerImportance {
		t.Errorf("a bad number shows %q", m.hint.Text)
	}
	m.dial.SetText("0171 555 12")
	submit(m.dial)
	a := h.action("Dial")
	if a.Target != "Ben" || a.Arg != "0171 555 12" {
		t.Errorf("Enter dialled %+v", a)
	}
	cw := h.windowWhere("the call dialled on Ben", func(c api.Call) bool {
		return c.Direction == line.Outgoing && c.Line == "Ben"
	})
	if !strings.Contains(texts(cw.view), "017155512") || !strings.Contains(texts(cw.view), "Calling") {
		t.Errorf("conversation window:\n%s", texts(cw.view))
	}
	h.until("the dial field is cleared", func() bool { return m.dial.Text == "" })

	// The main window lists the call under its line; Redial dials again.
	if !strings.Contains(texts(m.rows["Ben"]), "Calling") {
		t.Errorf("Ben's row does not list the call:\n%s", texts(m.rows["Ben"]))
	}
	if err := h.phone.RemoteHangUp(cw.view.Call().ID, 486); err != nil {
		t.Fatal(err)
	}
	h.until("the call ended", func() bool { return cw.view.Call().State == line.CallEnded })
	if !strings.Contains(texts(cw.view), "486") {
		t.Errorf("an outgoing call that failed does not say why:\n%s", texts(cw.view))
	}
	h.until("redial is offered", func() bool { return !m.redialBtn.Disabled() })
	test.Tap(m.redialBtn)
	if a := h.action("Redial"); a.Target != "Ben" {
		t.Errorf("Redial did %+v", a)
	}
}

// TestLineRowGrowsForItsCalls: a call arriving on a line without calls makes its row taller in
// the main window, and the row below moves down to make room.
func TestLineRowGrowsForItsCalls(t *testing.T) {
	h := newHarness(t)
	h.u.Window().Resize(fyne.NewSize(480, 640))
	alice, carol := h.u.mv.rows["Alice"], h.u.mv.rows["Carol"]
	height, carolY := alice.Size().Height, carol.Position().Y
	h.ring("Alice", "+493012345", "Anna Berg")
	if alice.Size().Height < alice.MinSize().Height || alice.Size().Height <= height {
		t.Errorf("Alice's row is %v high with a call (%v before), it needs %v", alice.Size().Height, height, alice.MinSize().Height)
	}
	if carol.Position().Y <= carolY {
		t.Errorf("Carol's row stayed at y=%v below Alice's taller row", carol.Position().Y)
	}
}

func TestIncomingCallNotifiesAnswerHangUpMemo(t *testing.T) {
	h := newHarness(t)
	var cw *callWindow
	var c api.Call
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Incoming call on Alice", Content: "Anna Berg +493012345"}, func() {
		c, cw = h.ring("Alice", "+493012345", "Anna Berg")
	})
	if !strings.Contains(texts(cw.view), "Anna Berg") || !strings.Contains(texts(h.u.mv.rows["Alice"]), "Anna Berg") {
		t.Errorf("the call is not shown: window\n%s\nrow\n%s", texts(cw.view), texts(h.u.mv.rows["Alice"]))
	}
	if hasPrefix(h.menuLabels("Alice"), "Forward off") {
		t.Errorf("feature codes offered while the line has a call: %q", h.menuLabels("Alice"))
	}
	test.Tap(button(t, cw.view, "Answer"))
	if a := h.action("Answer"); a.Target != c.ID {
		t.Errorf("Answer did %+v", a)
	}
	h.until("connected", func() bool { return cw.view.Call().State == line.CallConnected })
	test.Tap(button(t, cw.view, "Hold"))
	h.action("Hold")
	h.until("held", func() bool { return cw.view.Call().State == line.CallHeld })
	test.Tap(button(t, cw.view, "Retrieve"))
	h.action("Retrieve")
	h.until("connected again", func() bool { return cw.view.Call().State == line.CallConnected })
	test.Tap(button(t, cw.view, "Keypad"))
	test.Tap(button(t, cw.view, "7"))
	if a := h.action("SendDTMF"); a.Arg != "7" {
		t.Errorf("keypad sent %+v", a)
	}
	test.Type(cw.view.memo, "wants a quote")
	test.Tap(button(t, cw.view, "Hang up"))
	if a := h.action("HangUp"); a.Target != c.ID {
		t.Errorf("Hang up did %+v", a)
	}
	h.until("the call ended with its journal entry", func() bool {
		return cw.view.Call().JournalID != 0 && cw.view.Call().State == line.CallEnded
	})
	if h.u.wins[c.ID] != cw {
		t.Fatal("the window of an answered call closed at its end; the memo could not be written")
	}
	test.Tap(button(t, cw.view, "Save memo"))
	a := h.action("SetMemo")
	if a.Target != strconv.FormatUint(cw.view.Call().JournalID, 10) || a.Arg != "wants a quote" {
		t.Errorf("Save memo did %+v", a)
	}
	h.until("memo saved", func() bool { return strings.Contains(texts(cw.view), "Memo saved") })
	if len(h.u.mv.rows["Alice"].calls) != 0 {
		t.Error("the ended call is still listed under its line")
	}
}

func TestDeclineAndHiddenDecline(t *testing.T) {
	h := newHarness(t)
	c, cw := h.ring("Alice", "+493012345", "")
	test.Tap(button(t, cw.view, "Busy"))
	if a := h.action("Decline"); a.Target != c.ID || a.Arg != "busy" {
		t.Errorf("Busy did %+v", a)
	}
	h.until("the declined call's window closes", func() bool { return h.u.wins[c.ID] == nil })

	c, cw = h.ring("Alice", "+493012346", "")
	test.Tap(button(t, cw.view, "Decline"))
	if a := h.action("Decline"); a.Target != c.ID || a.Arg != "decline" {
		t.Errorf("Decline did %+v", a)
	}

	// Ben's group hides Decline.
	_, cw = h.ring("Ben", "+493012347", "")
	bs := buttons(cw.view)
	if contains(bs, "Decline") || contains(bs, "Busy") || !contains(bs, "Answer") {
		t.Errorf("a call on a group that hides Decline shows %q", bs)
	}
}

func TestCallRemovedClosesWindow(t *testing.T) {
	h := newHarness(t)
	c, _ := h.ring("Alice", "+493012345", "")
	h.phone.Publish(api.Event{Type: api.EventCallRemoved, Call: &c})
	h.until("the window closes", func() bool { return h.u.wins[c.ID] == nil })
	if len(h.u.mv.rows["Alice"].calls) != 0 {
		t.Error("a call the server holds ringing is still listed as ringing here")
	}
}

func TestLineMenuFeatureCodesPickupAndDeactivated(t *testing.T) {
	h := newHarness(t)
	labels := h.menuLabels("Alice")
	for _, want := range []string{"Dial…", "Pick up…", "Forward off", "Forward on", "Do Not Disturb", "Properties…"} {
		if !hasPrefix(labels, want) {
			t.Errorf("Alice's menu lacks %q: %q", want, labels)
		}
	}
	// Ben's group deactivates DND, has no pickup code and no feature codes.
	labels = h.menuLabels("Ben")
	for _, absent := range []string{"Do Not Disturb", "Pick up…", "Forward off"} {
		if hasPrefix(labels, absent) {
			t.Errorf("Ben's menu offers %q: %q", absent, labels)
		}
	}

	h.menuItem("Alice", "Forward off")
	a := h.action("FeatureCode")
	if a.Target != "Alice" || a.Arg != "Forward off" {
		t.Errorf("feature code entry did %+v", a)
	}
	h.windowWhere("the feature code call", func(c api.Call) bool {
		return c.FeatureCode == "Forward off" && c.Line == "Alice"
	})
	h.until("Alice lists the call", func() bool { return len(h.u.mv.rows["Alice"].calls) == 1 })
	if hasPrefix(h.menuLabels("Alice"), "Forward o") { // the feature codes, not "Forward calls…"
		t.Errorf("feature codes offered during a call: %q", h.menuLabels("Alice"))
	}

	d, e := h.u.askPickup("Carol")
	if e.Text != "" || !strings.Contains(texts(h.u.main.Canvas().Overlays().Top()), "Nothing rings") {
		t.Errorf("Pick up with nothing ringing: number %q, dialog says %q", e.Text, texts(h.u.main.Canvas().Overlays().Top()))
	}
	test.Type(e, "201")
	d.Submit()
	if a := h.action("Pickup"); a.Target != "Carol" || a.Arg != "201" {
		t.Errorf("Pick up did %+v", a)
	}
	cw := h.windowWhere("the pickup call", func(c api.Call) bool { return c.Line == "Carol" })
	if title := cw.w.Title(); title != "Pick up 201 - Lineup" {
		t.Errorf("the pickup call's window is titled %q, want Pick up 201 - Lineup", title)
	}
}

func TestDeactivatedHoldAbsent(t *testing.T) {
	h := newHarness(t)
	c, cw := h.ring("Ben", "+493012345", "")
	test.Tap(button(t, cw.view, "Answer"))
	h.until("connected", func() bool { return cw.view.Call().State == line.CallConnected })
	if bs := buttons(cw.view); contains(bs, "Hold") || !contains(bs, "Hang up") {
		t.Errorf("a call in a group without hold shows %q", bs)
	}
	// Hang up by keyboard shortcut in the conversation window.
	cw.w.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutHangUp)
	if a := h.action("HangUp"); a.Target != c.ID {
		t.Errorf("the hang-up shortcut did %+v", a)
	}
}

func TestShortcutAnswerAndDialFocus(t *testing.T) {
	h := newHarness(t)
	c, _ := h.ring("Carol", "+493012345", "")
	h.u.Window().Canvas().(fyne.Shortcutable).TypedShortcut(shortcutAnswer)
	if a := h.action("Answer"); a.Target != c.ID {
		t.Errorf("the answer shortcut did %+v", a)
	}
	h.u.Window().Canvas().(fyne.Shortcutable).TypedShortcut(shortcutDial)
	if h.u.Window().Canvas().Focused() != h.u.mv.dial {
		t.Error("the dial shortcut does not focus the dial field")
	}
}

func TestStatusDNDLogOffLogOn(t *testing.T) {
	h := newHarness(t)
	h.u.mv.status.SetSelected("Do Not Disturb")
	h.until("DND on Alice and Carol", func() bool { return h.count("SetDND") == 2 })
	for _, a := range h.phone.Actions() {
		if a.Method == "SetDND" && (a.Arg != "true" || a.Target == "Ben") {
			t.Errorf("DND status did %+v (Ben's group deactivates DND)", a)
		}
	}
	h.settle()
	if h.u.Status() != StatusDND {
		t.Errorf("status %v after DND", h.u.Status())
	}

	h.u.mv.status.SetSelected("Logged off")
	h.action("LogOff")
	h.until("logged off", func() bool { return h.u.sess == nil })
	if len(h.phone.Clients()) != 0 {
		t.Errorf("clients still logged on: %q", h.phone.Clients())
	}
	if !strings.Contains(texts(h.u.Window().Content()), "You are logged off") || h.u.mv.status.Selected != "Logged off" {
		t.Errorf("logged-off window:\n%s", texts(h.u.Window().Content()))
	}
	if !h.u.mv.callBtn.Disabled() {
		t.Error("Call is enabled while logged off")
	}

	test.Tap(button(t, h.u.Window().Content(), "Log on"))
	h.until("logged on again", func() bool { return h.u.sess != nil && len(h.u.mv.rows) == 3 })
	if got := h.phone.Clients(); len(got) != 1 || got[0] != "desktop" {
		t.Errorf("clients after logging on again: %q", got)
	}
	h.settle()
	if h.u.Status() != StatusDND {
		t.Errorf("status %v: the lines are still on DND", h.u.Status())
	}
	h.u.mv.status.SetSelected("Logged on")
	h.until("DND off again", func() bool { return h.count("SetDND") == 4 })
	h.settle()
	if h.u.Status() != StatusLoggedOn {
		t.Errorf("status %v", h.u.Status())
	}
}

func TestConversationWindowIsReusedForTheNextCall(t *testing.T) {
	h := newHarness(t)
	c1, cw1 := h.ring("Alice", "+493012345", "Anna Berg")
	test.Tap(button(t, cw1.view, "Answer"))
	h.action("Answer")
	h.until("connected", func() bool { return cw1.view.Call().State == line.CallConnected })
	test.Tap(button(t, cw1.view, "Keypad"))
	test.Type(cw1.view.memo, "first call")
	test.Tap(button(t, cw1.view, "Hang up"))
	h.until("ended", func() bool { return cw1.view.Call().State == line.CallEnded })
	test.Tap(button(t, cw1.view, "Close"))
	if h.u.wins[c1.ID] != nil {
		t.Fatal("Close left the window open")
	}

	c2, cw2 := h.ring("Carol", "+493099999", "Bernd Kurz")
	if cw2.w != cw1.w {
		t.Error("the closed conversation window was not reused")
	}
	txt := texts(cw2.view)
	if !strings.Contains(txt, "Bernd Kurz") || !strings.Contains(txt, "Incoming call on Carol") ||
		strings.Contains(txt, "Anna Berg") || strings.Contains(txt, "first call") {
		t.Errorf("the reused window shows the old call:\n%s", txt)
	}
	if contains(buttons(cw2.view), "5") {
		t.Error("the keypad of the old call is still open")
	}
	test.Tap(button(t, cw2.view, "Answer"))
	if a := h.action("Answer"); a.Target != c2.ID {
		t.Errorf("Answer in the reused window did %+v, want call %s", a, c2.ID)
	}
}

func TestTrayMenuFollowsStatusAndRinging(t *testing.T) {
	h := newHarness(t)
	labels := func() (out []string) {
		for _, it := range h.u.trayMenu().Items {
			if it.IsSeparator {
				continue
			}
			l := it.Label
			if it.Checked {
				l += " ✓"
			}
			out = append(out, l)
		}
		return out
	}
	if got := strings.Join(labels(), ", "); got != "Show Lineup, Logged on ✓, Do Not Disturb, Logged off, Quit" {
		t.Errorf("tray menu: %s", got)
	}
	c, _ := h.ring("Alice", "+493012345", "Anna Berg")
	if !contains(labels(), "Answer Anna Berg") {
		t.Errorf("tray menu while a call rings: %q", labels())
	}
	for _, it := range h.u.trayMenu().Items {
		if it.Label == "Answer Anna Berg" {
			it.Action()
		}
	}
	if a := h.action("Answer"); a.Target != c.ID {
		t.Errorf("the tray's Answer did %+v", a)
	}
	for _, it := range h.u.trayMenu().Items {
		if it.Label == "Do Not Disturb" {
			it.Action()
		}
	}
	h.until("DND on the lines", func() bool { return h.count("SetDND") == 2 })
	h.settle()
	if !contains(labels(), "Do Not Disturb ✓") {
		t.Errorf("tray menu after DND: %q", labels())
	}
}

// TestClockTicksOnlyWhileACallIsGoingOn checks that the durations advance while a call is
// connected and that nothing ticks once no call is going on (an idle app does not wake up every
// second).
func TestClockTicksOnlyWhileACallIsGoingOn(t *testing.T) {
	h := newHarness(t)
	if h.u.stopClock != nil {
		t.Fatal("the clock runs with no call going on")
	}
	c, cw := h.ring("Alice", "+493012345", "")
	if h.u.stopClock == nil {
		t.Fatal("the clock does not run while a call rings")
	}
	test.Tap(button(t, cw.view, "Answer"))
	h.action("Answer")
	h.until("connected", func() bool { return cw.view.Call().State == line.CallConnected })
	win, row := cw.view.duration.Text, texts(h.u.mv.rows["Alice"])
	h.until("the duration advances in the window and in the main window", func() bool {
		return cw.view.duration.Text != win && texts(h.u.mv.rows["Alice"]) != row
	})
	test.Tap(button(t, cw.view, "Hang up"))
	h.action("HangUp")
	h.until("ended", func() bool { return cw.view.Call().State == line.CallEnded })
	if h.u.stopClock != nil {
		t.Errorf("the clock still runs after call %s ended", c.ID)
	}
	shown := cw.view.duration.Text
	time.Sleep(1200 * time.Millisecond)
	h.settle()
	if cw.view.duration.Text != shown {
		t.Errorf("the ended call's duration moved from %s to %s", shown, cw.view.duration.Text)
	}
}

// TestIdleRunsAfterStartAndAfterTheLastCallOnly checks that Options.Idle (the desktop app returns
// memory to the system with it) runs twice once the app settled, not while a call is going on,
// twice again once the last call ended, and not on later events without a call.
func TestIdleRunsAfterStartAndAfterTheLastCallOnly(t *testing.T) {
	old := idleDelays
	idleDelays = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}
	t.Cleanup(func() { idleDelays = old })
	quiet := 2 * (idleDelays[0] + idleDelays[1])
	h := newHarness(t)
	waitIdles(t, h, 2, "after start")
	c, _ := h.ring("Alice", "+493012345", "")
	time.Sleep(quiet)
	h.settle()
	if n := h.idles.Load(); n != 2 {
		t.Fatalf("idle ran %d times by the time a call rang; twice expected", n)
	}
	if err := h.phone.RemoteHangUp(c.ID, 487); err != nil {
		t.Fatal(err)
	}
	waitIdles(t, h, 4, "after the call")
	l := h.u.lines[0]
	h.phone.Publish(api.Event{Type: api.EventLine, Line: &l})
	time.Sleep(quiet)
	h.settle()
	if n := h.idles.Load(); n != 4 {
		t.Errorf("idle ran %d times, also after a line event without a call; 4 expected", n)
	}
}

// waitIdles runs the UI's updates until Options.Idle ran n times.
func waitIdles(t *testing.T, h *harness, n int32, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.idles.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("idle did not run %s (%d runs)", what, h.idles.Load())
		}
		h.settle()
	}
}

// TestEndedCallsAreForgottenLater checks that the UI does not keep something for every call it
// ever saw: the ended calls it remembers (to ignore stale snapshots) are dropped after a while.
func TestEndedCallsAreForgottenLater(t *testing.T) {
	old := endedMemory
	endedMemory = 300 * time.Millisecond
	t.Cleanup(func() { endedMemory = old })
	h := newHarness(t)
	first, _ := h.ring("Alice", "+493012345", "")
	if err := h.phone.RemoteHangUp(first.ID, 487); err != nil {
		t.Fatal(err)
	}
	h.until("the first call ended", func() bool { return h.u.wins[first.ID] == nil })
	if _, ok := h.u.ended[first.ID]; !ok {
		t.Fatal("an ended call is not remembered: a late snapshot of it would open its window again")
	}
	time.Sleep(2 * endedMemory)
	second, _ := h.ring("Alice", "+493012346", "")
	if err := h.phone.RemoteHangUp(second.ID, 487); err != nil {
		t.Fatal(err)
	}
	h.until("the second call ended", func() bool { return h.u.wins[second.ID] == nil })
	if _, ok := h.u.ended[first.ID]; ok || len(h.u.ended) != 1 {
		t.Errorf("the UI still remembers %d ended calls (the first one: %v); only the second expected", len(h.u.ended), ok)
	}
}

// TestConsultThenCompleteTransfer goes through an attended transfer as a user does: answer,
// Consult… a number (a second window opens for the consultation, the caller is held), the
// consulted party answers, Complete transfer: both calls end as transferred. Back to caller is
// tried first: it hangs up the consultation and takes the caller back.
func TestConsultThenCompleteTransfer(t *testing.T) {
	h := newHarness(t)
	c, cw := h.ring("Alice", "+493012345", "Anna Berg")
	test.Tap(button(t, cw.view, "Answer"))
	h.until("connected", func() bool { return cw.view.Call().State == line.CallConnected })

	// The line menu offers the call's transfer too: it opens the window's transfer field.
	h.until("the menu offers the transfer", func() bool { return hasPrefix(h.menuLabels("Alice"), "Transfer Anna Berg…") })
	h.menuItem("Alice", "Transfer Anna Berg…")
	if !cw.view.xferPanel.Visible() || cw.view.xferGo.Importance != widget.HighImportance {
		t.Error("the line menu's Transfer entry did not open the window's transfer field for a blind transfer")
	}
	test.Tap(button(t, cw.view, "Transfer…")) // closes it again
	if cw.view.xferPanel.Visible() {
		t.Error("a second Transfer… did not close the field")
	}
	if hasPrefix(h.menuLabels("Ben"), "Transfer") {
		t.Errorf("Ben's menu offers a transfer without a call: %q", h.menuLabels("Ben"))
	}

	consult := func() *callWindow {
		test.Tap(button(t, cw.view, "Consult…"))
		test.Type(cw.view.xferEntry, "202")
		submit(cw.view.xferEntry)
		if a := h.action("Consult"); a.Target != c.ID || a.Arg != "202" {
			t.Fatalf("Consult… did %+v", a)
		}
		h.until("the caller held", func() bool { return cw.view.Call().State == line.CallHeld })
		ccw := h.windowWhere("the consultation", func(x api.Call) bool {
			return x.ConsultFor == c.ID && inCall(x.State) || x.ConsultFor == c.ID && x.State == line.CallDialing
		})
		if err := h.phone.Connect(ccw.view.Call().ID); err != nil {
			t.Fatal(err)
		}
		h.until("the consultation connected", func() bool { return ccw.view.Call().State == line.CallConnected })
		if !strings.Contains(texts(ccw.view), "consulting for Anna Berg") {
			t.Errorf("the consultation window does not say for whom:\n%s", texts(ccw.view))
		}
		if bs := buttons(cw.view); !contains(bs, "Swap") {
			t.Errorf("the held caller's window shows %q, want Swap while the consultation talks", bs)
		}
		return ccw
	}
	ccw := consult()
	test.Tap(button(t, ccw.view, "Back to caller"))
	if a := h.action("HangUp"); a.Target != ccw.view.Call().ID {
		t.Errorf("Back to caller hung up %+v", a)
	}
	if a := h.action("Retrieve"); a.Target != c.ID {
		t.Errorf("Back to caller retrieved %+v", a)
	}
	h.until("back with the caller", func() bool { return cw.view.Call().State == line.CallConnected })

	ccw = consult()
	test.Tap(button(t, ccw.view, "Complete transfer"))
	if a := h.action("CompleteTransfer"); a.Target != ccw.view.Call().ID {
		t.Errorf("Complete transfer did %+v", a)
	}
	h.until("both calls ended", func() bool {
		return cw.view.Call().State == line.CallEnded && ccw.view.Call().State == line.CallEnded
	})
	if txt := texts(cw.view); !strings.Contains(txt, "Transferred to 202") {
		t.Errorf("the caller's window after the transfer:\n%s", txt)
	}
}

// TestConferenceFromTheWindowAndTheMenu: with one call held and another talking, the talking
// call's window and the line menu offer Conference; the button joins them, both windows say
// with whom, and when one party hangs up the other window is a normal call again.
func TestConferenceFromTheWindowAndTheMenu(t *testing.T) {
	h := newHarness(t)
	_, aw := h.ring("Alice", "202", "")
	test.Tap(button(t, aw.view, "Answer"))
	h.until("202 connected", func() bool { return aw.view.Call().State == line.CallConnected })
	if contains(buttons(aw.view), "Conference") || hasPrefix(h.menuLabels("Alice"), "Conference") {
		t.Errorf("a call alone offers a conference: window %q, menu %q", buttons(aw.view), h.menuLabels("Alice"))
	}
	test.Tap(button(t, aw.view, "Hold"))
	h.until("202 held", func() bool { return aw.view.Call().State == line.CallHeld })
	b, bw := h.ring("Alice", "203", "")
	test.Tap(button(t, bw.view, "Answer"))
	h.until("203 connected", func() bool { return bw.view.Call().State == line.CallConnected })
	h.until("203's window offers Conference", func() bool { return contains(buttons(bw.view), "Conference") })
	if !contains(buttons(aw.view), "Conference") || !contains(buttons(aw.view), "Swap") {
		t.Errorf("the held call's window shows %q, want Swap and Conference", buttons(aw.view))
	}
	h.until("the menu offers the conference", func() bool { return hasPrefix(h.menuLabels("Alice"), "Conference") })
	if !contains(h.menuLabels("Alice"), "Conference 202 and 203") {
		t.Errorf("the line menu shows %q, want \"Conference 202 and 203\"", h.menuLabels("Alice"))
	}

	test.Tap(button(t, bw.view, "Conference"))
	if act := h.action("Conference"); act.Target != b.ID {
		t.Errorf("Conference did %+v", act)
	}
	h.until("both in the conference", func() bool {
		return aw.view.Call().Conference != "" && bw.view.Call().Conference != "" &&
			strings.Contains(texts(aw.view), "Conference with 202 and 203") &&
			strings.Contains(texts(bw.view), "Conference with 203 and 202")
	})
	for _, w := range []*callWindow{aw, bw} {
		if bs := buttons(w.view); contains(bs, "Conference") || contains(bs, "Swap") {
			t.Errorf("a conference call's window shows %q, want neither Conference nor Swap", bs)
		}
	}
	if hasPrefix(h.menuLabels("Alice"), "Conference") {
		t.Errorf("the line menu offers a conference of calls in one: %q", h.menuLabels("Alice"))
	}

	if err := h.phone.RemoteHangUp(b.ID, 0); err != nil {
		t.Fatal(err)
	}
	h.until("202 a normal call again", func() bool {
		return aw.view.Call().Conference == "" && !strings.Contains(texts(aw.view), "Conference with")
	})
	if contains(buttons(aw.view), "Conference") {
		t.Errorf("202's window offers a conference with nobody: %q", buttons(aw.view))
	}
}

// TestConferenceFromTheLineMenu: the line menu's Conference entry joins the calls as the button
// does, and a refusal shows in the call's window.
func TestConferenceFromTheLineMenu(t *testing.T) {
	h := newHarness(t)
	_, aw := h.ring("Alice", "202", "")
	test.Tap(button(t, aw.view, "Answer"))
	h.until("202 connected", func() bool { return aw.view.Call().State == line.CallConnected })
	test.Tap(button(t, aw.view, "Hold"))
	h.until("202 held", func() bool { return aw.view.Call().State == line.CallHeld })
	_, bw := h.ring("Alice", "203", "")
	test.Tap(button(t, bw.view, "Answer"))
	h.until("the menu offers the conference", func() bool { return hasPrefix(h.menuLabels("Alice"), "Conference") })
	h.phone.Fail("Conference", fmt.Errorf("conference: %w", api.ErrCallState))
	h.menuItem("Alice", "Conference")
	h.until("the refusal shows", func() bool { return strings.Contains(texts(aw.view)+texts(bw.view), "Conference: conference:") })
	h.phone.Fail("Conference", nil)
	h.menuItem("Alice", "Conference")
	h.until("both in the conference", func() bool { return aw.view.Call().Conference != "" && bw.view.Call().Conference != "" })
}
