package line

import (
	"fmt"
	"strings"
)

// Response is a SIP answer that a line group's decline settings give to an incoming call that is
// not taken by a client. The numbers are the status codes of RFC 3261 section 21.
type Response int

// The responses a decline setting can name. ResponseClientChoice is only valid for the "reject
// calls by clients" setting: it sends what the client chose (busy → 486, decline → 603).
const (
	ResponseUnset Response = iota
	ResponseBusyHere
	ResponseTemporarilyUnavailable
	ResponseDecline
	ResponseRinging
	ResponseClientChoice
)

// responseNames holds each response's short form and its reason phrase (RFC 3261 section 21;
// the client's choice joins its two).
var responseNames = map[Response]struct{ text, phrase string }{
	ResponseBusyHere:               {"486", "Busy Here"},
	ResponseTemporarilyUnavailable: {"480", "Temporarily Unavailable"},
	ResponseDecline:                {"603", "Decline"},
	ResponseRinging:                {"180", "Ringing"},
	ResponseClientChoice:           {"486/603", "Busy Here/Decline"},
}

// String returns the label shown in menus, e.g. "Busy Here (486)".
func (r Response) String() string {
	if n, ok := responseNames[r]; ok {
		return n.phrase + " (" + n.text + ")"
	}
	return fmt.Sprintf("Response(%d)", int(r))
}

// Phrase returns the reason phrase sent with the response's status line, e.g. "Busy Here"
// (RFC 3261 section 21), or "" for an unset value.
func (r Response) Phrase() string { return responseNames[r].phrase }

// Code returns the SIP status code the response sends, or 0 for ResponseClientChoice and unset
// values, whose code depends on the client.
func (r Response) Code() int {
	switch r {
	case ResponseBusyHere:
		return 486
	case ResponseTemporarilyUnavailable:
		return 480
	case ResponseDecline:
		return 603
	case ResponseRinging:
		return 180
	}
	return 0
}

// MarshalText writes the short form used in provisioning files: "486", "480", "603", "180" or
// "486/603".
func (r Response) MarshalText() ([]byte, error) {
	n, ok := responseNames[r]
	if !ok {
		return nil, fmt.Errorf("response %d: %w", int(r), ErrUnknownValue)
	}
	return []byte(n.text), nil
}

// UnmarshalText reads the short form written by MarshalText.
func (r *Response) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	for k, n := range responseNames {
		if s == n.text {
			*r = k
			return nil
		}
	}
	return fmt.Errorf("response %q: %w (want 486, 480, 603, 180 or 486/603)", s, ErrUnknownValue)
}

// Transport is the SIP transport a line registers over.
type Transport int

// The transports of a line. TransportUDP is the default.
const (
	TransportUDP Transport = iota
	TransportTCP
	TransportTLS
)

var transportNames = []string{"udp", "tcp", "tls"}

// String returns "udp", "tcp" or "tls", as sipgo names networks.
func (t Transport) String() string {
	if t >= 0 && int(t) < len(transportNames) {
		return transportNames[t]
	}
	return fmt.Sprintf("Transport(%d)", int(t))
}

// DefaultPort is the registrar port used when a line names none: 5060, or 5061 for TLS.
func (t Transport) DefaultPort() int {
	if t == TransportTLS {
		return 5061
	}
	return 5060
}

// MarshalText writes the lower-case name.
func (t Transport) MarshalText() ([]byte, error) {
	if t < 0 || int(t) >= len(transportNames) {
		return nil, fmt.Errorf("transport %d: %w", int(t), ErrUnknownValue)
	}
	return []byte(transportNames[t]), nil
}

// UnmarshalText reads "udp", "tcp" or "tls" in any case; an empty text is UDP.
func (t *Transport) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	if s == "" {
		*t = TransportUDP
		return nil
	}
	for i, n := range transportNames {
		if s == n {
			*t = Transport(i)
			return nil
		}
	}
	return fmt.Errorf("transport %q: %w (want udp, tcp or tls)", s, ErrUnknownValue)
}

