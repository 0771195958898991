package audio

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/media/device"
)

// Engine is the sound devices as the line server's engine.Audio: calls open the chosen call
// capture and playback devices, the ringer plays the ringtone on the chosen ringer device, and
// every fallback to a default device (or failure to open one) is reported to the server's audio
// status.
type Engine struct {
	sys *device.System
	log *slog.Logger

	// ringtone makes the ringer's sound at a rate; tests replace it to watch what the ringer
	// plays.
	ringtone func(rate int) media.FrameSource

	mu       sync.Mutex
	choice   Choice            // changed by the settings window while the server runs
	problems map[string]string // device role ("call", "ringer") -> why it is not as chosen
	failed   map[string]bool   // the role's devices could not be opened at all
	notify   func(engine.AudioStatus)
}

// NewEngine returns the devices of sys as the engine's sound, starting with choice.
func NewEngine(sys *device.System, choice Choice, log *slog.Logger) *Engine {
	return &Engine{
		sys: sys, choice: choice, log: log, problems: map[string]string{}, failed: map[string]bool{},
		ringtone: func(rate int) media.FrameSource { return media.NewTone(rate, media.Ringtone) },
	}
}

// OnAudioStatus implements engine.AudioReporter. It reports at once whether the chosen devices are
// attached now.
func (a *Engine) OnAudioStatus(f func(engine.AudioStatus)) {
	a.mu.Lock()
	a.notify = f
	a.mu.Unlock()
	a.preflight()
}

// chosen is the choice in use now.
func (a *Engine) chosen() Choice {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.choice
}

// use makes c the choice of the next call and the next ring, and checks it at once.
func (a *Engine) use(c Choice) {
	a.mu.Lock()
	a.choice = c
	a.mu.Unlock()
	a.preflight()
}

// preflight checks that the chosen devices are attached, before anything opens them.
func (a *Engine) preflight() {
	capture, playback, err := listDevices(a.sys)
	problems := map[string][]string{}
	for _, r := range audioRoles(a.chosen(), capture, playback) {
		if p := r.problem(err); p != "" {
			problems[r.role] = append(problems[r.role], p)
		}
	}
	a.set("call", strings.Join(problems["call"], "; "), false)
	a.set("ringer", strings.Join(problems["ringer"], "; "), false)
}

// set records a role's state and reports the new status.
func (a *Engine) set(role, problem string, failed bool) {
	a.mu.Lock()
	if a.problems[role] == problem && a.failed[role] == failed {
		a.mu.Unlock()
		return
	}
	a.problems[role], a.failed[role] = problem, failed
	st := engine.AudioStatus{Available: !a.failed["call"]}
	roles := make([]string, 0, len(a.problems))
	for r := range a.problems {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		if p := a.problems[r]; p != "" {
			st.Reasons = append(st.Reasons, p)
			if !a.failed[r] {
				st.Fallback = true
			}
		}
	}
	notify := a.notify
	a.mu.Unlock()
	if notify != nil {
		notify(st)
	}
}

// check records a device's fallback state.
func (a *Engine) check(role string, fallback func() (bool, string)) {
	if _, reason := fallback(); reason != "" {
		a.set(role, reason, false)
	} else {
		a.set(role, "", false)
	}
}

// OpenCall opens the chosen call devices at rate.
func (a *Engine) OpenCall(rate int) (engine.CallAudio, error) {
	c := a.chosen()
	d, err := a.sys.OpenCall(c.CallCapture, c.CallPlayback, rate)
	if err != nil {
		a.set("call", "call sound devices cannot be opened: "+err.Error(), true)
		return nil, fmt.Errorf("open call sound devices: %w", err)
	}
	a.check("call", d.Fallback)
	return &deviceCall{Duplex: d, a: a}, nil
}

// Ring plays the ringtone on the chosen ringer device until stop.
func (a *Engine) Ring() (func(), error) {
	p, err := a.sys.OpenRinger(a.chosen().Ringer, ringerRate, a.ringtone(ringerRate))
	if err != nil {
		a.set("ringer", "ringer device cannot be opened: "+err.Error(), true)
		return nil, fmt.Errorf("open ringer device: %w", err)
	}
	a.check("ringer", p.Fallback)
	var once sync.Once
	return func() {
		once.Do(func() {
			a.check("ringer", p.Fallback) // it may have fallen back while ringing
			p.Close()
		})
	}, nil
}

// deviceCall is one call's devices.
type deviceCall struct {
	*device.Duplex
	a    *Engine
	once sync.Once
}

// Close stops the call's devices, noting a fallback that happened during the call.
func (c *deviceCall) Close() error {
	c.once.Do(func() {
		c.a.check("call", c.Duplex.Fallback)
		c.Duplex.Close()
	})
	return nil
}
