package line

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOutcomeText(t *testing.T) {
	want := map[Outcome]string{
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
	if got := Outcomes(); len(got) != len(want) {
		t.Fatalf("Outcomes() has %d values, want %d", len(got), len(want))
	}
	for _, o := range Outcomes() {
		name, ok := want[o]
		if !ok {
			t.Fatalf("Outcomes() lists %v, which is not a documented outcome", o)
		}
		b, err := o.MarshalText()
		if err != nil || string(b) != name || o.String() != name {
			t.Errorf("%d: MarshalText = %q, %v, String = %q; want %q", int(o), b, err, o.String(), name)
		}
		var back Outcome
		if err := back.UnmarshalText([]byte(name)); err != nil || back != o {
			t.Errorf("UnmarshalText(%q) = %v, %v", name, back, err)
		}
		loose := " " + strings.ToUpper(strings.ReplaceAll(name, "_", "-")) + " "
		if got, err := ParseOutcome(loose); err != nil || got != o {
			t.Errorf("ParseOutcome(%q) = %v, %v; want %v", loose, got, err, o)
		}
	}
	if _, err := OutcomeUnset.MarshalText(); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("MarshalText of the unset outcome: err %v, want ErrUnknownValue", err)
	}
	_, err := ParseOutcome("rejected")
	if !errors.Is(err, ErrUnknownValue) || !strings.Contains(err.Error(), "answered_elsewhere") {
		t.Errorf("ParseOutcome(rejected): %v; want ErrUnknownValue listing the valid names", err)
	}
	// In JSON the outcome is its name.
	b, err := json.Marshal(struct{ O Outcome }{OutcomePickedUpLocally})
	if err != nil || string(b) != `{"O":"picked_up_locally"}` {
		t.Errorf("json = %s, %v", b, err)
	}
}

func goodEntry() JournalEntry {
	start := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	return JournalEntry{
		Line: "Reception", Group: "Zentrale", Direction: Incoming,
		LocalNumber: "+49891234201", RemoteNumber: "+4930123456", RemoteName: "Erika Mustermann",
		Start: start, Answer: start.Add(5 * time.Second), End: start.Add(65 * time.Second),
		Duration: time.Minute, Outcome: OutcomeAnswered, Client: "desktop", Memo: "call back\nabout invoice",
	}
}

func TestJournalEntryValid(t *testing.T) {
	ok := []func(*JournalEntry){
		func(*JournalEntry) {},
		// An anonymous caller who gave up: no number, no answer, no duration.
		func(e *JournalEntry) {
			e.RemoteNumber, e.RemoteName, e.Answer, e.Duration, e.Outcome = "", "", time.Time{}, 0, OutcomeMissed
		},
		func(e *JournalEntry) {
			e.Answer, e.Duration, e.Outcome, e.Code = time.Time{}, 0, OutcomeDeclined, 603
		},
		func(e *JournalEntry) { e.Answer, e.Duration, e.Outcome = time.Time{}, 0, OutcomeFailed }, // timeout: code 0
		func(e *JournalEntry) { e.Outcome = OutcomePickedUpLocally },
		func(e *JournalEntry) { e.RemoteNumber = "201" },       // an extension
		func(e *JournalEntry) { e.RemoteNumber = "anonymous" }, // a SIP user that is no number
		func(e *JournalEntry) { e.Direction, e.FeatureCode = Outgoing, "Call forwarding off" },
		func(e *JournalEntry) { e.End, e.Duration = e.Answer, 0 }, // hung up at once
	}
	for i, f := range ok {
		e := goodEntry()
		f(&e)
		if err := e.Validate(); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestJournalEntryInvalid(t *testing.T) {
	tests := []struct {
		name   string
		change func(*JournalEntry)
		key    string
		msg    string // part of the message
	}{
		{"no line", func(e *JournalEntry) { e.Line = "" }, "line", `journal entry "(no line)": line: must not be empty`},
		{"end before start", func(e *JournalEntry) { e.End = e.Start.Add(-time.Second) },
			"end", `journal entry "Reception": end "2025-03-14T09:29:59Z": must not be before start 2025-03-14T09:30:00Z`},
		{"no start", func(e *JournalEntry) { e.Start = time.Time{} }, "start", "start: must be set"},
		{"ancient end", func(e *JournalEntry) { e.End = time.Unix(5, 0) }, "end", "must not be before 2000"},
		{"answer after end", func(e *JournalEntry) { e.Answer = e.End.Add(time.Second) }, "answer", "must be between start and end"},
		{"answered without answer time", func(e *JournalEntry) { e.Answer, e.Duration = time.Time{}, 0 },
			"answer", "must be set for an answered call"},
		{"missed with answer time", func(e *JournalEntry) { e.Outcome = OutcomeMissed },
			"answer", "must be empty for a call whose outcome is missed"},
		{"negative duration", func(e *JournalEntry) { e.Duration = -time.Second }, "duration", "must not be negative"},
		{"duration too long", func(e *JournalEntry) { e.Duration = 2 * time.Minute }, "duration", "must not exceed end minus answer (1m0s)"},
		{"no outcome", func(e *JournalEntry) { e.Outcome = OutcomeUnset }, "outcome", "must be one of answered, missed"},
		{"bad direction", func(e *JournalEntry) { e.Direction = 7 }, "direction", "must be incoming or outgoing"},
		{"declined without code", func(e *JournalEntry) {
			e.Answer, e.Duration, e.Outcome = time.Time{}, 0, OutcomeDeclined
		}, "code", "must be the SIP status (400 to 699)"},
		{"code out of range", func(e *JournalEntry) { e.Code = 42 }, "code", `code "42": must be 0 or a SIP status code`},
		{"number with space", func(e *JournalEntry) { e.RemoteNumber = "+49 30 123" }, "remote_number",
			`remote number "+49 30 123": may only contain letters, digits and + * # . - _`},
		{"number as formula", func(e *JournalEntry) { e.LocalNumber = "-1+1" }, "local_number", "must not start with '-'"},
		{"number with NUL", func(e *JournalEntry) { e.RemoteNumber = "12\x0034" }, "remote_number", `"12?34"`},
		{"long number", func(e *JournalEntry) { e.RemoteNumber = strings.Repeat("1", 65) }, "remote_number", "at most 64 characters"},
		{"control in name", func(e *JournalEntry) { e.RemoteName = "Eve\x1b[2J" }, "remote_name", "must not contain control characters"},
		{"huge memo", func(e *JournalEntry) { e.Memo = strings.Repeat("x", MaxJournalMemo+1) }, "memo", "at most 4096 bytes"},
		{"bad UTF-8", func(e *JournalEntry) { e.Client = "\xff" }, "client", "valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := goodEntry()
			tc.change(&e)
			err := e.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want an ErrInvalid", err)
			}
			fes := FieldErrors(err)
			found := false
			for _, fe := range fes {
				if fe.Key == tc.key && strings.Contains(fe.Error(), tc.msg) {
					found = true
				}
				if fe.Kind != KindJournalEntry {
					t.Errorf("kind %q, want %q", fe.Kind, KindJournalEntry)
				}
			}
			if !found {
				t.Errorf("no error on %s containing %q in:\n%v", tc.key, tc.msg, err)
			}
		})
	}
}
