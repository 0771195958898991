package media

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

func TestSRTPSuiteNames(t *testing.T) {
	for _, c := range []struct {
		s    SRTPSuite
		name string
	}{{SRTPNone, "none"}, {SRTPAES128SHA1_80, "AES_CM_128_HMAC_SHA1_80"}, {SRTPAES128SHA1_32, "AES_CM_128_HMAC_SHA1_32"}} {
		if got := c.s.String(); got != c.name {
			t.Errorf("%d.String() = %q, want %q", c.s, got, c.name)
		}
	}
	if got := SRTPSuite(9).String(); got != "SRTPSuite(9)" {
		t.Errorf("unknown suite prints %q", got)
	}
	if s, err := ParseSRTPSuite("aes_cm_128_hmac_sha1_32"); err != nil || s != SRTPAES128SHA1_32 {
		t.Errorf("ParseSRTPSuite lower case: %v, %v", s, err)
	}
	for _, bad := range []string{"none", "AEAD_AES_256_GCM", "F8_128_HMAC_SHA1_80", ""} {
		if _, err := ParseSRTPSuite(bad); !errors.Is(err, ErrUnknownSuite) {
			t.Errorf("ParseSRTPSuite(%q) err = %v, want ErrUnknownSuite", bad, err)
		}
	}
	if got := SRTPSuites(); len(got) != 2 || got[0] != SRTPAES128SHA1_80 {
		t.Errorf("SRTPSuites() = %v, want _80 first", got)
	}
	a, err := NewSRTPKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSRTPKey()
	if len(a) != SRTPKeyLen || bytes.Equal(a, b) {
		t.Errorf("NewSRTPKey gives %d bytes, the same twice: %v", len(a), bytes.Equal(a, b))
	}
}

