package engine

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/line"
)

// Two SDES attributes a caller offers (RFC 4568), each with its own 30-byte key and salt.
const (
	cryptoA = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e"
	cryptoB = "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8"
)

// srtpServer runs the policy tests' server with one line per SRTP policy: 501 off, 502 offer,
// 503 require.
func srtpServer(t *testing.T) (*Server, func(string) line.JournalEntry) {
	t.Helper()
	g := line.Group{Name: "srtp"}
	srv, st := policyServerWith(t, []policyLine{{"501", g}, {"502", g}, {"503", g}}, func(c *line.Config) {
		c.Groups = c.Groups[:1]
		for i, p := range []line.MediaEncryption{line.EncryptionOff, line.EncryptionOffer, line.EncryptionRequire} {
			c.Lines[i].Group = c.Groups[0].Name
			c.Lines[i].Account.Encryption = p
		}
	})
	return srv, func(name string) line.JournalEntry { return lastEntry(t, st, name) }
}

// answer200 is the SDP of the 200 OK SIPp received, "" when none came.
func answer200(res sipptest.Result) string {
	for _, m := range res.Received() {
		if strings.HasPrefix(m, "SIP/2.0 200") && strings.Contains(m, "CSeq: 1 INVITE") {
			if _, body, ok := strings.Cut(m, "v=0"); ok {
				return "v=0" + body
			}
		}
	}
	return ""
}

var answerCrypto = regexp.MustCompile(`a=crypto:(\d+) (AES_CM_128_HMAC_SHA1_(?:80|32)) inline:([A-Za-z0-9+/]{40})\r?\n`)

// A line's SRTP policy against what callers offer, checked on the wire: the transport and the
// crypto attribute of the answer, and 488 where the policy and the offer cannot meet.
func TestSRTPPolicyAnswersOnTheWire(t *testing.T) {
	srv, entry := srtpServer(t)
	el := logOnClient(t, srv, "desk")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	answered := map[string]bool{} // calls of earlier cases, whose events the log still holds

	for _, c := range []struct {
		name, user, proto, a, b string
		refused                 bool
		wantProto               string
		wantTag                 string // "" for a plain answer
	}{
		{name: "require refuses plain", user: "503", proto: "RTP/AVP", refused: true},
		{name: "off refuses SAVP", user: "501", proto: "RTP/SAVP", a: cryptoA, b: cryptoB, refused: true},
		{name: "off answers plain to keys on AVP", user: "501", proto: "RTP/AVP", a: cryptoA, b: cryptoB, wantProto: "RTP/AVP"},
		{name: "offer answers plain to plain", user: "502", proto: "RTP/AVP", wantProto: "RTP/AVP"},
		{name: "offer takes keys on AVP", user: "502", proto: "RTP/AVP", a: cryptoB, b: cryptoA, wantProto: "RTP/AVP", wantTag: "2"},
		{name: "require takes SAVP", user: "503", proto: "RTP/SAVP", a: cryptoA, b: cryptoB, wantProto: "RTP/SAVP", wantTag: "1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := sipptest.Start(ctx, t, "srtp_caller.xml", srv.SIPAddr(line.TransportUDP), sipptest.Service(c.user),
				sipptest.Key("proto", c.proto), sipptest.Key("crypto_a", c.a), sipptest.Key("crypto_b", c.b))
			name := "line " + c.user
			if !c.refused {
				ev := el.wait(t, "ringing on "+name, 10*time.Second, func(ev api.Event) bool {
					return ev.Type == api.EventCall && ev.Call != nil && ev.Call.Line == name && ev.Call.State == line.CallRinging && !answered[ev.Call.ID]
				})
				answered[ev.Call.ID] = true
				if err := el.Answer(ctx, ev.Call.ID); err != nil {
					t.Fatal(err)
				}
				conn := el.wait(t, "connected on "+name, 10*time.Second, func(x api.Event) bool {
					return x.Type == api.EventCall && x.Call != nil && x.Call.ID == ev.Call.ID && x.Call.State == line.CallConnected
				})
				if conn.Call.Encrypted != (c.wantTag != "") {
					t.Errorf("the call shows encrypted %v, want %v", conn.Call.Encrypted, c.wantTag != "")
				}
			}
			res := p.Wait()
			if res.ExitCode != 0 {
				t.Fatalf("sipp exit %d, codes %v", res.ExitCode, res.StatusCodes())
			}
			if c.refused {
				if res.FinalStatus() != 488 {
					t.Fatalf("codes %v, want 488", res.StatusCodes())
				}
				e := entry(name)
				if e.Outcome != line.OutcomeFailed || e.Code != 488 {
					t.Errorf("journal: %v %d, want failed 488", e.Outcome, e.Code)
				}
				return
			}
			sdp := answer200(res)
			if !strings.Contains(sdp, " "+c.wantProto+" ") {
				t.Errorf("answer not on %s:\n%s", c.wantProto, sdp)
			}
			m := answerCrypto.FindAllStringSubmatch(sdp, -1)
			if c.wantTag == "" {
				if len(m) != 0 || strings.Contains(sdp, "a=crypto") {
					t.Errorf("a plain answer carries keys:\n%s", sdp)
				}
				return
			}
			if len(m) != 1 || m[0][1] != c.wantTag {
				t.Fatalf("answer's crypto %q, want one attribute with tag %s:\n%s", m, c.wantTag, sdp)
			}
			// Lineup's own key, not the caller's echoed back.
			if strings.Contains(c.a+c.b, m[0][3]) {
				t.Errorf("the answer echoes the caller's key %s", m[0][3])
			}
		})
	}
}
