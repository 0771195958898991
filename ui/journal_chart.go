package ui

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

const (
	// chartDays is how many days the chart shows, up to the day of the newest call that
	// matches (or the To day of the filter).
	chartDays = 14
	// chartCap bounds how many entries the chart reads; beyond it the chart says it counts the
	// newest chartCap calls only.
	chartCap = 5000
)

// dayCount is the answered and missed calls of one day.
type dayCount struct {
	day              time.Time // midnight, local time
	answered, missed int
}

// countDays counts the answered and missed calls per day for the chartDays days that end
// with last's day, oldest day first.
func countDays(entries []line.JournalEntry, last time.Time) []dayCount {
	y, m, d := last.Local().Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, time.Local)
	days := make([]dayCount, chartDays)
	for i := range days {
		days[i].day = end.AddDate(0, 0, i-chartDays+1)
	}
	for _, e := range entries {
		y, m, d := e.Start.Local().Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.Local)
		for i := range days {
			if days[i].day.Equal(day) {
				switch e.Outcome {
				case line.OutcomeAnswered:
					days[i].answered++
				case line.OutcomeMissed:
					days[i].missed++
				}
			}
		}
	}
	return days
}

// loadChart reads the entries of the chart's days with the filters shown and draws them.
func (j *journalView) loadChart() {
	s := j.u.sess
	if s == nil || j.closed {
		return
	}
	gen, q, match := j.gen, j.q, j.match
	var days []dayCount
	capped, read := false, 0
	j.u.b.run(func(ctx context.Context) error {
		last := q.To.Add(-time.Nanosecond)
		if q.To.IsZero() {
			newest := q
			newest.Limit = 1
			es, err := s.Journal(ctx, newest)
			if err != nil || len(es) == 0 {
				return err
			}
			last = es[0].Start
		}
		y, m, d := last.Local().Date()
		from := time.Date(y, m, d, 0, 0, 0, 0, time.Local).AddDate(0, 0, 1-chartDays)
		cq := q
		if from.After(cq.From) {
			cq.From = from
		}
		cq.Limit = exportPage
		var all []line.JournalEntry
		for len(all) < chartCap {
			es, err := s.Journal(ctx, cq)
			if err != nil {
				return err
			}
			read += len(es)
			for _, e := range es {
				if match(e) {
					all = append(all, e)
				}
			}
			if len(es) < cq.Limit {
				break
			}
			cq.Before = es[len(es)-1].ID
			capped = len(all) >= chartCap
		}
		days = countDays(all, last)
		return nil
	}, func(err error) {
		j.chartFetched += read
		if gen != j.gen {
			return
		}
		if err != nil {
			j.chart.set(nil, "Chart: "+err.Error())
			return
		}
		note := ""
		if capped {
			note = fmt.Sprintf("counts the newest %d calls only", chartCap)
		}
		j.chart.set(days, note)
	})
}

// journalChart draws calls per day as pairs of bars, answered and missed, with canvas
// rectangles and texts.
type journalChart struct {
	widget.BaseWidget
	days []dayCount
	note string
}

func newJournalChart() *journalChart {
	c := &journalChart{}
	c.ExtendBaseWidget(c)
	return c
}

// set shows days (oldest first) and a note under the chart.
func (c *journalChart) set(days []dayCount, note string) {
	c.days, c.note = days, note
	c.Refresh()
}

func (c *journalChart) CreateRenderer() fyne.WidgetRenderer {
	r := &chartRenderer{c: c}
	r.rebuild()
	return r
}

type chartRenderer struct {
	c       *journalChart
	bars    []*canvas.Rectangle // answered, missed per day
	labels  []*canvas.Text      // day labels
	counts  []*canvas.Text      // answered/missed numbers over the bars
	legend  []*canvas.Text
	swatch  []*canvas.Rectangle
	objects []fyne.CanvasObject
}

var (
	answeredColor = color.NRGBA{R: 0x2e, G: 0x9d, B: 0x4f, A: 0xff}
	missedColor   = color.NRGBA{R: 0xd3, G: 0x3b, B: 0x3b, A: 0xff}
)

