//go:build linux

package media

import (
	"errors"

	"golang.org/x/sys/unix"
)

// frameTimer wakes at start + n × FrameDuration with clock_nanosleep on CLOCK_MONOTONIC and an
// absolute deadline. A Go timer wakes up to a millisecond late on Linux (the runtime's poller
// waits in whole milliseconds), which alone would spend half of the 2 ms budget for the
// deviation of the send interval; the kernel's high-resolution timer is late by about 0.1 ms.
// The sleep blocks one OS thread, not a P, for the length of a frame.
type frameTimer struct {
	next int64 // nanoseconds on CLOCK_MONOTONIC
}

func monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("media: CLOCK_MONOTONIC: " + err.Error()) // cannot fail on Linux
	}
	return ts.Nano()
}

func newFrameTimer() *frameTimer {
	return &frameTimer{next: monotonic() + int64(FrameDuration)}
}

// wait sleeps until the next deadline; false when stop closed first (seen at the deadline, so at
// most a frame late).
func (f *frameTimer) wait(stop <-chan struct{}) bool {
	ts := unix.NsecToTimespec(f.next)
	for {
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	select {
	case <-stop:
		return false
	default:
	}
	if now := monotonic(); now-f.next > int64(maxLag) {
		f.next = now
	}
	f.next += int64(FrameDuration)
	return true
}

func (f *frameTimer) close() {}
