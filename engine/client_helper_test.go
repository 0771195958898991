package engine

import (
	"context"
	"testing"
)

// logOnClient logs a client on to srv, so that calls ring at it rather than being answered by the
// server's "not logged on" response; its events are read (and kept, for tests that look) until
// the test ends, when it logs off.
func logOnClient(tb testing.TB, srv *Server, name string) *eventLog {
	tb.Helper()
	ss, err := srv.LogOn(context.Background(), name)
	if err != nil {
		tb.Fatalf("log on %q: %v", name, err)
	}
	el := newEventLog(ss)
	tb.Cleanup(func() {
		ss.LogOff(context.Background())
		<-el.done
	})
	return el
}
