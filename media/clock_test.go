package media

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestClockStopEndsRun(t *testing.T) {
	c := NewClock()
	s := start(t, StreamConfig{Conn: listen(t), Remote: addrOf(listen(t)), Codec: PCMU, Clock: c})
	eventually(t, time.Second, "the clock does not drive the stream", func() bool { return s.Stats().PacketsSent > 2 })
	c.Stop()
	select {
	case err := <-s.done:
		close(s.done)
		if !errors.Is(err, ErrClockStopped) {
			t.Errorf("Run returned %v after Stop, want ErrClockStopped", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run still runs after its clock stopped")
	}
	s2, err := NewStream(StreamConfig{Conn: listen(t), Codec: PCMU, Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Run(context.Background()); !errors.Is(err, ErrClockStopped) {
		t.Errorf("Run on a stopped clock = %v", err)
	}
	c.Stop() // twice is fine
}

func TestClockKeepsTheFrameRate(t *testing.T) {
	c := NewClock()
	t.Cleanup(c.Stop)
	peer := listen(t)
	s := start(t, StreamConfig{Conn: listen(t), Remote: addrOf(peer), Codec: PCMU, Clock: c})
	pkts := readRTP(t, peer, 200*time.Millisecond) // warm up
	began := time.Now()
	pkts = readRTP(t, peer, time.Second)
	n := len(pkts)
	took := time.Since(began)
	if want := int(took / FrameDuration); n < want-3 || n > want+3 {
		t.Errorf("%d packets in %v, want %d", n, took, want)
	}
	for i := 1; i < n; i++ {
		if d := pkts[i].Timestamp - pkts[i-1].Timestamp; d != 160 {
			t.Fatalf("timestamp steps by %d, want 160", d)
		}
	}
	s.stop(t)
}

// TestRunLeavesNoGoroutines checks that Run stops all it started, and that the clock's goroutine
// ends with the last stream.
func TestRunLeavesNoGoroutines(t *testing.T) {
	p := startPair(t, G722, func(a, b *StreamConfig) {
		a.RTCPConn, b.RTCPConn = listen(t), listen(t)
		a.RemoteRTCP, b.RemoteRTCP = addrOf(b.RTCPConn), addrOf(a.RTCPConn)
		a.EventPT, b.EventPT = 101, 101
	})
	time.Sleep(200 * time.Millisecond)
	if err := p.a.SendDTMF('9', 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	p.a.stop(t)
	p.b.stop(t)
	goleak.VerifyNone(t)
}
