package line

import (
	"time"
)

// Config is everything an administrator sets up: locations, line groups and lines. It is what the
// store saves in one transaction and what provisioning files import and export.
//
// The json tags of Config and of the types in it, and of JournalEntry, are the HTTP API's, which
// still encodes these types directly; the data file (package store) and provisioning files
// (package provision) have types of their own.
type Config struct {
	Locations []Location
	Groups    []Group
	Lines     []Line
}

// Location holds the dialing rules of a site. It turns numbers between their canonical (E.164),
// display and dialable forms.
type Location struct {
	Name string
	// CountryCode is the country calling code without prefix, e.g. "49".
	CountryCode string
	// AreaCode is the area code without national prefix, e.g. "89"; empty where a country has none.
	AreaCode string
	// InternationalPrefix is dialled before a country code, e.g. "00" or "011".
	InternationalPrefix string
	// NationalPrefix is dialled before an area code, e.g. "0"; empty in countries without one.
	NationalPrefix string
	// OutsideLine is the PBX's access code for an outside line, e.g. "0"; empty for none.
	OutsideLine string
	// BaseNumber is the PBX's number without extension, e.g. "1234" for +49 89 1234-201.
	BaseNumber string
	// InternalMin and InternalMax bound the length of internal numbers (extensions).
	InternalMin int
	InternalMax int
}

// FeatureCode is a PBX code offered in a line's menu while the line has no call, e.g.
// {"Call forwarding off", "#21#"}. Clicking it dials Code verbatim.
type FeatureCode struct {
	Name string
	Code string
}

// Group is a line group. Its properties apply to every line in it.
type Group struct {
	Name string
	// NotLoggedOn is the server's answer while no client is logged on or the line is on DND.
	// Default ResponseBusyHere; ResponseClientChoice is not allowed here.
	NotLoggedOn Response
	// ClientReject is how a client's rejection is sent. Default ResponseClientChoice.
	ClientReject Response
	// HideDecline removes the Decline control from clients of this group's lines.
	HideDecline bool
	// JournalAll journals every call of every line, whatever the line's own switch says.
	JournalAll bool
	// AutoNumbers derives each line's number from its registration.
	AutoNumbers bool
	// Location names the group location; empty for none.
	Location string
	// PerLineLocation permits a line to set a location of its own.
	PerLineLocation bool
	// DisabledFunctions are never offered on the group's lines.
	DisabledFunctions []Function
	// FeatureCodes are offered in that order.
	FeatureCodes []FeatureCode
	// PickupCode contains <NUMBER> exactly once, e.g. "*59<NUMBER>"; empty for none.
	PickupCode string
	// Voicemail is what the line dials to reach its voicemail box (the voicemail lamp's click),
	// sent verbatim like a feature code, e.g. "*97"; empty for none.
	Voicemail string
	// Monitored are the extensions whose phones the group's lines watch with busy lamps
	// (RFC 4235 dialog state), e.g. "201", in the order shown; at most MaxMonitored.
	Monitored []string
	// RegisterRate paces the group's REGISTER requests, in requests per second, so that a small
	// PBX is not flooded at start-up. 0 means unpaced.
	RegisterRate float64
}

// Account is the SIP account a line registers.
type Account struct {
	// Registrar is host or host:port of the registrar; the AOR's domain is its host unless Domain
	// is set.
	Registrar string
	// Proxy is an optional outbound proxy, host or host:port, that requests are sent to instead.
	Proxy string
	// Domain is the AOR's domain when it differs from the registrar's host.
	Domain   string
	User     string
	AuthUser string
	Password string
	// Transport is udp (default), tcp or tls.
	Transport   Transport
	DisplayName string
	// Expires is the registration lifetime asked for, in seconds; 0 means DefaultExpires.
	Expires int
	// CAFile names a PEM file of extra certificate authorities trusted for TLS, in addition to
	// the system's. Verification is never switched off.
	CAFile string
	// DirectCalls sends a call to a sip: URI of another host straight to that host instead of
	// through the registrar or proxy. The line's credentials are never sent there: a challenge
	// from that host fails the call.
	DirectCalls bool
	// Encryption is the line's SRTP policy for calls (off, offer or require). The keys travel
	// in the SDP, so they are only as private as the signalling: use it with transport tls.
	Encryption MediaEncryption
}

// DefaultExpires is the registration lifetime asked for when a line sets none.
const DefaultExpires = 3600

// Line is one SIP account that Lineup registers, with its place in a group.
type Line struct {
	Name    string
	Group   string
	Account Account
	// Number is the manually set phone number, used while the group does not set numbers
	// automatically.
	Number string
	// Location is the line's own location; allowed only when its group permits it.
	Location string
	// Journal is the line's own journal switch.
	Journal bool
	// Disabled switches "use line" off. Stored negated so that a line is used unless told not.
	Disabled bool
	// DND is Do Not Disturb: the server answers calls as if no client were logged on.
	DND bool
	// Forward is the line's call forwarding, set by its user where the group offers it.
	Forward Forward
	// NoCallWaiting is the user's "call waiting off" switch: a second call while the line has
	// one gets the group's busy response instead of ringing beside it. Stored negated so that
	// call waiting is on unless switched off.
	NoCallWaiting bool
}

// Forward is a line's call forwarding rule: when it applies (Mode), where calls go (Target, a
// number in any form the line's location reads, or a sip: URI) and, for ForwardNoAnswer, after how
// many seconds of ringing (After). The server forwards with 302, as Deflect does.
type Forward struct {
	Mode   ForwardMode
	Target string
	// After is the ringing time in seconds before ForwardNoAnswer applies; 0 means
	// DefaultForwardAfter.
	After int
}

// Limits of a forwarding rule's ringing time, in seconds.
const (
	DefaultForwardAfter = 20
	MinForwardAfter     = 5
	MaxForwardAfter     = 120
)

// AfterOrDefault returns the ringing time before a no-answer forward applies.
func (f Forward) AfterOrDefault() time.Duration {
	if f.After > 0 {
		return time.Duration(f.After) * time.Second
	}
	return DefaultForwardAfter * time.Second
}

// Enabled reports whether the line is in use ("use line").
func (l Line) Enabled() bool { return !l.Disabled }

// AuthName returns the user name for digest authentication: AuthUser, or User when empty.
func (a Account) AuthName() string {
	if a.AuthUser != "" {
		return a.AuthUser
	}
	return a.User
}

// ExpiresOrDefault returns the asked registration lifetime.
func (a Account) ExpiresOrDefault() time.Duration {
	if a.Expires > 0 {
		return time.Duration(a.Expires) * time.Second
	}
	return DefaultExpires * time.Second
}

// Registration is the visible state of one line's registration.
type Registration struct {
	Line  string
	State RegState
	// Expires is when the registrar's grant runs out (RegRegistered).
	Expires time.Time
	// Code and Reason are the last failure's status code and phrase (RegFailed); Code is 0 for a
	// timeout or a transport error, whose text is in Reason.
	Code   int
	Reason string
	// RetryAt is when the next attempt after a failure is due.
	RetryAt time.Time
	// Contact is the contact address the registrar holds for the line.
	Contact string
	// Number is the number derived from the registration (AOR user or P-Associated-URI).
	Number string
	// Changed is when the state last changed.
	Changed time.Time
}
