package media

import (
	"net"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// readRTCP reads one compound RTCP packet from c within d.
func readRTCP(t *testing.T, c *net.UDPConn, d time.Duration) []rtcp.Packet {
	t.Helper()
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no RTCP within %v: %v", d, err)
	}
	pkts, err := rtcp.Unmarshal(buf[:n])
	if err != nil {
		t.Fatalf("stream sent RTCP that does not parse: %v", err)
	}
	return pkts
}

func TestRTCPBetweenStreams(t *testing.T) {
	p := startPair(t, PCMU, func(a, b *StreamConfig) {
		a.RTCPConn, b.RTCPConn = listen(t), listen(t)
		a.RemoteRTCP, b.RemoteRTCP = addrOf(b.RTCPConn), addrOf(a.RTCPConn)
		a.RTCPInterval, b.RTCPInterval = 100*time.Millisecond, 100*time.Millisecond
	})
	eventually(t, 3*time.Second, "no RTCP went both ways", func() bool {
		a, b := p.a.Stats(), p.b.Stats()
		return a.RTCPSent >= 3 && b.RTCPSent >= 3 && a.RTCPReceived >= 3 && b.RTCPReceived >= 3
	})
	for name, st := range map[string]StreamStats{"A": p.a.Stats(), "B": p.b.Stats()} {
		if st.RemoteLossPercent != 0 || st.RoundTrip > 50*time.Millisecond || st.RemoteJitter > 20*time.Millisecond {
			t.Errorf("%s over loopback: remote loss %.1f %%, jitter %v, round trip %v", name,
				st.RemoteLossPercent, st.RemoteJitter, st.RoundTrip)
		}
	}
}

func TestRTCPReportsOnTheWire(t *testing.T) {
	peerRTCP := listen(t) // plays the peer's RTCP socket
	ourRTCP := listen(t)
	p := startPair(t, PCMA, func(a, b *StreamConfig) {
		a.RTCPConn, a.RemoteRTCP = ourRTCP, addrOf(peerRTCP)
		a.RTCPInterval = 100 * time.Millisecond
	})
	time.Sleep(300 * time.Millisecond) // let A hear B
	var sr *rtcp.SenderReport
	for sr == nil {
		pkts := readRTCP(t, peerRTCP, time.Second)
		sr, _ = pkts[0].(*rtcp.SenderReport)
		if sdes, ok := pkts[len(pkts)-1].(*rtcp.SourceDescription); !ok || len(sdes.Chunks) != 1 ||
			sdes.Chunks[0].Source != p.a.SSRC() {
			t.Errorf("compound RTCP does not end with our SDES: %v", pkts)
		}
	}
	if sr.SSRC != p.a.SSRC() || sr.PacketCount == 0 || sr.OctetCount != 160*sr.PacketCount {
		t.Errorf("sender report %+v: want SSRC %x and 160 octets per packet", sr, p.a.SSRC())
	}
	sent := time.Unix(int64(sr.NTPTime>>32)-ntpEpochOffset, 0)
	if d := time.Since(sent); d < -time.Second || d > 2*time.Second {
		t.Errorf("sender report NTP time is %v away from now", d)
	}
	if len(sr.Reports) != 1 || sr.Reports[0].SSRC != p.b.SSRC() || sr.Reports[0].TotalLost != 0 ||
		sr.Reports[0].LastSequenceNumber == 0 {
		t.Fatalf("sender report blocks %+v, want one about B's SSRC %x without loss", sr.Reports, p.b.SSRC())
	}

	// The peer reports 25 % loss and 10 ms of jitter about A, answering A's SR 50 ms later but
	// claiming it held it for 0 s: the round trip comes out as about 50 ms.
	time.Sleep(50 * time.Millisecond)
	rr := &rtcp.ReceiverReport{SSRC: 0x1234, Reports: []rtcp.ReceptionReport{{
		SSRC: p.a.SSRC(), FractionLost: 64, Jitter: 80, LastSenderReport: uint32(sr.NTPTime >> 16),
	}}}
	raw, err := rtcp.Marshal([]rtcp.Packet{rr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peerRTCP.WriteToUDPAddrPort(raw, addrOf(ourRTCP)); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "A did not read the receiver report", func() bool {
		return p.a.Stats().RemoteLossPercent > 0
	})
	st := p.a.Stats()
	if st.RemoteLossPercent != 25 || st.RemoteJitter != 10*time.Millisecond {
		t.Errorf("remote loss %.2f %% jitter %v, want 25 %% and 10 ms", st.RemoteLossPercent, st.RemoteJitter)
	}
	if st.RoundTrip < 50*time.Millisecond || st.RoundTrip > 500*time.Millisecond {
		t.Errorf("round trip %v, want about 50 ms", st.RoundTrip)
	}

	// While A only receives it sends receiver reports, still about B.
	p.a.SetDirection(RecvOnly)
	time.Sleep(250 * time.Millisecond)
	peerRTCP.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	for { // drain what was sent before the change
		if _, err := peerRTCP.Read(make([]byte, 1500)); err != nil {
			break
		}
	}
	pkts := readRTCP(t, peerRTCP, time.Second)
	got, ok := pkts[0].(*rtcp.ReceiverReport)
	if !ok || got.SSRC != p.a.SSRC() || len(got.Reports) != 1 || got.Reports[0].SSRC != p.b.SSRC() {
		t.Errorf("recvonly A sent %v, want a receiver report about B", pkts[0])
	}
}

func TestRxStatsAcrossWrap(t *testing.T) {
	var r rxStats
	for _, seq := range []uint16{65534, 65535, 1, 0, 3, 3} { // 2 missing, 0 late, 3 twice
		r.update(seq)
	}
	if got := r.extMax(); got != 1<<16+3 {
		t.Errorf("extended highest sequence %d, want %d", got, 1<<16+3)
	}
	expected, lost := r.expectedLost()
	if expected != 6 || lost != 0 { // 6 received (with a duplicate) make up for the one missing
		t.Errorf("expected %d lost %d, want 6 and 0", expected, lost)
	}
	r = rxStats{}
	for _, seq := range []uint16{10, 11, 14} {
		r.update(seq)
	}
	if f := r.fraction(); f != 2*256/5 {
		t.Errorf("fraction lost %d/256, want %d", f, 2*256/5)
	}
	if f := r.fraction(); f != 0 {
		t.Errorf("fraction lost with nothing new = %d", f)
	}
}

func TestNTPTime(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, int(time.Second/4), time.UTC)
	n := ntpTime(ts)
	if secs := int64(n >> 32); secs != ts.Unix()+ntpEpochOffset {
		t.Errorf("NTP seconds %d, want %d", secs, ts.Unix()+ntpEpochOffset)
	}
	if frac := uint32(n); frac != 1<<30 {
		t.Errorf("NTP fraction %d, want a quarter (%d)", frac, 1<<30)
	}
}
