package engine

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// reportingAudio is an Audio that reports device changes when the test says so.
type reportingAudio struct {
	toneAudio
	mu     sync.Mutex
	report func(AudioStatus)
}

func (a *reportingAudio) OnAudioStatus(f func(AudioStatus)) {
	a.mu.Lock()
	a.report = f
	a.mu.Unlock()
}

func (a *reportingAudio) send(st AudioStatus) {
	a.mu.Lock()
	f := a.report
	a.mu.Unlock()
	f(st)
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestServer(t *testing.T, out io.Writer, opts ...Option) *Server {
	t.Helper()
	all := append([]Option{
		WithLogger(slog.New(slog.NewTextHandler(out, nil))),
		WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}),
	}, opts...)
	srv, err := New(line.Config{}, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestAudioStatusWithoutAudio(t *testing.T) {
	srv := newTestServer(t, io.Discard)
	if st := srv.AudioStatus(); st.Available || len(st.Reasons) == 0 {
		t.Errorf("no Audio given: status %+v, want not available with a reason", st)
	}
	srv = newTestServer(t, io.Discard, WithAudioStatus(AudioStatus{Reasons: []string{"--audio=none"}}))
	if st := srv.AudioStatus(); st.Available || len(st.Reasons) != 1 || st.Reasons[0] != "--audio=none" {
		t.Errorf("status %+v, want the reason given to WithAudioStatus", st)
	}
}

func TestAudioStatusFollowsReportsAndLogsChanges(t *testing.T) {
	var logs syncBuffer
	a := &reportingAudio{}
	srv := newTestServer(t, &logs, WithAudio(a))
	st := srv.AudioStatus()
	if !st.Available || st.Fallback || st.Changed.IsZero() {
		t.Fatalf("start: %+v, want available without fallback", st)
	}

	reason := `call device "headset-1" not found: using the system default`
	a.send(AudioStatus{Available: true, Fallback: true, Reasons: []string{reason}})
	st = srv.AudioStatus()
	if !st.Fallback || len(st.Reasons) != 1 || st.Reasons[0] != reason {
		t.Fatalf("after a fallback: %+v", st)
	}
	changed := st.Changed
	// The same report again is no change: not logged twice, Changed kept.
	a.send(AudioStatus{Available: true, Fallback: true, Reasons: []string{reason}})
	if got := srv.AudioStatus().Changed; !got.Equal(changed) {
		t.Errorf("Changed moved from %v to %v on a repeated report", changed, got)
	}
	if n := strings.Count(logs.String(), "headset-1"); n != 1 {
		t.Errorf("the fallback was logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("a fallback is not logged as a warning:\n%s", logs.String())
	}
	// The returned reasons are a copy.
	srv.AudioStatus().Reasons[0] = "changed by the caller"
	if srv.AudioStatus().Reasons[0] != reason {
		t.Error("AudioStatus shares its reasons with the caller")
	}

	a.send(AudioStatus{Available: true})
	if st := srv.AudioStatus(); st.Fallback || len(st.Reasons) != 0 {
		t.Errorf("after the device came back: %+v", st)
	}
	if !strings.Contains(logs.String(), "sound devices as chosen") {
		t.Errorf("the return to the chosen devices is not logged:\n%s", logs.String())
	}
}