func TestNewStreamRejectsBadSRTP(t *testing.T) {
	key := bytes.Repeat([]byte{1}, SRTPKeyLen)
	for _, c := range []struct {
		name string
		srtp SRTP
		want error
	}{
		{"no suite", SRTP{Local: key, Remote: key}, ErrUnknownSuite},
		{"short local key", SRTP{Suite: SRTPAES128SHA1_80, Local: key[:16], Remote: key}, ErrBadSRTPKey},
		{"no remote key", SRTP{Suite: SRTPAES128SHA1_80, Local: key}, ErrBadSRTPKey},
	} {
		cfg := StreamConfig{Conn: listen(t), Codec: PCMU, SRTP: &c.srtp}
		if _, err := NewStream(cfg); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

// srtpPair is two streams exchanging tones (A 700 Hz, B 440 Hz) under SRTP with suite, each
// with its own key.
func srtpPair(t *testing.T, suite SRTPSuite, edit func(a, b *StreamConfig)) (*pair, []byte, []byte) {
	t.Helper()
	ka, _ := NewSRTPKey()
	kb, _ := NewSRTPKey()
	p := startPair(t, PCMA, func(a, b *StreamConfig) {
		a.Source = &sine{rate: 8000, freq: 700}
		b.Source = &sine{rate: 8000, freq: 440}
		a.SRTP = &SRTP{Suite: suite, Local: ka, Remote: kb}
		b.SRTP = &SRTP{Suite: suite, Local: kb, Remote: ka}
		a.RTCPInterval, b.RTCPInterval = 100*time.Millisecond, 100*time.Millisecond
		if edit != nil {
			edit(a, b)
		}
	})
	return p, ka, kb
}

// With SRTP both ways each side hears the other's tone, nothing on the wire is plain RTP, and
// SRTCP reports flow.
func TestSRTPStreamsCarryTonesBothWays(t *testing.T) {
	for _, suite := range SRTPSuites() {
		t.Run(suite.String(), func(t *testing.T) {
			rtcpA, rtcpB := listen(t), listen(t)
			p, _, _ := srtpPair(t, suite, func(a, b *StreamConfig) {
				a.RTCPConn, b.RTCPConn = rtcpA, rtcpB
				a.RemoteRTCP, b.RemoteRTCP = addrOf(rtcpB), addrOf(rtcpA)
			})
			time.Sleep(700 * time.Millisecond)
			if r := ToneRatio(p.sinkB.last(20), 8000, 700); r < 0.5 {
				t.Errorf("B hears A's 700 Hz at %.3f", r)
			}
			if r := ToneRatio(p.sinkA.last(20), 8000, 440); r < 0.5 {
				t.Errorf("A hears B's 440 Hz at %.3f", r)
			}
			sa, sb := p.a.Stats(), p.b.Stats()
			if !sa.Encrypted || sa.Unauthenticated != 0 || sb.Unauthenticated != 0 {
				t.Errorf("stats A %+v B %+v", sa, sb)
			}
			eventually(t, 2*time.Second, "SRTCP reports both ways", func() bool {
				return p.a.Stats().RTCPReceived > 0 && p.b.Stats().RTCPReceived > 0
			})
		})
	}
}

// The packets on the wire carry the suite's tag and do not hold the plain payload.
func TestSRTPOnTheWireIsEncrypted(t *testing.T) {
	for _, c := range []struct {
		suite SRTPSuite
		tag   int
	}{{SRTPAES128SHA1_80, 10}, {SRTPAES128SHA1_32, 4}} {
		t.Run(c.suite.String(), func(t *testing.T) {
			key, _ := NewSRTPKey()
			peer := listen(t)
			start(t, StreamConfig{Conn: listen(t), Remote: addrOf(peer), Codec: PCMU,
				SRTP: &SRTP{Suite: c.suite, Local: key, Remote: key}})
			buf := make([]byte, 1500)
			peer.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, _, err := peer.ReadFrom(buf)
			if err != nil {
				t.Fatal(err)
			}
			// Silence in PCMU is 0xFF bytes: encrypted it is not.
			if want := 12 + 160 + c.tag; n != want {
				t.Errorf("packet of %d bytes, want %d (header, 160 bytes of PCMU, a %d-byte tag)", n, want, c.tag)
			}
			if bytes.Count(buf[12:n], []byte{0xff}) > 20 {
				t.Error("the payload went out in the clear")
			}
			dec, err := srtp.CreateContext(key[:16], key[16:], map[SRTPSuite]srtp.ProtectionProfile{
				SRTPAES128SHA1_80: srtp.ProtectionProfileAes128CmHmacSha1_80, SRTPAES128SHA1_32: srtp.ProtectionProfileAes128CmHmacSha1_32}[c.suite])
			if err != nil {
				t.Fatal(err)
			}
			plain, err := dec.DecryptRTP(nil, buf[:n], nil)
			if err != nil {
				t.Fatalf("the packet does not decrypt with the key: %v", err)
			}
			if !bytes.Equal(plain[12:], bytes.Repeat([]byte{0xff}, 160)) {
				t.Error("decrypted payload is not PCMU silence")
			}
		})
	}
}

// A stray sender sprays the call's port mid-call with plain RTP, with SRTP under a wrong key,
// and with the peer's own captured packets replayed: none of it is played, moves the stream or
// counts as the peer; the far end's tone still reaches the sink.
func TestSRTPStraySenderIsNotHeard(t *testing.T) {
	p, _, _ := srtpPair(t, SRTPAES128SHA1_80, nil)
	time.Sleep(300 * time.Millisecond)
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Fatalf("A hears B's 440 Hz at %.3f before the spray", r)
	}
	stray := listen(t)
	wrongKey, _ := NewSRTPKey()
	wrong, err := newStreamSRTP(&SRTP{Suite: SRTPAES128SHA1_80, Local: wrongKey, Remote: wrongKey})
	if err != nil {
		t.Fatal(err)
	}
	enc := PCMA.NewEncoder()
	tone := &sine{rate: 8000, freq: 1000}
	pcm, payload := make([]int16, 160), make([]byte, 160)
	before := p.a.Stats()
	const sprayed = 3 * 25
	for i := range 25 {
		tone.ReadFrame(pcm)
		enc.Encode(payload, pcm)
		// The SSRC B uses, so that only authentication tells the packets apart.
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PCMA.PayloadType, SSRC: p.b.SSRC(),
			SequenceNumber: uint16(30000 + i), Timestamp: uint32(i) * 160}, Payload: payload}
		raw, _ := pkt.Marshal()
		forged, err := wrong.protectRTP(raw)
		if err != nil {
			t.Fatal(err)
		}
		short := append([]byte(nil), raw[:12]...)
		for _, b := range [][]byte{raw, forged, short} {
			if _, err := stray.WriteToUDPAddrPort(b, addrOf(p.connA)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(FrameDuration)
	}
	st := p.a.Stats()
	if got := st.Unauthenticated - before.Unauthenticated; got < sprayed-5 {
		t.Errorf("A counted %d unauthenticated packets, want the %d sprayed", got, sprayed)
	}
	if st.RemoteAddr != addrOf(p.connB).String() {
		t.Errorf("A sends to %s after the spray, want B at %s", st.RemoteAddr, addrOf(p.connB))
	}
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Errorf("A hears B's 440 Hz at %.3f during the spray", r)
	}
	if r := ToneRatio(p.sinkA.last(10), 8000, 1000); r > 0.1 {
		t.Errorf("A plays the stray 1000 Hz at %.3f", r)
	}
}

