package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

// settingsEditor is the settings window: line groups, lines and locations, edited on a copy of
// the server's set-up, and the sound devices (settings_audio.go). Every change validates the copy
// at once and shows each message next to the field it names; Save sends the copy in one
// SaveConfig (after choosing the sound devices when they changed), Cancel forgets it.
type settingsEditor struct {
	u   *UI
	win fyne.Window
	cfg line.Config // the edited copy
	// errs are the copy's violations as of the last change.
	errs []*line.FieldError
	// typed are the number fields of the form shown whose text is not a number.
	typed map[typedKey]*line.FieldError
	// msgs are the message labels of the fields shown now.
	msgs    []fieldMsg
	summary *widget.Label
	sumBox  *container.Scroll // holds summary, hidden while it is empty
	save    *widget.Button
	tabs    *container.AppTabs
	saving  bool

	g settingsGroup
	l settingsLine
	o settingsLocation
	a settingsAudio
	d settingsDesktop
}

// fieldMsg is a label that shows the violations of one field (or fields whose key starts with
// prefix) of one item.
type fieldMsg struct {
	kind   line.Kind
	index  func() int
	prefix string
	lbl    *widget.Label
	codes  bool // in the feature code table, which is laid out anew on its own
}

// settingsTitle is the settings window's title, by which a second Settings… finds it open.
const settingsTitle = "Lineup settings"

// openSettings reads the set-up and opens the settings window on it; then, when not nil, is
// called with the editor once it shows. While the window is open, it is brought to the front
// instead, so that no two copies are edited at once.
func (u *UI) openSettings(then func(*settingsEditor)) {
	for _, w := range u.app.Driver().AllWindows() {
		if w.Title() == settingsTitle {
			w.RequestFocus()
			return
		}
	}
	sess := u.sess
	if sess == nil {
		u.showError(u.main, "Settings", errors.New("log on to change the settings"))
		return
	}
	var cfg line.Config
	u.b.run(func(ctx context.Context) error {
		var err error
		cfg, err = sess.Config(ctx)
		return err
	}, func(err error) {
		if err != nil {
			u.showError(u.main, "Settings", fmt.Errorf("read settings: %w", err))
			return
		}
		s := newSettingsEditor(u, cfg)
		s.win.Show()
		if then != nil {
			then(s)
		}
	})
}

func newSettingsEditor(u *UI, cfg line.Config) *settingsEditor {
	s := &settingsEditor{u: u, cfg: cfg.Clone()}
	s.win = u.app.NewWindow(settingsTitle)
	s.summary = dangerLabel("")
	s.win.SetOnClosed(s.audioClosed) // the level meter stops with the window
	s.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), s.doSave)
	s.save.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", s.win.Close)

	s.g.box = container.NewVBox()
	s.l.box = container.NewVBox()
	s.o.box = container.NewVBox()
	s.tabs = container.NewAppTabs(
		container.NewTabItem("Line groups", s.groupTab()),
		container.NewTabItem("Lines", s.lineTab()),
		container.NewTabItem("Locations", s.locationTab()),
		container.NewTabItem("Audio", s.audioTab()),
		container.NewTabItem("Desktop", s.desktopTab()),
	)
	// Other tabs show names that may have changed: build the selected one afresh.
	s.tabs.OnSelected = func(*container.TabItem) { s.rebuild() }
	addTabShortcuts(s.win, s.tabs)
	buttons := container.NewHBox(layout.NewSpacer(), cancel, s.save)
	addCloseShortcut(s.win)
	s.sumBox = container.NewVScroll(s.summary)
	s.sumBox.SetMinSize(fyne.NewSize(0, 72))
	// A line between the tab's own buttons (add, remove) and the window's (cancel, save).
	s.win.SetContent(container.NewBorder(nil, container.NewVBox(s.sumBox, widget.NewSeparator(), buttons), nil, nil, s.tabs))
	s.win.Resize(fyne.NewSize(640, 600)) // fits a 1366x768 screen with a panel and a title bar
	s.rebuild()
	return s
}

