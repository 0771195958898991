package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// mainView is the main window's content: the status control, the dial bar, the lines by group
// and a message line at the bottom.
type mainView struct {
	u *UI

	status      *widget.Select
	settingStat bool // the code sets the status control: do not act on it

	lineSel   *widget.Select
	dial      *widget.Entry
	hint      *widget.Label
	callBtn   *widget.Button
	redialBtn *widget.Button
	dialSeq   int
	// linePicked is set once the user chose the dial line; until then the first line that can
	// dial is chosen.
	linePicked bool

	groups   *fyne.Container
	rows     map[string]*lineRow
	order    []string // line names as shown, to see when the list must be built again
	scroll   *container.Scroll
	offPanel fyne.CanvasObject // shown instead of the lines while logged off
	summary  *widget.Label
	message  *widget.Label
	journal  *journalView // the journal window, once opened

	content fyne.CanvasObject
}

func newMainView(u *UI) *mainView {
	m := &mainView{u: u, rows: map[string]*lineRow{}}

	title := widget.NewLabel("Lineup")
	title.SizeName = theme.SizeNameHeadingText
	title.TextStyle = fyne.TextStyle{Bold: true}
	m.status = widget.NewSelect(statusNames, func(s string) {
		if m.settingStat {
			return
		}
		for i, n := range statusNames {
			if n == s {
				u.SetStatus(Status(i))
			}
		}
	})
	header := container.NewBorder(nil, nil, nil, container.NewHBox(container.NewCenter(m.status),
		widget.NewButtonWithIcon("Journal", theme.HistoryIcon(), m.openJournal),
		widget.NewButtonWithIcon("Settings…", theme.SettingsIcon(), func() { u.openSettings(nil) })), title)

	m.lineSel = widget.NewSelect(nil, func(string) {
		m.linePicked = true
		m.updateDialable()
	})
	m.lineSel.PlaceHolder = "Line"
	m.dial = widget.NewEntry()
	m.dial.SetPlaceHolder("Number to call (Ctrl+L)")
	m.dial.OnChanged = func(string) { m.updateDialable() }
	m.dial.OnSubmitted = func(string) { m.dialNow() }
	m.callBtn = widget.NewButtonWithIcon("Call", u.phoneIcon, m.dialNow)
	m.callBtn.Importance = widget.HighImportance
	m.redialBtn = widget.NewButtonWithIcon("Redial", theme.HistoryIcon(), m.redial)
	m.hint = widget.NewLabel("")
	m.hint.Truncation = fyne.TextTruncateEllipsis
	m.hint.SizeName = theme.SizeNameCaptionText
	dialRow := container.NewBorder(nil, nil, container.New(fitOptions{m.lineSel}, m.lineSel),
		container.NewHBox(m.callBtn, m.redialBtn), m.dial)
	dialCard := container.New(&tightColumn{}, dialRow, m.hint)

	m.groups = container.NewVBox()
	m.scroll = container.NewVScroll(container.NewPadded(m.groups))

	off := widget.NewLabel("You are logged off. Calls to your lines get each line group's \"client not logged on\" response.")
	off.Wrapping = fyne.TextWrapWord
	off.Alignment = fyne.TextAlignCenter
	logOn := widget.NewButton("Log on", func() { u.SetStatus(StatusLoggedOn) })
	logOn.Importance = widget.HighImportance
	m.offPanel = container.NewPadded(container.NewVBox(layout.NewSpacer(), off, container.NewCenter(logOn), layout.NewSpacer()))

	m.summary = widget.NewLabel("")
	m.summary.SizeName = theme.SizeNameCaptionText
	m.message = widget.NewLabel("")
	m.message.Importance = widget.DangerImportance
	m.message.Truncation = fyne.TextTruncateEllipsis
	footer := container.NewBorder(widget.NewSeparator(), nil, nil, m.summary, m.message)

	top := container.NewVBox(header, dialCard, widget.NewSeparator())
	m.content = container.NewBorder(container.NewPadded(top), container.NewPadded(footer), nil, nil,
		container.NewStack(m.scroll, m.offPanel))
	m.showStatus()
	return m
}

