package device

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"

	"github.com/lineupphone/lineup/media"
)

// reopenRetry is how long an endpoint waits before trying the default device again when it could
// not reopen after a device stopped.
const reopenRetry = time.Second

// endpoint is the device side shared by Duplex and Player: it opens the backend device(s) for the
// wanted IDs (or the defaults), and owns the one goroutine that reopens on the default device when
// a device stops unexpectedly, and that runs the owner's periodic feed if it has one.
//
// The device callback only touches what process touches (rings and atomics) and, on stop, makes
// a non-blocking send on stopped: it never takes mu.
type endpoint struct {
	sys     *System
	role    string // "call" or "ringer", for messages
	capture bool   // the stream records
	play    bool   // the stream plays
	apart   bool   // open capture and playback as two devices, not one duplex device
	rate    int
	process malgo.DataProc
	feed    func() // called every feedEvery by the endpoint's goroutine; nil for none

	stopped chan uint64 // generation of a device that stopped by itself
	quit    chan struct{}
	done    chan struct{}

	mu       sync.Mutex
	closed   bool
	devs     []*malgo.Device
	gen      uint64
	fallback string
}

// feedEvery is the period of an endpoint's feed: half a frame, so a feeder keeps a queue topped
// up well before the device drains it.
const feedEvery = media.FrameDuration / 2

func checkRate(rate int) error {
	if rate < 8000 || rate > 48000 || rate%int(time.Second/media.FrameDuration) != 0 {
		return fmt.Errorf("%d Hz: %w", rate, ErrSampleRate)
	}
	return nil
}

// start resolves the wanted IDs, opens and starts the device(s), and starts the endpoint's
// goroutine. An empty ID means the system default.
func (e *endpoint) start(captureID, playbackID string) error {
	var capDev, playDev *malgo.DeviceID
	var reasons []string
	resolve := func(kind malgo.DeviceType, id string) (*malgo.DeviceID, error) {
		if id == "" {
			return nil, nil
		}
		info, ok, err := e.sys.find(kind, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			reasons = append(reasons, fmt.Sprintf("%s device %q not found: using the system default", e.role, id))
			return nil, nil
		}
		dev := new(malgo.DeviceID)
		*dev = info.ID
		return dev, nil
	}
	var err error
	if e.capture {
		if capDev, err = resolve(malgo.Capture, captureID); err != nil {
			return err
		}
	}
	if e.play {
		if playDev, err = resolve(malgo.Playback, playbackID); err != nil {
			return err
		}
	}
	e.stopped = make(chan uint64, 4)
	e.quit = make(chan struct{})
	e.done = make(chan struct{})
	if !e.sys.register(e) {
		return ErrClosed
	}
	// The goroutine runs before the devices open, so that a System.Close racing with this start
	// finds it to stop; close() then waits for it and releases whatever was opened.
	go e.run()
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	err = e.openLocked(capDev, playDev)
	if err == nil && len(reasons) > 0 {
		e.fallback = strings.Join(reasons, "; ")
		e.sys.log.Warn("audio device fallback", "reason", e.fallback)
	}
	e.mu.Unlock()
	if err != nil {
		e.close()
		return err
	}
	return nil
}

// openLocked opens and starts the devices under a new generation. With both directions it tries
// one duplex device first and, when the backend cannot pair the two devices, opens a capture and
// a playback device separately.
func (e *endpoint) openLocked(capID, playID *malgo.DeviceID) error {
	e.gen++
	var err error
	switch {
	case e.capture && e.play:
		var devs []*malgo.Device
		var d *malgo.Device
		if !e.apart {
			if d, err = e.initDevice(malgo.Duplex, capID, playID); err == nil {
				devs = []*malgo.Device{d}
			} else {
				e.sys.log.Info("duplex device failed, opening capture and playback apart", "error", err)
			}
		}
		if devs == nil {
			var c, p *malgo.Device
			if c, err = e.initDevice(malgo.Capture, capID, nil); err == nil {
				if p, err = e.initDevice(malgo.Playback, nil, playID); err != nil {
					c.Uninit()
				} else {
					devs = []*malgo.Device{c, p}
				}
			}
		}
		if err != nil {
			return err
		}
		e.devs = devs
	case e.capture:
		d, err := e.initDevice(malgo.Capture, capID, nil)
		if err != nil {
			return err
		}
		e.devs = []*malgo.Device{d}
	default:
		d, err := e.initDevice(malgo.Playback, nil, playID)
		if err != nil {
			return err
		}
		e.devs = []*malgo.Device{d}
	}
	for _, d := range e.devs {
		if err := d.Start(); err != nil {
			e.uninitLocked()
			return fmt.Errorf("start %s device: %w", e.role, err)
		}
	}
	return nil
}

