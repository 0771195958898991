package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// These tests pin down races of the call lifecycle found in review: answers and hang-ups that
// cross, a server stopping while a call connects, silent early media.

// slowAudio opens its call audio slowly, like a sound device that takes its time.
type slowAudio struct {
	*toneAudio
	delay time.Duration
}

func (a *slowAudio) OpenCall(rate int) (CallAudio, error) {
	time.Sleep(a.delay)
	return a.toneAudio.OpenCall(rate)
}

// withAccount replaces the account of scriptedServer's line.
func withAccount(a line.Account) Option {
	return func(s *Server) {
		for i := range s.cfg.Lines {
			s.cfg.Lines[i].Account = a
		}
	}
}

// scriptedServer runs a line server with one line "l" (user 201) registered at the scripted PBX,
// with a client logged on that the test acts through; audio may be nil for a server without sound.
func scriptedServer(t *testing.T, pbx *earlyMediaPBX, audio Audio, opts ...Option) (*eventLog, func() bool) {
	t.Helper()
	w := newWatcher()
	cfg := line.Config{Groups: []line.Group{{Name: "Sales"}}, Lines: []line.Line{{
		Name: "l", Group: "Sales", Account: line.Account{Registrar: pbx.addr, User: "201"},
	}}}
	all := []Option{WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}),
		WithStateFunc(w.add)}
	if audio != nil {
		all = append(all, WithAudio(audio))
	}
	all = append(all, opts...)
	srv, err := New(cfg, all...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	var stopped bool
	stop := func() bool {
		once.Do(func() {
			cancel()
			select {
			case <-done:
				stopped = true
			case <-time.After(8 * time.Second):
			}
		})
		return stopped
	}
	t.Cleanup(func() { stop() })
	cl := logOnClient(t, srv, "test client")
	w.waitAll(t, line.RegRegistered, 5*time.Second, "l")
	return cl, stop
}

// A far end that sends a 183 and then no RTP for longer than the inactivity timeout is not hung
// up: the timeout counts only from the answer.
func TestSilentEarlyMediaDoesNotTimeOutTheCall(t *testing.T) {
	pbx := startEarlyMediaPBX(t, 2500*time.Millisecond, pbxScript{silentEarly: true})
	cl, _ := scriptedServer(t, pbx, &toneAudio{freq: 440}, WithInactivityTimeout(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := cl.Dial(ctx, "l", "300")
	if err != nil {
		t.Fatal(err)
	}
	cl.calls.wait(t, "connected", 5*time.Second, func(c api.Call) bool { return c.ID == out.ID && c.State == line.CallConnected })
	time.Sleep(500 * time.Millisecond)
	if c, ok := cl.call(t, out.ID); !ok || c.State != line.CallConnected {
		t.Fatalf("half a second after the answer the call is %v (%q), want connected", c.State, c.EndReason)
	}
}

// Hanging up just as the far end answers, while the call audio still opens, ends the call.
func TestHangUpWhileConnectingEndsTheCall(t *testing.T) {
	pbx := startEarlyMediaPBX(t, 300*time.Millisecond, pbxScript{noEarly: true, silentEarly: true})
	cl, _ := scriptedServer(t, pbx, &slowAudio{toneAudio: &toneAudio{freq: 440}, delay: 800 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := cl.Dial(ctx, "l", "300")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(650 * time.Millisecond) // answered at 300 ms; the audio opens until about 800 ms
	if err := cl.HangUp(ctx, out.ID); err != nil {
		t.Fatalf("HangUp: %v", err)
	}
	cl.calls.wait(t, "ended", 3*time.Second, func(c api.Call) bool { return c.ID == out.ID && c.State == line.CallEnded })
	time.Sleep(1500 * time.Millisecond)
	if c, ok := cl.call(t, out.ID); ok {
		t.Fatalf("the call came back after the hang-up: %v", c.State)
	}
}

// The line server stops while an answered call is connecting: Run still returns.
func TestShutdownWhileConnectingReturns(t *testing.T) {
	pbx := startEarlyMediaPBX(t, 300*time.Millisecond, pbxScript{noEarly: true, silentEarly: true})
	cl, stop := scriptedServer(t, pbx, &slowAudio{toneAudio: &toneAudio{freq: 440}, delay: 800 * time.Millisecond})
	if _, err := cl.Dial(context.Background(), "l", "300"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(650 * time.Millisecond)
	start := time.Now()
	if !stop() {
		t.Fatalf("Run has not returned 8 s after its context ended; calls: %+v", cl.liveCalls(t))
	}
	t.Logf("Run returned %v after its context ended", time.Since(start).Round(time.Millisecond))
}

// Answer pressed twice at once (a double click, or the UI and the API): one wins, the other is
// refused, and the call stays up.
func TestDoubleAnswerKeepsTheCall(t *testing.T) {
	a, b := twoParties(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := a.client.Dial(ctx, a.line, "202")
	if err != nil {
		t.Fatal(err)
	}
	in := b.calls.wait(t, "ringing at b", 5*time.Second, func(c api.Call) bool {
		return c.Direction == line.Incoming && c.State == line.CallRinging
	})
	errs := make(chan error, 2)
	go func() { errs <- b.client.Answer(ctx, in.ID) }()
	go func() { errs <- b.client.Answer(ctx, in.ID) }()
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) || !(errors.Is(e1, ErrCallState) || errors.Is(e2, ErrCallState)) {
		t.Fatalf("answers returned %v and %v; want one success and one ErrCallState", e1, e2)
	}
	time.Sleep(time.Second)
	if c, ok := b.client.call(t, in.ID); !ok || c.State != line.CallConnected {
		t.Fatalf("callee's call is %v (%q) after a double answer, want connected", c.State, c.EndReason)
	}
	if c, ok := a.client.call(t, out.ID); !ok || c.State != line.CallConnected {
		t.Fatalf("caller's call is %v (%q), want connected", c.State, c.EndReason)
	}
}

// Listing calls while dialling and hanging up is free of data races (go test -race).
func TestCallsListedWhileDialling(t *testing.T) {
	a, _ := twoParties(t)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				if _, err := a.client.Calls(context.Background()); err != nil {
					t.Errorf("calls: %v", err)
					return
				}
			}
		}
	}()
	for range 5 {
		out, err := a.client.Dial(context.Background(), a.line, "202")
		if err != nil {
			t.Fatal(err)
		}
		if err := a.client.HangUp(context.Background(), out.ID); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	<-done
	deadline := time.Now().Add(3 * time.Second)
	for len(a.client.liveCalls(t)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(a.client.liveCalls(t)); n != 0 {
		t.Fatalf("%d calls left after hanging all up", n)
	}
}
