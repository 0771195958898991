package ui

import (
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
