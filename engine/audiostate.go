package engine

import (
	"slices"
	"time"
)

// AudioStatus is the state of the sound devices as the line server last heard of them: whether
// calls have sound at all, and whether a chosen device is missing so the system default plays
// instead (and why).
type AudioStatus struct {
	// Available is true when calls take and play sound through an Audio.
	Available bool
	// Fallback is true when a chosen device was not found or stopped and the system default is
	// used instead.
	Fallback bool
	// Reasons say why there is no sound or why a default replaces a chosen device, one per
	// device role ("call", "ringer"); empty when all is as chosen.
	Reasons []string
	// Changed is when the status last changed.
	Changed time.Time
}

// AudioReporter is an Audio that tells the line server when its devices change: a fallback to the
// default device, a device back as chosen, or sound lost. New subscribes the server when the Audio
// given to WithAudio implements it; the Audio then calls f with each new status (f does not block).
type AudioReporter interface {
	OnAudioStatus(f func(AudioStatus))
}

// WithAudioStatus sets the audio status the server starts with, e.g. why it runs without sound
// devices. Without it the status is "available" when WithAudio gave an Audio, and "not available"
// otherwise.
func WithAudioStatus(st AudioStatus) Option {
	return func(s *Server) {
		st.Reasons = slices.Clone(st.Reasons)
		s.audioStatus = st
		s.audioStatusSet = true
	}
}

// initAudioStatus sets the starting status and subscribes to the Audio's reports; New calls it
// after the options.
func (s *Server) initAudioStatus() {
	if !s.audioStatusSet {
		s.audioStatus = AudioStatus{Available: s.audio != nil}
		if s.audio == nil {
			s.audioStatus.Reasons = []string{"no sound devices: calls send silence and discard what they receive"}
		}
	}
	if s.audioStatus.Changed.IsZero() {
		s.audioStatus.Changed = time.Now()
	}
	if r, ok := s.audio.(AudioReporter); ok {
		r.OnAudioStatus(s.SetAudioStatus)
	}
}

// AudioStatus returns the sound devices' status as last reported.
func (s *Server) AudioStatus() AudioStatus {
	s.audioMu.Lock()
	defer s.audioMu.Unlock()
	st := s.audioStatus
	st.Reasons = slices.Clone(st.Reasons)
	return st
}

// SetAudioStatus records a new status of the sound devices and logs it when it differs from the
// last one. An AudioReporter calls it; Changed is set here.
func (s *Server) SetAudioStatus(st AudioStatus) {
	st.Reasons = slices.Clone(st.Reasons)
	s.audioMu.Lock()
	prev := s.audioStatus
	same := prev.Available == st.Available && prev.Fallback == st.Fallback && slices.Equal(prev.Reasons, st.Reasons)
	if same {
		s.audioMu.Unlock()
		return
	}
	st.Changed = time.Now()
	s.audioStatus = st
	s.audioMu.Unlock()
	switch {
	case !st.Available:
		s.log.Warn("sound devices not available", "reasons", st.Reasons)
	case st.Fallback:
		s.log.Warn("sound device fallback: using the system default", "reasons", st.Reasons)
	default:
		s.log.Info("sound devices as chosen")
	}
}
