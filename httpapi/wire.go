package httpapi

import (
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// The JSON types on the wire. The server encodes and the client decodes these, never the api and
// line types themselves: the member names, and which members are left out when empty, are fixed
// here, so a Go field of those packages can be renamed (or lose its tags) without changing what
// clients read. Enumerations (states, functions, outcomes, responses, transports) are written as
// their names through their MarshalText and UnmarshalText methods. The golden files in testdata
// pin the result; README.md ("Local API") documents it.

// wireLine is api.Line.
type wireLine struct {
	Name          string            `json:"name"`
	Group         string            `json:"group"`
	Number        string            `json:"number,omitempty"`
	NumberDisplay string            `json:"number_display,omitempty"`
	Location      string            `json:"location,omitempty"`
	Enabled       bool              `json:"enabled"`
	DND           bool              `json:"dnd"`
	Forward       *wireForward      `json:"forward,omitempty"`
	CallWaiting   bool              `json:"call_waiting"`
	Registration  line.RegState     `json:"registration"`
	RegCode       int               `json:"reg_code,omitempty"`
	RegReason     string            `json:"reg_reason,omitempty"`
	Functions     []line.Function   `json:"functions"`
	FeatureCodes  []wireFeatureCode `json:"feature_codes,omitempty"`
	Redial        string            `json:"redial,omitempty"`
	HeldRinging   []wireCall        `json:"held_ringing,omitempty"`
	Incoming      wireDecision      `json:"incoming"`
	Voicemail     *wireVoicemail    `json:"voicemail,omitempty"`
	Lamps         []wireLamp        `json:"lamps,omitempty"`
}

// wireVoicemail is api.Voicemail, left out until the phone system said anything.
type wireVoicemail struct {
	Waiting bool `json:"waiting"`
	New     int  `json:"new"`
	Old     int  `json:"old"`
}

// wireLamp is api.Lamp.
type wireLamp struct {
	Extension string        `json:"extension"`
	State     api.LampState `json:"state"`
}

func toWireVoicemail(v api.Voicemail) *wireVoicemail {
	if !v.Known {
		return nil
	}
	return &wireVoicemail{Waiting: v.Waiting, New: v.New, Old: v.Old}
}

func (w *wireVoicemail) api() api.Voicemail {
	if w == nil {
		return api.Voicemail{}
	}
	return api.Voicemail{Known: true, Waiting: w.Waiting, New: w.New, Old: w.Old}
}

func toWireLamp(l api.Lamp) wireLamp { return wireLamp{Extension: l.Extension, State: l.State} }
func (w wireLamp) api() api.Lamp     { return api.Lamp{Extension: w.Extension, State: w.State} }

// wireDecision is line.Decision: what a call arriving now on the line gets.
type wireDecision struct {
	Reach   line.Reach    `json:"reach,omitzero"`
	Action  line.Action   `json:"action,omitzero"`
	Cause   line.Cause    `json:"cause,omitzero"`
	Answer  line.Response `json:"answer,omitzero"`
	Waiting bool          `json:"waiting,omitempty"`
	// ForwardTo, ForwardAfter (seconds) and ForwardIgnored are the forwarding rule as it
	// applies now.
	ForwardTo      string          `json:"forward_to,omitempty"`
	ForwardAfter   int             `json:"forward_after,omitempty"`
	ForwardIgnored bool            `json:"forward_ignored,omitempty"`
	Offers         []line.Function `json:"offers"`
	Decline        line.Response   `json:"decline,omitzero"`
}

func toWireDecision(d line.Decision) wireDecision {
	return wireDecision{Reach: d.Reach, Action: d.Action, Cause: d.Cause, Answer: d.Answer,
		Waiting: d.Waiting, ForwardTo: d.ForwardTo, ForwardAfter: d.ForwardAfter,
		ForwardIgnored: d.ForwardIgnored, Offers: d.Offers, Decline: d.Decline}
}

func (w wireDecision) line() line.Decision {
	return line.Decision{Reach: w.Reach, Action: w.Action, Cause: w.Cause, Answer: w.Answer,
		Waiting: w.Waiting, ForwardTo: w.ForwardTo, ForwardAfter: w.ForwardAfter,
		ForwardIgnored: w.ForwardIgnored, Offers: w.Offers, Decline: w.Decline}
}

// wireCall is api.Call.
type wireCall struct {
	ID            string             `json:"id"`
	Line          string             `json:"line"`
	Direction     line.CallDirection `json:"direction"`
	State         line.CallState     `json:"state"`
	RemoteNumber  string             `json:"remote_number,omitempty"`
	RemoteDisplay string             `json:"remote_display,omitempty"`
	RemoteName    string             `json:"remote_name,omitempty"`
	Dialled       string             `json:"dialled,omitempty"`
	FeatureCode   string             `json:"feature_code,omitempty"`
	Codec         string             `json:"codec,omitempty"`
	Encrypted     bool               `json:"encrypted,omitempty"`
	HeldByRemote  bool               `json:"held_by_remote,omitempty"`
	Muted         bool               `json:"muted,omitempty"`
	DTMFReceived  string             `json:"dtmf_received,omitempty"`
	LossPercent   float64            `json:"loss_percent"`
	ServerRinging bool               `json:"server_ringing,omitempty"`
	Started       time.Time          `json:"started"`
	Answered      time.Time          `json:"answered,omitzero"`
	Ended         time.Time          `json:"ended,omitzero"`
	EndCause      line.EndCause      `json:"end_cause,omitzero"`
	EndCode       int                `json:"end_code,omitempty"`
	EndReason     string             `json:"end_reason,omitempty"`
	JournalID     uint64             `json:"journal_id,omitempty"`
	ConsultFor    string             `json:"consult_for,omitempty"`
	Transfer      *wireTransfer      `json:"transfer,omitempty"`
	Conference    string             `json:"conference,omitempty"`
	Functions     []line.Function    `json:"functions"`
}

// wireTransfer is api.TransferStatus; a call no transfer was tried on has none.
type wireTransfer struct {
	State    api.TransferState `json:"state"`
	Target   string            `json:"target,omitempty"`
	Attended bool              `json:"attended,omitempty"`
	Code     int               `json:"code,omitempty"`
	Reason   string            `json:"reason,omitempty"`
}

func toWireTransfer(t api.TransferStatus) *wireTransfer {
	if t == (api.TransferStatus{}) {
		return nil
	}
	return &wireTransfer{State: t.State, Target: t.Target, Attended: t.Attended, Code: t.Code, Reason: t.Reason}
}

func (w *wireTransfer) api() api.TransferStatus {
	if w == nil {
		return api.TransferStatus{}
	}
	return api.TransferStatus{State: w.State, Target: w.Target, Attended: w.Attended, Code: w.Code, Reason: w.Reason}
}

// wireEvent is api.Event, the data of one event of the stream.
type wireEvent struct {
	Type  api.EventType `json:"type"`
	Line  *wireLine     `json:"line,omitempty"`
	Call  *wireCall     `json:"call,omitempty"`
	Entry *wireEntry    `json:"entry,omitempty"`
}

// wireEntry is line.JournalEntry. Duration is in nanoseconds.
type wireEntry struct {
	ID           uint64             `json:"id"`
	Line         string             `json:"line"`
	Group        string             `json:"group,omitempty"`
	Direction    line.CallDirection `json:"direction"`
	LocalNumber  string             `json:"local_number,omitempty"`
	RemoteNumber string             `json:"remote_number,omitempty"`
	RemoteName   string             `json:"remote_name,omitempty"`
	Start        time.Time          `json:"start"`
	Answer       time.Time          `json:"answer,omitzero"`
	End          time.Time          `json:"end"`
	Duration     time.Duration      `json:"duration"`
	Outcome      line.Outcome       `json:"outcome"`
	Code         int                `json:"code,omitempty"`
	FeatureCode  string             `json:"feature_code,omitempty"`
	Client       string             `json:"client,omitempty"`
	Memo         string             `json:"memo,omitempty"`
	// ConferenceWith names the other parties of a conference the call was in.
	ConferenceWith string `json:"conference_with,omitempty"`
}

// wireConfig is line.Config, read by GET and written by PUT /api/v1/config.
type wireConfig struct {
	Locations []wireLocation   `json:"locations"`
	Groups    []wireGroup      `json:"groups"`
	Lines     []wireConfigLine `json:"lines"`
}

// wireLocation is line.Location.
type wireLocation struct {
	Name                string `json:"name"`
	CountryCode         string `json:"country_code"`
	AreaCode            string `json:"area_code,omitempty"`
	InternationalPrefix string `json:"international_prefix"`
	NationalPrefix      string `json:"national_prefix,omitempty"`
	OutsideLine         string `json:"outside_line,omitempty"`
	BaseNumber          string `json:"base_number,omitempty"`
	InternalMin         int    `json:"internal_min"`
	InternalMax         int    `json:"internal_max"`
}

// wireFeatureCode is line.FeatureCode.
type wireFeatureCode struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// wireGroup is line.Group.
type wireGroup struct {
	Name              string            `json:"name"`
	NotLoggedOn       line.Response     `json:"not_logged_on"`
	ClientReject      line.Response     `json:"client_reject"`
	HideDecline       bool              `json:"hide_decline"`
	JournalAll        bool              `json:"journal_all"`
	AutoNumbers       bool              `json:"auto_numbers"`
	Location          string            `json:"location,omitempty"`
	PerLineLocation   bool              `json:"per_line_location"`
	DisabledFunctions []line.Function   `json:"disabled_functions,omitempty"`
	FeatureCodes      []wireFeatureCode `json:"feature_codes,omitempty"`
	PickupCode        string            `json:"pickup_code,omitempty"`
	Voicemail         string            `json:"voicemail,omitempty"`
	Monitored         []string          `json:"monitored,omitempty"`
	RegisterRate      float64           `json:"register_rate,omitempty"`
}

// wireAccount is line.Account.
type wireAccount struct {
	Registrar   string               `json:"registrar"`
	Proxy       string               `json:"proxy,omitempty"`
	Domain      string               `json:"domain,omitempty"`
	User        string               `json:"user"`
	AuthUser    string               `json:"auth_user,omitempty"`
	Password    string               `json:"password,omitempty"`
	Transport   line.Transport       `json:"transport"`
	DisplayName string               `json:"display_name,omitempty"`
	Expires     int                  `json:"expires,omitempty"`
	CAFile      string               `json:"ca_file,omitempty"`
	DirectCalls bool                 `json:"direct_calls,omitempty"`
	Encryption  line.MediaEncryption `json:"encryption,omitempty"`
}

// wireConfigLine is line.Line, a line of the set-up.
type wireConfigLine struct {
	Name     string       `json:"name"`
	Group    string       `json:"group"`
	Account  wireAccount  `json:"account"`
	Number   string       `json:"number,omitempty"`
	Location string       `json:"location,omitempty"`
	Journal  bool         `json:"journal"`
	Disabled bool         `json:"disabled,omitempty"`
	DND      bool         `json:"dnd,omitempty"`
	Forward  *wireForward `json:"forward,omitempty"`
	// NoCallWaiting is the user's "call waiting off" switch.
	NoCallWaiting bool `json:"no_call_waiting,omitempty"`
}

// wireForward is line.Forward; a line that does not forward and keeps no target has none.
type wireForward struct {
	Mode   line.ForwardMode `json:"mode"`
	Target string           `json:"target,omitempty"`
	After  int              `json:"after,omitempty"`
}

func toWireForward(f line.Forward) *wireForward {
	if f == (line.Forward{}) {
		return nil
	}
	return &wireForward{Mode: f.Mode, Target: f.Target, After: f.After}
}

func (w *wireForward) line() line.Forward {
	if w == nil {
		return line.Forward{}
	}
	return line.Forward{Mode: w.Mode, Target: w.Target, After: w.After}
}

// mapSlice converts each element; nil stays nil (JSON null), empty stays empty ([]).
func mapSlice[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// mapPtr converts what p points to; nil stays nil.
func mapPtr[T, U any](p *T, f func(T) U) *U {
	if p == nil {
		return nil
	}
	v := f(*p)
	return &v
}

func toWireLine(l api.Line) wireLine {
	return wireLine{
		Name: l.Name, Group: l.Group, Number: l.Number, NumberDisplay: l.NumberDisplay,
		Location: l.Location, Enabled: l.Enabled, DND: l.DND, Forward: toWireForward(l.Forward),
		CallWaiting: l.CallWaiting, Registration: l.Registration,
		RegCode: l.RegCode, RegReason: l.RegReason, Functions: l.Functions,
		FeatureCodes: mapSlice(l.FeatureCodes, toWireFeatureCode), Redial: l.Redial,
		HeldRinging: mapSlice(l.HeldRinging, toWireCall), Incoming: toWireDecision(l.Incoming),
		Voicemail: toWireVoicemail(l.Voicemail), Lamps: mapSlice(l.Lamps, toWireLamp),
	}
}

func (w wireLine) api() api.Line {
	return api.Line{
		Name: w.Name, Group: w.Group, Number: w.Number, NumberDisplay: w.NumberDisplay,
		Location: w.Location, Enabled: w.Enabled, DND: w.DND, Forward: w.Forward.line(),
		CallWaiting: w.CallWaiting, Registration: w.Registration,
		RegCode: w.RegCode, RegReason: w.RegReason, Functions: w.Functions,
		FeatureCodes: mapSlice(w.FeatureCodes, wireFeatureCode.line), Redial: w.Redial,
		HeldRinging: mapSlice(w.HeldRinging, wireCall.api), Incoming: w.Incoming.line(),
		Voicemail: w.Voicemail.api(), Lamps: mapSlice(w.Lamps, wireLamp.api),
	}
}

func toWireCall(c api.Call) wireCall {
	return wireCall{
		ID: c.ID, Line: c.Line, Direction: c.Direction, State: c.State, RemoteNumber: c.RemoteNumber,
		RemoteDisplay: c.RemoteDisplay, RemoteName: c.RemoteName, Dialled: c.Dialled,
		FeatureCode: c.FeatureCode, Codec: c.Codec, Encrypted: c.Encrypted, HeldByRemote: c.HeldByRemote, Muted: c.Muted,
		DTMFReceived: c.DTMFReceived, LossPercent: c.LossPercent, ServerRinging: c.ServerRinging,
		Started: c.Started, Answered: c.Answered, Ended: c.Ended, EndCause: c.EndCause, EndCode: c.EndCode,
		EndReason: c.EndReason, JournalID: c.JournalID, Functions: c.Functions,
		ConsultFor: c.ConsultFor, Transfer: toWireTransfer(c.Transfer), Conference: c.Conference,
	}
}

func (w wireCall) api() api.Call {
	return api.Call{
		ID: w.ID, Line: w.Line, Direction: w.Direction, State: w.State, RemoteNumber: w.RemoteNumber,
		RemoteDisplay: w.RemoteDisplay, RemoteName: w.RemoteName, Dialled: w.Dialled,
		FeatureCode: w.FeatureCode, Codec: w.Codec, Encrypted: w.Encrypted, HeldByRemote: w.HeldByRemote, Muted: w.Muted,
		DTMFReceived: w.DTMFReceived, LossPercent: w.LossPercent, ServerRinging: w.ServerRinging,
		Started: w.Started, Answered: w.Answered, Ended: w.Ended, EndCause: w.EndCause, EndCode: w.EndCode,
		EndReason: w.EndReason, JournalID: w.JournalID, Functions: w.Functions,
		ConsultFor: w.ConsultFor, Transfer: w.Transfer.api(), Conference: w.Conference,
	}
}

func toWireEvent(ev api.Event) wireEvent {
	return wireEvent{Type: ev.Type, Line: mapPtr(ev.Line, toWireLine), Call: mapPtr(ev.Call, toWireCall),
		Entry: mapPtr(ev.Entry, toWireEntry)}
}

func (w wireEvent) api() api.Event {
	return api.Event{Type: w.Type, Line: mapPtr(w.Line, wireLine.api), Call: mapPtr(w.Call, wireCall.api),
		Entry: mapPtr(w.Entry, wireEntry.line)}
}

func toWireEntry(e line.JournalEntry) wireEntry {
	return wireEntry{
		ID: e.ID, Line: e.Line, Group: e.Group, Direction: e.Direction, LocalNumber: e.LocalNumber,
		RemoteNumber: e.RemoteNumber, RemoteName: e.RemoteName, Start: e.Start, Answer: e.Answer,
		End: e.End, Duration: e.Duration, Outcome: e.Outcome, Code: e.Code, FeatureCode: e.FeatureCode,
		Client: e.Client, Memo: e.Memo, ConferenceWith: e.ConferenceWith,
	}
}

func (w wireEntry) line() line.JournalEntry {
	return line.JournalEntry{
		ID: w.ID, Line: w.Line, Group: w.Group, Direction: w.Direction, LocalNumber: w.LocalNumber,
		RemoteNumber: w.RemoteNumber, RemoteName: w.RemoteName, Start: w.Start, Answer: w.Answer,
		End: w.End, Duration: w.Duration, Outcome: w.Outcome, Code: w.Code, FeatureCode: w.FeatureCode,
		Client: w.Client, Memo: w.Memo, ConferenceWith: w.ConferenceWith,
	}
}

func toWireFeatureCode(f line.FeatureCode) wireFeatureCode {
	return wireFeatureCode{Name: f.Name, Code: f.Code}
}

func (w wireFeatureCode) line() line.FeatureCode { return line.FeatureCode{Name: w.Name, Code: w.Code} }

func toWireConfig(c line.Config) wireConfig {
	return wireConfig{
		Locations: mapSlice(c.Locations, func(l line.Location) wireLocation {
			return wireLocation{Name: l.Name, CountryCode: l.CountryCode, AreaCode: l.AreaCode,
				InternationalPrefix: l.InternationalPrefix, NationalPrefix: l.NationalPrefix,
				OutsideLine: l.OutsideLine, BaseNumber: l.BaseNumber, InternalMin: l.InternalMin,
				InternalMax: l.InternalMax}
		}),
		Groups: mapSlice(c.Groups, func(g line.Group) wireGroup {
			return wireGroup{Name: g.Name, NotLoggedOn: g.NotLoggedOn, ClientReject: g.ClientReject,
				HideDecline: g.HideDecline, JournalAll: g.JournalAll, AutoNumbers: g.AutoNumbers,
				Location: g.Location, PerLineLocation: g.PerLineLocation,
				DisabledFunctions: g.DisabledFunctions, FeatureCodes: mapSlice(g.FeatureCodes, toWireFeatureCode),
				PickupCode: g.PickupCode, Voicemail: g.Voicemail, Monitored: g.Monitored, RegisterRate: g.RegisterRate}
		}),
		Lines: mapSlice(c.Lines, func(l line.Line) wireConfigLine {
			a := l.Account
			return wireConfigLine{Name: l.Name, Group: l.Group, Number: l.Number, Location: l.Location,
				Journal: l.Journal, Disabled: l.Disabled, DND: l.DND, Forward: toWireForward(l.Forward),
				NoCallWaiting: l.NoCallWaiting,
				Account: wireAccount{Registrar: a.Registrar, Proxy: a.Proxy, Domain: a.Domain, User: a.User,
					AuthUser: a.AuthUser, Password: a.Password, Transport: a.Transport,
					DisplayName: a.DisplayName, Expires: a.Expires, CAFile: a.CAFile, DirectCalls: a.DirectCalls,
					Encryption: a.Encryption}}
		}),
	}
}

func (w wireConfig) line() line.Config {
	return line.Config{
		Locations: mapSlice(w.Locations, func(l wireLocation) line.Location {
			return line.Location{Name: l.Name, CountryCode: l.CountryCode, AreaCode: l.AreaCode,
				InternationalPrefix: l.InternationalPrefix, NationalPrefix: l.NationalPrefix,
				OutsideLine: l.OutsideLine, BaseNumber: l.BaseNumber, InternalMin: l.InternalMin,
				InternalMax: l.InternalMax}
		}),
		Groups: mapSlice(w.Groups, func(g wireGroup) line.Group {
			return line.Group{Name: g.Name, NotLoggedOn: g.NotLoggedOn, ClientReject: g.ClientReject,
				HideDecline: g.HideDecline, JournalAll: g.JournalAll, AutoNumbers: g.AutoNumbers,
				Location: g.Location, PerLineLocation: g.PerLineLocation,
				DisabledFunctions: g.DisabledFunctions, FeatureCodes: mapSlice(g.FeatureCodes, wireFeatureCode.line),
				PickupCode: g.PickupCode, Voicemail: g.Voicemail, Monitored: g.Monitored, RegisterRate: g.RegisterRate}
		}),
		Lines: mapSlice(w.Lines, func(l wireConfigLine) line.Line {
			a := l.Account
			return line.Line{Name: l.Name, Group: l.Group, Number: l.Number, Location: l.Location,
				Journal: l.Journal, Disabled: l.Disabled, DND: l.DND, Forward: l.Forward.line(),
				NoCallWaiting: l.NoCallWaiting,
				Account: line.Account{Registrar: a.Registrar, Proxy: a.Proxy, Domain: a.Domain, User: a.User,
					AuthUser: a.AuthUser, Password: a.Password, Transport: a.Transport,
					DisplayName: a.DisplayName, Expires: a.Expires, CAFile: a.CAFile, DirectCalls: a.DirectCalls,
					Encryption: a.Encryption}}
		}),
	}
}

// The bodies and replies of the routes that carry no api or line type.

// StatusInfo is the reply of GET /api/v1/status.
type StatusInfo struct {
	API                string `json:"api"`
	Sessions           int    `json:"sessions"`
	IdleTimeoutSeconds int    `json:"idle_timeout_seconds"`
}

// LogOnRequest is the body of POST /api/v1/sessions.
type LogOnRequest struct {
	Client string `json:"client"`
}

// LogOnReply is the reply of POST /api/v1/sessions.
type LogOnReply struct {
	Session            string `json:"session"`
	Client             string `json:"client"`
	IdleTimeoutSeconds int    `json:"idle_timeout_seconds"`
}

// DialableReply is the reply of GET /api/v1/lines/{line}/dialable.
type DialableReply struct {
	Dialable string `json:"dialable"`
}

// NumberRequest is the body of dial, pickup and deflect.
type NumberRequest struct {
	Number string `json:"number"`
}

// FeatureCodeRequest is the body of POST /api/v1/lines/{line}/feature-code.
type FeatureCodeRequest struct {
	Name string `json:"name"`
}

// DNDRequest is the body of PUT /api/v1/lines/{line}/dnd.
type DNDRequest struct {
	On bool `json:"on"`
}

// ForwardRequest is the body of PUT /api/v1/lines/{line}/forward: mode off, always, busy or
// no_answer, the target (a number or a sip: address) and, for no_answer, the ringing time in
// seconds (0 for the default).
type ForwardRequest struct {
	Mode   line.ForwardMode `json:"mode"`
	Target string           `json:"target,omitempty"`
	After  int              `json:"after,omitempty"`
}

// CallWaitingRequest is the body of PUT /api/v1/lines/{line}/call-waiting.
type CallWaitingRequest struct {
	On bool `json:"on"`
}

// MuteRequest is the body of PUT /api/v1/calls/{call}/mute.
type MuteRequest struct {
	Muted bool `json:"muted"`
}

// DeclineRequest is the body of POST /api/v1/calls/{call}/decline.
type DeclineRequest struct {
	Reason api.DeclineReason `json:"reason"`
}

// DTMFRequest is the body of POST /api/v1/calls/{call}/dtmf.
type DTMFRequest struct {
	Digits string `json:"digits"`
}

// MemoRequest is the body of PUT /api/v1/journal/{id}/memo.
type MemoRequest struct {
	Memo *string `json:"memo"`
}
