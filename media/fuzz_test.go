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

// fuzzSRTPStream is fuzzStream with SRTP: the peer's key is testKey(2).
func fuzzSRTPStream(t testing.TB, codec Codec, suite SRTPSuite) *Stream {
	conn := listen(t)
	s, err := NewStream(StreamConfig{Conn: conn, Remote: addrOf(conn), Codec: codec, EventPT: 101, Direction: SendRecv,
		SRTP: &SRTP{Suite: suite, Local: testKey(1), Remote: testKey(2)}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FuzzReceiveSRTP is FuzzReceiveRTP for a stream with SRTP: hostile bytes never panic, each
// datagram is counted once, and what is taken passed authentication (so a datagram is never
// taken twice: the second is a replay).
func FuzzReceiveSRTP(f *testing.F) {
	for _, suite := range SRTPSuites() {
		ctx, err := newSRTPContext(suite, testKey(2), false)
		if err != nil {
			f.Fatal(err)
		}
		for _, pt := range []uint8{0, 9, 101, 13} {
			payload := make([]byte, 160)
			if pt == 101 {
				payload = []byte{5, 0x8a, 0, 160}
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: 7, SequenceNumber: 1, Timestamp: 160}, Payload: payload}
			raw, err := p.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw, uint8(suite))
			enc, err := ctx.EncryptRTP(nil, raw, nil)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(enc, uint8(suite))
			f.Add(enc[:len(enc)-1], uint8(suite))
		}
	}
	f.Add([]byte{0x80}, uint8(1))
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 0xff, 0xff, 0, 40}, uint8(2))
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	f.Fuzz(func(t *testing.T, b []byte, suite uint8) {
		sui := SRTPSuites()[int(suite)%2]
		for _, c := range []Codec{PCMU, G722} {
			s := fuzzSRTPStream(t, c, sui)
			now := time.Now()
			s.receiveRTP(append([]byte(nil), b...), from, now)
			s.receiveRTP(append([]byte(nil), b...), from, now.Add(FrameDuration))
			s.play(now.Add(2 * FrameDuration))
			st := s.Stats()
			if st.PacketsReceived+st.Dropped != 2 || st.PacketsReceived > 1 || st.Unauthenticated < 1 {
				t.Fatalf("2 datagrams counted as %d taken, %d dropped, %d unauthenticated",
					st.PacketsReceived, st.Dropped, st.Unauthenticated)
			}
		}
	})
}

// FuzzReceiveSRTCP is FuzzReceiveRTCP for SRTCP: nothing panics, and what fails authentication is
// not taken.
func FuzzReceiveSRTCP(f *testing.F) {
	for _, suite := range SRTPSuites() {
		ctx, err := newSRTPContext(suite, testKey(2), false)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range []rtcp.Packet{
			&rtcp.SenderReport{SSRC: 7, NTPTime: 1 << 40, Reports: []rtcp.ReceptionReport{{SSRC: 9, FractionLost: 20, LastSenderReport: 5, Delay: 3}}},
			&rtcp.ReceiverReport{SSRC: 7, Reports: []rtcp.ReceptionReport{{SSRC: 9, Jitter: 1 << 30}}},
			&rtcp.Goodbye{Sources: []uint32{7}, Reason: "bye"},
		} {
			b, err := p.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, uint8(suite))
			enc, err := ctx.EncryptRTCP(nil, b, nil)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(enc, uint8(suite))
		}
	}
	from := netip.MustParseAddrPort("127.0.0.1:40001")
	f.Fuzz(func(t *testing.T, b []byte, suite uint8) {
		s := fuzzSRTPStream(t, PCMU, SRTPSuites()[int(suite)%2])
		s.receiveRTCP(append([]byte(nil), b...), from, time.Now())
		s.receiveRTCP(append([]byte(nil), b...), from, time.Now())
		st := s.Stats()
		if st.RTCPReceived > 1 || st.Unauthenticated < 1 || st.RTCPReceived+st.Unauthenticated > 2 {
			t.Fatalf("2 datagrams: %d taken, %d unauthenticated", st.RTCPReceived, st.Unauthenticated)
		}
		if st.RemoteLossPercent < 0 || st.RemoteLossPercent > 100 || st.RoundTrip < 0 {
			t.Fatalf("peer's report read as loss %.1f %% round trip %v", st.RemoteLossPercent, st.RoundTrip)
		}
	})
}
