package engine

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// earlyMediaPBX is a scripted PBX on 127.0.0.1: it accepts any REGISTER, answers an INVITE with
// 183 Session Progress and SDP, plays a 1000 Hz tone as early media, and after earlyFor answers
// 200 with the same SDP and keeps playing until the call ends.
type earlyMediaPBX struct {
	addr string
	// challenge makes the PBX answer an INVITE without Proxy-Authorization with 407 first.
	challenge bool
	// silentEarly sends no RTP before the 200; noEarly rings with a plain 180 instead of a 183
	// with SDP.
	silentEarly bool
	noEarly     bool

	mu      sync.Mutex
	invites []*gosip.Request
	// heardEarly and heardAfter are what the PBX received from the caller before and after its
	// 200.
	answered   bool
	heardEarly []int16
	heardAfter []int16
}

// WriteFrame records what the PBX hears from the caller.
func (p *earlyMediaPBX) WriteFrame(pcm []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.answered {
		p.heardAfter = append(p.heardAfter, pcm...)
	} else {
		p.heardEarly = append(p.heardEarly, pcm...)
	}
}

func (p *earlyMediaPBX) heard() (early, after []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]int16(nil), p.heardEarly...), append([]int16(nil), p.heardAfter...)
}

func (p *earlyMediaPBX) seenInvites() []*gosip.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*gosip.Request(nil), p.invites...)
}

// pbxScript says how the scripted PBX behaves; it is fixed before the PBX serves.
type pbxScript struct {
	challenge, silentEarly, noEarly bool
}