// A packet the peer really sent, sent again (a replay, RFC 3711 section 3.3.2), is dropped.
func TestSRTPReplayIsDropped(t *testing.T) {
	key, _ := NewSRTPKey()
	conn := listen(t)
	s, err := NewStream(StreamConfig{Conn: conn, Remote: netip.MustParseAddrPort("127.0.0.1:9"), Codec: PCMU,
		SRTP: &SRTP{Suite: SRTPAES128SHA1_32, Local: key, Remote: key}})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := newStreamSRTP(&SRTP{Suite: SRTPAES128SHA1_32, Local: key, Remote: key})
	if err != nil {
		t.Fatal(err)
	}
	from := netip.MustParseAddrPort("127.0.0.1:40000")
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PCMU.PayloadType, SSRC: 7, SequenceNumber: 100}, Payload: make([]byte, 160)}
	raw, _ := pkt.Marshal()
	protected, err := sender.protectRTP(raw)
	if err != nil {
		t.Fatal(err)
	}
	captured := append([]byte(nil), protected...)
	now := time.Now()
	s.receiveRTP(append([]byte(nil), captured...), from, now)
	if st := s.Stats(); st.PacketsReceived != 1 || st.Unauthenticated != 0 {
		t.Fatalf("the genuine packet: %+v", st)
	}
	s.receiveRTP(append([]byte(nil), captured...), from, now.Add(FrameDuration))
	if st := s.Stats(); st.PacketsReceived != 1 || st.Unauthenticated != 1 {
		t.Errorf("the replayed packet was taken: %+v", st)
	}
}

// The peer's key changes in a re-INVITE: after SetSRTPRemote the stream hears the new key and no
// longer the old one.
func TestSetSRTPRemoteFollowsANewKey(t *testing.T) {
	p, ka, kb := srtpPair(t, SRTPAES128SHA1_80, nil)
	time.Sleep(300 * time.Millisecond)
	if err := p.a.SetSRTPRemote(SRTPAES128SHA1_80, ka); err != nil { // A's own key: B does not use it
		t.Fatal(err)
	}
	before := p.a.Stats().Unauthenticated
	eventually(t, time.Second, "A drops B's packets under the key B does not use", func() bool {
		return p.a.Stats().Unauthenticated > before+10
	})
	if err := p.a.SetSRTPRemote(SRTPAES128SHA1_80, kb); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if r := ToneRatio(p.sinkA.last(10), 8000, 440); r < 0.5 {
		t.Errorf("A hears B's 440 Hz at %.3f with B's key back", r)
	}
	if err := p.a.SetSRTPRemote(SRTPAES128SHA1_80, make([]byte, 5)); !errors.Is(err, ErrBadSRTPKey) {
		t.Errorf("a 5-byte key: %v", err)
	}
	plain := start(t, StreamConfig{Conn: listen(t), Codec: PCMU})
	if err := plain.SetSRTPRemote(SRTPAES128SHA1_80, ka); err == nil {
		t.Error("a plain stream took an SRTP key")
	}
}
