package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/lineupphone/lineup/api"
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
	sys *device.System
	log *slog.Logger

	// ringtone makes the ringer's sound at a rate; tests replace it to watch what the ringer
	// plays.
	ringtone func(rate int) media.FrameSource

	mu       sync.Mutex
	choice   audioChoice       // changed by the settings window while the server runs
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

// chosen is the choice in use now.
func (a *deviceAudio) chosen() audioChoice {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.choice
}

// use makes c the choice of the next call and the next ring, and checks it at once.
func (a *deviceAudio) use(c audioChoice) {
	a.mu.Lock()
	a.choice = c
	a.mu.Unlock()
	a.preflight()
}

// preflight checks that the chosen devices are attached, before anything opens them.
func (a *deviceAudio) preflight() {
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
func (a *deviceAudio) Ring() (func(), error) {
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

// desktopAudio is the sound devices as the desktop app's settings window works them (api.Audio):
// it lists them, saves the choice and applies it to the running line server at once, plays a
// test tone and measures a microphone's level.
type desktopAudio struct {
	a  *deviceAudio
	st *store.Store
	// tone makes the test tone at a rate (media.NewChime unless a test watches what is played); it
	// must last media.ChimeLength.
	tone func(rate int) media.FrameSource

	choosing sync.Mutex // one Choose at a time: what is saved is what is used
}

var _ api.Audio = (*desktopAudio)(nil)

// levelRate is the sample rate the level meter records at; meterHz how often it reports.
const (
	levelRate = 16000
	meterHz   = 20
)

// Devices implements api.Audio.
func (d *desktopAudio) Devices(context.Context) (api.AudioDevices, error) {
	capture, playback, err := listDevices(d.a.sys)
	if err != nil {
		return api.AudioDevices{}, err
	}
	c := d.a.chosen()
	out := api.AudioDevices{
		Capture: apiDevices(capture), Playback: apiDevices(playback),
		Choice: api.AudioChoice{CallCapture: c.CallCapture, CallPlayback: c.CallPlayback, Ringer: c.Ringer},
	}
	for _, r := range audioRoles(c, capture, playback) {
		if p := r.problem(nil); p != "" {
			out.Problems = append(out.Problems, p)
		}
	}
	return out, nil
}

// Choose implements api.Audio: it checks that the chosen devices are attached, saves the three
// settings in one go and uses them from the next call and ring on.
func (d *desktopAudio) Choose(ctx context.Context, choice api.AudioChoice) error {
	d.choosing.Lock()
	defer d.choosing.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	capture, playback, err := listDevices(d.a.sys)
	if err != nil {
		return err
	}
	c := audioChoice{CallCapture: strings.TrimSpace(choice.CallCapture),
		CallPlayback: strings.TrimSpace(choice.CallPlayback), Ringer: strings.TrimSpace(choice.Ringer)}
	settings := map[string]string{}
	for _, r := range audioRoles(c, capture, playback) {
		if r.id != "" && !hasDevice(r.list, r.id) {
			return errNotAttached(r.what, r.id)
		}
		settings[r.key] = r.id // empty removes the setting: the system default
	}
	if err := d.st.SetSettings(settings); err != nil {
		return fmt.Errorf("save the sound devices: %w", err)
	}
	d.a.use(c)
	d.a.log.Info("sound devices chosen", "call_capture", idOrDefault(c.CallCapture),
		"call_playback", idOrDefault(c.CallPlayback), "ringer", idOrDefault(c.Ringer))
	return nil
}

// TestTone implements api.Audio: it plays testChime on the device and waits until the device
// has taken all of it.
func (d *desktopAudio) TestTone(ctx context.Context, playbackID string) error {
	if err := d.attached("playback", d.a.sys.Playback, playbackID); err != nil {
		return err
	}
	var src media.FrameSource = media.NewChime(ringerRate)
	if d.tone != nil {
		src = d.tone(ringerRate)
	}
	p, err := d.a.sys.OpenRinger(playbackID, ringerRate, src)
	if err != nil {
		return fmt.Errorf("test tone: %w", err)
	}
	defer p.Close()
	// The player pulls a few frames ahead of the device: once it has pulled toneTail frames of
	// silence after the chime, the device has played the chime.
	frames := uint64((media.ChimeLength+media.FrameDuration-1)/media.FrameDuration + toneTail)
	deadline := time.NewTimer(2*media.ChimeLength + time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(media.FrameDuration)
	defer tick.Stop()
	for p.Frames() < frames {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("test tone: the playback device took %d of %d frames", p.Frames(), frames)
		case <-tick.C:
		}
	}
	return nil
}

// InputLevel implements api.Audio: it records from the device and reports the level of what
// came in since the last report, meterHz times a second.
func (d *desktopAudio) InputLevel(ctx context.Context, captureID string, level func(dbfs float64)) error {
	if err := d.attached("capture", d.a.sys.Capture, captureID); err != nil {
		return err
	}
	r, err := d.a.sys.OpenCapture(captureID, levelRate)
	if err != nil {
		return fmt.Errorf("input level: %w", err)
	}
	defer r.Close()
	buf := make([]int16, levelRate/meterHz)
	tick := time.NewTicker(time.Second / meterHz)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			n := r.Latest(buf)
			level(media.Level(buf[:n]))
		}
	}
}

