package ui

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// TestSettingsScreenshots renders each tab of the settings window, with a message showing on the
// group tab and the rule tester in use, as PNG files: in the test's temporary directory, and in
// $LINEUP_ARTEFACTS when set, for a person to look at.
func TestSettingsScreenshots(t *testing.T) {
	h, s := openEditor(t)
	h.u.app.Settings().SetTheme(theme.DefaultTheme())
	s.win.Resize(fyne.NewSize(640, 1900))
	s.g.pickup.SetText("")
	test.Type(s.g.pickup, "*59")
	shoot(t, s.win, "settings-group.png")
	s.tabs.SelectIndex(1)
	shoot(t, s.win, "settings-line.png")
	s.tabs.SelectIndex(2)
	test.Type(s.o.test, "201")
	shoot(t, s.win, "settings-location.png")
}

func shoot(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	img := w.Canvas().Capture()
	if colours(img) < 3 {
		t.Errorf("%s is blank", name)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("LINEUP_ARTEFACTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		f, err := os.Create(filepath.Join(d, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// colours counts the distinct colours of img, up to a few.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 10; y += 3 {
		for x := b.Min.X; x < b.Max.X && len(seen) < 10; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
		}
	}
	return len(seen)
}
