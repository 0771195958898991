package sip

import (
	"errors"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/media"
)

func codecNames(cs []media.Codec) string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
}

func TestBuildSDPOffer(t *testing.T) {
	b := string(BuildSDP(42, 7, OfferDesc("192.0.2.10", 40000)))
	for _, want := range []string{
		"v=0\r\n",
		"o=- 42 7 IN IP4 192.0.2.10\r\n",
		"c=IN IP4 192.0.2.10\r\n",
		"m=audio 40000 RTP/AVP 9 0 8 101\r\n",
		"a=rtpmap:9 G722/8000\r\n",
		"a=rtpmap:0 PCMU/8000\r\n",
		"a=rtpmap:8 PCMA/8000\r\n",
		"a=rtpmap:101 telephone-event/8000\r\n",
		"a=fmtp:101 0-16\r\n",
		"a=ptime:20\r\n",
		"a=sendrecv\r\n",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("offer lacks %q:\n%s", want, b)
		}
	}
	// It reads back as what was offered.
	d, err := ParseSDP([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if d.Host != "192.0.2.10" || d.Port != 40000 || codecNames(d.Codecs) != "G722,PCMU,PCMA" || d.EventPT != 101 || d.Direction != media.SendRecv {
		t.Errorf("parsed %+v", d)
	}
}

func TestBuildSDPIPv6AndNoEvents(t *testing.T) {
	b := string(BuildSDP(1, 1, MediaDesc{Host: "2001:db8::1", Port: 5004, Codecs: []media.Codec{media.PCMA}, Direction: media.Inactive}))
	if !strings.Contains(b, "c=IN IP6 2001:db8::1\r\n") || strings.Contains(b, "telephone-event") || !strings.Contains(b, "m=audio 5004 RTP/AVP 8\r\n") || !strings.Contains(b, "a=inactive") {
		t.Errorf("unexpected sdp:\n%s", b)
	}
}

func TestParseSDP(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
	tests := []struct {
		name, body string
		host       string
		port       int
		codecs     string
		event      uint8
		dir        media.Direction
		err        error
		errText    string
	}{
		{name: "session c and static types without rtpmap", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\n",
			host: "10.0.0.1", port: 4000, codecs: "PCMU,PCMA", dir: media.SendRecv},
		{name: "media c overrides session c", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\nc=IN IP4 10.0.0.2\r\n",
			host: "10.0.0.2", port: 4000, codecs: "PCMA", dir: media.SendRecv},
		{name: "bare LF and trailing blank lines", body: strings.ReplaceAll(head+"c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n\r\n\r\n", "\r\n", "\n"),
			host: "10.0.0.1", port: 4000, codecs: "PCMU", dir: media.SendRecv},
		{name: "dynamic telephone-event and offer order kept", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 0 9 96\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n",
			host: "10.0.0.1", port: 4000, codecs: "PCMA,PCMU,G722", event: 96, dir: media.SendRecv},
		{name: "unknown codecs left out", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 111 0\r\na=rtpmap:18 G729/8000\r\na=rtpmap:111 opus/48000/2\r\n",
			host: "10.0.0.1", port: 4000, codecs: "PCMU", dir: media.SendRecv},
		{name: "media direction", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n",
			host: "10.0.0.1", port: 4000, codecs: "PCMU", dir: media.SendOnly},
		{name: "session direction", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\na=recvonly\r\nm=audio 4000 RTP/AVP 0\r\n",
			host: "10.0.0.1", port: 4000, codecs: "PCMU", dir: media.RecvOnly},
		{name: "media direction beats session", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\na=recvonly\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n",
			host: "10.0.0.1", port: 4000, codecs: "PCMU", dir: media.Inactive},
		{name: "refused video before audio", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 0 RTP/AVP 31\r\nm=audio 4002 RTP/AVP 9\r\na=rtpmap:9 G722/8000\r\n",
			host: "10.0.0.1", port: 4002, codecs: "G722", dir: media.SendRecv},
		{name: "hold with 0.0.0.0", body: head + "c=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			host: "0.0.0.0", port: 4000, codecs: "PCMU", dir: media.SendRecv},

		{name: "empty", body: "", err: ErrBadSDP, errText: "empty"},
		{name: "garbage", body: "hello world", err: ErrBadSDP},
		{name: "no audio", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 31\r\n", err: ErrBadSDP, errText: "no audio"},
		{name: "audio refused", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n", err: ErrBadSDP, errText: "port 0"},
		{name: "no connection", body: head + "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", err: ErrBadSDP, errText: "connection"},
		{name: "host name in c", body: head + "c=IN IP4 pbx.example\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", err: ErrBadSDP, errText: "not an IP"},
		{name: "IP4 type with IPv6 address", body: head + "c=IN IP4 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", err: ErrBadSDP, errText: "does not match"},
		{name: "bad payload type", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP abc\r\n", err: ErrBadSDP, errText: "payload type"},
		{name: "payload type out of range", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 300\r\n", err: ErrBadSDP, errText: "payload type"},
		{name: "bad rtpmap", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96\r\n", err: ErrBadSDP, errText: "rtpmap"},
		{name: "bad clock", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/x\r\n", err: ErrBadSDP, errText: "clock"},
		{name: "dtls-srtp", body: head + "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 UDP/TLS/RTP/SAVP 0\r\n", err: ErrNoCommonCodec, errText: "UDP/TLS/RTP/SAVP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseSDP([]byte(tc.body))
			if tc.err != nil {
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error %v, want %v naming %q", err, tc.err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Host != tc.host || d.Port != tc.port || codecNames(d.Codecs) != tc.codecs || d.EventPT != tc.event || d.Direction != tc.dir {
				t.Errorf("got %s event %d, want %s:%d %s event %d %s", d, d.EventPT, tc.host, tc.port, tc.codecs, tc.event, tc.dir)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	offer := MediaDesc{Host: "10.0.0.1", Port: 4000, Codecs: []media.Codec{media.PCMA, media.G722}, EventPT: 96, Direction: media.SendRecv}
	ans, err := Negotiate(offer, media.Codecs())
	if err != nil {
		t.Fatal(err)
	}
	// The offer's order wins over ours (G722 first).
	if codecNames(ans.Codecs) != "PCMA" || ans.EventPT != 96 || ans.Direction != media.SendRecv {
		t.Errorf("answer %s event %d", ans, ans.EventPT)
	}
	offer.EventPT = 0
	if ans, _ := Negotiate(offer, media.Codecs()); ans.EventPT != 0 {
		t.Errorf("telephone-event answered though not offered: %d", ans.EventPT)
	}
	if _, err := Negotiate(offer, []media.Codec{media.PCMU}); !errors.Is(err, ErrNoCommonCodec) || !strings.Contains(err.Error(), "PCMA") {
		t.Errorf("err %v, want ErrNoCommonCodec naming the offered codecs", err)
	}
	if _, err := Negotiate(MediaDesc{}, media.Codecs()); !errors.Is(err, ErrNoCommonCodec) {
		t.Errorf("err %v for an offer without codecs", err)
	}
	// A dynamic payload type of the offer is kept in the answer.
	dyn := media.PCMU
	dyn.PayloadType = 97
	if ans, _ := Negotiate(MediaDesc{Codecs: []media.Codec{dyn}}, media.Codecs()); ans.Codecs[0].PayloadType != 97 {
		t.Errorf("payload type %d, want 97", ans.Codecs[0].PayloadType)
	}
}

func TestNegotiateDirections(t *testing.T) {
	want := map[media.Direction]media.Direction{
		media.SendRecv: media.SendRecv,
		media.SendOnly: media.RecvOnly,
		media.RecvOnly: media.SendOnly,
		media.Inactive: media.Inactive,
	}
	for offered, answered := range want {
		ans, err := Negotiate(MediaDesc{Codecs: []media.Codec{media.PCMU}, Direction: offered}, media.Codecs())
		if err != nil {
			t.Fatal(err)
		}
		if ans.Direction != answered {
			t.Errorf("offer %s answered %s, want %s", offered, ans.Direction, answered)
		}
		// Through the wire too.
		b := BuildSDP(1, 1, MediaDesc{Host: "10.0.0.1", Port: 4000, Codecs: ans.Codecs, Direction: ans.Direction})
		d, err := ParseSDP(b)
		if err != nil || d.Direction != answered {
			t.Errorf("answer %s read back as %s (%v)", answered, d.Direction, err)
		}
	}
}

func TestCombineDirection(t *testing.T) {
	// What we wish, crossed with what the peer allows (its offer reversed).
	tests := []struct{ wish, allowed, want media.Direction }{
		{media.SendRecv, media.SendRecv, media.SendRecv},
		{media.SendRecv, media.RecvOnly, media.RecvOnly},
		{media.SendRecv, media.SendOnly, media.SendOnly},
		{media.SendRecv, media.Inactive, media.Inactive},
		{media.SendOnly, media.SendRecv, media.SendOnly},
		{media.SendOnly, media.RecvOnly, media.Inactive}, // both hold
		{media.SendOnly, media.SendOnly, media.SendOnly},
		{media.SendOnly, media.Inactive, media.Inactive},
	}
	for _, tc := range tests {
		if got := combineDirection(tc.wish, tc.allowed); got != tc.want {
			t.Errorf("combine(%s, %s) = %s, want %s", tc.wish, tc.allowed, got, tc.want)
		}
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add(BuildSDP(1, 2, OfferDesc("10.0.0.1", 4000)))
	f.Add([]byte("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 4000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\na=sendonly\n"))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"))
	f.Add([]byte("v=0\r\nm=audio 99999 RTP/AVP 0\r\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseSDP(b)
		if err != nil {
			if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoCommonCodec) {
				t.Fatalf("error %v wraps neither ErrBadSDP nor ErrNoCommonCodec", err)
			}
			return
		}
		if d.Port <= 0 || d.Port > 65535 || d.Host == "" {
			t.Fatalf("accepted a stream without a usable address: %+v", d)
		}
		// What we read we can write and read again the same.
		again, err := ParseSDP(BuildSDP(1, 1, d))
		if err != nil {
			t.Fatalf("rebuilt %+v does not parse: %v", d, err)
		}
		wantCodecs := codecNames(d.Codecs)
		if len(d.Codecs) == 0 {
			wantCodecs = codecNames(media.Codecs()) // BuildSDP offers all when given none
		}
		if again.Host != d.Host || again.Port != d.Port || codecNames(again.Codecs) != wantCodecs || again.Direction != d.Direction || again.EventPT != d.EventPT {
			t.Fatalf("round trip %+v -> %+v", d, again)
		}
	})
}
