package media

import (
	"math"
	"testing"
	"time"
)

func TestChimeFadesInAndOut(t *testing.T) {
	const rate = 16000
	c := NewChime(rate)
	pcm := make([]int16, int(ChimeLength.Seconds()*rate)+rate/50)
	for off := 0; off < len(pcm); off += rate / 50 {
		c.ReadFrame(pcm[off : off+rate/50])
	}
	sound := int(ChimeLength.Seconds() * rate)
	if pcm[0] != 0 || math.Abs(float64(pcm[sound-1])) > 50 {
		t.Errorf("the chime starts at %d and ends at %d: want both near 0 (no click)", pcm[0], pcm[sound-1])
	}
	for i, v := range pcm[sound:] {
		if v != 0 {
			t.Fatalf("sample %d after the chime is %d, want silence", sound+i, v)
		}
	}
	if l := Level(pcm[:sound]); l < ChimeLevel-4 || l > ChimeLevel {
		t.Errorf("the chime plays at %.1f dBFS, want a little below its notes' %d dBFS", l, ChimeLevel)
	}
	var total time.Duration
	for _, n := range ChimeNotes {
		total += n.Duration
	}
	if total != ChimeLength {
		t.Errorf("the notes last %v, ChimeLength says %v", total, ChimeLength)
	}
}

// The hold music plays its notes in order and starts again after its rest, for ever.
func TestHoldMusicLoops(t *testing.T) {
	const rate = 8000
	m := NewHoldMusic(rate)
	var cycle time.Duration
	for _, n := range HoldNotes {
		cycle += n.Duration
	}
	pcm := make([]int16, int(2*cycle.Seconds()*rate))
	m.ReadFrame(pcm)
	at := func(d time.Duration) []int16 {
		i := int(d.Seconds() * rate)
		return pcm[i : i+rate/20]
	}
	for round := range 2 {
		start := time.Duration(round) * cycle
		var off time.Duration
		for _, n := range HoldNotes {
			mid := at(start + off + n.Duration/2 - 25*time.Millisecond)
			if n.Freq == 0 {
				for _, x := range mid {
					if x != 0 {
						t.Fatalf("round %d: the rest is not silent", round)
					}
				}
			} else if r := ToneRatio(mid, rate, n.Freq); r < 0.9 {
				t.Errorf("round %d: the middle of the %.0f Hz note holds it at %.2f", round, n.Freq, r)
			}
			off += n.Duration
		}
	}
}