func (r *chartRenderer) rebuild() {
	r.bars, r.labels, r.counts = nil, nil, nil
	small := theme.CaptionTextSize()
	fg := theme.Color(theme.ColorNameForeground)
	for _, d := range r.c.days {
		a, m := canvas.NewRectangle(answeredColor), canvas.NewRectangle(missedColor)
		r.bars = append(r.bars, a, m)
		l := canvas.NewText(d.day.Format("Jan 2"), fg)
		l.TextSize = small
		l.Alignment = fyne.TextAlignCenter
		r.labels = append(r.labels, l)
		n := canvas.NewText(dayCounts(d), fg)
		n.TextSize = small
		n.Alignment = fyne.TextAlignCenter
		r.counts = append(r.counts, n)
	}
	title := "Calls per day:"
	if len(r.c.days) == 0 {
		title = "Calls per day: no calls"
	}
	r.legend = nil
	for _, text := range []string{title, "answered", "missed", r.c.note} {
		t := canvas.NewText(text, fg)
		t.TextSize = small
		r.legend = append(r.legend, t)
	}
	if r.c.note != "" {
		r.legend[3].Text = "(" + r.c.note + ")"
	}
	r.swatch = []*canvas.Rectangle{canvas.NewRectangle(answeredColor), canvas.NewRectangle(missedColor)}
	r.objects = r.objects[:0]
	for _, b := range r.bars {
		r.objects = append(r.objects, b)
	}
	for _, l := range r.labels {
		r.objects = append(r.objects, l)
	}
	for _, n := range r.counts {
		r.objects = append(r.objects, n)
	}
	for _, s := range r.swatch {
		r.objects = append(r.objects, s)
	}
	for _, t := range r.legend {
		r.objects = append(r.objects, t)
	}
}

// dayCounts is what stands over a day's bars: answered and missed calls, nothing on a day
// without calls.
func dayCounts(d dayCount) string {
	if d.answered == 0 && d.missed == 0 {
		return ""
	}
	return fmt.Sprintf("%d / %d", d.answered, d.missed)
}

const chartHeight = 130

func (r *chartRenderer) Layout(size fyne.Size) {
	small := theme.CaptionTextSize()
	line := small + 4
	// Legend on the first line: the title, a swatch before each of "answered" and "missed" (the
	// order of the bars and of the counts over them), and the note.
	x := float32(0)
	for i, t := range r.legend {
		if i == 1 || i == 2 {
			sw := r.swatch[i-1]
			sw.Move(fyne.NewPos(x, 3))
			sw.Resize(fyne.NewSize(small-2, small-2))
			x += small + 2
		}
		t.Move(fyne.NewPos(x, 0))
		x += t.MinSize().Width + small
	}
	n := len(r.c.days)
	if n == 0 {
		return
	}
	top, bottom := line*2, size.Height-line
	maxCount := 1
	for _, d := range r.c.days {
		maxCount = max(maxCount, d.answered, d.missed)
	}
	slot := size.Width / float32(n)
	barW := max(2, slot*0.35)
	for i, d := range r.c.days {
		x := slot * float32(i)
		for k, v := range []int{d.answered, d.missed} {
			h := (bottom - top) * float32(v) / float32(maxCount)
			b := r.bars[2*i+k]
			b.Move(fyne.NewPos(x+slot/2-barW+float32(k)*barW, bottom-h))
			b.Resize(fyne.NewSize(barW, h))
		}
		r.labels[i].Move(fyne.NewPos(x, bottom))
		r.labels[i].Resize(fyne.NewSize(slot, line))
		r.counts[i].Move(fyne.NewPos(x, line))
		r.counts[i].Resize(fyne.NewSize(slot, line))
	}
}

func (r *chartRenderer) MinSize() fyne.Size { return fyne.NewSize(200, chartHeight) }

func (r *chartRenderer) Refresh() {
	r.rebuild()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *chartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *chartRenderer) Destroy() {}
