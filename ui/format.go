package ui

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// offers reports whether f is among the functions offered now.
func offers(fs []line.Function, f line.Function) bool { return slices.Contains(fs, f) }

// partyName is the heading of a call: the far end's name, else its number, else what was dialled.
func partyName(c api.Call) string {
	switch {
	case c.RemoteName != "":
		return c.RemoteName
	case c.FeatureCode == "pickup" && c.RemoteNumber != "":
		// The call of the extension picked up (api.Session.Pickup names no feature code).
		return "Pick up " + cmp.Or(c.RemoteDisplay, c.RemoteNumber)
	case c.FeatureCode != "":
		return c.FeatureCode
	case c.RemoteDisplay != "":
		return c.RemoteDisplay
	case c.RemoteNumber != "":
		return c.RemoteNumber
	case c.Dialled != "":
		return c.Dialled
	}
	return unknownParty(c.Direction)
}

// unknownParty names a far end of which nothing is known.
func unknownParty(d line.CallDirection) string {
	if d == line.Incoming {
		return "Unknown caller"
	}
	return "Unknown number"
}

// partyNumber is the far end's number as a person reads it, or "" when the heading already
// shows it.
func partyNumber(c api.Call) string {
	n := c.RemoteDisplay
	if n == "" {
		n = c.RemoteNumber
	}
	if n == "" {
		n = c.Dialled
	}
	if n == partyName(c) {
		return ""
	}
	return n
}

// callStateText says where a call stands in words a user reads at a glance.
func callStateText(c api.Call) string {
	switch c.State {
	case line.CallDialing:
		return "Calling…"
	case line.CallAlerting:
		return "Ringing at the other end"
	case line.CallRinging:
		if c.ServerRinging {
			return "Held ringing by the line server"
		}
		return "Ringing"
	case line.CallConnected:
		if c.HeldByRemote {
			return "On hold by the other party"
		}
		return "Connected"
	case line.CallHeld:
		return "On hold"
	case line.CallEnded:
		return endedText(c)
	}
	return c.State.String()
}

// callDuration is how long the call has been connected, or, before the answer, how long it has
// been ringing or dialling.
func callDuration(c api.Call, now time.Time) time.Duration {
	start := c.Started
	if !c.Answered.IsZero() {
		start = c.Answered
	}
	end := now
	if !c.Ended.IsZero() {
		end = c.Ended
	}
	if start.IsZero() || end.Before(start) {
		return 0
	}
	return end.Sub(start)
}

// formatDuration writes m:ss, or h:mm:ss from an hour on.
func formatDuration(d time.Duration) string {
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// active reports whether a call is still going on (not ended).
func active(c api.Call) bool { return c.State != line.CallEnded }
