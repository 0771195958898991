package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
)

// audioTabIndex is the Audio tab's place among the settings window's tabs.
const audioTabIndex = 3

// The level meter's scale, in dBFS: a speaking voice close to a microphone shows around the
// middle, and anything below the bottom shows as silence.
const (
	meterFloor = -60.0
	meterTop   = 0.0
)

// settingsAudio is the Audio tab: the microphone and the speaker or headset of calls, the ringer
// device, a test tone for each playback device and a level meter for the microphone. The choice is
// edited on a copy that the window's Save hands to api.Audio.Choose. The meter runs only while the
// tab shows in the open window.
type settingsAudio struct {
	box *fyne.Container

	devs    api.AudioDevices // as last listed
	listErr error            // the last listing failed
	loaded  bool             // devices were listed once: choice holds the edited copy
	listing bool             // a listing is under way
	saved   api.AudioChoice  // the choice in use when first listed
	choice  api.AudioChoice  // the edited copy

	capture, playback, ringer *widget.Select
	testCall, testRinger      *widget.Button
	toneMsg                   *widget.Label
	playing                   bool // a test tone plays

	meter    *widget.ProgressBar
	meterMsg *widget.Label
	level    float64 // what the meter shows, in dBFS
	// stopMeter stops the meter's goroutine; nil while none runs. meterFor is the microphone it
	// measures, and meterGen counts meters started and stopped, so that a level posted by a
	// meter already stopped is not shown.
	stopMeter func()
	meterFor  string
	meterGen  int

	closed bool // the window closed
}

func (s *settingsEditor) audioTab() fyne.CanvasObject {
	s.a.box = container.NewVBox()
	return container.NewVScroll(s.a.box)
}

// buildAudio lays out the tab and lists the devices anew (one may have been plugged in since).
func (s *settingsEditor) buildAudio() {
	a := &s.a
	if s.u.audio == nil {
		why := s.u.noAudio
		if why == "" {
			why = "the app runs without sound devices"
		}
		a.box.RemoveAll()
		l := widget.NewLabel("Sound is off: " + why + ". Calls can be made and taken on the lines, but not heard here.")
		l.Wrapping = fyne.TextWrapWord
		a.box.Add(l)
		a.box.Refresh()
		return
	}
	s.layoutAudio()
	if a.listing {
		return
	}
	a.listing = true
	audio := s.u.audio
	var devs api.AudioDevices
	s.u.b.run(func(ctx context.Context) error {
		var err error
		devs, err = audio.Devices(ctx)
		return err
	}, func(err error) {
		a.listing = false
		if a.closed {
			return
		}
		a.listErr = err
		if err == nil {
			a.devs = devs
			if !a.loaded {
				a.loaded = true
				a.saved, a.choice = devs.Choice, devs.Choice
			}
		}
		if s.tabs.SelectedIndex() == audioTabIndex {
			s.layoutAudio()
			s.syncMeter()
		}
	})
}

// layoutAudio lays out the tab on the devices as last listed.
func (s *settingsEditor) layoutAudio() {
	a := &s.a
	a.box.RemoveAll()
	defer a.box.Refresh()
	if a.listErr != nil {
		a.box.Add(dangerLabel("The sound devices cannot be listed: " + a.listErr.Error()))
	}
	if !a.loaded {
		if a.listErr == nil {
			a.box.Add(widget.NewLabel("Looking for sound devices…"))
		}
		return
	}
	a.capture = deviceSelect(a.devs.Capture, &a.choice.CallCapture, s.syncMeter)
	a.playback = deviceSelect(a.devs.Playback, &a.choice.CallPlayback, nil)
	a.ringer = deviceSelect(a.devs.Playback, &a.choice.Ringer, nil)
	a.testCall = widget.NewButtonWithIcon("Play test tone", theme.MediaPlayIcon(), func() { s.playTone(a.choice.CallPlayback) })
	a.testRinger = widget.NewButtonWithIcon("Play test tone", theme.MediaPlayIcon(), func() { s.playTone(a.choice.Ringer) })
	if a.playing {
		a.testCall.Disable()
		a.testRinger.Disable()
	}
	a.toneMsg = dangerLabel("")
	a.toneMsg.Hide()
	a.meter = widget.NewProgressBar()
	a.meter.Min, a.meter.Max = meterFloor, meterTop
	a.meter.TextFormatter = func() string {
		if a.level <= meterFloor {
			return "silence"
		}
		return fmt.Sprintf("%.0f dBFS", a.level)
	}
	a.level = meterFloor
	a.meter.SetValue(meterFloor)
	a.meterMsg = dangerLabel("")
	a.meterMsg.Hide()

	withButton := func(sel *widget.Select, b *widget.Button) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, b, sel)
	}
	a.box.Add(section("Sound devices", "", form(
		widget.NewLabel("Call microphone"), a.capture,
		widget.NewLabel("Input level"), container.NewVBox(a.meter, a.meterMsg),
		widget.NewLabel("Call speaker or headset"), withButton(a.playback, a.testCall),
		widget.NewLabel("Ringer"), withButton(a.ringer, a.testRinger),
	)))
	a.box.Add(a.toneMsg)
	if len(a.devs.Problems) > 0 {
		a.box.Add(dangerLabel(strings.Join(a.devs.Problems, "\n")))
	}
	hint := widget.NewLabel("Save uses the devices chosen here from the next call on.")
	hint.Wrapping = fyne.TextWrapWord
	a.box.Add(hint)
}

