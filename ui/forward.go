package ui

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// The line menu's "Forward calls…" dialog and "Call waiting" switch (issue 14).

// forwardModeLabels are the choices of the dialog, in ForwardMode order.
var forwardModeLabels = []string{
	line.ForwardOff:      "Off",
	line.ForwardAlways:   "All calls",
	line.ForwardBusy:     "When the line is busy",
	line.ForwardNoAnswer: "When not answered",
}

// forwardDialog is the open "Forward calls…" dialog; its fields are kept for the tests.
type forwardDialog struct {
	d      *dialog.CustomDialog
	mode   *widget.Select
	target *widget.Entry
	after  *widget.Entry
	// targetErr, afterErr and err show what the line server refused, by field.
	targetErr, afterErr, err *widget.Label
	save                     *widget.Button
}

// askForward opens the forwarding dialog of a line, filled with its rule.
func (u *UI) askForward(l api.Line) *forwardDialog {
	fd := &forwardDialog{}
	errLabel := func() *widget.Label {
		e := widget.NewLabel("")
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		e.Hide()
		return e
	}
	fd.targetErr, fd.afterErr, fd.err = errLabel(), errLabel(), errLabel()
	fd.target = widget.NewEntry()
	fd.target.SetPlaceHolder("Number or sip: address")
	fd.target.SetText(l.Forward.Target)
	fd.after = widget.NewEntry()
	fd.after.SetPlaceHolder(strconv.Itoa(line.DefaultForwardAfter))
	if l.Forward.After > 0 {
		fd.after.SetText(strconv.Itoa(l.Forward.After))
	}
	fd.mode = widget.NewSelect(forwardModeLabels, func(s string) {
		noAnswer := s == forwardModeLabels[line.ForwardNoAnswer]
		if noAnswer {
			fd.after.Enable()
		} else {
			fd.after.Disable()
		}
		if s == forwardModeLabels[line.ForwardOff] {
			fd.target.Disable()
		} else {
			fd.target.Enable()
		}
	})
	mode := l.Forward.Mode
	if !mode.Known() {
		mode = line.ForwardOff
	}
	fd.mode.SetSelected(forwardModeLabels[mode])

	form := container.New(layout.NewFormLayout(),
		widget.NewLabel("Forward"), fd.mode,
		widget.NewLabel("To"), container.NewVBox(fd.target, fd.targetErr),
		widget.NewLabel("After (seconds)"), container.NewVBox(fd.after, fd.afterErr),
	)
	content := container.NewVBox(form, fd.err)
	if l.Incoming.ForwardIgnored {
		note := widget.NewLabel("The line's group has forwarding switched off: the rule is kept but not applied.")
		note.Wrapping = fyne.TextWrapWord
		content.Add(note)
	}
	fd.d = dialog.NewCustomWithoutButtons("Forward calls of "+l.Name, content, u.main)
	cancel := widget.NewButton("Cancel", func() { fd.d.Hide() })
	fd.save = widget.NewButton("Save", func() { u.saveForward(l.Name, fd) })
	fd.save.Importance = widget.HighImportance
	fd.d.SetButtons([]fyne.CanvasObject{cancel, fd.save})
	fd.target.OnSubmitted = func(string) { fd.save.OnTapped() }
	fd.after.OnSubmitted = func(string) { fd.save.OnTapped() }
	fd.d.Resize(fyne.NewSize(420, content.MinSize().Height+140))
	fd.d.Show()
	u.main.Canvas().Focus(fd.target)
	u.openForward = fd
	return fd
}

// saveForward sends the dialog's rule; the dialog closes when the line server took it and
// otherwise shows the refusal at its field.
func (u *UI) saveForward(lineName string, fd *forwardDialog) {
	for _, e := range []*widget.Label{fd.targetErr, fd.afterErr, fd.err} {
		e.Hide()
	}
	f := line.Forward{Target: strings.TrimSpace(fd.target.Text)}
	for i, s := range forwardModeLabels {
		if s == fd.mode.Selected {
			f.Mode = line.ForwardMode(i)
		}
	}
	if f.Mode == line.ForwardNoAnswer {
		if s := strings.TrimSpace(fd.after.Text); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				showErr(fd.afterErr, "Enter whole seconds, e.g. 20.")
				return
			}
			f.After = n
		}
	}
	sess := u.sess
	if sess == nil {
		showErr(fd.err, "Not connected to the line server.")
		return
	}
	u.b.run(func(ctx context.Context) error { return sess.SetForward(ctx, lineName, f) }, func(err error) {
		if err == nil {
			fd.d.Hide()
			return
		}
		shown := false
		for _, fe := range line.FieldErrors(err) {
			text := strings.ToUpper(fe.Rule[:1]) + fe.Rule[1:] + "."
			switch fe.Key {
			case "forward.target":
				showErr(fd.targetErr, text)
				shown = true
			case "forward.after":
				showErr(fd.afterErr, text)
				shown = true
			}
		}
		if shown {
			return
		}
		// Over the HTTP API the refusal comes as text, one field a line.
		for _, part := range strings.Split(err.Error(), "\n") {
			switch {
			case strings.Contains(part, "forward to"):
				showErr(fd.targetErr, fieldMessage(part, "forward to"))
			case strings.Contains(part, "forward after"):
				showErr(fd.afterErr, fieldMessage(part, "forward after"))
			default:
				showErr(fd.err, part)
			}
		}
	})
}

// fieldMessage is the part of a refusal that concerns the field named label: from the label
// on, up to the next error joined to it.
func fieldMessage(msg, label string) string {
	i := strings.Index(msg, label)
	if i < 0 {
		return msg
	}
	msg = msg[i:]
	if j := strings.Index(msg, ": invalid"); j >= 0 {
		msg = msg[:j]
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

func showErr(l *widget.Label, text string) {
	l.SetText(text)
	l.Show()
}

// setCallWaiting switches the line's call waiting.
func (u *UI) setCallWaiting(lineName string, on bool) {
	u.act(nil, "Call waiting", func(ctx context.Context, s api.Session) error {
		return s.SetCallWaiting(ctx, lineName, on)
	}, nil)
}
