package line

import (
	"errors"
	"testing"
)

// TestCallPhaseTransitions checks every phase against every event: the allowed ones lead where a
// call goes, and every other one is refused with ErrCallTransition and leaves the phase as it was.
func TestCallPhaseTransitions(t *testing.T) {
	const (
		in, out, early, answering = PhaseRingingIn, PhaseRingingOut, PhaseEarly, PhaseAnswering
		connected, held, ending   = PhaseConnected, PhaseHeld, PhaseEnding
		ended                     = PhaseEnded
	)
	allowed := map[CallPhase]map[CallEvent]CallPhase{
		in:        {EventAnswer: answering, EventHangUp: ending, EventEnd: ended},
		out:       {EventProgress: early, EventAnswered: answering, EventHangUp: ending, EventEnd: ended},
		early:     {EventProgress: early, EventAnswered: answering, EventHangUp: ending, EventEnd: ended},
		answering: {EventEstablished: connected, EventHangUp: ending, EventEnd: ended},
		connected: {EventHold: held, EventHangUp: ending, EventEnd: ended},
		held:      {EventRetrieve: connected, EventHangUp: ending, EventEnd: ended},
		ending:    {EventEnd: ended},
		ended:     {},
	}
	phases := []CallPhase{in, out, early, answering, connected, held, ending, ended}
	events := []CallEvent{EventProgress, EventAnswer, EventAnswered, EventEstablished, EventHold,
		EventRetrieve, EventHangUp, EventEnd}
	if len(allowed) != int(numCallPhases) || len(events) != int(numCallEvents) {
		t.Fatalf("the test covers %d phases and %d events; there are %d and %d", len(allowed), len(events), numCallPhases, numCallEvents)
	}
	nAllowed, nRefused := 0, 0
	for _, p := range phases {
		for _, e := range events {
			next, err := p.Next(e)
			want, ok := allowed[p][e]
			switch {
			case ok && (err != nil || next != want):
				t.Errorf("%s + %s = %s, %v; want %s", p, e, next, err, want)
			case !ok && (!errors.Is(err, ErrCallTransition) || next != p):
				t.Errorf("%s + %s = %s, %v; want refused (ErrCallTransition) and still %s", p, e, next, err, p)
			}
			if ok != p.Allows(e) {
				t.Errorf("%s.Allows(%s) = %v, want %v", p, e, p.Allows(e), ok)
			}
			if ok {
				nAllowed++
			} else {
				nRefused++
			}
		}
	}
	if nAllowed != 21 || nRefused != 43 {
		t.Errorf("%d allowed and %d refused transitions, want 21 and 43", nAllowed, nRefused)
	}
}

// TestCallPhaseRefusalSaysWhy checks that a refused transition names the phase and the event.
func TestCallPhaseRefusalSaysWhy(t *testing.T) {
	_, err := PhaseAnswering.Next(EventAnswer)
	if err == nil || err.Error() != "call is answering: answer: not possible in the call's phase" {
		t.Errorf("a second answer: %v", err)
	}
	if _, err := CallPhase(99).Next(EventEnd); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("an unknown phase: %v, want ErrUnknownValue", err)
	}
	if _, err := PhaseConnected.Next(CallEvent(-1)); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("an unknown event: %v, want ErrUnknownValue", err)
	}
}

// TestCallPaths walks the ways a call goes from start to end, as SIP and the user drive it.
func TestCallPaths(t *testing.T) {
	paths := []struct {
		name   string
		dir    CallDirection
		events []CallEvent
		shown  []CallState // the state clients see after each event
	}{
		{"incoming answered, held, retrieved, hung up here", Incoming,
			[]CallEvent{EventAnswer, EventEstablished, EventHold, EventRetrieve, EventHangUp, EventEnd},
			[]CallState{CallRinging, CallConnected, CallHeld, CallConnected, CallConnected, CallEnded}},
		{"incoming missed", Incoming, []CallEvent{EventEnd}, []CallState{CallEnded}},
		{"incoming rejected here", Incoming, []CallEvent{EventHangUp, EventEnd}, []CallState{CallRinging, CallEnded}},
		{"outgoing with early media, the far end hangs up", Outgoing,
			[]CallEvent{EventProgress, EventProgress, EventAnswered, EventEstablished, EventEnd},
			[]CallState{CallAlerting, CallAlerting, CallAlerting, CallConnected, CallEnded}},
		{"outgoing answered without ringing", Outgoing, []CallEvent{EventAnswered, EventEstablished},
			[]CallState{CallDialing, CallConnected}},
		{"outgoing cancelled here while ringing", Outgoing, []CallEvent{EventProgress, EventHangUp, EventEnd},
			[]CallState{CallAlerting, CallAlerting, CallEnded}},
		{"outgoing busy", Outgoing, []CallEvent{EventProgress, EventEnd}, []CallState{CallAlerting, CallEnded}},
	}
	for _, tc := range paths {
		p := StartPhase(tc.dir)
		shown, _ := p.Shown()
		for i, e := range tc.events {
			next, err := p.Next(e)
			if err != nil {
				t.Fatalf("%s: event %d (%s) from %s: %v", tc.name, i, e, p, err)
			}
			p = next
			if s, ok := p.Shown(); ok {
				shown = s
			}
			if shown != tc.shown[i] {
				t.Errorf("%s: after %s clients see %s, want %s", tc.name, e, shown, tc.shown[i])
			}
		}
		if _, err := p.Next(EventHangUp); tc.shown[len(tc.shown)-1] == CallEnded && err == nil {
			t.Errorf("%s: an ended call can still be hung up", tc.name)
		}
	}
}

func TestCallPhaseNamesAndShownStates(t *testing.T) {
	tests := []struct {
		p     CallPhase
		name  string
		shown CallState
		fixed bool
		in    bool
		over  bool
	}{
		{PhaseRingingIn, "ringing-in", CallRinging, true, false, false},
		{PhaseRingingOut, "ringing-out", CallDialing, true, false, false},
		{PhaseEarly, "early", CallAlerting, true, false, false},
		{PhaseAnswering, "answering", 0, false, false, false},
		{PhaseConnected, "connected", CallConnected, true, true, false},
		{PhaseHeld, "held", CallHeld, true, true, false},
		{PhaseEnding, "ending", 0, false, false, true},
		{PhaseEnded, "ended", CallEnded, true, false, true},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
		s, ok := tc.p.Shown()
		if ok != tc.fixed || (ok && s != tc.shown) {
			t.Errorf("%s.Shown() = %s, %v; want %s, %v", tc.p, s, ok, tc.shown, tc.fixed)
		}
		if tc.p.InDialog() != tc.in || tc.p.Over() != tc.over {
			t.Errorf("%s: InDialog %v, Over %v; want %v, %v", tc.p, tc.p.InDialog(), tc.p.Over(), tc.in, tc.over)
		}
	}
	if got := CallPhase(42).String(); got != "CallPhase(42)" {
		t.Errorf("an unknown phase reads %q", got)
	}
	if got := CallEvent(42).String(); got != "CallEvent(42)" || EventHangUp.String() != "hang-up" {
		t.Errorf("event names: %q, %q", got, EventHangUp)
	}
	if StartPhase(Incoming) != PhaseRingingIn || StartPhase(Outgoing) != PhaseRingingOut {
		t.Error("a new call does not start ringing-in (incoming) or ringing-out (outgoing)")
	}
}
