package device

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gen2brain/malgo"
)

// Errors of this package; match them with errors.Is.
var (
	// ErrClosed is returned when the System was closed.
	ErrClosed = errors.New("audio system is closed")
	// ErrSampleRate is returned for a sample rate that is not a whole number of samples per
	// frame or is out of range.
	ErrSampleRate = errors.New("unsupported sample rate")
)

// Info describes one capture or playback device.
type Info struct {
	// ID identifies the device across runs (the hex form of the backend's device ID), so a
	// choice can be stored in settings and found again.
	ID string
	// Name is the name the system gives the device.
	Name string
	// Default is true for the system's default device of its kind.
	Default bool
}

// Option changes how Open sets up the audio system.
type Option func(*options)

type options struct {
	backends []malgo.Backend
	logger   *slog.Logger
}

// WithNullBackend uses miniaudio's null backend: one silent capture and one playback device that
// keep real time without a sound card. For tests and machines without audio.
func WithNullBackend() Option {
	return func(o *options) { o.backends = []malgo.Backend{nullBackend} }
}

// WithLogger sets the logger for device events (fallbacks, reopen failures).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// System is the audio backend: it lists devices and opens streams on them. Close it when done;
// Close also closes every Duplex and Player still open.
type System struct {
	ctx *malgo.AllocatedContext
	log *slog.Logger

	mu     sync.Mutex
	closed bool
	open   map[*endpoint]struct{}
}

// Open initialises the audio backend (the system's best one, unless an option says otherwise).
func Open(opts ...Option) (*System, error) {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	ctx, err := malgo.InitContext(o.backends, malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("open audio backend: %w", err)
	}
	return &System{ctx: ctx, log: o.logger, open: make(map[*endpoint]struct{})}, nil
}

// Close closes every stream still open and releases the backend. It is safe to call twice.
func (s *System) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	open := make([]*endpoint, 0, len(s.open))
	for e := range s.open {
		open = append(open, e)
	}
	s.mu.Unlock()
	for _, e := range open {
		e.close()
	}
	if err := s.ctx.Uninit(); err != nil {
		s.log.Warn("audio backend uninit", "error", err)
	}
	s.ctx.Free()
}

// Capture lists the capture devices (microphones).
func (s *System) Capture() ([]Info, error) { return s.list(malgo.Capture) }

// Playback lists the playback devices (speakers, headsets).
func (s *System) Playback() ([]Info, error) { return s.list(malgo.Playback) }

func (s *System) list(kind malgo.DeviceType) ([]Info, error) {
	devs, err := s.devices(kind)
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(devs))
	for i := range devs {
		out[i] = Info{ID: idString(devs[i].ID), Name: devs[i].Name(), Default: devs[i].IsDefault != 0}
	}
	return out, nil
}

func (s *System) devices(kind malgo.DeviceType) ([]malgo.DeviceInfo, error) {
	// Holding mu keeps Close from releasing the backend while it is in use here.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	devs, err := s.ctx.Devices(kind)
	if err != nil {
		return nil, fmt.Errorf("list %s devices: %w", kindName(kind), err)
	}
	return devs, nil
}

// find returns the device with the given ID, or ok false when no such device is attached.
func (s *System) find(kind malgo.DeviceType, id string) (malgo.DeviceInfo, bool, error) {
	devs, err := s.devices(kind)
	if err != nil {
		return malgo.DeviceInfo{}, false, err
	}
	for _, d := range devs {
		if idString(d.ID) == id {
			return d, true, nil
		}
	}
	return malgo.DeviceInfo{}, false, nil
}

// register adds a stream to close on Close; false when the System is closed.
func (s *System) register(e *endpoint) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.open[e] = struct{}{}
	return true
}

func (s *System) unregister(e *endpoint) {
	s.mu.Lock()
	delete(s.open, e)
	s.mu.Unlock()
}

// idString is the stable text form of a device ID: the hex of its bytes without trailing zeros.
func idString(id malgo.DeviceID) string {
	return id.String()
}

func kindName(kind malgo.DeviceType) string {
	switch kind {
	case malgo.Capture:
		return "capture"
	case malgo.Playback:
		return "playback"
	case malgo.Duplex:
		return "duplex"
	}
	return fmt.Sprintf("kind %d", kind)
}
