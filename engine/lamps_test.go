package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// waitLine polls the client's line until cond holds, as a person watching the line row would.
func waitLine(t *testing.T, p *party, what string, within time.Duration, cond func(api.Line) bool) api.Line {
	t.Helper()
	deadline := time.Now().Add(within)
	var last api.Line
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ls, err := p.client.Lines(ctx)
		cancel()
		if err != nil {
			t.Fatalf("lines: %v", err)
		}
		for _, l := range ls {
			if l.Name == p.line {
				last = l
			}
		}
		if cond(last) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; the line shows voicemail %+v, lamps %v", what, within, last.Voicemail, last.Lamps)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lamps reads a line's lamps as "202=idle 203=ringing".
func lamps(l api.Line) string {
	var parts []string
	for _, x := range l.Lamps {
		parts = append(parts, x.Extension+"="+x.State.String())
	}
	return strings.Join(parts, " ")
}

func lampsAre(want string) func(api.Line) bool {
	return func(l api.Line) bool { return lamps(l) == want }
}

// TestLampsThroughKamailio: Kamailio with its presence modules publishes the dialog state of a
// real call between two baresips it proxies; Lineup's line 201, whose group monitors 202 and
// 203, sees 203 ring and 202 busy, picks up the ringing 203 with the group's pickup code (the
// number substituted), sees both busy once 203 answers and both idle when the call ends; a
// changed list of monitored extensions is subscribed anew.
func TestLampsThroughKamailio(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Presence: true, Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}, {Name: "203", Password: "pw-203"},
	}})
	cfg := testConfig(pbx, line.Line{Name: "line 201", Account: acct("201", "pw-201", line.TransportUDP)})
	cfg.Groups[0].Monitored = []string{"202", "203"}
	cfg.Groups[0].PickupCode = "*8<NUMBER>"
	lu := startPartyConfig(t, cfg, 440)
	lu.client = logOnClient(t, lu.srv, "test client")
	lu.calls = lu.client.calls
	waitLine(t, lu, "both lamps idle", 10*time.Second, lampsAre("202=idle 203=idle"))

	caller := baresiptest.Start(t, baresiptest.Config{User: "202", Password: "pw-202", PBX: pbx, ToneHz: 600})
	callee := baresiptest.Start(t, baresiptest.Config{User: "203", Password: "pw-203", PBX: pbx, ToneHz: 900})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	domain := strings.SplitN(caller.AOR(), "@", 2)[1]
	if err := caller.Dial(ctx, "sip:203@"+domain); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lu, "203 ringing, 202 busy calling it", 10*time.Second, lampsAre("202=busy 203=ringing"))

	// A click on the ringing lamp: Pickup with the lamp's extension dials *8203.
	pick, err := lu.client.Pickup(ctx, lu.line, "203")
	if err != nil {
		t.Fatalf("pickup: %v", err)
	}
	if pick.Dialled != "*8203" || pick.Direction != line.Outgoing {
		t.Errorf("pickup dialled %q (%v), want *8203 outgoing", pick.Dialled, pick.Direction)
	}
	// The test PBX has no pickup service: it answers the code 404, and 203 rings on.
	end := lu.calls.wait(t, "the pickup call ended", 10*time.Second, func(c api.Call) bool { return c.ID == pick.ID && c.State == line.CallEnded })
	if end.EndCode != 404 {
		t.Errorf("the pickup call ended %d %q, want the PBX's 404 for *8203", end.EndCode, end.EndReason)
	}

	if err := callee.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lu, "both busy in the call", 10*time.Second, lampsAre("202=busy 203=busy"))
	if err := caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lu, "both idle after the call", 10*time.Second, lampsAre("202=idle 203=idle"))

	// The group now monitors 203 and 204: 202's lamp goes, 204's comes.
	cfg, err = lu.client.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Groups[0].Monitored = []string{"203", "204"}
	if err := lu.client.SaveConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lu, "the new lamps", 10*time.Second, lampsAre("203=idle 204=idle"))
}

