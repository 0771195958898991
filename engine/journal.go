package engine

import (
	"context"
	"strings"
	"unicode"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// callExtras is what the journal needs of a call besides its line.Call.
type callExtras struct {
	featureCode string
	client      string
	// consultFor is the held call an outgoing consultation call is about (Consult).
	consultFor string
	// dialOpts change the INVITE (a transferee's Replaces and Referred-By).
	dialOpts []sip.DialOption
	// observe sees every report of the call (the transferee follows its call to the target).
	observe func(line.Call)
	// conferenceWith are the numbers of the other parties of a conference the call was in.
	conferenceWith []string
}

// setOutcome records how the call ends before it is finished; OutcomeUnset lets end derive it.
func (c *call) setOutcome(o line.Outcome, code int) {
	c.mu.Lock()
	c.outcome, c.outcomeCode = o, code
	c.mu.Unlock()
}

// setClient records the client that handled the call.
func (c *call) setClient(name string) {
	c.mu.Lock()
	c.client = name
	c.mu.Unlock()
}

// outcomeOf derives how a call ended from its final snapshot, where no path set it.
func outcomeOf(info line.Call, pickedUp bool) (line.Outcome, int) {
	code := info.EndCode
	switch {
	case pickedUp && !info.Answered.IsZero():
		return line.OutcomePickedUpLocally, 0
	case !info.Answered.IsZero():
		return line.OutcomeAnswered, 0
	case info.Direction == line.Incoming && code == 487:
		return line.OutcomeMissed, 0
	case info.Direction == line.Outgoing && code == 487:
		return line.OutcomeCancelled, 0
	case code == 486 || code == 600:
		return line.OutcomeBusy, code
	case code == 603 || code == 480:
		return line.OutcomeDeclined, code
	case code >= 300 && code <= 699:
		return line.OutcomeFailed, code
	}
	return line.OutcomeFailed, 0
}

// journalEnded writes the journal entry of a call that ended, when its line journals
// (line-group property 4, docs/line-groups.md), and returns the entry's ID (0 when not
// journaled).
func (c *call) journalEnded(info line.Call) uint64 {
	e, ok := c.s.effective(info.Line)
	if !ok {
		return 0
	}
	c.mu.Lock()
	o, code, pickedUp := c.outcome, c.outcomeCode, c.pickedUp
	ex := callExtras{featureCode: c.featureCode, client: c.client, conferenceWith: c.confWith}
	c.mu.Unlock()
	if o == line.OutcomeUnset {
		o, code = outcomeOf(info, pickedUp)
	}
	return c.s.journalCall(e, info, o, code, ex)
}

// journalCall queues the journal entry of an ended call; it does not wait for the disk. Fields
// the journal cannot store (a caller ID with odd characters, control characters in a name) are
// cleaned or left out rather than losing the entry.
func (s *Server) journalCall(e line.Effective, info line.Call, o line.Outcome, code int, ex callExtras) uint64 {
	if s.store == nil || !e.Journal {
		return 0
	}
	entry := line.JournalEntry{
		Line: info.Line, Group: e.Group.Name, Direction: info.Direction,
		LocalNumber: journalNumber(s.lineNumber(e)), RemoteNumber: journalNumber(info.RemoteNumber),
		// Round(0) drops the monotonic clock reading: the store keeps wall-clock times, and a
		// duration taken from monotonic readings could exceed the stored End minus Answer.
		RemoteName: journalText(info.RemoteName), Start: info.Started.Round(0), End: info.Ended.Round(0),
		Outcome: o, Code: code, FeatureCode: journalText(ex.featureCode), Client: journalText(ex.client),
		ConferenceWith: journalText(strings.Join(ex.conferenceWith, ", ")),
	}
	if o.Talked() {
		entry.Answer = info.Answered.Round(0)
		entry.Duration = max(entry.End.Sub(entry.Answer), 0)
	}
	if entry.Code != 0 && (entry.Code < 100 || entry.Code > 699) {
		entry.Code = 0
	}
	if o == line.OutcomeDeclined && (code < 400 || code > 699) {
		entry.Outcome = line.OutcomeFailed
	}
	id, err := s.store.Journal().Record(context.Background(), entry)
	if err != nil {
		s.log.Warn("call not journaled", "call", info.ID, "line", info.Line, "error", err)
		return 0
	}
	entry.ID = id
	s.publish(api.Event{Type: api.EventJournal, Entry: &entry})
	return id
}

// journalNumber is n if the journal can store and search it, else empty.
func journalNumber(n string) string {
	if line.CheckJournalNumber(n) != nil {
		return ""
	}
	return n
}

// journalText cleans a display name or client name for the journal: no control characters, at
// most line.MaxJournalText bytes of valid UTF-8.
func journalText(s string) string {
	s = strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s), "")
	for len(s) > line.MaxJournalText {
		s = s[:line.MaxJournalText]
		s = strings.ToValidUTF8(s, "")
	}
	return strings.TrimSpace(s)
}
