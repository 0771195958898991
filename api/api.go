// Package api is how clients work the line server: the Session contract, its events and the
// types it speaks in. The desktop UI uses it in-process; package httpapi serves it over the local
// HTTP+JSON API and speaks it as a Go client (used by `lineup dial` and `lineup journal`). One
// interface for both keeps what the UI can do and what the API accepts from drifting apart. The
// package holds no transport: the engine implements it without pulling in net/http.
//
// A client logs on (Phone.LogOn) and gets a Session. While at least one session is open, calls
// ring at the clients; with none, the line groups' "client not logged on" response applies
// (README.md, "Line groups at work"). Every action is checked against the group's functions and
// the line or call state (package line's function table): a deactivated function fails with an
// error wrapping line.ErrFunctionDisabled, an impossible state with line.ErrFunctionState or
// ErrCallState.
package api

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lineupphone/lineup/line"
)

// Phone is the line server as clients see it before they log on.
type Phone interface {
	// LogOn opens a session for a client. name says who the client is ("desktop", "crm");
	// it is written to the journal entries of the calls the client handles.
	LogOn(ctx context.Context, name string) (Session, error)
}

// Session is one logged-on client. Its methods are safe for concurrent use. After LogOff every
// method fails with ErrLoggedOff.
type Session interface {
	// Client is the name given at log-on; ID identifies the session.
	Client() string
	ID() string

	// Lines lists every configured line in configured order, grouped as configured.
	Lines(ctx context.Context) ([]Line, error)
	// Calls lists the calls shown to clients (not those the server holds ringing), oldest first.
	Calls(ctx context.Context) ([]Call, error)
	// Events delivers line, call and journal changes in order. The channel is closed at LogOff.
	// A client that falls behind gets an EventResync and should read Lines and Calls again.
	Events() <-chan Event

	// Dialable returns what Dial would send for input on the line (location rules applied),
	// so a client can show it before the user presses Enter.
	Dialable(ctx context.Context, lineName, input string) (string, error)
	// Dial calls input (a number in any form the line's location reads, or a sip: URI) on the
	// line; the number is converted to its dialable form.
	Dial(ctx context.Context, lineName, input string) (Call, error)
	// Redial calls the line's last dialled number again.
	Redial(ctx context.Context, lineName string) (Call, error)
	// FeatureCode dials the group's feature code of that name on the line, verbatim.
	FeatureCode(ctx context.Context, lineName, name string) (Call, error)
	// Pickup picks up the call ringing at number: locally, when number is one of this server's
	// lines and the server holds a call ringing there; else by dialling the group's pickup code
	// with number substituted.
	Pickup(ctx context.Context, lineName, number string) (Call, error)
	// Voicemail dials the group's voicemail number from the line (line.FuncVoicemail).
	Voicemail(ctx context.Context, lineName string) (Call, error)
	// SetDND switches Do Not Disturb of a line; it is saved.
	SetDND(ctx context.Context, lineName string, on bool) error
	// SetForward sets the line's call forwarding rule (line.Forward; Mode off switches it off),
	// where the group offers the forward function; it is validated as the set-up is (an error
	// wrapping line.ErrInvalid names the field) and saved.
	SetForward(ctx context.Context, lineName string, f line.Forward) error
	// SetCallWaiting switches the line's call waiting, where the group offers the call_waiting
	// function: off, a second call while the line has one gets the group's busy response. Saved.
	SetCallWaiting(ctx context.Context, lineName string, on bool) error

	// Answer takes a call ringing here.
	Answer(ctx context.Context, callID string) error
	// Decline rejects a call ringing here; the group's "reject calls by clients" setting decides
	// what is sent.
	Decline(ctx context.Context, callID string, reason DeclineReason) error
	// Deflect forwards a call ringing here, or held ringing by the server, with 302 to number.
	Deflect(ctx context.Context, callID, number string) error
	// HangUp ends a call.
	HangUp(ctx context.Context, callID string) error
	// Hold and Retrieve put a connected call on hold and take it back.
	Hold(ctx context.Context, callID string) error
	Retrieve(ctx context.Context, callID string) error
	// SendDTMF sends keypad digits (0-9 * # A-D) on a connected call.
	SendDTMF(ctx context.Context, callID, digits string) error
	// SetMuted stops or restarts sending the microphone.
	SetMuted(ctx context.Context, callID string, muted bool) error

	// Transfer passes a connected or held call on to number (a blind transfer, RFC 5589 section
	// 6): the call is held, the far end is asked (REFER) to call number, and once number answers
	// the call ends here as transferred. A transfer that fails (number busy or unknown, the far
	// end refuses) takes the call back off hold; Call.Transfer says what happened.
	Transfer(ctx context.Context, callID, number string) error
	// Consult holds the call and calls number on the same line, for an attended transfer; the
	// new call's ConsultFor names the held one. CompleteTransfer then joins the two; hanging up
	// the consultation and retrieving the held call abandons it ("back to caller").
	Consult(ctx context.Context, callID, number string) (Call, error)
	// CompleteTransfer joins a held call and its consultation (either ID may be given): the held
	// party is asked to call the consulted one, replacing our consultation call (RFC 3891), and
	// both calls end here as transferred.
	CompleteTransfer(ctx context.Context, callID string) error
	// Conference joins the client's held call and its active one (either ID may be given) in a
	// three-way conference mixed here: the held call is taken off hold, each party hears the
	// other and the user, the user hears both; Call.Conference names it. When one party hangs
	// up (or the user hangs up one call) the other is a normal call again. Hold on a call of a
	// conference holds that call only (it hears hold music and is left out of the mix);
	// Retrieve puts it back. It fails with ErrCallState unless the client has exactly one other
	// connected or held call beside this one, neither in a conference yet.
	Conference(ctx context.Context, callID string) error

	// Journal reads journal entries, newest first.
	Journal(ctx context.Context, q JournalQuery) ([]line.JournalEntry, error)
	// SetMemo sets the memo of a journal entry.
	SetMemo(ctx context.Context, entryID uint64, memo string) error

	// Config returns the whole set-up: locations, line groups and lines (with passwords: the
	// API is local and token-protected).
	Config(ctx context.Context) (line.Config, error)
	// SaveConfig validates cfg and saves it in one transaction, or saves nothing and returns an
	// error wrapping line.ErrInvalid whose message names each field and rule. Saved changes reach
	// the running lines at once; a line re-registers only when its account changed.
	SaveConfig(ctx context.Context, cfg line.Config) error

	// LogOff ends the session. With no session left the "not logged on" response applies.
	LogOff(ctx context.Context) error
}

