package journalcsv

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

func queryOf(t *testing.T, args ...string) (api.JournalQuery, error) {
	t.Helper()
	fs := flag.NewFlagSet("journal", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	qf := AddQueryFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return qf.Query()
}

func TestQueryFlags(t *testing.T) {
	q, err := queryOf(t, "--line", "Sales", "--number", " +49891234567 ", "--exact", "--outcome", "missed",
		"--from", "2026-01-31", "--to", "2026-02-01T14:00:00+01:00", "--limit", "5")
	want := api.JournalQuery{Line: "Sales", Number: "+49891234567", ExactNumber: true, Outcome: line.OutcomeMissed,
		From: time.Date(2026, 1, 31, 0, 0, 0, 0, time.Local), To: time.Date(2026, 2, 1, 13, 0, 0, 0, time.UTC), Limit: 5}
	if err != nil || q.Line != want.Line || q.Number != want.Number || !q.ExactNumber || q.Outcome != want.Outcome ||
		!q.From.Equal(want.From) || !q.To.Equal(want.To) || q.Limit != 5 {
		t.Errorf("query %+v, %v; want %+v", q, err, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--exact"}, "--exact needs --number"},
		{[]string{"--number", "12 34"}, "--number"},
		{[]string{"--outcome", "lost"}, "--outcome"},
		{[]string{"--from", "yesterday"}, `--from "yesterday"`},
		{[]string{"--from", "2026-02-01", "--to", "2026-01-31"}, "--to"},
		{[]string{"--limit", "-1"}, "--limit -1"},
	} {
		if _, err := queryOf(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}
