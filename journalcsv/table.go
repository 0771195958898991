package journalcsv

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/lineupphone/lineup/line"
)

// WriteTable writes entries as a table for people, as `lineup journal` prints it: ID, start
// (local time), line, direction, number, name, outcome (with its code, and the other parties of a
// conference the call was in), duration and memo, or
// "no journal entries". Texts that came from callers are cleaned of control characters, so that
// a display name cannot steer the terminal.
func WriteTable(w io.Writer, entries []line.JournalEntry) error {
	if len(entries) == 0 {
		_, err := fmt.Fprintln(w, "no journal entries")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTART\tLINE\tDIRECTION\tNUMBER\tNAME\tOUTCOME\tDURATION\tMEMO")
	for _, e := range entries {
		outcome := e.Outcome.String()
		if e.Code != 0 {
			outcome += " (" + strconv.Itoa(e.Code) + ")"
		}
		if e.ConferenceWith != "" {
			outcome += ", conference with " + cell(e.ConferenceWith, 40)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Start.Local().Format(time.DateTime),
			cell(e.Line, 24), e.Direction, cell(e.RemoteNumber, 24), cell(e.RemoteName, 24), outcome,
			clock(e.Duration), cell(e.Memo, 40))
	}
	return tw.Flush()
}

// clock writes a duration as h:mm:ss or m:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// cell makes a text fit one table cell: its first line, no control characters, no tabs, at most
// max characters; "-" for none.
func cell(s string, max int) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " ..."
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}
