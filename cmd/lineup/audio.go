package main

import (
	"io"
	"log/slog"

	"github.com/lineupphone/lineup/audio"
)

// cmdAudio lists the sound devices and sets which ones Lineup uses (audio.Command).
func cmdAudio(g *globalFlags, args []string, stdout, stderr io.Writer) error {
	return audio.Command(args, audio.CommandEnv{
		Register: g.register,
		Logger:   func() (*slog.Logger, error) { return g.logger(stderr) },
		Open:     func() (audio.SettingsStore, error) { return g.openStore(stderr) },
		Stdout:   stdout, Stderr: stderr,
	})
}
