package media

import "time"

// ChimeNote is one note of the test chime.
type ChimeNote struct {
	Freq     float64       // Hz
	Duration time.Duration // how long it sounds, fades included
}

// ChimeNotes are the test chime that the settings window plays on a playback device: two soft
// notes a fourth apart, E5 then A5. Their durations add up to ChimeLength.
var ChimeNotes = []ChimeNote{{659.25, 600 * time.Millisecond}, {880, 900 * time.Millisecond}}

const (
	// ChimeLength is how long the chime sounds: its notes' durations together.
	ChimeLength = 1500 * time.Millisecond
	// ChimeLevel is the notes' level in dBFS (as ToneSpec.Level).
	ChimeLevel = -12

	chimeFadeIn = 10 * time.Millisecond
	// chimeFadeOut is how long each note dies away at its end.
	chimeFadeOut = 250 * time.Millisecond
)

// HoldNotes are what a party held by Lineup hears, over and over: a soft rising and falling
// C major arpeggio (C5 E5 G5 E5) and a rest, written for Lineup (no recording, nothing to
// license). A note of frequency 0 is a rest. assets/hold.wav holds them rendered (RenderNotes);
// NewHoldMusic plays that file.
var HoldNotes = []ChimeNote{
	{523.25, 450 * time.Millisecond}, {659.25, 450 * time.Millisecond},
	{783.99, 450 * time.Millisecond}, {659.25, 450 * time.Millisecond},
	{0, 1200 * time.Millisecond},
}

// Chime is the test chime as a FrameSource: each note fades in and out, so that it starts and
// stops without a click; after the notes it gives silence. It is
// not safe for concurrent use.
type Chime struct {
	tones           []*Tone
	length          []int // samples per note
	fadeIn, fadeOut int
	note, pos       int // the note playing and the sample position in it
}

// NewChime makes the chime at sampleRate.
func NewChime(sampleRate int) *Chime { return newChime(sampleRate, ChimeNotes) }

func newChime(sampleRate int, notes []ChimeNote) *Chime {
	rate := float64(sampleRate)
	c := &Chime{fadeIn: int(chimeFadeIn.Seconds() * rate), fadeOut: int(chimeFadeOut.Seconds() * rate)}
	for _, n := range notes {
		c.tones = append(c.tones, NewTone(sampleRate, ToneSpec{Freqs: []float64{n.Freq}, Level: ChimeLevel}))
		c.length = append(c.length, int(n.Duration.Seconds()*rate))
	}
	return c
}

// ReadFrame implements FrameSource.
func (c *Chime) ReadFrame(pcm []int16) {
	for i := range pcm {
		if c.note >= len(c.tones) {
			clear(pcm[i:])
			return
		}
		c.tones[c.note].ReadFrame(pcm[i : i+1])
		gain := 1.0
		if c.pos < c.fadeIn {
			gain = float64(c.pos) / float64(c.fadeIn)
		} else if left := c.length[c.note] - c.pos; left < c.fadeOut {
			gain = float64(left) / float64(c.fadeOut)
			gain *= gain // dies away rather than stops
		}
		pcm[i] = int16(float64(pcm[i]) * gain)
		if c.pos++; c.pos == c.length[c.note] {
			c.note, c.pos = c.note+1, 0
		}
	}
}
