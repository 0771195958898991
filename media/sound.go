package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/go-audio/wav"

	"github.com/lineupphone/lineup/assets"
)

// Sounds from files: 16-bit PCM WAV read as mono samples (go-audio/wav), resampled to a call's
// rate and played in a loop. The hold music is one, built into the binary from assets/.

// ErrWAV is wrapped when a WAV file cannot be played.
var ErrWAV = errors.New("unplayable wav")

// DecodeWAV reads a 16-bit PCM WAV file as mono samples (channels averaged) and its rate.
func DecodeWAV(r io.ReadSeeker) ([]int16, int, error) {
	d := wav.NewDecoder(r)
	if !d.IsValidFile() {
		return nil, 0, fmt.Errorf("not a PCM WAV file: %w", ErrWAV)
	}
	if d.BitDepth != 16 || d.WavAudioFormat != 1 {
		return nil, 0, fmt.Errorf("%d-bit format %d, want 16-bit PCM: %w", d.BitDepth, d.WavAudioFormat, ErrWAV)
	}
	buf, err := d.FullPCMBuffer()
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrWAV, err)
	}
	ch := buf.Format.NumChannels
	if ch < 1 || buf.Format.SampleRate < 4000 || buf.Format.SampleRate > 192000 {
		return nil, 0, fmt.Errorf("%d channels at %d Hz cannot be played: %w", ch, buf.Format.SampleRate, ErrWAV)
	}
	n := len(buf.Data) / ch
	if n == 0 {
		return nil, 0, fmt.Errorf("no samples: %w", ErrWAV)
	}
	pcm := make([]int16, n)
	for i := range pcm {
		sum := 0
		for c := range ch {
			sum += buf.Data[i*ch+c]
		}
		pcm[i] = int16(sum / ch)
	}
	return pcm, buf.Format.SampleRate, nil
}

// Resample converts pcm from one rate to another by linear interpolation: enough for a test
// signal, a prompt or music on hold on a phone line. It returns pcm itself when the rates agree.
func Resample(pcm []int16, from, to int) []int16 {
	if from == to || len(pcm) == 0 {
		return pcm
	}
	n := int(int64(len(pcm)) * int64(to) / int64(from))
	out := make([]int16, max(n, 1))
	for i := range out {
		pos := float64(i) * float64(from) / float64(to)
		j := int(pos)
		frac := pos - float64(j)
		a := float64(pcm[min(j, len(pcm)-1)])
		b := float64(pcm[min(j+1, len(pcm)-1)])
		out[i] = int16(math.Round(a + (b-a)*frac))
	}
	return out
}

// Loop is a FrameSource that plays samples over and over. It shares pcm, which must not change,
// and is not safe for concurrent use.
type Loop struct {
	pcm []int16
	pos int
}

// NewLoop plays pcm in a loop; with no samples it gives silence.
func NewLoop(pcm []int16) *Loop { return &Loop{pcm: pcm} }

// ReadFrame implements FrameSource.
func (l *Loop) ReadFrame(pcm []int16) {
	if len(l.pcm) == 0 {
		clear(pcm)
		return
	}
	for i := range pcm {
		pcm[i] = l.pcm[l.pos]
		if l.pos++; l.pos == len(l.pcm) {
			l.pos = 0
		}
	}
}

// HoldMusicRate is the sample rate of assets/hold.wav.
const HoldMusicRate = 16000

// holdMusic is assets/hold.wav decoded, at each rate asked for.
var holdMusic struct {
	sync.Mutex
	rates map[int][]int16
	err   error
}

// NewHoldMusic plays the hold music of assets/hold.wav (HoldNotes, rendered by
// assets/internal/holdgen) at sampleRate, in a loop. The file is decoded once; each rate's
// samples are made on first use and shared.
func NewHoldMusic(sampleRate int) *Loop {
	holdMusic.Lock()
	defer holdMusic.Unlock()
	if pcm, ok := holdMusic.rates[sampleRate]; ok {
		return NewLoop(pcm)
	}
	if holdMusic.rates == nil && holdMusic.err == nil {
		pcm, rate, err := DecodeWAV(bytes.NewReader(assets.HoldMusic))
		if err == nil && rate != HoldMusicRate {
			err = fmt.Errorf("hold music at %d Hz, want %d: %w", rate, HoldMusicRate, ErrWAV)
		}
		holdMusic.err = err
		holdMusic.rates = map[int][]int16{HoldMusicRate: pcm}
	}
	if holdMusic.err != nil {
		// Only a broken build gets here (a test checks the file); the held party hears silence.
		return NewLoop(nil)
	}
	pcm := Resample(holdMusic.rates[HoldMusicRate], HoldMusicRate, sampleRate)
	holdMusic.rates[sampleRate] = pcm
	return NewLoop(pcm)
}

// RenderNotes renders notes once, as the chime plays them (each fading in and out), at
// sampleRate: how assets/hold.wav is made from HoldNotes.
func RenderNotes(sampleRate int, notes []ChimeNote) []int16 {
	c := newChime(sampleRate, notes)
	n := 0
	for _, l := range c.length {
		n += l
	}
	pcm := make([]int16, n)
	c.ReadFrame(pcm)
	return pcm
}
