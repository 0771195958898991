package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// recorder notes what a view's controls did.
type recorder struct {
	got []string
	// conference sets the Conference action (left out by default, as a client without it).
	conference bool
}

func (r *recorder) actions() CallActions {
	a := r.baseActions()
	if r.conference {
		a.Conference = func() { r.got = append(r.got, "conference") }
	}
	return a
}

func (r *recorder) baseActions() CallActions {
	return CallActions{
		Answer:           func() { r.got = append(r.got, "answer") },
		Decline:          func(d api.DeclineReason) { r.got = append(r.got, "decline "+d.String()) },
		Deflect:          func(n string) { r.got = append(r.got, "deflect "+n) },
		HangUp:           func() { r.got = append(r.got, "hangup") },
		Hold:             func() { r.got = append(r.got, "hold") },
		Retrieve:         func() { r.got = append(r.got, "retrieve") },
		Mute:             func(m bool) { r.got = append(r.got, map[bool]string{true: "mute", false: "unmute"}[m]) },
		DTMF:             func(d string) { r.got = append(r.got, "dtmf "+d) },
		SaveMemo:         func(m string) { r.got = append(r.got, "memo "+m) },
		Close:            func() { r.got = append(r.got, "close") },
		Transfer:         func(n string) { r.got = append(r.got, "transfer "+n) },
		Consult:          func(n string) { r.got = append(r.got, "consult "+n) },
		CompleteTransfer: func() { r.got = append(r.got, "complete") },
		BackToCaller:     func() { r.got = append(r.got, "back") },
	}
}

func (r *recorder) last() string {
	if len(r.got) == 0 {
		return ""
	}
	return r.got[len(r.got)-1]
}

var t0 = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)

func ringing() api.Call {
	return api.Call{
		ID: "c1", Line: "Office", Direction: line.Incoming, State: line.CallRinging,
		RemoteNumber: "+49891234567", RemoteDisplay: "+49 89 1234567", RemoteName: "Anna Berg",
		Started:   t0,
		Functions: []line.Function{line.FuncAnswer, line.FuncDecline, line.FuncDeflect, line.FuncHangUp},
	}
}

func connected() api.Call {
	c := ringing()
	c.State = line.CallConnected
	c.Answered = t0.Add(5 * time.Second)
	c.Codec = "PCMA"
	c.LossPercent = 1.25
	c.Functions = []line.Function{line.FuncHangUp, line.FuncHold, line.FuncDTMF}
	return c
}

func newView(t *testing.T, c api.Call) (*CallView, *recorder) {
	t.Helper()
	test.NewTempApp(t)
	r := &recorder{}
	v := NewCallView(c, r.actions())
	w := test.NewWindow(v)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(380, 600))
	return v, r
}

func TestCallViewRingingShowsCallerAndAnswerDecline(t *testing.T) {
	v, r := newView(t, ringing())
	txt := texts(v)
	for _, want := range []string{"Anna Berg", "+49 89 1234567", "Incoming call on Office", "Ringing"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the view does not show %q; it shows:\n%s", want, txt)
		}
	}
	bs := buttons(v)
	for _, want := range []string{"Answer", "Busy", "Decline", "Forward…"} {
		if !contains(bs, want) {
			t.Errorf("no %q button while ringing; buttons %q", want, bs)
		}
	}
	// Hang up is offered by the server, but on a call ringing here it would be a Decline in
	// disguise; the memo waits until the call is answered.
	for _, absent := range []string{"Hang up", "Hold", "Mute", "Keypad", "Close", "Save memo"} {
		if contains(bs, absent) {
			t.Errorf("%q offered on a ringing call; buttons %q", absent, bs)
		}
	}

	test.Tap(button(t, v, "Answer"))
	if r.last() != "answer" {
		t.Errorf("Answer did %q", r.last())
	}
	test.Tap(button(t, v, "Busy"))
	if r.last() != "decline busy" {
		t.Errorf("Busy did %q", r.last())
	}
	test.Tap(button(t, v, "Decline"))
	if r.last() != "decline decline" {
		t.Errorf("Decline did %q", r.last())
	}

	test.Tap(button(t, v, "Forward…"))
	test.Type(v.forwardEntry, "202")
	test.Tap(button(t, v, "Forward"))
	if r.last() != "deflect 202" {
		t.Errorf("Forward to 202 did %q", r.last())
	}
}

