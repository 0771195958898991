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

// forwardModes are the modes `lineup forward` takes, as a user writes them.
var forwardModes = map[string]line.ForwardMode{
	"off": line.ForwardOff, "always": line.ForwardAlways, "busy": line.ForwardBusy,
	"no-answer": line.ForwardNoAnswer, "no_answer": line.ForwardNoAnswer,
}

// cmdForward shows or sets a line's call forwarding through the running line server's API:
// `forward LINE` shows it, `forward LINE off` switches it off, `forward LINE always|busy|no-answer
// NUMBER [--after N]` sets it.
func cmdForward(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("forward", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	after := fs.Int("after", 0, "for no-answer: ringing `seconds` before the call is forwarded (5 to 120; default 20)")
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) == 0 {
		return fmt.Errorf("forward takes a LINE: %w", errUsage)
	}
	lineName := pos[0]
	var set *line.Forward
	if len(pos) > 1 {
		mode, ok := forwardModes[strings.ToLower(pos[1])]
		if !ok {
			return fmt.Errorf("forward %s %q: unknown mode (off, always, busy, no-answer): %w", lineName, pos[1], errUsage)
		}
		// "lineup forward Alice always +49 30 1234567" is one number written with spaces.
		target := strings.TrimSpace(strings.Join(pos[2:], " "))
		switch {
		case mode == line.ForwardOff && target != "":
			return fmt.Errorf("forward %s off takes no NUMBER: %w", lineName, errUsage)
		case mode != line.ForwardOff && target == "":
			return fmt.Errorf("forward %s %s takes a NUMBER: %w", lineName, pos[1], errUsage)
		case mode != line.ForwardNoAnswer && *after != 0:
			return fmt.Errorf("forward: --after is for no-answer only: %w", errUsage)
		}
		set = &line.Forward{Mode: mode, Target: target, After: *after}
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := apiSession(ctx, g, "lineup forward")
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	defer s.LogOff(context.WithoutCancel(ctx))
	if set != nil {
		if err := s.SetForward(ctx, lineName, *set); err != nil {
			return fmt.Errorf("forward %s: %w", lineName, err)
		}
	}
	l, err := findLine(ctx, s, lineName)
	if err != nil {
		return fmt.Errorf("forward: %w", err)
	}
	fmt.Fprintln(stdout, forwardText(l))
	return nil
}

// cmdCallWaiting switches a line's call waiting through the running line server's API.
func cmdCallWaiting(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call-waiting", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) != 2 || (pos[1] != "on" && pos[1] != "off") {
		return fmt.Errorf("call-waiting takes a LINE and on or off: %w", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	s, err := apiSession(ctx, g, "lineup call-waiting")
	if err != nil {
		return fmt.Errorf("call-waiting: %w", err)
	}
	defer s.LogOff(context.WithoutCancel(ctx))
	if err := s.SetCallWaiting(ctx, pos[0], pos[1] == "on"); err != nil {
		return fmt.Errorf("call-waiting %s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "%s: call waiting %s\n", pos[0], pos[1])
	return nil
}

// findLine is the line named name.
func findLine(ctx context.Context, s api.Session, name string) (api.Line, error) {
	ls, err := s.Lines(ctx)
	if err != nil {
		return api.Line{}, err
	}
	for _, l := range ls {
		if l.Name == name {
			return l, nil
		}
	}
	return api.Line{}, fmt.Errorf("line %q: %w", name, api.ErrNoLine)
}

// forwardText says a line's forwarding in one line, e.g. "Alice: calls forwarded to 203 after
// 20 s without answer".
func forwardText(l api.Line) string {
	f := l.Forward
	var s string
	switch f.Mode {
	case line.ForwardAlways:
		s = "all calls forwarded to " + f.Target
	case line.ForwardBusy:
		s = "calls forwarded to " + f.Target + " when busy"
	case line.ForwardNoAnswer:
		s = fmt.Sprintf("calls forwarded to %s after %d s without answer", f.Target, int(f.AfterOrDefault()/time.Second))
	default:
		s = "not forwarded"
	}
	if l.Incoming.ForwardIgnored {
		s += " (the group has forwarding switched off: the rule does not apply)"
	}
	return l.Name + ": " + s
}
