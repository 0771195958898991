package main

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The titles of the app's settings and journal windows (ui/settings.go, ui/journal.go).
const (
	settingsTitle = "Lineup settings"
	journalTitle  = "Lineup journal"
)

// settingsTabs name the settings window's tabs in their order, for the screenshots'
// names (settings-NAME-THEME.png). A new tab needs one more name here: the test checks that
// Ctrl+PageDown comes back to the first tab after this many steps.
var settingsTabs = []string{"groups", "lines", "locations", "audio", "desktop"}

// editorsAndJournal opens the settings window with Ctrl+, in the main window and takes a
// screenshot of each of its tabs, going on with Ctrl+PageDown; closes it with the keyboard
// (Shift+Tab to Cancel, Space) and checks that nothing was saved; then opens the journal with
// Ctrl+J and takes a screenshot of it. log is the app's log so far.
func editorsAndJournal(t *testing.T, display, th string, dirs []string, log func() string) {
	// Keep the pointer off the windows, so that no hover shows in the pictures.
	xdotool(t, display, "mousemove", strconv.Itoa(screenW-1), strconv.Itoa(screenH-1))
	main := windowID(t, display, "Lineup")

	xdotool(t, display, "key", "--window", main, "ctrl+comma")
	area := windowArea(t, display, settingsTitle)
	settings := windowID(t, display, settingsTitle)
	first := stablePicture(t, display, area)
	save(t, dirs, "settings-"+settingsTabs[0]+"-"+th+".png", first)
	prev := first
	for i := 1; i <= len(settingsTabs); i++ {
		xdotool(t, display, "key", "--window", settings, "ctrl+Next")
		img := nextPicture(t, display, area, prev, fmt.Sprintf("Ctrl+PageDown to change the settings tab (step %d)", i))
		if i == len(settingsTabs) {
			if !same(img, first) {
				save(t, dirs, "settings-after-last-"+th+".png", img)
				t.Errorf("after %d steps Ctrl+PageDown does not show the first tab again: does settingsTabs miss a tab?", i)
			}
			break
		}
		save(t, dirs, "settings-"+settingsTabs[i]+"-"+th+".png", img)
		prev = img
	}

	// Cancel is the last but one control that Tab reaches (Save is the last).
	applied := strings.Count(log(), "settings applied")
	xdotool(t, display, "key", "--window", settings, "shift+Tab", "shift+Tab")
	// Only the key press: the window is gone before a release could reach it.
	xdotool(t, display, "keydown", "--window", settings, "space")
	waitNoWindow(t, display, settingsTitle)
	if strings.Count(log(), "settings applied") != applied {
		t.Error("closing the settings window with Cancel saved the settings")
	}

	xdotool(t, display, "key", "--window", main, "ctrl+j")
	journal := stablePicture(t, display, windowArea(t, display, journalTitle))
	save(t, dirs, "journal-"+th+".png", journal)
	if same(journal, first) {
		t.Error("the journal window looks like the settings window")
	}
}

// xdotool runs xdotool with args on display.
func xdotool(t testing.TB, display string, args ...string) string {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// windowID waits for a shown window titled exactly title and returns its X window ID.
func windowID(t testing.TB, display, title string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ids := searchWindows(display, title)
		if len(ids) > 0 {
			return ids[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no window %q on the screen", title)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// searchWindows lists the shown windows titled exactly title (xdotool exits with 1 for none).
func searchWindows(display, title string) []string {
	cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(title)+"$")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	out, _ := cmd.Output()
	return strings.Fields(string(out))
}

// waitNoWindow waits until no window titled title is shown.
func waitNoWindow(t testing.TB, display, title string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(searchWindows(display, title)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the window %q is still shown", title)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nextPicture waits until the area of the screen shows something other than prev, steady,
// and returns it; what says what should have changed it.
func nextPicture(t testing.TB, display string, area image.Rectangle, prev image.Image, what string) image.Image {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		img := stablePicture(t, display, area)
		if !same(img, prev) {
			return img
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing changed on the screen after %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
