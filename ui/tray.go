package ui

import (
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
)

// The keyboard shortcuts, in the main window and in every conversation window. Like every
// shortcut of Fyne's canvas, they do not reach the window while a text field has the keyboard
// focus (the field takes them).
var (
	// shortcutDial puts the cursor in the dial field (Ctrl+L, as a browser's address bar).
	shortcutDial = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	// shortcutAnswer answers the call ringing longest.
	shortcutAnswer = &desktop.CustomShortcut{KeyName: fyne.KeyA, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	// shortcutHangUp ends the call of the focused conversation window, else the newest call.
	shortcutHangUp = &desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	// shortcutSettings opens the settings window (Ctrl+, as many desktop programs' preferences).
	shortcutSettings = &desktop.CustomShortcut{KeyName: fyne.KeyComma, Modifier: fyne.KeyModifierShortcutDefault}
	// shortcutJournal opens the journal window (Ctrl+J: J for journal).
	shortcutJournal = &desktop.CustomShortcut{KeyName: fyne.KeyJ, Modifier: fyne.KeyModifierShortcutDefault}
)

// The shortcuts of a window with tabs (the settings window): the next and the previous tab, as
// in browsers and editors, wrapping around at the ends. They are Ctrl+PageDown and Ctrl+PageUp on
// every system (on macOS too, where browsers know them as well).
var (
	shortcutNextTab = &desktop.CustomShortcut{KeyName: fyne.KeyPageDown, Modifier: fyne.KeyModifierControl}
	shortcutPrevTab = &desktop.CustomShortcut{KeyName: fyne.KeyPageUp, Modifier: fyne.KeyModifierControl}
)

func (u *UI) addShortcuts(w fyne.Window) {
	c := w.Canvas()
	c.AddShortcut(shortcutDial, func(fyne.Shortcut) { u.mv.focusDial() })
	c.AddShortcut(shortcutAnswer, func(fyne.Shortcut) { u.answerRinging() })
	c.AddShortcut(shortcutHangUp, func(fyne.Shortcut) { u.hangUpCurrent(w) })
	c.AddShortcut(shortcutSettings, func(fyne.Shortcut) { u.openSettings(nil) })
	c.AddShortcut(shortcutJournal, func(fyne.Shortcut) { u.mv.openJournal() })
}

// shortcutClose closes a settings or journal window (Ctrl+W, as a browser's tab or an editor's
// document).
var shortcutClose = &desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault}

// addCloseShortcut lets Ctrl+W close w. The settings window closes as with Cancel.
func addCloseShortcut(w fyne.Window) {
	w.Canvas().AddShortcut(shortcutClose, func(fyne.Shortcut) { w.Close() })
}

// addTabShortcuts lets Ctrl+PageDown and Ctrl+PageUp in w select the next and the previous of
// tabs, wrapping around.
func addTabShortcuts(w fyne.Window, tabs *container.AppTabs) {
	step := func(by int) {
		n := len(tabs.Items)
		if n == 0 {
			return
		}
		i := tabs.SelectedIndex()
		if i < 0 { // none selected: start at the first
			tabs.SelectIndex(0)
			return
		}
		tabs.SelectIndex(((i+by)%n + n) % n)
	}
	c := w.Canvas()
	c.AddShortcut(shortcutNextTab, func(fyne.Shortcut) { step(1) })
	c.AddShortcut(shortcutPrevTab, func(fyne.Shortcut) { step(-1) })
}

// answerRinging answers the call ringing longest, if any.
func (u *UI) answerRinging() {
	c, ok := u.ringingCall()
	if !ok {
		return
	}
	if cw := u.wins[c.ID]; cw != nil {
		cw.view.act.Answer()
		return
	}
	u.showCall(c.ID)
	if cw := u.wins[c.ID]; cw != nil {
		cw.view.act.Answer()
	}
}

// hangUpCurrent ends the call of w, or the newest call.
func (u *UI) hangUpCurrent(w fyne.Window) {
	c, ok := u.currentCall(w)
	if !ok {
		return
	}
	if cw := u.wins[c.ID]; cw != nil {
		cw.view.act.HangUp()
		return
	}
	u.showCall(c.ID)
	if cw := u.wins[c.ID]; cw != nil {
		cw.view.act.HangUp()
	}
}

// hasSessionBus reports whether the tray and desktop notifications can work: Windows and macOS
// have their own; Linux and the BSDs need a session D-Bus (DBUS_SESSION_BUS_ADDRESS).
func hasSessionBus() bool {
	return runtime.GOOS == "windows" || runtime.GOOS == "darwin" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

// Notify shows a desktop notification where the desktop has them. Without a session D-Bus it
// does nothing: setupTray said so once in the log, and Fyne's own error text (it tries to start
// a bus) stays off the terminal. Safe from any goroutine.
func (u *UI) Notify(title, body string) {
	if u.notifies {
		u.app.SendNotification(fyne.NewNotification(title, body))
	}
}

// setupTray puts Lineup into the system tray where the desktop has one. On Linux and the BSDs
// the tray needs a session D-Bus; without one (a bare X server) Fyne's tray crashes at quit, so
// there is no tray then.
func (u *UI) setupTray() {
	if !hasSessionBus() {
		u.log.Info("no system tray and no desktop notifications: no session D-Bus")
		return
	}
	if d, ok := u.app.(desktop.App); ok {
		u.tray = d
		d.SetSystemTrayIcon(u.appIcon)
		d.SetSystemTrayWindow(u.main)
	}
	u.updateTray()
}

// trayMenu is the tray's menu: the main window, the status choices (the current one checked),
// while a call rings Answer, and Quit.
func (u *UI) trayMenu() *fyne.Menu {
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Show Lineup", func() { u.main.Show(); u.main.RequestFocus() }),
		fyne.NewMenuItemSeparator(),
	}
	if c, ok := u.ringingCall(); ok {
		items = append(items, fyne.NewMenuItem("Answer "+partyName(c), u.answerRinging), fyne.NewMenuItemSeparator())
	}
	for i, n := range statusNames {
		st := Status(i)
		it := fyne.NewMenuItem(n, func() { u.SetStatus(st) })
		it.Checked = u.status == st
		items = append(items, it)
	}
	// Fyne adds a Quit of its own only after it showed the menu, so each new menu would lack
	// one until the next: the menu brings its own.
	quit := fyne.NewMenuItem("Quit", func() { u.app.Quit() })
	quit.IsQuit = true
	items = append(items, fyne.NewMenuItemSeparator(), quit)
	return fyne.NewMenu("Lineup", items...)
}

func (u *UI) updateTray() {
	if u.tray != nil {
		u.tray.SetSystemTrayMenu(u.trayMenu())
	}
}
