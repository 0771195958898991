package media

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

func TestSRTPSuiteNames(t *testing.T) {
	want := map[SRTPSuite]string{
		SRTPNone:          "none",
		SRTPAES128SHA1_80: "AES_CM_128_HMAC_SHA1_80",
		SRTPAES128SHA1_32: "AES_CM_128_HMAC_SHA1_32",
	}
	for s, name := range want {
		if s.String() != name {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), name)
		}
	}
	for _, in := range []string{"AES_CM_128_HMAC_SHA1_80", "aes_cm_128_hmac_sha1_80"} {
		if s, err := ParseSRTPSuite(in); err != nil || s != SRTPAES128SHA1_80 {
			t.Errorf("ParseSRTPSuite(%q) = %v, %v", in, s, err)
		}
	}
	if s, err := ParseSRTPSuite("Aes_Cm_128_Hmac_Sha1_32"); err != nil || s != SRTPAES128SHA1_32 {
		t.Errorf("ParseSRTPSuite of _32 = %v, %v", s, err)
	}
	for _, in := range []string{"AEAD_AES_128_GCM", "none", "", "AES_CM_128_HMAC_SHA1_80 "} {
		if _, err := ParseSRTPSuite(in); !errors.Is(err, ErrUnknownSuite) {
			t.Errorf("ParseSRTPSuite(%q) error = %v, want ErrUnknownSuite", in, err)
		}
	}
	if got := SRTPSuites(); len(got) != 2 || got[0] != SRTPAES128SHA1_80 || got[1] != SRTPAES128SHA1_32 {
		t.Errorf("SRTPSuites() = %v, want _80 then _32", got)
	}
}

func TestNewSRTPKey(t *testing.T) {
	a, err := NewSRTPKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSRTPKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != SRTPKeyLen || len(b) != SRTPKeyLen || bytes.Equal(a, b) {
		t.Errorf("two keys %x and %x: want two different keys of %d bytes", a, b, SRTPKeyLen)
	}
}

func TestNewStreamRejectsBadSRTP(t *testing.T) {
	good := testKey(1)
	cases := []struct {
		name string
		srtp SRTP
		err  error
		says string
	}{
		{"short local key", SRTP{Suite: SRTPAES128SHA1_80, Local: good[:16], Remote: good}, ErrBadSRTPKey, "local key is 16 bytes"},
		{"long remote key", SRTP{Suite: SRTPAES128SHA1_80, Local: good, Remote: append(good, 0)}, ErrBadSRTPKey, "remote key is 31 bytes"},
		{"no remote key", SRTP{Suite: SRTPAES128SHA1_32, Local: good}, ErrBadSRTPKey, "remote key is 0 bytes"},
		{"suite none with keys", SRTP{Local: good, Remote: good}, ErrBadSRTPKey, "suite none"},
		{"unknown suite", SRTP{Suite: 9, Local: good, Remote: good}, ErrUnknownSuite, "SRTPSuite(9)"},
	}
	for _, c := range cases {
		_, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU, SRTP: &c.srtp})
		if !errors.Is(err, c.err) || err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: NewStream error %v, want %v saying %q", c.name, err, c.err, c.says)
		}
	}
	s, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU, SRTP: &SRTP{}})
	if err != nil || s.Stats().Encrypted {
		t.Errorf("SRTP without suite or keys: err %v, encrypted %v; want plain RTP", err, err == nil && s.Stats().Encrypted)
	}
}

// testKey is a fixed master key and salt, different per n.
func testKey(n byte) []byte {
	k := make([]byte, SRTPKeyLen)
	for i := range k {
		k[i] = n*31 + byte(i)
	}
	return k
}

// srtpPair is startPair with SRTP: A sends with key a, B with key b, and each is told the
// other's key unless edit changes it.
func srtpPair(t *testing.T, suite SRTPSuite, codec Codec, edit func(a, b *StreamConfig)) *pair {
	ka, kb := testKey(1), testKey(2)
	return startPair(t, codec, func(a, b *StreamConfig) {
		a.SRTP = &SRTP{Suite: suite, Local: ka, Remote: kb}
		b.SRTP = &SRTP{Suite: suite, Local: kb, Remote: ka}
		if edit != nil {
			edit(a, b)
		}
	})
}

