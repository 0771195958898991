package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/assets"
	"github.com/lineupphone/lineup/line"
)

// CallActions are what a conversation view's controls do. A control is offered only when the
// call's Functions allow it and its action is set.
type CallActions struct {
	Answer   func()
	Decline  func(api.DeclineReason)
	Deflect  func(number string)
	HangUp   func()
	Hold     func()
	Retrieve func()
	Mute     func(muted bool)
	DTMF     func(digit string)
	SaveMemo func(memo string)
	Close    func()
	// Transfer passes the call on to number at once; Consult holds it and calls number first.
	Transfer func(number string)
	Consult  func(number string)
	// CompleteTransfer and BackToCaller end a consultation: joining the held caller with the
	// consulted party, or hanging up and taking the caller back.
	CompleteTransfer func()
	BackToCaller     func()
	// Conference joins the call with the user's other call (held or talking) in a three-way
	// conference.
	Conference func()
}

// keypadKeys are the DTMF keys in the order the keypad shows them (four columns).
// lockIcon is the padlock of an encrypted call, in the theme's foreground colour.
var lockIcon = theme.NewThemedResource(fyne.NewStaticResource("lock.svg", assets.Lock))

var keypadKeys = []string{"1", "2", "3", "A", "4", "5", "6", "B", "7", "8", "9", "C", "*", "0", "#", "D"}

// CallView is the content of a conversation window: who is on the call, its state and
// duration, codec and loss, the controls the call offers now, a DTMF keypad and a memo for the
// call's journal entry. It holds a snapshot of the call; SetCall replaces it and Tick advances
// the duration. Like every widget it is used on Fyne's goroutine only.
type CallView struct {
	widget.BaseWidget

	act  CallActions
	call api.Call
	now  time.Time

	name, number, where   *widget.Label
	state, duration       *widget.Label
	media, dtmfIn, notice *widget.Label
	// lock shows that the call's audio is encrypted (SRTP).
	lock *widget.Icon

	answer, busy, decline                   *widget.Button
	hold, retrieve, mute, keypadBtn, fwdBtn *widget.Button
	hangUp, closeBtn                        *widget.Button
	primary, secondary                      *fyne.Container

	// The transfer controls: Transfer… and Consult… open a number field with both actions; a
	// consultation call offers Complete transfer and Back to caller; xferNote says where a
	// transfer stands.
	xferBtn, consultBtn, completeBtn, backBtn *widget.Button
	xferGo, consultGo                         *widget.Button
	xferRow, consultRow, xferPanel            *fyne.Container
	xferEntry                                 *widget.Entry
	xferNote                                  *widget.Label
	// peer is the user's other call (held or talking), if any: Retrieve swaps to this call,
	// Conference joins it; in a conference it is the other call of the conference, and conf
	// says with whom the user talks.
	peer    api.Call
	hasPeer bool
	confBtn *widget.Button
	conf    *widget.Label

	keypad       *fyne.Container
	forward      *fyne.Container
	forwardEntry *widget.Entry

	memo     *widget.Entry
	memoSave *widget.Button
	memoNote *widget.Label
	memoSent string
	memoBox  *fyne.Container

	content fyne.CanvasObject
}

// NewCallView makes the view of call c whose controls run act.
func NewCallView(c api.Call, act CallActions) *CallView {
	v := &CallView{act: act, now: time.Now()}
	v.ExtendBaseWidget(v)
	v.build()
	v.SetCall(c)
	return v
}

