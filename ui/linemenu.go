package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// lineMenu is a line's menu: every entry only while its function is offered now. Feature codes
// are offered by the server only while the line has no call; the menu also leaves them out while
// the UI shows a call on the line.
func (u *UI) lineMenu(l api.Line, hasCall bool) *fyne.Menu {
	var items []*fyne.MenuItem
	if offers(l.Functions, line.FuncDial) {
		items = append(items, fyne.NewMenuItem("Dial…", func() { u.askDial(l.Name) }))
	}
	if offers(l.Functions, line.FuncRedial) && l.Redial != "" {
		items = append(items, fyne.NewMenuItem("Redial "+l.Redial, func() { u.redial(l.Name) }))
	}
	if offers(l.Functions, line.FuncPickup) {
		items = append(items, fyne.NewMenuItem("Pick up…", func() { u.askPickup(l.Name) }))
	}
	if offers(l.Functions, line.FuncVoicemail) {
		items = append(items, fyne.NewMenuItem("Voicemail", func() { u.voicemail(l.Name) }))
	}
	for _, lp := range l.Lamps {
		if lp.State == api.LampRinging && offers(l.Functions, line.FuncPickup) {
			ext := lp.Extension
			items = append(items, fyne.NewMenuItem("Pick up "+ext+" (ringing)", func() { u.pickup(l.Name, ext) }))
		}
	}
	// The line's calls that can be passed on: the entries open the call's window with its
	// transfer field, as its own Transfer… and Consult… buttons do.
	for _, c := range u.callsOf(l.Name) {
		if !offers(c.Functions, line.FuncTransfer) || c.ConsultFor != "" {
			continue
		}
		id, who := c.ID, partyName(c)
		items = append(items,
			fyne.NewMenuItem("Transfer "+who+"…", func() { u.startTransfer(id, false) }),
			fyne.NewMenuItem("Consult for "+who+"…", func() { u.startTransfer(id, true) }))
	}
	if c, o, ok := u.conferencePair(l.Name); ok {
		id := c.ID
		items = append(items, fyne.NewMenuItem("Conference "+partyName(c)+" and "+partyName(o), func() { u.startConference(id) }))
	}
	if offers(l.Functions, line.FuncFeatureCodes) && !hasCall && len(l.FeatureCodes) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
		for _, fc := range l.FeatureCodes {
			name := fc.Name
			items = append(items, fyne.NewMenuItem(fc.Name+"   "+fc.Code, func() { u.featureCode(l.Name, name) }))
		}
	}
	sep := false
	if offers(l.Functions, line.FuncDND) {
		items = append(items, fyne.NewMenuItemSeparator())
		sep = true
		dnd := fyne.NewMenuItem("Do Not Disturb", func() { u.setDND(l.Name, !l.DND) })
		dnd.Checked = l.DND
		items = append(items, dnd)
	}
	if offers(l.Functions, line.FuncForward) {
		if !sep {
			items = append(items, fyne.NewMenuItemSeparator())
			sep = true
		}
		fwd := fyne.NewMenuItem("Forward calls…", func() { u.askForward(l) })
		fwd.Checked = l.Forward.Mode != line.ForwardOff
		items = append(items, fwd)
	}
	if offers(l.Functions, line.FuncCallWaiting) {
		if !sep {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		cw := fyne.NewMenuItem("Call waiting", func() { u.setCallWaiting(l.Name, !l.CallWaiting) })
		cw.Checked = l.CallWaiting
		items = append(items, cw)
	}
	if len(items) > 0 {
		items = append(items, fyne.NewMenuItemSeparator())
	}
	items = append(items, fyne.NewMenuItem("Properties…", func() { u.showProperties(l.Name) }))
	items = append(items, fyne.NewMenuItem("Settings…", func() { u.openSettings(nil) }))
	return fyne.NewMenu(l.Name, items...)
}

// askDial asks for a number to call on the line, showing what would be sent as it is typed.
func (u *UI) askDial(lineName string) (*dialog.FormDialog, *widget.Entry) {
	e := widget.NewEntry()
	e.SetPlaceHolder("Number or sip: address")
	hint := widget.NewLabel("")
	hint.Importance = widget.LowImportance
	seq := 0
	e.OnChanged = func(s string) {
		seq++
		my := seq
		sess := u.sess
		if strings.TrimSpace(s) == "" || sess == nil {
			hint.SetText("")
			return
		}
		var out string
		u.b.run(func(ctx context.Context) error {
			var err error
			out, err = sess.Dialable(ctx, lineName, strings.TrimSpace(s))
			return err
		}, func(err error) {
			if my != seq {
				return
			}
			if err != nil {
				hint.SetText(err.Error())
				return
			}
			hint.SetText("Sends " + out)
		})
	}
	d := dialog.NewForm("Dial on "+lineName, "Call", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Number", e), widget.NewFormItem("", hint)},
		func(ok bool) {
			if ok && strings.TrimSpace(e.Text) != "" {
				u.dial(nil, lineName, strings.TrimSpace(e.Text), nil)
			}
		}, u.main)
	e.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(360, d.MinSize().Height))
	d.Show()
	u.main.Canvas().Focus(e)
	return d, e
}

