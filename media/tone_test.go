package media

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// dspFramesOn plays spec for d in 20 ms frames and reports which frames carry sound.
func dspFramesOn(rate int, spec ToneSpec, d time.Duration) (on []bool, frames [][]int16) {
	tone := NewTone(rate, spec)
	n := rate / 50
	for range int(d / FrameDuration) {
		pcm := make([]int16, n)
		tone.ReadFrame(pcm)
		frames = append(frames, pcm)
		on = append(on, dspPower(pcm) > 0)
	}
	return on, frames
}

func TestToneCadences(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spec    ToneSpec
		rate    int
		on, off time.Duration
		freqs   []float64
	}{
		{"ringback", Ringback, 8000, time.Second, 4 * time.Second, []float64{425}},
		{"busy", Busy, 16000, 500 * time.Millisecond, 500 * time.Millisecond, []float64{425}},
		{"ringtone", Ringtone, 8000, 2 * time.Second, 4 * time.Second, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			period := tc.on + tc.off
			on, frames := dspFramesOn(tc.rate, tc.spec, 2*period+tc.on)
			for k, got := range on {
				at := time.Duration(k) * FrameDuration
				if want := at%period < tc.on; got != want {
					t.Fatalf("frame at %v: sound %v, want %v", at, got, want)
				}
			}
			for _, f := range tc.freqs {
				if r := ToneRatio(frames[0], tc.rate, f); r < 0.9 {
					t.Errorf("%v Hz share %.2f, want > 0.9", f, r)
				}
			}
		})
	}
}

func TestToneCadenceEdgesWithinAFrame(t *testing.T) {
	// 10 ms frames against a 250 ms / 130 ms cadence: the switch falls inside frames; the sound
	// must start and stop at the right sample, so within one frame of the nominal time.
	spec := ToneSpec{Freqs: []float64{1000}, On: 250 * time.Millisecond, Off: 130 * time.Millisecond, Level: -10}
	tone := NewTone(8000, spec)
	all := make([]int16, 8000*2)
	for off := 0; off < len(all); off += 80 {
		tone.ReadFrame(all[off : off+80])
	}
	// Sample-exact check of the first period: 2000 samples on, 1040 off.
	lastOn, firstOff := -1, -1
	for i, s := range all[:3040] {
		if s != 0 {
			lastOn = i
		}
	}
	for i := 2000; i < 3040; i++ {
		if all[i] != 0 && firstOff == -1 {
			firstOff = i
		}
	}
	if lastOn < 1990 || lastOn > 1999 || firstOff != -1 {
		t.Errorf("first burst ends at sample %d (want 1990-1999), sound in the gap at %d", lastOn, firstOff)
	}
	if all[3040] != 0 || all[3041] == 0 {
		t.Errorf("second burst does not start at sample 3040: %d %d", all[3040], all[3041])
	}
}

func TestToneLevelAndReset(t *testing.T) {
	pcm := make([]int16, 8000)
	tone := NewTone(8000, Ringback)
	tone.ReadFrame(pcm)
	peak := 0.0
	for _, s := range pcm {
		peak = max(peak, math.Abs(float64(s)))
	}
	want := 32767 * math.Pow(10, -13.0/20)
	if math.Abs(peak-want) > want*0.01 {
		t.Errorf("peak %.0f, want %.0f (-13 dBFS)", peak, want)
	}
	// Now in the off part; Reset starts a burst again.
	tone.ReadFrame(pcm[:160])
	if dspPower(pcm[:160]) != 0 {
		t.Fatal("sound 1 s into the ringback")
	}
	tone.Reset()
	tone.ReadFrame(pcm[:160])
	if dspPower(pcm[:160]) == 0 {
		t.Error("no sound after Reset")
	}
}

func TestDTMFTonesDetectedByGoertzel(t *testing.T) {
	low := []float64{697, 770, 852, 941}
	high := []float64{1209, 1336, 1477, 1633}
	keys := []string{"123A", "456B", "789C", "*0#D"}
	for _, rate := range []int{8000, 16000} {
		for r, row := range keys {
			for c, digit := range row {
				pcm := make([]int16, rate/10) // 100 ms
				NewTone(rate, DTMFTone(digit)).ReadFrame(pcm)
				best := func(freqs []float64) (int, float64) {
					bi, bv := 0, 0.0
					for i, f := range freqs {
						if v := ToneRatio(pcm, rate, f); v > bv {
							bi, bv = i, v
						}
					}
					return bi, bv
				}
				li, lv := best(low)
				hi, hv := best(high)
				if li != r || hi != c || lv < 0.4 || hv < 0.4 {
					t.Errorf("%q at %d Hz: found %v Hz (%.2f) + %v Hz (%.2f), want %v + %v",
						digit, rate, low[li], lv, high[hi], hv, low[r], high[c])
				}
				for i, f := range append(append([]float64{}, low...), high...) {
					if i == r || i == 4+c {
						continue
					}
					if v := ToneRatio(pcm, rate, f); v > 0.05 {
						t.Errorf("%q: %v Hz share %.2f, want < 0.05", digit, f, v)
					}
				}
			}
		}
	}
	if s := DTMFTone('x'); len(s.Freqs) != 0 {
		t.Errorf("DTMFTone('x') = %+v, want no frequencies", s)
	}
	if s := DTMFTone('a'); len(s.Freqs) != 2 || s.Freqs[0] != 697 || s.Freqs[1] != 1633 {
		t.Errorf("DTMFTone('a') = %+v", s)
	}
}

func TestToneReadFrameAllocatesNothing(t *testing.T) {
	tone := NewTone(16000, Ringtone)
	pcm := make([]int16, 320)
	if a := testing.AllocsPerRun(200, func() { tone.ReadFrame(pcm) }); a != 0 {
		t.Errorf("ReadFrame: %v allocations", a)
	}
}

func TestGoertzelFindsToneInNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pcm := dspSine(8000, 8000, 440, -12)
	for i := range pcm {
		pcm[i] += int16(rng.NormFloat64() * 2000) // white noise about 6 dB below the tone
	}
	if r := ToneRatio(pcm, 8000, 440); r < 0.6 {
		t.Errorf("440 Hz share %.3f, want > 0.6", r)
	}
	if r := ToneRatio(pcm, 8000, 1000); r > 0.01 {
		t.Errorf("1000 Hz share %.3f, want < 0.01", r)
	}
	if p440, p1000 := GoertzelPower(pcm, 8000, 440), GoertzelPower(pcm, 8000, 1000); p440 < 100*p1000 {
		t.Errorf("power at 440 Hz %.0f not 20 dB above 1000 Hz %.0f", p440, p1000)
	}
	// A pure sine's power is A²/2.
	amp := 32767 * math.Pow(10, -12.0/20)
	if p := GoertzelPower(dspSine(8000, 8000, 440, -12), 8000, 440); math.Abs(p/(amp*amp/2)-1) > 0.01 {
		t.Errorf("power of a sine %.0f, want %.0f", p, amp*amp/2)
	}
	if r := ToneRatio(make([]int16, 160), 8000, 440); r != 0 {
		t.Errorf("silence has a 440 Hz share of %v", r)
	}
}
