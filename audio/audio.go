// Package audio adapts the machine's sound devices (package media/device) to the line server
// and its clients: Engine is the engine.Audio of calls and the ringer, which reports every
// fallback to a default device to the engine's audio status; Desktop is the api.Audio the desktop
// app's settings window works (device list, choice, test tone, level meter); Set and WriteDevices
// are `lineup audio set` and `lineup audio devices`. The choice is kept in the store's settings.
//
// It is its own package so that the binary only wires parts together, and so that neither the
// engine nor api depends on the devices (and their cgo): only this package joins them. It has no
// cgo of its own; that stays in media/device.
package audio

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/lineupphone/lineup/engine"
	"github.com/lineupphone/lineup/media/device"
)

// Settings is where the choice of devices is kept: the store's settings (*store.Store).
type Settings interface {
	// Setting returns a setting's value and whether it is set.
	Setting(key string) (string, bool, error)
	// SetSettings sets the settings in one go; an empty value removes a setting.
	SetSettings(kv map[string]string) error
}

// ErrMode is wrapped by the error for a sound mode that is not system, null, none, tone:HZ or
// wav:FILE.
var ErrMode = errors.New("unknown sound mode")

// ValidMode reports whether mode is one Open takes: system, null, none, or a file sound
// (tone:HZ, wav:FILE; see ParseFileMode for what their arguments must be).
func ValidMode(mode string) bool {
	return mode == "system" || mode == "null" || mode == "none" || IsFileMode(mode)
}

// OpenOption changes what Open sets up.
type OpenOption func(*openOptions)

type openOptions struct{ record string }

// WithRecordDir has a file sound (tone:HZ, wav:FILE) write what each call plays into a WAV file
// in dir.
func WithRecordDir(dir string) OpenOption { return func(o *openOptions) { o.record = dir } }

// The settings that remember the chosen sound devices by device ID; unset means the system
// default.
const (
	settingCallCapture  = "audio.call_capture"
	settingCallPlayback = "audio.call_playback"
	settingRinger       = "audio.ringer"
)

// ringerRate is the sample rate the ringtone is made at.
const ringerRate = 16000

// Choice is the chosen devices' IDs; empty means the system default.
type Choice struct {
	CallCapture, CallPlayback, Ringer string
}

// LoadChoice reads the remembered choice from the settings.
func LoadChoice(st Settings) (Choice, error) {
	var c Choice
	for key, dst := range map[string]*string{
		settingCallCapture: &c.CallCapture, settingCallPlayback: &c.CallPlayback, settingRinger: &c.Ringer,
	} {
		v, _, err := st.Setting(key)
		if err != nil {
			return Choice{}, err
		}
		*dst = v
	}
	return c, nil
}

// OpenSystem opens the sound backend: "system" is the machine's own, "null" miniaudio's
// silent devices (for tests and machines without a sound card). Any other mode is refused with an
// error wrapping ErrMode.
func OpenSystem(mode string, log *slog.Logger) (*device.System, error) {
	switch mode {
	case "system":
		return device.Open(device.WithLogger(log))
	case "null":
		return device.Open(device.WithNullBackend(), device.WithLogger(log))
	}
	return nil, fmt.Errorf("sound backend %q: want system or null: %w", mode, ErrMode)
}

// Setup is the line server's sound as Open sets it up.
type Setup struct {
	// Options give the engine its sound.
	Options []engine.Option
	// Close releases the devices after the server stopped.
	Close func()
	// Engine is the sound devices; nil without, and then Off says why.
	Engine *Engine
	Off    string
}

// Open sets up the line server's sound for `serve --audio MODE` and the desktop app: the devices
// with the remembered choice, or none (mode "none"); a mode not known is refused with an error
// wrapping ErrMode. When the sound system cannot be opened the server runs without
// sound and says so.
func Open(mode string, st Settings, log *slog.Logger, opts ...OpenOption) (Setup, error) {
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	without := func(why string) Setup {
		return Setup{
			Options: []engine.Option{engine.WithAudioStatus(engine.AudioStatus{Reasons: []string{why}})},
			Close:   func() {},
			Off:     why,
		}
	}
	if mode == "none" {
		log.Info("running without sound devices (--audio=none)")
		return without("running without sound devices (--audio=none)"), nil
	}
	if IsFileMode(mode) {
		mic, err := ParseFileMode(mode)
		if err != nil {
			return Setup{}, err
		}
		f, err := NewFile(mic, o.record, log)
		if err != nil {
			return Setup{}, err
		}
		log.Info("sound from a file: no sound devices", "microphone", mic.Name, "record", o.record)
		return Setup{Options: []engine.Option{engine.WithAudio(f)}, Close: func() {}}, nil
	}
	if o.record != "" {
		return Setup{}, fmt.Errorf("recording calls needs a file sound (tone:HZ or wav:FILE), not %q: %w", mode, ErrMode)
	}
	choice, err := LoadChoice(st)
	if err != nil {
		return Setup{}, err
	}
	sys, err := OpenSystem(mode, log)
	if errors.Is(err, ErrMode) {
		return Setup{}, err
	}
	if err != nil {
		log.Error("sound devices cannot be opened: running without sound", "err", err)
		return without("sound devices cannot be opened: " + err.Error()), nil
	}
	log.Info("sound devices", "backend", mode, "call_capture", idOrDefault(choice.CallCapture),
		"call_playback", idOrDefault(choice.CallPlayback), "ringer", idOrDefault(choice.Ringer))
	dev := NewEngine(sys, choice, log)
	return Setup{Options: []engine.Option{engine.WithAudio(dev)}, Close: sys.Close, Engine: dev}, nil
}

func idOrDefault(id string) string {
	if id == "" {
		return "default"
	}
	return id
}