// rebuild lays out the selected tab's form anew and validates.
func (s *settingsEditor) rebuild() {
	s.msgs = nil
	clear(s.typed) // the new form shows the numbers the copy holds
	switch s.tabs.SelectedIndex() {
	case 0:
		s.buildGroup()
	case 1:
		s.buildLine()
	case 2:
		s.buildLocation()
	case audioTabIndex:
		s.buildAudio()
	}
	s.syncMeter()
	s.changed()
}

// changed validates the edited copy and shows the messages.
func (s *settingsEditor) changed() {
	s.errs = append(line.FieldErrors(s.cfg.Validate()), s.typedErrs()...)
	s.showErrs()
	s.showSummary(nil)
}

// showErrs shows each of errs beside the fields it names.
func (s *settingsEditor) showErrs() {
	for _, m := range s.msgs {
		var lines []string
		i := m.index()
		for _, fe := range s.errs {
			if fe.Kind == m.kind && fe.Index == i && strings.HasPrefix(fe.Key, m.prefix) {
				lines = append(lines, fe.Error())
			}
		}
		m.lbl.SetText(strings.Join(lines, "\n"))
		if len(lines) == 0 {
			m.lbl.Hide()
		} else {
			m.lbl.Show()
		}
	}
}

// showSummary says how many problems there are, listing them all, or that saving failed.
func (s *settingsEditor) showSummary(saveErr error) {
	switch {
	case saveErr != nil:
		s.summary.SetText("Not saved: " + saveErr.Error())
	case len(s.errs) == 0:
		s.summary.SetText("")
	default:
		lines := make([]string, len(s.errs))
		for i, fe := range s.errs {
			lines[i] = fe.Error()
		}
		word := "problems"
		if len(lines) == 1 {
			word = "problem"
		}
		s.summary.SetText(fmt.Sprintf("%d %s, nothing can be saved yet:\n%s", len(lines), word, strings.Join(lines, "\n")))
	}
	if s.summary.Text == "" {
		s.summary.Hide()
		s.sumBox.Hide()
	} else {
		s.summary.Show()
		s.sumBox.Show()
	}
	if c := s.win.Content(); c != nil {
		c.Refresh() // the summary's height changed: lay the window out again
	}
}

// doSave sends the copy in one SaveConfig when it is valid; the window closes once saved.
func (s *settingsEditor) doSave() {
	s.changed()
	if len(s.errs) > 0 || s.saving {
		return
	}
	sess := s.u.sess
	if sess == nil {
		s.showSummary(errors.New("logged off"))
		return
	}
	cfg := s.cfg.Clone()
	chooseAudio := s.audioToSave()
	setAutostart := s.autostartToSave()
	s.saving = true
	s.save.Disable()
	s.u.b.run(func(ctx context.Context) error {
		if chooseAudio != nil {
			if err := chooseAudio(ctx); err != nil {
				return err
			}
		}
		if setAutostart != nil {
			if err := setAutostart(); err != nil {
				return err
			}
		}
		return sess.SaveConfig(ctx, cfg)
	}, func(err error) {
		s.saving = false
		s.save.Enable()
		if err != nil {
			if fes := line.FieldErrors(err); len(fes) > 0 {
				s.errs = fes
				s.showErrs()
			}
			s.showSummary(err)
			return
		}
		s.win.Close()
	})
}

// msg returns a new message label for the fields of the item index() of kind whose key starts
// with prefix.
func (s *settingsEditor) msg(kind line.Kind, index func() int, prefix string) *widget.Label {
	l := dangerLabel("")
	l.Hide()
	s.msgs = append(s.msgs, fieldMsg{kind: kind, index: index, prefix: prefix, lbl: l})
	return l
}

// form lays out rows of a label and a field (with its messages under it).
func form(rows ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewFormLayout(), rows...)
}

func bold(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}

// entryField is an entry bound to a string of the edited copy.
func (s *settingsEditor) entryField(e *widget.Entry, get func() string, set func(string)) *widget.Entry {
	e.SetText(get())
	e.OnChanged = func(v string) {
		set(v)
		s.changed()
	}
	return e
}

