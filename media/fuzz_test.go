package media

import (
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// fuzzStream is a stream that is never run: the fuzz targets feed its receive path directly.
func fuzzStream(t testing.TB, codec Codec) *Stream {
	conn := listen(t)
	s, err := NewStream(StreamConfig{Conn: conn, Remote: addrOf(conn), Codec: codec, EventPT: 101, Direction: SendRecv})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzReceiveRTP feeds datagrams to a stream's RTP receive path and plays a frame after each:
// whatever arrives, nothing panics, every datagram is counted once (taken or dropped), and the
// sink gets whole frames.
func FuzzReceiveRTP(f *testing.F) {
	seed := func(pt uint8, payload []byte) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 7, SequenceNumber: 1, Timestamp: 160}, Payload: payload}
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(0, make([]byte, 160))
	seed(9, make([]byte, 160))
	seed(101, []byte{5, 0x8a, 0, 160})
	seed(101, []byte{200, 0, 0})
	seed(13, []byte{40})
	f.Add([]byte{0x80})
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 0xff, 0xff, 0, 40}) // extension past the end
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range []Codec{PCMU, G722} {
			s := fuzzStream(t, c)
			now := time.Now()
			s.receiveRTP(b, from, now)
			s.receiveRTP(b, from, now.Add(FrameDuration))
			s.play(now.Add(2 * FrameDuration))
			st := s.Stats()
			if st.PacketsReceived+st.Dropped != 2 {
				t.Fatalf("2 datagrams counted as %d taken and %d dropped", st.PacketsReceived, st.Dropped)
			}
		}
	})
}

// FuzzReceiveRTCP feeds datagrams to a stream's RTCP receive path: nothing panics, and a
// datagram that is no RTCP compound packet is dropped.
func FuzzReceiveRTCP(f *testing.F) {
	for _, p := range []rtcp.Packet{
		&rtcp.SenderReport{SSRC: 7, NTPTime: 1 << 40, Reports: []rtcp.ReceptionReport{{SSRC: 9, FractionLost: 20, LastSenderReport: 5, Delay: 3}}},
		&rtcp.ReceiverReport{SSRC: 7, Reports: []rtcp.ReceptionReport{{SSRC: 9, Jitter: 1 << 30}}},
		&rtcp.Goodbye{Sources: []uint32{7}, Reason: "bye"},
	} {
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	from := netip.MustParseAddrPort("127.0.0.1:40001")
	f.Fuzz(func(t *testing.T, b []byte) {
		s := fuzzStream(t, PCMU)
		s.receiveRTCP(b, from, time.Now())
		st := s.Stats()
		if _, err := rtcp.Unmarshal(b); err != nil && st.RTCPReceived != 0 {
			t.Fatalf("a datagram that is no RTCP was taken")
		}
		if st.RemoteLossPercent < 0 || st.RemoteLossPercent > 100 || st.RoundTrip < 0 {
			t.Fatalf("peer's report read as loss %.1f %% round trip %v", st.RemoteLossPercent, st.RoundTrip)
		}
	})
}

// FuzzTelephoneEvent feeds RFC 4733 payloads to the event reader and receiver: a digit comes out
// only as one of 0-9 * # A-D, and at most once per event.
func FuzzTelephoneEvent(f *testing.F) {
	f.Add([]byte{5, 0x8a, 0, 160}, uint32(160))
	f.Add([]byte{11, 0x0a, 3, 0x20}, uint32(0))
	f.Add([]byte{255, 0xff, 0xff, 0xff}, uint32(1<<31))
	f.Fuzz(func(t *testing.T, b []byte, ts uint32) {
		ev, err := UnmarshalTelephoneEvent(b)
		if err != nil {
			return
		}
		var r EventReceiver
		n := 0
		for range 3 {
			if d, ok := r.Feed(ts, ev); ok {
				n++
				if !isDigit(d) {
					t.Fatalf("digit %q from event %d", d, ev.Event)
				}
			}
		}
		if n > 1 {
			t.Fatalf("one event gave %d digits", n)
		}
	})
}

func isDigit(d rune) bool {
	return (d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D')
}

// fuzzKey is the fixed SRTP key of FuzzReceiveSRTP, so that the seeds hold genuine packets.
var fuzzKey = []byte("0123456789abcdef0123456789abcd")

// FuzzReceiveSRTP feeds datagrams to the RTP and RTCP receive paths of a stream under SRTP:
// nothing panics, and only a datagram that authenticates under the key is taken.
func FuzzReceiveSRTP(f *testing.F) {
	sender, err := newStreamSRTP(&SRTP{Suite: SRTPAES128SHA1_80, Local: fuzzKey, Remote: fuzzKey})
	if err != nil {
		f.Fatal(err)
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 7, SequenceNumber: 1, Timestamp: 160}, Payload: make([]byte, 160)}
	raw, _ := p.Marshal()
	b, err := sender.protectRTP(raw)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte(nil), b...))
	f.Add(raw)
	rr, _ := (&rtcp.ReceiverReport{SSRC: 7}).Marshal()
	if b, err = sender.protectRTCP(rr); err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte(nil), b...))
	f.Add(rr)
	f.Add([]byte{0x80, 0, 0, 1})
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	f.Fuzz(func(t *testing.T, b []byte) {
		conn := listen(t)
		s, err := NewStream(StreamConfig{Conn: conn, Remote: addrOf(conn), Codec: PCMU,
			SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: fuzzKey, Remote: fuzzKey}})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s.receiveRTP(append([]byte(nil), b...), from, now)
		s.receiveRTCP(append([]byte(nil), b...), from, now)
		s.play(now.Add(FrameDuration))
		if st := s.Stats(); st.PacketsReceived > 0 {
			check, err := newSRTPRecv(SRTPAES128SHA1_80, fuzzKey)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := check.rtp.DecryptRTP(nil, b, nil); err != nil {
				t.Fatalf("a datagram that does not authenticate was taken: %v", err)
			}
		}
	})
}