func (v *CallView) build() {
	v.name = widget.NewLabel("")
	v.name.SizeName = theme.SizeNameHeadingText
	v.name.TextStyle = fyne.TextStyle{Bold: true}
	v.name.Truncation = fyne.TextTruncateEllipsis
	v.number = widget.NewLabel("")
	v.number.SizeName = theme.SizeNameSubHeadingText
	v.where = widget.NewLabel("")
	v.state = widget.NewLabel("")
	v.state.TextStyle = fyne.TextStyle{Bold: true}
	v.state.Truncation = fyne.TextTruncateEllipsis
	v.duration = widget.NewLabel("")
	v.duration.TextStyle = fyne.TextStyle{Monospace: true}
	v.duration.SizeName = theme.SizeNameSubHeadingText
	v.lock = widget.NewIcon(lockIcon)
	v.lock.Hide()
	v.media = widget.NewLabel("")
	v.media.SizeName = theme.SizeNameCaptionText
	v.dtmfIn = widget.NewLabel("")
	v.dtmfIn.SizeName = theme.SizeNameCaptionText
	v.notice = widget.NewLabel("")
	v.notice.Importance = widget.DangerImportance
	v.notice.Wrapping = fyne.TextWrapWord
	v.notice.Hide()

	v.answer = widget.NewButtonWithIcon("Answer", theme.ConfirmIcon(), func() { call0(v.act.Answer) })
	v.answer.Importance = widget.HighImportance
	v.busy = widget.NewButton("Busy", func() { v.doDecline(api.DeclineBusy) })
	v.decline = widget.NewButtonWithIcon("Decline", theme.CancelIcon(), func() { v.doDecline(api.DeclineDecline) })
	v.decline.Importance = widget.DangerImportance
	v.primary = container.NewGridWithColumns(3, v.answer, v.busy, v.decline)

	v.hold = widget.NewButtonWithIcon("Hold", theme.MediaPauseIcon(), func() { call0(v.act.Hold) })
	v.retrieve = widget.NewButtonWithIcon("Retrieve", theme.MediaPlayIcon(), func() { call0(v.act.Retrieve) })
	v.mute = widget.NewButtonWithIcon("Mute", theme.VolumeMuteIcon(), func() {
		if v.act.Mute != nil {
			v.act.Mute(!v.call.Muted)
		}
	})
	v.keypadBtn = widget.NewButtonWithIcon("Keypad", theme.GridIcon(), func() {
		if v.keypad.Visible() {
			v.keypad.Hide()
		} else {
			v.keypad.Show()
		}
		v.Refresh()
	})
	v.fwdBtn = widget.NewButtonWithIcon("Forward…", theme.MailForwardIcon(), func() {
		if v.forward.Visible() {
			v.forward.Hide()
		} else {
			v.forward.Show()
			if c := fyne.CurrentApp().Driver().CanvasForObject(v.forwardEntry); c != nil {
				c.Focus(v.forwardEntry)
			}
		}
		v.Refresh()
	})
	v.confBtn = widget.NewButtonWithIcon("Conference", theme.AccountIcon(), func() { call0(v.act.Conference) })
	v.conf = widget.NewLabel("")
	v.conf.Importance = widget.SuccessImportance
	v.conf.TextStyle = fyne.TextStyle{Bold: true}
	v.conf.Wrapping = fyne.TextWrapWord
	v.conf.Hide()
	v.secondary = container.NewGridWithColumns(4, v.hold, v.retrieve, v.confBtn, v.mute, v.keypadBtn, v.fwdBtn)

	v.xferBtn = widget.NewButtonWithIcon("Transfer…", theme.MailForwardIcon(), func() { v.openTransfer(false) })
	v.consultBtn = widget.NewButtonWithIcon("Consult…", theme.AccountIcon(), func() { v.openTransfer(true) })
	v.xferRow = container.NewGridWithColumns(2, v.xferBtn, v.consultBtn)
	v.xferEntry = widget.NewEntry()
	v.xferEntry.SetPlaceHolder("Transfer to number")
	v.xferGo = widget.NewButton("Transfer", func() { v.doTransfer(false) })
	v.consultGo = widget.NewButton("Consult", func() { v.doTransfer(true) })
	v.xferPanel = container.NewBorder(nil, nil, nil, container.NewHBox(v.xferGo, v.consultGo), v.xferEntry)
	v.xferPanel.Hide()
	v.completeBtn = widget.NewButtonWithIcon("Complete transfer", theme.ConfirmIcon(), func() { call0(v.act.CompleteTransfer) })
	v.completeBtn.Importance = widget.HighImportance
	v.backBtn = widget.NewButtonWithIcon("Back to caller", theme.NavigateBackIcon(), func() { call0(v.act.BackToCaller) })
	v.consultRow = container.NewGridWithColumns(2, v.completeBtn, v.backBtn)
	v.xferNote = widget.NewLabel("")
	v.xferNote.Wrapping = fyne.TextWrapWord
	v.xferNote.Hide()

	v.forwardEntry = widget.NewEntry()
	v.forwardEntry.SetPlaceHolder("Forward to number")
	v.forwardEntry.OnSubmitted = func(string) { v.doDeflect() }
	fwdGo := widget.NewButton("Forward", v.doDeflect)
	v.forward = container.NewBorder(nil, nil, nil, fwdGo, v.forwardEntry)
	v.forward.Hide()

	keys := make([]fyne.CanvasObject, len(keypadKeys))
	for i, k := range keypadKeys {
		keys[i] = widget.NewButton(k, func() {
			if v.act.DTMF != nil {
				v.act.DTMF(k)
			}
		})
	}
	v.keypad = container.NewGridWithColumns(4, keys...)
	v.keypad.Hide()

	v.hangUp = widget.NewButtonWithIcon("Hang up", theme.CancelIcon(), func() { call0(v.act.HangUp) })
	v.hangUp.Importance = widget.DangerImportance
	v.closeBtn = widget.NewButton("Close", func() { call0(v.act.Close) })

	v.memo = widget.NewMultiLineEntry()
	v.memo.SetPlaceHolder("Memo for the journal")
	v.memo.SetMinRowsVisible(2)
	v.memo.Wrapping = fyne.TextWrapWord
	v.memo.OnChanged = func(string) { v.updateMemo() }
	v.memoSave = widget.NewButtonWithIcon("Save memo", theme.DocumentSaveIcon(), v.doSaveMemo)
	v.memoNote = widget.NewLabel("")
	v.memoNote.SizeName = theme.SizeNameCaptionText
	v.memoNote.Wrapping = fyne.TextWrapWord

	header := container.NewVBox(
		container.New(tightColumn{}, v.name, v.number, v.where),
		container.New(tightColumn{}, container.NewBorder(nil, nil, nil, container.NewHBox(v.lock, v.duration), v.state), v.conf, v.media, v.dtmfIn),
	)
	controls := container.NewVBox(v.primary, v.consultRow, v.secondary, v.xferRow, v.xferPanel, v.xferNote,
		v.forward, v.keypad, v.hangUp, v.closeBtn, v.notice)
	v.memoBox = container.NewVBox(
		widget.NewSeparator(),
		widget.NewLabelWithStyle("Memo", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.memo,
		container.NewBorder(nil, nil, nil, v.memoSave, v.memoNote),
	)
	v.content = container.NewPadded(container.NewVBox(header, widget.NewSeparator(), controls, v.memoBox))
}

func call0(f func()) {
	if f != nil {
		f()
	}
}

func (v *CallView) doDecline(r api.DeclineReason) {
	if v.act.Decline != nil {
		v.act.Decline(r)
	}
}

func (v *CallView) doDeflect() {
	n := strings.TrimSpace(v.forwardEntry.Text)
	if n == "" || v.act.Deflect == nil {
		return
	}
	v.act.Deflect(n)
	v.forwardEntry.SetText("")
	v.forward.Hide()
	v.Refresh()
}

// openTransfer opens the number field of a transfer, its consult action the default (Enter)
// with consult, else the blind one; a second press of the same button closes it.
func (v *CallView) openTransfer(consult bool) {
	if v.xferPanel.Visible() && (v.consultGo.Importance == widget.HighImportance) == consult {
		v.xferPanel.Hide()
		v.Refresh()
		return
	}
	v.xferGo.Importance, v.consultGo.Importance = widget.HighImportance, widget.MediumImportance
	if consult {
		v.xferGo.Importance, v.consultGo.Importance = widget.MediumImportance, widget.HighImportance
	}
	v.xferGo.Refresh()
	v.consultGo.Refresh()
	v.xferEntry.OnSubmitted = func(string) { v.doTransfer(consult) }
	v.xferPanel.Show()
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.xferEntry); c != nil {
		c.Focus(v.xferEntry)
	}
	v.Refresh()
}