// setMessage shows a message in the footer ("" clears it).
func (m *mainView) setMessage(s string) {
	m.message.SetText(s)
}

// showStatus makes the status control and the parts that depend on being logged on agree with
// the UI's status.
func (m *mainView) showStatus() {
	m.settingStat = true
	m.status.SetSelected(m.u.status.String())
	m.settingStat = false
	on := m.u.sess != nil
	show(m.scroll, on)
	show(m.offPanel, !on)
	if on {
		m.dial.Enable()
	} else {
		m.dial.Disable()
	}
	m.updateDialBar()
}

// setLines shows the lines, grouped by line group in configured order.
func (m *mainView) setLines(lines []api.Line) {
	names := make([]string, len(lines))
	for i, l := range lines {
		names[i] = l.Group + "\x00" + l.Name
	}
	if strings.Join(names, "\x01") != strings.Join(m.order, "\x01") {
		m.order = names
		m.rebuild(lines)
	} else {
		for _, l := range lines {
			m.rows[l.Name].setLine(l, m.u.callsOf(l.Name))
		}
	}
	m.updateDialBar()
	m.updateSummary()
}

func (m *mainView) rebuild(lines []api.Line) {
	m.groups.RemoveAll()
	m.rows = map[string]*lineRow{}
	var section *fyne.Container
	group := "\x00"
	for _, l := range lines {
		if l.Group != group || section == nil {
			group = l.Group
			h := widget.NewLabel(strings.ToUpper(groupTitle(group)))
			h.TextStyle = fyne.TextStyle{Bold: true}
			h.SizeName = theme.SizeNameCaptionText
			section = container.NewVBox()
			m.groups.Add(container.NewVBox(h, newCard(section)))
		} else {
			section.Add(widget.NewSeparator())
		}
		r := newLineRow(m.u)
		r.setLine(l, m.u.callsOf(l.Name))
		r.relayout = m.groups.Refresh // from now on; the rows are laid out together below
		m.rows[l.Name] = r
		section.Add(r)
	}
	m.groups.Refresh()
}

func groupTitle(g string) string {
	if g == "" {
		return "Lines"
	}
	return g
}

// updateLine shows a changed line. Only its row is refreshed: when the row's height changes
// (a call came or went), Fyne lays out its parents again before the next frame, as it does for
// any object whose minimum size changed, so the rest of the window is not redrawn.
func (m *mainView) updateLine(l api.Line) {
	if r := m.rows[l.Name]; r != nil {
		r.setLine(l, m.u.callsOf(l.Name))
	}
	m.updateDialBar()
	m.updateSummary()
}

// updateCalls shows the calls of a line again.
func (m *mainView) updateCalls(lineName string) {
	if r := m.rows[lineName]; r != nil {
		r.setCalls(m.u.callsOf(lineName))
	}
}

func (m *mainView) tick(now time.Time) {
	for _, r := range m.rows {
		r.tick(now)
	}
}

func (m *mainView) updateSummary() {
	n, reg := 0, 0
	for _, l := range m.u.lines {
		if l.Enabled {
			n++
			if l.Registration == line.RegRegistered {
				reg++
			}
		}
	}
	switch {
	case m.u.sess == nil:
		m.summary.SetText("")
	case n == 0:
		m.summary.SetText("No line in use")
	default:
		m.summary.SetText(fmt.Sprintf("%d of %d lines registered", reg, n))
	}
}

// dialLines are the lines that can dial now.
func (m *mainView) dialLines() []string {
	var out []string
	for _, l := range m.u.lines {
		if offers(l.Functions, line.FuncDial) {
			out = append(out, l.Name)
		}
	}
	return out
}

