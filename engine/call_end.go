package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// The end of calls: hang-up here (BYE, CANCEL or a rejection), the far end's BYE, failed media,
// and the release of what a call held.

// byeTimeout bounds a BYE that no caller waits for (RFC 3261 section 15.1.1: the BYE is a
// non-INVITE transaction, answered within a few seconds or never).
const byeTimeout = 2 * time.Second

// hangUpTimeout bounds the BYE of a user's hang-up, within the caller's context.
const hangUpTimeout = 5 * time.Second

// byeDetached sends a BYE on a dialog that this side ends without anyone waiting for it (an
// answer that crossed a hang-up, failed media), within byeTimeout.
func (c *call) byeDetached(dlg *sip.Dialog) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	if err := dlg.Hangup(ctx); err != nil {
		c.s.log.Debug("bye failed", "call", c.info.ID, "error", err)
	}
}

// hangUp ends a call: BYE when connected, CANCEL while an outgoing call is not answered, and a
// ringing incoming call is rejected with 603 Decline. The call ends here at once (its media
// stops); the BYE or CANCEL follows within ctx.
func (s *Server) hangUp(ctx context.Context, id string) error {
	return s.hangUpAs(ctx, id, line.EndHungUpHere, "")
}

// hangUpAs is hangUp recording another cause (a transferred call) with its detail.
func (s *Server) hangUpAs(ctx context.Context, id string, cause line.EndCause, detail string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("hang up: call %s: %w", id, ErrNoCall)
	}
	if s.callCtxOrNil().Err() != nil {
		cause, detail = line.EndStopped, ""
	}
	c.mu.Lock()
	if c.phase == line.PhaseRingingIn {
		c.mu.Unlock()
		return s.reject("hang up", id, 603, "Decline")
	}
	dlg, out, dir := c.dlg, c.out, c.info.Direction
	p, st := c.phase, c.info.State
	_, err := c.moveLocked(line.EventHangUp)
	c.mu.Unlock()
	if err != nil {
		return refused("hang up", id, p, st)
	}
	switch {
	case dlg != nil:
		c.finish(cause, 0, detail)
		bctx, cancel := context.WithTimeout(ctx, hangUpTimeout)
		defer cancel()
		if err := dlg.Hangup(bctx); err != nil {
			return fmt.Errorf("hang up: %w", err)
		}
		return nil
	case dir == line.Outgoing:
		// Not answered yet, or answered a moment ago and still connecting: end it here; the
		// attempt sends CANCEL, and an answer that crosses it gets a BYE.
		if out != nil {
			out.Cancel()
		}
		if cause == line.EndHungUpHere {
			cause = line.EndCancelled
		}
		c.finish(cause, 487, detail)
		return nil
	default:
		// Answered here a moment ago and still connecting: the answer gets a BYE once its
		// dialog is up.
		c.finish(cause, 0, detail)
		return nil
	}
}

// follow waits until the dialog or the media ends and ends the call accordingly.
func (c *call) follow(dlg *sip.Dialog) {
	c.mu.Lock()
	ended := c.mediaEnded
	c.mu.Unlock()
	select {
	case <-dlg.Done():
		c.mu.Lock()
		note := c.endAs
		c.mu.Unlock()
		if r := dlg.EndReason(); r.Remote && note != nil {
			c.setOutcome(note.outcome, 0)
			c.finish(note.cause, 0, note.detail)
		} else if r.Remote {
			c.finish(line.EndHungUpThere, 0, "")
		} else {
			c.finish(line.EndFailed, 0, r.Text)
		}
	case err := <-ended:
		c.mu.Lock()
		over := c.phase.Over()
		c.mu.Unlock()
		if over {
			// Ended here (hang-up or finish): the BYE is on its way already.
			return
		}
		c.byeDetached(dlg)
		switch {
		case c.ctx.Err() != nil:
			c.finish(line.EndStopped, 0, "")
		case errors.Is(err, media.ErrInactive):
			c.finish(line.EndNoAudio, 0, "")
		default:
			c.finish(line.EndFailed, 0, fmt.Sprintf("media: %v", err))
		}
	}
}

