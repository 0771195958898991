package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
)

// The local HTTP+JSON API. Every request carries "Authorization: Bearer TOKEN"; every request but
// log-on and the status also carries the session ID in the SessionHeader. The routes are listed
// in NewServer; README.md ("Local API") shows them with curl.

// SessionHeader carries the session ID that log-on returned.
const SessionHeader = "Lineup-Session"

// Defaults of the server's options.
const (
	// DefaultIdleTimeout: a session with no request and no open event stream for this long is
	// logged off, so that a script that died does not keep the lines "logged on".
	DefaultIdleTimeout = 60 * time.Second
	// DefaultKeepAlive is how often an idle event stream gets a comment line.
	DefaultKeepAlive = 15 * time.Second
	// MaxRequestBody bounds a request body, in bytes.
	MaxRequestBody = 64 << 10
	// MaxConfigBody bounds the body of PUT /api/v1/config (the whole set-up: thousands of lines).
	MaxConfigBody = 16 << 20
)

// ServerOption changes a Server.
type ServerOption func(*Server)

// WithIdleTimeout sets how long a session may go without a request or an open event stream
// before it is logged off (default DefaultIdleTimeout).
func WithIdleTimeout(d time.Duration) ServerOption {
	return func(s *Server) {
		if d > 0 {
			s.idle = d
		}
	}
}

// WithKeepAlive sets how often an idle event stream gets a keep-alive comment (default
// DefaultKeepAlive).
func WithKeepAlive(d time.Duration) ServerOption {
	return func(s *Server) {
		if d > 0 {
			s.keepAlive = d
		}
	}
}

// WithAllowedHosts sets the Host headers the server answers, e.g. "127.0.0.1:7070" (Start
// passes the address it listens on). Without it, any loopback address or "localhost" with any
// port is answered. Any other Host is refused, so that a web page whose name a DNS rebinding
// points at 127.0.0.1 cannot reach the API.
func WithAllowedHosts(hosts ...string) ServerOption {
	return func(s *Server) {
		for _, h := range hosts {
			s.hosts = append(s.hosts, strings.ToLower(h))
		}
	}
}

// WithAnyHostOnPort answers a Host header of any name with that port: for a server listening on
// every interface (--api-allow-remote), which has no one name of its own.
func WithAnyHostOnPort(port string) ServerOption { return func(s *Server) { s.anyHostPort = port } }

// WithShow lets clients bring the desktop app's window to the front (POST /api/v1/app/show):
// a second start of the app hands over to the running one with it. show runs on the request's
// goroutine and must not block. Without it the route answers 501: serve has no window.
func WithShow(show func()) ServerOption { return func(s *Server) { s.show = show } }

