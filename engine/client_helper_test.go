package engine

import (
	"context"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
)

// logOnClient logs a client on to srv, so that calls ring at it rather than being answered by the
// server's "not logged on" response; its events are read (and kept, for tests that look) until
// the test ends, when it logs off. Each hook sees every event as it comes (see newEventLog).
func logOnClient(tb testing.TB, srv *Server, name string, hooks ...func(api.Event)) *eventLog {
	tb.Helper()
	ss, err := srv.LogOn(context.Background(), name)
	if err != nil {
		tb.Fatalf("log on %q: %v", name, err)
	}
	el := newEventLog(ss, hooks...)
	tb.Cleanup(func() {
		ss.LogOff(context.Background())
		<-el.done
	})
	return el
}

// call returns the call with that ID as the client lists it now.
func (el *eventLog) call(tb testing.TB, id string) (api.Call, bool) {
	tb.Helper()
	for _, c := range el.liveCalls(tb) {
		if c.ID == id {
			return c, true
		}
	}
	return api.Call{}, false
}

// liveCalls returns the calls the client lists now.
func (el *eventLog) liveCalls(tb testing.TB) []api.Call {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs, err := el.Calls(ctx)
	if err != nil {
		tb.Fatalf("calls: %v", err)
	}
	return cs
}