func TestSRTPCarriesTonesBothWays(t *testing.T) {
	for _, suite := range SRTPSuites() {
		for _, c := range []Codec{PCMU, G722} {
			t.Run(suite.String()+"/"+c.Name, func(t *testing.T) {
				p := srtpPair(t, suite, c, func(a, b *StreamConfig) {
					a.Source = &sine{rate: c.SampleRate, freq: 440}
					b.Source = &sine{rate: c.SampleRate, freq: 1000}
				})
				time.Sleep(700 * time.Millisecond)
				if r := ToneRatio(p.sinkB.last(20), c.SampleRate, 440); r < 0.5 {
					t.Errorf("B hears A's 440 Hz with ratio %.3f, want > 0.5", r)
				}
				if r := ToneRatio(p.sinkA.last(20), c.SampleRate, 1000); r < 0.5 {
					t.Errorf("A hears B's 1000 Hz with ratio %.3f, want > 0.5", r)
				}
				for name, st := range map[string]StreamStats{"A": p.a.Stats(), "B": p.b.Stats()} {
					if !st.Encrypted || st.Unauthenticated != 0 || st.Dropped != 0 || st.PacketsReceived < 20 {
						t.Errorf("%s: encrypted %v, %d received, %d dropped, %d unauthenticated", name,
							st.Encrypted, st.PacketsReceived, st.Dropped, st.Unauthenticated)
					}
				}
			})
		}
	}
}

// TestSRTPOnTheWire: what leaves an SRTP stream is no plain RTP: the payload is not the codec's
// and the suite's tag follows it; the sender's key opens it.
func TestSRTPOnTheWire(t *testing.T) {
	for _, suite := range SRTPSuites() {
		t.Run(suite.String(), func(t *testing.T) {
			wire := listen(t)
			key := testKey(3)
			start(t, StreamConfig{Conn: listen(t), Remote: addrOf(wire), Codec: PCMU, Source: &sine{rate: 8000, freq: 440},
				SRTP: &SRTP{Suite: suite, Local: key, Remote: testKey(4)}, InactivityTimeout: -1})
			tag := map[SRTPSuite]int{SRTPAES128SHA1_80: 10, SRTPAES128SHA1_32: 4}[suite]
			ctx := peerContext(t, suite, key)
			plain := readRTP(t, wire, 200*time.Millisecond) // parses the header only
			if len(plain) == 0 {
				t.Fatal("nothing sent")
			}
			buf := make([]byte, 1500)
			wire.SetReadDeadline(time.Now().Add(time.Second))
			for range 5 {
				n, err := wire.Read(buf)
				if err != nil {
					t.Fatal(err)
				}
				if n != rtpHeaderSize+160+tag {
					t.Errorf("packet of %d bytes, want header, 160 bytes and a %d-byte tag", n, tag)
				}
				enc := bytes.Clone(buf[:n])
				dec, err := ctx.DecryptRTP(nil, enc, nil)
				if err != nil {
					t.Fatalf("the sender's key does not open its packet: %v", err)
				}
				if bytes.Equal(dec[rtpHeaderSize:], enc[rtpHeaderSize:len(dec)]) {
					t.Error("payload sent in the clear")
				}
				var pkt rtp.Packet
				if err := pkt.Unmarshal(dec); err != nil || len(pkt.Payload) != 160 {
					t.Errorf("decrypted packet: %v, %d bytes of payload", err, len(pkt.Payload))
				}
			}
		})
	}
}

