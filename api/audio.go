package api

import "context"

// Audio is the desktop app's sound devices, for its settings window: which capture and playback
// devices are attached, which of them calls and the ringer use, a test tone and an input level
// meter.
//
// It is in-process only: the sound devices belong to the machine the app runs on, so the HTTP
// API does not serve it and the HTTP client does not implement it. Its methods are safe for
// concurrent use.
type Audio interface {
	// Devices lists the attached devices and the choice in use, with a problem for each chosen
	// device that is not attached (calls and the ringer then use the system default).
	Devices(ctx context.Context) (AudioDevices, error)
	// Choose checks that every chosen device is attached, saves the choice and uses it from the
	// next call and the next ring on. An error names the field at fault (e.g. `ringer: no device
	// with ID "x" is attached`) and wraps ErrBadInput when the choice is at fault; nothing is
	// saved then.
	Choose(ctx context.Context, c AudioChoice) error
	// TestTone plays a short tone (about 1.5 s) on the playback device with this ID (empty: the
	// system default) and returns when it has been played, or with ctx's error when ctx ends
	// first. A device that is not attached is refused with an error wrapping ErrBadInput.
	TestTone(ctx context.Context, playbackID string) error
	// InputLevel opens the capture device with this ID (empty: the system default) and calls
	// level with its level in dBFS (media.Level: a full-scale sine is 0, silence -120) about 20
	// times a second until ctx ends; then it closes the device and returns nil. level runs on
	// InputLevel's goroutine and must not block. A device that is not attached is refused with
	// an error wrapping ErrBadInput.
	InputLevel(ctx context.Context, captureID string, level func(dbfs float64)) error
}

// AudioDevice is one capture or playback device.
type AudioDevice struct {
	// ID identifies the device across runs; AudioChoice names devices by it.
	ID string
	// Name is the name the system gives the device.
	Name string
	// Default is true for the system's default device of its kind.
	Default bool
}

// AudioDevices is what Audio.Devices finds.
type AudioDevices struct {
	// Capture are the microphones, Playback the speakers and headsets.
	Capture, Playback []AudioDevice
	// Choice is the choice in use.
	Choice AudioChoice
	// Problems say which chosen devices are not attached, one sentence each.
	Problems []string
}

// AudioChoice is which devices Lineup uses, by AudioDevice.ID; an empty ID is the system default.
type AudioChoice struct {
	// CallCapture and CallPlayback are the microphone and the speaker or headset of calls.
	CallCapture, CallPlayback string
	// Ringer is the playback device that rings for incoming calls.
	Ringer string
}
