package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// Outgoing calls: the INVITE, its provisional answers (ringback or early media) and its final
// answer.

// dialAs places a call on a line to target (sent as it is); remote is the number the journal and
// the clients show for it. It returns once the INVITE is under way, with the call as its first
// event showed it; the call's progress arrives as events.
func (s *Server) dialAs(ctx context.Context, e line.Effective, target, remote string, ex callExtras) (api.Call, error) {
	l := e.Line
	if !l.Enabled() {
		return api.Call{}, fmt.Errorf("dial: line %q: %w", l.Name, ErrLineOff)
	}
	target = strings.TrimSpace(target)
	if target == "" {
		return api.Call{}, fmt.Errorf("dial: no number given: %w", api.ErrBadInput)
	}
	c, err := s.newCall(l, line.Outgoing)
	if err != nil {
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	c.mu.Lock()
	c.dialled, c.featureCode, c.client = target, ex.featureCode, ex.client
	c.consultFor, c.observe = ex.consultFor, ex.observe
	c.mu.Unlock()
	c.update(func(i *line.Call) { i.RemoteNumber = remote })
	first := c.view(c.snapshot())
	s.publishLine(l.Name)
	local, err := c.openMedia(s.localHost(l.Account))
	if err != nil {
		c.finish(line.EndFailed, 0, "no media port: "+err.Error())
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	out, err := s.ep.Dial(ctx, l.Account, target, local, ex.dialOpts...)
	if err != nil {
		c.finish(line.EndFailed, 0, err.Error())
		if errors.Is(err, sip.ErrUnreachable) {
			return api.Call{}, fmt.Errorf("dial: %w: %w", api.ErrUnreachable, err)
		}
		return api.Call{}, fmt.Errorf("dial: %w", err)
	}
	c.mu.Lock()
	c.out = out
	over := c.phase.Over()
	c.mu.Unlock()
	if over {
		// Hung up (or the server stopped) while the INVITE went out.
		out.Cancel()
		return first, nil
	}
	go c.runOutgoing()
	return first, nil
}

func targetUser(target string) string {
	t := strings.TrimPrefix(strings.TrimPrefix(target, "sips:"), "sip:")
	t = strings.TrimPrefix(t, "tel:")
	if i := strings.IndexByte(t, '@'); i >= 0 {
		t = t[:i]
	}
	return t
}

// maxRedirects is how many 301/302 answers one call follows before it gives up (RFC 3261
// section 8.1.3.4 leaves the bound to the client).
const maxRedirects = 5

// runOutgoing follows an outgoing call from INVITE to answer or failure, following redirects.
func (c *call) runOutgoing() {
	out := c.out
	c.mu.Lock()
	tried := map[string]bool{redirectKey(c.dialled): true}
	c.mu.Unlock()
	for redirects := 0; ; redirects++ {
		next, done := c.runAttempt(out, redirects, tried)
		if done {
			return
		}
		out = next
	}
}

// redirectKey is how redirect targets are compared: the number (user part) alone, in lower case,
// as every attempt goes to the same phone system.
func redirectKey(target string) string {
	t := strings.ToLower(strings.TrimSpace(target))
	t = strings.TrimPrefix(t, "sips:")
	if i := strings.IndexAny(t, ";?>"); i >= 0 && !strings.Contains(t[:i], "@") {
		t = t[:i]
	}
	return targetUser(t)
}

// redirect places the call anew at the first target of a 301/302 it has not tried, when it has
// followed fewer than maxRedirects; it returns the new attempt, or why the call ends here.
func (c *call) redirect(ce *sip.CallError, redirects int, tried map[string]bool) (*sip.OutgoingCall, string) {
	if redirects >= maxRedirects {
		return nil, fmt.Sprintf("redirected more than %d times", maxRedirects)
	}
	target := ""
	for _, t := range ce.Contacts {
		if k := redirectKey(t); !tried[k] {
			tried[k], target = true, t
			break
		}
	}
	if target == "" {
		return nil, "redirected back to a number already tried (a forwarding loop)"
	}
	c.mu.Lock()
	local, acct := c.local, c.acct
	c.mu.Unlock()
	c.s.log.Info("call redirected", "call", c.info.ID, "line", c.info.Line, "code", ce.Code, "to", target)
	out, err := c.s.ep.Dial(c.ctx, acct, target, local)
	if err != nil {
		return nil, "redirect to " + target + ": " + err.Error()
	}
	c.mu.Lock()
	c.out = out
	over := c.phase.Over()
	c.mu.Unlock()
	if over {
		out.Cancel()
		return nil, ""
	}
	c.update(func(i *line.Call) { i.RemoteNumber = targetUser(target) })
	return out, ""
}

// runAttempt follows one INVITE of the call. It returns the next attempt when the answer was a
// redirect to follow, or done when the call is answered or over.
func (c *call) runAttempt(out *sip.OutgoingCall, redirects int, tried map[string]bool) (next *sip.OutgoingCall, done bool) {
	ctx := c.ctx
	go func() {
		for p := range out.Progress() {
			if p.Code != 180 && p.Code != 183 {
				continue
			}
			if c.move(line.EventProgress) != nil {
				continue // answered or ended meanwhile
			}
			if p.Code == 183 && p.Early != nil {
				// Early media (RFC 3960): the far end plays announcements or its own ringback.
				c.startEarlyMedia(*p.Early)
			} else {
				c.startRingback()
			}
		}
	}()
	dlg, err := out.Wait(ctx)
	if err != nil {
		var ce *sip.CallError
		if errors.As(err, &ce) && (ce.Code == 301 || ce.Code == 302) && len(ce.Contacts) > 0 && ctx.Err() == nil {
			next, why := c.redirect(ce, redirects, tried)
			if next != nil {
				return next, false
			}
			if why != "" {
				c.end(line.EndRefused, ce.Code, why, false)
			}
			return nil, true
		}
		if errors.As(err, &ce) {
			busy := ce.Code == 486 || ce.Code == 600
			detail := ce.Reason
			if ce.Err != nil {
				detail += ": " + ce.Err.Error()
			}
			c.end(line.EndRefused, ce.Code, detail, busy)
		} else if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			c.finish(line.EndCancelled, 487, "")
		} else if errors.Is(err, sip.ErrEncryption) {
			_, detail, _ := strings.Cut(err.Error(), sip.ErrEncryption.Error()+": ")
			c.finish(line.EndNoEncryption, 0, detail)
		} else {
			c.finish(line.EndFailed, 0, err.Error())
		}
		return nil, true
	}
	c.mu.Lock()
	_, err = c.moveLocked(line.EventAnswered)
	c.mu.Unlock()
	if err != nil {
		// Hung up here while the answer came: the answer gets a BYE.
		c.byeDetached(dlg)
		return nil, true
	}
	c.connected(dlg)
	return nil, true
}

// startRingback opens the call's audio while an outgoing call rings at the far end and plays the
// ringback tone into its speaker until the call is answered or ends. The audio is opened at the
// rate of our preferred codec; connected keeps it when the answer's codec has that rate.
func (c *call) startRingback() {
	if c.s.audio == nil {
		return
	}
	c.mu.Lock()
	ok := c.phase == line.PhaseEarly && c.audio == nil && c.stream == nil
	c.mu.Unlock()
	if !ok {
		return
	}
	rate := c.s.codecList()[0].SampleRate
	a, err := c.s.audio.OpenCall(rate)
	if err != nil {
		c.s.log.Warn("call audio failed: no ringback", "call", c.info.ID, "error", err)
		return
	}
	c.mu.Lock()
	if c.phase != line.PhaseEarly || c.audio != nil {
		// Answered or ended while the audio opened.
		c.mu.Unlock()
		a.Close()
		return
	}
	c.audio, c.audioRate = a, rate
	c.tone = playTone(c.ctx, a, rate, media.Ringback, 0)
	c.mu.Unlock()
}

// startEarlyMedia starts the call's media on a 183 with SDP before the answer, so that the caller
// hears what the far end plays (announcements, its own ringback) instead of our ringback. The
// stream goes on as the call's stream when the call is answered.
func (c *call) startEarlyMedia(early sip.MediaDesc) {
	if len(early.Codecs) == 0 || early.Port == 0 {
		c.startRingback()
		return
	}
	codec := early.Codecs[0]
	c.mu.Lock()
	if c.phase != line.PhaseEarly || c.stream != nil {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	audio := c.takeAudio(codec.SampleRate)
	// No inactivity timeout before the answer: a far end may send a 183 and then ring silently.
	stream, mixer, err := c.newStream(early, audio, -1)
	if err != nil {
		c.s.log.Warn("early media could not start", "call", c.info.ID, "error", err)
		if audio != nil {
			audio.Close()
		}
		return
	}
	// Nobody has answered yet: the far end hears silence, not the caller's room.
	stream.SetMuted(true)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.phase != line.PhaseEarly || c.stream != nil {
		if audio != nil {
			audio.Close()
		}
		return
	}
	c.audio, c.audioRate, c.mixer = audio, codec.SampleRate, mixer
	c.startStreamLocked(stream, codec)
}
