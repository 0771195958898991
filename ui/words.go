package ui

import (
	"fmt"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// This file words what the line server reports as codes and causes: a line's registration, what
// a call arriving on it now would get (line.Decision) and why a call ended (line.EndCause). The sentences live here, in one place,
// so that a translation has one file to follow.

// regText names a line's registration state; regDetail adds the reason when there is one.
func regText(l api.Line) string {
	if !l.Enabled {
		return "Not in use"
	}
	switch l.Registration {
	case line.RegRegistered:
		return "Registered"
	case line.RegRegistering:
		return "Registering…"
	case line.RegFailed:
		return "Registration failed"
	case line.RegUnregistered:
		return "Not registered"
	case line.RegDisabled:
		return "Not in use"
	}
	return l.Registration.String()
}

// regDetail is the registrar's status and phrase, and after a failure a hint where one helps:
// the credentials for 401, 403 and 407, the user for 404, the address and the network for a
// timeout or a transport error (no status).
func regDetail(l api.Line) string {
	text := l.RegReason
	switch {
	case l.RegReason != "" && l.RegCode != 0:
		text = fmt.Sprintf("%d %s", l.RegCode, l.RegReason)
	case l.RegCode != 0:
		text = fmt.Sprintf("SIP status %d", l.RegCode)
	}
	if l.Registration != line.RegFailed {
		return text
	}
	hint := ""
	switch l.RegCode {
	case 401, 403, 407:
		hint = "check the user name and password"
	case 404:
		hint = "the PBX does not know this user"
	case 0:
		hint = "check the registrar address and the network"
	}
	switch {
	case hint == "":
		return text
	case text == "":
		return hint
	}
	return text + ": " + hint
}

// nowText says in one sentence what a call arriving on the line now would get.
func nowText(d line.Decision) string {
	switch d.Reach {
	case line.ReachLineOff:
		return "Line not in use: it is not registered, so calls cannot reach it."
	case line.ReachNotRegistered:
		return "Not registered: calls cannot reach this line until it is."
	case line.ReachUnknown:
		return ""
	}
	ignored := ""
	if d.ForwardIgnored {
		ignored = " The line's forwarding is switched off for its group."
	}
	switch d.Action {
	case line.ActionForward:
		switch d.Cause {
		case line.CauseForwardAlways:
			return "All calls forwarded to " + d.ForwardTo + "."
		case line.CauseForwardBusy:
			return "Line busy: calls forwarded to " + d.ForwardTo + "."
		}
		return "Nobody can answer here: calls forwarded to " + d.ForwardTo + "."
	case line.ActionAnswer, line.ActionHoldRinging:
		why := "No client logged on"
		switch d.Cause {
		case line.CauseDND:
			why = "Do Not Disturb"
		case line.CauseNoCallWaiting:
			why = "Line busy, call waiting off"
		}
		return why + ": " + answerText(d.Answer) + afterText(d) + ignored
	case line.ActionRing:
	default:
		return ""
	}
	rings := "Rings here"
	if d.Waiting {
		rings = "Rings here as a waiting call"
	}
	switch r := d.Decline; r {
	case line.ResponseUnset:
		return rings + "; Decline is not offered." + afterText(d) + ignored
	case line.ResponseRinging:
		return rings + "; Decline leaves the call ringing at the server (180)." + afterText(d) + ignored
	case line.ResponseClientChoice:
		return rings + "; Decline sends busy (486) or decline (603), as chosen." + afterText(d) + ignored
	default:
		return fmt.Sprintf("%s; Decline sends %s.%s%s", rings, r, afterText(d), ignored)
	}
}

// afterText adds the no-answer forward to the sentence of a call that rings.
func afterText(d line.Decision) string {
	if d.ForwardAfter <= 0 {
		return ""
	}
	return fmt.Sprintf(" Unanswered after %d s, calls are forwarded to %s.", d.ForwardAfter, d.ForwardTo)
}

// forwardBadge says in a few words where the line's calls are forwarded, for its row; empty when
// they are not (also when its group switched forwarding off).
func forwardBadge(l api.Line) string {
	f := l.Forward
	if l.Incoming.ForwardIgnored || f.Target == "" {
		return ""
	}
	switch f.Mode {
	case line.ForwardAlways:
		return "Calls forwarded to " + f.Target
	case line.ForwardBusy:
		return "Calls forwarded to " + f.Target + " when busy"
	case line.ForwardNoAnswer:
		return fmt.Sprintf("Calls forwarded to %s after %d s", f.Target, int(f.AfterOrDefault().Seconds()))
	}
	return ""
}

// answerText says what a caller gets from the line server's own response.
func answerText(r line.Response) string {
	switch r {
	case line.ResponseBusyHere:
		return "callers hear busy (486)."
	case line.ResponseTemporarilyUnavailable:
		return "callers are told the line is unavailable (480)."
	case line.ResponseDecline:
		return "calls are declined (603)."
	case line.ResponseRinging:
		return "calls ring on at the server (180) until answered elsewhere, picked up or given up."
	}
	return r.String() + "."
}

// endedText says why a call ended, from its cause, its SIP status and the detail.
func endedText(c api.Call) string {
	code := ""
	if c.EndCode != 0 {
		code = fmt.Sprintf(" (%d)", c.EndCode)
	}
	detail := ""
	if c.EndReason != "" {
		detail = ": " + c.EndReason
	}
	switch c.EndCause {
	case line.EndHungUpHere:
		return "Ended: hung up here"
	case line.EndHungUpThere:
		return "Ended: the other party hung up"
	case line.EndCallerGaveUp:
		return "Missed: the caller hung up before the answer"
	case line.EndAnsweredElsewhere:
		return "Answered at another phone"
	case line.EndRejected:
		return "Declined here" + code
	case line.EndServerAnswered:
		why := "no client logged on"
		if c.EndReason == line.CauseDND.String() {
			why = "Do Not Disturb"
		}
		return fmt.Sprintf("Answered by the line server (%s)%s", why, code)
	case line.EndDeflected:
		return "Forwarded to " + c.EndReason
	case line.EndForwarded:
		return "Forwarded to " + c.EndReason + " by the line's forwarding"
	case line.EndRefused:
		return refusedText(c.EndCode) + code + detail
	case line.EndCancelled:
		return "Cancelled"
	case line.EndNoAudio:
		return "Ended: no audio came from the other party"
	case line.EndNoCommonCodec:
		return "Ended: no codec both sides can use" + detail
	case line.EndNoEncryption:
		return "Ended: the call's audio could not be encrypted as the line requires" + code + detail
	case line.EndTransferred:
		return "Transferred to " + c.EndReason
	case line.EndStopped:
		return "Ended: Lineup stopped"
	case line.EndFailed:
		return "Failed" + code + detail
	}
	if detail != "" || code != "" {
		return "Ended" + code + detail
	}
	return "Ended"
}

// refusedText says what the far end's final answer to our call means.
func refusedText(code int) string {
	switch code {
	case 486, 600:
		return "Busy"
	case 603:
		return "Declined"
	case 480:
		return "Not available"
	case 404, 604:
		return "Number not found"
	case 408:
		return "No answer"
	case 487:
		return "Cancelled"
	case 488, 606:
		return "No codec both sides can use"
	case 401, 403, 407:
		return "Not authorised to call"
	}
	return "Refused"
}
