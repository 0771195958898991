package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// lineLamps is the row of lamps under a line's head: the voicemail lamp (its counts; a click
// calls the voicemail box) and a busy lamp per extension the group monitors (a coloured dot and
// the state in words; a click on a ringing one picks the call up, opening its window).
type lineLamps struct {
	u        *UI
	lineName string
	vm       *widget.Button
	blf      *fyne.Container
	pool     []*busyLamp
	box      *fyne.Container
}

func newLineLamps(u *UI) *lineLamps {
	ll := &lineLamps{u: u}
	ll.vm = widget.NewButtonWithIcon("", theme.MailComposeIcon(), func() { u.voicemail(ll.lineName) })
	ll.vm.Importance = widget.LowImportance
	ll.blf = container.NewHBox()
	ll.box = container.NewHBox(ll.vm, ll.blf)
	return ll
}

// voicemailText is the voicemail lamp's words, e.g. "2 new, 5 old".
func voicemailText(v api.Voicemail) string {
	switch {
	case v.New > 0:
		return fmt.Sprintf("%d new, %d old", v.New, v.Old)
	case v.Waiting:
		return "Messages waiting"
	case v.Old > 0:
		return fmt.Sprintf("No new, %d old", v.Old)
	}
	return "No messages"
}

// set shows the line's lamps; it reports whether the row shows any.
func (ll *lineLamps) set(l api.Line) bool {
	ll.lineName = l.Name
	canCall := offers(l.Functions, line.FuncVoicemail)
	showVM := l.Voicemail.Known || canCall
	if showVM {
		text := "Voicemail"
		if l.Voicemail.Known {
			text = voicemailText(l.Voicemail)
		}
		ll.vm.SetText(text)
		if l.Voicemail.New > 0 || l.Voicemail.Waiting {
			ll.vm.Importance = widget.WarningImportance
		} else {
			ll.vm.Importance = widget.LowImportance
		}
		if canCall {
			ll.vm.Enable()
		} else {
			ll.vm.Disable()
		}
		ll.vm.Refresh()
	}
	show(ll.vm, showVM)
	ll.blf.RemoveAll()
	for i, lp := range l.Lamps {
		if i == len(ll.pool) {
			ll.pool = append(ll.pool, newBusyLamp())
		}
		b := ll.pool[i]
		ext := lp.Extension
		pick := lp.State == api.LampRinging && offers(l.Functions, line.FuncPickup)
		var tap func()
		if pick {
			name := l.Name
			tap = func() { ll.u.pickup(name, ext) }
		}
		b.set(lp, tap)
		ll.blf.Add(b)
	}
	ll.blf.Refresh()
	on := showVM || len(l.Lamps) > 0
	show(ll.box, on)
	return on
}

// busyLamp is one monitored extension: a dot (grey unknown, green idle, amber ringing, red busy)
// and "202 ringing" beside it, so that the state reads without the colour.
type busyLamp struct {
	widget.BaseWidget
	dot   *canvas.Circle
	label *widget.Label
	tap   func()
	box   *fyne.Container
}

func newBusyLamp() *busyLamp {
	b := &busyLamp{dot: canvas.NewCircle(color.Transparent), label: widget.NewLabel("")}
	b.label.SizeName = theme.SizeNameCaptionText
	dot := container.NewGridWrap(fyne.NewSquareSize(theme.Size(theme.SizeNameInlineIcon)*0.6), b.dot)
	b.box = container.NewHBox(container.NewCenter(dot), b.label)
	b.ExtendBaseWidget(b)
	return b
}

func lampColour(s api.LampState) fyne.ThemeColorName {
	switch s {
	case api.LampIdle:
		return theme.ColorNameSuccess
	case api.LampRinging:
		return theme.ColorNameWarning
	case api.LampBusy:
		return theme.ColorNameError
	}
	return theme.ColorNameDisabled
}

func lampWords(l api.Lamp) string {
	w := l.State.String()
	if l.State == api.LampRinging {
		w = "ringing – pick up"
	}
	return strings.TrimSpace(l.Extension + " " + w)
}

func (b *busyLamp) set(l api.Lamp, tap func()) {
	b.dot.FillColor = theme.Color(lampColour(l.State))
	b.dot.Refresh()
	b.label.SetText(lampWords(l))
	if l.State == api.LampRinging {
		b.label.Importance = widget.WarningImportance
		b.label.TextStyle = fyne.TextStyle{Bold: true}
	} else {
		b.label.Importance = widget.MediumImportance
		b.label.TextStyle = fyne.TextStyle{}
	}
	b.label.Refresh()
	b.tap = tap
}

// Text is what the lamp says.
func (b *busyLamp) Text() string { return b.label.Text }

// Tapped picks the call up when the extension rings.
func (b *busyLamp) Tapped(*fyne.PointEvent) {
	if b.tap != nil {
		b.tap()
	}
}

// CreateRenderer is part of fyne.Widget.
func (b *busyLamp) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.box) }

// voicemail calls the line's voicemail box; the call's window opens with its first event.
func (u *UI) voicemail(lineName string) {
	u.act(nil, "Voicemail", func(ctx context.Context, s api.Session) error {
		_, err := s.Voicemail(ctx, lineName)
		return err
	}, nil)
}
