package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"github.com/lineupphone/lineup/api"
)

// bridge is the one way from other goroutines to the widgets, and the only caller of fyne.Do:
// the goroutine that reads a session's events, the clock that ticks call durations while a call is going on, and the
// goroutines that run session actions (which may wait on the network) all hand their results
// to the UI through post, which runs them on Fyne's goroutine in order. The bridge owns those
// goroutines; stop ends them and waits.
type bridge struct {
	do     func(func()) // fyne.Do; tests run the functions on their own goroutine instead
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newBridge(do func(func())) *bridge {
	if do == nil {
		do = fyne.Do
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &bridge{do: do, ctx: ctx, cancel: cancel}
}

// post runs fn on Fyne's goroutine, unless the bridge has stopped.
func (b *bridge) post(fn func()) {
	if b.ctx.Err() != nil {
		return
	}
	b.do(func() {
		if b.ctx.Err() == nil {
			fn()
		}
	})
}

// spawn runs work on a goroutine the bridge owns.
func (b *bridge) spawn(work func(ctx context.Context)) {
	if b.ctx.Err() != nil {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		work(b.ctx)
	}()
}

// actionTimeout bounds one session action started from the UI.
const actionTimeout = 30 * time.Second

// run calls action on its own goroutine and then done with its error on Fyne's goroutine.
func (b *bridge) run(action func(ctx context.Context) error, done func(error)) {
	b.spawn(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		err := action(ctx)
		cancel()
		if done != nil {
			b.post(func() { done(err) })
		}
	})
}

// watch reads the session's events until the channel closes (log off) or the bridge stops;
// apply sees each event on Fyne's goroutine, in order, and closed runs once the channel closed.
func (b *bridge) watch(s api.Session, apply func(api.Event), closed func()) {
	b.spawn(func(ctx context.Context) {
		ch := s.Events()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-ch:
				if !ok {
					b.post(closed)
					return
				}
				b.post(func() { apply(ev) })
			}
		}
	})
}

// tick calls f on Fyne's goroutine every interval until stop is called or the bridge stops.
// A tick already handed to Fyne may still run after stop.
func (b *bridge) tick(interval time.Duration, f func(now time.Time)) (stop func()) {
	ctx, cancel := context.WithCancel(b.ctx)
	b.spawn(func(context.Context) {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				b.post(func() { f(now) })
			}
		}
	})
	return cancel
}

// until runs work on a goroutine the bridge owns, with a context that ends when stop is called
// (on any goroutine, any number of times) or the bridge stops. stop does not wait for work to
// return; the bridge's stop does. work hands what it finds to the UI with post.
func (b *bridge) until(work func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(b.ctx)
	b.spawn(func(context.Context) {
		defer cancel()
		work(ctx)
	})
	return cancel
}

// after calls f on Fyne's goroutine once d has passed, unless the bridge stops first.
func (b *bridge) after(d time.Duration, f func()) {
	b.spawn(func(ctx context.Context) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			b.post(f)
		}
	})
}

// idleNews is what the idle watch learns from the UI.
type idleNews int

const (
	idleSettling idleNews = iota // nothing is going on from now: run the releases
	idleEvent                    // something happened: if the releases are due, wait again
	idleBusy                     // a call is going on: no release until it ended
)

// whenIdle calls f on a goroutine of its own (not Fyne's) after each of the delays, counted one
// after the other from the last idleSettling or idleEvent, once idleSettling armed it; an
// idleEvent while armed starts over, idleBusy disarms. It returns tell, which any goroutine may
// call.
func (b *bridge) whenIdle(delays []time.Duration, f func()) (tell func(idleNews)) {
	var mu sync.Mutex
	var news []idleNews
	wake := make(chan struct{}, 1)
	tell = func(n idleNews) {
		mu.Lock()
		news = append(news, n)
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	b.spawn(func(ctx context.Context) {
		t := time.NewTimer(time.Hour)
		t.Stop()
		defer t.Stop()
		next := -1 // the delay waited for now; -1: disarmed
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				mu.Lock()
				got := news
				news = nil
				mu.Unlock()
				for _, n := range got {
					switch {
					case n == idleSettling, n == idleEvent && next >= 0:
						next = 0
					case n == idleBusy:
						next = -1
					}
				}
				t.Stop()
				if next >= 0 {
					t.Reset(delays[next])
				}
			case <-t.C:
				f()
				if next++; next < len(delays) {
					t.Reset(delays[next])
				} else {
					next = -1
				}
			}
		}
	})
	return tell
}

// quitWhenDone quits the app when ctx ends (SIGINT in the command), unless the bridge stops first.
func (b *bridge) quitWhenDone(ctx context.Context, a fyne.App) {
	b.spawn(func(bctx context.Context) {
		select {
		case <-bctx.Done():
		case <-ctx.Done():
			b.do(a.Quit)
		}
	})
}

// stop ends the bridge's goroutines and waits for them. Functions already handed to Fyne run as
// no-ops.
func (b *bridge) stop() {
	b.cancel()
	b.wg.Wait()
}
