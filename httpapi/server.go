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
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
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
	phone     api.Phone
	token     []byte
	idle      time.Duration
	keepAlive time.Duration
	log       *slog.Logger
	mux       *http.ServeMux

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
	m.HandleFunc("PUT /api/v1/lines/{line}/dnd", s.with(s.dnd))
	m.HandleFunc("POST /api/v1/calls/{call}/answer", s.with(s.answer))
	m.HandleFunc("POST /api/v1/calls/{call}/decline", s.with(s.decline))
	m.HandleFunc("POST /api/v1/calls/{call}/deflect", s.with(s.deflect))
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
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
	return s, nil
}

// ServeHTTP checks the token and serves the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
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
		return fmt.Errorf("request body: larger than %d bytes: %w", MaxRequestBody, api.ErrBadInput)
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

// StatusInfo is the reply of GET /api/v1/status.
type StatusInfo struct {
	API                string `json:"api"`
	Sessions           int    `json:"sessions"`
	IdleTimeoutSeconds int    `json:"idle_timeout_seconds"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, StatusInfo{API: "v1", Sessions: s.Sessions(), IdleTimeoutSeconds: int(s.idle / time.Second)})
}

// LogOnRequest is the body of POST /api/v1/sessions.
type LogOnRequest struct {
	Client string `json:"client"`
}

// LogOnReply is the reply of POST /api/v1/sessions.
type LogOnReply struct {
	Session            string `json:"session"`
	Client             string `json:"client"`
	IdleTimeoutSeconds int    `json:"idle_timeout_seconds"`
}

func (s *Server) logOn(w http.ResponseWriter, r *http.Request) {
	var req LogOnRequest
	err := decode(r, &req)
	if err == nil {
		err = required("client", req.Client)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.fail(w, r, fmt.Errorf("log on: %w", api.ErrNotRunning))
		return
	}
	ss, err := s.phone.LogOn(r.Context(), req.Client)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := &httpSession{s: ss}
	id := ss.ID()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ss.LogOff(context.Background())
		s.fail(w, r, fmt.Errorf("log on: %w", api.ErrNotRunning))
		return
	}
	s.sessions[id] = h
	gen := h.gen
	h.timer = time.AfterFunc(s.idle, func() { s.expire(id, h, gen) })
	s.mu.Unlock()
	s.log.Info("api client logged on", "client", ss.Client(), "session", id, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusCreated, LogOnReply{Session: id, Client: ss.Client(), IdleTimeoutSeconds: int(s.idle / time.Second)})
}

func (s *Server) logOff(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.mu.Lock()
	h := s.sessions[ss.ID()]
	delete(s.sessions, ss.ID())
	if h != nil {
		h.gen++
		h.timer.Stop()
	}
	s.mu.Unlock()
	s.log.Info("api client logged off", "client", ss.Client(), "session", ss.ID())
	s.reply(w, r, nil, ss.LogOff(r.Context()))
}

func (s *Server) config(w http.ResponseWriter, r *http.Request, ss api.Session) {
	v, err := ss.Config(r.Context())
	s.reply(w, r, toWireConfig(v), err)
}

func (s *Server) saveConfig(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var cfg wireConfig
	if err := decode(r, &cfg); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, nil, ss.SaveConfig(r.Context(), cfg.line()))
}

func (s *Server) lines(w http.ResponseWriter, r *http.Request, ss api.Session) {
	v, err := ss.Lines(r.Context())
	s.reply(w, r, mapSlice(v, toWireLine), err)
}

func (s *Server) calls(w http.ResponseWriter, r *http.Request, ss api.Session) {
	v, err := ss.Calls(r.Context())
	s.reply(w, r, mapSlice(v, toWireCall), err)
}

// DialableReply is the reply of GET /api/v1/lines/{line}/dialable.
type DialableReply struct {
	Dialable string `json:"dialable"`
}

func (s *Server) dialable(w http.ResponseWriter, r *http.Request, ss api.Session) {
	n := r.URL.Query().Get("number")
	if strings.TrimSpace(n) == "" {
		s.fail(w, r, fmt.Errorf("query parameter %q: must not be empty: %w", "number", api.ErrBadInput))
		return
	}
	d, err := ss.Dialable(r.Context(), r.PathValue("line"), n)
	s.reply(w, r, DialableReply{Dialable: d}, err)
}

// NumberRequest is the body of dial, pickup and deflect.
type NumberRequest struct {
	Number string `json:"number"`
}

func (s *Server) callReply(w http.ResponseWriter, r *http.Request, c api.Call, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toWireCall(c))
}

// textBody reads a body of one required text field, e.g. {"number": "201"}; any other field is
// refused, naming it.
func textBody(r *http.Request, field string) (string, error) {
	var req map[string]json.RawMessage
	if err := decode(r, &req); err != nil {
		return "", err
	}
	for k := range req {
		if k != field {
			return "", fmt.Errorf("request body: unknown field %q: %w", k, api.ErrBadInput)
		}
	}
	var v string
	if raw, ok := req[field]; ok && json.Unmarshal(raw, &v) != nil {
		return "", fmt.Errorf("request body: field %q: must be text: %w", field, api.ErrBadInput)
	}
	return v, required(field, v)
}

// textCall runs a line action that takes one text field and places a call (dial, pickup, feature
// code); the line is the path's.
func (s *Server) textCall(w http.ResponseWriter, r *http.Request, field string, act func(context.Context, string, string) (api.Call, error)) {
	v, err := textBody(r, field)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := act(r.Context(), r.PathValue("line"), v)
	s.callReply(w, r, c, err)
}

// textAction runs a call action that takes one text field (deflect, DTMF); the call is the
// path's.
func (s *Server) textAction(w http.ResponseWriter, r *http.Request, field string, act func(context.Context, string, string) error) {
	v, err := textBody(r, field)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, nil, act(r.Context(), r.PathValue("call"), v))
}

func (s *Server) dial(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textCall(w, r, "number", ss.Dial)
}

func (s *Server) redial(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var req struct{}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := ss.Redial(r.Context(), r.PathValue("line"))
	s.callReply(w, r, c, err)
}

// FeatureCodeRequest is the body of POST /api/v1/lines/{line}/feature-code.
type FeatureCodeRequest struct {
	Name string `json:"name"`
}

func (s *Server) featureCode(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textCall(w, r, "name", ss.FeatureCode)
}

func (s *Server) pickup(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textCall(w, r, "number", ss.Pickup)
}

// DNDRequest is the body of PUT /api/v1/lines/{line}/dnd.
type DNDRequest struct {
	On bool `json:"on"`
}

// MuteRequest is the body of PUT /api/v1/calls/{call}/mute.
type MuteRequest struct {
	Muted bool `json:"muted"`
}

func (s *Server) dnd(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var req struct {
		On *bool `json:"on"`
	}
	err := decode(r, &req)
	if err == nil && req.On == nil {
		err = fmt.Errorf("field %q: must be true or false: %w", "on", api.ErrBadInput)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, nil, ss.SetDND(r.Context(), r.PathValue("line"), *req.On))
}

// noBody runs a call action that takes no arguments; a body, if sent, must be an empty object.
func (s *Server) noBody(w http.ResponseWriter, r *http.Request, act func(context.Context, string) error) {
	var req struct{}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, nil, act(r.Context(), r.PathValue("call")))
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.noBody(w, r, ss.Answer)
}

func (s *Server) hangUp(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.noBody(w, r, ss.HangUp)
}

func (s *Server) hold(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.noBody(w, r, ss.Hold)
}

func (s *Server) retrieve(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.noBody(w, r, ss.Retrieve)
}

// DeclineRequest is the body of POST /api/v1/calls/{call}/decline.
type DeclineRequest struct {
	Reason api.DeclineReason `json:"reason"`
}

func (s *Server) decline(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var reason api.DeclineReason
	if err := reason.UnmarshalText([]byte(req.Reason)); err != nil {
		s.fail(w, r, fmt.Errorf("field %q: %q: must be busy or decline: %w", "reason", req.Reason, api.ErrBadInput))
		return
	}
	s.reply(w, r, nil, ss.Decline(r.Context(), r.PathValue("call"), reason))
}

func (s *Server) deflect(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textAction(w, r, "number", ss.Deflect)
}

// DTMFRequest is the body of POST /api/v1/calls/{call}/dtmf.
type DTMFRequest struct {
	Digits string `json:"digits"`
}

func (s *Server) dtmf(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textAction(w, r, "digits", ss.SendDTMF)
}

func (s *Server) mute(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var req struct {
		Muted *bool `json:"muted"`
	}
	err := decode(r, &req)
	if err == nil && req.Muted == nil {
		err = fmt.Errorf("field %q: must be true or false: %w", "muted", api.ErrBadInput)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, nil, ss.SetMuted(r.Context(), r.PathValue("call"), *req.Muted))
}

// JournalQueryValues are the query parameters of GET /api/v1/journal, each optional: line,
// number, exact (true/false), outcome (a name such as answered or missed), from and to (RFC 3339
// times, or dates YYYY-MM-DD in UTC), before (an entry ID) and limit.
func parseJournalQuery(r *http.Request) (api.JournalQuery, error) {
	var q api.JournalQuery
	v := r.URL.Query()
	bad := func(name, val, rule string) error {
		return fmt.Errorf("query parameter %q: %q: %s: %w", name, val, rule, api.ErrBadInput)
	}
	for name := range v {
		switch name {
		case "line", "number", "exact", "outcome", "from", "to", "before", "limit":
		default:
			return q, fmt.Errorf("query parameter %q: unknown (want line, number, exact, outcome, from, to, before or limit): %w", name, api.ErrBadInput)
		}
	}
	q.Line = v.Get("line")
	q.Number = v.Get("number")
	if s := v.Get("exact"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, bad("exact", s, "must be true or false")
		}
		q.ExactNumber = b
	}
	if s := v.Get("outcome"); s != "" {
		o, err := line.ParseOutcome(s)
		if err != nil {
			return q, fmt.Errorf("query parameter %q: %v: %w", "outcome", err, api.ErrBadInput)
		}
		q.Outcome = o
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		s := v.Get(t.name)
		if s == "" {
			continue
		}
		tm, err := parseTime(s)
		if err != nil {
			return q, bad(t.name, s, "must be an RFC 3339 time (2026-01-31T14:00:00+01:00) or a date (2026-01-31)")
		}
		*t.dst = tm
	}
	if s := v.Get("before"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return q, bad("before", s, "must be a journal entry ID")
		}
		q.Before = n
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, bad("limit", s, "must be a whole number, 0 or more")
		}
		q.Limit = n
	}
	return q, nil
}

// parseTime reads an RFC 3339 time, or a date YYYY-MM-DD as midnight UTC.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

func (s *Server) journal(w http.ResponseWriter, r *http.Request, ss api.Session) {
	q, err := parseJournalQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := ss.Journal(r.Context(), q)
	if v == nil && err == nil {
		v = []line.JournalEntry{}
	}
	s.reply(w, r, mapSlice(v, toWireEntry), err)
}

// MemoRequest is the body of PUT /api/v1/journal/{id}/memo.
type MemoRequest struct {
	Memo *string `json:"memo"`
}

func (s *Server) memo(w http.ResponseWriter, r *http.Request, ss api.Session) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		s.fail(w, r, fmt.Errorf("journal entry ID %q: must be a positive whole number: %w", r.PathValue("id"), api.ErrBadInput))
		return
	}
	var req MemoRequest
	err = decode(r, &req)
	if err == nil && req.Memo == nil {
		err = fmt.Errorf("field %q: must be a string (\"\" removes the memo): %w", "memo", api.ErrBadInput)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, nil, ss.SetMemo(r.Context(), id, *req.Memo))
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
