package media

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// dspPkt is one RTP packet of a simulated stream: the id-th frame, arriving at.
type dspPkt struct {
	id  int
	seq uint16
	ts  uint32
	at  time.Duration
}

// dspOut is what one tick played: the status, and for a frame its id and how long it waited.
type dspOut struct {
	st    PopStatus
	id    int
	wait  time.Duration
	delay time.Duration // the target delay after this tick
}

// dspStream is n packets of a 20 ms stream sent from seq0/ts0 and arriving exactly every 20 ms.
func dspStream(n int, seq0 uint16, ts0 uint32) []dspPkt {
	p := make([]dspPkt, n)
	for i := range p {
		p[i] = dspPkt{id: i, seq: seq0 + uint16(i), ts: ts0 + uint32(i)*160, at: time.Duration(i) * FrameDuration}
	}
	return p
}

var dspEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// dspPlay pushes the packets as they arrive and pops at every tick (phase + k*20 ms), like a
// stream's receive loop and clock would.
func dspPlay(t testing.TB, jb *JitterBuffer, pkts []dspPkt, phase time.Duration, ticks int) []dspOut {
	pkts = slices.Clone(pkts)
	slices.SortStableFunc(pkts, func(a, b dspPkt) int { return int(a.at - b.at) })
	arrival := map[int]time.Duration{}
	payload := make([]byte, 160)
	out := make([]dspOut, 0, ticks)
	next := 0
	for k := range ticks {
		now := phase + time.Duration(k)*FrameDuration
		for ; next < len(pkts) && pkts[next].at <= now; next++ {
			p := pkts[next]
			binary.BigEndian.PutUint32(payload, uint32(p.id))
			if _, seen := arrival[p.id]; !seen {
				arrival[p.id] = p.at
			}
			jb.Push(p.seq, p.ts, payload, dspEpoch.Add(p.at))
		}
		b, st := jb.Pop(dspEpoch.Add(now))
		o := dspOut{st: st, id: -1, delay: jb.Delay()}
		if st == PopFrame {
			if len(b) != 160 {
				t.Fatalf("tick %d: payload of %d bytes", k, len(b))
			}
			o.id = int(binary.BigEndian.Uint32(b))
			o.wait = now - arrival[o.id]
		}
		out = append(out, o)
	}
	return out
}

// dspPlayed is the ids of the frames played, with -1 for each PopMissing; PopEmpty is left out.
func dspPlayed(out []dspOut) []int {
	var ids []int
	for _, o := range out {
		if o.st != PopEmpty {
			ids = append(ids, o.id)
		}
	}
	return ids
}

