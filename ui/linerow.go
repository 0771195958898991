package ui

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// lineRow shows one line in the main window: its registration lamp, name and number, Do Not
// Disturb, the line menu, and its calls (each opens its conversation window).
type lineRow struct {
	widget.BaseWidget
	u *UI

	line  api.Line
	calls []api.Call

	lamp     *lamp
	name     *widget.Label
	number   *widget.Label
	reg      *widget.Label
	now      *widget.Label // what a call arriving now would get
	dnd      *widget.Label
	fwd      *widget.Label // where the line's calls are forwarded
	menuBtn  *widget.Button
	callBox  *fyne.Container
	callBtn  map[string]*widget.Button
	callPool []*widget.Button // call buttons made so far, reused
	lamps    *lineLamps       // voicemail and busy lamps (linelamps.go)
	// relayout lays out the list of lines anew, after the row's height changed.
	relayout func()

	content fyne.CanvasObject
}

func newLineRow(u *UI) *lineRow {
	r := &lineRow{u: u, callBtn: map[string]*widget.Button{}}
	r.ExtendBaseWidget(r)
	r.lamp = newLamp()
	r.name = widget.NewLabel("")
	r.name.TextStyle = fyne.TextStyle{Bold: true}
	r.number = widget.NewLabel("")
	r.reg = widget.NewLabel("")
	r.reg.SizeName = theme.SizeNameCaptionText
	r.reg.Wrapping = fyne.TextWrapWord
	r.now = widget.NewLabel("")
	r.now.SizeName = theme.SizeNameCaptionText
	r.now.Wrapping = fyne.TextWrapWord
	r.now.TextStyle = fyne.TextStyle{Italic: true}
	r.dnd = widget.NewLabel("Do Not Disturb")
	r.dnd.Importance = widget.WarningImportance
	r.dnd.TextStyle = fyne.TextStyle{Bold: true}
	r.dnd.SizeName = theme.SizeNameCaptionText
	r.fwd = widget.NewLabel("")
	r.fwd.Importance = widget.WarningImportance
	r.fwd.SizeName = theme.SizeNameCaptionText
	r.menuBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), r.showMenu)
	r.menuBtn.Importance = widget.LowImportance
	r.callBox = container.NewVBox()

	title := container.New(&tightRow{}, r.name, r.number)
	info := container.New(&tightColumn{}, title, r.reg, r.now)
	right := container.NewHBox(container.NewCenter(r.fwd), container.NewCenter(r.dnd), container.NewCenter(r.menuBtn))
	head := container.NewBorder(nil, nil, container.NewCenter(r.lamp), right, info)
	r.lamps = newLineLamps(u)
	r.content = container.NewVBox(head, r.lamps.box, r.callBox)
	return r
}

// CreateRenderer is part of fyne.Widget.
func (r *lineRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *lineRow) setLine(l api.Line, calls []api.Call) {
	r.line = l
	r.name.SetText(l.Name)
	num := l.NumberDisplay
	if num == "" {
		num = l.Number
	}
	r.number.SetText(num)
	show(r.number, num != "")
	r.lamp.set(l)
	status := regText(l)
	if d := regDetail(l); d != "" && l.Registration == line.RegFailed {
		status += ": " + d
	}
	r.reg.SetText(status)
	if l.Registration == line.RegFailed {
		r.reg.Importance = widget.DangerImportance
	} else {
		r.reg.Importance = widget.MediumImportance
	}
	r.reg.Refresh()
	now := nowText(l.Incoming)
	r.now.SetText(now)
	show(r.now, now != "")
	show(r.dnd, l.DND)
	fwd := forwardBadge(l)
	r.fwd.SetText(fwd)
	show(r.fwd, fwd != "")
	if shown := r.lamps.box.Visible(); r.lamps.set(l) != shown && r.relayout != nil {
		defer r.relayout()
	}
	r.setCalls(calls)
}

// setCalls lists the line's calls and the calls the server holds ringing on it. The call
// buttons are reused from call to call (new widgets for every call would pile up in Fyne's
// renderer cache).
func (r *lineRow) setCalls(calls []api.Call) {
	r.calls = calls
	before := len(r.callBox.Objects)
	r.callBox.RemoveAll()
	r.callBtn = map[string]*widget.Button{}
	now := time.Now()
	for i, c := range calls {
		if i == len(r.callPool) {
			b := widget.NewButtonWithIcon("", r.u.phoneIcon, nil)
			b.Alignment = widget.ButtonAlignLeading
			r.callPool = append(r.callPool, b)
		}
		b := r.callPool[i]
		id := c.ID
		b.OnTapped = func() { r.u.showCall(id) }
		b.Text = callRowText(c, now)
		if c.State == line.CallRinging {
			b.Importance = widget.WarningImportance
		} else {
			b.Importance = widget.LowImportance
		}
		b.Refresh()
		r.callBtn[id] = b
		r.callBox.Add(b)
	}
	for _, c := range r.line.HeldRinging {
		lbl := widget.NewLabel("Held ringing by the server: " + partyName(c))
		lbl.Importance = widget.LowImportance
		lbl.Truncation = fyne.TextTruncateEllipsis
		var acts []fyne.CanvasObject
		if offers(r.line.Functions, line.FuncPickup) && r.line.Number != "" {
			num := r.line.Number
			acts = append(acts, widget.NewButton("Pick up", func() { r.u.pickup(r.line.Name, num) }))
		}
		r.callBox.Add(container.NewBorder(nil, nil, nil, container.NewHBox(acts...), lbl))
	}
	show(r.callBox, len(r.callBox.Objects) > 0)
	if len(r.callBox.Objects) != before && r.relayout != nil {
		// The row grew or shrank: the list around it must lay out (and draw) anew. Refreshing
		// the call box alone does not reach the window when the box was hidden before.
		r.relayout()
		return
	}
	r.callBox.Refresh() // the line's head is unchanged: its labels refresh themselves in setLine
}

