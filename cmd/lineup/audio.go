package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/media/device"
	"github.com/lineupphone/lineup/store"
)

// The settings that remember the chosen sound devices by device ID; unset means the system
// default.
const (
	settingCallCapture  = "audio.call_capture"
	settingCallPlayback = "audio.call_playback"
	settingRinger       = "audio.ringer"
)

// ringerRate is the sample rate the ringtone is made at.
const ringerRate = 16000

// audioChoice is the chosen devices' IDs; empty means the system default.
type audioChoice struct {
	CallCapture, CallPlayback, Ringer string
}

func loadAudioChoice(st *store.Store) (audioChoice, error) {
	var c audioChoice
	for key, dst := range map[string]*string{
		settingCallCapture: &c.CallCapture, settingCallPlayback: &c.CallPlayback, settingRinger: &c.Ringer,
	} {
		v, _, err := st.Setting(key)
		if err != nil {
			return audioChoice{}, err
		}
		*dst = v
	}
	return c, nil
}

// openAudioSystem opens the sound backend: "system" is the machine's own, "null" miniaudio's
// silent devices (for tests and machines without a sound card).
func openAudioSystem(mode string, log *slog.Logger) (*device.System, error) {
	switch mode {
	case "system":
		return device.Open(device.WithLogger(log))
	case "null":
		return device.Open(device.WithNullBackend(), device.WithLogger(log))
	}
	return nil, fmt.Errorf("--audio %q: want system, null or none: %w", mode, errUsage)
}

// deviceAudio is the sound devices as the line server's engine.Audio: calls open the chosen call
// capture and playback devices, the ringer plays the ringtone on the chosen ringer device, and
// every fallback to a default device (or failure to open one) is reported to the server's audio
// status.
type deviceAudio struct {
	sys    *device.System
	choice audioChoice
	log    *slog.Logger

	// ringtone makes the ringer's sound at a rate; tests replace it to watch what the ringer
	// plays.
	ringtone func(rate int) media.FrameSource

	mu       sync.Mutex
	problems map[string]string // device role ("call", "ringer") -> why it is not as chosen
	failed   map[string]bool   // the role's devices could not be opened at all
	notify   func(engine.AudioStatus)
}

func newDeviceAudio(sys *device.System, choice audioChoice, log *slog.Logger) *deviceAudio {
	return &deviceAudio{
		sys: sys, choice: choice, log: log, problems: map[string]string{}, failed: map[string]bool{},
		ringtone: func(rate int) media.FrameSource { return media.NewTone(rate, media.Ringtone) },
	}
}

// OnAudioStatus implements engine.AudioReporter. It reports at once whether the chosen devices are
// attached now.
func (a *deviceAudio) OnAudioStatus(f func(engine.AudioStatus)) {
	a.mu.Lock()
	a.notify = f
	a.mu.Unlock()
	a.preflight()
}

// preflight checks that the chosen devices are attached, before anything opens them.
func (a *deviceAudio) preflight() {
	missing := func(list func() ([]device.Info, error), what, id string) string {
		if id == "" {
			return ""
		}
		infos, err := list()
		if err != nil {
			return fmt.Sprintf("%s devices cannot be listed: %v", what, err)
		}
		for _, d := range infos {
			if d.ID == id {
				return ""
			}
		}
		return fmt.Sprintf("%s device %q not found: the system default will be used", what, id)
	}
	var call []string
	for _, r := range []string{
		missing(a.sys.Capture, "call capture", a.choice.CallCapture),
		missing(a.sys.Playback, "call playback", a.choice.CallPlayback),
	} {
		if r != "" {
			call = append(call, r)
		}
	}
	a.set("call", strings.Join(call, "; "), false)
	a.set("ringer", missing(a.sys.Playback, "ringer", a.choice.Ringer), false)
}