func dspSeq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestJitterInOrder(t *testing.T) {
	jb := NewJitterBuffer(PCMU)
	out := dspPlay(t, jb, dspStream(50, 1000, 5000), 5*time.Millisecond, 60)
	if got := dspPlayed(out)[:50]; !slices.Equal(got, dspSeq(0, 50)) {
		t.Errorf("played %v", got)
	}
	if out[0].st != PopFrame || out[0].wait != 5*time.Millisecond {
		t.Errorf("first tick %+v: the first frame should play at the first tick after it came", out[0])
	}
	st := jb.Stats()
	if st.Received != 50 || st.Lost != 0 || st.Late != 0 || st.Duplicate != 0 || st.Jitter != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterLostPacketIsMissingExactlyThere(t *testing.T) {
	pkts := dspStream(30, 7, 0)
	pkts = slices.Delete(pkts, 12, 13) // frame 12 never arrives
	jb := NewJitterBuffer(PCMA)
	got := dspPlayed(dspPlay(t, jb, pkts, 3*time.Millisecond, 30))
	want := append(dspSeq(0, 12), -1)
	want = append(want, dspSeq(13, 30)...)
	if !slices.Equal(got, want) {
		t.Errorf("played %v\nwant   %v", got, want)
	}
	if st := jb.Stats(); st.Lost != 1 || st.Concealed != 1 || st.Late != 0 {
		t.Errorf("stats %+v, want 1 lost and 1 concealed", st)
	}
}

func TestJitterReorderedAndDuplicate(t *testing.T) {
	pkts := dspStream(30, 100, 1<<20)
	// Frame 11 overtakes frame 10 (both before the tick of 10); frame 20 comes twice.
	pkts[10].at, pkts[11].at = pkts[10].at+2*time.Millisecond, pkts[10].at
	pkts = append(pkts, dspPkt{id: 20, seq: pkts[20].seq, ts: pkts[20].ts, at: pkts[21].at})
	jb := NewJitterBuffer(G722)
	got := dspPlayed(dspPlay(t, jb, pkts, 15*time.Millisecond, 30))
	if !slices.Equal(got, dspSeq(0, 30)) {
		t.Errorf("played %v", got)
	}
	if st := jb.Stats(); st.Duplicate != 1 || st.Received != 30 || st.Lost != 0 || st.Concealed != 0 {
		t.Errorf("stats %+v, want 30 received and 1 duplicate", st)
	}
}

func TestJitterLatePacketIsDroppedAndCounted(t *testing.T) {
	pkts := dspStream(40, 0, 0)
	pkts[10].at += 35 * time.Millisecond // after its tick and the next one
	jb := NewJitterBuffer(PCMU)
	got := dspPlayed(dspPlay(t, jb, pkts, 5*time.Millisecond, 40))
	if got[10] != -1 || slices.Contains(got, 10) {
		t.Errorf("late frame 10 played or not concealed: %v", got)
	}
	if !slices.Equal(got[:10], dspSeq(0, 10)) || !slices.Equal(got[11:13], []int{11, 12}) {
		t.Errorf("played %v", got)
	}
	st := jb.Stats()
	if st.Late != 1 || st.Lost != 0 || st.Received != 40 {
		t.Errorf("stats %+v, want 1 late, none lost", st)
	}
	if jb.Delay() <= FrameDuration {
		t.Errorf("delay %v after a late packet, want it raised above one frame", jb.Delay())
	}
}

func TestJitterWrapAround(t *testing.T) {
	// Sequence numbers and timestamps both wrap in the middle of the stream.
	pkts := dspStream(40, 65530, ^uint32(0)-160*20+1)
	pkts = slices.Delete(pkts, 8, 9) // seq 65535 lost, right at the wrap
	jb := NewJitterBuffer(PCMU)
	got := dspPlayed(dspPlay(t, jb, pkts, 10*time.Millisecond, 40))
	want := append(dspSeq(0, 8), -1)
	want = append(want, dspSeq(9, 40)...)
	if !slices.Equal(got, want) {
		t.Errorf("played %v\nwant   %v", got, want)
	}
	if st := jb.Stats(); st.Lost != 1 || st.Late != 0 || st.Duplicate != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterTalkSpurtAfterGap(t *testing.T) {
	// 1 s of speech, 2 s of silence (nothing sent: silence suppression or hold), 1 s of speech.
	// Sequence numbers go on by one; the timestamp jumps by the silence (RFC 3551 4.1, marker).
	first := dspStream(50, 40000, 123456)
	second := dspStream(50, 40050, 123456+150*160)
	for i := range second {
		second[i].id += 50
		second[i].at += 3 * time.Second
	}
	jb := NewJitterBuffer(PCMU)
	out := dspPlay(t, jb, append(first, second...), 7*time.Millisecond, 200)
	var missing, empty int
	for _, o := range out[50:150] {
		switch o.st {
		case PopMissing:
			missing++
		case PopEmpty:
			empty++
		case PopFrame:
			t.Fatalf("a frame played during the silence: %+v", o)
		}
	}
	if missing > jbStopAfter || empty < 100-jbStopAfter {
		t.Errorf("during the silence: %d missing, %d empty; want the buffer idle after %d", missing, empty, jbStopAfter)
	}
	if got := dspPlayed(out[150:]); !slices.Equal(got, dspSeq(50, 100)) {
		t.Errorf("second talk spurt played %v", got)
	}
	if out[150].wait != 7*time.Millisecond {
		t.Errorf("second spurt started after %v, want the first tick after it came", out[150].wait)
	}
	if st := jb.Stats(); st.Late != 0 || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterShortSilenceKeepsTiming(t *testing.T) {
	// 100 ms of suppressed silence: shorter than the idle limit; the next spurt plays in time.
	first := dspStream(20, 1, 0)
	second := dspStream(20, 21, 25*160)
	for i := range second {
		second[i].id += 20
		second[i].at += 500 * time.Millisecond
	}
	jb := NewJitterBuffer(PCMU)
	got := dspPlayed(dspPlay(t, jb, append(first, second...), 4*time.Millisecond, 45))
	want := dspSeq(0, 20)
	for range 5 {
		want = append(want, -1)
	}
	want = append(want, dspSeq(20, 40)...)
	if !slices.Equal(got, want) {
		t.Errorf("played %v\nwant   %v", got, want)
	}
	if st := jb.Stats(); st.Late != 0 {
		t.Errorf("stats %+v", st)
	}
}

// dspJittered delays each packet by a random 0..spread (seeded).
func dspJittered(pkts []dspPkt, spread time.Duration, rng *rand.Rand) []dspPkt {
	for i := range pkts {
		pkts[i].at += time.Duration(rng.Int64N(int64(spread)))
	}
	return pkts
}

func TestJitterAdaptsToJitterAndBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const calm1, rough, calm2 = 250, 1500, 1500 // 5 s, 30 s, 30 s
	pkts := dspStream(calm1+rough+calm2, 555, 999)
	dspJittered(pkts[calm1:calm1+rough], 60*time.Millisecond, rng)

	ticks := calm1 + rough + calm2
	jb := NewJitterBuffer(PCMU)
	full := dspPlay(t, jb, pkts, 5*time.Millisecond, ticks)
	delays := []time.Duration{full[calm1-1].delay, full[calm1+rough-1].delay, full[ticks-1].delay}

	mean := func(o []dspOut) (wait time.Duration, missing float64) {
		var n int
		for _, x := range o {
			if x.st == PopFrame {
				wait += x.wait
				n++
			} else {
				missing++
			}
		}
		return wait / time.Duration(max(n, 1)), 100 * missing / float64(len(o))
	}
	w1, m1 := mean(full[50:calm1])
	w2, m2 := mean(full[calm1+rough-500 : calm1+rough])
	w3, m3 := mean(full[ticks-250:])
	t.Logf("delay target %v / %v / %v; mean wait %v / %v / %v; concealed %.1f%% / %.1f%% / %.1f%%",
		delays[0], delays[1], delays[2], w1, w2, w3, m1, m2, m3)
	if delays[0] != FrameDuration || w1 > 20*time.Millisecond || m1 != 0 {
		t.Errorf("calm start: target %v, wait %v, %.1f%% concealed; want one frame and nothing concealed", delays[0], w1, m1)
	}
	if delays[1] < 60*time.Millisecond || w2 < 30*time.Millisecond {
		t.Errorf("under 0-60 ms jitter: target %v, wait %v; want the delay grown to cover it", delays[1], w2)
	}
	if m2 > 5 {
		t.Errorf("under 0-60 ms jitter %.1f%% of frames concealed once adapted, want < 5%%", m2)
	}
	if delays[2] != FrameDuration || w3 > 20*time.Millisecond || m3 != 0 {
		t.Errorf("calm again: target %v, wait %v, %.1f%% concealed; want it back to one frame", delays[2], w3, m3)
	}
}

func TestJitterReportsRFC3550Jitter(t *testing.T) {
	// Every other packet 10 ms late: each transit difference is 10 ms, so J tends to 10 ms.
	pkts := dspStream(400, 0, 0)
	for i := range pkts {
		if i%2 == 1 {
			pkts[i].at += 10 * time.Millisecond
		}
	}
	jb := NewJitterBuffer(PCMU)
	dspPlay(t, jb, pkts, 15*time.Millisecond, 400)
	if j := jb.Stats().Jitter; j < 9*time.Millisecond || j > 11*time.Millisecond {
		t.Errorf("jitter %v, want about 10 ms", j)
	}
}

func TestJitterBufferAllocatesNothing(t *testing.T) {
	jb := NewJitterBuffer(G722)
	payload := make([]byte, 160)
	var seq uint16
	var ts uint32
	now := dspEpoch
	step := func() {
		jb.Push(seq, ts, payload, now)
		jb.Pop(now.Add(time.Millisecond))
		seq++
		ts += 160
		now = now.Add(FrameDuration)
	}
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Errorf("Push+Pop: %v allocations", a)
	}
}

func BenchmarkJitterBuffer(b *testing.B) {
	jb := NewJitterBuffer(PCMU)
	payload := make([]byte, 160)
	var seq uint16
	var ts uint32
	now := dspEpoch
	b.ReportAllocs()
	for b.Loop() {
		jb.Push(seq, ts, payload, now)
		jb.Pop(now.Add(time.Millisecond))
		seq++
		ts += 160
		now = now.Add(FrameDuration)
	}
}

// dspDelayWithoutJitter plays 60 s of a stream whose packets arrive exactly every 20 ms, once for
// each tick phase 0..19 ms against the arrivals, and returns the mean and the largest time a
// frame waited in the buffer between its arrival and its tick.
func dspDelayWithoutJitter(t testing.TB) (mean, worst time.Duration) {
	const n = 3000
	pkts := dspStream(n, 1, 1)
	var sum time.Duration
	var frames int
	for phase := time.Duration(0); phase < FrameDuration; phase += time.Millisecond {
		out := dspPlay(t, NewJitterBuffer(PCMU), pkts, phase, n)
		for _, o := range out {
			if o.st == PopMissing {
				t.Fatalf("phase %v: a frame was concealed without loss or jitter", phase)
			}
			if o.st == PopFrame {
				sum += o.wait
				frames++
				worst = max(worst, o.wait)
			}
		}
	}
	return sum / time.Duration(frames), worst
}

// dspConcealedShare plays 5 min of a stream losing the given share of packets at random (seeded)
// and delayed by a random 0..spread, and returns the percent of played ticks that were concealed
// and the percent of packets lost.
func dspConcealedShare(t testing.TB, loss float64, spread time.Duration, seed uint64) (concealed, lost float64) {
	const n = 15000
	rng := rand.New(rand.NewPCG(seed, seed+1))
	pkts := dspStream(n, 9, 9)
	if spread > 0 {
		dspJittered(pkts, spread, rng)
	}
	pkts = slices.DeleteFunc(pkts, func(dspPkt) bool { return rng.Float64() < loss })
	jb := NewJitterBuffer(PCMU)
	out := dspPlay(t, jb, pkts, 10*time.Millisecond, n)
	var missing, playing int
	for _, o := range out {
		if o.st != PopEmpty {
			playing++
		}
		if o.st == PopMissing {
			missing++
		}
	}
	return 100 * float64(missing) / float64(playing), 100 * float64(n-len(pkts)) / n
}

func TestJitterDelayWithoutNetworkJitter(t *testing.T) {
	mean, worst := dspDelayWithoutJitter(t)
	t.Logf("added delay without jitter: mean %v, worst %v", mean, worst)
	if mean > 30*time.Millisecond || worst >= FrameDuration {
		t.Errorf("added delay mean %v worst %v, want <= 30 ms and below one frame", mean, worst)
	}
}

func TestJitterConcealsOnlyTheLostFrames(t *testing.T) {
	concealed, lost := dspConcealedShare(t, 0.05, 0, 42)
	t.Logf("5 %% random loss: %.2f %% lost, %.2f %% concealed", lost, concealed)
	if concealed < lost-0.1 || concealed > lost+0.1 {
		t.Errorf("%.2f %% of frames concealed for %.2f %% lost, want the same share", concealed, lost)
	}
}

func BenchmarkJitterDelayNoJitter(b *testing.B) {
	var mean, worst time.Duration
	for b.Loop() {
		mean, worst = dspDelayWithoutJitter(b)
	}
	b.ReportMetric(float64(mean)/float64(time.Millisecond), "delay-ms")
	b.ReportMetric(float64(worst)/float64(time.Millisecond), "max-delay-ms")
}

func BenchmarkJitterConcealed5pctLoss(b *testing.B) {
	var concealed, concealedJ, lost float64
	for b.Loop() {
		concealed, lost = dspConcealedShare(b, 0.05, 0, 42)
		concealedJ, _ = dspConcealedShare(b, 0.05, 20*time.Millisecond, 42)
	}
	b.ReportMetric(lost, "lost-%")
	b.ReportMetric(concealed, "concealed-%")
	b.ReportMetric(concealedJ, "concealed-%-jitter20ms")
}
