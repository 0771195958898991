// Command holdgen writes assets/hold.wav, the music a party held by Lineup hears: media.HoldNotes
// rendered at media.HoldMusicRate, 16-bit mono. The tune is Lineup's own (generated, nothing
// recorded), so the file needs no licence beyond the project's. Run it with `go generate
// ./assets` after changing the notes.
package main

import (
	"flag"
	"fmt"
	"os"

	goaudio "github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/lineupphone/lineup/media"
)

func main() {
	out := flag.String("o", "hold.wav", "the WAV file to write")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "holdgen:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	pcm := media.RenderNotes(media.HoldMusicRate, media.HoldNotes)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := wav.NewEncoder(f, media.HoldMusicRate, 16, 1, 1)
	data := make([]int, len(pcm))
	for i, s := range pcm {
		data[i] = int(s)
	}
	buf := &goaudio.IntBuffer{Format: &goaudio.Format{NumChannels: 1, SampleRate: media.HoldMusicRate}, Data: data, SourceBitDepth: 16}
	if err := enc.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		f.Close()
		return fmt.Errorf("close %s: %w", path, err)
	}
	return f.Close()
}
