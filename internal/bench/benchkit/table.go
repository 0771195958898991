package benchkit

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Median returns the median of the values, false where there are none. Missing runs are left
// out by the caller.
func Median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// Column is one figure of the table of runs R: how to read it from a run, and how to print it.
type Column[R any] struct {
	Head   string
	Get    func(R) (float64, bool) // false: no figure in that run ("n/a")
	Format string                  // fmt verb for the figure and its median
	Goal   string                  // printed; empty for no goal
	Meets  func(float64) bool      // whether a median meets the goal; nil for no goal
}

// PrintTable prints one row a run, then the medians, the goals and whether each median meets
// its goal, right-aligned in columns.
func PrintTable[R any](w io.Writer, cols []Column[R], runs []R) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }
	heads := []string{"run"}
	for _, c := range cols {
		heads = append(heads, c.Head)
	}
	row(heads...)
	for i, r := range runs {
		cells := []string{fmt.Sprint(i + 1)}
		for _, c := range cols {
			if v, ok := c.Get(r); ok {
				cells = append(cells, fmt.Sprintf(c.Format, v))
			} else {
				cells = append(cells, "n/a")
			}
		}
		row(cells...)
	}
	med, goal, verdict := []string{"median"}, []string{"goal"}, []string{"met"}
	for _, c := range cols {
		var vs []float64
		for _, r := range runs {
			if v, ok := c.Get(r); ok {
				vs = append(vs, v)
			}
		}
		m, ok := Median(vs)
		if ok {
			med = append(med, fmt.Sprintf(c.Format, m))
		} else {
			med = append(med, "n/a")
		}
		goal = append(goal, c.Goal)
		switch {
		case c.Meets == nil:
			verdict = append(verdict, "")
		case ok && c.Meets(m):
			verdict = append(verdict, "yes")
		default:
			verdict = append(verdict, "NO")
		}
	}
	row(med...)
	row(goal...)
	row(verdict...)
	tw.Flush()
}
