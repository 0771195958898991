package audio

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/media"
)

// This file is the sound of a line server without a sound card: `--audio tone:HZ` or
// `--audio wav:FILE` gives every call a microphone that plays a steady tone or a WAV file, and
// `--audio-record DIR` writes what each call's speaker plays to a WAV file of its own. The ringer
// is silent. It lets scripts and tests check a call's audio against the real binary.

// toneLevel is the level of the tone microphone, in dBFS: loud enough to find, not clipped by
// any codec.
const toneLevel = -10

// maxWAV bounds the WAV file a microphone plays (about 5 minutes at 48 kHz stereo).
const maxWAV = 64 << 20

// FileMic is what a file-sound call sends: a tone at Hz, or the samples of a WAV file.
type FileMic struct {
	// Hz is the tone's frequency; 0 when PCM is used.
	Hz float64
	// PCM is the WAV file's audio, mono, at Rate samples per second; it is played in a loop.
	PCM  []int16
	Rate int
	// Name says where it came from, for the log.
	Name string
}

// IsFileMode reports whether mode names a file-sound microphone ("tone:HZ" or "wav:FILE").
func IsFileMode(mode string) bool {
	return strings.HasPrefix(mode, "tone:") || strings.HasPrefix(mode, "wav:")
}

// ParseFileMode reads "tone:HZ" (20 to 7000 Hz: what G.722 carries) or "wav:FILE" (16-bit PCM,
// mono or stereo, any sample rate). The error names the mode and what is wrong with it.
func ParseFileMode(mode string) (FileMic, error) {
	kind, arg, _ := strings.Cut(mode, ":")
	switch kind {
	case "tone":
		hz, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(hz) || hz < 20 || hz > 7000 {
			return FileMic{}, fmt.Errorf("sound %q: the tone must be 20 to 7000 Hz: %w", mode, ErrMode)
		}
		return FileMic{Hz: hz, Name: mode}, nil
	case "wav":
		if arg == "" {
			return FileMic{}, fmt.Errorf("sound %q: no WAV file named: %w", mode, ErrMode)
		}
		pcm, rate, err := readWAV(arg)
		if err != nil {
			return FileMic{}, fmt.Errorf("sound %q: %w", mode, err)
		}
		return FileMic{PCM: pcm, Rate: rate, Name: mode}, nil
	}
	return FileMic{}, fmt.Errorf("sound %q: %w", mode, ErrMode)
}

// readWAV reads a 16-bit PCM WAV file as mono samples (channels averaged).
func readWAV(path string) ([]int16, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("wav: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxWAV {
		return nil, 0, fmt.Errorf("wav %s: %d bytes, more than the %d MiB a microphone file may have", path, st.Size(), maxWAV>>20)
	}
	pcm, rate, err := media.DecodeWAV(f)
	if err != nil {
		return nil, 0, fmt.Errorf("wav %s: %w", path, err)
	}
	return pcm, rate, nil
}

// File is an engine.Audio whose calls send a FileMic and, with a record directory, record what
// they play.
type File struct {
	mic FileMic
	dir string
	log *slog.Logger
	n   atomic.Int64

	mu    sync.Mutex
	rates map[int][]int16 // the WAV file at each call rate, made on first use
}

// NewFile makes the file sound: calls send mic, and write what they play to dir when dir is not
// empty (the directory is made).
func NewFile(mic FileMic, dir string, log *slog.Logger) (*File, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("record directory: %w", err)
		}
	}
	if log == nil {
		log = slog.Default()
	}
	return &File{mic: mic, dir: dir, log: log, rates: map[int][]int16{}}, nil
}

// Ring is silent: a file-sound line server has no ringer.
func (f *File) Ring() (func(), error) { return func() {}, nil }

// OpenCall gives a call its microphone and, with a record directory, its recording: a file
// named after the time and a running number, at the call's rate.
func (f *File) OpenCall(rate int) (engine.CallAudio, error) {
	c := &fileCall{}
	if f.mic.Hz > 0 {
		c.src = media.NewTone(rate, media.ToneSpec{Freqs: []float64{f.mic.Hz}, Level: toneLevel})
	} else {
		f.mu.Lock()
		pcm, ok := f.rates[rate]
		if !ok {
			pcm = media.Resample(f.mic.PCM, f.mic.Rate, rate)
			f.rates[rate] = pcm
		}
		f.mu.Unlock()
		c.src = media.NewLoop(pcm)
	}
	if f.dir != "" {
		name := filepath.Join(f.dir, fmt.Sprintf("call-%s-%03d-%dhz.wav", time.Now().Format("20060102-150405"), f.n.Add(1), rate))
		out, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fmt.Errorf("record: %w", err)
		}
		c.file, c.path = out, name
		c.enc = wav.NewEncoder(out, rate, 16, 1, 1)
		c.buf = &goaudio.IntBuffer{Format: &goaudio.Format{NumChannels: 1, SampleRate: rate}, SourceBitDepth: 16}
		f.log.Info("recording the call's audio", "file", name)
	}
	return c, nil
}

// fileCall is one call's file sound. ReadFrame and WriteFrame run on the media clock; Close
// after the call's stream stopped.
type fileCall struct {
	src  media.FrameSource
	mu   sync.Mutex
	file *os.File
	path string
	enc  *wav.Encoder
	buf  *goaudio.IntBuffer
	err  error
	// played counts the frames written: a call sound that never played (the ringback's, when
	// the answer came while it opened) leaves no recording behind.
	played int
}

func (c *fileCall) ReadFrame(pcm []int16) { c.src.ReadFrame(pcm) }

func (c *fileCall) WriteFrame(pcm []int16) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enc == nil || c.err != nil {
		return
	}
	if cap(c.buf.Data) < len(pcm) {
		c.buf.Data = make([]int, len(pcm))
	}
	c.buf.Data = c.buf.Data[:len(pcm)]
	for i, s := range pcm {
		c.buf.Data[i] = int(s)
	}
	c.err = c.enc.Write(c.buf)
	c.played++
}

// Close finishes the recording (its header gets the sizes); a write that failed is reported. A
// sound that played nothing removes its file.
func (c *fileCall) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.enc == nil {
		return nil
	}
	err := errors.Join(c.err, c.enc.Close(), c.file.Close())
	if c.played == 0 && err == nil {
		err = os.Remove(c.path)
	}
	c.enc = nil
	if err != nil {
		return fmt.Errorf("record %s: %w", c.path, err)
	}
	return nil
}