// initDevice opens one backend device: mono s16 at the stream's rate with 20 ms periods.
func (e *endpoint) initDevice(kind malgo.DeviceType, capID, playID *malgo.DeviceID) (*malgo.Device, error) {
	cfg := malgo.DefaultDeviceConfig(kind)
	cfg.SampleRate = uint32(e.rate)
	cfg.PeriodSizeInMilliseconds = uint32(media.FrameDuration / time.Millisecond)
	cfg.Capture.Format = malgo.FormatS16
	cfg.Capture.Channels = 1
	cfg.Playback.Format = malgo.FormatS16
	cfg.Playback.Channels = 1
	// The IDs are Go memory handed to C inside the config: pin them for the call (miniaudio
	// copies the ID during initialisation and keeps no pointer to it).
	var pin runtime.Pinner
	defer pin.Unpin()
	if capID != nil {
		pin.Pin(capID)
		cfg.Capture.DeviceID = unsafe.Pointer(capID)
	}
	if playID != nil {
		pin.Pin(playID)
		cfg.Playback.DeviceID = unsafe.Pointer(playID)
	}
	gen := e.gen
	d, err := malgo.InitDevice(e.sys.ctx.Context, cfg, malgo.DeviceCallbacks{
		Data: e.process,
		Stop: func() {
			select {
			case e.stopped <- gen:
			default: // a stop is already pending: one reopen is enough
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("open %s %s device at %d Hz: %w", e.role, kindName(kind), e.rate, err)
	}
	return d, nil
}

// uninitLocked stops and releases the devices. malgo drops the callbacks before stopping, so no
// stop is reported for this.
func (e *endpoint) uninitLocked() {
	for _, d := range e.devs {
		d.Uninit()
	}
	e.devs = nil
}

// run is the endpoint's goroutine: reopen on the default device after a stop, retrying while
// that fails, and feed the owner's queue.
func (e *endpoint) run() {
	defer close(e.done)
	var feed <-chan time.Time
	if e.feed != nil {
		t := time.NewTicker(feedEvery)
		defer t.Stop()
		feed = t.C
	}
	var retry *time.Timer
	var retryC <-chan time.Time
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	for {
		select {
		case <-e.quit:
			return
		case <-feed:
			e.feed()
		case gen := <-e.stopped:
			if e.reopen(gen) {
				continue
			}
			if retry == nil {
				retry = time.NewTimer(reopenRetry)
			} else {
				retry.Reset(reopenRetry)
			}
			retryC = retry.C
		case <-retryC:
			retryC = nil
			if !e.reopen(0) {
				retry.Reset(reopenRetry)
				retryC = retry.C
			}
		}
	}
}

// reopen replaces the devices of generation gen (0: whatever is open, after a failed reopen) by
// the system defaults. It returns false when that failed and should be retried.
func (e *endpoint) reopen(gen uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || (gen != 0 && gen != e.gen) {
		return true // closing, or a stop of devices already replaced
	}
	e.uninitLocked()
	err := e.openLocked(nil, nil)
	if err != nil {
		e.fallback = fmt.Sprintf("%s device stopped and the system default could not be opened: %v", e.role, err)
		e.sys.log.Error("audio device reopen", "role", e.role, "error", err)
		return false
	}
	e.fallback = fmt.Sprintf("%s device stopped: using the system default", e.role)
	e.sys.log.Warn("audio device fallback", "reason", e.fallback)
	return true
}

// Fallback reports whether a chosen device is not the one in use, and why.
func (e *endpoint) Fallback() (bool, string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fallback != "", e.fallback
}

// close stops the goroutine and the devices; safe to call twice.
func (e *endpoint) close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	e.mu.Unlock()
	close(e.quit)
	<-e.done
	e.mu.Lock()
	e.uninitLocked()
	e.mu.Unlock()
	e.sys.unregister(e)
}

// samples views a device buffer of s16 frames as int16 without copying. miniaudio's buffers are
// in native byte order and aligned for their format.
func samples(b []byte) []int16 {
	if len(b) < 2 {
		return nil
	}
	return unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2)
}
