package engine

import (
	"context"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
)

// srtpParties are two line servers whose lines 201 and 202 register at one Kamailio over tr with
// the SRTP policies ea and eb.
func srtpParties(t *testing.T, tr line.Transport, ea, eb line.MediaEncryption) (a, b *party) {
	t.Helper()
	pbx := testpbx.Start(t, testpbx.Config{TLS: tr == line.TransportTLS, Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
	}})
	start := func(user string, enc line.MediaEncryption, hz float64) *party {
		a := acct(user, "pw-"+user, tr)
		a.Encryption = enc
		p := startPartyConfig(t, testConfig(pbx, line.Line{Name: "line " + user, Account: a}), hz)
		p.client = logOnClient(t, p.srv, "test client")
		p.calls = p.client.calls
		return p
	}
	return start("201", ea, 440), start("202", eb, 1000)
}

// Calls over TLS through Kamailio with SRTP: each side hears the other's tone, both show the call
// encrypted, and a hold and retrieve (re-INVITEs that re-offer the keys) keep it so.
func TestSRTPCallOverTLSCarriesAudioBothWays(t *testing.T) {
	for _, c := range []struct {
		name   string
		ea, eb line.MediaEncryption
	}{
		{"require calls offer", line.EncryptionRequire, line.EncryptionOffer},
		{"offer calls require", line.EncryptionOffer, line.EncryptionRequire},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := srtpParties(t, line.TransportTLS, c.ea, c.eb)
			aID, bID := connect(t, a, b)
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "caller", a, 1000, 440)
			assertHears(t, "callee", b, 440, 1000)
			for _, p := range []struct {
				who string
				x   *party
				id  string
			}{{"caller", a, aID}, {"callee", b, bID}} {
				if got, _ := p.x.client.call(t, p.id); !got.Encrypted {
					t.Errorf("the %s does not show the call encrypted: %+v", p.who, got)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := a.client.Hold(ctx, aID); err != nil {
				t.Fatal(err)
			}
			b.calls.wait(t, "held at b", 5*time.Second, func(x api.Call) bool { return x.ID == bID && x.HeldByRemote })
			if err := a.client.Retrieve(ctx, aID); err != nil {
				t.Fatal(err)
			}
			b.calls.wait(t, "retrieved at b", 5*time.Second, func(x api.Call) bool { return x.ID == bID && !x.HeldByRemote })
			time.Sleep(1500 * time.Millisecond)
			assertHears(t, "caller after retrieve", a, 1000, 440)
			assertHears(t, "callee after retrieve", b, 440, 1000)
			if got, _ := a.client.call(t, aID); !got.Encrypted {
				t.Error("the call is no longer encrypted after hold and retrieve")
			}
			if err := a.client.HangUp(ctx, aID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A line that requires SRTP and one that has it off cannot talk: the call from the plain line is
// refused with 488 before it rings, and the call from the requiring line ends, each with a reason.
func TestSRTPRequireAndOffDoNotConnect(t *testing.T) {
	a, b := srtpParties(t, line.TransportUDP, line.EncryptionRequire, line.EncryptionOff)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	// b (off) calls a (require): RTP/AVP without keys, refused at a with 488.
	out, err := b.client.Dial(ctx, b.line, "201")
	if err != nil {
		t.Fatal(err)
	}
	end := b.calls.wait(t, "b's call refused", 10*time.Second, func(x api.Call) bool { return x.ID == out.ID && x.State == line.CallEnded })
	if end.EndCode != 488 {
		t.Errorf("b's call ended %v %d %q, want 488", end.EndCause, end.EndCode, end.EndReason)
	}
	if n := len(a.client.liveCalls(t)); n != 0 || a.audio.rings.Load() != 0 {
		t.Errorf("the requiring line rang (%d calls, %d rings) for a plain offer", n, a.audio.rings.Load())
	}

	// a (require) calls b (off): RTP/SAVP, which b refuses with 488.
	out, err = a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	end = a.calls.wait(t, "a's call refused", 10*time.Second, func(x api.Call) bool { return x.ID == out.ID && x.State == line.CallEnded })
	if end.EndCode != 488 || end.EndCause != line.EndRefused {
		t.Errorf("a's call ended %v %d %q, want refused with 488", end.EndCause, end.EndCode, end.EndReason)
	}
}
