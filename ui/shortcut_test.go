package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

// press types shortcut into window w as the keyboard would.
func press(w fyne.Window, shortcut fyne.Shortcut) {
	w.Canvas().(fyne.Shortcutable).TypedShortcut(shortcut)
}

func TestShortcutsOpenSettingsAndJournal(t *testing.T) {
	h := newHarness(t)
	press(h.u.Window(), shortcutSettings)
	h.until("Ctrl+, opens the settings window", func() bool { return settingsWindows(h) == 1 })

	press(h.u.Window(), shortcutJournal)
	h.until("Ctrl+J opens the journal", func() bool { return h.u.mv.journal != nil })
	j := h.u.mv.journal
	if j.win.Title() != "Lineup journal" {
		t.Errorf("Ctrl+J opened %q", j.win.Title())
	}
	h.until("the journal has read the entries", func() bool { return j.done })

	// In a conversation window the same keys bring the open windows up again, no second copy.
	c, cw := h.ring("Alice", "+493012345", "Anna Berg")
	if cw == nil || c.State != line.CallRinging {
		t.Fatalf("no conversation window for the ringing call: %+v", c)
	}
	press(cw.w, shortcutSettings)
	press(cw.w, shortcutJournal)
	h.settle()
	if n := settingsWindows(h); n != 1 {
		t.Errorf("%d settings windows after Ctrl+, with one open, want 1", n)
	}
	if h.u.mv.journal != j {
		t.Error("Ctrl+J with the journal open opened another journal")
	}
}

// tabText is the text of the settings window's selected tab, as the user sees it.
func tabText(s *settingsEditor) string {
	return s.tabs.Selected().Text + "\n" + texts(s.tabs.Selected().Content) + "\n" + selects(s.tabs.Selected().Content)
}

// selects is what the select boxes shown in o show, one a line.
func selects(o fyne.CanvasObject) string {
	var out []string
	visible(o, func(c fyne.CanvasObject) {
		if sel, ok := c.(*widget.Select); ok && sel.Selected != "" {
			out = append(out, sel.Selected)
		}
	})
	return strings.Join(out, "\n")
}

func TestSettingsTabShortcutsCycle(t *testing.T) {
	h, s := openEditor(t)
	n := len(s.tabs.Items)
	if n < 2 {
		t.Fatalf("the settings window has %d tabs", n)
	}
	if s.tabs.SelectedIndex() != 0 {
		t.Fatalf("the settings window opens on tab %d", s.tabs.SelectedIndex())
	}
	seen := map[string]int{tabText(s): 0}
	// Ctrl+PageDown goes through every tab and from the last back to the first.
	for k := 1; k <= n; k++ {
		press(s.win, shortcutNextTab)
		h.settle()
		if got, want := s.tabs.SelectedIndex(), k%n; got != want {
			t.Fatalf("Ctrl+PageDown %d times selects tab %d, want %d", k, got, want)
		}
		txt := tabText(s)
		if prev, ok := seen[txt]; ok && k < n {
			t.Errorf("tab %d shows what tab %d showed:\n%s", k, prev, txt)
		}
		seen[txt] = k
	}
	// Ctrl+PageUp goes back, from the first to the last.
	for k := 1; k <= n; k++ {
		press(s.win, shortcutPrevTab)
		h.settle()
		if got, want := s.tabs.SelectedIndex(), (n-k)%n; got != want {
			t.Fatalf("Ctrl+PageUp %d times selects tab %d, want %d", k, got, want)
		}
	}
	// The Lines tab is built afresh when it is chosen by key: it shows the first line.
	for i := 0; i < n && s.tabs.Selected().Text != "Lines"; i++ {
		press(s.win, shortcutNextTab)
		h.settle()
	}
	if !strings.Contains(tabText(s), "Alice") {
		t.Errorf("the Lines tab chosen by key does not show the first line:\n%s", tabText(s))
	}
}

// TestCloseShortcutClosesSettingsAndJournal: Ctrl+W closes the settings window as Cancel does
// (nothing saved) and the journal window.
func TestCloseShortcutClosesSettingsAndJournal(t *testing.T) {
	h, s := openEditor(t)
	s.g.name.SetText("Renamed")
	press(s.win, shortcutClose)
	h.until("Ctrl+W closes the settings window", func() bool { return settingsWindows(h) == 0 })
	if n := h.count("SaveConfig"); n != 0 {
		t.Errorf("closing the settings window with Ctrl+W saved %d times", n)
	}
	h.u.mv.openJournal()
	j := h.u.mv.journal
	press(j.win, shortcutClose)
	h.until("Ctrl+W closes the journal", func() bool { return j.closed })
}
