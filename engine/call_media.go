package engine

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/sip"
)

// The media of calls: sockets, the stream of an answered call, hold (RFC 3264 section 8.4),
// DTMF (RFC 4733, or SIP INFO) and mute.

// openMedia binds the call's RTP and RTCP sockets and returns our media description.
func (c *call) openMedia(host string) (sip.MediaDesc, error) {
	var key []byte
	if c.acct.Encryption != line.EncryptionOff {
		k, err := media.NewSRTPKey()
		if err != nil {
			return sip.MediaDesc{}, fmt.Errorf("srtp key: %w", err)
		}
		key = k
	}
	rtp, rtcp, err := listenRTP(c.s.rtpIP(), c.s.rtpMin, c.s.rtpMax)
	if err != nil {
		return sip.MediaDesc{}, err
	}
	c.mu.Lock()
	c.rtp, c.rtcp = rtp, rtcp
	c.srtpKey = key
	c.local = sip.MediaDesc{
		Host:      host,
		Port:      portOf(rtp),
		Codecs:    c.s.codecList(),
		EventPT:   101,
		Direction: media.SendRecv,
	}
	// The offer of an outgoing call; an answer replaces them with what it chose.
	c.local.Crypto, c.local.Secure = sip.OfferCrypto(c.acct.Encryption, key)
	local := c.local
	c.mu.Unlock()
	return local, nil
}

// connected starts the media of an answered call (in phase answering); a goroutine of its own
// follows it to the end.
func (c *call) connected(dlg *sip.Dialog) {
	remote := dlg.Remote()
	codec := remote.Codecs[0]
	c.mu.Lock()
	early, earlyCodec := c.stream, c.streamCodec
	c.mu.Unlock()
	if early != nil {
		if earlyCodec != codec {
			c.byeDetached(dlg)
			c.finish(line.EndNoCommonCodec, 0, fmt.Sprintf("the far end answered with %s after early media in %s", codec.Name, earlyCodec.Name))
			return
		}
		if remote.Encrypted() != early.Stats().Encrypted {
			c.byeDetached(dlg)
			c.finish(line.EndNoEncryption, 0, "the far end's early media and its answer differ in encryption")
			return
		}
		if err := c.followKey(early, remote.Crypto); err != nil {
			c.byeDetached(dlg)
			c.finish(line.EndNoEncryption, 0, err.Error())
			return
		}
		// The early media stream goes on as the call's stream, towards the answer's address.
		early.SetRemote(addrPort(remote.Host, remote.Port))
		early.SetDirection(remote.Direction.Reverse())
		early.SetInactivityTimeout(c.s.inactivity)
		c.mu.Lock()
		early.SetMuted(c.info.Muted)
		c.mu.Unlock()
		c.established(dlg, early, codec)
		return
	}
	audio := c.takeAudio(codec.SampleRate)
	stream, mixer, err := c.newStream(remote, audio, c.s.inactivity)
	if err != nil {
		if audio != nil {
			audio.Close()
		}
		c.mu.Lock()
		c.dlg = dlg
		c.mu.Unlock()
		c.byeDetached(dlg)
		c.finish(line.EndFailed, 0, "media: "+err.Error())
		return
	}
	c.mu.Lock()
	if c.phase.Over() {
		// Hung up while we were connecting: finish releases the sockets (or has already).
		c.mu.Unlock()
		if audio != nil {
			audio.Close()
		}
		c.byeDetached(dlg)
		return
	}
	c.audio, c.audioRate, c.mixer = audio, codec.SampleRate, mixer
	c.startStreamLocked(stream, codec)
	c.mu.Unlock()
	c.established(dlg, stream, codec)
}

// startStreamLocked runs the call's media stream; its goroutine releases the call's sockets and
// audio once the stream stopped and the call ended. c.mu is held.
func (c *call) startStreamLocked(stream *media.Stream, codec media.Codec) {
	ended := make(chan error, 1)
	c.stream, c.streamCodec, c.mediaEnded = stream, codec, ended
	c.mediaRunning = true
	c.info.Encrypted = stream.Stats().Encrypted // what the stream really does
	go func() {
		ended <- stream.Run(c.ctx)
		<-c.done
		c.release()
	}()
}

