package engine

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/sip"
)

// watcher collects registration states and lets a test wait for a condition over all lines.
type watcher struct {
	mu    sync.Mutex
	state map[string]line.Registration
	all   []line.Registration
	kick  chan struct{}
}

func newWatcher() *watcher {
	return &watcher{state: map[string]line.Registration{}, kick: make(chan struct{}, 1)}
}

func (w *watcher) add(r line.Registration) {
	w.mu.Lock()
	w.state[r.Line] = r
	w.all = append(w.all, r)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// waitAll waits until every named line is in state s and returns the states.
func (w *watcher) waitAll(t *testing.T, s line.RegState, within time.Duration, names ...string) map[string]line.Registration {
	t.Helper()
	deadline := time.After(within)
	for {
		w.mu.Lock()
		done := true
		for _, n := range names {
			if w.state[n].State != s {
				done = false
			}
		}
		snap := map[string]line.Registration{}
		for k, v := range w.state {
			snap[k] = v
		}
		w.mu.Unlock()
		if done {
			return snap
		}
		select {
		case <-w.kick:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("lines %v not all %v within %v; states: %+v", names, s, within, snap)
		}
	}
}

func (w *watcher) count(name string, s line.RegState) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, r := range w.all {
		if r.Line == name && r.State == s {
			n++
		}
	}
	return n
}

func testConfig(pbx *testpbx.PBX, lines ...line.Line) line.Config {
	cfg := line.Config{Groups: []line.Group{{Name: "Sales"}}}
	for _, l := range lines {
		l.Group = "Sales"
		if l.Account.Registrar == "" {
			switch l.Account.Transport {
			case line.TransportTCP:
				l.Account.Registrar = pbx.TCPAddr()
			case line.TransportTLS:
				l.Account.Registrar = pbx.TLSAddr()
				l.Account.CAFile = pbx.CAFile()
			default:
				l.Account.Registrar = pbx.UDPAddr()
			}
		}
		cfg.Lines = append(cfg.Lines, l)
	}
	return cfg
}

func acct(user, password string, tr line.Transport) line.Account {
	return line.Account{User: user, Password: password, Transport: tr}
}

// startServer runs the line server until the test ends (or stop is called) and returns it.
func startServer(t *testing.T, cfg line.Config, w *watcher, ro ...sip.RegisterOption) (*Server, func()) {
	t.Helper()
	srv, err := New(cfg,
		WithEndpoint(sip.EndpointConfig{ListenIP: "127.0.0.1"}),
		WithStateFunc(w.add),
		WithRegisterOptions(ro...),
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return srv, stop
}

// routedOptions sends OPTIONS for user through Kamailio, which routes it to the user's registered
// contact, and returns the final status and the response text.
func routedOptions(t *testing.T, pbx *testpbx.PBX, user string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	res := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service(user))
	recv := res.Received()
	last := ""
	if len(recv) > 0 {
		last = recv[len(recv)-1]
	}
	return res.FinalStatus(), last
}

func TestLinesRegisterAtKamailioAndAreReachable(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{TLS: true, Users: []testpbx.User{
		{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"},
		{Name: "203", Password: "pw-203"}, {Name: "204", Password: "pw-204"},
	}})
	cfg := testConfig(pbx,
		line.Line{Name: "udp", Account: acct("201", "pw-201", line.TransportUDP)},
		line.Line{Name: "tcp", Account: acct("202", "pw-202", line.TransportTCP)},
		line.Line{Name: "tls", Account: acct("203", "pw-203", line.TransportTLS)},
		line.Line{Name: "off", Account: acct("204", "pw-204", line.TransportUDP), Disabled: true},
	)
	w := newWatcher()
	srv, stop := startServer(t, cfg, w)
	states := w.waitAll(t, line.RegRegistered, 10*time.Second, "udp", "tcp", "tls")
	for _, n := range []string{"udp", "tcp", "tls"} {
		if left := time.Until(states[n].Expires); left < 3000*time.Second || left > 3600*time.Second {
			t.Errorf("line %s: binding expires in %v, want the asked 3600 s granted", n, left)
		}
	}
	if r, _ := srv.Registration("off"); r.State != line.RegDisabled {
		t.Errorf("disabled line is %v, want disabled", r.State)
	}

	// Kamailio routes an OPTIONS for each user to the contact it holds; Lineup answers it.
	for _, user := range []string{"201", "202", "203"} {
		code, res := routedOptions(t, pbx, user)
		if code != 200 || !strings.Contains(res, "Accept: application/sdp") {
			t.Errorf("OPTIONS to %s through Kamailio: %d, want 200 from Lineup; response:\n%s", user, code, res)
		}
	}
	if code, _ := routedOptions(t, pbx, "204"); code != 404 {
		t.Errorf("OPTIONS to the disabled line's user: %d, want 404 (never registered)", code)
	}

	// Stopping the server removes the bindings.
	stop()
	for _, user := range []string{"201", "202", "203"} {
		if code, _ := routedOptions(t, pbx, user); code != 404 {
			t.Errorf("after shutdown, OPTIONS to %s: %d, want 404 (de-registered)", user, code)
		}
	}
	if n := w.count("udp", line.RegUnregistered); n != 1 {
		t.Errorf("line udp reported unregistered %d times, want 1", n)
	}
}

