package sip

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Busy lamps: the dialog event package (RFC 4235). A NOTIFY of it carries an
// application/dialog-info+xml document listing the monitored extension's dialogs and the state
// of each (trying, proceeding, early, confirmed, terminated) with its direction: "recipient"
// when the extension is being called, "initiator" when it calls.

// DialogInfoType is the content type of a dialog event body.
const DialogInfoType = "application/dialog-info+xml"

// ErrBadDialogInfo is wrapped by the errors of a body that is not a dialog-info document.
var ErrBadDialogInfo = errors.New("malformed dialog-info")

// maxDialogInfo bounds a document, in bytes, and maxDialogs the dialogs it may list.
const (
	maxDialogInfo = 64 << 10
	maxDialogs    = 64
)

// DialogInfo is one dialog-info document.
type DialogInfo struct {
	// Entity is the monitored address, e.g. "sip:202@pbx.example.com".
	Entity string
	// Full is set for state="full": the document lists every dialog; a partial one only those
	// that changed.
	Full    bool
	Version uint64
	Dialogs []DialogEntry
}

// DialogEntry is one dialog of a dialog-info document.
type DialogEntry struct {
	ID        string
	CallID    string
	Direction string // "initiator", "recipient" or empty
	State     string // "trying", "proceeding", "early", "confirmed", "terminated"
	// Remote is the other party's identity, e.g. "sip:203@pbx.example.com", empty when not given.
	Remote string
}

type xmlDialogInfo struct {
	XMLName xml.Name    `xml:"dialog-info"`
	Version string      `xml:"version,attr"`
	State   string      `xml:"state,attr"`
	Entity  string      `xml:"entity,attr"`
	Dialogs []xmlDialog `xml:"dialog"`
}

type xmlDialog struct {
	ID        string `xml:"id,attr"`
	CallID    string `xml:"call-id,attr"`
	Direction string `xml:"direction,attr"`
	State     string `xml:"state"`
	Remote    struct {
		Identity string `xml:"identity"`
	} `xml:"remote"`
}

// ParseDialogInfo reads an application/dialog-info+xml document (RFC 4235 section 4). Element
// names are matched whatever their namespace; the document must be a dialog-info element with a
// version, at most maxDialogs dialogs, each with an id and a known state.
func ParseDialogInfo(body []byte) (DialogInfo, error) {
	if len(body) > maxDialogInfo {
		return DialogInfo{}, fmt.Errorf("%w: body longer than %d bytes", ErrBadDialogInfo, maxDialogInfo)
	}
	if bytes.Count(body, []byte("<dialog ")) > maxDialogs || bytes.Count(body, []byte("<")) > 32*maxDialogs {
		return DialogInfo{}, fmt.Errorf("%w: more than %d dialogs", ErrBadDialogInfo, maxDialogs)
	}
	var x xmlDialogInfo
	dec := xml.NewDecoder(io.LimitReader(bytes.NewReader(body), maxDialogInfo))
	dec.Strict = true
	if err := dec.Decode(&x); err != nil {
		return DialogInfo{}, fmt.Errorf("%w: %w", ErrBadDialogInfo, err)
	}
	var v uint64
	if _, err := fmt.Sscan(strings.TrimSpace(x.Version), &v); err != nil {
		return DialogInfo{}, fmt.Errorf("%w: version %q is not a number", ErrBadDialogInfo, truncate(x.Version, 20))
	}
	if len(x.Dialogs) > maxDialogs {
		return DialogInfo{}, fmt.Errorf("%w: more than %d dialogs", ErrBadDialogInfo, maxDialogs)
	}
	di := DialogInfo{Entity: truncate(x.Entity, 256), Full: !strings.EqualFold(strings.TrimSpace(x.State), "partial"), Version: v}
	for _, d := range x.Dialogs {
		st := strings.ToLower(strings.TrimSpace(d.State))
		switch st {
		case "trying", "proceeding", "early", "confirmed", "terminated":
		default:
			return DialogInfo{}, fmt.Errorf("%w: dialog state %q", ErrBadDialogInfo, truncate(st, 20))
		}
		if d.ID == "" {
			return DialogInfo{}, fmt.Errorf("%w: a dialog without id", ErrBadDialogInfo)
		}
		dir := strings.ToLower(strings.TrimSpace(d.Direction))
		if dir != "initiator" && dir != "recipient" {
			dir = ""
		}
		di.Dialogs = append(di.Dialogs, DialogEntry{
			ID: truncate(d.ID, 256), CallID: truncate(d.CallID, 256), Direction: dir, State: st,
			Remote: truncate(strings.TrimSpace(d.Remote.Identity), 256),
		})
	}
	return di, nil
}

// Activity is what a monitored extension is doing, as a busy lamp shows it.
type Activity int

// The activities, from a lamp's point of view.
const (
	ActivityIdle    Activity = iota // no dialog
	ActivityRinging                 // being called, not answered yet: a call to pick up
	ActivityBusy                    // in a call, or calling out
)

// DialogSet keeps the dialogs of one monitored extension across NOTIFYs: a full document
// replaces them, a partial one updates those it names, and terminated dialogs are dropped. Not
// safe for concurrent use.
type DialogSet struct {
	version uint64
	seen    bool
	dialogs map[string]DialogEntry
}

// Apply takes a document. One older than the last (a lower version) is ignored.
func (s *DialogSet) Apply(di DialogInfo) {
	if s.seen && di.Version < s.version {
		return
	}
	s.seen, s.version = true, di.Version
	if di.Full || s.dialogs == nil {
		s.dialogs = map[string]DialogEntry{}
	}
	for _, d := range di.Dialogs {
		if d.State == "terminated" {
			delete(s.dialogs, d.ID)
			continue
		}
		s.dialogs[d.ID] = d
	}
}

// Reset forgets every dialog (a subscription begins again).
func (s *DialogSet) Reset() { *s = DialogSet{} }

// Activity is the lamp the dialogs make: busy when any is confirmed or the extension is calling
// out, ringing when it is only being called, else idle.
func (s *DialogSet) Activity() Activity {
	a := ActivityIdle
	for _, d := range s.dialogs {
		switch {
		case d.State == "confirmed", d.Direction == "initiator":
			return ActivityBusy
		default: // trying, proceeding, early towards the extension
			a = ActivityRinging
		}
	}
	return a
}
