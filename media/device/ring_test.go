package device

import (
	"runtime"
	"sync"
	"testing"
)

func TestRingWriteReadWrapsAround(t *testing.T) {
	q := newRing(10)
	if q.Cap() != 16 {
		t.Fatalf("capacity %d, want 10 rounded up to 16", q.Cap())
	}
	out := make([]int16, 5)
	next := int16(1)
	want := int16(1)
	for round := 0; round < 20; round++ { // 100 samples through 16 slots: wraps many times
		in := []int16{next, next + 1, next + 2, next + 3, next + 4}
		next += 5
		if n := q.Write(in); n != 5 {
			t.Fatalf("round %d: wrote %d of 5", round, n)
		}
		if q.Len() != 5 {
			t.Fatalf("round %d: Len %d after writing 5", round, q.Len())
		}
		if n := q.Read(out); n != 5 {
			t.Fatalf("round %d: read %d of 5", round, n)
		}
		for i, s := range out {
			if s != want {
				t.Fatalf("round %d sample %d: got %d, want %d", round, i, s, want)
			}
			want++
		}
	}
	if st := q.Stats(); st != (ringStats{}) {
		t.Errorf("no overflow or underflow expected, got %+v", st)
	}
}

func TestRingOverflowDropsNewest(t *testing.T) {
	q := newRing(8)
	in := []int16{1, 2, 3, 4, 5, 6}
	q.Write(in)
	if n := q.Write([]int16{7, 8, 9, 10}); n != 2 {
		t.Fatalf("second write queued %d, want the 2 that fit", n)
	}
	st := q.Stats()
	if st.Overflows != 1 || st.Dropped != 2 {
		t.Errorf("overflows %d dropped %d, want 1 and 2", st.Overflows, st.Dropped)
	}
	out := make([]int16, 8)
	q.Read(out)
	for i, s := range out {
		if s != int16(i+1) { // oldest kept, 9 and 10 dropped
			t.Fatalf("after overflow got %v, want 1..8", out)
		}
	}
}

func TestRingUnderflowFillsSilence(t *testing.T) {
	q := newRing(8)
	q.Write([]int16{5, 6, 7})
	out := []int16{-1, -1, -1, -1, -1}
	if n := q.Read(out); n != 3 {
		t.Fatalf("read %d, want the 3 queued", n)
	}
	if out[0] != 5 || out[1] != 6 || out[2] != 7 || out[3] != 0 || out[4] != 0 {
		t.Errorf("got %v, want 5 6 7 then silence", out)
	}
	st := q.Stats()
	if st.Underflows != 1 || st.Silence != 2 {
		t.Errorf("underflows %d silence %d, want 1 and 2", st.Underflows, st.Silence)
	}
}

func TestRingDiscardDropsOldest(t *testing.T) {
	q := newRing(8)
	q.Write([]int16{1, 2, 3, 4, 5})
	if n := q.Discard(3); n != 3 {
		t.Fatalf("discarded %d, want 3", n)
	}
	out := make([]int16, 2)
	q.Read(out)
	if out[0] != 4 || out[1] != 5 {
		t.Errorf("got %v after discarding 3, want [4 5]", out)
	}
	if n := q.Discard(10); n != 0 {
		t.Errorf("discard on an empty ring dropped %d", n)
	}
}

func TestRingWriteSilence(t *testing.T) {
	q := newRing(8)
	q.Write([]int16{9, 9, 9, 9, 9, 9})
	out := make([]int16, 6)
	q.Read(out) // move the positions so the silence wraps
	if n := q.WriteSilence(5); n != 5 {
		t.Fatalf("queued %d of 5 silent samples", n)
	}
	out = []int16{-1, -1, -1, -1, -1}
	q.Read(out)
	for _, s := range out {
		if s != 0 {
			t.Fatalf("got %v, want silence", out)
		}
	}
}

// TestRingSPSC runs a producer and a consumer goroutine at full speed; every sample carries a
// sequence number, and the consumer must see them strictly in order with gaps only where the
// producer counted dropped samples. Run with -race.
func TestRingSPSC(t *testing.T) {
	q := newRing(256)
	const total = 200_000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]int16, 37)
		seq, writes := 0, 0
		for seq < total {
			n := min(len(buf), total-seq)
			for i := 0; i < n; i++ {
				buf[i] = int16(seq + i) // wraps every 65536, compared modulo below
			}
			// Mostly wait for room, but now and then write into a full ring to force overflows;
			// this keeps every gap far below 2^16 samples.
			for writes%50 != 0 && q.Cap()-q.Len() < n {
				runtime.Gosched()
			}
			writes++
			q.Write(buf[:n])
			seq += n
		}
	}()

	out := make([]int16, 53)
	var got, reads uint64
	seq := -1 // sequence number of the last sample received
	for got+q.Stats().Dropped < total {
		reads++
		n := q.Read(out)
		for i := 0; i < n; i++ {
			// Samples arrive in order; the sequence may skip only samples the producer has
			// counted as dropped (gap measured modulo 2^16 from the 16-bit sample).
			gap := int(uint16(out[i] - int16(seq)))
			seq += gap
			skipped := uint64(seq) + 1 - (got + uint64(i) + 1)
			if gap < 1 || skipped > q.Stats().Dropped {
				t.Fatalf("sample %d: sequence %d skips %d samples, producer dropped %d", got+uint64(i), seq, skipped, q.Stats().Dropped)
			}
		}
		for _, s := range out[n:] {
			if s != 0 {
				t.Fatalf("underflow filled %d, want silence", s)
			}
		}
		got += uint64(n)
	}
	wg.Wait()
	if rest := q.Len(); rest != 0 {
		t.Errorf("%d samples left in the ring", rest)
	}
	st := q.Stats()
	if skipped := uint64(seq) + 1 - got + (total - 1 - uint64(seq)); skipped != st.Dropped {
		t.Errorf("sequence skipped %d samples (counting those after the last received), producer dropped %d", skipped, st.Dropped)
	}
	if st.Overflows == 0 {
		t.Errorf("the producer forced overflows, none counted")
	}
	if got+st.Dropped != total {
		t.Errorf("received %d + dropped %d, want %d in all", got, st.Dropped, total)
	}
	if (st.Dropped == 0) != (st.Overflows == 0) {
		t.Errorf("dropped %d samples in %d overflows", st.Dropped, st.Overflows)
	}
	t.Logf("received %d, dropped %d in %d overflows, %d of %d reads short", got, st.Dropped, st.Overflows, st.Underflows, reads)
}

func TestRingAllocatesNothing(t *testing.T) {
	q := newRing(1024)
	in := make([]int16, 160)
	out := make([]int16, 160)
	allocs := testing.AllocsPerRun(1000, func() {
		q.Write(in)
		q.WriteSilence(10)
		q.Read(out)
		q.Discard(10)
		q.Read(out) // underflow
		_ = q.Len()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}
