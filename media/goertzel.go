package media

import "math"

// GoertzelPower is the power of pcm at one frequency, measured with the Goertzel algorithm (a
// single DFT term, for any frequency, not only a bin centre). It is scaled as mean-square sample
// power: a sine of amplitude A at exactly freq gives about A²/2 (the sine's own power), so it can be
// compared with the signal's total power. Shorter blocks give a wider filter: a block of N samples
// resolves about sampleRate/N Hz.
func GoertzelPower(pcm []int16, sampleRate int, freq float64) float64 {
	n := len(pcm)
	if n == 0 || sampleRate <= 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/float64(sampleRate))
	var s1, s2 float64
	for _, x := range pcm {
		s := float64(x) + coeff*s1 - s2
		s2, s1 = s1, s
	}
	mag2 := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * mag2 / (float64(n) * float64(n))
}

// ToneRatio is the share of pcm's power that lies at freq: about 1 for a pure sine at freq, about
// 0.5 for each tone of an equal dual tone, near 0 when freq is absent. It is 0 for silence and never
// above 1. Tests use it to show that a tone crossed a call.
func ToneRatio(pcm []int16, sampleRate int, freq float64) float64 {
	var total float64
	for _, x := range pcm {
		total += float64(x) * float64(x)
	}
	if total == 0 {
		return 0
	}
	total /= float64(len(pcm))
	return min(GoertzelPower(pcm, sampleRate, freq)/total, 1)
}
