package line

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Outcome is how a journaled call ended.
type Outcome int

// The outcomes of a call. The zero value is no outcome and is refused by JournalEntry.Validate,
// so that an entry whose outcome was forgotten is not journaled as something it was not.
const (
	OutcomeUnset Outcome = iota
	// OutcomeAnswered: the call was connected (by a client here, or by the far end for an
	// outgoing call).
	OutcomeAnswered
	// OutcomeMissed: an incoming call rang and nobody answered before the caller gave up.
	OutcomeMissed
	// OutcomeDeclined: the call was rejected with a SIP status (JournalEntry.Code), by a client
	// or by the server's decline settings, or an outgoing call was refused by the far end.
	OutcomeDeclined
	// OutcomeBusy: 486 Busy Here, sent (incoming) or received (outgoing).
	OutcomeBusy
	// OutcomeCancelled: an outgoing call was hung up by us before it was answered.
	OutcomeCancelled
	// OutcomeAnsweredElsewhere: the PBX cancelled the call because another phone took it.
	OutcomeAnsweredElsewhere
	// OutcomePickedUpLocally: a call held ringing by the server was picked up on another line of
	// this Lineup.
	OutcomePickedUpLocally
	// OutcomeDeflected: the ringing call was forwarded with 302 to a number the user gave.
	OutcomeDeflected
	// OutcomeFailed: the call could not be set up (JournalEntry.Code, or 0 for a timeout or a
	// transport error).
	OutcomeFailed
	// OutcomeTransferred: the call was connected, then passed on to another party (transfer,
	// RFC 5589) by this side or by the far end.
	OutcomeTransferred
	// OutcomeForwarded: the line's forwarding rule sent the call on with 302 (always, busy, or
	// after it rang unanswered), without anyone here deciding.
	OutcomeForwarded
)

var outcomeNames = []string{
	OutcomeAnswered:          "answered",
	OutcomeMissed:            "missed",
	OutcomeDeclined:          "declined",
	OutcomeBusy:              "busy",
	OutcomeCancelled:         "cancelled",
	OutcomeAnsweredElsewhere: "answered_elsewhere",
	OutcomePickedUpLocally:   "picked_up_locally",
	OutcomeDeflected:         "deflected",
	OutcomeFailed:            "failed",
	OutcomeTransferred:       "transferred",
	OutcomeForwarded:         "forwarded",
}

// Outcomes returns every valid outcome, in declaration order.
func Outcomes() []Outcome {
	out := make([]Outcome, 0, len(outcomeNames)-1)
	for o := OutcomeAnswered; int(o) < len(outcomeNames); o++ {
		out = append(out, o)
	}
	return out
}

// Valid reports whether o is one of the declared outcomes (OutcomeUnset is not).
func (o Outcome) Valid() bool { return o > OutcomeUnset && int(o) < len(outcomeNames) }

// Talked reports whether a call of outcome o was connected: answered, picked up locally or
// transferred after talking. Only those have an answer time and a duration.
func (o Outcome) Talked() bool {
	return o == OutcomeAnswered || o == OutcomePickedUpLocally || o == OutcomeTransferred
}

