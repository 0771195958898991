package media

import "testing"

func TestConcealerFadesThenSilence(t *testing.T) {
	c := NewConcealer(160)
	good := dspSine(160, 8000, 400, -10)
	c.Good(good)
	dst := make([]int16, 160)
	var powers []float64
	for range concealFadeFrames + 2 {
		c.Conceal(dst)
		powers = append(powers, dspPower(dst))
	}
	// The first stand-in continues the last frame at full level.
	c2 := NewConcealer(160)
	c2.Good(good)
	c2.Conceal(dst)
	if !dspNear(dst[1], good[1]) || ToneRatio(dst, 8000, 400) < 0.9 {
		t.Errorf("first concealed frame is not the last frame repeated: %d vs %d", dst[1], good[1])
	}
	for i := 1; i < concealFadeFrames; i++ {
		if powers[i] >= powers[i-1] || powers[i] == 0 {
			t.Errorf("concealed frame %d power %.0f, not below %.0f", i, powers[i], powers[i-1])
		}
	}
	for i := concealFadeFrames; i < len(powers); i++ {
		if powers[i] != 0 {
			t.Errorf("concealed frame %d still has sound (%.0f)", i, powers[i])
		}
	}
	// A good frame ends the fade: the next loss repeats at full level again.
	c.Good(good)
	c.Conceal(dst)
	if !dspNear(dst[1], good[1]) {
		t.Error("after a good frame the concealment does not start at full level")
	}
}

func TestConcealerBeforeAnythingGood(t *testing.T) {
	c := NewConcealer(160)
	dst := dspSine(160, 8000, 400, -10)
	c.Conceal(dst)
	if dspPower(dst) != 0 {
		t.Error("concealment with no good frame yet is not silence")
	}
}

func TestConcealerAllocatesNothing(t *testing.T) {
	c := NewConcealer(320)
	good := dspSine(320, 16000, 400, -10)
	dst := make([]int16, 320)
	if a := testing.AllocsPerRun(100, func() { c.Good(good); c.Conceal(dst); c.Conceal(dst) }); a != 0 {
		t.Errorf("Good/Conceal: %v allocations", a)
	}
}

// dspNear: within 1 % (the fade has just begun).
func dspNear(got, want int16) bool {
	d := int(got) - int(want)
	return d*d*10000 <= int(want)*int(want)+1
}