// peerContext is a receiving context of the peer's, opening what a stream with local key sends.
func peerContext(t testing.TB, suite SRTPSuite, key []byte) *srtp.Context {
	t.Helper()
	c, err := newSRTPContext(suite, key, true)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSRTPWrongKeyHearsNothing: with the peer's key wrong, not a sound is played, every packet
// counts as unauthenticated, and the packets do not keep the call alive.
func TestSRTPWrongKeyHearsNothing(t *testing.T) {
	p := srtpPair(t, SRTPAES128SHA1_80, PCMU, func(a, b *StreamConfig) {
		a.SRTP.Remote = testKey(9)
		a.InactivityTimeout = 400 * time.Millisecond
		b.Source = &sine{rate: 8000, freq: 1000}
	})
	select {
	case err := <-p.a.done:
		p.a.done <- err
		if !errors.Is(err, ErrInactive) {
			t.Errorf("A's Run ended with %v, want ErrInactive", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("A's call stayed alive on packets it could not authenticate")
	}
	for _, v := range p.sinkA.last(30) {
		if v != 0 {
			t.Fatal("A played sound from packets under a wrong key")
		}
	}
	st := p.a.Stats()
	if st.PacketsReceived != 0 || st.Unauthenticated < 10 || st.Dropped != st.Unauthenticated || st.Foreign != 0 {
		t.Errorf("A: %d received, %d unauthenticated, %d dropped, %d foreign; want 0, about 20, the same, 0",
			st.PacketsReceived, st.Unauthenticated, st.Dropped, st.Foreign)
	}
}

// srtpInjector sends SRTP packets under a key, as a peer (or a forger) would.
type srtpInjector struct {
	injector
	ctx *srtp.Context
}

func newSRTPInjector(t *testing.T, conn *net.UDPConn, to *net.UDPConn, suite SRTPSuite, key []byte) srtpInjector {
	ctx, err := newSRTPContext(suite, key, false)
	if err != nil {
		t.Fatal(err)
	}
	return srtpInjector{injector{t, conn, addrOf(to)}, ctx}
}

// packet returns the SRTP packet of seq with a payload of 160 bytes of b.
func (in srtpInjector) packet(ssrc uint32, seq uint16, b byte) []byte {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PCMU.PayloadType, SSRC: ssrc, SequenceNumber: seq,
		Timestamp: uint32(seq) * 160}, Payload: bytes.Repeat([]byte{b}, 160)}
	raw, err := p.Marshal()
	if err != nil {
		in.t.Fatal(err)
	}
	enc, err := in.ctx.EncryptRTP(nil, raw, nil)
	if err != nil {
		in.t.Fatal(err)
	}
	return enc
}

func (in srtpInjector) raw(b []byte) {
	if _, err := in.conn.WriteToUDPAddrPort(b, in.to); err != nil {
		in.t.Fatal(err)
	}
}

// TestSRTPStraySendersCannotTakeTheCallOver is TestStraySenderCannotTakeTheCallOver with SRTP:
// while B pauses, one stray sender sprays A's port with plain RTP and another with SRTP under a
// wrong key. A plays neither, sends nothing their way, keeps B; when B sends again A hears B.
func TestSRTPStraySendersCannotTakeTheCallOver(t *testing.T) {
	p := srtpPair(t, SRTPAES128SHA1_80, PCMA, func(a, b *StreamConfig) {
		a.Source = &sine{rate: 8000, freq: 700}
		b.Source = &sine{rate: 8000, freq: 440}
	})
	time.Sleep(300 * time.Millisecond)
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Fatalf("A hears B's 440 Hz with ratio %.3f before the stray senders", r)
	}
	p.b.SetDirection(RecvOnly)
	plain, forger := listen(t), listen(t)
	forged := newSRTPInjector(t, forger, p.connA, SRTPAES128SHA1_80, testKey(7))
	st := newStrayTone()
	spray := func(n int, seq uint16) uint16 {
		for range n {
			raw := st.packet(t, seq)
			if _, err := plain.WriteToUDPAddrPort(raw, addrOf(p.connA)); err != nil {
				t.Fatal(err)
			}
			sealed, err := forged.ctx.EncryptRTP(nil, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			forged.raw(sealed)
			seq++
			time.Sleep(FrameDuration)
		}
		return seq
	}
	seq := spray(25, 1)
	if got := p.a.Stats().RemoteAddr; got != addrOf(p.connB).String() {
		t.Errorf("while the stray senders spray, A sends to %s, want B at %s", got, addrOf(p.connB))
	}
	if r := ToneRatio(p.sinkA.last(10), 8000, 1000); r > 0.1 {
		t.Errorf("A plays the stray senders' 1000 Hz (ratio %.3f)", r)
	}
	for _, c := range []*net.UDPConn{plain, forger} {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, _, err := c.ReadFrom(make([]byte, 1500)); err == nil {
			t.Errorf("a stray sender received a %d byte packet", n)
		}
	}
	p.b.SetDirection(SendRecv)
	spray(25, seq)
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Errorf("A hears B's 440 Hz with ratio %.3f after B came back", r)
	}
	if r := ToneRatio(p.sinkB.last(10), 8000, 700); r < 0.5 {
		t.Errorf("B hears A's 700 Hz with ratio %.3f after the spray", r)
	}
	if st := p.a.Stats(); st.Unauthenticated < 80 || st.Foreign < 80 {
		t.Errorf("A counted %d unauthenticated and %d foreign packets, want the 100 sprayed", st.Unauthenticated, st.Foreign)
	}
}

