package audio

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/media"
	"github.com/lineupphone/lineup/media/device"
)

// Desktop is the sound devices as the desktop app's settings window works them (api.Audio):
// it lists them, saves the choice and applies it to the running line server at once, plays a
// test tone and measures a microphone's level.
type Desktop struct {
	a  *Engine
	st Settings
	// tone makes the test tone at a rate (media.NewChime unless a test watches what is played); it
	// must last media.ChimeLength.
	tone func(rate int) media.FrameSource

	choosing sync.Mutex // one Choose at a time: what is saved is what is used
}

var _ api.Audio = (*Desktop)(nil)

// NewDesktop returns the settings window's view of e's devices; st keeps the choice.
func NewDesktop(e *Engine, st Settings) *Desktop { return &Desktop{a: e, st: st} }

// levelRate is the sample rate the level meter records at; meterHz how often it reports.
const (
	levelRate = 16000
	meterHz   = 20
)

// Devices implements api.Audio.
func (d *Desktop) Devices(context.Context) (api.AudioDevices, error) {
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
func (d *Desktop) Choose(ctx context.Context, choice api.AudioChoice) error {
	d.choosing.Lock()
	defer d.choosing.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	capture, playback, err := listDevices(d.a.sys)
	if err != nil {
		return err
	}
	c := Choice{CallCapture: strings.TrimSpace(choice.CallCapture),
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
func (d *Desktop) TestTone(ctx context.Context, playbackID string) error {
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
func (d *Desktop) InputLevel(ctx context.Context, captureID string, level func(dbfs float64)) error {
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
func (d *Desktop) attached(what string, list func() ([]device.Info, error), id string) error {
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

func audioRoles(c Choice, capture, playback []device.Info) []audioRole {
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
