package media

import "math"

// MinLevel is the lowest level Level gives: for silence, for no samples at all, and for anything
// quieter. The quietest 16-bit frame that is not silence (one sample of ±1 in 20 ms at 48 kHz)
// is about -117 dBFS.
const MinLevel = -120.0

// Level is the RMS level of pcm in dBFS, as ToneSpec.Level counts it: a full-scale sine (peak
// 32767) is 0 dBFS, a sine of half that amplitude -6 dBFS, a full-scale square wave +3 dBFS, the
// least-significant bit toggling -87 dBFS. Silence and an empty pcm give MinLevel, and nothing gives
// less. It allocates nothing, so a level meter
// may call it on every frame.
func Level(pcm []int16) float64 {
	if len(pcm) == 0 {
		return MinLevel
	}
	var sum float64
	for _, x := range pcm {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return MinLevel
	}
	// A sine of amplitude A has a mean square of A²/2: scale by 2 so that it reads as its peak.
	const fullScale = 32767.0
	ms := 2 * sum / float64(len(pcm))
	return max(MinLevel, 10*math.Log10(ms/(fullScale*fullScale)))
}