// askPickup asks for the number of the line whose call to pick up.
// The number is filled in with what rings now (a busy lamp of the line's group, or a line of
// this server whose call it holds ringing), and the dialog says what else rings, or that nothing
// does.
func (u *UI) askPickup(lineName string) (*dialog.FormDialog, *widget.Entry) {
	e := widget.NewEntry()
	e.SetPlaceHolder("Number of the ringing line")
	ringing := u.ringingElsewhere(lineName)
	hint := widget.NewLabel("Nothing rings on the lines and extensions Lineup sees; type the number of the phone that rings.")
	switch {
	case len(ringing) == 1:
		e.SetText(ringing[0])
		hint.SetText(ringing[0] + " is ringing.")
	case len(ringing) > 1:
		e.SetText(ringing[0])
		hint.SetText("Ringing now: " + strings.Join(ringing, ", ") + ".")
	}
	hint.Wrapping = fyne.TextWrapWord
	hint.SizeName = theme.SizeNameCaptionText
	d := dialog.NewForm("Pick up with "+lineName, "Pick up", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Number", e), widget.NewFormItem("", hint)},
		func(ok bool) {
			if ok && strings.TrimSpace(e.Text) != "" {
				u.pickup(lineName, strings.TrimSpace(e.Text))
			}
		}, u.main)
	e.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(360, d.MinSize().Height))
	d.Show()
	u.main.Canvas().Focus(e)
	return d, e
}

// showProperties shows a line's details, read-only.
func (u *UI) showProperties(lineName string) {
	l, ok := u.line(lineName)
	if !ok {
		return
	}
	yesNo := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	number := l.NumberDisplay
	if number == "" {
		number = "none"
	}
	if l.Number != "" && l.Number != l.NumberDisplay {
		number += " (" + l.Number + ")"
	}
	reg := regText(l)
	if d := regDetail(l); d != "" {
		reg += ": " + d
	}
	fs := make([]string, len(l.Functions))
	for i, f := range l.Functions {
		fs[i] = f.String()
	}
	var fcs []string
	for _, fc := range l.FeatureCodes {
		fcs = append(fcs, fmt.Sprintf("%s %s", fc.Name, fc.Code))
	}
	rows := [][2]string{
		{"Name", l.Name},
		{"Group", groupTitle(l.Group)},
		{"Number", number},
		{"Location", orNone(l.Location)},
		{"In use", yesNo(l.Enabled)},
		{"Do Not Disturb", yesNo(l.DND)},
		{"Forwarding", orNone(forwardBadge(l))},
		{"Call waiting", onOff(l.CallWaiting)},
		{"Registration", reg},
		{"A call now", orNone(nowText(l.Incoming))},
		{"Functions now", orNone(strings.Join(fs, ", "))},
		{"Feature codes", orNone(strings.Join(fcs, "\n"))},
	}
	form := container.New(layout.NewFormLayout())
	for _, r := range rows {
		k := widget.NewLabel(r[0])
		k.TextStyle = fyne.TextStyle{Bold: true}
		v := widget.NewLabel(r[1])
		v.Wrapping = fyne.TextWrapWord
		v.Selectable = true
		form.Add(k)
		form.Add(v)
	}
	d := dialog.NewCustom(l.Name+" properties", "Close", form, u.main)
	d.Resize(fyne.NewSize(440, form.MinSize().Height+120))
	d.Show()
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ringingElsewhere lists the numbers a pickup on lineName could take now: the ringing busy lamps
// of its row, then the lines of this server whose calls it holds ringing; each once.
func (u *UI) ringingElsewhere(lineName string) []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, l := range u.lines {
		if l.Name != lineName {
			continue
		}
		for _, lamp := range l.Lamps {
			if lamp.State == api.LampRinging {
				add(lamp.Extension)
			}
		}
	}
	for _, l := range u.lines {
		if l.Name != lineName && len(l.HeldRinging) > 0 {
			add(l.Number)
		}
	}
	return out
}