// DeclineReason is what a client says when it rejects a call.
type DeclineReason int

// A client declines as busy or as declined.
const (
	DeclineBusy DeclineReason = iota + 1
	DeclineDecline
)

// Line is a line as a client shows it.
type Line struct {
	Name  string
	Group string
	// Number is the line's number in canonical form and NumberDisplay as a person reads it; both
	// empty when the line has none (yet).
	Number        string
	NumberDisplay string
	// Location is the name of the location whose rules apply to the line; empty for none.
	Location string
	Enabled  bool
	DND      bool
	// Forward is the line's forwarding rule as its user set it (Mode off when it does not
	// forward); Incoming says whether it applies now (a group may deactivate forwarding).
	Forward line.Forward
	// CallWaiting is the user's call waiting switch (on unless switched off); the group may
	// still not offer a second call (Incoming says what one gets).
	CallWaiting bool
	// Registration is the line's registration state. After a failure RegCode is the registrar's
	// status code and RegReason its reason phrase as it came (e.g. 403, "Forbidden"); RegCode is 0
	// for a timeout or a transport error, whose text is in RegReason. Clients word the hint.
	Registration line.RegState
	RegCode      int
	RegReason    string
	// Functions are the line functions offered now (dial, dnd, pickup, feature_codes, redial).
	Functions []line.Function
	// FeatureCodes are the group's feature codes, offered only while "feature_codes" is in
	// Functions.
	FeatureCodes []line.FeatureCode
	// Redial is the last number dialled on the line, as the user gave it.
	Redial string
	// HeldRinging are the calls the server holds ringing on the line (decline setting 180): the
	// clients do not ring for them; they can be deflected or picked up.
	HeldRinging []Call
	// Incoming is what a call arriving on the line now would get (line.DecideIncoming): whether
	// it can reach the line, whether the server answers it (and with what, and why) or it rings
	// at the clients, and what they may do with it. Clients word it.
	Incoming line.Decision
	// Voicemail is the line's voicemail lamp (lamps.go); Lamps the busy lamps of the extensions
	// its group monitors, in the group's order.
	Voicemail Voicemail
	Lamps     []Lamp
}