func (v *CallView) doTransfer(consult bool) {
	n := strings.TrimSpace(v.xferEntry.Text)
	act := v.act.Transfer
	if consult {
		act = v.act.Consult
	}
	if n == "" || act == nil {
		return
	}
	act(n)
	v.xferEntry.SetText("")
	v.xferPanel.Hide()
	v.Refresh()
}

// SetPeer tells the view of the user's other call (held or talking); ok false when there is
// none. With a peer talking, Retrieve reads Swap: it holds that call and takes this one back.
func (v *CallView) SetPeer(peer api.Call, ok bool) {
	if ok == v.hasPeer && peer.ID == v.peer.ID && peer.State == v.peer.State && peer.Conference == v.peer.Conference &&
		partyName(peer) == partyName(v.peer) {
		return
	}
	v.peer, v.hasPeer = peer, ok
	v.SetCall(v.call)
}

func (v *CallView) doSaveMemo() {
	if v.act.SaveMemo == nil || v.call.JournalID == 0 {
		return
	}
	v.memoSave.Disable()
	v.memoNote.Importance = widget.MediumImportance
	v.memoNote.SetText("Saving…")
	v.act.SaveMemo(v.memo.Text) // MemoSaved tells how it went
}

// Reset makes the view show another call with other actions, as if it were new: the memo is
// empty and the keypad and the forward field are closed.
func (v *CallView) Reset(c api.Call, act CallActions) {
	v.act = act
	v.memoSent = ""
	v.memo.SetText("")
	v.forwardEntry.SetText("")
	v.forward.Hide()
	v.keypad.Hide()
	v.xferEntry.SetText("")
	v.xferPanel.Hide()
	v.peer, v.hasPeer = api.Call{}, false
	v.ShowError("")
	v.call = api.Call{}
	v.SetCall(c)
}

