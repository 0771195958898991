package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Autostart is starting the app with the user's session: an XDG autostart entry on Linux, the
// Run key on Windows, a launch agent on macOS. The binary wires the platform's; its calls touch
// only the user's own files or registry and return at once.
type Autostart interface {
	// Enabled reports whether the app starts with the session now.
	Enabled() (bool, error)
	// SetEnabled makes it start with the session, or not.
	SetEnabled(on bool) error
}

// settingsDesktop is the Desktop tab: what the app does on the user's desktop beyond its
// windows. Its state is the system's (the autostart entry), read when the window opens and
// written at Save when changed.
type settingsDesktop struct {
	saved, on bool
	readErr   error
	check     *widget.Check
}

func (s *settingsEditor) desktopTab() fyne.CanvasObject {
	d := &s.d
	box := container.NewVBox()
	if s.u.autostart == nil {
		box.Add(widget.NewLabel("Starting with the session is not offered on this system."))
		return container.NewVScroll(box)
	}
	d.saved, d.readErr = s.u.autostart.Enabled()
	d.on = d.saved
	d.check = widget.NewCheck("Start Lineup when I log in", nil)
	d.check.Checked = d.on // before OnChanged: showing the state is no edit
	d.check.OnChanged = func(on bool) {
		d.on = on
		s.changed()
	}
	hint := widget.NewLabel("Lineup then opens with the session and registers its lines, so calls ring without a start by hand. Off by default.")
	hint.Wrapping = fyne.TextWrapWord
	box.Add(section("Start", "", container.NewVBox(d.check, hint)))
	if d.readErr != nil {
		box.Add(dangerLabel("Whether Lineup starts with the session cannot be read: " + d.readErr.Error()))
	}
	return container.NewVScroll(box)
}

// autostartToSave returns what Save does for the Desktop tab, or nil when nothing changed.
func (s *settingsEditor) autostartToSave() func() error {
	d := &s.d
	if s.u.autostart == nil || d.check == nil || d.on == d.saved {
		return nil
	}
	as, on := s.u.autostart, d.on
	return func() error {
		if err := as.SetEnabled(on); err != nil {
			return fmt.Errorf("start with the session: %w", err)
		}
		return nil
	}
}