// WithServerLogger sets the logger (default slog.Default()).
func WithServerLogger(l *slog.Logger) ServerOption {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// Server serves a Phone over HTTP. It is an http.Handler; Close logs off the sessions it opened
// and ends the event streams.
type Server struct {
	phone       api.Phone
	token       []byte
	idle        time.Duration
	keepAlive   time.Duration
	log         *slog.Logger
	mux         *http.ServeMux
	hosts       []string // WithAllowedHosts; empty: loopback hosts
	anyHostPort string   // WithAnyHostOnPort
	show        func()   // WithShow; nil: a line server without a window

	mu       sync.Mutex
	sessions map[string]*httpSession
	closed   bool
	done     chan struct{}
}

// httpSession is a Session opened over HTTP with its idle timer.
type httpSession struct {
	s      api.Session
	active int // requests in progress and open event streams
	gen    int // counts timer restarts, so that a stale timer does nothing
	timer  *time.Timer
	stream bool // an event stream is open
}

// NewServer returns the API for phone, guarded by token (which must not be empty).
func NewServer(phone api.Phone, token string, opts ...ServerOption) (*Server, error) {
	if phone == nil {
		return nil, errors.New("api server: no phone")
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("api server: the token must not be empty")
	}
	s := &Server{phone: phone, token: []byte(token), idle: DefaultIdleTimeout,
		keepAlive: DefaultKeepAlive, log: slog.Default(), sessions: map[string]*httpSession{},
		done: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /api/v1/status", s.status)
	m.HandleFunc("POST /api/v1/sessions", s.logOn)
	m.HandleFunc("DELETE /api/v1/sessions/current", s.with(s.logOff))
	m.HandleFunc("GET /api/v1/lines", s.with(s.lines))
	m.HandleFunc("GET /api/v1/calls", s.with(s.calls))
	m.HandleFunc("GET /api/v1/lines/{line}/dialable", s.with(s.dialable))
	m.HandleFunc("POST /api/v1/lines/{line}/dial", s.with(s.dial))
	m.HandleFunc("POST /api/v1/lines/{line}/redial", s.with(s.redial))
	m.HandleFunc("POST /api/v1/lines/{line}/feature-code", s.with(s.featureCode))
	m.HandleFunc("POST /api/v1/lines/{line}/pickup", s.with(s.pickup))
	m.HandleFunc("POST /api/v1/lines/{line}/voicemail", s.with(s.voicemail))
	m.HandleFunc("PUT /api/v1/lines/{line}/dnd", s.with(s.dnd))
	m.HandleFunc("PUT /api/v1/lines/{line}/forward", s.with(s.forward))
	m.HandleFunc("PUT /api/v1/lines/{line}/call-waiting", s.with(s.callWaiting))
	m.HandleFunc("POST /api/v1/calls/{call}/answer", s.with(s.answer))
	m.HandleFunc("POST /api/v1/calls/{call}/decline", s.with(s.decline))
	m.HandleFunc("POST /api/v1/calls/{call}/deflect", s.with(s.deflect))
	m.HandleFunc("POST /api/v1/calls/{call}/transfer", s.with(s.transfer))
	m.HandleFunc("POST /api/v1/calls/{call}/consult", s.with(s.consult))
	m.HandleFunc("POST /api/v1/calls/{call}/complete-transfer", s.with(s.completeTransfer))
	m.HandleFunc("POST /api/v1/calls/{call}/conference", s.with(s.conference))
	m.HandleFunc("POST /api/v1/calls/{call}/hangup", s.with(s.hangUp))
	m.HandleFunc("POST /api/v1/calls/{call}/hold", s.with(s.hold))
	m.HandleFunc("POST /api/v1/calls/{call}/retrieve", s.with(s.retrieve))
	m.HandleFunc("POST /api/v1/calls/{call}/dtmf", s.with(s.dtmf))
	m.HandleFunc("PUT /api/v1/calls/{call}/mute", s.with(s.mute))
	m.HandleFunc("GET /api/v1/journal", s.with(s.journal))
	m.HandleFunc("PUT /api/v1/journal/{id}/memo", s.with(s.memo))
	m.HandleFunc("GET /api/v1/config", s.with(s.config))
	m.HandleFunc("PUT /api/v1/config", s.with(s.saveConfig))
	m.HandleFunc("GET /api/v1/events", s.events)
	m.HandleFunc("POST /api/v1/app/show", s.showApp)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
	return s, nil
}

// ServeHTTP checks the token and serves the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !s.hostAllowed(r.Host) {
		writeError(w, http.StatusForbidden, CodeForbidden, fmt.Sprintf("host %q is not this server's address: the local API answers requests to its own loopback address only", r.Host))
		return
	}
	if o, site := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"); o != "" || (site != "" && site != "none") {
		// A browser sends these; the API is for programs on this machine, not for web pages,
		// and it sends no CORS headers.
		writeError(w, http.StatusForbidden, CodeForbidden, "cross-origin requests are refused: the local API serves programs, not web pages")
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lineup"`)
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "missing or wrong token: send the header \"Authorization: Bearer TOKEN\" with the token from the data directory's api-token file")
		return
	}
	limit := int64(MaxRequestBody)
	if r.URL.Path == "/api/v1/config" {
		limit = MaxConfigBody
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	s.mux.ServeHTTP(w, r)
}

// hostAllowed reports whether a request's Host header names this server.
func (s *Server) hostAllowed(host string) bool {
	host = strings.ToLower(host)
	if s.anyHostPort != "" {
		_, port, err := net.SplitHostPort(host)
		return err == nil && port == s.anyHostPort
	}
	if len(s.hosts) > 0 {
		return slices.Contains(s.hosts, host)
	}
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(h, "[]"))
	return err == nil && ip.IsLoopback()
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[len(prefix):])), s.token) == 1
}

