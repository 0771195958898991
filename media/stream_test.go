package media

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// sine is a FrameSource of a continuous tone at half scale.
type sine struct {
	rate  int
	freq  float64
	phase float64
}

func (s *sine) ReadFrame(pcm []int16) {
	step := 2 * math.Pi * s.freq / float64(s.rate)
	for i := range pcm {
		pcm[i] = int16(16000 * math.Sin(s.phase))
		s.phase = math.Mod(s.phase+step, 2*math.Pi)
	}
}

// recorder is a FrameSink that keeps every frame.
type recorder struct {
	mu     sync.Mutex
	frames [][]int16
}

func (r *recorder) WriteFrame(pcm []int16) {
	r.mu.Lock()
	r.frames = append(r.frames, append([]int16(nil), pcm...))
	r.mu.Unlock()
}

// last returns the last n frames joined.
func (r *recorder) last(n int) []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int16
	for _, f := range r.frames[max(0, len(r.frames)-n):] {
		out = append(out, f...)
	}
	return out
}

// listen binds a UDP socket on loopback, closed when the test ends.
func listen(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func addrOf(c net.PacketConn) netip.AddrPort {
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// running is a stream whose Run runs in a goroutine until stop.
type running struct {
	*Stream
	cancel context.CancelFunc
	done   chan error
}

// start runs s until the test ends (or stop is called).
func start(t testing.TB, cfg StreamConfig) *running {
	t.Helper()
	s, err := NewStream(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Stream: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop ends Run and returns its result; later calls return nil.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of its context ending")
		return nil
	}
}

// pair is two streams sending to each other over loopback.
type pair struct {
	a, b         *running
	sinkA, sinkB *recorder
	connA, connB *net.UDPConn
}

func startPair(t testing.TB, codec Codec, edit func(a, b *StreamConfig)) *pair {
	t.Helper()
	p := &pair{sinkA: &recorder{}, sinkB: &recorder{}, connA: listen(t), connB: listen(t)}
	ca := StreamConfig{Conn: p.connA, Remote: addrOf(p.connB), Codec: codec, Sink: p.sinkA}
	cb := StreamConfig{Conn: p.connB, Remote: addrOf(p.connA), Codec: codec, Sink: p.sinkB}
	if edit != nil {
		edit(&ca, &cb)
	}
	p.a, p.b = start(t, ca), start(t, cb)
	return p
}

// eventually polls cond every 10 ms until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStreamCarriesTonesBothWays(t *testing.T) {
	for _, c := range Codecs() {
		t.Run(c.Name, func(t *testing.T) {
			p := startPair(t, c, func(a, b *StreamConfig) {
				a.Source = &sine{rate: c.SampleRate, freq: 440}
				b.Source = &sine{rate: c.SampleRate, freq: 1000}
			})
			time.Sleep(700 * time.Millisecond)
			atB := p.sinkB.last(20) // the last 400 ms, well after the jitter buffer filled
			atA := p.sinkA.last(20)
			if r := ToneRatio(atB, c.SampleRate, 440); r < 0.5 {
				t.Errorf("B hears 440 Hz with ratio %.3f, want > 0.5", r)
			}
			if r := ToneRatio(atB, c.SampleRate, 1000); r > 0.1 {
				t.Errorf("B hears its own 1000 Hz with ratio %.3f, want < 0.1", r)
			}
			if r := ToneRatio(atA, c.SampleRate, 1000); r < 0.5 {
				t.Errorf("A hears 1000 Hz with ratio %.3f, want > 0.5", r)
			}
			if r := ToneRatio(atA, c.SampleRate, 440); r > 0.1 {
				t.Errorf("A hears its own 440 Hz with ratio %.3f, want < 0.1", r)
			}
			sa := p.a.Stats()
			// 700 ms is 35 frames; allow for scheduling on a busy machine.
			if sa.PacketsSent < 25 || sa.PacketsSent > 40 {
				t.Errorf("A sent %d packets in 700 ms, want about 35", sa.PacketsSent)
			}
			if sa.Codec != c.Name || sa.Lost != 0 || sa.RemoteAddr != addrOf(p.connB).String() {
				t.Errorf("A stats %+v", sa)
			}
			if err := p.a.stop(t); err != nil {
				t.Errorf("Run of A returned %v after cancel, want nil", err)
			}
		})
	}
}

func TestMutedSendsSilence(t *testing.T) {
	p := startPair(t, PCMU, func(a, b *StreamConfig) {
		a.Source = &sine{rate: 8000, freq: 440}
	})
	p.a.SetMuted(true)
	time.Sleep(400 * time.Millisecond)
	for _, v := range p.sinkB.last(10) {
		if v < -8 || v > 8 { // u-law's smallest steps around zero
			t.Fatalf("B hears sample %d while A is muted", v)
		}
	}
	p.a.SetMuted(false)
	time.Sleep(300 * time.Millisecond)
	if r := ToneRatio(p.sinkB.last(10), 8000, 440); r < 0.5 {
		t.Errorf("after unmute B hears 440 Hz with ratio %.3f", r)
	}
}

func TestSymmetricRTPLatchesToTheRealSource(t *testing.T) {
	announced := listen(t) // what B's SDP claims; B really sends from connB
	connA, connB := listen(t), listen(t)
	sinkB := &recorder{}
	a := start(t, StreamConfig{Conn: connA, Remote: addrOf(announced), Codec: PCMA,
		Source: &sine{rate: 8000, freq: 440}})
	b := start(t, StreamConfig{Conn: connB, Remote: addrOf(connA), Codec: PCMA, Sink: sinkB})

	eventually(t, 2*time.Second, "A never latched to B's real address", func() bool {
		return a.Stats().RemoteAddr == addrOf(connB).String()
	})
	time.Sleep(400 * time.Millisecond)
	if r := ToneRatio(sinkB.last(10), 8000, 440); r < 0.5 {
		t.Errorf("B hears A's 440 Hz with ratio %.3f after latching", r)
	}

	// A stranger sending with B's SSRC from elsewhere must not take the stream over.
	rogue := listen(t)
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: PCMA.PayloadType, SSRC: b.SSRC(),
		SequenceNumber: 1, Timestamp: 1}, Payload: make([]byte, 160)}
	raw, _ := pkt.Marshal()
	for range 3 {
		if _, err := rogue.WriteToUDPAddrPort(raw, addrOf(connA)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if got := a.Stats().RemoteAddr; got != addrOf(connB).String() {
		t.Errorf("after a stranger's packets with the same SSRC, A sends to %s, want %s", got, addrOf(connB))
	}
	rogue.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _, err := rogue.ReadFrom(make([]byte, 1500)); err == nil {
		t.Errorf("the stranger received a %d byte packet", n)
	}

	// The same SDP again (a re-INVITE that moves nothing) keeps the latched address.
	a.SetRemote(addrOf(announced))
	if got := a.Stats().RemoteAddr; got != addrOf(connB).String() {
		t.Errorf("after the same SDP again A sends to %s, want still %s", got, addrOf(connB))
	}
	// A new SDP address moves the stream, and latching may happen again.
	moved := listen(t)
	a.SetRemote(addrOf(moved))
	if got := a.Stats().RemoteAddr; got != addrOf(moved).String() {
		t.Errorf("after SetRemote A sends to %s", got)
	}
	eventually(t, time.Second, "A did not latch again after SetRemote", func() bool {
		return a.Stats().RemoteAddr == addrOf(connB).String()
	})
}

// frozen reports whether counter stays the same over 200 ms (after 60 ms to let packets in
// flight land).
func frozen(counter func() uint64) bool {
	time.Sleep(60 * time.Millisecond)
	before := counter()
	time.Sleep(200 * time.Millisecond)
	return counter() == before
}

func TestDirectionChanges(t *testing.T) {
	p := startPair(t, PCMU, func(a, b *StreamConfig) {
		a.InactivityTimeout = 300 * time.Millisecond
		b.InactivityTimeout = 300 * time.Millisecond
	})
	sentA := func() uint64 { return p.a.Stats().PacketsSent }
	sentB := func() uint64 { return p.b.Stats().PacketsSent }
	recvA := func() uint64 { return p.a.Stats().PacketsReceived }
	recvB := func() uint64 { return p.b.Stats().PacketsReceived }
	time.Sleep(100 * time.Millisecond)
	if frozen(sentA) || frozen(recvB) {
		t.Fatal("sendrecv: A sends nothing or B receives nothing")
	}

	// A holds: A sendonly, B recvonly (the answer). A keeps sending, B sends nothing.
	p.a.SetDirection(SendOnly)
	p.b.SetDirection(RecvOnly)
	if !frozen(sentB) {
		t.Error("recvonly B still sends")
	}
	if frozen(sentA) || frozen(recvB) {
		t.Error("sendonly A stopped sending, or B stopped receiving")
	}
	if !frozen(recvA) {
		t.Error("sendonly A still takes packets")
	}

	// Both inactive for longer than the inactivity timeout: nothing flows, and no timeout.
	p.a.SetDirection(Inactive)
	p.b.SetDirection(Inactive)
	if !frozen(sentA) || !frozen(sentB) {
		t.Error("inactive streams still send")
	}
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-p.a.done:
		t.Fatalf("A ended with %v while inactive", err)
	case err := <-p.b.done:
		t.Fatalf("B ended with %v while inactive", err)
	default:
	}

	// Resume both ways.
	p.a.SetDirection(SendRecv)
	p.b.SetDirection(SendRecv)
	if frozen(sentA) || frozen(sentB) || frozen(recvA) || frozen(recvB) {
		t.Error("after resume packets do not flow both ways")
	}
	if d := p.a.Direction(); d != SendRecv {
		t.Errorf("Direction() = %v", d)
	}
	if err := p.a.stop(t); err != nil {
		t.Errorf("Run of A returned %v, want nil", err)
	}
}

