package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

const (
	// journalPage is how many entries the table reads at a time.
	journalPage = 100
	// journalAhead: when a row this close to the last one read is shown, the next page is read.
	journalAhead = 30
	// journalScan bounds how many pages one load reads looking for entries that match a text
	// filter (which the query cannot apply); the next scroll reads on.
	journalScan = 20
	// journalPoll is how often an open journal window looks for new entries.
	journalPoll = 2 * time.Second
	// typingPause is how long the text filter waits for the next key before it searches.
	typingPause = 300 * time.Millisecond
)

// The journal table's columns.
var journalColumns = []struct {
	title string
	width float32
}{
	{"Date", 140}, {"Line", 90}, {"Direction", 80}, {"Party", 230}, {"Duration", 84},
	{"Outcome", 130}, {"Memo", 200},
}

// journalView is the journal window: a table of the journal's entries, newest first, read a
// page at a time as the user scrolls; filters that narrow the query; call back, memo and CSV
// export of the selected or filtered entries; and a chart of calls per day.
type journalView struct {
	u   *UI
	win fyne.Window

	text    *widget.Entry
	lineSel *widget.Select
	outSel  *widget.Select
	from    *widget.Entry
	to      *widget.Entry
	status  *widget.Label
	table   *widget.Table
	callBtn *widget.Button
	memoBtn *widget.Button
	chart   *journalChart

	// q is the query of the filters shown (without Before and Limit); match applies the part
	// of the text filter the query cannot (names and memos).
	q     api.JournalQuery
	match func(line.JournalEntry) bool

	rows    []line.JournalEntry // the entries read that match, newest first
	cursor  uint64              // the ID of the oldest entry read (0: none read yet)
	done    bool                // no older entry is left to read
	loading bool
	gen     int // counts filter changes: answers to older queries are dropped
	fetched int // entries the table read from the session, for tests and the benchmark
	// chartFetched counts the entries the chart read.
	chartFetched int
	selected     int // the selected row, -1 for none

	stopPoll func()
	closed   bool
}

// openJournal shows the journal window, opening it the first time.
func (m *mainView) openJournal() {
	if m.journal != nil && !m.journal.closed {
		m.journal.win.Show()
		m.journal.win.RequestFocus()
		return
	}
	m.journal = newJournalView(m.u)
	m.journal.win.Show()
}

// allLines is the line filter's choice that filters no line.
const allLines = "All lines"

// setLines offers the lines in the line filter, keeping the one chosen (a line removed from the
// set-up stays offered while it is chosen: its calls are still in the journal).
func (j *journalView) setLines(lines []api.Line) {
	opts := []string{allLines}
	for _, l := range lines {
		opts = append(opts, l.Name)
	}
	if sel := j.lineSel.Selected; sel != "" && !slices.Contains(opts, sel) {
		opts = append(opts, sel)
	}
	j.lineSel.SetOptions(opts)
}