// TestSRTPForgedFirstPacketDoesNotLatch: plain RTP would latch to the first sender heard (a
// peer behind NAT); with SRTP a stranger quicker than the peer is not heard and gets nothing,
// and the peer's packets then latch.
func TestSRTPForgedFirstPacketDoesNotLatch(t *testing.T) {
	conn, peer, stranger := listen(t), listen(t), listen(t)
	sink := &recorder{}
	s := start(t, StreamConfig{Conn: conn, Remote: addrOf(peer), Codec: PCMU, Sink: sink, Source: &sine{rate: 8000, freq: 700},
		SRTP: &SRTP{Suite: SRTPAES128SHA1_32, Local: testKey(1), Remote: testKey(2)}})
	injector{t, stranger, addrOf(conn)}.send(0xbad, PCMU.PayloadType, 1)
	forger := newSRTPInjector(t, stranger, conn, SRTPAES128SHA1_32, testKey(3))
	forger.raw(forger.packet(0xbad, 2, 0x55))
	eventually(t, time.Second, "the stranger's packets were not read", func() bool { return s.Stats().Unauthenticated == 2 })
	if got := s.Stats().RemoteAddr; got != addrOf(peer).String() {
		t.Errorf("after the stranger's packets A sends to %s, want the peer at %s", got, addrOf(peer))
	}
	stranger.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := stranger.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("the stranger received a %d byte packet", n)
	}
	in := newSRTPInjector(t, peer, conn, SRTPAES128SHA1_32, testKey(2))
	for seq := uint16(1); seq <= 5; seq++ {
		in.raw(in.packet(0xa11ce, seq, 0xff))
	}
	eventually(t, time.Second, "the peer's packets were not heard", func() bool { return s.Stats().PacketsReceived == 5 })
}

// TestSRTPReplayIsDropped: a packet of the peer sent again (by an attacker who recorded it) is
// dropped, however often; so is a plain copy.
func TestSRTPReplayIsDropped(t *testing.T) {
	conn, peer := listen(t), listen(t)
	s := start(t, StreamConfig{Conn: conn, Remote: addrOf(peer), Codec: PCMU,
		SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: testKey(1), Remote: testKey(2)}})
	in := newSRTPInjector(t, peer, conn, SRTPAES128SHA1_80, testKey(2))
	var third []byte
	for seq := uint16(1); seq <= 5; seq++ {
		b := in.packet(0x77, seq, 0xff)
		if seq == 3 {
			third = b
		}
		in.raw(b)
	}
	eventually(t, time.Second, "the peer's packets were not heard", func() bool { return s.Stats().PacketsReceived == 5 })
	in.raw(third)
	in.raw(third)
	in.send(0x77, PCMU.PayloadType, 6) // plain, from the peer's address
	eventually(t, time.Second, "the replays were not read", func() bool { return s.Stats().Dropped == 3 })
	if st := s.Stats(); st.PacketsReceived != 5 || st.Unauthenticated != 3 || st.Foreign != 0 {
		t.Errorf("%d received, %d unauthenticated, %d foreign; want 5, 3, 0", st.PacketsReceived, st.Unauthenticated, st.Foreign)
	}
}

