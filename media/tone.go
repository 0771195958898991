package media

import (
	"math"
	"time"
)

// ToneSpec describes a call-progress or signalling tone: one or more sine frequencies played
// together, switched on for On and off for Off in a repeating cadence. Off == 0 means a steady
// tone (On is then ignored).
type ToneSpec struct {
	// Freqs are the frequencies in Hz played together.
	Freqs []float64
	// On and Off are the cadence: sound for On, silence for Off, repeated.
	On, Off time.Duration
	// Level is the peak level of each frequency in dBFS (0 = a full-scale sine; -10 is a
	// comfortable level). The sum is clipped to 16 bits.
	Level float64
}

// The call-progress tones. Ringback and busy follow the European (CEPT, ETSI ES 201 970) 425 Hz
// cadences; the ringtone, which is played on the ringer device for an incoming call, is a soft
// major third that stands out from a ringback heard in a call.
var (
	// Ringback is heard by the caller while the far end rings: 425 Hz, 1 s on, 4 s off.
	Ringback = ToneSpec{Freqs: []float64{425}, On: time.Second, Off: 4 * time.Second, Level: -13}
	// Busy is heard when the far end is busy: 425 Hz, 0.5 s on, 0.5 s off.
	Busy = ToneSpec{Freqs: []float64{425}, On: 500 * time.Millisecond, Off: 500 * time.Millisecond, Level: -13}
	// Ringtone announces an incoming call: 523.25 Hz + 659.25 Hz (C5 and E5), 2 s on, 4 s off.
	Ringtone = ToneSpec{Freqs: []float64{523.25, 659.25}, On: 2 * time.Second, Off: 4 * time.Second, Level: -12}
	// CallWaiting is heard in a call while a second call rings: 425 Hz, 0.2 s on, 3 s off (the
	// CEPT call-waiting tone's single-burst form), soft enough to talk over.
	CallWaiting = ToneSpec{Freqs: []float64{425}, On: 200 * time.Millisecond, Off: 3 * time.Second, Level: -18}
)

// The DTMF frequency pairs of ITU-T Q.23: the row gives the low tone, the column the high tone.
var (
	dtmfLow  = [4]float64{697, 770, 852, 941}
	dtmfHigh = [4]float64{1209, 1336, 1477, 1633}
	dtmfKeys = [4][4]rune{
		{'1', '2', '3', 'A'},
		{'4', '5', '6', 'B'},
		{'7', '8', '9', 'C'},
		{'*', '0', '#', 'D'},
	}
)

// DTMFTone is the steady dual tone of a DTMF digit (ITU-T Q.23 pairs), for feedback while a key is
// pressed; the caller stops it when the key is released. Each tone is at -10 dBFS. A rune that is
// not a digit (0-9, *, #, A-D, a-d) gives a spec without frequencies, which plays silence.
func DTMFTone(digit rune) ToneSpec {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	for r, row := range dtmfKeys {
		for c, k := range row {
			if k == digit {
				return ToneSpec{Freqs: []float64{dtmfLow[r], dtmfHigh[c]}, Level: -10}
			}
		}
	}
	return ToneSpec{}
}

// maxToneFreqs is how many frequencies a Tone plays; a spec with more keeps the first ones.
const maxToneFreqs = 4

// Tone generates a ToneSpec as audio. It implements FrameSource: every ReadFrame gives the next
// len(pcm) samples of the cadence, without blocking or allocating. It is not safe for concurrent
// use.
type Tone struct {
	step   [maxToneFreqs]float64 // phase step per sample, in radians
	phase  [maxToneFreqs]float64
	nfreq  int
	amp    float64
	on     int // samples on per period
	period int // samples per period; 0 = steady
	pos    int // sample position in the period
}

// NewTone returns a generator for spec at sampleRate samples per second.
func NewTone(sampleRate int, spec ToneSpec) *Tone {
	t := &Tone{amp: 32767 * math.Pow(10, spec.Level/20)}
	for _, f := range spec.Freqs {
		if t.nfreq == maxToneFreqs {
			break
		}
		t.step[t.nfreq] = 2 * math.Pi * f / float64(sampleRate)
		t.nfreq++
	}
	if spec.Off > 0 {
		t.on = int(spec.On * time.Duration(sampleRate) / time.Second)
		t.period = t.on + int(spec.Off*time.Duration(sampleRate)/time.Second)
	}
	return t
}

// Reset starts the cadence again from the beginning of an on period.
func (t *Tone) Reset() {
	t.pos = 0
	t.phase = [maxToneFreqs]float64{}
}

// ReadFrame writes the next len(pcm) samples.
func (t *Tone) ReadFrame(pcm []int16) {
	for i := range pcm {
		if t.period > 0 {
			if t.pos == t.period {
				t.pos = 0
			}
			on := t.pos < t.on
			if t.pos == 0 {
				// Every burst starts at phase zero, so it begins without a click.
				t.phase = [maxToneFreqs]float64{}
			}
			t.pos++
			if !on {
				pcm[i] = 0
				continue
			}
		}
		var v float64
		for k := range t.nfreq {
			v += math.Sin(t.phase[k])
			t.phase[k] += t.step[k]
			if t.phase[k] >= 2*math.Pi {
				t.phase[k] -= 2 * math.Pi
			}
		}
		v *= t.amp
		pcm[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
}