// notifyMWI is an unsolicited message-summary NOTIFY for sip:user@host, sent from the peer at from.
func notifyMWI(from, host, ruriUser string, n, newMsgs, oldMsgs int) []byte {
	body := string(sip.MessageSummary{Waiting: newMsgs > 0, New: newMsgs, Old: oldMsgs}.Marshal())
	return []byte("NOTIFY sip:" + ruriUser + "@" + host + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK-mwi-" + gosip.GenerateTagN(8) + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:voicemail@" + host + ">;tag=vm" + fmt.Sprint(n) + "\r\n" +
		"To: <sip:" + ruriUser + "@" + host + ">\r\n" +
		"Call-ID: mwi-" + gosip.GenerateTagN(12) + "\r\n" +
		fmt.Sprintf("CSeq: %d NOTIFY\r\n", n) +
		"Contact: <sip:voicemail@" + from + ">\r\n" +
		"Event: message-summary\r\n" +
		"Subscription-State: active\r\n" +
		"Content-Type: " + sip.MessageSummaryType + "\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body)
}

// publishMWI is a PUBLISH of user's mailbox to the presence server at host.
func publishMWI(from, host, user string, newMsgs, oldMsgs int) []byte {
	body := string(sip.MessageSummary{Waiting: newMsgs > 0, New: newMsgs, Old: oldMsgs}.Marshal())
	return []byte("PUBLISH sip:" + user + "@" + host + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK-pub-" + gosip.GenerateTagN(8) + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:voicemail@" + host + ">;tag=" + gosip.GenerateTagN(6) + "\r\n" +
		"To: <sip:" + user + "@" + host + ">\r\n" +
		"Call-ID: pub-" + gosip.GenerateTagN(12) + "\r\n" +
		"CSeq: 1 PUBLISH\r\n" +
		"Event: message-summary\r\n" +
		"Expires: 3600\r\n" +
		"Content-Type: " + sip.MessageSummaryType + "\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body)) + body)
}

func sendFrom(t *testing.T, local, to string, msg []byte, within time.Duration) (sipcorpus.Response, error) {
	t.Helper()
	p, err := sipcorpus.DialFrom(local, "UDP", to)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Send(msg); err != nil {
		t.Fatal(err)
	}
	return p.Final(within)
}

// TestVoicemailLampFromTheRegistrar: the line's message-summary subscription at Kamailio brings
// the counts the voicemail system published (2 new, 5 old); a message summary relayed unasked by
// the registrar lights the lamp too; one from another trusted peer gets 403 and one from a
// stranger no answer, and neither changes the lamp; Voicemail dials the group's number.
func TestVoicemailLampFromTheRegistrar(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Presence: true, Users: []testpbx.User{{Name: "201", Password: "pw-201"}}})
	cfg := testConfig(pbx, line.Line{Name: "line 201", Account: acct("201", "pw-201", line.TransportUDP)})
	cfg.Groups[0].Voicemail = "*97"
	lu := startPartyConfig(t, cfg, 440, WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1", TrustedPeers: []string{"127.0.0.2"}}))
	lu.client = logOnClient(t, lu.srv, "test client")
	lu.calls = lu.client.calls
	host, _, _ := net.SplitHostPort(pbx.UDPAddr())
	lineup := lu.srv.SIPAddr(line.TransportUDP)

	// Subscribed: the voicemail system publishes the mailbox at the presence server.
	if res, err := sendFrom(t, "127.0.0.1", pbx.UDPAddr(), publishMWI("127.0.0.1:1", host, "201", 2, 5), 5*time.Second); err != nil || res.Code != 200 {
		t.Fatalf("PUBLISH answered %+v %v", res, err)
	}
	want := api.Voicemail{Known: true, Waiting: true, New: 2, Old: 5}
	waitLine(t, lu, "2 new, 5 old", 10*time.Second, func(l api.Line) bool { return l.Voicemail == want })

	// Unasked, relayed by the registrar to the line's registered contact.
	if res, err := sendFrom(t, "127.0.0.1", pbx.UDPAddr(), notifyMWI("127.0.0.1:1", host, "201", 1, 3, 6), 5*time.Second); err != nil || res.Code != 200 {
		t.Fatalf("NOTIFY through the registrar answered %+v %v", res, err)
	}
	want = api.Voicemail{Known: true, Waiting: true, New: 3, Old: 6}
	waitLine(t, lu, "3 new, 6 old", 10*time.Second, func(l api.Line) bool { return l.Voicemail == want })

	// Straight to Lineup from a peer it trusts for calls but that is not the line's registrar.
	if res, err := sendFrom(t, "127.0.0.2", lineup, notifyMWI("127.0.0.2:1", host, "201", 2, 99, 99), 3*time.Second); err != nil || res.Code != 403 {
		t.Errorf("NOTIFY from another trusted peer answered %+v %v, want 403", res, err)
	}
	// From a stranger: no answer at all (sip/trust.go).
	if res, err := sendFrom(t, "127.0.0.1", lineup, notifyMWI("127.0.0.1:1", host, "201", 3, 98, 98), time.Second); !sipcorpus.IsNoAnswer(err) {
		t.Errorf("NOTIFY from a stranger answered %+v %v, want no answer", res, err)
	}
	time.Sleep(300 * time.Millisecond)
	if l := waitLine(t, lu, "unchanged", time.Second, func(api.Line) bool { return true }); l.Voicemail != want {
		t.Errorf("after the foreign NOTIFYs the lamp shows %+v, want %+v", l.Voicemail, want)
	}

	// A click on the lamp: the group's voicemail number, verbatim.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := lu.client.Voicemail(ctx, lu.line)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dialled != "*97" || c.Direction != line.Outgoing {
		t.Errorf("voicemail dialled %q (%v), want *97", c.Dialled, c.Direction)
	}
	lu.calls.wait(t, "the voicemail call ended", 10*time.Second, func(x api.Call) bool { return x.ID == c.ID && x.State == line.CallEnded })

	// Without a voicemail number the line offers no voicemail.
	cfg, err = lu.client.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Groups[0].Voicemail = ""
	if err := lu.client.SaveConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := lu.client.Voicemail(ctx, lu.line); !errors.Is(err, line.ErrNoVoicemail) {
		t.Errorf("voicemail without a number: %v, want ErrNoVoicemail", err)
	}
}