func newJournalView(u *UI) *journalView {
	j := &journalView{u: u, selected: -1, match: func(line.JournalEntry) bool { return true }}
	j.win = u.app.NewWindow("Lineup journal")
	addCloseShortcut(j.win)

	j.text = widget.NewEntry()
	j.text.SetPlaceHolder("Name, number or memo")
	j.text.OnSubmitted = func(string) { j.applyFilters() }
	j.text.OnChanged = func(typed string) {
		// Filter as the user types, once the typing pauses.
		u.b.after(typingPause, func() {
			if j.text.Text == typed && !j.closed {
				j.applyFilters()
			}
		})
	}
	j.lineSel = widget.NewSelect(nil, func(string) { j.applyFilters() })
	j.lineSel.Selected = allLines // before setLines draws it
	j.setLines(u.lines)
	outs := []string{"All outcomes"}
	for _, o := range line.Outcomes() {
		outs = append(outs, outcomeText(o))
	}
	j.outSel = widget.NewSelect(outs, func(string) { j.applyFilters() })
	j.outSel.Selected = outs[0]
	j.from = widget.NewEntry()
	j.from.SetPlaceHolder("From YYYY-MM-DD")
	j.from.OnSubmitted = func(string) { j.applyFilters() }
	j.to = widget.NewEntry()
	j.to.SetPlaceHolder("To YYYY-MM-DD")
	j.to.OnSubmitted = func(string) { j.applyFilters() }
	search := widget.NewButtonWithIcon("Search", theme.SearchIcon(), j.applyFilters)
	filters := container.NewBorder(nil, nil, nil,
		container.NewHBox(j.lineSel, j.outSel, dateBox(j.from), dateBox(j.to), search), j.text)

	j.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(j.rows), len(journalColumns) },
		func() fyne.CanvasObject { return newJournalCell(j) },
		j.updateCell)
	j.table.ShowHeaderColumn = false
	j.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	j.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(journalColumns) {
			o.(*widget.Label).SetText(journalColumns[id.Col].title)
		}
	}
	for i, c := range journalColumns {
		j.table.SetColumnWidth(i, c.width)
	}
	j.table.OnSelected = func(id widget.TableCellID) { j.selected = id.Row; j.updateButtons() }
	j.table.OnUnselected = func(widget.TableCellID) { j.selected = -1; j.updateButtons() }

	j.callBtn = widget.NewButtonWithIcon("Call back", u.phoneIcon, j.callBack)
	j.callBtn.Importance = widget.HighImportance
	j.memoBtn = widget.NewButtonWithIcon("Memo…", theme.DocumentCreateIcon(), j.editMemo)
	export := widget.NewButtonWithIcon("Export CSV…", theme.DocumentSaveIcon(), j.export)
	j.status = widget.NewLabel("")
	j.status.Truncation = fyne.TextTruncateEllipsis
	bar := container.NewBorder(nil, nil, nil, container.NewHBox(j.callBtn, j.memoBtn, export), j.status)

	j.chart = newJournalChart()
	top := container.NewVBox(filters, j.chart)
	j.win.SetContent(container.NewBorder(container.NewPadded(top), container.NewPadded(bar), nil, nil, j.table))
	j.win.Resize(fyne.NewSize(980, 640))
	j.win.SetOnClosed(j.close)
	j.stopPoll = u.b.tick(journalPoll, func(time.Time) { j.readNew() })
	j.updateButtons()
	j.applyFilters()
	return j
}

// dateBox gives a date field room for its placeholder.
func dateBox(e *widget.Entry) fyne.CanvasObject {
	return container.NewGridWrap(fyne.NewSize(150, e.MinSize().Height), e)
}

func (j *journalView) close() {
	j.closed = true
	j.gen++
	if j.stopPoll != nil {
		j.stopPoll()
		j.stopPoll = nil
	}
}

// outcomeText is an outcome as the table and the filter show it.
func outcomeText(o line.Outcome) string {
	return strings.ReplaceAll(o.String(), "_", " ")
}

// applyFilters reads the journal again from the newest entry with the filters shown.
func (j *journalView) applyFilters() {
	if j.table == nil || j.status == nil {
		return // still being built
	}
	q, match, err := journalFilter(j.text.Text, j.lineSel.Selected, j.outSel.Selected, j.from.Text, j.to.Text)
	if err != nil {
		j.status.Importance = widget.DangerImportance
		j.status.SetText("Filter: " + err.Error())
		return
	}
	j.q, j.match = q, match
	j.gen++
	j.rows, j.cursor, j.done, j.loading = nil, 0, false, false
	j.table.UnselectAll()
	j.selected = -1
	j.table.ScrollToTop()
	j.table.Refresh()
	j.updateButtons()
	j.loadMore()
	j.loadChart()
}