func TestDTMFDigitsArriveOnceInOrder(t *testing.T) {
	var mu sync.Mutex
	var got []rune
	p := startPair(t, G722, func(a, b *StreamConfig) {
		a.EventPT, b.EventPT = 101, 101
		b.OnDTMF = func(d rune) {
			mu.Lock()
			got = append(got, d)
			mu.Unlock()
		}
	})
	for _, d := range "1234*#" {
		if err := p.a.SendDTMF(d, 60*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	digits := func() string {
		mu.Lock()
		defer mu.Unlock()
		return string(got)
	}
	eventually(t, 3*time.Second, "not all six digits arrived", func() bool { return len(digits()) >= 6 })
	time.Sleep(200 * time.Millisecond) // duplicates would show up by now
	if d := digits(); d != "1234*#" {
		t.Errorf("B got digits %q, want %q", d, "1234*#")
	}
	if err := p.a.SendDTMF('x', 0); err == nil {
		t.Error("SendDTMF('x') succeeded")
	}
}

func TestSendDTMFWithoutTelephoneEvent(t *testing.T) {
	s, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendDTMF('1', 0); !errors.Is(err, ErrNoTelephoneEvent) {
		t.Errorf("SendDTMF without telephone-event = %v, want ErrNoTelephoneEvent", err)
	}
	s2, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU, EventPT: 101, Direction: RecvOnly})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.SendDTMF('1', 0); !errors.Is(err, ErrNotSending) {
		t.Errorf("SendDTMF while recvonly = %v, want ErrNotSending", err)
	}
}

