package device

import (
	"testing"
	"time"
)

func TestRecorderRecordsInRealTime(t *testing.T) {
	s := openNull(t)
	caps, err := s.Capture()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", caps[0].ID} {
		r, err := s.OpenCapture(id, 16000)
		if err != nil {
			t.Fatalf("open capture %q: %v", id, err)
		}
		if fb, why := r.Fallback(); fb {
			t.Errorf("capture %q reported a fallback: %s", id, why)
		}
		p := make([]int16, 800) // 50 ms, as a level meter reads
		for i := range p {
			p[i] = 9
		}
		start := time.Now()
		got := 0
		for time.Since(start) < 300*time.Millisecond {
			time.Sleep(50 * time.Millisecond)
			t0 := time.Now()
			n := r.Latest(p)
			if el := time.Since(t0); el > blockLimit {
				t.Errorf("Latest took %v", el)
			}
			for _, v := range p[:n] {
				if v != 0 {
					t.Fatalf("the null microphone gave %d, want silence", v)
				}
			}
			got += n
		}
		elapsed := time.Since(start)
		// The device delivers about 16000 samples a second, and the meter got all of them but
		// for the last period or two (it reads more often than the queue fills up).
		want := 16000 * elapsed.Seconds()
		if c := float64(r.Captured()); c < 0.7*want || c > 1.3*want {
			t.Errorf("capture %q delivered %v samples in %v, want about %v", id, c, elapsed, want)
		}
		if float64(got) < 0.6*want {
			t.Errorf("Latest gave %d samples in %v, want about %v", got, elapsed, want)
		}
		r.Close()
		r.Close() // twice is fine
		time.Sleep(50 * time.Millisecond)
		if n := r.Latest(p); n != 0 {
			t.Errorf("Latest gave %d samples after Close", n)
		}
	}
}

func TestRecorderMissingDeviceFallsBack(t *testing.T) {
	s := openNull(t)
	r, err := s.OpenCapture("0badc0de", 8000)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if fb, why := r.Fallback(); !fb || why != `capture device "0badc0de" not found: using the system default` {
		t.Errorf("Fallback() = %v, %q", fb, why)
	}
	eventually(t, time.Second, "the default device does not record", func() bool { return r.Captured() > 0 })
	if _, err := s.OpenCapture("", 8001); err == nil {
		t.Error("8001 Hz accepted")
	}
}

func TestRecorderLatestKeepsNewest(t *testing.T) {
	r := newRecorder(8000)
	period := make([]byte, 2*160)
	for k := int16(1); k <= 3; k++ { // three periods: samples 1…, 2…, 3…
		in := samples(period)
		for i := range in {
			in[i] = k*1000 + int16(i)
		}
		r.process(nil, period, 160)
	}
	p := make([]int16, 100)
	if n := r.Latest(p); n != 100 || p[0] != 3060 || p[99] != 3159 {
		t.Fatalf("Latest gave %d samples %d…%d, want the newest 100: 3060…3159", n, p[0], p[99])
	}
	if n := r.Latest(p); n != 0 {
		t.Errorf("Latest gave %d samples with nothing new recorded", n)
	}
	r.process(nil, period, 160)
	big := make([]int16, 1000)
	if n := r.Latest(big); n != 160 || big[0] != 3000 {
		t.Errorf("Latest gave %d samples from %d, want the 160 new ones from 3000", n, big[0])
	}
	if a := testing.AllocsPerRun(500, func() {
		r.process(nil, period, 160)
		r.Latest(p)
	}); a != 0 {
		t.Errorf("%v allocations per period, want 0", a)
	}
}