// established records an answered call whose stream runs, and follows it to its end.
func (c *call) established(dlg *sip.Dialog, stream *media.Stream, codec media.Codec) {
	c.reportMu.Lock()
	c.mu.Lock()
	if _, err := c.moveLocked(line.EventEstablished); err != nil {
		// Hung up (or cancelled by the caller) while it connected.
		c.mu.Unlock()
		c.reportMu.Unlock()
		c.byeDetached(dlg)
		return
	}
	c.dlg = dlg
	c.info.Answered = time.Now()
	c.info.Codec = codec.Name
	info := c.info
	c.mu.Unlock()
	c.s.reportCall(c, info)
	c.reportMu.Unlock()
	dlg.OnDTMFInfo(c.dtmfReceived)
	dlg.OnRemoteChange(func(d sip.MediaDesc) {
		c.mu.Lock()
		held := c.phase == line.PhaseHeld
		c.mu.Unlock()
		if d.Port != 0 {
			stream.SetRemote(addrPort(d.Host, d.Port))
		}
		if err := c.followKey(stream, d.Crypto); err != nil {
			c.s.log.Warn("the far end's new srtp key cannot be used", "call", c.info.ID, "error", err)
		}
		c.applyDirection(stream, d.Direction, held)
		c.update(func(i *line.Call) { i.HeldByRemote = !d.Direction.Receives() })
	})

	go c.follow(dlg)
}

// setHold puts a connected call on hold (re-INVITE with sendonly), or with hold false takes a
// held call back.
func (s *Server) setHold(ctx context.Context, id string, hold bool) error {
	verb, ev := "hold", line.EventHold
	if !hold {
		verb, ev = "retrieve", line.EventRetrieve
	}
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("%s: call %s: %w", verb, id, ErrNoCall)
	}
	c.mu.Lock()
	p, st, dlg, stream := c.phase, c.info.State, c.dlg, c.stream
	c.mu.Unlock()
	if dlg == nil || !p.Allows(ev) {
		return refused(verb, id, p, st)
	}
	var err error
	if hold {
		err = dlg.Hold(ctx)
	} else {
		err = dlg.Resume(ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", verb, err)
	}
	c.applyDirection(stream, dlg.Remote().Direction, hold)
	if err := c.followKey(stream, dlg.Remote().Crypto); err != nil {
		s.log.Warn("the far end's new srtp key cannot be used", "call", id, "error", err)
	}
	// The held party hears the hold music, not our microphone; retrieving restores the user's
	// mute.
	c.mu.Lock()
	userMuted, src := c.info.Muted, c.source
	c.mu.Unlock()
	if src != nil {
		src.held.Store(hold)
	}
	// In a conference the mixer mutes the microphone: the stream sends the other party too.
	stream.SetMuted(!hold && userMuted && c.conference() == nil)
	if err := c.move(ev); err != nil {
		// Ended while the re-INVITE was under way: nothing is left to hold.
		s.log.Debug("hold change after the call's end", "call", id, "error", err)
	}
	return nil
}

// applyDirection sets the stream to the direction that follows from the far end's answer or
// offer (its direction reversed), and mutes our sending while we hold.
func (c *call) applyDirection(stream *media.Stream, remote media.Direction, heldHere bool) {
	if stream == nil {
		return
	}
	d := remote.Reverse()
	if heldHere && d.Receives() {
		// We hold: do not play what arrives even if the far end keeps sending.
		if d.Sends() {
			d = media.SendOnly
		} else {
			d = media.Inactive
		}
	}
	stream.SetDirection(d)
}

// sendDTMF sends digits on a connected or held call: RFC 4733 events when the far end offered
// telephone-event, SIP INFO otherwise.
func (s *Server) sendDTMF(ctx context.Context, id, digits string) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("dtmf: call %s: %w", id, ErrNoCall)
	}
	for _, d := range digits {
		if !strings.ContainsRune("0123456789*#ABCD", d) {
			return fmt.Errorf("dtmf: %q: %w", d, media.ErrBadDigit)
		}
	}
	c.mu.Lock()
	p, st, dlg, stream, mixer := c.phase, c.info.State, c.dlg, c.stream, c.mixer
	if c.conf != nil {
		mixer = c.conf.speaker // the user hears a conference in one speaker
	}
	c.mu.Unlock()
	if dlg == nil || !p.InDialog() {
		return refused("dtmf", id, p, st)
	}
	const digitLength = 100 * time.Millisecond
	for _, d := range digits {
		err := stream.SendDTMF(d, digitLength)
		if errors.Is(err, media.ErrNoTelephoneEvent) {
			err = dlg.SendDTMFInfo(ctx, d)
		}
		if err != nil {
			return fmt.Errorf("dtmf: %w", err)
		}
		if mixer != nil {
			// The user hears the digit in the speaker while it is sent.
			mixer.feedback(d, digitLength)
		}
		// A pause between digits so the far end tells repeated digits apart.
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// setMuted stops or restarts sending the microphone on a connected or held call.
func (s *Server) setMuted(id string, muted bool) error {
	c := s.call(id)
	if c == nil {
		return fmt.Errorf("mute: call %s: %w", id, ErrNoCall)
	}
	c.mu.Lock()
	p, st, stream := c.phase, c.info.State, c.stream
	c.mu.Unlock()
	if !p.InDialog() {
		return refused("mute", id, p, st)
	}
	if s.muteConference(c, muted) {
		return nil
	}
	if stream != nil {
		stream.SetMuted(muted && p != line.PhaseHeld) // while held the hold music plays
	}
	c.update(func(i *line.Call) { i.Muted = muted })
	return nil
}

func (c *call) dtmfReceived(d rune) {
	c.update(func(i *line.Call) { i.DTMFReceived += string(d) })
}

func addrPort(host string, port int) netip.AddrPort {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(port))
}