// MediaEncryption is a line's policy for SRTP (RFC 3711) with keys exchanged in the SDP (SDES,
// RFC 4568).
type MediaEncryption int

// The media encryption policies. EncryptionOff is the default.
const (
	// EncryptionOff sends and accepts plain RTP only; an offer that insists on SRTP (RTP/SAVP)
	// is refused with 488.
	EncryptionOff MediaEncryption = iota
	// EncryptionOffer offers SRTP keys on plain RTP/AVP, so that peers without SRTP still
	// connect, and encrypts whenever the peer takes them (or offers its own).
	EncryptionOffer
	// EncryptionRequire offers RTP/SAVP only and refuses a plain offer with 488; a call whose
	// answer brings no keys is ended.
	EncryptionRequire
)

var encryptionNames = []string{"off", "offer", "require"}

// String returns "off", "offer" or "require".
func (e MediaEncryption) String() string {
	if e >= 0 && int(e) < len(encryptionNames) {
		return encryptionNames[e]
	}
	return fmt.Sprintf("MediaEncryption(%d)", int(e))
}

// Known reports whether e is one of the policies.
func (e MediaEncryption) Known() bool { return e >= 0 && int(e) < len(encryptionNames) }

// MarshalText writes the lower-case name.
func (e MediaEncryption) MarshalText() ([]byte, error) {
	if !e.Known() {
		return nil, fmt.Errorf("media encryption %d: %w", int(e), ErrUnknownValue)
	}
	return []byte(encryptionNames[e]), nil
}

// UnmarshalText reads "off", "offer" or "require" in any case; an empty text is off.
func (e *MediaEncryption) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	if s == "" {
		*e = EncryptionOff
		return nil
	}
	for i, n := range encryptionNames {
		if s == n {
			*e = MediaEncryption(i)
			return nil
		}
	}
	return fmt.Errorf("media encryption %q: %w (want off, offer or require)", s, ErrUnknownValue)
}

// ForwardMode is when a line's calls are forwarded.
type ForwardMode int

// The forwarding modes. ForwardOff is the zero value.
const (
	// ForwardOff: calls ring as usual.
	ForwardOff ForwardMode = iota
	// ForwardAlways: every call is forwarded at once (302), before it rings.
	ForwardAlways
	// ForwardBusy: a call that finds the line with a call is forwarded instead of waiting.
	ForwardBusy
	// ForwardNoAnswer: a call nobody answers within the rule's ringing time is forwarded.
	ForwardNoAnswer
)

var forwardNames = []string{"off", "always", "busy", "no_answer"}

// String returns "off", "always", "busy" or "no_answer".
func (m ForwardMode) String() string {
	if m >= 0 && int(m) < len(forwardNames) {
		return forwardNames[m]
	}
	return fmt.Sprintf("ForwardMode(%d)", int(m))
}

// Known reports whether m is one of the modes.
func (m ForwardMode) Known() bool { return m >= 0 && int(m) < len(forwardNames) }

// MarshalText writes the name.
func (m ForwardMode) MarshalText() ([]byte, error) {
	if !m.Known() {
		return nil, fmt.Errorf("forward mode %d: %w", int(m), ErrUnknownValue)
	}
	return []byte(forwardNames[m]), nil
}

// UnmarshalText reads a name written by MarshalText.
func (m *ForwardMode) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	for i, n := range forwardNames {
		if s == n {
			*m = ForwardMode(i)
			return nil
		}
	}
	return fmt.Errorf("forward mode %q: %w (want off, always, busy or no_answer)", s, ErrUnknownValue)
}

// Function is a telephony action the UI or the API can offer on a line or a call.
type Function int

// The function catalogue. New functions are appended, so that stored values keep their meaning.
const (
	FuncDial Function = iota
	FuncAnswer
	FuncDecline
	FuncHangUp
	FuncHold
	FuncRetrieve
	FuncDTMF
	FuncDND
	FuncPickup
	FuncFeatureCodes
	FuncRedial
	FuncDeflect
	FuncTransfer
	FuncConference
	FuncForward
	FuncCallWaiting
	FuncVoicemail
	numFunctions
)