// Call returns the call the view shows.
func (v *CallView) Call() api.Call { return v.call }

// Memo returns the memo as typed.
func (v *CallView) Memo() string { return v.memo.Text }

// ShowError shows a message under the controls (an action that failed); "" clears it.
func (v *CallView) ShowError(msg string) {
	v.notice.SetText(msg)
	if msg == "" {
		v.notice.Hide()
	} else {
		v.notice.Show()
	}
	v.relayout()
}

// MemoSaved marks the memo as written to the journal (or not, with err).
func (v *CallView) MemoSaved(memo string, err error) {
	if err != nil {
		v.memoSent = ""
		v.memoSave.Enable() // to try again
		v.memoNote.SetText("Not saved: " + err.Error())
		v.memoNote.Importance = widget.DangerImportance
		v.memoNote.Refresh()
		return
	}
	v.memoSent = memo
	v.updateMemo()
}

// Tick shows the duration as of now.
func (v *CallView) Tick(now time.Time) {
	v.now = now
	v.duration.SetText(formatDuration(callDuration(v.call, now)))
}

// SetCall shows a newer snapshot of the call.
func (v *CallView) SetCall(c api.Call) {
	v.call = c
	v.name.SetText(partyName(c))
	v.number.SetText(partyNumber(c))
	show(v.number, v.number.Text != "")
	dir := "Incoming call on "
	if c.Direction == line.Outgoing {
		dir = "Outgoing call on "
	}
	where := dir + c.Line
	if c.FeatureCode != "" && c.Dialled != "" {
		where += " · feature code " + c.Dialled
	}
	if c.ConsultFor != "" {
		where += " · consulting"
		if v.hasPeer && v.peer.ID == c.ConsultFor {
			where += " for " + partyName(v.peer)
		}
	}
	v.where.SetText(where)

	v.state.SetText(callStateText(c))
	switch {
	case c.State == line.CallRinging:
		v.state.Importance = widget.WarningImportance
	case c.State == line.CallConnected && !c.HeldByRemote:
		v.state.Importance = widget.SuccessImportance
	case c.State == line.CallEnded && c.EndCode >= 400 && c.EndCause != line.EndCancelled:
		// A failure is red; a call the user cancelled before the answer ended as asked.
		v.state.Importance = widget.DangerImportance
	default:
		v.state.Importance = widget.MediumImportance
	}
	v.state.Refresh()
	v.Tick(v.now)

	var media []string
	encrypted := c.Encrypted && c.State != line.CallEnded
	show(v.lock, encrypted)
	if encrypted {
		media = append(media, "Encrypted (SRTP)")
	}
	if c.Codec != "" {
		media = append(media, "Codec "+c.Codec)
	}
	if c.Codec != "" || c.LossPercent > 0 {
		media = append(media, fmt.Sprintf("Packet loss %.1f %%", c.LossPercent))
	}
	if c.Muted {
		media = append(media, "Microphone muted")
	}
	v.media.SetText(strings.Join(media, " · "))
	show(v.media, len(media) > 0)
	v.dtmfIn.SetText("Keys received: " + c.DTMFReceived)
	show(v.dtmfIn, c.DTMFReceived != "")

	fs := c.Functions
	ended := c.State == line.CallEnded
	show(v.answer, !ended && offers(fs, line.FuncAnswer) && v.act.Answer != nil)
	show(v.busy, !ended && offers(fs, line.FuncDecline) && v.act.Decline != nil)
	show(v.decline, !ended && offers(fs, line.FuncDecline) && v.act.Decline != nil)
	show(v.hold, !ended && offers(fs, line.FuncHold) && v.act.Hold != nil)
	show(v.retrieve, !ended && offers(fs, line.FuncRetrieve) && v.act.Retrieve != nil)
	inConf := c.Conference != "" && !ended
	confPeer := v.hasPeer && inConf && v.peer.Conference == c.Conference
	if v.hasPeer && v.peer.State == line.CallConnected && !confPeer {
		v.retrieve.SetText("Swap")
	} else {
		v.retrieve.SetText("Retrieve")
	}
	// Conference joins this call with the user's other one, held or talking, when neither is in
	// a conference yet.
	show(v.confBtn, !ended && !inConf && offers(fs, line.FuncConference) && v.act.Conference != nil &&
		v.hasPeer && inCall(v.peer.State) && v.peer.Conference == "")
	v.conf.SetText(conferenceText(c, v.peer, confPeer))
	show(v.conf, inConf)
	show(v.mute, !ended && (c.State == line.CallConnected || c.State == line.CallHeld) && v.act.Mute != nil)
	if c.Muted {
		v.mute.SetText("Unmute")
		v.mute.Importance = widget.WarningImportance
	} else {
		v.mute.SetText("Mute")
		v.mute.Importance = widget.MediumImportance
	}
	v.mute.Refresh()
	dtmf := !ended && offers(fs, line.FuncDTMF) && v.act.DTMF != nil
	show(v.keypadBtn, dtmf)
	if !dtmf {
		v.keypad.Hide()
	}
	deflect := !ended && offers(fs, line.FuncDeflect) && v.act.Deflect != nil
	show(v.fwdBtn, deflect)
	if !deflect {
		v.forward.Hide()
	}
	// A call ringing here is answered or declined; hanging it up would be a Decline in disguise
	// (and the group may hide Decline).
	ringingHere := c.State == line.CallRinging && c.Direction == line.Incoming
	show(v.hangUp, !ended && !ringingHere && offers(fs, line.FuncHangUp) && v.act.HangUp != nil)
	if c.State == line.CallDialing || c.State == line.CallAlerting {
		v.hangUp.SetText("Cancel call")
	} else {
		v.hangUp.SetText("Hang up")
	}
	show(v.closeBtn, ended && v.act.Close != nil)

	xfer := !ended && offers(fs, line.FuncTransfer)
	consulting := c.ConsultFor != ""
	show(v.xferBtn, xfer && !consulting && v.act.Transfer != nil)
	show(v.consultBtn, xfer && !consulting && v.act.Consult != nil)
	show(v.xferGo, v.act.Transfer != nil)
	show(v.consultGo, v.act.Consult != nil)
	if !xfer || consulting {
		v.xferPanel.Hide()
	}
	show(v.completeBtn, !ended && consulting && inCall(c.State) && v.act.CompleteTransfer != nil)
	show(v.backBtn, !ended && consulting && v.act.BackToCaller != nil)
	v.xferNote.SetText(transferText(c))
	v.xferNote.Importance = widget.MediumImportance
	if c.Transfer.State == api.TransferFailed {
		v.xferNote.Importance = widget.WarningImportance
	}
	show(v.xferNote, v.xferNote.Text != "")
	fitColumns(v.primary)
	fitColumns(v.secondary)
	fitColumns(v.xferRow)
	fitColumns(v.consultRow)
	show(v.memoBox, !ringingHere || v.memo.Text != "")
	v.updateMemo()
	v.relayout()
}