// takeAudio silences the ringback and returns the call's audio at rate: the audio the ringback
// played into when its rate fits, else newly opened (nil without sound).
func (c *call) takeAudio(rate int) CallAudio {
	c.mu.Lock()
	audio, had, tone := c.audio, c.audioRate, c.tone
	c.audio, c.tone = nil, nil
	c.mu.Unlock()
	tone.Stop()
	if audio != nil && had != rate {
		audio.Close()
		audio = nil
	}
	if audio == nil && c.s.audio != nil {
		a, err := c.s.audio.OpenCall(rate)
		if err != nil {
			c.s.log.Warn("call audio failed: the call goes on without sound", "call", c.info.ID, "error", err)
			return nil
		}
		audio = a
	}
	return audio
}

// newStream makes the media stream towards remote on the call's sockets, playing into audio's
// speaker through a mixer for DTMF feedback.
func (c *call) newStream(remote sip.MediaDesc, audio CallAudio, inactivity time.Duration) (*media.Stream, *speakerMixer, error) {
	codec := remote.Codecs[0]
	c.mu.Lock()
	cfg := media.StreamConfig{
		Conn:              c.rtp,
		RTCPConn:          c.rtcp,
		Remote:            addrPort(remote.Host, remote.Port),
		RemoteRTCP:        addrPort(remote.Host, remote.Port+1),
		Codec:             codec,
		EventPT:           remote.EventPT,
		Direction:         remote.Direction.Reverse(),
		InactivityTimeout: inactivity,
		OnDTMF:            c.dtmfReceived,
		Logger:            c.s.log,
	}
	if remote.Encrypted() {
		cfg.SRTP = &media.SRTP{Suite: remote.Crypto[0].Suite, Local: c.srtpKey, Remote: remote.Crypto[0].Key}
	}
	c.mu.Unlock()
	src := &callSource{hold: media.NewHoldMusic(codec.SampleRate)}
	sink := &callSink{}
	cfg.Source, cfg.Sink = src, sink
	var mixer *speakerMixer
	if audio != nil {
		mixer = newSpeakerMixer(audio, codec.SampleRate)
		src.mic, sink.mixer = audio, mixer
	}
	stream, err := media.NewStream(cfg)
	if err == nil {
		c.mu.Lock()
		c.source, c.sink = src, sink
		c.mu.Unlock()
	}
	return stream, mixer, err
}

// callSource is what a call's stream sends: the microphone (silence without one), or the hold
// music while the call is held here, so that the held party knows the line is still there. In
// a conference the conference mixer gives the frame instead of the microphone.
type callSource struct {
	mic  media.FrameSource
	hold media.FrameSource
	held atomic.Bool
	leg  atomic.Pointer[media.ConferenceLeg]
}

// ReadFrame runs on the media clock.
func (s *callSource) ReadFrame(pcm []int16) {
	leg := s.leg.Load()
	switch {
	case s.held.Load():
		s.hold.ReadFrame(pcm)
	case leg != nil:
		leg.ReadFrame(pcm)
	case s.mic != nil:
		s.mic.ReadFrame(pcm)
	default:
		clear(pcm)
	}
}

// followKey gives the stream the far end's key of a new description (RFC 4568 section 7.1.4
// lets a re-offer or an answer bring a new one); the stream ignores the key it already has.
func (c *call) followKey(stream *media.Stream, crypto []sip.Crypto) error {
	if len(crypto) == 0 {
		return nil
	}
	if err := stream.SetSRTPRemote(crypto[0].Suite, crypto[0].Key); err != nil {
		return fmt.Errorf("srtp: %w", err)
	}
	return nil
}