// listDevices lists the capture and playback devices.
func listDevices(sys *device.System) (capture, playback []device.Info, err error) {
	if capture, err = sys.Capture(); err != nil {
		return nil, nil, err
	}
	if playback, err = sys.Playback(); err != nil {
		return nil, nil, err
	}
	return capture, playback, nil
}

// attached refuses an ID (empty: the system default, always there) that no device of the list
// has; what names the argument.
func (d *desktopAudio) attached(what string, list func() ([]device.Info, error), id string) error {
	if id == "" {
		return nil
	}
	devs, err := list()
	if err != nil {
		return err
	}
	if !hasDevice(devs, id) {
		return errNotAttached(what, id)
	}
	return nil
}

// errNotAttached refuses a device ID for the field what.
func errNotAttached(what, id string) error {
	return fmt.Errorf("%s: no device with ID %q is attached: %w", what, id, api.ErrBadInput)
}

// audioRole is one of the three chosen devices: its words, setting, ID, the devices it is
// chosen from, and what uses it ("call" or "ringer", as the audio status names them).
type audioRole struct {
	what, key, id string
	list          []device.Info
	role          string
}

func audioRoles(c audioChoice, capture, playback []device.Info) []audioRole {
	return []audioRole{
		{"call capture", settingCallCapture, c.CallCapture, capture, "call"},
		{"call playback", settingCallPlayback, c.CallPlayback, playback, "call"},
		{"ringer", settingRinger, c.Ringer, playback, "ringer"},
	}
}

// problem is why the chosen device will not be used, or "" when it will (or none is chosen);
// listErr is why the devices could not be listed.
func (r audioRole) problem(listErr error) string {
	switch {
	case r.id == "":
		return ""
	case listErr != nil:
		return fmt.Sprintf("%s devices cannot be listed: %v", r.what, listErr)
	case !hasDevice(r.list, r.id):
		return fmt.Sprintf("%s device %q is not attached: the system default is used", r.what, r.id)
	}
	return ""
}

func apiDevices(list []device.Info) []api.AudioDevice {
	out := make([]api.AudioDevice, len(list))
	for i, d := range list {
		out[i] = api.AudioDevice{ID: d.ID, Name: d.Name, Default: d.Default}
	}
	return out
}

// toneTail is how many frames of silence TestTone lets the player pull after the chime: more
// than the player queues ahead of the device.
const toneTail = 6

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

// lineAudio is the line server's sound as serveAudio sets it up.
type lineAudio struct {
	// opts give the engine its sound.
	opts []engine.Option
	// close releases the devices after the server stopped.
	close func()
	// dev is the sound devices; nil without, and then off says why.
	dev *deviceAudio
	off string
}

// serveAudio sets up the line server's sound for `serve --audio MODE`: the devices with the
// remembered choice, or none. When the sound system cannot be opened the server runs without
// sound and says so.
func serveAudio(mode string, st *store.Store, log *slog.Logger) (lineAudio, error) {
	without := func(why string) lineAudio {
		return lineAudio{
			opts:  []engine.Option{engine.WithAudioStatus(engine.AudioStatus{Reasons: []string{why}})},
			close: func() {},
			off:   why,
		}
	}
	if mode == "none" {
		log.Info("running without sound devices (--audio=none)")
		return without("running without sound devices (--audio=none)"), nil
	}
	choice, err := loadAudioChoice(st)
	if err != nil {
		return lineAudio{}, err
	}
	sys, err := openAudioSystem(mode, log)
	if errors.Is(err, errUsage) {
		return lineAudio{}, err
	}
	if err != nil {
		log.Error("sound devices cannot be opened: running without sound", "err", err)
		return without("sound devices cannot be opened: " + err.Error()), nil
	}
	log.Info("sound devices", "backend", mode, "call_capture", idOrDefault(choice.CallCapture),
		"call_playback", idOrDefault(choice.CallPlayback), "ringer", idOrDefault(choice.Ringer))
	dev := newDeviceAudio(sys, choice, log)
	return lineAudio{opts: []engine.Option{engine.WithAudio(dev)}, close: sys.Close, dev: dev}, nil
}

func idOrDefault(id string) string {
	if id == "" {
		return "default"
	}
	return id
}
