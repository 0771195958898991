package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// cmdVoicemail calls a line's voicemail box through the running line server's API.
func cmdVoicemail(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("voicemail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) > 1 {
		return fmt.Errorf("voicemail takes at most one LINE: %w", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := apiSession(ctx, g, "lineup voicemail")
	if err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	defer s.LogOff(context.WithoutCancel(ctx))
	name := ""
	if len(pos) == 1 {
		name = pos[0]
	} else {
		lines, err := s.Lines(ctx)
		if err != nil {
			return fmt.Errorf("voicemail: %w", err)
		}
		if name, err = api.LineOffering(lines, line.FuncVoicemail); err != nil {
			return fmt.Errorf("voicemail: %w; name the LINE", err)
		}
	}
	c, err := s.Voicemail(ctx, name)
	if err != nil {
		return fmt.Errorf("voicemail: %w", err)
	}
	fmt.Fprintf(stdout, "call:    %s\nline:    %s\ndialled: %s\n", c.ID, c.Line, c.Dialled)
	return nil
}

// cmdLamps prints each line's voicemail lamp and busy lamps.
func cmdLamps(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lamps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	if pos, err := parseArgs(fs, args); err != nil || len(pos) > 0 {
		return fmt.Errorf("lamps takes no arguments: %w", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := apiSession(ctx, g, "lineup lamps")
	if err != nil {
		return fmt.Errorf("lamps: %w", err)
	}
	defer s.LogOff(context.WithoutCancel(ctx))
	lines, err := s.Lines(ctx)
	if err != nil {
		return fmt.Errorf("lamps: %w", err)
	}
	for _, l := range lines {
		vm := "-"
		if l.Voicemail.Known {
			vm = fmt.Sprintf("%d new, %d old", l.Voicemail.New, l.Voicemail.Old)
		}
		var ls []string
		for _, x := range l.Lamps {
			ls = append(ls, x.Extension+" "+x.State.String())
		}
		fmt.Fprintf(stdout, "%s\tvoicemail: %s\tlamps: %s\n", l.Name, vm, strings.Join(ls, ", "))
	}
	return nil
}