func TestCallViewDeclineAbsentWhenNotOffered(t *testing.T) {
	c := ringing()
	c.Functions = []line.Function{line.FuncAnswer} // the group hides Decline, deflect is off
	v, _ := newView(t, c)
	bs := buttons(v)
	if !contains(bs, "Answer") {
		t.Errorf("Answer missing: %q", bs)
	}
	for _, absent := range []string{"Busy", "Decline", "Forward…", "Hang up"} {
		if contains(bs, absent) {
			t.Errorf("%q shown though the call does not offer it: %q", absent, bs)
		}
	}
}

func TestCallViewConnectedControlsDurationAndMedia(t *testing.T) {
	v, r := newView(t, connected())
	v.Tick(t0.Add(5*time.Second + 65*time.Second))
	txt := texts(v)
	for _, want := range []string{"Connected", "1:05", "PCMA", "1.2 %"} {
		if !strings.Contains(txt, want) {
			t.Errorf("connected view lacks %q:\n%s", want, txt)
		}
	}
	bs := buttons(v)
	for _, want := range []string{"Hang up", "Hold", "Mute", "Keypad"} {
		if !contains(bs, want) {
			t.Errorf("no %q on a connected call: %q", want, bs)
		}
	}
	for _, absent := range []string{"Answer", "Decline", "Busy", "Retrieve"} {
		if contains(bs, absent) {
			t.Errorf("%q on a connected call: %q", absent, bs)
		}
	}
	if contains(bs, "5") {
		t.Error("the keypad shows before Keypad is tapped")
	}
	test.Tap(button(t, v, "Keypad"))
	test.Tap(button(t, v, "5"))
	test.Tap(button(t, v, "#"))
	if strings.Join(r.got[len(r.got)-2:], ",") != "dtmf 5,dtmf #" {
		t.Errorf("keypad sent %q", r.got)
	}
	test.Tap(button(t, v, "Hold"))
	if r.last() != "hold" {
		t.Errorf("Hold did %q", r.last())
	}
	test.Tap(button(t, v, "Mute"))
	if r.last() != "mute" {
		t.Errorf("Mute did %q", r.last())
	}
	test.Tap(button(t, v, "Hang up"))
	if r.last() != "hangup" {
		t.Errorf("Hang up did %q", r.last())
	}

	held := connected()
	held.State = line.CallHeld
	held.Muted = true
	held.Functions = []line.Function{line.FuncHangUp, line.FuncRetrieve}
	v.SetCall(held)
	bs = buttons(v)
	if !contains(bs, "Retrieve") || contains(bs, "Hold") || !contains(bs, "Unmute") {
		t.Errorf("a held, muted call shows %q", bs)
	}
	if strings.Contains(strings.Join(bs, ","), "Keypad") {
		t.Errorf("keypad offered without dtmf: %q", bs)
	}
	test.Tap(button(t, v, "Unmute"))
	if r.last() != "unmute" {
		t.Errorf("Unmute did %q", r.last())
	}
}

