package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/line"
)

// spyPhone is the fake line server with a record of the journal queries its sessions got.
type spyPhone struct {
	*apitest.Phone
	mu      sync.Mutex
	queries []api.JournalQuery
}

func (p *spyPhone) LogOn(ctx context.Context, name string) (api.Session, error) {
	s, err := p.Phone.LogOn(ctx, name)
	if err != nil {
		return nil, err
	}
	return &spySession{Session: s, p: p}, nil
}

// journalQueries returns the queries asked for so far.
func (p *spyPhone) journalQueries() []api.JournalQuery {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]api.JournalQuery(nil), p.queries...)
}

type spySession struct {
	api.Session
	p *spyPhone
}

func (s *spySession) Journal(ctx context.Context, q api.JournalQuery) ([]line.JournalEntry, error) {
	s.p.mu.Lock()
	s.p.queries = append(s.p.queries, q)
	s.p.mu.Unlock()
	return s.Session.Journal(ctx, q)
}

var jday = time.Date(2026, 3, 10, 0, 0, 0, 0, time.Local)

// typicalEntries are four calls of a morning, oldest first.
func typicalEntries() []line.JournalEntry {
	at := func(h, m int) time.Time { return jday.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	return []line.JournalEntry{
		{Line: "Alice", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234201",
			RemoteNumber: "+4930111222", RemoteName: "Anna Berg", Start: at(9, 0), Answer: at(9, 0).Add(5 * time.Second),
			End: at(9, 1).Add(10 * time.Second), Duration: 65 * time.Second, Outcome: line.OutcomeAnswered,
			Memo: "wants the offer"},
		{Line: "Ben", Group: "Desk", Direction: line.Outgoing, LocalNumber: "+49891234202",
			RemoteNumber: "+4940333444", Start: at(9, 30), End: at(9, 30).Add(3 * time.Second),
			Outcome: line.OutcomeBusy, Code: 486},
		{Line: "Carol", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234203",
			Start: at(10, 0), End: at(10, 0).Add(20 * time.Second), Outcome: line.OutcomeMissed},
		{Line: "Alice", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234201",
			RemoteNumber: "+4930555666", RemoteName: "Kurt Meier", Start: at(11, 15), End: at(11, 15).Add(4 * time.Second),
			Outcome: line.OutcomeDeclined, Code: 603},
	}
}

// openJournalOn runs the UI on a fake holding entries and opens the journal window.
func openJournalOn(t *testing.T, entries []line.JournalEntry) (*harness, *spyPhone, *journalView) {
	t.Helper()
	p := &spyPhone{Phone: apitest.New(testConfig())}
	for _, e := range entries {
		p.AddJournal(e)
	}
	h := newHarnessOn(t, p, 3)
	h.phone = p.Phone
	test.Tap(button(t, h.u.main.Content(), "Journal"))
	j := h.u.mv.journal
	if j == nil {
		t.Fatal("the Journal button opened no journal window")
	}
	h.until("the journal shows entries", func() bool { return len(j.rows) > 0 || j.done })
	if l, o := selectShows(j.lineSel), selectShows(j.outSel); l != "All lines" || o != "All outcomes" {
		t.Errorf("the filters show %q and %q, want all lines and all outcomes", l, o)
	}
	return h, p, j
}

// rowTexts is what the table shows in row r, column by column.
func rowTexts(t *testing.T, j *journalView, r int) []string {
	t.Helper()
	j.table.ScrollTo(widget.TableCellID{Row: r, Col: 0})
	var out []string
	for c := range journalColumns {
		cell := newJournalCell(j)
		j.updateCell(widget.TableCellID{Row: r, Col: c}, cell)
		out = append(out, cell.label.Text)
	}
	return out
}

func TestJournalShowsTypicalEntriesNewestFirst(t *testing.T) {
	_, _, j := openJournalOn(t, typicalEntries())
	if len(j.rows) != 4 {
		t.Fatalf("the journal shows %d rows, want the 4 calls", len(j.rows))
	}
	first := strings.Join(rowTexts(t, j, 0), " | ")
	for _, want := range []string{"2026-03-10 11:15", "Alice", "Incoming", "Kurt Meier +4930555666", "declined (603)"} {
		if !strings.Contains(first, want) {
			t.Errorf("the newest row does not show %q: %s", want, first)
		}
	}
	last := rowTexts(t, j, 3)
	if last[3] != "Anna Berg +4930111222" || last[4] != "1:05" || last[5] != "answered" || last[6] != "wants the offer" {
		t.Errorf("the oldest row shows %q, want Anna Berg's answered call of 1:05 with its memo", last)
	}
	if got := rowTexts(t, j, 2); got[2] != "Outgoing" || got[5] != "busy (486)" {
		t.Errorf("Ben's call shows %q, want an outgoing call, busy (486)", got)
	}
	if got := rowTexts(t, j, 1); got[3] != "Unknown caller" || got[4] != "" || got[5] != "missed" {
		t.Errorf("the anonymous missed call shows %q", got)
	}
	// The rendered window shows the cells too.
	if txt := texts(j.win.Content()); !strings.Contains(txt, "Kurt Meier +4930555666") || !strings.Contains(txt, "Date") {
		t.Errorf("the journal window does not show the header and the newest call:\n%s", txt)
	}
}

func TestJournalFiltersNarrowTheQuery(t *testing.T) {
	h, p, j := openJournalOn(t, typicalEntries())
	// sent returns the page queries asked for since mark; answers to queries of earlier
	// filters may still come in meanwhile, so the test looks for the one it expects.
	mark := 0
	change := func() { mark = len(p.journalQueries()) }
	sent := func(want func(api.JournalQuery) bool) (api.JournalQuery, bool) {
		var last api.JournalQuery
		for _, q := range p.journalQueries()[mark:] {
			if q.Limit == journalPage {
				last = q
				if want(q) {
					return q, true
				}
			}
		}
		return last, false
	}
	reload := func(what string) {
		t.Helper()
		h.until(what, func() bool { return !j.loading && j.done })
	}

	change()
	j.lineSel.SetSelected("Alice")
	reload("the Alice filter is read")
	if q, ok := sent(func(q api.JournalQuery) bool { return q.Line == "Alice" }); !ok {
		t.Errorf("the line filter sent %+v", q)
	}
	if len(j.rows) != 2 || j.rows[0].Line != "Alice" || j.rows[1].Line != "Alice" {
		t.Errorf("the line filter shows %+v, want Alice's two calls", j.rows)
	}

	// A line added while the journal is open is offered in the line filter at once.
	dora := api.Line{Name: "Dora", Group: "Desk", Enabled: true}
	h.phone.Publish(api.Event{Type: api.EventLine, Line: &dora})
	h.until("the line filter offers the new line", func() bool { return slices.Contains(j.lineSel.Options, "Dora") })
	if j.lineSel.Selected != "Alice" {
		t.Errorf("a new line changed the chosen filter to %q", j.lineSel.Selected)
	}

	j.lineSel.SetSelected("All lines")
	change()
	j.text.SetText("+49 30 555-666")
	j.applyFilters()
	reload("the number filter is read")
	if q, ok := sent(func(q api.JournalQuery) bool { return q.Number == "+4930555666" && q.Line == "" }); !ok {
		t.Errorf("a number typed with separators sent %+v, want number +4930555666 on every line", q)
	}
	if len(j.rows) != 1 || j.rows[0].RemoteName != "Kurt Meier" {
		t.Errorf("the number filter shows %+v", j.rows)
	}
	if j.status.Text != "1 call" {
		t.Errorf("the status under one call reads %q", j.status.Text)
	}

	j.text.SetText("offer")
	j.applyFilters()
	reload("the text filter is read")
	if len(j.rows) != 1 || j.rows[0].RemoteName != "Anna Berg" {
		t.Errorf("the text filter \"offer\" shows %+v, want Anna Berg's call with that memo", j.rows)
	}

	j.text.SetText("")
	change()
	j.outSel.SetSelected("missed")
	reload("the outcome filter is read")
	if q, ok := sent(func(q api.JournalQuery) bool { return q.Outcome == line.OutcomeMissed }); !ok {
		t.Errorf("the outcome filter sent %+v", q)
	}
	if len(j.rows) != 1 || j.rows[0].Line != "Carol" {
		t.Errorf("the outcome filter shows %+v", j.rows)
	}

	j.outSel.SetSelected("All outcomes")
	j.from.SetText("2026-03-10")
	j.to.SetText("2026-03-10")
	change()
	j.applyFilters()
	reload("the date filter is read")
	if q, ok := sent(func(q api.JournalQuery) bool {
		return q.From.Equal(jday) && q.To.Equal(jday.AddDate(0, 0, 1))
	}); !ok {
		t.Errorf("the date range 2026-03-10 to 2026-03-10 sent from %v to %v, want the whole day", q.From, q.To)
	}
	if len(j.rows) != 4 {
		t.Errorf("the day of all calls shows %d rows", len(j.rows))
	}
	j.from.SetText("2026-03-11")
	j.to.SetText("")
	j.applyFilters()
	reload("the later date is read")
	if len(j.rows) != 0 || !strings.Contains(j.status.Text, "No call") {
		t.Errorf("a day after the calls shows %d rows and says %q", len(j.rows), j.status.Text)
	}

	h.settle() // the chart of the last filter is read too
	before := len(p.journalQueries())
	j.from.SetText("11.3.2026")
	j.applyFilters()
	h.settle()
	if !strings.Contains(j.status.Text, "from date") || !strings.Contains(j.status.Text, "YYYY-MM-DD") {
		t.Errorf("a bad date says %q, want a message naming the from date and its format", j.status.Text)
	}
	if n := len(p.journalQueries()); n != before {
		t.Errorf("a bad date still read the journal (%d queries)", n-before)
	}
}

func TestJournalCallBack(t *testing.T) {
	h, _, j := openJournalOn(t, typicalEntries())
	if !j.callBtn.Disabled() {
		t.Error("Call back is enabled with no row selected")
	}
	j.table.Select(widget.TableCellID{Row: 1, Col: 0}) // the anonymous caller
	if !j.callBtn.Disabled() {
		t.Error("Call back is enabled for a caller without a number")
	}
	j.table.Select(widget.TableCellID{Row: 3, Col: 0})
	test.Tap(j.callBtn)
	if a := h.action("Dial"); a.Target != "Alice" || a.Arg != "+4930111222" {
		t.Errorf("Call back dialled %q on %q, want Anna Berg's number on Alice", a.Arg, a.Target)
	}

	cell := newJournalCell(j)
	j.updateCell(widget.TableCellID{Row: 2, Col: 3}, cell)
	cell.DoubleTapped(&fyne.PointEvent{})
	if a := h.action("Dial"); a.Target != "Ben" || a.Arg != "+4940333444" {
		t.Errorf("a double click dialled %q on %q, want Ben's call back", a.Arg, a.Target)
	}
}

func TestJournalMemo(t *testing.T) {
	h, _, j := openJournalOn(t, typicalEntries())
	j.table.Select(widget.TableCellID{Row: 0, Col: 0})
	j.saveMemo(j.rows[0].ID, "call Kurt on Monday")
	if a := h.action("SetMemo"); a.Target != strconv.FormatUint(j.rows[0].ID, 10) || a.Arg != "call Kurt on Monday" {
		t.Errorf("the memo was saved as %+v", a)
	}
	h.until("the memo shows", func() bool { return rowTexts(t, j, 0)[6] == "call Kurt on Monday" })
}

// manyEntries are n calls a minute apart, alternating lines and outcomes, oldest first.
func manyEntries(n int) []line.JournalEntry {
	lines := []string{"Alice", "Ben", "Carol"}
	out := make([]line.JournalEntry, n)
	start := jday.AddDate(0, 0, -n/1440)
	for i := range out {
		at := start.Add(time.Duration(i) * time.Minute)
		e := line.JournalEntry{Line: lines[i%3], Direction: line.Incoming,
			RemoteNumber: "+4930" + strconv.Itoa(1000000+i), Start: at, End: at.Add(30 * time.Second),
			Outcome: line.OutcomeMissed}
		if i%2 == 0 {
			e.Outcome, e.Answer, e.Duration = line.OutcomeAnswered, at.Add(5*time.Second), 25*time.Second
		}
		out[i] = e
	}
	return out
}

func TestJournalReadsPagesOnlyAsTheUserScrolls(t *testing.T) {
	h, p, j := openJournalOn(t, manyEntries(2000))
	h.settle()
	if len(j.rows) != journalPage || j.fetched != journalPage {
		t.Fatalf("opening shows %d rows after reading %d entries, want one page of %d", len(j.rows), j.fetched, journalPage)
	}
	if j.rows[0].ID != 2000 {
		t.Errorf("the first row is entry %d, want the newest (2000)", j.rows[0].ID)
	}
	for range 3 {
		n := len(j.rows)
		j.table.ScrollToBottom()
		h.until("scrolling down reads the next page", func() bool { return len(j.rows) > n && !j.loading })
	}
	h.settle()
	if len(j.rows) != 4*journalPage || j.fetched != 4*journalPage {
		t.Errorf("after three scrolls to the bottom the view holds %d rows, read %d entries; want %d",
			len(j.rows), j.fetched, 4*journalPage)
	}
	for i := 1; i < len(j.rows); i++ {
		if j.rows[i].ID != j.rows[i-1].ID-1 {
			t.Fatalf("row %d is entry %d after %d: pages overlap or leave gaps", i, j.rows[i].ID, j.rows[i-1].ID)
		}
	}
	var befores []uint64
	for _, q := range p.journalQueries() {
		if q.Limit == journalPage {
			befores = append(befores, q.Before)
		}
	}
	if len(befores) != 4 || befores[0] != 0 || befores[1] != 1901 {
		t.Errorf("the pages were read before %v, want 0 then each page's last ID", befores)
	}
}

func TestJournalNewEntriesAppearAtTheTop(t *testing.T) {
	h, _, j := openJournalOn(t, typicalEntries())
	e := typicalEntries()[0]
	e.RemoteName, e.Start = "Nina Neu", jday.Add(12*time.Hour)
	id := h.phone.AddJournal(e)
	h.until("the new call shows at the top", func() bool { return len(j.rows) == 5 && j.rows[0].ID == id })
	if got := rowTexts(t, j, 0)[3]; !strings.HasPrefix(got, "Nina Neu") {
		t.Errorf("the top row shows %q", got)
	}
}

func TestJournalExportsTheFilteredEntriesAsCSV(t *testing.T) {
	// More entries than one export page, so that the export pages too.
	h, _, j := openJournalOn(t, manyEntries(2500))
	j.lineSel.SetSelected("Carol")
	h.until("the filter is read", func() bool { return !j.loading && len(j.rows) > 0 && j.rows[0].Line == "Carol" })
	var want []uint64
	all := h.phone.JournalEntries()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Line == "Carol" {
			want = append(want, all[i].ID)
		}
	}
	var buf bytes.Buffer
	var n int
	var done bool
	j.exportTo(nopCloser{&buf}, func(got int, err error) {
		if err != nil {
			t.Errorf("export: %v", err)
		}
		n, done = got, true
	})
	h.until("the export is done", func() bool { return done })
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the export is not CSV: %v", err)
	}
	if len(recs) == 0 || recs[0][0] != "id" || recs[0][1] != "line" {
		t.Fatalf("the export has no header row: %q", recs[:min(1, len(recs))])
	}
	if n != len(want) || len(recs)-1 != len(want) {
		t.Fatalf("the export wrote %d rows (says %d), want Carol's %d calls", len(recs)-1, n, len(want))
	}
	for i, r := range recs[1:] {
		if r[0] != strconv.FormatUint(want[i], 10) || r[1] != "Carol" {
			t.Fatalf("export row %d is %q, want entry %d on Carol", i, r, want[i])
		}
	}
	if !strings.Contains(j.status.Text, "Exported "+strconv.Itoa(len(want))) {
		t.Errorf("after the export the status says %q", j.status.Text)
	}
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }

