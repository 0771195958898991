package store

// The journal's keys and its record type. journalRecord, not line.JournalEntry, defines how an
// entry is written (testdata/records.golden pins it).

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lineupphone/lineup/line"
)

func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), id)
}

// indexKey returns prefix + 0x00 + ID.
func indexKey(prefix []byte, id uint64) []byte {
	k := make([]byte, 0, len(prefix)+9)
	k = append(k, prefix...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, id)
}

func numberKey(n string, id uint64) []byte { return indexKey(reversed(n), id) }

func reversed(s string) []byte {
	b := []byte(s)
	slices.Reverse(b)
	return b
}

// journalRecord is how an entry is stored: times as Unix nanoseconds, names of enumerations as
// text. Zero fields are left out.
type journalRecord struct {
	Line         string `json:"line"`
	Group        string `json:"group,omitempty"`
	Direction    string `json:"direction"`
	LocalNumber  string `json:"local,omitempty"`
	RemoteNumber string `json:"remote,omitempty"`
	RemoteName   string `json:"name,omitempty"`
	Start        int64  `json:"start"`
	Answer       int64  `json:"answer,omitempty"`
	End          int64  `json:"end"`
	Duration     int64  `json:"duration,omitempty"`
	Outcome      string `json:"outcome"`
	Code         int    `json:"code,omitempty"`
	FeatureCode  string `json:"feature_code,omitempty"`
	Client       string `json:"client,omitempty"`
	Memo         string `json:"memo,omitempty"`
	// Conference names the other parties of a conference the call was in.
	Conference string `json:"conference,omitempty"`
}

func toRecord(e *line.JournalEntry) journalRecord {
	r := journalRecord{
		Line: e.Line, Group: e.Group, Direction: e.Direction.String(),
		LocalNumber: e.LocalNumber, RemoteNumber: e.RemoteNumber, RemoteName: e.RemoteName,
		Start: e.Start.UnixNano(), End: e.End.UnixNano(), Duration: int64(e.Duration),
		Outcome: e.Outcome.String(), Code: e.Code, FeatureCode: e.FeatureCode, Client: e.Client, Memo: e.Memo,
		Conference: e.ConferenceWith,
	}
	if !e.Answer.IsZero() {
		r.Answer = e.Answer.UnixNano()
	}
	return r
}

// decodeEntry reads the record stored under key k. Times come back in the local time zone.
func decodeEntry(k, v []byte) (line.JournalEntry, error) {
	bad := func(what string) error {
		return fmt.Errorf("bucket %q key %x: %s: %w", bucketJournal, k, what, ErrCorrupt)
	}
	if len(k) != 8 {
		return line.JournalEntry{}, bad("key is not 8 bytes")
	}
	var r journalRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return line.JournalEntry{}, bad(err.Error())
	}
	e := line.JournalEntry{
		ID: binary.BigEndian.Uint64(k), Line: r.Line, Group: r.Group,
		LocalNumber: r.LocalNumber, RemoteNumber: r.RemoteNumber, RemoteName: r.RemoteName,
		Start: time.Unix(0, r.Start), End: time.Unix(0, r.End), Duration: time.Duration(r.Duration),
		Code: r.Code, FeatureCode: r.FeatureCode, Client: r.Client, Memo: r.Memo,
		ConferenceWith: r.Conference,
	}
	if r.Answer != 0 {
		e.Answer = time.Unix(0, r.Answer)
	}
	switch r.Direction {
	case line.Incoming.String():
		e.Direction = line.Incoming
	case line.Outgoing.String():
		e.Direction = line.Outgoing
	default:
		return line.JournalEntry{}, bad(fmt.Sprintf("unknown direction %q", r.Direction))
	}
	o, err := line.ParseOutcome(r.Outcome)
	if err != nil {
		return line.JournalEntry{}, bad(err.Error())
	}
	e.Outcome = o
	return e, nil
}
