package engine

import "github.com/lineupphone/lineup/api"

// eventLog reads a session's events into a list that tests can wait on; calls holds the calls of
// the EventCall events alone. Each hook sees every event first, on the reading goroutine: it
// must not block.
type eventLog struct {
	api.Session
	*updates[api.Event]
	calls *updates[api.Call]
	done  chan struct{}
}

func newEventLog(ss api.Session, hooks ...func(api.Event)) *eventLog {
	el := &eventLog{Session: ss, updates: newUpdates[api.Event](), calls: newUpdates[api.Call](),
		done: make(chan struct{})}
	go func() {
		defer close(el.done)
		for ev := range ss.Events() {
			for _, h := range hooks {
				h(ev)
			}
			el.add(ev)
			if ev.Type == api.EventCall && ev.Call != nil {
				el.calls.add(*ev.Call)
			}
		}
	}()
	return el
}