// Close logs off every session opened over HTTP and ends the event streams. The handler refuses
// later log-ons with 503.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	hs := s.sessions
	s.sessions = map[string]*httpSession{}
	s.mu.Unlock()
	var errs []error
	for _, h := range hs {
		h.timer.Stop()
		if err := h.s.LogOff(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Sessions returns how many sessions are open over HTTP.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// acquire finds the request's session and marks it busy; release must follow.
func (s *Server) acquire(r *http.Request) (string, *httpSession, error) {
	id := r.Header.Get(SessionHeader)
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		return "", nil, fmt.Errorf("no session: log on with POST /api/v1/sessions and send its ID in the %s header: %w", SessionHeader, api.ErrLoggedOff)
	}
	h, ok := s.sessions[id]
	if !ok {
		return "", nil, fmt.Errorf("session %q is unknown or was logged off (idle for %v): %w", id, s.idle, api.ErrLoggedOff)
	}
	h.active++
	h.gen++
	h.timer.Stop()
	return id, h, nil
}

// release ends a request or a stream of h; the idle timer starts when nothing is left.
func (s *Server) release(id string, h *httpSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.active--
	if h.active == 0 && s.sessions[id] == h {
		h.gen++
		gen := h.gen
		h.timer = time.AfterFunc(s.idle, func() { s.expire(id, h, gen) })
	}
}

// expire logs off a session whose idle timer ran out, unless it was used in the meantime.
func (s *Server) expire(id string, h *httpSession, gen int) {
	s.mu.Lock()
	if h.gen != gen || h.active != 0 || s.sessions[id] != h {
		s.mu.Unlock()
		return
	}
	delete(s.sessions, id)
	s.mu.Unlock()
	s.log.Info("api session logged off after being idle", "client", h.s.Client(), "session", id, "idle", s.idle)
	if err := h.s.LogOff(context.Background()); err != nil {
		s.log.Warn("api session log-off", "session", id, "error", err)
	}
}

// showApp brings the desktop app's window to the front; it needs the token (ServeHTTP) but no
// session.
func (s *Server) showApp(w http.ResponseWriter, r *http.Request) {
	if s.show == nil {
		writeError(w, http.StatusNotImplemented, CodeNoWindow, "this line server runs without a window (lineup serve)")
		return
	}
	s.show()
	w.WriteHeader(http.StatusNoContent)
}

// with wraps a handler that needs a session.
func (s *Server) with(fn func(w http.ResponseWriter, r *http.Request, ss api.Session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, h, err := s.acquire(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer s.release(id, h)
		fn(w, r, h.s)
	}
}

// errorBody is the body of every error response.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// fail writes err with the status StatusOf gives it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code := StatusOf(err)
	if status >= 500 {
		s.log.Warn("api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	writeError(w, status, code, err.Error())
}

// reply writes v, or the error.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if v == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// decode reads a JSON object into v, refusing unknown fields, trailing data and bodies over
// MaxRequestBody. An empty body leaves v as it is.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &tooBig):
		return fmt.Errorf("request body: larger than %d bytes: %w", tooBig.Limit, api.ErrBadInput)
	case err != nil:
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("request body: field %q: must be %s: %w", te.Field, jsonKind(te.Type), api.ErrBadInput)
		}
		return fmt.Errorf("request body: %v: %w", strings.TrimPrefix(err.Error(), "json: "), api.ErrBadInput)
	}
	if dec.More() {
		return fmt.Errorf("request body: more than one JSON value: %w", api.ErrBadInput)
	}
	return nil
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a number"
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("field %q: must not be empty: %w", field, api.ErrBadInput)
	}
	return nil
}

// events streams the session's events as Server-Sent Events: "event: <type>" and "data: <the
// api.Event as JSON>", with a comment line every keep-alive interval. One stream per session; the
// stream ends when the session logs off, the client goes away, or the server closes.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	id, h, err := s.acquire(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer s.release(id, h)
	s.mu.Lock()
	busy := h.stream
	h.stream = true
	s.mu.Unlock()
	if busy {
		writeError(w, http.StatusConflict, "stream_open", fmt.Sprintf("session %q has an event stream open already (one per session)", id))
		return
	}
	defer func() {
		s.mu.Lock()
		h.stream = false
		s.mu.Unlock()
	}()
	rc := http.NewResponseController(w)
	// The stream lives as long as the session: the server's read timeout is for requests, not
	// for it, and each write gets the write timeout of its own, so that a client that stops
	// reading is let go instead of holding the stream's writer and a connection.
	_ = rc.SetReadDeadline(time.Time{})
	deadline := func() { _ = rc.SetWriteDeadline(time.Now().Add(Timeouts.Write)) }
	deadline()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, ": lineup events\n\n"); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(s.keepAlive)
	defer tick.Stop()
	evs := h.s.Events()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-tick.C:
			deadline()
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case ev, ok := <-evs:
			if !ok {
				return
			}
			b, err := json.Marshal(toWireEvent(ev))
			if err != nil {
				s.log.Warn("api event not encoded", "type", ev.Type, "error", err)
				continue
			}
			deadline()
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// NewToken returns a random token of 32 hex digits (128 bits).
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make api token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