func TestWrongPasswordFailsWithCodeAndBacksOff(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "right"}}})
	cfg := testConfig(pbx, line.Line{Name: "bad", Account: acct("201", "wrong", line.TransportUDP)})
	w := newWatcher()
	srv, stop := startServer(t, cfg, w, sip.WithBackoff(200*time.Millisecond, 10*time.Second))
	w.waitAll(t, line.RegFailed, 5*time.Second, "bad")
	r, _ := srv.Registration("bad")
	if r.Code != 401 && r.Code != 403 {
		t.Fatalf("failure code %d %q, want 401 or 403 from the registrar", r.Code, r.Reason)
	}
	if r.Reason == "" || r.RetryAt.Before(time.Now()) {
		t.Fatalf("failure should give a reason and a future retry time: %+v", r)
	}
	time.Sleep(3 * time.Second)
	stop()
	// Waits of about 0.2, 0.4, 0.8, 1.6 s (less up to 20 % jitter): at most 5 attempts in 3 s.
	if n := w.count("bad", line.RegFailed); n < 2 || n > 5 {
		t.Fatalf("%d failed attempts in about 3 s, want 2 to 5 with exponential back-off", n)
	}
	if code, _ := routedOptions(t, pbx, "201"); code != 404 {
		t.Fatalf("OPTIONS to 201: %d, want 404: a wrong password must not register", code)
	}
}

func TestLinesRegisterAgainAfterKamailioRestart(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{
		{Name: "201", Password: "a"}, {Name: "202", Password: "b"},
	}})
	cfg := testConfig(pbx,
		line.Line{Name: "udp", Account: line.Account{User: "201", Password: "a", Expires: 10}},
		line.Line{Name: "tcp", Account: line.Account{User: "202", Password: "b", Expires: 10, Transport: line.TransportTCP}},
	)
	const backoffMax = 2 * time.Second
	const attemptTimeout = time.Second
	w := newWatcher()
	startServer(t, cfg, w,
		sip.WithBackoff(250*time.Millisecond, backoffMax), sip.WithAttemptTimeout(attemptTimeout))
	w.waitAll(t, line.RegRegistered, 10*time.Second, "udp", "tcp")

	if err := pbx.Kill(); err != nil {
		t.Fatal(err)
	}
	// The refresh at 8 s of the 10 s binding fails while the registrar is down.
	w.waitAll(t, line.RegFailed, 15*time.Second, "udp", "tcp")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := pbx.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	// Kamailio lost its bindings with the restart: every line is back within one back-off step
	// and one attempt.
	w.waitAll(t, line.RegRegistered, backoffMax+attemptTimeout+time.Second, "udp", "tcp")
	t.Logf("all lines registered again %v after the restart", time.Since(restarted).Round(time.Millisecond))
	for _, user := range []string{"201", "202"} {
		if code, res := routedOptions(t, pbx, user); code != 200 {
			t.Errorf("OPTIONS to %s after restart: %d, want 200; response:\n%s", user, code, res)
		}
	}
}

func TestTLSRegistrarWithUntrustedCertificateFails(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{TLS: true, Users: []testpbx.User{{Name: "201", Password: "a"}}})
	cfg := testConfig(pbx, line.Line{Name: "tls", Account: line.Account{
		User: "201", Password: "a", Transport: line.TransportTLS, Registrar: pbx.TLSAddr(),
	}})
	w := newWatcher()
	srv, _ := startServer(t, cfg, w, sip.WithBackoff(time.Second, 5*time.Second))
	w.waitAll(t, line.RegFailed, 10*time.Second, "tls")
	r, _ := srv.Registration("tls")
	if !strings.Contains(r.Reason, "TLS certificate is not trusted") {
		t.Fatalf("failure reason %q should say the certificate is not trusted", r.Reason)
	}
	if code, _ := routedOptions(t, pbx, "201"); code != 404 {
		t.Fatalf("OPTIONS to 201: %d, want 404: nothing registers over an unverified TLS connection", code)
	}
}