// TestSetSRTPRemote: the peer's new key is heard after SetSRTPRemote, and its old one only until
// the new one was heard or the grace passed; the same key again keeps the replay protection; bad
// calls are refused.
func TestSetSRTPRemote(t *testing.T) {
	conn, peer := listen(t), listen(t)
	s, err := NewStream(StreamConfig{Conn: conn, Remote: addrOf(peer), Codec: PCMU,
		SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: testKey(1), Remote: testKey(2)}})
	if err != nil {
		t.Fatal(err)
	}
	old := newSRTPInjector(t, peer, conn, SRTPAES128SHA1_80, testKey(2))
	now := time.Now()
	from := addrOf(peer)
	feed := func(b []byte) { now = now.Add(FrameDuration); s.receiveRTP(b, from, now) }
	first := old.packet(0x77, 1, 0xff)
	feed(bytes.Clone(first))
	feed(old.packet(0x77, 2, 0xff))
	if err := s.SetSRTPRemote(SRTPAES128SHA1_80, testKey(2)); err != nil {
		t.Fatal(err)
	}
	feed(bytes.Clone(first)) // the same key again must not forget what was heard
	if st := s.Stats(); st.PacketsReceived != 2 || st.Unauthenticated != 1 {
		t.Fatalf("after the same key again: %d received, %d unauthenticated; want 2, 1 (the replay)", st.PacketsReceived, st.Unauthenticated)
	}
	key := testKey(5)
	if err := s.SetSRTPRemote(SRTPAES128SHA1_80, key); err != nil {
		t.Fatal(err)
	}
	key[0]++                        // the stream keeps its own copy
	feed(old.packet(0x77, 3, 0xff)) // still in flight, or sent before the peer had our answer
	if st := s.Stats(); st.PacketsReceived != 3 || st.Unauthenticated != 1 {
		t.Errorf("the old key right after the change: %d received, %d unauthenticated; want 3, 1", st.PacketsReceived, st.Unauthenticated)
	}
	feed(bytes.Clone(first)) // a replay under the old key is still refused
	fresh := newSRTPInjector(t, peer, conn, SRTPAES128SHA1_80, testKey(5))
	feed(fresh.packet(0x77, 4, 0xff))
	feed(old.packet(0x77, 5, 0xff)) // once the new key was heard, the old one is not
	if st := s.Stats(); st.PacketsReceived != 4 || st.Unauthenticated != 3 {
		t.Errorf("after the new key was heard: %d received, %d unauthenticated; want 4, 3", st.PacketsReceived, st.Unauthenticated)
	}
	if err := s.SetSRTPRemote(SRTPAES128SHA1_80, testKey(6)); err != nil {
		t.Fatal(err)
	}
	now = now.Add(rekeyGrace) // the peer never sends under its new key: the grace ends
	feed(fresh.packet(0x77, 6, 0xff))
	if st := s.Stats(); st.PacketsReceived != 4 || st.Unauthenticated != 4 {
		t.Errorf("the previous key after the grace: %d received, %d unauthenticated; want 4, 4", st.PacketsReceived, st.Unauthenticated)
	}

	if err := s.SetSRTPRemote(SRTPAES128SHA1_80, key[:29]); !errors.Is(err, ErrBadSRTPKey) {
		t.Errorf("a 29-byte key: %v, want ErrBadSRTPKey", err)
	}
	if err := s.SetSRTPRemote(SRTPNone, key); !errors.Is(err, ErrUnknownSuite) {
		t.Errorf("suite none: %v, want ErrUnknownSuite", err)
	}
	plain, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.SetSRTPRemote(SRTPAES128SHA1_80, key); !errors.Is(err, ErrNoSRTP) {
		t.Errorf("SetSRTPRemote on a plain stream: %v, want ErrNoSRTP", err)
	}
}

// TestSetSRTPRemoteMidCall: the far end restarts its media with a new key (a re-INVITE); A hears
// nothing of it until it is told the key, and then hears the tone.
func TestSetSRTPRemoteMidCall(t *testing.T) {
	p := srtpPair(t, SRTPAES128SHA1_80, PCMU, func(a, b *StreamConfig) { b.Source = &sine{rate: 8000, freq: 440} })
	eventually(t, time.Second, "A hears nothing", func() bool { return p.a.Stats().PacketsReceived > 10 })
	if err := p.b.stop(t); err != nil {
		t.Fatal(err)
	}
	b2 := start(t, StreamConfig{Conn: p.connB, Remote: addrOf(p.connA), Codec: PCMU, Source: &sine{rate: 8000, freq: 1000},
		SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: testKey(6), Remote: testKey(1)}})
	eventually(t, time.Second, "B's packets under the new key were not refused", func() bool { return p.a.Stats().Unauthenticated > 5 })
	if r := ToneRatio(p.sinkA.last(5), 8000, 1000); r > 0.1 {
		t.Errorf("A plays the new key's 1000 Hz (ratio %.3f) before it knows the key", r)
	}
	if err := p.a.SetSRTPRemote(SRTPAES128SHA1_80, testKey(6)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if r := ToneRatio(p.sinkA.last(10), 8000, 1000); r < 0.5 {
		t.Errorf("A hears the new key's 1000 Hz with ratio %.3f, want > 0.5", r)
	}
	if b2.Stats().Unauthenticated != 0 {
		t.Errorf("B refused %d of A's packets", b2.Stats().Unauthenticated)
	}
}