func TestJournalChartCountsAnsweredAndMissedPerDay(t *testing.T) {
	h, _, j := openJournalOn(t, typicalEntries())
	h.until("the chart is drawn", func() bool { return len(j.chart.days) == chartDays })
	last := j.chart.days[chartDays-1]
	if !last.day.Equal(jday) || last.answered != 1 || last.missed != 1 {
		t.Errorf("the chart's last day is %v with %d answered, %d missed; want 2026-03-10 with 1 and 1",
			last.day, last.answered, last.missed)
	}
	for _, d := range j.chart.days[:chartDays-1] {
		if d.answered+d.missed != 0 {
			t.Errorf("the chart counts calls on %v, a day without calls", d.day)
		}
	}
	j.chart.Resize(fyne.NewSize(700, chartHeight))
	r := test.WidgetRenderer(j.chart).(*chartRenderer)
	r.Layout(j.chart.Size())
	ans, miss := r.bars[2*(chartDays-1)], r.bars[2*(chartDays-1)+1]
	if ans.Size().Height <= 0 || ans.Size().Height != miss.Size().Height {
		t.Errorf("the last day's bars are %v and %v high, want two equal bars", ans.Size().Height, miss.Size().Height)
	}
	if h := r.bars[0].Size().Height; h != 0 {
		t.Errorf("a day without calls has a bar %v high", h)
	}
	if got := r.counts[chartDays-1].Text; got != "1 / 1" {
		t.Errorf("over the last day's bars stands %q, want 1 / 1", got)
	}
	if got := r.counts[0].Text; got != "" {
		t.Errorf("over a day without calls stands %q", got)
	}
	var legend []string
	for _, l := range r.legend {
		legend = append(legend, l.Text)
	}
	if got := strings.Join(legend, " "); !strings.Contains(got, "answered missed") {
		t.Errorf("the legend reads %q, want the words beside their colours", got)
	}
}