// finish ends the call once: it records why, reports it, forgets the call and stops its
// goroutines; the sockets and audio are released here unless a media stream owns them.
func (c *call) finish(cause line.EndCause, code int, detail string) {
	c.end(cause, code, detail, false)
}

// end is finish; with busy (an outgoing call the far end answered busy) the speaker plays the busy
// tone for a while before the audio is released.
func (c *call) end(cause line.EndCause, code int, detail string, busy bool) {
	c.reportMu.Lock()
	defer c.reportMu.Unlock()
	c.mu.Lock()
	if _, err := c.moveLocked(line.EventEnd); err != nil {
		c.mu.Unlock()
		return // ended already
	}
	c.info.Ended = time.Now()
	c.info.EndCause = cause
	c.info.EndCode = code
	c.info.EndReason = detail
	if c.stream != nil {
		c.info.LossPercent = c.stream.Stats().LossPercent
	}
	ring := c.ring
	c.ring = nil
	media := c.mediaRunning
	info := c.info
	c.mu.Unlock()

	if ring != nil {
		ring()
	}
	c.leaveConference()
	c.cancel()
	close(c.done)
	c.s.callMu.Lock()
	delete(c.s.calls, info.ID)
	c.s.callMu.Unlock()
	switch {
	case busy && !media && c.s.audio != nil:
		go c.playBusy()
	case !media:
		c.release()
	}
	c.s.log.Info("call ended", "call", info.ID, "line", info.Line, "direction", info.Direction,
		"remote", info.RemoteNumber, "cause", cause, "code", code, "detail", detail)
	if id := c.journalEnded(info); id != 0 {
		c.mu.Lock()
		c.journalID = id
		c.mu.Unlock()
	}
	c.s.reportCall(c, info)
	c.s.publishLine(info.Line)
	c.s.rering()
}

// release closes the call's audio and sockets, once, after its media stopped.
func (c *call) release() {
	c.releaseOnce.Do(func() {
		c.mu.Lock()
		rtp, rtcp, audio, tone := c.rtp, c.rtcp, c.audio, c.tone
		c.audio, c.tone, c.mixer = nil, nil, nil
		c.mu.Unlock()
		tone.Stop() // before the audio closes: the tone writes into it
		if audio != nil {
			audio.Close()
		}
		if rtp != nil {
			rtp.Close()
		}
		if rtcp != nil {
			rtcp.Close()
		}
		c.s.callWG.Done()
	})
}

// endAllCalls hangs up every call (the server is stopping) and waits until they have ended.
func (s *Server) endAllCalls() {
	for _, c := range s.liveCalls() {
		ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
		if err := s.hangUp(ctx, c.info.ID); err != nil && !errors.Is(err, ErrNoCall) {
			c.finish(line.EndStopped, 0, "")
		}
		cancel()
	}
	s.callWG.Wait()
}

// playBusy plays the busy tone into the speaker of a call that ended busy, for busyToneFor or until
// the line server stops, and then releases the call. It opens the audio when the call had none
// yet (busy without ringing first).
func (c *call) playBusy() {
	defer c.release()
	c.mu.Lock()
	a, rate, tone := c.audio, c.audioRate, c.tone
	c.tone = nil
	c.mu.Unlock()
	tone.Stop()
	srvCtx := c.s.callCtxOrNil()
	if a == nil {
		if srvCtx.Err() != nil {
			return
		}
		rate = c.s.codecList()[0].SampleRate
		na, err := c.s.audio.OpenCall(rate)
		if err != nil {
			c.s.log.Warn("call audio failed: no busy tone", "call", c.info.ID, "error", err)
			return
		}
		a = na
		c.mu.Lock()
		c.audio, c.audioRate = a, rate
		c.mu.Unlock()
	}
	busy := playTone(srvCtx, a, rate, media.Busy, busyToneFor)
	<-busy.Done()
}
