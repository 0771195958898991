package baresiptest_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// toneRatio is the share of pcm's power at freq (Goertzel), 0..1: about 1 for a pure tone at
// freq, about 0 for other tones or silence.
func toneRatio(pcm []int16, sampleRate int, freq float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*freq/float64(sampleRate))
	var s1, s2, energy float64
	for _, x := range pcm {
		v := float64(x)
		s := v + k*s1 - s2
		s2, s1 = s1, s
		energy += v * v
	}
	if energy == 0 {
		return 0
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return 2 * power / (float64(len(pcm)) * energy)
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func wait(t *testing.T, ctx context.Context, a *baresiptest.Agent, typ string) baresiptest.Event {
	t.Helper()
	ev, err := a.WaitEvent(ctx, typ)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// heard reads the agent's recording of what it heard in its last call and checks that it is
// mostly the tone want and not the tone other.
func checkHeard(t *testing.T, a *baresiptest.Agent, name string, wantRate int, want, other float64) {
	t.Helper()
	path, err := a.RecordingDec()
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := baresiptest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate != wantRate {
		t.Errorf("%s recording: %d Hz, want %d", name, rate, wantRate)
	}
	if secs := float64(len(pcm)) / float64(rate); secs < 1 {
		t.Errorf("%s heard only %.2f s of audio", name, secs)
	}
	if r := toneRatio(pcm, rate, want); r < 0.8 {
		t.Errorf("%s heard %.0f Hz with power share %.3f, want >= 0.8", name, want, r)
	}
	if r := toneRatio(pcm, rate, other); r > 0.05 {
		t.Errorf("%s heard its own %.0f Hz tone with power share %.3f, want <= 0.05", name, other, r)
	}
}

func TestTwoAgentsCallEachOther(t *testing.T) {
	cases := []struct {
		codec, transport string
		autoAnswer       bool
		rate             int
	}{
		{"PCMU", "udp", false, 8000},
		{"G722", "udp", true, 16000},
		{"PCMA", "tcp", false, 8000},
	}
	for _, tc := range cases {
		t.Run(tc.codec+"/"+tc.transport, func(t *testing.T) {
			t.Parallel()
			pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
				{Name: "alice", Password: "pw-alice"}, {Name: "bob", Password: "pw-bob"}}})
			alice := baresiptest.Start(t, baresiptest.Config{User: "alice", Password: "pw-alice", PBX: pbx,
				Transport: tc.transport, Codecs: []string{tc.codec}, ToneHz: 440})
			bob := baresiptest.Start(t, baresiptest.Config{User: "bob", Password: "pw-bob", PBX: pbx,
				Transport: tc.transport, Codecs: []string{tc.codec}, ToneHz: 1000, AutoAnswer: tc.autoAnswer})
			ctx := testCtx(t, 60*time.Second)

			if err := alice.Dial(ctx, bob.AOR()); err != nil {
				t.Fatal(err)
			}
			if !tc.autoAnswer {
				in := wait(t, ctx, bob, "CALL_INCOMING")
				if in.Direction != "incoming" || !strings.HasPrefix(in.PeerURI, alice.AOR()) {
					t.Errorf("CALL_INCOMING: direction %q peer %q, want incoming from %s", in.Direction, in.PeerURI, alice.AOR())
				}
				wait(t, ctx, alice, "CALL_RINGING")
				if err := bob.Answer(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ea := wait(t, ctx, alice, "CALL_ESTABLISHED")
			eb := wait(t, ctx, bob, "CALL_ESTABLISHED")
			if tc.autoAnswer {
				for _, ev := range bob.Events() {
					if ev.Type == "CALL_INCOMING" {
						t.Errorf("auto-answering bob reported CALL_INCOMING")
					}
				}
			}
			if ea.CallID == "" || ea.CallID != eb.CallID {
				t.Errorf("call ids: alice %q, bob %q, want the same", ea.CallID, eb.CallID)
			}
			callstat, err := alice.Command(ctx, "callstat", "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(callstat, tc.codec+"/") {
				t.Errorf("alice's callstat does not name %s:\n%s", tc.codec, callstat)
			}
			// The initial offer and answer; hold and resume bring new ones.
			wait(t, ctx, bob, "CALL_REMOTE_SDP")
			wait(t, ctx, alice, "CALL_REMOTE_SDP")

			time.Sleep(time.Second) // audio flows both ways
			if err := alice.SendDTMF(ctx, "123#"); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 4; i++ {
				wait(t, ctx, bob, "CALL_DTMF_START")
			}
			if got := bob.ReceivedDTMF(); got != "123#" {
				t.Errorf("bob received DTMF %q, want 123#", got)
			}
			if got := alice.ReceivedDTMF(); got != "" {
				t.Errorf("alice received DTMF %q, want none", got)
			}

			if err := alice.Hold(ctx); err != nil {
				t.Fatal(err)
			}
			if ev := wait(t, ctx, bob, "CALL_REMOTE_SDP"); ev.Param != "offer" {
				t.Errorf("bob after hold: CALL_REMOTE_SDP %q, want offer", ev.Param)
			}
			if ev := wait(t, ctx, alice, "CALL_REMOTE_SDP"); ev.Param != "answer" {
				t.Errorf("alice after hold: CALL_REMOTE_SDP %q, want answer", ev.Param)
			}
			if err := alice.Resume(ctx); err != nil {
				t.Fatal(err)
			}
			if ev := wait(t, ctx, bob, "CALL_REMOTE_SDP"); ev.Param != "offer" {
				t.Errorf("bob after resume: CALL_REMOTE_SDP %q, want offer", ev.Param)
			}
			time.Sleep(500 * time.Millisecond)

			if err := alice.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			ca := wait(t, ctx, alice, "CALL_CLOSED")
			cb := wait(t, ctx, bob, "CALL_CLOSED")
			t.Logf("close reasons: alice %q, bob %q", ca.Param, cb.Param)
			if cb.Param == "" || cb.CallID != eb.CallID {
				t.Errorf("bob CALL_CLOSED %+v: want a reason and the call id %q", cb, eb.CallID)
			}

			checkHeard(t, bob, "bob", tc.rate, 440, 1000)
			checkHeard(t, alice, "alice", tc.rate, 1000, 440)
		})
	}
}