// relayout lays the view out again after its lines changed: a wrapped note of two lines must
// push the controls under it down, not lie over them.
func (v *CallView) relayout() {
	if c, ok := v.content.(*fyne.Container); ok {
		c.Refresh()
	}
	v.Refresh()
}

// updateMemo enables saving once the call has a journal entry and the memo changed.
func (v *CallView) updateMemo() {
	v.memoNote.Importance = widget.MediumImportance
	switch {
	case v.act.SaveMemo == nil:
		v.memoSave.Hide()
		v.memoNote.SetText("")
	case v.call.JournalID == 0 && v.call.State == line.CallEnded:
		v.memoSave.Disable()
		v.memoNote.SetText("Waiting for the journal entry (only lines with the journal on have one)")
	case v.call.JournalID == 0:
		v.memoSave.Disable()
		v.memoNote.SetText("Saved with the journal entry once the call has ended")
	case v.memo.Text == v.memoSent && v.memoSent != "":
		v.memoSave.Disable()
		v.memoNote.SetText("Memo saved")
	default:
		v.memoSave.Enable()
		v.memoNote.SetText("")
	}
	v.memoNote.Refresh()
}

// conferenceText says with whom the call is in a conference: "Conference with 202 and 203" when
// the other call of it is known, else "In a conference".
func conferenceText(c, peer api.Call, known bool) string {
	if c.Conference == "" {
		return ""
	}
	if !known {
		return "In a conference"
	}
	return "Conference with " + partyName(c) + " and " + partyName(peer)
}