// TestSetSRTPRemoteNewSuite: when the peer's new offer changes the suite, what we send follows it
// with the same key, the packet index going on.
func TestSetSRTPRemoteNewSuite(t *testing.T) {
	wire := listen(t)
	key := testKey(3)
	s := start(t, StreamConfig{Conn: listen(t), Remote: addrOf(wire), Codec: PCMU, InactivityTimeout: -1,
		SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: key, Remote: testKey(4)}})
	buf := make([]byte, 1500)
	read := func() int {
		wire.SetReadDeadline(time.Now().Add(time.Second))
		n, err := wire.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := read(); n != rtpHeaderSize+160+10 {
		t.Fatalf("_80 packet of %d bytes", n)
	}
	if err := s.SetSRTPRemote(SRTPAES128SHA1_32, testKey(4)); err != nil {
		t.Fatal(err)
	}
	ctx := peerContext(t, SRTPAES128SHA1_32, key)
	for range 20 { // the packets already in flight may still be _80
		if n := read(); n == rtpHeaderSize+160+4 {
			if _, err := ctx.DecryptRTP(nil, buf[:n], nil); err != nil {
				t.Fatalf("_32 packet does not open with the key: %v", err)
			}
			return
		}
	}
	t.Fatal("no _32 packet after the suite changed")
}

// TestSRTCPBetweenStreams: RTCP reports flow both ways as SRTCP and are read.
func TestSRTCPBetweenStreams(t *testing.T) {
	for _, suite := range SRTPSuites() {
		t.Run(suite.String(), func(t *testing.T) {
			p := srtpPair(t, suite, PCMU, func(a, b *StreamConfig) {
				a.RTCPConn, b.RTCPConn = listen(t), listen(t)
				a.RemoteRTCP, b.RemoteRTCP = addrOf(b.RTCPConn), addrOf(a.RTCPConn)
				a.RTCPInterval, b.RTCPInterval = 100*time.Millisecond, 100*time.Millisecond
			})
			eventually(t, 3*time.Second, "no SRTCP went both ways", func() bool {
				a, b := p.a.Stats(), p.b.Stats()
				return a.RTCPReceived >= 3 && b.RTCPReceived >= 3
			})
			for name, st := range map[string]StreamStats{"A": p.a.Stats(), "B": p.b.Stats()} {
				if st.Unauthenticated != 0 || st.RoundTrip <= 0 || st.RoundTrip > 50*time.Millisecond {
					t.Errorf("%s: %d unauthenticated, round trip %v", name, st.Unauthenticated, st.RoundTrip)
				}
			}
		})
	}
}

// TestSRTCPOnTheWire: our RTCP is SRTCP with the 80-bit tag for either suite (RFC 4568 section
// 6.2.2), and a plain RTCP packet to us is refused.
func TestSRTCPOnTheWire(t *testing.T) {
	for _, suite := range SRTPSuites() {
		t.Run(suite.String(), func(t *testing.T) {
			peerRTCP, ourRTCP := listen(t), listen(t)
			key := testKey(3)
			s := start(t, StreamConfig{Conn: listen(t), RTCPConn: ourRTCP, Remote: addrOf(listen(t)), RemoteRTCP: addrOf(peerRTCP),
				Codec: PCMU, RTCPInterval: 50 * time.Millisecond, InactivityTimeout: -1,
				SRTP: &SRTP{Suite: suite, Local: key, Remote: testKey(4)}})
			buf := make([]byte, 1500)
			peerRTCP.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, err := peerRTCP.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			ctx := peerContext(t, suite, key)
			dec, err := ctx.DecryptRTCP(nil, buf[:n], nil)
			if err != nil {
				t.Fatalf("SRTCP does not open with the sender's key: %v", err)
			}
			if n-len(dec) != 4+10 {
				t.Errorf("SRTCP adds %d bytes, want the 4-byte index and an 80-bit tag", n-len(dec))
			}
			if buf[n-14]&0x80 == 0 {
				t.Error("SRTCP without the E flag: reports are not encrypted")
			}
			if _, err := peerRTCP.WriteToUDPAddrPort(dec, addrOf(ourRTCP)); err != nil { // plain RTCP back
				t.Fatal(err)
			}
			eventually(t, time.Second, "the plain RTCP was not refused", func() bool { return s.Stats().Unauthenticated == 1 })
			if st := s.Stats(); st.RTCPReceived != 0 {
				t.Errorf("plain RTCP taken: %d received", st.RTCPReceived)
			}
		})
	}
}