// readRTP reads RTP packets from c until d passes.
func readRTP(t *testing.T, c *net.UDPConn, d time.Duration) []rtp.Packet {
	t.Helper()
	var out []rtp.Packet
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(d))
	for {
		n, err := c.Read(buf)
		if err != nil {
			return out
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatalf("stream sent a packet that is not RTP: %v", err)
		}
		out = append(out, p)
	}
}

func TestDTMFOnTheWire(t *testing.T) {
	peer := listen(t)
	s := start(t, StreamConfig{Conn: listen(t), Remote: addrOf(peer), Codec: PCMU, EventPT: 96})
	time.Sleep(60 * time.Millisecond)
	if err := s.SendDTMF('5', 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	pkts := readRTP(t, peer, 500*time.Millisecond)
	if len(pkts) < 20 {
		t.Fatalf("got %d packets in 500 ms", len(pkts))
	}
	if !pkts[0].Marker {
		t.Error("the first audio packet has no marker bit")
	}
	var events []rtp.Packet
	first, last := -1, -1
	for i, p := range pkts {
		if i > 0 && p.SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Errorf("sequence jumps from %d to %d", pkts[i-1].SequenceNumber, p.SequenceNumber)
		}
		if p.SSRC != s.SSRC() {
			t.Errorf("packet SSRC %x, want %x", p.SSRC, s.SSRC())
		}
		if p.PayloadType == 96 {
			if first < 0 {
				first = i
			}
			last = i
			events = append(events, p)
		} else if p.PayloadType != PCMU.PayloadType {
			t.Errorf("payload type %d", p.PayloadType)
		}
	}
	// 100 ms is 5 frames: 4 packets in progress, then the end packet three times.
	if len(events) != 7 || last-first+1 != 7 {
		t.Fatalf("got %d event packets (contiguous: %v), want 7", len(events), last-first+1 == len(events))
	}
	for i, p := range events {
		ev, err := UnmarshalTelephoneEvent(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Event != 5 || p.Timestamp != events[0].Timestamp {
			t.Errorf("event packet %d: event %d ts %d, want event 5 ts %d", i, ev.Event, p.Timestamp, events[0].Timestamp)
		}
		if p.Marker != (i == 0) {
			t.Errorf("event packet %d marker %v", i, p.Marker)
		}
		wantDur := uint16(min(i+1, 5) * 160)
		if ev.Duration != wantDur || ev.End != (i >= 4) {
			t.Errorf("event packet %d: duration %d end %v, want %d %v", i, ev.Duration, ev.End, wantDur, i >= 4)
		}
	}
	if last+1 >= len(pkts) || !pkts[last+1].Marker || pkts[last+1].PayloadType != PCMU.PayloadType {
		t.Error("the audio after the event does not start with a marker bit")
	} else if pkts[last+1].Timestamp-pkts[last].Timestamp != 7*160 {
		t.Errorf("audio resumes %d timestamp units after the event start, want %d",
			pkts[last+1].Timestamp-pkts[last].Timestamp, 7*160)
	}
	if pkts[first-1].Timestamp+160 != events[0].Timestamp {
		t.Errorf("event timestamp %d does not follow the audio (%d)", events[0].Timestamp, pkts[first-1].Timestamp)
	}
}

func TestInactivityTimeout(t *testing.T) {
	silent := listen(t) // the peer sends nothing
	began := time.Now()
	s := start(t, StreamConfig{Conn: listen(t), Remote: addrOf(silent), Codec: PCMU,
		InactivityTimeout: 300 * time.Millisecond})
	select {
	case err := <-s.done:
		close(s.done)
		if !errors.Is(err, ErrInactive) {
			t.Fatalf("Run returned %v, want ErrInactive", err)
		}
		if took := time.Since(began); took < 300*time.Millisecond || took > 1500*time.Millisecond {
			t.Errorf("timeout of 300 ms ended Run after %v", took)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no inactivity timeout within 3 s")
	}

	// With packets flowing the same timeout never fires.
	p := startPair(t, PCMU, func(a, b *StreamConfig) {
		a.InactivityTimeout = 300 * time.Millisecond
		b.InactivityTimeout = 300 * time.Millisecond
	})
	time.Sleep(time.Second)
	for _, r := range []*running{p.a, p.b} {
		select {
		case err := <-r.done:
			t.Fatalf("Run ended with %v while packets flowed", err)
		default:
		}
	}
	// And when the peer stops, it does.
	p.b.stop(t)
	select {
	case err := <-p.a.done:
		close(p.a.done)
		if !errors.Is(err, ErrInactive) {
			t.Fatalf("Run returned %v after the peer stopped, want ErrInactive", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no inactivity timeout within 3 s after the peer stopped")
	}
}

// inject sends RTP packets to a stream from a raw socket.
type injector struct {
	t    *testing.T
	conn *net.UDPConn
	to   netip.AddrPort
}

func (in injector) send(ssrc uint32, pt uint8, seq uint16) {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SSRC: ssrc, SequenceNumber: seq,
		Timestamp: uint32(seq) * 160}, Payload: make([]byte, 160)}
	raw, err := p.Marshal()
	if err != nil {
		in.t.Fatal(err)
	}
	if _, err := in.conn.WriteToUDPAddrPort(raw, in.to); err != nil {
		in.t.Fatal(err)
	}
}

func TestLossForeignPayloadAndSSRCChange(t *testing.T) {
	conn := listen(t)
	peer := listen(t)
	s := start(t, StreamConfig{Conn: conn, Remote: addrOf(peer), Codec: PCMU})
	in := injector{t, peer, addrOf(conn)}
	// 50 packets of which every fifth is missing: 40 arrive, 10 lost.
	for i := range uint16(50) { // across the wrap of the sequence number
		seq := 65530 + i
		if i%5 != 2 {
			in.send(0xabc, PCMU.PayloadType, seq)
		}
	}
	in.send(0xabc, 18, 7)    // G.729: not negotiated
	in.send(0xdef, 0, 65000) // another source while the first still talks
	eventually(t, time.Second, "the stream did not take the packets", func() bool {
		st := s.Stats()
		return st.PacketsReceived+st.Dropped >= 42
	})
	st := s.Stats()
	if st.PacketsReceived != 40 || st.Dropped != 2 {
		t.Errorf("received %d dropped %d, want 40 and 2", st.PacketsReceived, st.Dropped)
	}
	if st.Lost != 10 || math.Abs(st.LossPercent-20) > 0.01 {
		t.Errorf("lost %d (%.2f %%), want 10 (20 %%)", st.Lost, st.LossPercent)
	}
	// When the first source has gone quiet, a new SSRC (the peer restarted) is taken.
	time.Sleep(2 * ssrcSwitchAfter)
	for seq := uint16(100); seq < 110; seq++ {
		in.send(0xdef, PCMU.PayloadType, seq)
	}
	eventually(t, time.Second, "the new source was not taken", func() bool {
		return s.Stats().PacketsReceived == 50
	})
	if st := s.Stats(); st.Lost != 0 || st.Dropped != 2 {
		t.Errorf("after the source changed: lost %d dropped %d, want 0 and 2", st.Lost, st.Dropped)
	}
}

func TestNewStreamRejectsBadConfig(t *testing.T) {
	cases := map[string]StreamConfig{
		"no conn":       {Codec: PCMU},
		"no codec":      {Conn: listen(t)},
		"event pt = 0?": {Conn: listen(t), Codec: PCMU, EventPT: 200},
		"direction":     {Conn: listen(t), Codec: PCMU, Direction: Direction(7)},
	}
	for name, cfg := range cases {
		if _, err := NewStream(cfg); err == nil {
			t.Errorf("%s: NewStream accepted %+v", name, cfg)
		}
	}
}

func TestRunTwice(t *testing.T) {
	s, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run with an ended context = %v", err)
	}
	if err := s.Run(context.Background()); !errors.Is(err, ErrStreamRunning) {
		t.Errorf("second Run = %v, want ErrStreamRunning", err)
	}
}

func TestComfortNoiseKeepsTheStreamAlive(t *testing.T) {
	conn, peer := listen(t), listen(t)
	s := start(t, StreamConfig{Conn: conn, Remote: addrOf(peer), Codec: PCMU,
		InactivityTimeout: 300 * time.Millisecond})
	in := injector{t, peer, addrOf(conn)}
	in.send(0x77, PCMU.PayloadType, 1) // speech, then only comfort noise (PT 13)
	for seq := uint16(2); seq < 15; seq++ {
		time.Sleep(60 * time.Millisecond)
		in.send(0x77, 13, seq)
	}
	select {
	case err := <-s.done:
		t.Fatalf("Run ended with %v while comfort noise arrived", err)
	default:
	}
	eventually(t, time.Second, "the comfort noise packets were not read", func() bool {
		st := s.Stats()
		return st.PacketsReceived+st.Dropped >= 14
	})
	if st := s.Stats(); st.PacketsReceived != 1 || st.Dropped != 13 {
		t.Errorf("received %d dropped %d, want 1 and 13 (comfort noise is not played)", st.PacketsReceived, st.Dropped)
	}
}

func TestNoRTPToAnUnspecifiedAddress(t *testing.T) {
	s := start(t, StreamConfig{Conn: listen(t), Remote: netip.MustParseAddrPort("0.0.0.0:4000"), Codec: PCMU,
		InactivityTimeout: -1})
	time.Sleep(200 * time.Millisecond)
	if st := s.Stats(); st.PacketsSent != 0 {
		t.Errorf("sent %d packets to 0.0.0.0 (old-style hold)", st.PacketsSent)
	}
}

// A stream started without an inactivity timeout (early media) gets one later, counted from then.
func TestSetInactivityTimeoutStartsAfresh(t *testing.T) {
	a, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	s, err := NewStream(StreamConfig{Conn: a, Remote: peer.LocalAddr().(*net.UDPAddr).AddrPort(),
		Codec: PCMU, Direction: SendRecv, InactivityTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- s.Run(ctx) }()
	time.Sleep(600 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Run ended without a timeout: %v", err)
	default:
	}
	s.SetInactivityTimeout(300 * time.Millisecond)
	err = <-done
	if !errors.Is(err, ErrInactive) {
		t.Fatalf("Run: %v, want ErrInactive", err)
	}
	if took := time.Since(start); took < 850*time.Millisecond {
		t.Fatalf("timed out after %v: the timeout must count from when it was set", took)
	}
}
