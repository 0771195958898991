package ui

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lineupphone/lineup/api/apitest"
)

// fakeAutostart records what the Desktop tab sets.
type fakeAutostart struct {
	mu     sync.Mutex
	on     bool
	sets   []bool
	setErr error
}

func (f *fakeAutostart) Enabled() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.on, nil
}

func (f *fakeAutostart) SetEnabled(on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	f.sets = append(f.sets, on)
	f.on = on
	return nil
}

func openDesktopTab(t *testing.T, as Autostart) (*harness, *settingsEditor) {
	t.Helper()
	p := apitest.New(settingsConfig())
	h := newHarnessOn(t, p, 2)
	h.phone = p
	h.u.autostart = as
	var s *settingsEditor
	h.u.openSettings(func(e *settingsEditor) { s = e })
	h.until("the settings window opens", func() bool { return s != nil })
	s.tabs.SelectIndex(len(s.tabs.Items) - 1)
	return h, s
}

// Start with the session is off by default, shows what the system says, and is written at Save
// only: Cancel leaves it, and a refusal keeps the window open with the reason.
func TestDesktopTabStartsWithTheSession(t *testing.T) {
	as := &fakeAutostart{}
	h, s := openDesktopTab(t, as)
	if s.tabs.Selected().Text != "Desktop" || s.d.check == nil || s.d.check.Checked {
		t.Fatalf("the Desktop tab: %q, check %v; want it shown unchecked", s.tabs.Selected().Text, s.d.check)
	}
	s.d.check.SetChecked(true)
	test.Tap(button(t, s.win.Content(), "Cancel"))
	h.settle()
	if len(as.sets) != 0 {
		t.Fatalf("Cancel changed the autostart: %v", as.sets)
	}

	s = nil
	h.u.openSettings(func(e *settingsEditor) { s = e })
	h.until("the settings window opens again", func() bool { return s != nil })
	s.d.check.SetChecked(true)
	h.saved(s)
	if len(as.sets) != 1 || !as.sets[0] {
		t.Errorf("Save set the autostart %v, want on once", as.sets)
	}

	// Open again: the tab shows it on; switching it off with a refusal says why.
	h2, s2 := openDesktopTab(t, &fakeAutostart{on: true, setErr: errors.New("permission denied")})
	if !s2.d.check.Checked {
		t.Error("an app that starts with the session shows unchecked")
	}
	s2.d.check.SetChecked(false)
	test.Tap(button(t, s2.win.Content(), "Save"))
	h2.until("the refusal shows", func() bool { return s2.summary.Visible() })
	if !strings.Contains(s2.summary.Text, "start with the session: permission denied") {
		t.Errorf("the refusal reads %q", s2.summary.Text)
	}
}

func TestDesktopTabWithoutAutostart(t *testing.T) {
	_, s := openDesktopTab(t, nil)
	if all := texts(s.win.Content()); !strings.Contains(all, "not offered on this system") {
		t.Errorf("the Desktop tab without autostart shows:\n%s", all)
	}
}

// TestDesktopTabScreenshot renders the Desktop tab as settings-desktop.png (see
// TestSettingsScreenshots).
func TestDesktopTabScreenshot(t *testing.T) {
	h, s := openDesktopTab(t, &fakeAutostart{on: true})
	h.u.app.Settings().SetTheme(theme.DefaultTheme())
	s.win.Resize(fyne.NewSize(640, 600))
	shoot(t, s.win, "settings-desktop.png")
}