// TestSRTPHotPathDoesNotAllocate: protecting and sending a frame, and taking the peer's, cost no
// allocation once the peer's source is known.
func TestSRTPHotPathDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not kept under the race detector")
	}
	sink := listen(t)
	s, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU, Remote: addrOf(sink), Source: &sine{rate: 8000, freq: 440},
		SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: testKey(1), Remote: testKey(2)}})
	if err != nil {
		t.Fatal(err)
	}
	peer := peerContext(t, SRTPAES128SHA1_80, testKey(2)) // used to send: replay state unused
	var p packetizer
	p.init(PCMU, PCMU.NewEncoder(), 7)
	pcm := make([]int16, PCMU.FrameSamples())
	buf := make([]byte, maxPacket+srtpOverhead)
	var hdr rtp.Header
	from := addrOf(sink)
	now := time.Now()
	step := func() {
		pkt, err := peer.EncryptRTP(buf[:0], p.audio(pcm, false), &hdr)
		if err != nil {
			t.Fatal(err)
		}
		now = now.Add(FrameDuration)
		s.receiveRTP(pkt, from, now)
		s.mu.Lock()
		s.jb.Pop(now)
		s.mu.Unlock()
		s.send()
	}
	step()
	if a := testing.AllocsPerRun(200, step); a != 0 {
		t.Errorf("%.1f allocations per SRTP frame, want 0", a)
	}
	if st := s.Stats(); st.Unauthenticated != 0 || st.PacketsReceived < 200 || st.PacketsSent < 200 {
		t.Errorf("%d received, %d sent, %d unauthenticated", st.PacketsReceived, st.PacketsSent, st.Unauthenticated)
	}
}

// TestSRTPForgedSourceMoveIsRefused: plain RTP follows the peer's SSRC to a new address after a
// second of silence (a NAT that moved it); with SRTP, packets carrying the peer's SSRC from
// another address move nothing unless they authenticate: plain ones and ones under a wrong key
// do not, the peer's own packets from a new address do.
func TestSRTPForgedSourceMoveIsRefused(t *testing.T) {
	conn, old, moved, stranger := listen(t), listen(t), listen(t), listen(t)
	sink := &recorder{}
	s := start(t, StreamConfig{Conn: conn, Remote: addrOf(old), Codec: PCMU, Sink: sink, Source: &sine{rate: 8000, freq: 700},
		SRTP: &SRTP{Suite: SRTPAES128SHA1_80, Local: testKey(1), Remote: testKey(2)}})
	peer := newSRTPInjector(t, old, conn, SRTPAES128SHA1_80, testKey(2))
	for seq := uint16(1); seq <= 10; seq++ {
		peer.raw(peer.packet(0xa11ce, seq, 0xff))
		time.Sleep(FrameDuration)
	}
	eventually(t, time.Second, "the first packets were not taken", func() bool { return s.Stats().PacketsReceived == 10 })
	time.Sleep(natRebindAfter + 100*time.Millisecond)
	forger := newSRTPInjector(t, stranger, conn, SRTPAES128SHA1_80, testKey(3))
	for seq := uint16(11); seq <= 20; seq++ {
		injector{t, stranger, addrOf(conn)}.send(0xa11ce, PCMU.PayloadType, seq)
		forger.raw(forger.packet(0xa11ce, seq, 0xff))
	}
	eventually(t, time.Second, "the forged packets were not read", func() bool { return s.Stats().Unauthenticated == 20 })
	if st := s.Stats(); st.RemoteAddr != addrOf(old).String() || st.PacketsReceived != 10 || st.Foreign != 20 {
		t.Errorf("after forged packets of the peer's SSRC: sending to %s (want %s), %d received, %d foreign",
			st.RemoteAddr, addrOf(old), st.PacketsReceived, st.Foreign)
	}
	// The peer itself really moves: its packets (same key, same SSRC) from the new address.
	peer.conn = moved
	for seq := uint16(11); seq <= 20; seq++ {
		peer.raw(peer.packet(0xa11ce, seq, 0xff))
		time.Sleep(FrameDuration)
	}
	eventually(t, time.Second, "the moved peer was not heard", func() bool { return s.Stats().PacketsReceived == 20 })
	if got := s.Stats().RemoteAddr; got != addrOf(moved).String() {
		t.Errorf("A sends to %s, want the moved peer at %s", got, addrOf(moved))
	}
}
