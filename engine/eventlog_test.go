package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
)

// eventLog reads a session's events into a list that tests can wait on.
type eventLog struct {
	api.Session
	mu   sync.Mutex
	all  []api.Event
	kick chan struct{}
	done chan struct{}
}

func newEventLog(ss api.Session) *eventLog {
	el := &eventLog{Session: ss, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(el.done)
		for ev := range ss.Events() {
			el.mu.Lock()
			el.all = append(el.all, ev)
			el.mu.Unlock()
			select {
			case el.kick <- struct{}{}:
			default:
			}
		}
	}()
	return el
}

// wait returns the first event (from the start) for which ok holds, or fails the test.
func (el *eventLog) wait(t *testing.T, what string, within time.Duration, ok func(api.Event) bool) api.Event {
	t.Helper()
	deadline := time.After(within)
	for {
		el.mu.Lock()
		for _, ev := range el.all {
			if ok(ev) {
				el.mu.Unlock()
				return ev
			}
		}
		n := len(el.all)
		el.mu.Unlock()
		select {
		case <-el.kick:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no event %q within %v (%d events seen)", what, within, n)
		}
	}
}

// count returns how many events so far satisfy ok.
func (el *eventLog) count(ok func(api.Event) bool) int {
	el.mu.Lock()
	defer el.mu.Unlock()
	n := 0
	for _, ev := range el.all {
		if ok(ev) {
			n++
		}
	}
	return n
}

// waitAfter is wait over the events after the first n.
func (el *eventLog) waitAfter(t *testing.T, n int, what string, within time.Duration, ok func(api.Event) bool) api.Event {
	t.Helper()
	ev, err := el.find(n, within, ok)
	if err != nil {
		t.Fatalf("no event %q: %v", what, err)
	}
	return ev
}

// find returns the first event after the first n for which ok holds; it may run on any
// goroutine.
func (el *eventLog) find(n int, within time.Duration, ok func(api.Event) bool) (api.Event, error) {
	deadline := time.After(within)
	for {
		el.mu.Lock()
		for _, ev := range el.all[min(n, len(el.all)):] {
			if ok(ev) {
				el.mu.Unlock()
				return ev, nil
			}
		}
		seen := len(el.all)
		el.mu.Unlock()
		select {
		case <-el.kick:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return api.Event{}, fmt.Errorf("none within %v (%d events seen, %d before)", within, seen, n)
		}
	}
}