// Call is a call as a client shows it.
type Call struct {
	ID        string
	Line      string
	Direction line.CallDirection
	State     line.CallState
	// RemoteNumber is the far end's number, canonical when the line's location can read it, else
	// as it came; RemoteDisplay is its display form; RemoteName the display name that came.
	RemoteNumber  string
	RemoteDisplay string
	RemoteName    string
	// Dialled is what was sent to the PBX for an outgoing call.
	Dialled string
	// FeatureCode names the feature code the call dialled.
	FeatureCode string
	Codec       string
	// Encrypted is set while the call's media is encrypted (SRTP).
	Encrypted    bool
	HeldByRemote bool
	Muted        bool
	DTMFReceived string
	LossPercent  float64
	// ServerRinging is set for a call the server holds ringing (decline setting 180).
	ServerRinging bool
	Started       time.Time
	Answered      time.Time
	Ended         time.Time
	// EndCause, EndCode and EndReason say why an ended call ended (see line.Call).
	EndCause  line.EndCause
	EndCode   int
	EndReason string
	// JournalID is the journal entry of an ended call, once written; 0 when the call is not
	// journaled.
	JournalID uint64
	// ConsultFor, on a consultation call (Consult), is the ID of the held call it consults
	// about; empty for other calls.
	ConsultFor string
	// Transfer is where a transfer of this call stands; its State is TransferNone when none was
	// tried.
	Transfer TransferStatus
	// Conference is the ID of the conference the call is in (Session.Conference), shared by its
	// calls; empty when it is in none.
	Conference string
	// Functions are the call functions offered now (answer, decline, hangup, hold, retrieve,
	// dtmf, deflect, transfer, conference).
	Functions []line.Function
}

// TransferStatus is where a transfer of a call stands.
type TransferStatus struct {
	State TransferState
	// Target is whom the call is passed to, as the user gave it (or the transferee was told).
	Target string
	// Attended is set for a transfer after a consultation (CompleteTransfer).
	Attended bool
	// Code and Reason are the last status of the target's call the far end reported, or its
	// answer to the REFER when it refused; 0 while none came.
	Code   int
	Reason string
}

// TransferState is a step of a transfer.
type TransferState int

// The steps of a transfer: the far end is asked (pending), the target rings, it answered
// (done: the call ends), or it failed (the call is back; Code and Reason say why).
const (
	TransferNone TransferState = iota
	TransferPending
	TransferRinging
	TransferDone
	TransferFailed
)

var transferStateNames = []string{"none", "pending", "ringing", "done", "failed"}

// String returns the state's name, e.g. "ringing".
func (t TransferState) String() string {
	if t >= 0 && int(t) < len(transferStateNames) {
		return transferStateNames[t]
	}
	return fmt.Sprintf("TransferState(%d)", int(t))
}

// MarshalText writes the name.
func (t TransferState) MarshalText() ([]byte, error) {
	if t < 0 || int(t) >= len(transferStateNames) {
		return nil, fmt.Errorf("transfer state %d: %w", int(t), ErrBadInput)
	}
	return []byte(transferStateNames[t]), nil
}

