package httpapi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/httpapi"
)

// TestForeignHostAndBrowsersAreRefused: with the right token, a request whose Host is not the
// server's (a DNS rebinding page) and any request a browser marks as cross-origin get 403 with
// the reason, and no CORS header is ever sent.
func TestForeignHostAndBrowsersAreRefused(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		name string
		hdr  []string
		host string
	}{
		{"a rebound host name", nil, "evil.example:8080"},
		{"a LAN address", nil, "192.168.1.20:7070"},
		{"a page's fetch", []string{"Origin", "http://evil.example"}, ""},
		{"a page's image", []string{"Sec-Fetch-Site", "cross-site"}, ""},
		{"the same site", []string{"Origin", f.ts.URL}, ""},
	} {
		req, _ := http.NewRequest("GET", f.ts.URL+"/api/v1/status", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		for i := 0; i+1 < len(tc.hdr); i += 2 {
			req.Header.Set(tc.hdr[i], tc.hdr[i+1])
		}
		if tc.host != "" {
			req.Host = tc.host
		}
		resp, err := f.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(b), `"code":"forbidden"`) {
			t.Errorf("%s: %d %s, want 403 forbidden", tc.name, resp.StatusCode, b)
		}
		for k := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s: CORS header %s sent", tc.name, k)
			}
		}
	}
	if code, body := f.request(t, "GET", "/api/v1/status", "", "", "Host", "localhost"); code != 200 {
		t.Errorf("a loopback request: %d %s, want 200", code, body)
	}
}

// TestBodyLimitSaysTheLimit: the message of a body over the limit states the limit of that
// route (the set-up's is larger).
func TestBodyLimitSaysTheLimit(t *testing.T) {
	f := setup(t)
	id := f.logOn(t, "big")
	big := `{"config":"` + strings.Repeat("x", httpapi.MaxConfigBody) + `"}`
	code, body := f.request(t, "PUT", "/api/v1/config", id, big)
	if code != 400 || !strings.Contains(body, fmt.Sprintf("larger than %d bytes", httpapi.MaxConfigBody)) {
		t.Errorf("a set-up over the limit: %d %.200s, want 400 naming %d bytes", code, body, httpapi.MaxConfigBody)
	}
	code, body = f.request(t, "POST", "/api/v1/lines/Alice/dial", id, `{"number":"`+strings.Repeat("1", httpapi.MaxRequestBody)+`"}`)
	if code != 400 || !strings.Contains(body, fmt.Sprintf("larger than %d bytes", httpapi.MaxRequestBody)) {
		t.Errorf("a dial over the limit: %d %.200s, want 400 naming %d bytes", code, body, httpapi.MaxRequestBody)
	}
}

// TestIdleConnectionsAreClosedAndCapped runs Start with short timeouts: a connection that sends
// nothing and a kept-alive one are closed by the server, and of many connections opened at once
// at most MaxConnections are served while the rest wait.
func TestIdleConnectionsAreClosedAndCapped(t *testing.T) {
	saved := httpapi.Timeouts
	httpapi.Timeouts.ReadHeader, httpapi.Timeouts.Idle = 300*time.Millisecond, 300*time.Millisecond
	defer func() { httpapi.Timeouts = saved }()
	dir := t.TempDir()
	first, err := httpapi.Start(dir, "127.0.0.1:0", apitest.New(testConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(first) }
	defer stop()
	url, tok, _, err := httpapi.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(url, "http://")
	closedWithin := func(c net.Conn, d time.Duration) bool {
		_ = c.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		return err == nil || !(errors.As(err, &ne) && ne.Timeout())
	}
	silent, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if !closedWithin(silent, 3*time.Second) {
		t.Error("a connection that sends nothing is still open after 3 s")
	}
	kept, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Close()
	fmt.Fprintf(kept, "GET /api/v1/status HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", addr, tok)
	resp, err := http.ReadResponse(bufio.NewReader(kept), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status over a kept-alive connection: %v %v", resp, err)
	}
	io.Copy(io.Discard, resp.Body)
	if !closedWithin(kept, 3*time.Second) {
		t.Error("an idle kept-alive connection is still open after 3 s")
	}

	// Open more connections than the cap; each sends a request. Only MaxConnections are answered
	// while all stay open; closing them lets the rest through.
	n := httpapi.MaxConnections + 16
	httpapi.Timeouts.ReadHeader, httpapi.Timeouts.Idle = saved.ReadHeader, saved.Idle
	stop()
	stop2, err := httpapi.Start(dir, "127.0.0.1:0", apitest.New(testConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop2()
	url, _, _, _ = httpapi.Discover(dir)
	addr = strings.TrimPrefix(url, "http://")
	answered := make(chan net.Conn, n)
	var conns []net.Conn
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		go func() {
			fmt.Fprintf(c, "GET /api/v1/status HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
			if r, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				r.Body.Close()
				answered <- c
			}
		}()
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	time.Sleep(time.Second)
	if got := len(answered); got != httpapi.MaxConnections {
		t.Errorf("%d of %d connections answered at once, want %d", got, n, httpapi.MaxConnections)
	}
	for range 16 {
		(<-answered).Close()
	}
	deadline := time.After(5 * time.Second)
	for len(answered) < httpapi.MaxConnections { // 48 left in the channel, and the 16 that waited
		select {
		case <-deadline:
			t.Fatalf("after 16 connections closed, %d answered, want the waiting 16 too", len(answered))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestConfigPasswordsStayOnTheServer: GET /api/v1/config carries no SIP password, and a set-up
// PUT back without one keeps the line's stored password.
func TestConfigPasswordsStayOnTheServer(t *testing.T) {
	f := setup(t)
	id := f.logOn(t, "admin")
	withPW := `{"groups":[{"name":"Sales"}],"lines":[{"name":"Alice","group":"Sales","account":{"registrar":"pbx","user":"201","password":"pw-secret-201"}}]}`
	if code, body := f.request(t, "PUT", "/api/v1/config", id, withPW); code != 200 && code != 204 {
		t.Fatalf("PUT config: %d %s", code, body)
	}
	code, body := f.request(t, "GET", "/api/v1/config", id, "")
	if code != 200 || strings.Contains(body, "pw-secret-201") || strings.Contains(body, `"password"`) {
		t.Fatalf("GET config: %d %s, want no password in it", code, body)
	}
	if code, body := f.request(t, "PUT", "/api/v1/config", id, body); code != 200 && code != 204 {
		t.Fatalf("PUT back the set-up read: %d %s", code, body)
	}
	s, err := f.phone.LogOn(context.Background(), "check")
	if err != nil {
		t.Fatal(err)
	}
	defer s.LogOff(context.Background())
	cfg, err := s.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Lines) != 1 || cfg.Lines[0].Account.Password != "pw-secret-201" {
		t.Errorf("after saving the set-up back, the line has %+v, want its password kept", cfg.Lines)
	}
}

// TestAllInterfacesAnswersItsPort: a server on every interface (--api-allow-remote on 0.0.0.0)
// answers a Host of any name with its port, and refuses another port.
func TestAllInterfacesAnswersItsPort(t *testing.T) {
	dir := t.TempDir()
	stop, err := httpapi.Start(dir, "0.0.0.0:0", apitest.New(testConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	url, tok, _, err := httpapi.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	for host, want := range map[string]int{"lineup-box.lan:" + port: 200, "lineup-box.lan:1": 403} {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/api/v1/status", nil)
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}
