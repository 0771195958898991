package media

import (
	"context"
	"math"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func BenchmarkPacketize(b *testing.B) {
	for _, c := range Codecs() {
		b.Run(c.Name, func(b *testing.B) {
			var p packetizer
			p.init(c, c.NewEncoder(), 1)
			pcm := make([]int16, c.FrameSamples())
			(&sine{rate: c.SampleRate, freq: 440}).ReadFrame(pcm)
			b.ReportAllocs()
			for b.Loop() {
				if len(p.audio(pcm, false)) != rtpHeaderSize+160 {
					b.Fatal("wrong packet size")
				}
				p.hdr.Timestamp += p.tsStep
			}
		})
	}
}

// BenchmarkReceive measures taking one packet off the wire into the jitter buffer.
func BenchmarkReceive(b *testing.B) {
	s, err := NewStream(StreamConfig{Conn: listen(b), Codec: PCMU, Remote: netip.MustParseAddrPort("127.0.0.1:9")})
	if err != nil {
		b.Fatal(err)
	}
	var p packetizer
	p.init(PCMU, PCMU.NewEncoder(), 7)
	pcm := make([]int16, PCMU.FrameSamples())
	from := netip.MustParseAddrPort("127.0.0.1:9")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		pkt := p.audio(pcm, false)
		p.hdr.Timestamp += p.tsStep
		now = now.Add(FrameDuration)
		s.receiveRTP(pkt, from, now)
		s.mu.Lock()
		s.jb.Pop(now)
		s.mu.Unlock()
	}
}

// tableSource plays a precomputed second of a tone, as cheaply as a device's ring buffer would.
type tableSource struct {
	pcm []int16
	pos int
}