// UnmarshalText reads a name written by MarshalText.
func (t *TransferState) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	for i, n := range transferStateNames {
		if n == s {
			*t = TransferState(i)
			return nil
		}
	}
	return fmt.Errorf("transfer state %q: %w", s, ErrBadInput)
}

// EventType says what an Event carries.
type EventType int

// The events of a session.
const (
	// EventLine: Line changed (registration, number, DND, calls, offered functions).
	EventLine EventType = iota + 1
	// EventCall: Call changed; a call whose State is ended is gone.
	EventCall
	// EventCallRemoved: the call left the clients' view without ending (the server holds it
	// ringing); Call is its last view.
	EventCallRemoved
	// EventJournal: Entry was written to the journal.
	EventJournal
	// EventResync: events were lost because the client fell behind; read Lines and Calls again.
	EventResync
)

// Event is one change a session is told of.
type Event struct {
	Type  EventType
	Line  *Line
	Call  *Call
	Entry *line.JournalEntry
}

// JournalQuery selects journal entries; zero fields select everything, filters combine with
// "and". Number matches the end of the remote or local number (whole number with ExactNumber).
type JournalQuery struct {
	Line        string
	Number      string
	ExactNumber bool
	Outcome     line.Outcome
	From        time.Time
	To          time.Time
	Before      uint64
	Limit       int
}

var declineReasonNames = []string{DeclineBusy: "busy", DeclineDecline: "decline"}

// String returns "busy" or "decline".
func (r DeclineReason) String() string {
	if r >= DeclineBusy && int(r) < len(declineReasonNames) {
		return declineReasonNames[r]
	}
	return fmt.Sprintf("DeclineReason(%d)", int(r))
}

// MarshalText writes the name.
func (r DeclineReason) MarshalText() ([]byte, error) {
	if r < DeclineBusy || int(r) >= len(declineReasonNames) {
		return nil, fmt.Errorf("decline reason %d: %w", int(r), ErrBadInput)
	}
	return []byte(declineReasonNames[r]), nil
}

// UnmarshalText reads "busy" or "decline".
func (r *DeclineReason) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	for i, n := range declineReasonNames {
		if n != "" && n == s {
			*r = DeclineReason(i)
			return nil
		}
	}
	return fmt.Errorf("decline reason %q: must be busy or decline: %w", s, ErrBadInput)
}

var eventTypeNames = []string{EventLine: "line", EventCall: "call", EventCallRemoved: "call_removed",
	EventJournal: "journal", EventResync: "resync"}

// String returns the event type's name as the event stream writes it, e.g. "call_removed".
func (t EventType) String() string {
	if t >= EventLine && int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// MarshalText writes the name.
func (t EventType) MarshalText() ([]byte, error) {
	if t < EventLine || int(t) >= len(eventTypeNames) {
		return nil, fmt.Errorf("event type %d: %w", int(t), ErrBadInput)
	}
	return []byte(eventTypeNames[t]), nil
}

// UnmarshalText reads a name written by MarshalText.
func (t *EventType) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	for i, n := range eventTypeNames {
		if n != "" && n == s {
			*t = EventType(i)
			return nil
		}
	}
	return fmt.Errorf("event type %q: %w", s, ErrBadInput)
}

// LineOffering returns the name of the first line that offers f now, in configured order, or an
// error that says where each line stands (e.g. "no line offers dial now (Off: switched off,
// Lost: failed)"), for a client that was not told which line to use.
func LineOffering(lines []Line, f line.Function) (string, error) {
	for _, l := range lines {
		if slices.Contains(l.Functions, f) {
			return l.Name, nil
		}
	}
	if len(lines) == 0 {
		return "", fmt.Errorf("no line offers %s now (no line is configured)", f)
	}
	parts := make([]string, 0, len(lines))
	for _, l := range lines {
		st := l.Registration.String()
		if !l.Enabled {
			st = "switched off"
		}
		parts = append(parts, fmt.Sprintf("%s: %s", l.Name, st))
	}
	return "", fmt.Errorf("no line offers %s now (%s)", f, strings.Join(parts, ", "))
}
