package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// Links: `lineup tel:+49891234203`, `lineup sip:203@pbx.example` and `lineup callto:...` are
// how a browser, a CRM or a mail program hands a number to the app (the desktop entry's %u, the
// Windows URL handler). The number goes to the running app through its local API, whose line
// puts it through the location's rules; with none running, the app starts and dials it.

// maxLink bounds a link: a phone number or SIP address is far shorter.
const maxLink = 512

// errLink marks a link that cannot be dialled; nothing is dialled then.
var errLink = errors.New("cannot be dialled")

// isLink reports whether arg is a tel:, sip:, sips: or callto: link rather than a command.
func isLink(arg string) bool {
	scheme, _, ok := strings.Cut(arg, ":")
	if !ok {
		return false
	}
	switch strings.ToLower(scheme) {
	case "tel", "sip", "sips", "callto":
		return true
	}
	return false
}

// parseLink returns what a link dials: the number of a tel: or callto: link (RFC 3966: its
// parameters dropped, visual separators removed, e.g. "+49891234203"), or a sip:/sips: address
// as it is. A link that names nothing dialable, is too long or holds characters no number or
// address has is refused with a message saying why.
func parseLink(raw string) (string, error) {
	if len(raw) > maxLink {
		return "", fmt.Errorf("link of %d characters: at most %d: %w", len(raw), maxLink, errLink)
	}
	scheme, rest, _ := strings.Cut(raw, ":")
	scheme = strings.ToLower(scheme)
	rest = strings.TrimPrefix(rest, "//") // callto://number, as some programs write it
	if scheme == "callto" && strings.Contains(rest, "@") {
		scheme = "sip"
	}
	if scheme == "sip" || scheme == "sips" {
		return parseSIPLink(scheme, rest)
	}
	number, _, _ := strings.Cut(rest, ";") // phone-context, ext, isub
	number, _, _ = strings.Cut(number, "?")
	number, err := url.PathUnescape(number)
	if err != nil {
		return "", fmt.Errorf("%s link: bad %%-escape: %w", scheme, errLink)
	}
	var b strings.Builder
	for i, r := range number {
		switch {
		case strings.ContainsRune(" -.()/", r): // visual separators (RFC 3966 section 5.1.1)
		case r >= '0' && r <= '9', r == '*', r == '#', r >= 'A' && r <= 'D', r >= 'a' && r <= 'd':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("%s link: %q is not part of a phone number: %w", scheme, r, errLink)
		}
	}
	if b.Len() == 0 || b.String() == "+" {
		return "", fmt.Errorf("%s link names no number: %w", scheme, errLink)
	}
	return b.String(), nil
}

// parseSIPLink checks a sip: or sips: address: a user and a host, and none of the characters
// that no SIP URI holds unescaped (spaces, quotes, angle brackets, shell metacharacters).
func parseSIPLink(scheme, rest string) (string, error) {
	addr, _, _ := strings.Cut(rest, "?") // header fields are not for us to send
	for _, r := range addr {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("\"'<>`$|\\&{}^", r) || r > unicode.MaxASCII {
			return "", fmt.Errorf("%s link: %q does not belong in a SIP address: %w", scheme, r, errLink)
		}
	}
	user, host, ok := strings.Cut(addr, "@")
	host, _, _ = strings.Cut(host, ";")
	switch {
	case !ok || user == "":
		return "", fmt.Errorf("%s link names no user (want %s:NUMBER@HOST): %w", scheme, scheme, errLink)
	case host == "":
		return "", fmt.Errorf("%s link names no host (want %s:NUMBER@HOST): %w", scheme, scheme, errLink)
	}
	return scheme + ":" + addr, nil
}

// cmdLink dials a link through the app running on the data directory, or starts the app and
// dials it there.
func cmdLink(ctx context.Context, g *globalFlags, link string, stdout, stderr io.Writer) error {
	input, err := parseLink(link)
	if err != nil {
		return fmt.Errorf("%s: %w", shorten(link), err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	s, found, err := connectAPI(cctx, g, "link")
	if found && err == nil {
		defer cancel()
		defer s.LogOff(context.WithoutCancel(cctx))
		c, err := dialFirst(cctx, s, "", input)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "call:    %s\nline:    %s\ndialled: %s\n", c.ID, c.Line, c.Dialled)
		return nil
	}
	cancel()
	if found {
		return fmt.Errorf("%s: %w", shorten(link), err)
	}
	return runGUI(ctx, g, stderr, guiDial(input))
}

// dialFirst dials input on the named line, or with no name on the first line that offers dial.
func dialFirst(ctx context.Context, s api.Session, lineName, input string) (api.Call, error) {
	if lineName == "" {
		lines, err := s.Lines(ctx)
		if err != nil {
			return api.Call{}, fmt.Errorf("dial: %w", err)
		}
		if lineName, err = api.LineOffering(lines, line.FuncDial); err != nil {
			return api.Call{}, fmt.Errorf("dial: %w; choose one with --line", err)
		}
	}
	c, err := s.Dial(ctx, lineName, input)
	if err != nil {
		if errors.Is(err, api.ErrNoLine) {
			return api.Call{}, fmt.Errorf("--line %q: %w", lineName, err)
		}
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	return c, nil
}

// shorten gives a link for a message: a 10,000-character one is not printed whole.
func shorten(s string) string {
	const n = 64
	if len(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q… (%d characters)", s[:n], len(s))
}

// dialWhenReady dials input once a line that offers dial is registered, for the app started by
// a link: the call opens its conversation window like any other. It gives up after wait.
func dialWhenReady(ctx context.Context, phone api.Phone, input string, wait time.Duration) (api.Call, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	s, err := phone.LogOn(ctx, "link")
	if err != nil {
		return api.Call{}, err
	}
	defer s.LogOff(context.WithoutCancel(ctx))
	for {
		lines, err := s.Lines(ctx)
		if err != nil {
			return api.Call{}, err
		}
		for _, l := range lines {
			if l.Registration == line.RegRegistered && l.Enabled && slices.Contains(l.Functions, line.FuncDial) {
				return dialFirst(ctx, s, l.Name, input)
			}
		}
		select {
		case <-ctx.Done():
			return api.Call{}, fmt.Errorf("no line registered within %v to dial %q on", wait, input)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
