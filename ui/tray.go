package ui

import (
	"os"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// The keyboard shortcuts, in the main window and in every conversation window.
var (
	// shortcutDial puts the cursor in the dial field (Ctrl+L, as a browser's address bar).
	shortcutDial = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}
	// shortcutAnswer answers the call ringing longest.
	shortcutAnswer = &desktop.CustomShortcut{KeyName: fyne.KeyA, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	// shortcutHangUp ends the call of the focused conversation window, else the newest call.
	shortcutHangUp = &desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
)

func (u *UI) addShortcuts(w fyne.Window) {
	c := w.Canvas()
	c.AddShortcut(shortcutDial, func(fyne.Shortcut) { u.mv.focusDial() })
	c.AddShortcut(shortcutAnswer, func(fyne.Shortcut) { u.answerRinging() })
	c.AddShortcut(shortcutHangUp, func(fyne.Shortcut) { u.hangUpCurrent(w) })
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

// setupTray puts Lineup into the system tray where the desktop has one. On Linux and the BSDs
// the tray needs a session D-Bus; without one (a bare X server) Fyne's tray crashes at quit, so
// there is no tray then.
func (u *UI) setupTray() {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		u.log.Info("no system tray: no session D-Bus")
		return
	}
	if d, ok := u.app.(desktop.App); ok {
		u.tray = d
		d.SetSystemTrayIcon(u.appIcon)
		d.SetSystemTrayWindow(u.main)
	}
	u.updateTray()
}

// trayMenu is the tray's menu: the main window, the status choices (the current one checked)
// and, while a call rings, Answer.
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
	return fyne.NewMenu("Lineup", items...)
}

func (u *UI) updateTray() {
	if u.tray != nil {
		u.tray.SetSystemTrayMenu(u.trayMenu())
	}
}
