package benchkit

import (
	"bytes"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got, ok := Median(c.in); !ok || got != c.want {
			t.Errorf("Median(%v) = %v, %v; want %v", c.in, got, ok, c.want)
		}
	}
	if _, ok := Median(nil); ok {
		t.Error("median of nothing reported a value")
	}
}

func TestPrintTableRowsMediansAndGoals(t *testing.T) {
	// Runs of one figure each; a negative figure stands for a failed run.
	runs := []float64{3, -1, 1}
	get := func(r float64) (float64, bool) { return r, r >= 0 }
	cols := []Column[float64]{
		{Head: "time (s)", Get: get, Format: "%.1f", Goal: "<= 1", Meets: func(m float64) bool { return m <= 1 }},
		{Head: "rate", Get: get, Format: "%.0f"},
	}
	var b bytes.Buffer
	PrintTable(&b, cols, runs)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("%d lines, want head, 3 runs, median, goal, met:\n%s", len(lines), b.String())
	}
	want := [][]string{
		{"run", "time", "(s)", "rate"},
		{"1", "3.0", "3"},
		{"2", "n/a", "n/a"},
		{"3", "1.0", "1"},
		{"median", "2.0", "2"}, // of 3 and 1; the failed run is left out
		{"goal", "<=", "1"},
		{"met", "NO"},
	}
	for i, w := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Errorf("line %d = %q, want the cells %q", i+1, lines[i], w)
		}
	}
	// Right-aligned: every line ends in the same column.
	for i, l := range lines[:5] {
		if len(strings.TrimRight(l, " ")) != len(strings.TrimRight(lines[0], " ")) {
			t.Errorf("line %d is not right-aligned with the head:\n%s", i+1, b.String())
		}
	}
}