// String returns the outcome's name as written in files and the API, e.g. "answered_elsewhere".
func (o Outcome) String() string {
	if o.Valid() {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// MarshalText writes the name; an invalid outcome is an error.
func (o Outcome) MarshalText() ([]byte, error) {
	if !o.Valid() {
		return nil, fmt.Errorf("outcome %d: %w", int(o), ErrUnknownValue)
	}
	return []byte(outcomeNames[o]), nil
}

// UnmarshalText reads a name written by MarshalText. Case and surrounding spaces are ignored, and
// '-' may stand for '_' ("answered-elsewhere").
func (o *Outcome) UnmarshalText(b []byte) error {
	v, err := ParseOutcome(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}

// ParseOutcome reads an outcome's name, as UnmarshalText does.
func ParseOutcome(s string) (Outcome, error) {
	k := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "_")
	for _, o := range Outcomes() {
		if outcomeNames[o] == k {
			return o, nil
		}
	}
	names := make([]string, 0, len(outcomeNames))
	for _, o := range Outcomes() {
		names = append(names, outcomeNames[o])
	}
	return OutcomeUnset, fmt.Errorf("outcome %q: %w (want one of %s)", s, ErrUnknownValue, strings.Join(names, ", "))
}

// KindJournalEntry is the Kind of the FieldErrors that JournalEntry.Validate returns. Their Name
// is the entry's line.
const KindJournalEntry Kind = "journal entry"

// Limits of a journal entry's fields, in bytes.
const (
	MaxJournalNumber = 64   // LocalNumber, RemoteNumber
	MaxJournalText   = 256  // Line, Group, RemoteName, FeatureCode, Client
	MaxJournalMemo   = 4096 // Memo
)

// ErrEmptyJournalNumber is returned by CheckJournalNumber for an empty number.
var ErrEmptyJournalNumber = errors.New("must not be empty")

// JournalEntry is the journal's record of one call, written when the call ends.
type JournalEntry struct {
	// ID is assigned by the store when the entry is written; it grows with every entry written.
	ID    uint64
	Line  string
	Group string
	// Direction says who placed the call.
	Direction CallDirection
	// LocalNumber is the line's own number and RemoteNumber the far end's, both canonical
	// (E.164 like "+49891234567", or a bare extension like "201"). RemoteNumber is empty for an
	// anonymous caller.
	LocalNumber  string
	RemoteNumber string
	// RemoteName is the far end's display name, as it came.
	RemoteName string
	// Start is when the call began ringing (incoming) or was dialed (outgoing), Answer when it
	// was connected (zero when it never was), End when it ended.
	Start  time.Time
	Answer time.Time
	End    time.Time
	// Duration is how long the call was connected: zero unless it was answered, and at most
	// End minus Answer.
	Duration time.Duration
	Outcome  Outcome
	// Code is the SIP status code of a declined or failed call (e.g. 603), or of the response
	// that ended the call otherwise where one applies (486, 302); 0 when none applies.
	Code int
	// FeatureCode is the name of the feature code the call dialed, if any.
	FeatureCode string
	// Client names the client that handled the call (empty when the server handled it alone).
	Client string
	// Memo is the user's note on the call.
	Memo string
	// ConferenceWith, for a call that was in a conference, names the other parties (their
	// numbers, comma-separated); empty otherwise.
	ConferenceWith string
}

// earliestJournalTime bounds journal times from below, so that a zero or garbage time is caught.
var earliestJournalTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Validate checks the entry as the journal stores it. It returns nil, or an errors.Join of
// *FieldError (Kind KindJournalEntry, Name the entry's line), so errors.Is(err, ErrInvalid) holds.
// The ID is not checked: the store assigns it.
func (e JournalEntry) Validate() error {
	name := e.Line
	if name == "" {
		name = "(no line)"
	}
	var errs []error
	add := func(key, field, value, rule string) {
		errs = append(errs, &FieldError{Kind: KindJournalEntry, Name: name, Key: key, Field: field,
			Value: value, Rule: rule})
	}
	text := func(key, field, s string, max int, required bool) {
		switch {
		case s == "" && required:
			add(key, field, "", "must not be empty")
		case len(s) > max:
			add(key, field, "", fmt.Sprintf("must be at most %d bytes long, is %d", max, len(s)))
		case !utf8.ValidString(s):
			add(key, field, "", "must be valid UTF-8 text")
		default:
			for _, r := range s {
				if unicode.IsControl(r) && (key != "memo" || r != '\n' && r != '\r' && r != '\t') {
					add(key, field, s, "must not contain control characters")
					break
				}
			}
		}
	}
	text("line", "line", e.Line, MaxJournalText, true)
	text("group", "group", e.Group, MaxJournalText, false)
	text("remote_name", "remote name", e.RemoteName, MaxJournalText, false)
	text("feature_code", "feature code", e.FeatureCode, MaxJournalText, false)
	text("client", "client", e.Client, MaxJournalText, false)
	text("memo", "memo", e.Memo, MaxJournalMemo, false) // may span lines
	for _, n := range []struct{ key, field, v string }{
		{"local_number", "local number", e.LocalNumber},
		{"remote_number", "remote number", e.RemoteNumber},
	} {
		if n.v == "" {
			continue
		}
		if err := CheckJournalNumber(n.v); err != nil {
			add(n.key, n.field, printable(n.v), err.Error())
		}
	}
	if e.Direction != Incoming && e.Direction != Outgoing {
		add("direction", "direction", fmt.Sprint(int(e.Direction)), "must be incoming or outgoing")
	}
	if !e.Outcome.Valid() {
		add("outcome", "outcome", "", "must be one of "+strings.Join(outcomeNames[1:], ", "))
	}
	const stamp = time.RFC3339Nano
	timesOK := true
	for _, tm := range []struct {
		key string
		t   time.Time
	}{{"start", e.Start}, {"end", e.End}} {
		if tm.t.IsZero() {
			add(tm.key, tm.key, "", "must be set")
			timesOK = false
		} else if tm.t.Before(earliestJournalTime) {
			add(tm.key, tm.key, tm.t.Format(stamp), "must not be before 2000")
			timesOK = false
		}
	}
	if timesOK && e.End.Before(e.Start) {
		add("end", "end", e.End.Format(stamp), "must not be before start "+e.Start.Format(stamp))
		timesOK = false
	}
	if !e.Answer.IsZero() && timesOK && (e.Answer.Before(e.Start) || e.Answer.After(e.End)) {
		add("answer", "answer", e.Answer.Format(stamp), "must be between start and end")
	}
	switch {
	case (e.Outcome == OutcomeAnswered || e.Outcome == OutcomeTransferred) && e.Answer.IsZero():
		add("answer", "answer", "", "must be set for an "+e.Outcome.String()+" call")
	case !e.Answer.IsZero() && e.Outcome.Valid() && !e.Outcome.Talked():
		add("answer", "answer", e.Answer.Format(stamp), "must be empty for a call whose outcome is "+e.Outcome.String())
	}
	switch {
	case e.Duration < 0:
		add("duration", "duration", e.Duration.String(), "must not be negative")
	case e.Duration > 0 && e.Answer.IsZero():
		add("duration", "duration", e.Duration.String(), "must be 0 for a call that was not answered")
	case e.Duration > 0 && timesOK && e.Duration > e.End.Sub(e.Answer):
		add("duration", "duration", e.Duration.String(), "must not exceed end minus answer ("+e.End.Sub(e.Answer).String()+")")
	}
	switch {
	case e.Outcome == OutcomeDeclined && (e.Code < 400 || e.Code > 699):
		add("code", "code", fmt.Sprint(e.Code), "must be the SIP status (400 to 699) the call was declined with")
	case e.Code != 0 && (e.Code < 100 || e.Code > 699):
		add("code", "code", fmt.Sprint(e.Code), "must be 0 or a SIP status code (100 to 699)")
	}
	return errors.Join(errs...)
}

// CheckJournalNumber returns why s is not a number the journal can store and search, or nil: 1
// to MaxJournalNumber bytes of letters, digits and + * # . - _ (a SIP user part that is not a
// phone number, such as "anonymous" or "alice", is kept as it came). A leading '-' is refused, so
// that a number cannot read as a formula in a spreadsheet.
func CheckJournalNumber(s string) error {
	switch {
	case s == "":
		return ErrEmptyJournalNumber
	case len(s) > MaxJournalNumber:
		return fmt.Errorf("must be at most %d characters long", MaxJournalNumber)
	case s[0] == '-':
		return errors.New("must not start with '-'")
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || strings.IndexByte("+*#.-_", b) >= 0 {
			continue
		}
		return errors.New("may only contain letters, digits and + * # . - _")
	}
	return nil
}

// printable shortens and cleans a bad value for an error message.
func printable(s string) string {
	if len(s) > MaxJournalNumber {
		s = s[:MaxJournalNumber] + "..."
	}
	return strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s), "?")
}