// loadMore reads the next page of older entries, unless one is being read or none is left.
func (j *journalView) loadMore() {
	s := j.u.sess
	if j.loading || j.done || j.closed {
		return
	}
	if s == nil {
		j.showStatus("Log on to read the journal")
		return
	}
	j.loading = true
	gen, q, match, cursor := j.gen, j.q, j.match, j.cursor
	var got []line.JournalEntry
	read, done := 0, false
	j.u.b.run(func(ctx context.Context) error {
		for range journalScan {
			page := q
			page.Limit, page.Before = journalPage, cursor
			es, err := s.Journal(ctx, page)
			if err != nil {
				return err
			}
			read += len(es)
			for _, e := range es {
				if match(e) {
					got = append(got, e)
				}
			}
			if len(es) > 0 {
				cursor = es[len(es)-1].ID
			}
			if done = len(es) < journalPage; done || len(got) > 0 {
				break
			}
		}
		return nil
	}, func(err error) {
		if gen != j.gen {
			return
		}
		j.loading = false
		j.fetched += read
		if err != nil {
			j.status.Importance = widget.DangerImportance
			j.status.SetText("Reading the journal failed: " + err.Error())
			return
		}
		j.rows = append(j.rows, got...)
		j.cursor, j.done = cursor, done
		j.table.Refresh()
		j.showCount()
		if len(j.rows) == 0 && !j.done {
			// No row to scroll to yet: a text filter that matches nothing so far reads on.
			j.showStatus("Searching… " + nCalls(j.fetched) + " read")
			j.loadMore()
		}
	})
}

// readNew puts entries written since the newest one shown at the top.
func (j *journalView) readNew() {
	s := j.u.sess
	if s == nil || j.loading || j.closed || len(j.rows) == 0 && !j.done {
		return
	}
	var top uint64
	if len(j.rows) > 0 {
		top = j.rows[0].ID
	}
	gen, q, match := j.gen, j.q, j.match
	q.Limit = journalPage
	var got []line.JournalEntry
	j.u.b.run(func(ctx context.Context) error {
		es, err := s.Journal(ctx, q)
		for _, e := range es {
			if e.ID > top && match(e) {
				got = append(got, e)
			}
		}
		return err
	}, func(err error) {
		if gen != j.gen || err != nil || len(got) == 0 {
			return
		}
		if len(j.rows) > 0 && got[len(got)-1].ID <= j.rows[0].ID {
			return // read meanwhile
		}
		j.rows = append(got, j.rows...)
		if j.selected >= 0 {
			j.selected += len(got)
			j.table.Select(widget.TableCellID{Row: j.selected})
		}
		j.table.Refresh()
		j.showCount()
		j.loadChart()
	})
}

func (j *journalView) showStatus(s string) {
	j.status.Importance = widget.MediumImportance
	j.status.SetText(s)
}

func (j *journalView) showCount() {
	switch {
	case len(j.rows) == 0 && j.done:
		j.showStatus("No call matches")
	case j.done:
		j.showStatus(nCalls(len(j.rows)))
	default:
		j.showStatus(nCalls(len(j.rows)) + " shown; scroll for older ones")
	}
}

func (j *journalView) updateCell(id widget.TableCellID, o fyne.CanvasObject) {
	c := o.(*journalCell)
	c.id = id
	if id.Row >= len(j.rows) {
		c.label.SetText("")
		return
	}
	if id.Row >= len(j.rows)-journalAhead {
		j.loadMore()
	}
	c.label.SetText(journalCellText(j.rows[id.Row], id.Col))
}

// journalCellText is what column col shows of an entry.
func journalCellText(e line.JournalEntry, col int) string {
	switch col {
	case 0:
		return e.Start.Local().Format("2006-01-02 15:04")
	case 1:
		return e.Line
	case 2:
		if e.Direction == line.Incoming {
			return "Incoming"
		}
		return "Outgoing"
	case 3:
		return journalParty(e)
	case 4:
		if e.Answer.IsZero() {
			return ""
		}
		return formatDuration(e.Duration)
	case 5:
		out := outcomeText(e.Outcome)
		if e.Code != 0 {
			out = fmt.Sprintf("%s (%d)", out, e.Code)
		}
		if e.ConferenceWith != "" {
			out += " · conference with " + e.ConferenceWith
		}
		return out
	case 6:
		return strings.Join(strings.Fields(e.Memo), " ")
	}
	return ""
}