// inCall reports whether a call in state st talks or is held.
func inCall(st line.CallState) bool { return st == line.CallConnected || st == line.CallHeld }

// transferText says where a transfer of the call stands; "" when none was tried.
func transferText(c api.Call) string {
	t := c.Transfer
	who := t.Target
	status := ""
	if t.Code != 0 {
		status = fmt.Sprintf(": %d %s", t.Code, t.Reason)
	}
	switch t.State {
	case api.TransferPending:
		return "Transferring to " + who + "…"
	case api.TransferRinging:
		return "Transferring: " + who + " is ringing…"
	case api.TransferDone:
		return "Transferred to " + who
	case api.TransferFailed:
		s := "Transfer to " + who + " failed" + status
		if c.State == line.CallConnected {
			s += ". You are back with the caller."
		}
		return s
	}
	return ""
}

func show(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}

// fitColumns gives a grid as many columns as it has visible cells, and hides it when it has none.
func fitColumns(c *fyne.Container) {
	n := 0
	for _, o := range c.Objects {
		if o.Visible() {
			n++
		}
	}
	if n == 0 {
		c.Hide()
		return
	}
	c.Layout = layout.NewGridLayoutWithColumns(n)
	c.Show()
}

// CreateRenderer is part of fyne.Widget.
func (v *CallView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.content)
}
