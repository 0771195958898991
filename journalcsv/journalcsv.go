// Package journalcsv writes call journal entries for people and programs: as CSV (Writer), as
// the table `lineup journal` prints (WriteTable), and page by page from any journal query
// (Pages, WritePages, Print), so that no export holds the whole journal or one long read open;
// QueryFlags are the journal filters of the command line. The store's export, the journal
// command and the desktop app's journal view all write through it, so the file is the same
// whichever wrote it. It is its own package so that the app and the command need not import the
// store (and bbolt) for it; it depends only on the pure packages line and api.
package journalcsv

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/lineupphone/lineup/line"
)

// Writer writes journal entries as CSV (RFC 4180, encoding/csv) with a header row: id, line,
// group, direction, local_number, remote_number, remote_name, start, answer, end (RFC 3339 in
// the local time zone, answer empty when the call was not answered), duration_seconds (to the
// millisecond), outcome (its name), code (empty for 0), feature_code, client, memo. A text cell
// that a spreadsheet would run as a formula (it starts with = @ tab or CR, or with + or - not
// followed by digits only) is written with a leading apostrophe.
type Writer struct {
	cw     *csv.Writer
	header bool
}

// New returns a Writer writing to w.
func New(w io.Writer) *Writer { return &Writer{cw: csv.NewWriter(w)} }

// Write writes entries as rows, after the header row on the first call.
func (c *Writer) Write(entries []line.JournalEntry) error {
	if !c.header {
		if err := c.cw.Write(journalCSVHeader); err != nil {
			return err
		}
		c.header = true
	}
	for i := range entries {
		if err := c.cw.Write(csvRow(&entries[i])); err != nil {
			return err
		}
	}
	return nil
}

// Flush writes the header if no row was written, and whatever is buffered.
func (c *Writer) Flush() error {
	if !c.header {
		if err := c.Write(nil); err != nil {
			return err
		}
	}
	c.cw.Flush()
	return c.cw.Error()
}

// journalCSVHeader names the columns.
var journalCSVHeader = []string{
	"id", "line", "group", "direction", "local_number", "remote_number", "remote_name",
	"start", "answer", "end", "duration_seconds", "outcome", "code", "feature_code", "client", "memo",
}

func csvRow(e *line.JournalEntry) []string {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format(time.RFC3339)
	}
	code := ""
	if e.Code != 0 {
		code = strconv.Itoa(e.Code)
	}
	return []string{
		strconv.FormatUint(e.ID, 10), csvText(e.Line), csvText(e.Group), e.Direction.String(),
		csvText(e.LocalNumber), csvText(e.RemoteNumber), csvText(e.RemoteName),
		stamp(e.Start), stamp(e.Answer), stamp(e.End),
		strconv.FormatFloat(e.Duration.Round(time.Millisecond).Seconds(), 'f', -1, 64),
		e.Outcome.String(), code, csvText(e.FeatureCode), csvText(e.Client), csvText(e.Memo),
	}
}

// csvText defuses a cell that a spreadsheet would take for a formula. The remote name comes from
// the caller's SIP headers, so it must not be able to run anything on the user's machine.
func csvText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if len(s) == 1 {
			return "'" + s
		}
		for i := 1; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return "'" + s
			}
		}
	}
	return s
}
