package engine

import "github.com/lineupphone/lineup/api"

// eventLog reads a session's events into a list that tests can wait on.
type eventLog struct {
	api.Session
	*updates[api.Event]
	done chan struct{}
}

func newEventLog(ss api.Session) *eventLog {
	el := &eventLog{Session: ss, updates: newUpdates[api.Event](), done: make(chan struct{})}
	go func() {
		defer close(el.done)
		for ev := range ss.Events() {
			el.add(ev)
		}
	}()
	return el
}
