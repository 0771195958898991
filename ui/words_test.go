package ui

import (
	"context"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// TestIncomingTextEveryDecision checks the sentence under a line for each of the group's decline
// settings and each line state that changes it.
func TestIncomingTextEveryDecision(t *testing.T) {
	on := line.LineView{Enabled: true, Registered: true, LoggedOn: true}
	off := line.LineView{Enabled: true, Registered: true}
	dnd := on
	dnd.DND = true
	busy := on
	busy.Calls = 1
	group := func(nlo, cr line.Response) line.Group {
		return line.Group{Name: "G", NotLoggedOn: nlo, ClientReject: cr}
	}
	def := group(line.ResponseBusyHere, line.ResponseClientChoice)
	hidden := def
	hidden.HideDecline = true
	noDecline := def
	noDecline.DisabledFunctions = []line.Function{line.FuncDecline}
	tests := []struct {
		name string
		g    line.Group
		l    line.LineView
		want string
	}{
		{"client choice", def, on, "Rings here; Decline sends busy (486) or decline (603), as chosen."},
		{"client reject 486", group(line.ResponseBusyHere, line.ResponseBusyHere), on, "Rings here; Decline sends Busy Here (486)."},
		{"client reject 480", group(line.ResponseBusyHere, line.ResponseTemporarilyUnavailable), on,
			"Rings here; Decline sends Temporarily Unavailable (480)."},
		{"client reject 603", group(line.ResponseBusyHere, line.ResponseDecline), on, "Rings here; Decline sends Decline (603)."},
		{"client reject 180", group(line.ResponseBusyHere, line.ResponseRinging), on,
			"Rings here; Decline leaves the call ringing at the server (180)."},
		{"decline hidden", hidden, on, "Rings here; Decline is not offered."},
		{"decline deactivated", noDecline, on, "Rings here; Decline is not offered."},
		{"a call on the line", def, busy, "Rings here as a waiting call; Decline sends busy (486) or decline (603), as chosen."},
		{"not logged on 486", def, off, "No client logged on: callers hear busy (486)."},
		{"not logged on 480", group(line.ResponseTemporarilyUnavailable, line.ResponseClientChoice), off,
			"No client logged on: callers are told the line is unavailable (480)."},
		{"not logged on 603", group(line.ResponseDecline, line.ResponseClientChoice), off, "No client logged on: calls are declined (603)."},
		{"not logged on 180", group(line.ResponseRinging, line.ResponseClientChoice), off,
			"No client logged on: calls ring on at the server (180) until answered elsewhere, picked up or given up."},
		{"DND 603", group(line.ResponseDecline, line.ResponseClientChoice), dnd, "Do Not Disturb: calls are declined (603)."},
		{"line off", def, line.LineView{LoggedOn: true}, "Line not in use: it is not registered, so calls cannot reach it."},
		{"not registered", def, line.LineView{Enabled: true, LoggedOn: true}, "Not registered: calls cannot reach this line until it is."},
	}
	for _, tc := range tests {
		if got := nowText(line.DecideIncoming(tc.g, tc.l)); got != tc.want {
			t.Errorf("%s: %q\n want %q", tc.name, got, tc.want)
		}
	}
	if got := nowText(line.Decision{}); got != "" {
		t.Errorf("an unknown decision reads %q, want nothing", got)
	}
}

// TestRowFollowsWhatHappensNow checks that a line's row changes its sentence when the line's
// state does: a call on it, Do Not Disturb, a lost registration.
func TestRowFollowsWhatHappensNow(t *testing.T) {
	h := newHarness(t)
	row := func(name string) string { return texts(h.u.mv.rows[name]) }
	if _, err := h.phone.Ring("Alice", "+4930123456", "Caller"); err != nil {
		t.Fatal(err)
	}
	h.until("Alice's row says a new call would wait", func() bool {
		return strings.Contains(row("Alice"), "Rings here as a waiting call; Decline sends busy (486) or decline (603), as chosen.")
	})
	if err := h.u.sess.SetDND(context.Background(), "Carol", true); err != nil {
		t.Fatal(err)
	}
	h.until("Carol's row says the server answers busy", func() bool {
		return strings.Contains(row("Carol"), "Do Not Disturb: callers hear busy (486).")
	})
	if err := h.phone.SetRegistration("Ben", line.RegUnregistered); err != nil {
		t.Fatal(err)
	}
	h.until("Ben's row says calls cannot reach it", func() bool {
		return strings.Contains(row("Ben"), "Not registered: calls cannot reach this line until it is.")
	})
	if strings.Contains(row("Ben"), "Rings here") {
		t.Errorf("Ben's row still says calls ring:\n%s", row("Ben"))
	}
}

func TestRegDetail(t *testing.T) {
	failed := func(code int, reason string) api.Line {
		return api.Line{Enabled: true, Registration: line.RegFailed, RegCode: code, RegReason: reason}
	}
	tests := []struct {
		l    api.Line
		want string
	}{
		{failed(401, "Unauthorized"), "401 Unauthorized: check the user name and password"},
		{failed(407, "Proxy Authentication Required"), "407 Proxy Authentication Required: check the user name and password"},
		{failed(404, "Not Found"), "404 Not Found: the PBX does not know this user"},
		{failed(0, "i/o timeout"), "i/o timeout: check the registrar address and the network"},
		{failed(0, ""), "check the registrar address and the network"},
		{failed(503, "Service Unavailable"), "503 Service Unavailable"},
		{failed(500, ""), "SIP status 500"},
		{api.Line{Enabled: true, Registration: line.RegRegistered}, ""},
	}
	for _, tc := range tests {
		if got := regDetail(tc.l); got != tc.want {
			t.Errorf("regDetail(%d %q) = %q, want %q", tc.l.RegCode, tc.l.RegReason, got, tc.want)
		}
	}
}

// TestEndedTextEveryCause: each end cause has its own words, with the code and detail where the
// cause needs them.
func TestEndedTextEveryCause(t *testing.T) {
	for _, tc := range []struct {
		c    api.Call
		want string
	}{
		{api.Call{EndCause: line.EndHungUpHere}, "Ended: hung up here"},
		{api.Call{EndCause: line.EndHungUpThere}, "Ended: the other party hung up"},
		{api.Call{EndCause: line.EndCallerGaveUp, EndCode: 487}, "Missed: the caller hung up before the answer"},
		{api.Call{EndCause: line.EndAnsweredElsewhere, EndCode: 487, EndReason: "Call completed elsewhere"}, "Answered at another phone"},
		{api.Call{EndCause: line.EndRejected, EndCode: 603, EndReason: "Decline"}, "Declined here (603)"},
		{api.Call{EndCause: line.EndServerAnswered, EndCode: 486, EndReason: "no_client"}, "Answered by the line server (no client logged on) (486)"},
		{api.Call{EndCause: line.EndServerAnswered, EndCode: 480, EndReason: "dnd"}, "Answered by the line server (Do Not Disturb) (480)"},
		{api.Call{EndCause: line.EndDeflected, EndCode: 302, EndReason: "205"}, "Forwarded to 205"},
		{api.Call{EndCause: line.EndRefused, EndCode: 404, EndReason: "Not Found"}, "Number not found (404): Not Found"},
		{api.Call{EndCause: line.EndRefused, EndCode: 599, EndReason: "Odd"}, "Refused (599): Odd"},
		{api.Call{EndCause: line.EndCancelled, EndCode: 487}, "Cancelled"},
		{api.Call{EndCause: line.EndNoAudio}, "Ended: no audio came from the other party"},
		{api.Call{EndCause: line.EndNoCommonCodec, EndCode: 488}, "Ended: no codec both sides can use"},
		{api.Call{EndCause: line.EndNoEncryption, EndCode: 488, EndReason: "the offer is plain RTP, and the line requires SRTP"},
			"Ended: the call's audio could not be encrypted as the line requires (488): the offer is plain RTP, and the line requires SRTP"},
		{api.Call{EndCause: line.EndStopped}, "Ended: Lineup stopped"},
		{api.Call{EndCause: line.EndFailed, EndReason: "no media port: all in use"}, "Failed: no media port: all in use"},
		{api.Call{}, "Ended"},
	} {
		if got := endedText(tc.c); got != tc.want {
			t.Errorf("%v %d %q: %q, want %q", tc.c.EndCause, tc.c.EndCode, tc.c.EndReason, got, tc.want)
		}
	}
}
