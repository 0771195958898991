//go:build !linux

package media

import "time"

// frameTimer wakes at start + n × FrameDuration with a Go timer.
type frameTimer struct {
	next time.Time
	t    *time.Timer
}

func newFrameTimer() *frameTimer {
	return &frameTimer{next: time.Now().Add(FrameDuration), t: time.NewTimer(FrameDuration)}
}

// wait sleeps until the next deadline; false when stop closed first.
func (f *frameTimer) wait(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return false
	case <-f.t.C:
	}
	now := time.Now()
	if now.Sub(f.next) > maxLag {
		f.next = now
	}
	f.next = f.next.Add(FrameDuration)
	f.t.Reset(time.Until(f.next))
	return true
}

func (f *frameTimer) close() { f.t.Stop() }
