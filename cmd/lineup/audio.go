package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lineupphone/lineup/audio"
)

// cmdAudio lists the sound devices and sets which ones Lineup uses (package audio does both).
func cmdAudio(g *globalFlags, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("audio needs a subcommand (devices or set): %w", errUsage)
	}
	fs := flag.NewFlagSet("audio "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	mode := fs.String("audio", "system", "sound `backend`: system, or null (silent devices, for tests)")
	set := false
	switch args[0] {
	case "devices":
	case "set":
		set = true
		for _, f := range audio.SetFlags {
			fs.String(f.Name, "", f.Usage)
		}
	default:
		return fmt.Errorf("unknown audio subcommand %q: %w", args[0], errUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("audio %s: %w", args[0], errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audio %s takes no arguments: %w", args[0], errUsage)
	}
	if *mode != "system" && *mode != "null" {
		return fmt.Errorf("--audio %q: want system or null: %w", *mode, errUsage)
	}
	changes := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		for _, sf := range audio.SetFlags {
			if f.Name == sf.Name {
				changes[f.Name] = f.Value.String()
			}
		}
	})
	if set && len(changes) == 0 {
		return fmt.Errorf("audio set needs --call-capture, --call-playback or --ringer: %w", errUsage)
	}
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	sys, err := audio.OpenSystem(*mode, log)
	if err != nil {
		return err
	}
	defer sys.Close()
	st, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()
	if set {
		if err := audio.Set(sys, st, changes); err != nil {
			return err
		}
	}
	return audio.WriteDevices(stdout, sys, st)
}
