package sip

import (
	"net"
	"strconv"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
)

// TestSubscribeThroughKamailioPresence: over UDP and TCP, Kamailio with its presence modules takes the line's
// SUBSCRIBEs for dialog and message-summary after a digest challenge, notifies at once, and a
// PUBLISH of voicemail counts for the line reaches the subscriber as a NOTIFY with them.
func TestSubscribeThroughKamailioPresence(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Presence: true, Users: []testpbx.User{{Name: "201", Password: "pw201"}, {Name: "202", Password: "pw202"}}})
	for _, tr := range []line.Transport{line.TransportUDP, line.TransportTCP} {
		t.Run(tr.String(), func(t *testing.T) { subscribeAtKamailio(t, pbx, tr) })
	}
}

func subscribeAtKamailio(t *testing.T, pbx *testpbx.PBX, tr line.Transport) {
	ep := newTestEndpoint(t)
	acct := line.Account{Registrar: pbx.UDPAddr(), User: "201", Password: "pw201", Transport: tr}
	if tr == line.TransportTCP {
		acct.Registrar = pbx.TCPAddr()
	}

	blf, _ := runSubscriber(t, ep, acct, SubscribeOptions{Event: EventDialog, Target: "202", Expires: 120 * time.Second})
	blf.waitFor(t, "dialog subscription active", 10*time.Second, func(n []Notification, s []SubState) bool {
		return len(s) > 0 && s[len(s)-1].Active && len(n) > 0
	})
	mwi, _ := runSubscriber(t, ep, acct, SubscribeOptions{Event: EventMessageSummary, Expires: 120 * time.Second})
	mwi.waitFor(t, "message-summary subscription active", 10*time.Second, func(n []Notification, s []SubState) bool {
		return len(s) > 0 && s[len(s)-1].Active
	})

	// The voicemail system publishes the mailbox of 201.
	peer, err := sipcorpus.Dial("UDP", pbx.UDPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if err := peer.Send(publishMWI(peer.Addr(), pbx.UDPAddr(), "201", MessageSummary{Waiting: true, New: 2, Old: 5}.Marshal())); err != nil {
		t.Fatal(err)
	}
	if res, err := peer.Final(5 * time.Second); err != nil || res.Code != 200 {
		t.Fatalf("PUBLISH answered %+v %v", res, err)
	}
	mwi.waitFor(t, "the counts", 10*time.Second, func(n []Notification, _ []SubState) bool {
		for _, x := range n {
			if x.Summary != nil && x.Summary.Waiting && x.Summary.New == 2 && x.Summary.Old == 5 {
				return true
			}
		}
		return false
	})
}

// publishMWI is a PUBLISH of a message-summary for user at the PBX, from the peer at from.
func publishMWI(from, pbx, user string, body []byte) []byte {
	host, _, _ := net.SplitHostPort(pbx)
	b := "PUBLISH sip:" + user + "@" + host + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + from + ";branch=z9hG4bK-pub-" + gosip.GenerateTagN(8) + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:voicemail@" + host + ">;tag=" + gosip.GenerateTagN(6) + "\r\n" +
		"To: <sip:" + user + "@" + host + ">\r\n" +
		"Call-ID: pub-" + gosip.GenerateTagN(12) + "\r\n" +
		"CSeq: 1 PUBLISH\r\n" +
		"Event: message-summary\r\n" +
		"Expires: 3600\r\n" +
		"Content-Type: " + MessageSummaryType + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
	return []byte(b)
}
