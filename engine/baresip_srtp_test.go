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
)

// srtpInterop is Lineup's line 201 (over TLS, with policy enc) and baresip 301 (over TLS, with
// media encryption menc) at one Kamailio.
func srtpInterop(t *testing.T, enc line.MediaEncryption, menc string, autoAnswer bool) (*party, *baresiptest.Agent) {
	t.Helper()
	pbx := testpbx.Start(t, testpbx.Config{TLS: true, Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "301", Password: "pw-301"},
	}})
	a := acct("201", "pw-201", line.TransportTLS)
	a.Encryption = enc
	lu := startPartyConfig(t, testConfig(pbx, line.Line{Name: "line 201", Account: a}), lineupHz)
	lu.client = logOnClient(t, lu.srv, "test client")
	lu.calls = lu.client.calls
	bs := baresiptest.Start(t, baresiptest.Config{User: "301", Password: "pw-301", PBX: pbx, Transport: "tls",
		MediaEnc: menc, Codecs: []string{"PCMA"}, AutoAnswer: autoAnswer, ToneHz: baresipHz})
	return lu, bs
}

// SRTP with baresip over TLS both ways: baresip's optional SDES (srtp: keys on RTP/AVP) with a
// line that offers, and its mandatory SRTP (srtp-mand: RTP/SAVP) with a line that requires.
// Each side hears the other's tone, Lineup shows the call encrypted and baresip reports the suite.
func TestInteropSRTPWithBaresip(t *testing.T) {
	for _, c := range []struct {
		menc string
		enc  line.MediaEncryption
	}{{"srtp", line.EncryptionOffer}, {"srtp-mand", line.EncryptionRequire}} {
		t.Run(c.menc+"/lineup calls", func(t *testing.T) {
			lu, bs := srtpInterop(t, c.enc, c.menc, true)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := lu.client.Dial(ctx, lu.line, "301")
			if err != nil {
				t.Fatal(err)
			}
			call := lu.calls.wait(t, "connected", 10*time.Second, func(x api.Call) bool {
				return x.ID == out.ID && x.State == line.CallConnected
			})
			if !call.Encrypted {
				t.Error("Lineup does not show the call encrypted")
			}
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "Lineup", lu, baresipHz, lineupHz)
			// Hold and retrieve: re-INVITEs whose answers carry baresip's keys again.
			if err := lu.client.Hold(ctx, out.ID); err != nil {
				t.Fatal(err)
			}
			if err := lu.client.Retrieve(ctx, out.ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "Lineup after retrieve", lu, baresipHz, lineupHz)
			if err := lu.client.HangUp(ctx, out.ID); err != nil {
				t.Fatal(err)
			}
			closed, err := bs.WaitEvent(ctx, "CALL_CLOSED")
			if err != nil {
				t.Fatal(err)
			}
			baresipDecrypted(t, bs, closed.CallID)
			baresipHeard(t, bs, 8000)
		})
		t.Run(c.menc+"/baresip calls", func(t *testing.T) {
			lu, bs := srtpInterop(t, c.enc, c.menc, false)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := bs.Dial(ctx, "sip:201@"+strings.SplitN(bs.AOR(), "@", 2)[1]); err != nil {
				t.Fatal(err)
			}
			in := lu.calls.wait(t, "ringing", 10*time.Second, func(x api.Call) bool { return x.State == line.CallRinging })
			if err := lu.client.Answer(ctx, in.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := bs.WaitEvent(ctx, "CALL_ESTABLISHED"); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "Lineup", lu, baresipHz, lineupHz)
			if got, _ := lu.client.call(t, in.ID); !got.Encrypted {
				t.Errorf("Lineup does not show the call encrypted: %+v", got)
			}
			if err := bs.Hangup(ctx); err != nil {
				t.Fatal(err)
			}
			closed, err := bs.WaitEvent(ctx, "CALL_CLOSED")
			if err != nil {
				t.Fatal(err)
			}
			baresipDecrypted(t, bs, closed.CallID)
			baresipHeard(t, bs, 8000)
		})
	}
}

// A baresip without SRTP calling a line that requires it is refused with 488, and the line does
// not ring.
func TestInteropPlainBaresipRefusedByRequire(t *testing.T) {
	lu, bs := srtpInterop(t, line.EncryptionRequire, "", false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bs.Dial(ctx, "sip:201@"+strings.SplitN(bs.AOR(), "@", 2)[1]); err != nil {
		t.Fatal(err)
	}
	ev, err := bs.WaitEvent(ctx, "CALL_CLOSED")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ev.Param, "488") {
		t.Errorf("baresip's call closed with %q, want 488", ev.Param)
	}
	if n := len(lu.client.liveCalls(t)); n != 0 || lu.audio.rings.Load() != 0 {
		t.Errorf("the line rang (%d calls, %d rings) for a plain offer", n, lu.audio.rings.Load())
	}
}

// baresipDecrypted checks that baresip ran SRTP on the call and decrypted every RTP packet of
// Lineup's.
func baresipDecrypted(t *testing.T, bs *baresiptest.Agent, callID string) {
	t.Helper()
	if got := bs.MediaEncryption(callID); !strings.HasPrefix(got, "AES_CM_128_HMAC_SHA1_") {
		t.Errorf("baresip reports media encryption %q, want an AES_CM suite", got)
	}
	if rtp, _ := bs.SRTPFailures(); rtp != 0 {
		t.Errorf("baresip failed to decrypt %d of Lineup's SRTP packets", rtp)
	}
}