func TestCallViewEndedSavesMemoOnceJournaled(t *testing.T) {
	v, r := newView(t, connected())
	test.Type(v.memo, "call back on Monday")
	ended := connected()
	ended.State = line.CallEnded
	ended.Ended = t0.Add(95 * time.Second)
	ended.EndCause = line.EndHungUpThere
	ended.Functions = nil
	v.SetCall(ended)
	bs := buttons(v)
	if contains(bs, "Hang up") || contains(bs, "Hold") || !contains(bs, "Close") {
		t.Errorf("an ended call shows %q", bs)
	}
	if !strings.Contains(texts(v), "1:30") {
		t.Errorf("the ended call's duration is not its connected time 1:30:\n%s", texts(v))
	}
	save := button(t, v, "Save memo")
	if !save.Disabled() {
		t.Error("Save memo enabled before the call has a journal entry")
	}
	ended.JournalID = 17
	v.SetCall(ended)
	if save.Disabled() {
		t.Fatal("Save memo disabled once the call has a journal entry")
	}
	test.Tap(save)
	if r.last() != "memo call back on Monday" {
		t.Errorf("Save memo did %q", r.last())
	}
	if strings.Contains(texts(v), "Memo saved") {
		t.Error("the memo shows as saved before the journal said so")
	}
	v.MemoSaved("call back on Monday", errors.New("journal is closed"))
	if !strings.Contains(texts(v), "Not saved: journal is closed") || save.Disabled() {
		t.Errorf("a failed save is not shown, or cannot be tried again:\n%s", texts(v))
	}
	test.Tap(save)
	v.MemoSaved("call back on Monday", nil)
	if !strings.Contains(texts(v), "Memo saved") || !save.Disabled() {
		t.Errorf("a saved memo is not shown as saved:\n%s", texts(v))
	}
	test.Type(v.memo, "!")
	if save.Disabled() {
		t.Error("Save memo stays disabled after the memo changed")
	}
	if !strings.Contains(texts(v), "call back on Monday") {
		t.Error("the memo text was lost when the call changed")
	}
	test.Tap(button(t, v, "Close"))
	if r.last() != "close" {
		t.Errorf("Close did %q", r.last())
	}
}

func TestCallViewOutgoingFailedSaysWhy(t *testing.T) {
	c := api.Call{ID: "c2", Line: "Office", Direction: line.Outgoing, State: line.CallEnded,
		Dialled: "0891234567", RemoteNumber: "+49891234567", RemoteDisplay: "+49 89 1234567",
		Started: t0, Ended: t0.Add(2 * time.Second), EndCause: line.EndRefused, EndCode: 486, EndReason: "Busy Here"}
	v, _ := newView(t, c)
	txt := texts(v)
	for _, want := range []string{"+49 89 1234567", "Outgoing call on Office", "Busy (486): Busy Here"} {
		if !strings.Contains(txt, want) {
			t.Errorf("failed call view lacks %q:\n%s", want, txt)
		}
	}
}

// A call that failed shows its end in red; one the user cancelled before the answer does not.
func TestCallViewCancelledIsNoAlarm(t *testing.T) {
	c := api.Call{ID: "c3", Line: "Office", Direction: line.Outgoing, State: line.CallEnded, Dialled: "202",
		RemoteNumber: "202", Started: t0, Ended: t0.Add(2 * time.Second), EndCause: line.EndRefused, EndCode: 486}
	v, _ := newView(t, c)
	if v.state.Importance != widget.DangerImportance {
		t.Errorf("a refused call's end shows with importance %v, want danger", v.state.Importance)
	}
	c.EndCause, c.EndCode = line.EndCancelled, 487
	v.SetCall(c)
	if v.state.Importance == widget.DangerImportance {
		t.Errorf("a call cancelled here shows its end in red (%q)", v.state.Text)
	}
}

// An encrypted call shows the padlock beside its duration and says so in the media line; a plain
// one shows neither, and the padlock goes when the call ends.
func TestCallViewShowsLockWhileEncrypted(t *testing.T) {
	plain, _ := newView(t, connected())
	if plain.lock.Visible() || strings.Contains(texts(plain), "Encrypted") {
		t.Errorf("a plain call shows encryption: %s", texts(plain))
	}
	c := connected()
	c.Encrypted = true
	v, _ := newView(t, c)
	if !v.lock.Visible() {
		t.Error("no padlock on an encrypted call")
	}
	if txt := texts(v); !strings.Contains(txt, "Encrypted (SRTP) · Codec PCMA") {
		t.Errorf("media line of an encrypted call: %s", txt)
	}
	c.State, c.Ended = line.CallEnded, t0.Add(time.Minute)
	v.SetCall(c)
	if v.lock.Visible() {
		t.Error("the padlock stays after the call ended")
	}
}