// pick is a select whose options stand for values; the first option may mean "none".
func (s *settingsEditor) pick(options []string, selected int, set func(int)) *widget.Select {
	sel := widget.NewSelect(options, nil)
	if selected >= 0 && selected < len(options) {
		sel.SetSelected(options[selected])
	}
	sel.OnChanged = func(v string) {
		for i, o := range options {
			if o == v {
				set(i)
				break
			}
		}
		s.changed()
	}
	return sel
}

// itemPicker chooses the item of a list a tab edits, labelled by position and name.
// listTab is a settings tab for a list of items (groups, lines, locations): the form of the item
// at *at, scrolling, above "Add what" (appending newItem() and showing it) and "Remove what".
func listTab[T any](s *settingsEditor, items *[]T, at *int, box *fyne.Container, what string, newItem func() T) fyne.CanvasObject {
	add := widget.NewButtonWithIcon("Add "+what, theme.ContentAddIcon(), func() {
		*items = append(*items, newItem())
		*at = len(*items) - 1
		s.rebuild()
	})
	remove := widget.NewButtonWithIcon("Remove "+what, theme.DeleteIcon(), func() {
		if *at < len(*items) {
			*items = slices.Delete(*items, *at, *at+1)
			*at = max(0, *at-1)
			s.rebuild()
		}
	})
	// The form keeps clear of the scroll bar, which is drawn over the right edge.
	padded := container.New(layout.NewCustomPaddedLayout(0, 0, 0, 2*theme.Padding()), box)
	return container.NewBorder(nil, container.NewHBox(add, remove), nil, nil, container.NewVScroll(padded))
}

func itemPicker(names []string, selected int, choose func(int)) *widget.Select {
	opts := make([]string, len(names))
	for i, n := range names {
		opts[i] = pickLabel(i, n)
	}
	sel := widget.NewSelect(opts, nil)
	if selected >= 0 && selected < len(opts) {
		sel.SetSelected(opts[selected])
	}
	sel.OnChanged = func(v string) {
		for i, o := range sel.Options {
			if o == v {
				choose(i)
				return
			}
		}
	}
	return sel
}

func pickLabel(i int, name string) string { return fmt.Sprintf("%d. %s", i+1, name) }

// relabel shows the new name of item i in its picker without choosing anew.
func relabel(sel *widget.Select, i int, name string) {
	if sel == nil || i >= len(sel.Options) {
		return
	}
	was := sel.Options[i] == sel.Selected
	sel.Options[i] = pickLabel(i, name)
	if was {
		sel.Selected = sel.Options[i]
	}
	sel.Refresh()
}

// locationOptions are "(none)" and the location names.
func (s *settingsEditor) locationOptions(current string) ([]string, int) {
	opts := []string{"(none)"}
	at := 0
	for i, o := range s.cfg.Locations {
		opts = append(opts, o.Name)
		if o.Name == current && current != "" {
			at = i + 1
		}
	}
	return opts, at
}

// groupRefs returns a function that names the group now in every line that names it when
// groupRefs is called; the lines follow a rename as it is typed, even through an empty name.
func (s *settingsEditor) groupRefs(name string) func(now string) {
	var lines []int
	for i, l := range s.cfg.Lines {
		if name != "" && l.Group == name {
			lines = append(lines, i)
		}
	}
	return func(now string) {
		for _, i := range lines {
			s.cfg.Lines[i].Group = now
		}
	}
}

// locationRefs is groupRefs for a location, which groups and lines name.
func (s *settingsEditor) locationRefs(name string) func(now string) {
	var groups, lines []int
	for i, g := range s.cfg.Groups {
		if name != "" && g.Location == name {
			groups = append(groups, i)
		}
	}
	for i, l := range s.cfg.Lines {
		if name != "" && l.Location == name {
			lines = append(lines, i)
		}
	}
	return func(now string) {
		for _, i := range groups {
			s.cfg.Groups[i].Location = now
		}
		for _, i := range lines {
			s.cfg.Lines[i].Location = now
		}
	}
}

// itoa shows 0 as empty, for optional numbers.
func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// atoi reads a number typed in; what is not a number counts as 0, which validation names.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}
