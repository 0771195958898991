package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lineupphone/lineup/api"
)

// callVerbs are the actions of `lineup call`, each with how many arguments it takes after the
// call ID and what it does through the API.
var callVerbs = map[string]struct {
	args int
	run  func(ctx context.Context, s api.Session, id string, args []string, out io.Writer) error
}{
	"answer": {0, func(ctx context.Context, s api.Session, id string, _ []string, _ io.Writer) error {
		return s.Answer(ctx, id)
	}},
	"hangup": {0, func(ctx context.Context, s api.Session, id string, _ []string, _ io.Writer) error {
		return s.HangUp(ctx, id)
	}},
	"hold": {0, func(ctx context.Context, s api.Session, id string, _ []string, _ io.Writer) error {
		return s.Hold(ctx, id)
	}},
	"retrieve": {0, func(ctx context.Context, s api.Session, id string, _ []string, _ io.Writer) error {
		return s.Retrieve(ctx, id)
	}},
	"transfer": {1, func(ctx context.Context, s api.Session, id string, a []string, _ io.Writer) error {
		return s.Transfer(ctx, id, a[0])
	}},
	"consult": {1, func(ctx context.Context, s api.Session, id string, a []string, out io.Writer) error {
		c, err := s.Consult(ctx, id, a[0])
		if err == nil {
			fmt.Fprintf(out, "call:    %s\nline:    %s\ndialled: %s\n", c.ID, c.Line, c.Dialled)
		}
		return err
	}},
	"complete": {0, func(ctx context.Context, s api.Session, id string, _ []string, _ io.Writer) error {
		return s.CompleteTransfer(ctx, id)
	}},
	"conference": {0, func(ctx context.Context, s api.Session, id string, _ []string, _ io.Writer) error {
		return s.Conference(ctx, id)
	}},
}

// cmdCall lists the calls of the running line server, or works one of them through its API.
func cmdCall(ctx context.Context, g *globalFlags, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	pos, err := parseArgs(fs, args)
	if err != nil || len(pos) == 0 {
		return fmt.Errorf("call takes list or an action: %w", errUsage)
	}
	verb := pos[0]
	var id string
	var rest []string
	if verb != "list" {
		v, ok := callVerbs[verb]
		if !ok {
			return fmt.Errorf("call %q: unknown action (list, answer, hangup, hold, retrieve, transfer, consult, complete, conference): %w", verb, errUsage)
		}
		if len(pos) < 2 {
			return fmt.Errorf("call %s takes a call ID: %w", verb, errUsage)
		}
		id, rest = pos[1], pos[2:]
		if v.args == 1 {
			// "lineup call transfer ID +49 30 1234567" is one number written with spaces.
			n := strings.TrimSpace(strings.Join(rest, " "))
			if n == "" {
				return fmt.Errorf("call %s takes a call ID and a NUMBER: %w", verb, errUsage)
			}
			rest = []string{n}
		} else if len(rest) > 0 {
			return fmt.Errorf("call %s takes only a call ID: %w", verb, errUsage)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	s, err := apiSession(ctx, g, "lineup call")
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	defer s.LogOff(context.WithoutCancel(ctx))
	if verb == "list" {
		return listCalls(ctx, s, stdout)
	}
	if err := callVerbs[verb].run(ctx, s, id, rest, stdout); err != nil {
		return fmt.Errorf("call %s %s: %w", verb, id, err)
	}
	return nil
}

// listCalls prints the calls going on, oldest first: ID, line, direction, state, the far end,
// and where a transfer stands or the conference it is in.
func listCalls(ctx context.Context, s api.Session, out io.Writer) error {
	cs, err := s.Calls(ctx)
	if err != nil {
		return fmt.Errorf("call list: %w", err)
	}
	if len(cs) == 0 {
		fmt.Fprintln(out, "no calls")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLINE\tDIRECTION\tSTATE\tNUMBER\tNAME\tNOTE")
	for _, c := range cs {
		note := ""
		switch {
		case c.Conference != "":
			note = "in " + c.Conference
		case c.ConsultFor != "":
			note = "consulting for " + c.ConsultFor
		case c.Transfer.State != api.TransferNone:
			note = "transfer to " + c.Transfer.Target + " " + c.Transfer.State.String()
			if c.Transfer.Code != 0 {
				note += fmt.Sprintf(" (%d %s)", c.Transfer.Code, c.Transfer.Reason)
			}
		}
		number := c.RemoteDisplay
		if number == "" {
			number = c.RemoteNumber
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Line, c.Direction, c.State, number, c.RemoteName, note)
	}
	return tw.Flush()
}
