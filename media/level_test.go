package media

import (
	"math"
	"testing"
)

func TestLevelOfTonesAndSilence(t *testing.T) {
	frame := func(rate int, spec ToneSpec) []int16 {
		pcm := make([]int16, rate/50)
		NewTone(rate, spec).ReadFrame(pcm)
		return pcm
	}
	for _, tc := range []struct {
		name string
		pcm  []int16
		want float64
	}{
		// A sine reads as its peak level: the level its ToneSpec was made at.
		{"1 kHz at 0 dBFS", frame(8000, ToneSpec{Freqs: []float64{1000}}), 0},
		{"1 kHz at -10 dBFS", frame(16000, ToneSpec{Freqs: []float64{1000}, Level: -10}), -10},
		{"425 Hz at -40 dBFS", frame(8000, ToneSpec{Freqs: []float64{425}, Level: -40}), -40},
		// Two equal sines carry twice the power of one: +3 dB.
		{"DTMF 5 (two tones at -10 dBFS)", frame(8000, DTMFTone('5')), -10 + 10*math.Log10(2)},
		// A full-scale square wave has twice a full-scale sine's power.
		{"full-scale square", func() []int16 {
			p := make([]int16, 160)
			for i := range p {
				p[i] = 32767
				if i%2 == 1 {
					p[i] = -32767
				}
			}
			return p
		}(), 10 * math.Log10(2)},
	} {
		if got := Level(tc.pcm); math.Abs(got-tc.want) > 0.1 {
			t.Errorf("%s: %.2f dBFS, want %.2f", tc.name, got, tc.want)
		}
	}
	for name, pcm := range map[string][]int16{
		"silence":    make([]int16, 160),
		"no samples": nil,
	} {
		if got := Level(pcm); got != MinLevel {
			t.Errorf("%s: %.2f dBFS, want MinLevel %.0f", name, got, MinLevel)
		}
	}
	// The least-significant bit toggling: a square wave of amplitude 1.
	lsb := make([]int16, 160)
	for i := range lsb {
		lsb[i] = int16(1 - 2*(i%2))
	}
	if got, want := Level(lsb), 10*math.Log10(2/(32767.0*32767.0)); math.Abs(got-want) > 0.1 {
		t.Errorf("the lowest bit toggling: %.2f dBFS, want %.2f", got, want)
	}
	// The quietest 20 ms frame that is not silence still reads above MinLevel.
	quiet := make([]int16, 960)
	quiet[500] = -1
	if got := Level(quiet); got <= MinLevel || got > -110 {
		t.Errorf("one sample of -1 in 20 ms at 48 kHz: %.2f dBFS, want between MinLevel and -110", got)
	}
}

func TestLevelAllocatesNothing(t *testing.T) {
	pcm := make([]int16, 320)
	NewTone(16000, Ringtone).ReadFrame(pcm)
	if a := testing.AllocsPerRun(100, func() { _ = Level(pcm) }); a != 0 {
		t.Errorf("%v allocations per Level, want 0", a)
	}
}
