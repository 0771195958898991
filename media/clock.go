package media

import (
	"sync"
	"time"
)

// Clock is the shared 20 ms scheduler of the streams: one goroutine wakes every FrameDuration and
// drives the send and playout step of every stream registered to it, so 50 calls cost one timer
// and one wake-up per frame rather than fifty. It sleeps to absolute deadlines (start + n × 20 ms),
// so the interval does not drift; after a long stall (a suspended machine) it starts afresh rather
// than sending a burst of frames. In each frame it first sends for every stream and then plays
// out for every stream, so the packets leave as close to the deadline as possible.
//
// The goroutine runs only while at least one stream is registered (while a Stream's Run is
// running); it stops when the last stream leaves. The zero Clock is not usable: use NewClock or
// DefaultClock.
type Clock struct {
	mu      sync.Mutex
	streams []*Stream
	stop    chan struct{} // closed to end the current goroutine
	done    chan struct{} // closed by the current goroutine when it has ended
	running bool
	stopped bool
}

// DefaultClock drives every stream whose config names no Clock.
var DefaultClock = NewClock()

// maxLag is how far behind its schedule the clock may fall before it gives up catching up and
// restarts its schedule from now.
const maxLag = 5 * FrameDuration

// NewClock returns a clock with no streams; its goroutine starts with the first stream.
func NewClock() *Clock { return &Clock{} }

// Stop halts the clock for good: the Run of every stream registered to it returns
// ErrClockStopped, and a later Run with this clock returns that error at once. Stop waits until
// the goroutine has ended. It is for clocks made with NewClock; the default clock is never stopped.
func (c *Clock) Stop() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	streams := c.streams
	c.streams = nil
	done := c.halt()
	c.mu.Unlock()
	if done != nil {
		<-done
	}
	for _, s := range streams {
		s.clockStopped()
	}
}

// halt ends the goroutine if it runs and returns the channel to wait on. c.mu must be held.
func (c *Clock) halt() chan struct{} {
	if !c.running {
		return nil
	}
	c.running = false
	close(c.stop)
	return c.done
}

// add registers s; its tick runs from the next frame on.
func (c *Clock) add(s *Stream) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return ErrClockStopped
	}
	c.streams = append(c.streams, s)
	if !c.running {
		c.running = true
		c.stop = make(chan struct{})
		c.done = make(chan struct{})
		go c.loop(c.stop, c.done)
	}
	return nil
}

// remove unregisters s. When it returns, s's frame steps are not running and will not run again; when s
// was the last stream, the goroutine has ended.
func (c *Clock) remove(s *Stream) {
	c.mu.Lock()
	for i, x := range c.streams {
		if x == s {
			last := len(c.streams) - 1
			c.streams[i] = c.streams[last]
			c.streams[last] = nil
			c.streams = c.streams[:last]
			break
		}
	}
	var done chan struct{}
	if len(c.streams) == 0 {
		done = c.halt()
	}
	c.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (c *Clock) loop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	ft := newFrameTimer()
	defer ft.close()
	for ft.wait(stop) {
		now := time.Now()
		c.mu.Lock()
		select {
		case <-stop:
			// A stop raced with this tick; a new goroutine may already own the streams.
			c.mu.Unlock()
			return
		default:
		}
		for _, s := range c.streams {
			s.send()
		}
		for _, s := range c.streams {
			s.play(now)
		}
		c.mu.Unlock()
	}
}
