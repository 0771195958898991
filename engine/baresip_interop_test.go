package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// Lineup's line 201 sends 440 Hz; baresip (user 301) sends 1000 Hz. What each side heard is
// checked with a Goertzel filter: Lineup's decoded audio in memory, baresip's in its recording.
const (
	lineupHz  = 440
	baresipHz = 1000
)

func interopParties(t *testing.T, codec string, autoAnswer bool) (*party, *baresiptest.Agent) {
	t.Helper()
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "301", Password: "pw-301"},
	}})
	lu := startParty(t, pbx, "201", "pw-201", lineupHz)
	bs := baresiptest.Start(t, baresiptest.Config{
		User: "301", Password: "pw-301", PBX: pbx,
		Codecs: []string{codec}, AutoAnswer: autoAnswer, ToneHz: baresipHz,
	})
	return lu, bs
}

// baresipHeard checks baresip's recording of the call (read after the call closed) for Lineup's
// tone.
func baresipHeard(t *testing.T, bs *baresiptest.Agent, wantRate int) {
	t.Helper()
	path, err := bs.RecordingDec()
	if err != nil {
		t.Fatalf("baresip recording: %v", err)
	}
	pcm, rate, err := baresiptest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	if rate != wantRate {
		t.Errorf("baresip decoded at %d Hz, want %d (the negotiated codec's rate)", rate, wantRate)
	}
	// Skip the first half second (jitter buffers settling) and look at up to one second.
	if len(pcm) < rate {
		t.Fatalf("baresip recorded only %d samples", len(pcm))
	}
	part := pcm[rate/2 : min(len(pcm), rate*3/2)]
	if r := media.ToneRatio(part, rate, lineupHz); r < 0.5 {
		t.Errorf("baresip heard Lineup's %d Hz at a share of %.2f, want > 0.5", lineupHz, r)
	}
	if r := media.ToneRatio(part, rate, baresipHz); r > 0.1 {
		t.Errorf("baresip heard its own %d Hz at %.2f, want < 0.1", baresipHz, r)
	}
}

func TestInteropLineupCallsBaresip(t *testing.T) {
	for _, c := range []struct {
		codec string
		rate  int
	}{{"PCMU", 8000}, {"PCMA", 8000}, {"G722", 16000}} {
		t.Run(c.codec, func(t *testing.T) {
			lu, bs := interopParties(t, c.codec, true)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := lu.client.Dial(ctx, lu.line, "301")
			if err != nil {
				t.Fatal(err)
			}
			call := lu.calls.wait(t, "connected", 10*time.Second, func(x api.Call) bool {
				return x.ID == out.ID && x.State == line.CallConnected
			})
			if call.Codec != c.codec {
				t.Errorf("codec %q, want %s (the only one baresip offers)", call.Codec, c.codec)
			}
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "Lineup", lu, baresipHz, lineupHz)

			// DTMF from Lineup (RFC 4733: baresip offers telephone-event) and from baresip.
			if err := lu.client.SendDTMF(ctx, out.ID, "123#"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for bs.ReceivedDTMF() != "123#" && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			if got := bs.ReceivedDTMF(); got != "123#" {
				t.Errorf("baresip received DTMF %q, want 123#", got)
			}
			if err := bs.SendDTMF(ctx, "45*"); err != nil {
				t.Fatal(err)
			}
			lu.calls.wait(t, "digits from baresip", 5*time.Second, func(x api.Call) bool {
				return x.ID == out.ID && x.DTMFReceived == "45*"
			})

			// Hold and retrieve from Lineup: baresip receives the re-INVITE offers.
			if err := lu.client.Hold(ctx, out.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := bs.WaitEvent(ctx, "CALL_REMOTE_SDP"); err != nil {
				t.Fatalf("baresip saw no hold offer: %v", err)
			}
			if err := lu.client.Retrieve(ctx, out.ID); err != nil {
				t.Fatal(err)
			}
			lu.calls.wait(t, "retrieved", 5*time.Second, func(x api.Call) bool {
				return x.ID == out.ID && x.State == line.CallConnected
			})
			time.Sleep(time.Second)
			assertHears(t, "Lineup after retrieve", lu, baresipHz, lineupHz)

			// Lineup hangs up; baresip sees the call closed by its peer.
			if err := lu.client.HangUp(ctx, out.ID); err != nil {
				t.Fatal(err)
			}
			ev, err := bs.WaitEvent(ctx, "CALL_CLOSED")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(ev.Param, "peer") {
				t.Errorf("baresip's close reason %q, want the peer's hang-up", ev.Param)
			}
			baresipHeard(t, bs, c.rate)
		})
	}
}

func TestInteropBaresipCallsLineup(t *testing.T) {
	lu, bs := interopParties(t, "G722", false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A call that baresip gives up before Lineup answers ends as cancelled.
	target := "sip:201@" + strings.SplitN(bs.AOR(), "@", 2)[1]
	if err := bs.Dial(ctx, target); err != nil {
		t.Fatal(err)
	}
	first := lu.calls.wait(t, "ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
	if first.RemoteNumber != "301" {
		t.Errorf("caller shown as %q, want 301", first.RemoteNumber)
	}
	if err := bs.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	end := lu.calls.wait(t, "cancelled", 10*time.Second, func(x api.Call) bool {
		return x.ID == first.ID && x.State == line.CallEnded
	})
	if end.EndCode != 487 {
		t.Errorf("cancelled call ended %d %q, want 487", end.EndCode, end.EndReason)
	}
	if _, err := bs.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}

	// The second call is answered in Lineup.
	if err := bs.Dial(ctx, target); err != nil {
		t.Fatal(err)
	}
	in := lu.calls.wait(t, "ringing again", 10*time.Second, func(x api.Call) bool {
		return x.State == line.CallRinging && x.ID != first.ID
	})
	if err := lu.client.Answer(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := bs.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	assertHears(t, "Lineup", lu, baresipHz, lineupHz)
	if c, _ := lu.client.call(t, in.ID); c.Codec != "G722" {
		t.Errorf("codec %q, want G722", c.Codec)
	}

	// baresip holds and resumes: Lineup shows the call held by the far end, then not.
	if err := bs.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "held by baresip", 5*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.HeldByRemote })
	if err := bs.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	lu.calls.wait(t, "resumed by baresip", 5*time.Second, func(x api.Call) bool {
		return x.ID == in.ID && !x.HeldByRemote && x.State == line.CallConnected && x.Answered.Before(time.Now())
	})

	// baresip hangs up.
	if err := bs.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	end = lu.calls.wait(t, "ended", 5*time.Second, func(x api.Call) bool { return x.ID == in.ID && x.State == line.CallEnded })
	if end.EndCause != line.EndHungUpThere {
		t.Errorf("end cause %v (%q), want hung_up_there", end.EndCause, end.EndReason)
	}
	if _, err := bs.WaitEvent(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	baresipHeard(t, bs, 16000)
}