func newTableSource(rate int, freq float64) *tableSource {
	t := &tableSource{pcm: make([]int16, rate)}
	for i := range t.pcm {
		t.pcm[i] = int16(12000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return t
}

func (t *tableSource) ReadFrame(pcm []int16) {
	n := copy(pcm, t.pcm[t.pos:])
	t.pos = (t.pos + n) % len(t.pcm)
	copy(pcm[n:], t.pcm)
}

// discard is a FrameSink that only looks at the frame.
type discard struct{ sum int }

func (d *discard) WriteFrame(pcm []int16) { d.sum += int(pcm[0]) }

// timedConn records when each packet was sent and received, without allocating.
type timedConn struct {
	*net.UDPConn
	sent, recv []time.Duration
	epoch      time.Time
}

func (c *timedConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	if len(c.sent) < cap(c.sent) {
		c.sent = append(c.sent, time.Since(c.epoch))
	}
	return c.UDPConn.WriteToUDPAddrPort(b, addr)
}

func (c *timedConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, from, err := c.UDPConn.ReadFromUDPAddrPort(b)
	if err == nil && len(c.recv) < cap(c.recv) {
		c.recv = append(c.recv, time.Since(c.epoch))
	}
	return n, from, err
}

// deviations appends |interval - 20 ms| of consecutive times.
func deviations(out []float64, times []time.Duration) []float64 {
	for i := 1; i < len(times); i++ {
		out = append(out, math.Abs(float64(times[i]-times[i-1]-FrameDuration)))
	}
	return out
}

// BenchmarkCalls50 runs 50 calls on loopback: 50 pairs of streams, both ends in this process, all
// on one clock. One op is one 20 ms frame of all of them. It reports the CPU time per stream (one
// stream is one call's media in the line server; the other end is the remote phone) in % of a
// core, and the p99 deviation of the RTP send interval from 20 ms, measured where the packets are
// sent and where they arrive.
func BenchmarkCalls50(b *testing.B) {
	for _, c := range []Codec{PCMU, G722} {
		b.Run(c.Name, func(b *testing.B) { benchCalls(b, c, 50) })
	}
}

func benchCalls(b *testing.B, codec Codec, calls int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	clock := NewClock()
	defer clock.Stop()
	epoch := time.Now()
	frames := b.N + 100
	conns := make([]*timedConn, 0, 2*calls)
	for range 2 * calls {
		conns = append(conns, &timedConn{UDPConn: listen(b), epoch: epoch,
			sent: make([]time.Duration, 0, frames), recv: make([]time.Duration, 0, frames)})
	}
	for i := 0; i < 2*calls; i++ {
		peer := conns[i^1]
		s, err := NewStream(StreamConfig{Conn: conns[i], Remote: addrOf(peer.UDPConn), Codec: codec,
			Source: newTableSource(codec.SampleRate, 440), Sink: &discard{}, Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		wg.Go(func() {
			if err := s.Run(ctx); err != nil {
				b.Error(err)
			}
		})
	}
	time.Sleep(10 * FrameDuration) // all started, jitter buffers filled
	from := time.Since(epoch)
	b.ResetTimer()
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(time.Duration(b.N) * FrameDuration)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	b.StopTimer()
	cancel()
	wg.Wait()

	var sendDev, recvDev []float64
	for _, c := range conns {
		sendDev = deviations(sendDev, after(c.sent, from))
		recvDev = deviations(recvDev, after(c.recv, from))
	}
	if cpu > 0 {
		b.ReportMetric(100*float64(cpu)/float64(wall)/float64(2*calls), "%core/call")
	}
	b.ReportMetric(p99(sendDev)/1e6, "p99-send-dev-ms")
	b.ReportMetric(p99(recvDev)/1e6, "p99-arrival-dev-ms")
}

// after drops the times before from (the start-up).
func after(times []time.Duration, from time.Duration) []time.Duration {
	i, _ := slices.BinarySearch(times, from)
	return times[i:]
}

func p99(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)*99/100]
}

// BenchmarkStreamSRTP measures one frame of an SRTP stream's hot path both ways: building,
// protecting and sending a packet (send) and authenticating, decrypting and buffering the peer's
// (receive), per suite.
func BenchmarkStreamSRTP(b *testing.B) {
	for _, suite := range SRTPSuites() {
		b.Run(suite.String()+"/send", func(b *testing.B) {
			s := srtpBenchStream(b, suite)
			b.ReportAllocs()
			for b.Loop() {
				s.send()
			}
			if s.Stats().PacketsSent == 0 {
				b.Fatal("nothing sent")
			}
		})
		b.Run(suite.String()+"/receive", func(b *testing.B) {
			s := srtpBenchStream(b, suite)
			peer, err := newSRTPContext(suite, testKey(2), false)
			if err != nil {
				b.Fatal(err)
			}
			var p packetizer
			p.init(PCMU, PCMU.NewEncoder(), 7)
			pcm := make([]int16, PCMU.FrameSamples())
			buf := make([]byte, maxPacket+srtpOverhead)
			var hdr rtp.Header
			from := s.cfg.Remote // the peer, as signalled
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				pkt, err := peer.EncryptRTP(buf[:0], p.audio(pcm, false), &hdr)
				if err != nil {
					b.Fatal(err)
				}
				p.hdr.Timestamp += p.tsStep
				now = now.Add(FrameDuration)
				s.receiveRTP(pkt, from, now)
				s.mu.Lock()
				s.jb.Pop(now)
				s.mu.Unlock()
			}
			if st := s.Stats(); st.Unauthenticated != 0 || st.PacketsReceived == 0 {
				b.Fatalf("%d received, %d unauthenticated", st.PacketsReceived, st.Unauthenticated)
			}
		})
	}
}

func srtpBenchStream(b *testing.B, suite SRTPSuite) *Stream {
	sink := listen(b)
	s, err := NewStream(StreamConfig{Conn: listen(b), Codec: PCMU, Remote: addrOf(sink), Source: newTableSource(8000, 440),
		SRTP: &SRTP{Suite: suite, Local: testKey(1), Remote: testKey(2)}})
	if err != nil {
		b.Fatal(err)
	}
	return s
}
