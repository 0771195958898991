package audio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/lineupphone/lineup/media"
)

// writeWAV writes a 16-bit PCM WAV file of channels interleaved at rate.
func writeWAV(t *testing.T, path string, rate, channels int, data []int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := wav.NewEncoder(f, rate, 16, channels, 1)
	if err := enc.Write(&goaudio.IntBuffer{Format: &goaudio.Format{NumChannels: channels, SampleRate: rate}, Data: data, SourceBitDepth: 16}); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func sineData(rate int, hz float64, seconds float64) []int {
	tone := media.NewTone(rate, media.ToneSpec{Freqs: []float64{hz}, Level: -6})
	pcm := make([]int16, int(float64(rate)*seconds))
	tone.ReadFrame(pcm)
	out := make([]int, len(pcm))
	for i, s := range pcm {
		out[i] = int(s)
	}
	return out
}

func TestParseFileMode(t *testing.T) {
	dir := t.TempDir()
	stereo := filepath.Join(dir, "stereo.wav")
	mono := sineData(44100, 600, 0.5)
	inter := make([]int, 2*len(mono))
	for i, s := range mono {
		inter[2*i], inter[2*i+1] = s, s
	}
	writeWAV(t, stereo, 44100, 2, inter)
	notWAV := filepath.Join(dir, "notes.txt")
	os.WriteFile(notWAV, []byte("hello"), 0o644)
	eight := filepath.Join(dir, "8bit.wav")
	f, _ := os.Create(eight)
	e := wav.NewEncoder(f, 8000, 8, 1, 1)
	e.Write(&goaudio.IntBuffer{Format: &goaudio.Format{NumChannels: 1, SampleRate: 8000}, Data: make([]int, 800), SourceBitDepth: 8})
	e.Close()
	f.Close()

	if m, err := ParseFileMode("tone:440"); err != nil || m.Hz != 440 {
		t.Errorf("tone:440 = %+v, %v", m, err)
	}
	if m, err := ParseFileMode("wav:" + stereo); err != nil || m.Rate != 44100 || len(m.PCM) != len(mono) {
		t.Errorf("a stereo WAV reads as %d samples at %d Hz, %v; want %d mono at 44100", len(m.PCM), m.Rate, err, len(mono))
	}
	for _, c := range []struct{ mode, says string }{
		{"tone:10", "20 to 7000 Hz"}, {"tone:9000", "20 to 7000 Hz"}, {"tone:abc", "20 to 7000 Hz"}, {"tone:NaN", "20 to 7000 Hz"},
		{"wav:", "no WAV file"}, {"wav:" + filepath.Join(dir, "missing.wav"), "no such file"},
		{"wav:" + notWAV, "not a PCM WAV"}, {"wav:" + eight, "want 16-bit PCM"}, {"beep:1", "unknown sound mode"},
	} {
		_, err := ParseFileMode(c.mode)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseFileMode(%q) = %v, want an error saying %q", c.mode, err, c.says)
		}
	}
	if _, err := ParseFileMode("tone:1"); !errors.Is(err, ErrMode) {
		t.Errorf("a bad tone does not wrap ErrMode: %v", err)
	}
	if !IsFileMode("tone:440") || !IsFileMode("wav:x.wav") || IsFileMode("system") || IsFileMode("null") {
		t.Error("IsFileMode")
	}
}

// A call of the file sound sends the tone or the WAV file (at the call's rate, looped) and
// records what it plays into a WAV file that reads back as the same audio.
func TestFileSoundSendsAndRecords(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.wav")
	writeWAV(t, src, 16000, 1, sineData(16000, 1000, 0.25))
	for _, mode := range []string{"tone:1000", "wav:" + src} {
		for _, rate := range []int{8000, 16000} {
			mic, err := ParseFileMode(mode)
			if err != nil {
				t.Fatal(err)
			}
			rec := filepath.Join(t.TempDir(), "rec")
			f, err := NewFile(mic, rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.OpenCall(rate)
			if err != nil {
				t.Fatal(err)
			}
			frame := make([]int16, rate/50)
			var sent []int16
			for range 50 { // one second: the WAV file loops four times
				c.ReadFrame(frame)
				sent = append(sent, frame...)
				c.WriteFrame(frame) // the speaker plays what the microphone sends
			}
			if r := media.ToneRatio(sent, rate, 1000); r < 0.9 {
				t.Errorf("%s at %d Hz: the microphone sends 1000 Hz at %.2f", mode, rate, r)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(rec, "*.wav"))
			if len(files) != 1 || !strings.HasSuffix(files[0], "hz.wav") {
				t.Fatalf("recordings %v", files)
			}
			pcm, got, err := readWAV(files[0])
			if err != nil || got != rate || len(pcm) != rate {
				t.Fatalf("the recording reads as %d samples at %d Hz, %v; want one second at %d", len(pcm), got, err, rate)
			}
			if r := media.ToneRatio(pcm, rate, 1000); r < 0.9 {
				t.Errorf("%s at %d Hz: the recording holds 1000 Hz at %.2f", mode, rate, r)
			}
		}
	}
}

// A call sound opened and closed without playing (the ringback's, when the answer came while it
// opened) leaves no recording: each call has one file.
func TestFileSoundThatPlayedNothingLeavesNoFile(t *testing.T) {
	mic, err := ParseFileMode("tone:440")
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "rec")
	f, err := NewFile(mic, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	unused, err := f.OpenCall(16000)
	if err != nil {
		t.Fatal(err)
	}
	if err := unused.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepath.Glob(filepath.Join(rec, "*.wav")); len(files) != 0 {
		t.Errorf("a sound that played nothing left %v", files)
	}
}

func TestFileSoundWithoutRecording(t *testing.T) {
	f, err := NewFile(FileMic{Hz: 440}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.OpenCall(8000)
	c.WriteFrame(make([]int16, 160))
	if err := c.Close(); err != nil {
		t.Error(err)
	}
	stop, err := f.Ring()
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