func callRowText(c api.Call, now time.Time) string {
	parts := []string{partyName(c), callStateText(c)}
	if c.State != line.CallRinging {
		parts = append(parts, formatDuration(callDuration(c, now)))
	}
	return strings.Join(parts, " · ")
}

func (r *lineRow) tick(now time.Time) {
	for _, c := range r.calls {
		if b := r.callBtn[c.ID]; b != nil {
			b.SetText(callRowText(c, now))
		}
	}
}

// showMenu pops the line menu up under its button.
func (r *lineRow) showMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(r.menuBtn)
	if c == nil {
		return
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(r.menuBtn)
	pos = pos.Add(fyne.NewPos(0, r.menuBtn.Size().Height))
	widget.ShowPopUpMenuAtPosition(r.menu(), c, pos)
}

// menu is the line menu as the menu button shows it now.
func (r *lineRow) menu() *fyne.Menu { return r.u.lineMenu(r.line, len(r.calls) > 0) }

// card puts its content on a rounded panel, so that a group's lines read as one block. The
// panel takes its colour from the theme whenever it is refreshed (a switch to dark and back).
type card struct {
	widget.BaseWidget
	content fyne.CanvasObject
}

func newCard(o fyne.CanvasObject) *card {
	c := &card{content: o}
	c.ExtendBaseWidget(c)
	return c
}

// CreateRenderer is part of fyne.Widget.
func (c *card) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(color.Transparent)
	r := &cardRenderer{bg: bg, padded: container.NewPadded(c.content)}
	r.Refresh()
	return r
}

type cardRenderer struct {
	bg     *canvas.Rectangle
	padded *fyne.Container
}

func (r *cardRenderer) Layout(s fyne.Size) {
	r.bg.Resize(s)
	r.padded.Resize(s)
}

func (r *cardRenderer) MinSize() fyne.Size { return r.padded.MinSize() }

func (r *cardRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.bg.CornerRadius = theme.Size(theme.SizeNameInputRadius) * 2
	r.bg.Refresh()
	r.padded.Refresh()
}

func (r *cardRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.padded} }

func (r *cardRenderer) Destroy() {}

// lamp is a line's registration lamp: green registered, violet registered with Do Not Disturb
// on, amber registering, red failed, grey not in use. Hovering over it or tapping it tells the
// state and the reason.
type lamp struct {
	widget.BaseWidget
	circle *canvas.Circle
	text   string
	pop    *widget.PopUp
}

var _ desktop.Hoverable = (*lamp)(nil)

func newLamp() *lamp {
	l := &lamp{circle: canvas.NewCircle(color.Transparent)}
	l.ExtendBaseWidget(l)
	return l
}

func (l *lamp) set(ln api.Line) {
	name := theme.ColorNameDisabled
	switch {
	case !ln.Enabled:
	case ln.Registration == line.RegRegistered && ln.DND:
		name = colorNameDND
	case ln.Registration == line.RegRegistered:
		name = theme.ColorNameSuccess
	case ln.Registration == line.RegRegistering:
		name = theme.ColorNameWarning
	case ln.Registration == line.RegFailed:
		name = theme.ColorNameError
	}
	l.circle.FillColor = themeColor(name)
	l.text = regText(ln)
	if ln.Enabled && ln.DND {
		l.text += " · Do Not Disturb"
	}
	if d := regDetail(ln); d != "" {
		l.text += ": " + d
	}
	l.Refresh()
}

// Text is what hovering or tapping shows.
func (l *lamp) Text() string { return l.text }

// MinSize is part of fyne.Widget.
func (l *lamp) MinSize() fyne.Size {
	s := theme.Size(theme.SizeNameInlineIcon) * 0.75
	return fyne.NewSize(s, s)
}

// CreateRenderer is part of fyne.Widget.
func (l *lamp) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(l.circle) }

// Tapped shows the state and reason.
func (l *lamp) Tapped(*fyne.PointEvent) { l.showText() }

// MouseIn shows the state and reason while the pointer is over the lamp.
func (l *lamp) MouseIn(*desktop.MouseEvent) { l.showText() }

// MouseMoved is part of desktop.Hoverable.
func (l *lamp) MouseMoved(*desktop.MouseEvent) {}

// MouseOut hides the text again.
func (l *lamp) MouseOut() {
	if l.pop != nil {
		l.pop.Hide()
		l.pop = nil
	}
}

func (l *lamp) showText() {
	c := fyne.CurrentApp().Driver().CanvasForObject(l)
	if c == nil || l.text == "" {
		return
	}
	if l.pop != nil {
		l.pop.Hide()
	}
	l.pop = widget.NewPopUp(widget.NewLabel(l.text), c)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(l)
	l.pop.ShowAtPosition(pos.Add(fyne.NewPos(l.Size().Width+theme.Padding(), -theme.Padding())))
}

// colorNameDND is the lamp colour of a registered line on Do Not Disturb: violet, apart from the
// green of a line that rings, the amber of one registering and the red of a failure.
const colorNameDND fyne.ThemeColorName = "lineupDND"

// themeColor is the theme's colour of name, or for colorNameDND a violet that reads on the light
// and the dark theme alike.
func themeColor(name fyne.ThemeColorName) color.Color {
	if name == colorNameDND {
		return color.NRGBA{R: 0x9c, G: 0x5c, B: 0xd6, A: 0xff}
	}
	return theme.Color(name)
}
