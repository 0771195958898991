package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestStraySenderCannotTakeTheCallOver: mid-call, while the far end B pauses (on hold, say), a
// stray sender sprays A's RTP port with a 1000 Hz tone under another SSRC. A neither plays it
// nor starts sending to it; when B sends again, A hears B's 440 Hz and B still hears A.
func TestStraySenderCannotTakeTheCallOver(t *testing.T) {
	p := startPair(t, PCMA, func(a, b *StreamConfig) {
		a.Source = &sine{rate: 8000, freq: 700}
		b.Source = &sine{rate: 8000, freq: 440}
	})
	time.Sleep(300 * time.Millisecond)
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Fatalf("A hears B's 440 Hz with ratio %.3f before the stray sender", r)
	}

	p.b.SetDirection(RecvOnly) // B pauses: more than the SSRC switch time without its packets
	stray := listen(t)
	st := newStrayTone()
	spray := func(n int, seq uint16) uint16 {
		for range n {
			raw := st.packet(t, seq)
			if _, err := stray.WriteToUDPAddrPort(raw, addrOf(p.connA)); err != nil {
				t.Fatal(err)
			}
			seq++
			time.Sleep(FrameDuration)
		}
		return seq
	}
	seq := spray(25, 1) // half a second alone
	if got := p.a.Stats().RemoteAddr; got != addrOf(p.connB).String() {
		t.Errorf("while the stray sender sprays, A sends to %s, want B at %s", got, addrOf(p.connB))
	}
	if r := ToneRatio(p.sinkA.last(10), 8000, 1000); r > 0.1 {
		t.Errorf("A plays the stray sender's 1000 Hz (ratio %.3f)", r)
	}
	stray.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, _, err := stray.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("the stray sender received a %d byte packet", n)
	}

	p.b.SetDirection(SendRecv) // B is back; the stray sender goes on
	spray(25, seq)
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Errorf("A hears B's 440 Hz with ratio %.3f after B came back", r)
	}
	if r := ToneRatio(p.sinkB.last(10), 8000, 700); r < 0.5 {
		t.Errorf("B hears A's 700 Hz with ratio %.3f after the spray", r)
	}
	if st := p.a.Stats(); st.Foreign < 40 {
		t.Errorf("A counted %d packets from a foreign address, want the 50 sprayed", st.Foreign)
	}
}

// TestPeerMovingBehindNATIsFollowed: the far end's NAT gives it a new port mid-call. After a
// second of silence from the old one, the same source (SSRC) from the new address is heard and
// answered there; a stranger with another SSRC still is not.
func TestPeerMovingBehindNATIsFollowed(t *testing.T) {
	conn, old, moved, stranger := listen(t), listen(t), listen(t), listen(t)
	sink := &recorder{}
	s := start(t, StreamConfig{Conn: conn, Remote: addrOf(old), Codec: PCMU, Sink: sink, Source: &sine{rate: 8000, freq: 700}})
	from := func(c *net.UDPConn) injector { return injector{t, c, addrOf(conn)} }
	for seq := uint16(1); seq <= 10; seq++ {
		from(old).send(0xa11ce, PCMU.PayloadType, seq)
		time.Sleep(FrameDuration)
	}
	eventually(t, time.Second, "the first packets were not taken", func() bool { return s.Stats().PacketsReceived == 10 })
	time.Sleep(natRebindAfter + 100*time.Millisecond)
	from(stranger).send(0xbad, PCMU.PayloadType, 11)
	for seq := uint16(11); seq <= 20; seq++ {
		from(moved).send(0xa11ce, PCMU.PayloadType, seq)
		time.Sleep(FrameDuration)
	}
	eventually(t, time.Second, "the moved source was not heard", func() bool { return s.Stats().PacketsReceived == 20 })
	if got := s.Stats().RemoteAddr; got != addrOf(moved).String() {
		t.Errorf("A sends to %s, want the moved peer at %s", got, addrOf(moved))
	}
	if f := s.Stats().Foreign; f != 1 {
		t.Errorf("%d packets refused as foreign, want the stranger's 1", f)
	}
}

// TestHoldKeepsThePeer: a hold SDP with c=0.0.0.0 sends nothing and lets no new sender latch;
// the peer heard before is still the one heard.
func TestHoldKeepsThePeer(t *testing.T) {
	p := startPair(t, PCMU, func(a, b *StreamConfig) { b.Source = &sine{rate: 8000, freq: 440} })
	eventually(t, time.Second, "A hears nothing", func() bool { return p.a.Stats().PacketsReceived > 5 })
	p.a.SetRemote(netip.AddrPortFrom(netip.IPv4Unspecified(), addrOf(p.connB).Port()))
	stray := listen(t)
	for seq := uint16(1); seq <= 5; seq++ {
		injector{t, stray, addrOf(p.connA)}.send(0x5eed, PCMU.PayloadType, seq)
	}
	time.Sleep(200 * time.Millisecond)
	if f := p.a.Stats().Foreign; f < 5 {
		t.Errorf("during the hold, %d of the stray sender's 5 packets refused", f)
	}
	stray.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := stray.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("the stray sender received a %d byte packet during the hold", n)
	}
}

// strayTone makes a stray sender's RTP: a 1000 Hz tone in PCMA under SSRC 0x5eed.
type strayTone struct {
	enc     Encoder
	tone    *sine
	pcm     []int16
	payload []byte
}

func newStrayTone() *strayTone {
	return &strayTone{enc: PCMA.NewEncoder(), tone: &sine{rate: 8000, freq: 1000}, pcm: make([]int16, 160), payload: make([]byte, 160)}
}

// packet is the next 20 ms of the tone as packet seq.
func (s *strayTone) packet(t testing.TB, seq uint16) []byte {
	t.Helper()
	s.tone.ReadFrame(s.pcm)
	s.enc.Encode(s.payload, s.pcm)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PCMA.PayloadType, SSRC: 0x5eed,
		SequenceNumber: seq, Timestamp: uint32(seq) * 160}, Payload: s.payload}
	raw, err := pkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
