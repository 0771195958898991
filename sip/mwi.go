package sip

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Voicemail waiting indication: the message-summary event package (RFC 3842). A NOTIFY of it
// carries an application/simple-message-summary body:
//
//	Messages-Waiting: yes
//	Message-Account: sip:201@pbx.example.com
//	Voice-Message: 2/5 (0/1)
//
// Voice-Message gives new/old messages and, in brackets, how many of those are urgent. Other
// message classes (fax, pager, ...) are read past; only voice counts here.

// MessageSummaryType is the content type of a message-summary body.
const MessageSummaryType = "application/simple-message-summary"

// ErrBadMessageSummary is wrapped by the errors of a body that is not a message summary.
var ErrBadMessageSummary = errors.New("malformed message summary")

// maxMessageSummary bounds a body, in bytes; a real one is a few lines.
const maxMessageSummary = 8 << 10

// maxMessageCount bounds one count: a mailbox of more messages is someone's joke.
const maxMessageCount = 1_000_000

// MessageSummary is what a message-summary body says of a mailbox.
type MessageSummary struct {
	// Waiting is Messages-Waiting: yes.
	Waiting bool
	// Account is Message-Account, the mailbox's address, empty when not given.
	Account string
	// New and Old count the voice messages; NewUrgent and OldUrgent how many of them are urgent.
	New, Old             int
	NewUrgent, OldUrgent int
}

// ParseMessageSummary reads an application/simple-message-summary body (RFC 3842 section
// 5.2). Messages-Waiting is required; a Voice-Message line that does not read as new/old with
// optional (urgent/urgent) counts is an error, and so are counts beyond a million.
func ParseMessageSummary(body []byte) (MessageSummary, error) {
	if len(body) > maxMessageSummary {
		return MessageSummary{}, fmt.Errorf("%w: body longer than %d bytes", ErrBadMessageSummary, maxMessageSummary)
	}
	var m MessageSummary
	haveWaiting := false
	for _, raw := range bytes.Split(body, []byte("\n")) {
		ln := strings.TrimSpace(string(raw))
		if ln == "" {
			continue
		}
		name, value, ok := strings.Cut(ln, ":")
		if !ok {
			return MessageSummary{}, fmt.Errorf("%w: line %q has no colon", ErrBadMessageSummary, truncate(ln, 40))
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		switch name {
		case "messages-waiting":
			switch strings.ToLower(value) {
			case "yes":
				m.Waiting = true
			case "no":
				m.Waiting = false
			default:
				return MessageSummary{}, fmt.Errorf("%w: messages-waiting %q is not yes or no", ErrBadMessageSummary, truncate(value, 20))
			}
			haveWaiting = true
		case "message-account":
			m.Account = truncate(value, 256)
		case "voice-message":
			var err error
			if m.New, m.Old, m.NewUrgent, m.OldUrgent, err = parseCounts(value); err != nil {
				return MessageSummary{}, err
			}
		}
	}
	if !haveWaiting {
		return MessageSummary{}, fmt.Errorf("%w: no messages-waiting line", ErrBadMessageSummary)
	}
	return m, nil
}

// parseCounts reads "new/old" or "new/old (urgent/urgent)".
func parseCounts(v string) (n, o, nu, ou int, err error) {
	main, urgent, hasUrgent := strings.Cut(v, "(")
	if n, o, err = parsePair(main); err != nil {
		return 0, 0, 0, 0, err
	}
	if hasUrgent {
		inner, rest, ok := strings.Cut(urgent, ")")
		if !ok || strings.TrimSpace(rest) != "" {
			return 0, 0, 0, 0, fmt.Errorf("%w: voice-message %q has an unclosed urgent count", ErrBadMessageSummary, truncate(v, 40))
		}
		if nu, ou, err = parsePair(inner); err != nil {
			return 0, 0, 0, 0, err
		}
	}
	return n, o, nu, ou, nil
}

func parsePair(s string) (a, b int, err error) {
	x, y, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf("%w: count %q is not new/old", ErrBadMessageSummary, truncate(s, 40))
	}
	if a, err = parseCount(x); err != nil {
		return 0, 0, err
	}
	if b, err = parseCount(y); err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

func parseCount(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 7 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%w: count %q is not a number up to %d", ErrBadMessageSummary, truncate(s, 20), maxMessageCount)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxMessageCount {
		return 0, fmt.Errorf("%w: count %q is not a number up to %d", ErrBadMessageSummary, truncate(s, 20), maxMessageCount)
	}
	return n, nil
}

// Marshal writes the summary as an application/simple-message-summary body.
func (m MessageSummary) Marshal() []byte {
	var b strings.Builder
	if m.Waiting {
		b.WriteString("Messages-Waiting: yes\r\n")
	} else {
		b.WriteString("Messages-Waiting: no\r\n")
	}
	if m.Account != "" {
		b.WriteString("Message-Account: " + reasonPhrase(m.Account) + "\r\n")
	}
	fmt.Fprintf(&b, "Voice-Message: %d/%d (%d/%d)\r\n", m.New, m.Old, m.NewUrgent, m.OldUrgent)
	return []byte(b.String())
}