// updateDialBar offers the lines that can dial, keeps the chosen one, and enables Call and
// Redial as the chosen line allows.
func (m *mainView) updateDialBar() {
	opts := m.dialLines()
	m.lineSel.Options = opts
	sel := m.lineSel.Selected
	if !slices.Contains(opts, sel) || !m.linePicked {
		sel = ""
		if len(opts) > 0 {
			sel = opts[0]
		}
		m.lineSel.Selected = sel
	}
	m.lineSel.Refresh()
	l, ok := m.u.line(sel)
	if ok && m.u.sess != nil && offers(l.Functions, line.FuncDial) {
		m.callBtn.Enable()
	} else {
		m.callBtn.Disable()
	}
	if ok && m.u.sess != nil && offers(l.Functions, line.FuncRedial) && l.Redial != "" {
		m.redialBtn.Enable()
		m.redialBtn.SetText("Redial")
	} else {
		m.redialBtn.Disable()
	}
	if len(opts) == 0 {
		m.lineSel.Disable()
	} else {
		m.lineSel.Enable()
	}
}

// updateDialable shows, live, what a Call would send.
func (m *mainView) updateDialable() {
	m.updateDialBar()
	input := strings.TrimSpace(m.dial.Text)
	lineName := m.lineSel.Selected
	m.dialSeq++
	seq := m.dialSeq
	s := m.u.sess
	if input == "" || lineName == "" || s == nil {
		m.hint.SetText("")
		return
	}
	var out string
	m.u.b.run(func(ctx context.Context) error {
		var err error
		out, err = s.Dialable(ctx, lineName, input)
		return err
	}, func(err error) {
		if seq != m.dialSeq {
			return // the input changed meanwhile
		}
		if err != nil {
			m.hint.Importance = widget.DangerImportance
			m.hint.SetText(err.Error())
			return
		}
		m.hint.Importance = widget.MediumImportance
		m.hint.SetText("Sends " + out + " on " + lineName)
	})
}

// dialNow dials the input on the chosen line.
func (m *mainView) dialNow() {
	input := strings.TrimSpace(m.dial.Text)
	lineName := m.lineSel.Selected
	if input == "" || lineName == "" {
		return
	}
	m.u.dial(nil, lineName, input, func() {
		if strings.TrimSpace(m.dial.Text) == input {
			m.dial.SetText("")
		}
	})
}

func (m *mainView) redial() {
	if m.lineSel.Selected != "" {
		m.u.redial(m.lineSel.Selected)
	}
}

// focusDial brings the main window up with the cursor in the dial field.
func (m *mainView) focusDial() {
	m.u.main.Show()
	m.u.main.RequestFocus()
	m.u.main.Canvas().Focus(m.dial)
}

// dial calls input on a line; done runs after success. The call's window opens with the call's
// first event (see updateCall).
func (u *UI) dial(win fyne.Window, lineName, input string, done func()) {
	u.act(win, "Call "+input, func(ctx context.Context, s api.Session) error {
		_, err := s.Dial(ctx, lineName, input)
		return err
	}, done)
}

func (u *UI) redial(lineName string) {
	u.act(nil, "Redial", func(ctx context.Context, s api.Session) error {
		_, err := s.Redial(ctx, lineName)
		return err
	}, nil)
}

func (u *UI) featureCode(lineName, name string) {
	u.act(nil, name, func(ctx context.Context, s api.Session) error {
		_, err := s.FeatureCode(ctx, lineName, name)
		return err
	}, nil)
}

func (u *UI) pickup(lineName, number string) {
	u.act(nil, "Pick up "+number, func(ctx context.Context, s api.Session) error {
		_, err := s.Pickup(ctx, lineName, number)
		return err
	}, nil)
}

func (u *UI) setDND(lineName string, on bool) {
	u.act(nil, "Do Not Disturb", func(ctx context.Context, s api.Session) error {
		return s.SetDND(ctx, lineName, on)
	}, nil)
}