var functionInfo = [numFunctions]struct{ key, description string }{
	FuncDial:         {"dial", "Call a number from this line"},
	FuncAnswer:       {"answer", "Take an incoming call"},
	FuncDecline:      {"decline", "Reject an incoming call as busy or declined"},
	FuncHangUp:       {"hangup", "End a call"},
	FuncHold:         {"hold", "Put a call on hold"},
	FuncRetrieve:     {"retrieve", "Take a held call back"},
	FuncDTMF:         {"dtmf", "Send keypad tones during a call"},
	FuncDND:          {"dnd", "Switch Do Not Disturb on or off for the line"},
	FuncPickup:       {"pickup", "Pick up a call ringing at another line"},
	FuncFeatureCodes: {"feature_codes", "Dial the telephone system's feature codes"},
	FuncRedial:       {"redial", "Call the last dialled number again"},
	FuncDeflect:      {"deflect", "Forward a ringing call to another number"},
	FuncTransfer:     {"transfer", "Pass a call on to another number, directly or after consulting"},
	FuncConference:   {"conference", "Join a held call and the active one in a three-way conference"},
	FuncForward:      {"forward", "Forward the line's calls always, when busy or when unanswered"},
	FuncCallWaiting:  {"call_waiting", "Offer a second call while the line has one"},
	FuncVoicemail:    {"voicemail", "Call the voicemail box"},
}

// Functions returns the whole catalogue in its fixed order.
func Functions() []Function {
	fs := make([]Function, numFunctions)
	for i := range fs {
		fs[i] = Function(i)
	}
	return fs
}

// String returns the function's key as used in files and the API, e.g. "hangup".
func (f Function) String() string {
	if f >= 0 && f < numFunctions {
		return functionInfo[f].key
	}
	return fmt.Sprintf("Function(%d)", int(f))
}

// Description is the one-line explanation shown beside the function in the group editor.
func (f Function) Description() string {
	if f >= 0 && f < numFunctions {
		return functionInfo[f].description
	}
	return ""
}

// MarshalText writes the key.
func (f Function) MarshalText() ([]byte, error) {
	if f < 0 || f >= numFunctions {
		return nil, fmt.Errorf("function %d: %w", int(f), ErrUnknownValue)
	}
	return []byte(functionInfo[f].key), nil
}

// UnmarshalText reads a key written by MarshalText.
func (f *Function) UnmarshalText(b []byte) error {
	s := strings.ToLower(strings.TrimSpace(string(b)))
	for i, fi := range functionInfo {
		if fi.key == s {
			*f = Function(i)
			return nil
		}
	}
	return fmt.Errorf("function %q: %w", s, ErrUnknownValue)
}

// RegState is where a line's registration stands.
type RegState int

// The registration states shown for every line.
const (
	RegDisabled RegState = iota
	RegRegistering
	RegRegistered
	RegFailed
	RegUnregistered
)

var regStateNames = []string{"disabled", "registering", "registered", "failed", "unregistered"}

// String returns the state's lower-case name.
func (s RegState) String() string {
	if s >= 0 && int(s) < len(regStateNames) {
		return regStateNames[s]
	}
	return fmt.Sprintf("RegState(%d)", int(s))
}

// MarshalText writes the state's name, for the API.
func (s RegState) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(regStateNames) {
		return nil, fmt.Errorf("registration state %d: %w", int(s), ErrUnknownValue)
	}
	return []byte(regStateNames[s]), nil
}

// UnmarshalText reads a name written by MarshalText.
func (s *RegState) UnmarshalText(b []byte) error {
	for i, n := range regStateNames {
		if n == string(b) {
			*s = RegState(i)
			return nil
		}
	}
	return fmt.Errorf("registration state %q: %w", b, ErrUnknownValue)
}