// journalParty is the far end: name and number, or what there is of them.
func journalParty(e line.JournalEntry) string {
	switch {
	case e.RemoteName != "" && e.RemoteNumber != "":
		return e.RemoteName + " " + e.RemoteNumber
	case e.RemoteName != "":
		return e.RemoteName
	case e.RemoteNumber != "":
		return e.RemoteNumber
	case e.FeatureCode != "":
		return e.FeatureCode
	}
	return unknownParty(e.Direction)
}

// selectedEntry is the entry of the selected row.
func (j *journalView) selectedEntry() (line.JournalEntry, bool) {
	if j.selected < 0 || j.selected >= len(j.rows) {
		return line.JournalEntry{}, false
	}
	return j.rows[j.selected], true
}

func (j *journalView) updateButtons() {
	e, ok := j.selectedEntry()
	if ok && e.RemoteNumber != "" && j.u.sess != nil {
		j.callBtn.Enable()
	} else {
		j.callBtn.Disable()
	}
	if ok && j.u.sess != nil {
		j.memoBtn.Enable()
	} else {
		j.memoBtn.Disable()
	}
}

// callBack dials the selected entry's far end on its line.
func (j *journalView) callBack() {
	e, ok := j.selectedEntry()
	if !ok || e.RemoteNumber == "" {
		return
	}
	j.u.dial(j.win, e.Line, e.RemoteNumber, nil)
}

// editMemo asks for the selected entry's memo and saves it.
func (j *journalView) editMemo() {
	e, ok := j.selectedEntry()
	if !ok {
		return
	}
	in := widget.NewMultiLineEntry()
	in.SetText(e.Memo)
	in.Wrapping = fyne.TextWrapWord
	d := dialog.NewForm("Memo", "Save", "Cancel", []*widget.FormItem{widget.NewFormItem("Memo", in)}, func(ok bool) {
		if ok {
			j.saveMemo(e.ID, in.Text)
		}
	}, j.win)
	d.Resize(fyne.NewSize(420, 240))
	d.Show()
}

// saveMemo sets an entry's memo and shows it.
func (j *journalView) saveMemo(id uint64, memo string) {
	j.u.act(j.win, "Memo", func(ctx context.Context, s api.Session) error {
		return s.SetMemo(ctx, id, memo)
	}, func() {
		for i := range j.rows {
			if j.rows[i].ID == id {
				j.rows[i].Memo = memo
				j.table.RefreshItem(widget.TableCellID{Row: i, Col: len(journalColumns) - 1})
			}
		}
	})
}

// journalCell is a table cell: a label that selects its row on a click and calls back on a
// double click.
type journalCell struct {
	widget.BaseWidget
	j     *journalView
	label *widget.Label
	id    widget.TableCellID
}

func newJournalCell(j *journalView) *journalCell {
	c := &journalCell{j: j, label: widget.NewLabel("")}
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.ExtendBaseWidget(c)
	return c
}

func (c *journalCell) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(c.label)
}

// Tapped selects the cell's row.
func (c *journalCell) Tapped(*fyne.PointEvent) {
	c.j.table.Select(c.id)
}

// DoubleTapped selects the cell's row and calls the entry's far end back.
func (c *journalCell) DoubleTapped(*fyne.PointEvent) {
	c.j.table.Select(c.id)
	c.j.callBack()
}

// nCalls is "1 call", "2 calls".
func nCalls(n int) string {
	if n == 1 {
		return "1 call"
	}
	return fmt.Sprintf("%d calls", n)
}