// deviceSelect chooses one of list into *id: "System default" (an empty ID) first, then the
// devices by name, the system's default marked. A chosen device that is not attached shows as
// such. changed, when set, runs after each choice.
func deviceSelect(list []api.AudioDevice, id *string, changed func()) *widget.Select {
	opts := []string{"System default"}
	ids := []string{""}
	for _, d := range list {
		name := d.Name
		if d.Default {
			name += " (system default)"
		}
		if slices.Contains(opts, name) { // two devices of the same name: tell them apart
			name += " [" + d.ID + "]"
		}
		opts = append(opts, name)
		ids = append(ids, d.ID)
	}
	at := slices.Index(ids, *id)
	if at < 0 {
		opts = append(opts, fmt.Sprintf("Not attached: %s", *id))
		ids = append(ids, *id)
		at = len(opts) - 1
	}
	sel := widget.NewSelect(opts, nil)
	sel.SetSelected(opts[at])
	sel.OnChanged = func(v string) {
		if i := slices.Index(opts, v); i >= 0 {
			*id = ids[i]
		}
		if changed != nil {
			changed()
		}
	}
	return sel
}

// dangerLabel is a wrapping label in the colour of errors.
func dangerLabel(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	return l
}

// playTone plays the test tone on the playback device with this ID; both test buttons are
// disabled meanwhile, so that two tones never play at once.
func (s *settingsEditor) playTone(id string) {
	a := &s.a
	if a.playing || s.u.audio == nil {
		return
	}
	a.playing = true
	a.testCall.Disable()
	a.testRinger.Disable()
	a.toneMsg.Hide()
	audio := s.u.audio
	s.u.b.run(func(ctx context.Context) error {
		return audio.TestTone(ctx, id)
	}, func(err error) {
		a.playing = false
		if a.closed {
			return
		}
		a.testCall.Enable()
		a.testRinger.Enable()
		if err != nil {
			a.toneMsg.SetText("Test tone: " + err.Error())
			a.toneMsg.Show()
		}
	})
}

// syncMeter runs the level meter for the chosen microphone while the Audio tab shows in the open
// window, and stops it otherwise.
func (s *settingsEditor) syncMeter() {
	a := &s.a
	want := !a.closed && s.u.audio != nil && a.loaded && s.tabs.SelectedIndex() == audioTabIndex
	if a.stopMeter != nil && (!want || a.meterFor != a.choice.CallCapture) {
		a.stopMeter()
		a.stopMeter = nil
		a.meterGen++
	}
	if !want || a.stopMeter != nil {
		return
	}
	a.meterGen++
	gen, id, audio, b := a.meterGen, a.choice.CallCapture, s.u.audio, s.u.b
	live := func() bool { return a.meterGen == gen }
	a.meterFor = id
	a.meterMsg.Hide()
	s.showLevel(meterFloor)
	a.stopMeter = b.until(func(ctx context.Context) {
		err := audio.InputLevel(ctx, id, func(dbfs float64) {
			b.post(func() {
				if live() {
					s.showLevel(dbfs)
				}
			})
		})
		if err != nil {
			b.post(func() {
				if live() {
					a.meterMsg.SetText("No input level: " + err.Error())
					a.meterMsg.Show()
					s.showLevel(meterFloor)
				}
			})
		}
	})
}

// showLevel shows a level on the meter.
func (s *settingsEditor) showLevel(dbfs float64) {
	a := &s.a
	if a.meter == nil {
		return
	}
	a.level = max(meterFloor, min(meterTop, dbfs))
	a.meter.SetValue(a.level)
}

// audioClosed runs when the window closes: the meter stops.
func (s *settingsEditor) audioClosed() {
	s.a.closed = true
	s.syncMeter()
}

// audioToSave returns what Save does for the Audio tab: choose the devices edited, or nil when
// they are as they were.
func (s *settingsEditor) audioToSave() func(ctx context.Context) error {
	a := &s.a
	if s.u.audio == nil || !a.loaded || a.choice == a.saved {
		return nil
	}
	audio, c := s.u.audio, a.choice
	return func(ctx context.Context) error {
		if err := audio.Choose(ctx, c); err != nil {
			return fmt.Errorf("sound devices: %w", err)
		}
		return nil
	}
}