func startEarlyMediaPBX(t *testing.T, earlyFor time.Duration, script pbxScript) *earlyMediaPBX {
	t.Helper()
	ua, err := sipgo.NewUA()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rtp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &earlyMediaPBX{addr: conn.LocalAddr().String(), challenge: script.challenge,
		silentEarly: script.silentEarly, noEarly: script.noEarly}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup

	srv.OnRegister(func(req *gosip.Request, tx gosip.ServerTransaction) {
		res := gosip.NewResponseFromRequest(req, 200, "OK", nil)
		if c := req.Contact(); c != nil {
			cc := c.Clone()
			cc.Params = gosip.NewParams()
			cc.Params.Add("expires", "3600")
			res.AppendHeader(cc)
		}
		tx.Respond(res)
	})
	srv.OnInvite(func(req *gosip.Request, tx gosip.ServerTransaction) {
		p.mu.Lock()
		p.invites = append(p.invites, req.Clone())
		p.mu.Unlock()
		if p.challenge && req.GetHeader("Proxy-Authorization") == nil {
			res := gosip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
			res.AppendHeader(gosip.NewHeader("Proxy-Authenticate", `Digest realm="pbx", nonce="n407", algorithm=MD5`))
			tx.Respond(res)
			return
		}
		offer, err := sip.ParseSDP(req.Body())
		if err != nil {
			tx.Respond(gosip.NewResponseFromRequest(req, 400, "Bad SDP", nil))
			return
		}
		ours := sip.MediaDesc{Host: "127.0.0.1", Port: rtp.LocalAddr().(*net.UDPAddr).Port,
			Codecs: []media.Codec{media.PCMU}, Direction: media.SendRecv}
		body := sip.BuildSDP(7, 1, ours)
		respond := func(code int, reason string) {
			res := gosip.NewResponseFromRequest(req, code, reason, body)
			res.To().Params.Add("tag", "earlypbx")
			res.AppendHeader(&gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: "300", Host: "127.0.0.1", Port: conn.LocalAddr().(*net.UDPAddr).Port}})
			res.AppendHeader(gosip.NewHeader("Content-Type", "application/sdp"))
			tx.Respond(res)
		}
		stream, err := media.NewStream(media.StreamConfig{
			Conn: rtp, Remote: offer.AddrPort(), Codec: media.PCMU, Direction: media.SendRecv,
			Source:            media.NewTone(8000, media.ToneSpec{Freqs: []float64{1000}, Level: -12}),
			Sink:              p,
			InactivityTimeout: -1,
		})
		if err != nil {
			t.Errorf("pbx stream: %v", err)
			return
		}
		if !p.silentEarly {
			wg.Add(1)
			go func() { defer wg.Done(); stream.Run(ctx) }()
		}
		if p.noEarly {
			r := gosip.NewResponseFromRequest(req, 180, "Ringing", nil)
			r.To().Params.Add("tag", "earlypbx")
			tx.Respond(r)
		} else {
			respond(183, "Session Progress")
		}
		select {
		case <-time.After(earlyFor):
		case <-ctx.Done():
			return
		}
		p.mu.Lock()
		p.answered = true
		p.mu.Unlock()
		respond(200, "OK")
		if p.silentEarly {
			wg.Add(1)
			go func() { defer wg.Done(); stream.Run(ctx) }()
		}
	})
	srv.OnAck(func(req *gosip.Request, tx gosip.ServerTransaction) {})
	srv.OnBye(func(req *gosip.Request, tx gosip.ServerTransaction) {
		tx.Respond(gosip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	wg.Add(1)
	go func() { defer wg.Done(); srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		cancel()
		conn.Close()
		wg.Wait()
		rtp.Close()
		srv.Close()
		ua.Close()
	})
	return p
}

func TestEarlyMediaIsHeardBeforeTheAnswer(t *testing.T) {
	pbx := startEarlyMediaPBX(t, 1500*time.Millisecond, pbxScript{})
	audio := &toneAudio{freq: 440}
	cl, _ := scriptedServer(t, pbx, audio)

	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	out, err := cl.Dial(dctx, "l", "300")
	if err != nil {
		t.Fatal(err)
	}
	cl.calls.wait(t, "alerting", 3*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallAlerting
	})
	time.Sleep(900 * time.Millisecond)
	if c, _ := cl.call(t, out.ID); c.State != line.CallAlerting {
		t.Fatalf("call is %v, want still alerting during early media", c.State)
	}
	early := audio.last()
	if early == nil {
		t.Fatal("no call audio opened for early media")
	}
	heard := early.recent(0.5)
	if r := media.ToneRatio(heard, early.rate, 1000); r < 0.5 {
		t.Errorf("before the answer the caller hears the far end's 1000 Hz at %.2f, want > 0.5", r)
	}
	if r := media.ToneRatio(heard, early.rate, 425); r > 0.1 {
		t.Errorf("our own ringback (425 Hz) plays over early media at %.2f", r)
	}

	cl.calls.wait(t, "connected", 5*time.Second, func(c api.Call) bool {
		return c.ID == out.ID && c.State == line.CallConnected
	})
	time.Sleep(600 * time.Millisecond)
	if audio.last() != early {
		t.Error("the answer opened the call audio again instead of keeping the early media's")
	}
	if r := media.ToneRatio(early.recent(0.4), early.rate, 1000); r < 0.5 {
		t.Errorf("after the answer the 1000 Hz share is %.2f, want > 0.5", r)
	}
	// Before the answer the far end hears nothing of the caller; after it, the caller's tone.
	before, after := pbx.heard()
	if len(before) < 4000 || len(after) < 4000 {
		t.Fatalf("the PBX heard %d samples before and %d after the answer", len(before), len(after))
	}
	if r := media.ToneRatio(before[len(before)-4000:], 8000, 440); r > 0.05 {
		t.Errorf("the caller's 440 Hz reached the far end before the answer (share %.2f)", r)
	}
	if r := media.ToneRatio(after[len(after)-4000:], 8000, 440); r < 0.5 {
		t.Errorf("after the answer the far end hears the caller's 440 Hz at %.2f, want > 0.5", r)
	}
	if err := cl.HangUp(dctx, out.ID); err != nil {
		t.Fatal(err)
	}
	cl.calls.wait(t, "ended", 5*time.Second, func(c api.Call) bool { return c.ID == out.ID && c.State == line.CallEnded })
}

// An INVITE challenged with 407 is sent again with the line's credentials.
func TestOutgoingCallAnswersProxyChallenge(t *testing.T) {
	pbx := startEarlyMediaPBX(t, 0, pbxScript{challenge: true})
	cl, _ := scriptedServer(t, pbx, nil, withAccount(line.Account{
		Registrar: pbx.addr, User: "201", AuthUser: "auth201", Password: "secret"}))
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	out, err := cl.Dial(dctx, "l", "300")
	if err != nil {
		t.Fatal(err)
	}
	cl.calls.wait(t, "connected", 5*time.Second, func(c api.Call) bool { return c.ID == out.ID && c.State == line.CallConnected })
	inv := pbx.seenInvites()
	if len(inv) != 2 {
		t.Fatalf("the PBX saw %d INVITEs, want 2 (challenged, then authorised)", len(inv))
	}
	h := inv[1].GetHeader("Proxy-Authorization")
	if h == nil || !strings.Contains(h.Value(), `username="auth201"`) || !strings.Contains(h.Value(), `nonce="n407"`) {
		t.Fatalf("second INVITE's Proxy-Authorization: %v", h)
	}
	if inv[1].CSeq().SeqNo <= inv[0].CSeq().SeqNo || inv[1].CallID().Value() != inv[0].CallID().Value() {
		t.Error("the authorised INVITE must keep the Call-ID and raise the CSeq")
	}
}