func TestCallViewTransferControls(t *testing.T) {
	c := connected()
	c.Functions = append(c.Functions, line.FuncTransfer)
	v, r := newView(t, c)
	bs := buttons(v)
	if !contains(bs, "Transfer…") || !contains(bs, "Consult…") || contains(bs, "Complete transfer") {
		t.Fatalf("a connected call offering transfer shows %q", bs)
	}
	test.Tap(button(t, v, "Transfer…"))
	test.Type(v.xferEntry, " 302 ")
	submit(v.xferEntry)
	if r.last() != "transfer 302" || v.xferPanel.Visible() {
		t.Errorf("Enter in the transfer field did %q (panel open %v), want a blind transfer to 302", r.last(), v.xferPanel.Visible())
	}
	test.Tap(button(t, v, "Consult…"))
	test.Type(v.xferEntry, "303")
	submit(v.xferEntry)
	if r.last() != "consult 303" {
		t.Errorf("Enter after Consult… did %q, want consult 303", r.last())
	}

	// Where the transfer stands.
	for _, tc := range []struct {
		st    api.TransferStatus
		state line.CallState
		want  string
	}{
		{api.TransferStatus{State: api.TransferPending, Target: "302"}, line.CallHeld, "Transferring to 302…"},
		{api.TransferStatus{State: api.TransferRinging, Target: "302", Code: 180}, line.CallHeld, "302 is ringing"},
		{api.TransferStatus{State: api.TransferFailed, Target: "399", Code: 404, Reason: "Not Found"}, line.CallConnected,
			"Transfer to 399 failed: 404 Not Found. You are back with the caller."},
	} {
		x := c
		x.State, x.Transfer = tc.state, tc.st
		v.SetCall(x)
		if txt := texts(v); !strings.Contains(txt, tc.want) {
			t.Errorf("transfer %+v: the view lacks %q:\n%s", tc.st, tc.want, txt)
		}
	}

	// A group without transfer: neither control.
	c.Functions = []line.Function{line.FuncHangUp, line.FuncHold}
	c.Transfer = api.TransferStatus{}
	v.SetCall(c)
	if bs := buttons(v); contains(bs, "Transfer…") || contains(bs, "Consult…") {
		t.Errorf("transfer offered without the function: %q", bs)
	}

	// A consultation call: complete or go back, no further transfer from it.
	cs := connected()
	cs.ID, cs.ConsultFor = "c2", "c1"
	cs.Functions = append(cs.Functions, line.FuncTransfer)
	v.SetPeer(c, true)
	v.SetCall(cs)
	bs = buttons(v)
	if !contains(bs, "Complete transfer") || !contains(bs, "Back to caller") || contains(bs, "Transfer…") {
		t.Errorf("a consultation shows %q", bs)
	}
	if txt := texts(v); !strings.Contains(txt, "consulting for Anna Berg") {
		t.Errorf("the consultation does not say for whom:\n%s", txt)
	}
	test.Tap(button(t, v, "Complete transfer"))
	if r.last() != "complete" {
		t.Errorf("Complete transfer did %q", r.last())
	}
	test.Tap(button(t, v, "Back to caller"))
	if r.last() != "back" {
		t.Errorf("Back to caller did %q", r.last())
	}
}

func TestCallViewRetrieveSwapsWithATalkingCall(t *testing.T) {
	held := connected()
	held.State = line.CallHeld
	held.Functions = []line.Function{line.FuncHangUp, line.FuncRetrieve}
	v, r := newView(t, held)
	if !contains(buttons(v), "Retrieve") {
		t.Fatalf("a held call alone shows %q", buttons(v))
	}
	other := connected()
	other.ID = "c9"
	v.SetPeer(other, true)
	if bs := buttons(v); !contains(bs, "Swap") || contains(bs, "Retrieve") {
		t.Errorf("a held call beside a talking one shows %q, want Swap", bs)
	}
	test.Tap(button(t, v, "Swap"))
	if r.last() != "retrieve" {
		t.Errorf("Swap did %q", r.last())
	}
}
