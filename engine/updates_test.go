package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// updates collects what a line server reports (call snapshots, a session's events) so that a
// test can wait for one.
type updates[T any] struct {
	mu   sync.Mutex
	all  []T
	kick chan struct{}
}

func newUpdates[T any]() *updates[T] { return &updates[T]{kick: make(chan struct{}, 1)} }

func (u *updates[T]) add(v T) {
	u.mu.Lock()
	u.all = append(u.all, v)
	u.mu.Unlock()
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// find returns the first update after the first n for which ok holds, waiting up to within; it
// may run on any goroutine.
func (u *updates[T]) find(n int, within time.Duration, ok func(T) bool) (T, error) {
	deadline := time.After(within)
	for {
		u.mu.Lock()
		for _, v := range u.all[min(n, len(u.all)):] {
			if ok(v) {
				u.mu.Unlock()
				return v, nil
			}
		}
		seen := len(u.all)
		var last any = "none"
		if seen > 0 {
			last = u.all[seen-1]
		}
		u.mu.Unlock()
		select {
		case <-u.kick:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			var zero T
			return zero, fmt.Errorf("none within %v (%d updates, %d before; the last: %+v)", within, seen, n, last)
		}
	}
}

// wait returns the first update (oldest first, including past ones) for which ok holds.
func (u *updates[T]) wait(t *testing.T, what string, within time.Duration, ok func(T) bool) T {
	t.Helper()
	return u.waitAfter(t, 0, what, within, ok)
}

// waitAfter is wait over the updates after the first n.
func (u *updates[T]) waitAfter(t *testing.T, n int, what string, within time.Duration, ok func(T) bool) T {
	t.Helper()
	v, err := u.find(n, within, ok)
	if err != nil {
		t.Fatalf("no update %q: %v", what, err)
	}
	return v
}

// count returns how many updates so far satisfy ok.
func (u *updates[T]) count(ok func(T) bool) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, v := range u.all {
		if ok(v) {
			n++
		}
	}
	return n
}