// set records a role's state and reports the new status.
func (a *deviceAudio) set(role, problem string, failed bool) {
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
func (a *deviceAudio) check(role string, fallback func() (bool, string)) {
	if _, reason := fallback(); reason != "" {
		a.set(role, reason, false)
	} else {
		a.set(role, "", false)
	}
}

// OpenCall opens the chosen call devices at rate.
func (a *deviceAudio) OpenCall(rate int) (engine.CallAudio, error) {
	d, err := a.sys.OpenCall(a.choice.CallCapture, a.choice.CallPlayback, rate)
	if err != nil {
		a.set("call", "call sound devices cannot be opened: "+err.Error(), true)
		return nil, fmt.Errorf("open call sound devices: %w", err)
	}
	a.check("call", d.Fallback)
	return &deviceCall{Duplex: d, a: a}, nil
}

// Ring plays the ringtone on the chosen ringer device until stop.
func (a *deviceAudio) Ring() (func(), error) {
	p, err := a.sys.OpenRinger(a.choice.Ringer, ringerRate, a.ringtone(ringerRate))
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
	a    *deviceAudio
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

// cmdAudio lists the sound devices and sets which ones Lineup uses.
func cmdAudio(g *globalFlags, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("audio needs a subcommand (devices or set): %w", errUsage)
	}
	fs := flag.NewFlagSet("audio "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	mode := fs.String("audio", "system", "sound `backend`: system, or null (silent devices, for tests)")
	set := false
	switch args[0] {
	case "devices":
	case "set":
		set = true
		fs.String("call-capture", "", "`ID` of the microphone for calls, or default")
		fs.String("call-playback", "", "`ID` of the speaker or headset for calls, or default")
		fs.String("ringer", "", "`ID` of the playback device that rings, or default")
	default:
		return fmt.Errorf("unknown audio subcommand %q: %w", args[0], errUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("audio %s: %w", args[0], errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audio %s takes no arguments: %w", args[0], errUsage)
	}
	changes := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if key := flagKey(f.Name); key != "" {
			changes[key] = strings.TrimSpace(f.Value.String())
		}
	})
	if set && len(changes) == 0 {
		return fmt.Errorf("audio set needs --call-capture, --call-playback or --ringer: %w", errUsage)
	}
	log, err := g.logger(stderr)
	if err != nil {
		return err
	}
	sys, err := openAudioSystem(*mode, log)
	if err != nil {
		return err
	}
	defer sys.Close()
	capture, err := sys.Capture()
	if err != nil {
		return err
	}
	playback, err := sys.Playback()
	if err != nil {
		return err
	}
	st, err := g.openStore()
	if err != nil {
		return err
	}
	defer st.Close()

	if set {
		for key, id := range changes {
			if id == "" || strings.EqualFold(id, "default") {
				changes[key] = "" // removes the setting: the system default
				continue
			}
			list := playback
			if key == settingCallCapture {
				list = capture
			}
			if !hasDevice(list, id) {
				return fmt.Errorf("%s: no device with ID %q is attached (see 'lineup audio devices')", flagOf(key), id)
			}
		}
		if err := st.SetSettings(changes); err != nil {
			return err
		}
	}
	choice, err := loadAudioChoice(st)
	if err != nil {
		return err
	}
	printDevices(stdout, capture, playback, choice)
	return nil
}

// flagKey and flagOf map the set flags to their settings and back.
func flagKey(name string) string {
	switch name {
	case "call-capture":
		return settingCallCapture
	case "call-playback":
		return settingCallPlayback
	case "ringer":
		return settingRinger
	}
	return ""
}

func flagOf(key string) string {
	switch key {
	case settingCallCapture:
		return "--call-capture"
	case settingCallPlayback:
		return "--call-playback"
	}
	return "--ringer"
}

func hasDevice(list []device.Info, id string) bool {
	for _, d := range list {
		if d.ID == id {
			return true
		}
	}
	return false
}

// printDevices lists the devices with their IDs, marking the system default and the chosen ones,
// and then says what is chosen (and when a chosen device is not attached).
func printDevices(w io.Writer, capture, playback []device.Info, c audioChoice) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string, list []device.Info, uses func(device.Info) []string) {
		fmt.Fprintf(tw, "%s\n", title)
		if len(list) == 0 {
			fmt.Fprintf(tw, "  (none)\n")
		}
		for _, d := range list {
			var marks []string
			if d.Default {
				marks = append(marks, "system default")
			}
			marks = append(marks, uses(d)...)
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.ID, d.Name, strings.Join(marks, ", "))
		}
	}
	chosen := func(id, what string) func(device.Info) []string {
		return func(d device.Info) []string {
			if id == d.ID || id == "" && d.Default {
				return []string{what}
			}
			return nil
		}
	}
	section("capture devices:", capture, chosen(c.CallCapture, "calls"))
	section("playback devices:", playback, func(d device.Info) []string {
		return append(chosen(c.CallPlayback, "calls")(d), chosen(c.Ringer, "ringer")(d)...)
	})
	tw.Flush()
	fmt.Fprintln(w)
	for _, x := range []struct {
		what, id string
		list     []device.Info
	}{
		{"call capture", c.CallCapture, capture},
		{"call playback", c.CallPlayback, playback},
		{"ringer", c.Ringer, playback},
	} {
		switch {
		case x.id == "":
			fmt.Fprintf(w, "%s: system default\n", x.what)
		case hasDevice(x.list, x.id):
			fmt.Fprintf(w, "%s: %s\n", x.what, x.id)
		default:
			fmt.Fprintf(w, "%s: %s (not attached: the system default is used)\n", x.what, x.id)
		}
	}
}

// serveAudio sets up the line server's sound for `serve --audio MODE`: the devices with the
// remembered choice, or none. When the sound system cannot be opened the server runs without
// sound and says so. The returned close function releases the devices after the server stopped.
func serveAudio(mode string, st *store.Store, log *slog.Logger) ([]engine.Option, func(), error) {
	if mode == "none" {
		log.Info("running without sound devices (--audio=none)")
		return []engine.Option{engine.WithAudioStatus(engine.AudioStatus{
			Reasons: []string{"running without sound devices (--audio=none)"},
		})}, func() {}, nil
	}
	choice, err := loadAudioChoice(st)
	if err != nil {
		return nil, nil, err
	}
	sys, err := openAudioSystem(mode, log)
	if errors.Is(err, errUsage) {
		return nil, nil, err
	}
	if err != nil {
		log.Error("sound devices cannot be opened: running without sound", "err", err)
		return []engine.Option{engine.WithAudioStatus(engine.AudioStatus{
			Reasons: []string{"sound devices cannot be opened: " + err.Error()},
		})}, func() {}, nil
	}
	log.Info("sound devices", "backend", mode, "call_capture", idOrDefault(choice.CallCapture),
		"call_playback", idOrDefault(choice.CallPlayback), "ringer", idOrDefault(choice.Ringer))
	return []engine.Option{engine.WithAudio(newDeviceAudio(sys, choice, log))}, sys.Close, nil
}

func idOrDefault(id string) string {
	if id == "" {
		return "default"
	}
	return id
}
