package media

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/lineupphone/lineup/assets"
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

// The hold music (assets/hold.wav) plays its notes in order and starts again after its rest, for
// ever, at a narrowband call's rate and at the file's own.
func TestHoldMusicLoops(t *testing.T) {
	for _, rate := range []int{8000, HoldMusicRate} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) { holdMusicLoops(t, rate) })
	}
}

func holdMusicLoops(t *testing.T, rate int) {
	m := NewHoldMusic(rate)
	var cycle time.Duration
	for _, n := range HoldNotes {
		cycle += n.Duration
	}
	pcm := make([]int16, int(2*cycle.Seconds()*float64(rate)))
	m.ReadFrame(pcm)
	at := func(d time.Duration) []int16 {
		i := int(d.Seconds() * float64(rate))
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

// The built-in hold music is HoldNotes as RenderNotes makes them: the file and the notes that
// describe it have not drifted apart (after changing the notes, run go generate ./assets).
func TestHoldMusicFileIsTheNotes(t *testing.T) {
	got, rate, err := DecodeWAV(bytes.NewReader(assets.HoldMusic))
	if err != nil {
		t.Fatal(err)
	}
	want := RenderNotes(HoldMusicRate, HoldNotes)
	if rate != HoldMusicRate || len(got) != len(want) {
		t.Fatalf("hold.wav: %d samples at %d Hz, want %d at %d", len(got), rate, len(want), HoldMusicRate)
	}
	for i := range want {
		if d := int(got[i]) - int(want[i]); d < -2 || d > 2 {
			t.Fatalf("hold.wav sample %d is %d, the notes give %d", i, got[i], want[i])
		}
	}
	if len(assets.HoldMusic) > 128<<10 {
		t.Errorf("hold.wav is %d bytes; keep the built-in sound small", len(assets.HoldMusic))
	}
}

// Playing the hold music allocates nothing per frame, and two held calls share its samples.
func TestHoldMusicPlaysWithoutAllocating(t *testing.T) {
	a, b := NewHoldMusic(8000), NewHoldMusic(8000)
	if &a.pcm[0] != &b.pcm[0] {
		t.Error("each hold music has its own copy of the samples")
	}
	frame := make([]int16, 160)
	if n := testing.AllocsPerRun(100, func() { a.ReadFrame(frame) }); n != 0 {
		t.Errorf("ReadFrame allocates %.0f times", n)
	}
}

func TestDecodeWAVRefusesWhatItCannotPlay(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not riff":  []byte("hello, this is not a wave file at all"),
		"truncated": assets.HoldMusic[:30],
	} {
		if _, _, err := DecodeWAV(bytes.NewReader(b)); !errors.Is(err, ErrWAV) {
			t.Errorf("%s: %v, want ErrWAV", name, err)
		}
	}
}