func TestJournalTextFilterSearchesAsTheUserTypesAndReadsOnPastPagesWithoutMatch(t *testing.T) {
	entries := manyEntries(3 * journalPage)
	entries[0].RemoteName = "Olga Oldest" // only the oldest call matches, three pages down
	h, p, j := openJournalOn(t, entries)
	h.settle()
	before := len(p.journalQueries())
	test.Type(j.text, "olga")
	h.until("the typed text finds the oldest call", func() bool { return len(j.rows) == 1 && j.done })
	if j.rows[0].RemoteName != "Olga Oldest" {
		t.Errorf("the text filter shows %+v", j.rows[0])
	}
	pages := 0
	for _, q := range p.journalQueries()[before:] {
		if q.Limit == journalPage {
			pages++
		}
	}
	if pages < 3 {
		t.Errorf("the search read %d pages, want the three it takes to reach the oldest call", pages)
	}
}

func TestJournalWindowClosedStopsReadingAndOpensAnew(t *testing.T) {
	h, p, j := openJournalOn(t, typicalEntries())
	h.settle()
	j.win.Close()
	n := len(p.journalQueries())
	time.Sleep(2*journalPoll + 100*time.Millisecond)
	h.settle()
	if got := len(p.journalQueries()); got != n {
		t.Errorf("a closed journal window read the journal %d more times", got-n)
	}
	test.Tap(button(t, h.u.main.Content(), "Journal"))
	if h.u.mv.journal == j {
		t.Fatal("the Journal button brought back the closed window")
	}
	j2 := h.u.mv.journal
	h.until("the new window shows the calls", func() bool { return len(j2.rows) == 4 })
}

// selectShows is the text a select box draws: its choice, or its placeholder.
func selectShows(sel *widget.Select) string {
	var out []string
	for _, o := range test.WidgetRenderer(sel).Objects() {
		visible(o, func(c fyne.CanvasObject) {
			if rt, ok := c.(*widget.RichText); ok {
				out = append(out, rt.String())
			}
		})
	}
	return strings.Join(out, " ")
}
