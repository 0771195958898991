package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// TestTransferScreenshots renders the conversation window at the steps of a transfer: the
// transfer field open, a failed transfer with the caller back, and a consultation call. The PNG
// files go to the test's temporary directory and to $LINEUP_ARTEFACTS when set.
func TestTransferScreenshots(t *testing.T) {
	test.NewTempApp(t).Settings().SetTheme(theme.DefaultTheme())
	r := &recorder{}
	c := connected()
	c.Functions = append(c.Functions, line.FuncTransfer)
	v := NewCallView(c, r.actions())
	w := test.NewWindow(v)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(380, 640))

	v.Tick(t0.Add(80 * time.Second))
	v.openTransfer(false)
	test.Type(v.xferEntry, "302")
	shoot(t, w, "call-transfer-field.png")

	v.doTransfer(false)
	c.Transfer = api.TransferStatus{State: api.TransferFailed, Target: "399", Code: 404, Reason: "Not Found"}
	v.SetCall(c)
	shoot(t, w, "call-transfer-failed.png")

	cs := connected()
	cs.ID, cs.ConsultFor, cs.Direction = "c2", c.ID, line.Outgoing
	cs.RemoteName, cs.RemoteNumber, cs.RemoteDisplay = "Ben Kurz", "202", "202"
	cs.Functions = append(cs.Functions, line.FuncTransfer)
	held := c
	held.State, held.Transfer = line.CallHeld, api.TransferStatus{}
	v.Reset(cs, r.actions())
	v.SetPeer(held, true)
	v.Tick(t0.Add(20 * time.Second))
	shoot(t, w, "call-consultation.png")
}

// TestConferenceScreenshots renders the conversation window of a held call beside a talking
// one (Swap and Conference offered) and of a call in a conference.
func TestConferenceScreenshots(t *testing.T) {
	test.NewTempApp(t).Settings().SetTheme(theme.DefaultTheme())
	r := &recorder{}
	r.conference = true
	held := connected()
	held.State = line.CallHeld
	held.RemoteName, held.RemoteNumber, held.RemoteDisplay = "", "202", "202"
	held.Functions = []line.Function{line.FuncHangUp, line.FuncRetrieve, line.FuncConference}
	talking := connected()
	talking.ID, talking.RemoteName, talking.RemoteNumber, talking.RemoteDisplay = "c2", "", "203", "203"
	talking.Functions = append(talking.Functions, line.FuncConference)
	v := NewCallView(held, r.actions())
	w := test.NewWindow(v)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(380, 560))
	v.SetPeer(talking, true)
	v.Tick(t0.Add(80 * time.Second))
	if bs := buttons(v); !contains(bs, "Swap") || !contains(bs, "Conference") {
		t.Errorf("a held call beside a talking one shows %q, want Swap and Conference", bs)
	}
	shoot(t, w, "call-conference-offered.png")
	test.Tap(button(t, v, "Conference"))
	if r.last() != "conference" {
		t.Errorf("Conference did %q", r.last())
	}

	in := held
	in.State, in.Conference = line.CallConnected, "conf-1"
	in.Functions = []line.Function{line.FuncHangUp, line.FuncHold, line.FuncDTMF}
	talking.Conference = "conf-1"
	v.SetCall(in)
	v.SetPeer(talking, true)
	if txt := texts(v); !strings.Contains(txt, "Conference with 202 and 203") {
		t.Errorf("a conference call's window:\n%s", txt)
	}
	if bs := buttons(v); contains(bs, "Conference") {
		t.Errorf("a conference call's window shows %q, want no Conference", bs)
	}
	shoot(t, w, "call-conference.png")
}
