package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/httpapi"
)

// parseArgs parses fs and returns the positional arguments, which may come before, between or
// after the flags ("lineup dial 0301234 --line Sales").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// connectAPI logs on as client to the line server running with the API on the data directory;
// found is false when none has written api.json there (see httpapi.Connect).
func connectAPI(ctx context.Context, g *globalFlags, client string) (s api.Session, found bool, err error) {
	dir, err := g.dataDir()
	if err != nil {
		return nil, false, err
	}
	return httpapi.Connect(ctx, dir, client)
}

// apiSession logs on as client to the line server running with the API.
func apiSession(ctx context.Context, g *globalFlags, client string) (api.Session, error) {
	s, found, err := connectAPI(ctx, g, client)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errors.New("no line server with the local API runs on this data directory: start 'lineup serve --api 127.0.0.1:0'")
	}
	return s, nil
}

// cmdDial dials a number through the running line server's API and leaves the call to it.
func cmdDial(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	lineName := fs.String("line", "", "the `line` to dial on (default: the first line that offers dial)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fmt.Errorf("dial: %w", errUsage)
	}
	// "lineup dial +49 30 1234567" is one number written with spaces.
	number := strings.TrimSpace(strings.Join(pos, " "))
	if number == "" {
		return fmt.Errorf("dial takes one NUMBER: %w", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := apiSession(ctx, g, "lineup dial")
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer s.LogOff(context.WithoutCancel(ctx))

	c, err := dialFirst(ctx, s, *lineName, number)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "call:    %s\nline:    %s\ndialled: %s\n", c.ID, c.Line, c.Dialled)
	return nil
}
