package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// The Go client of the HTTP API: a Phone whose sessions speak HTTP to a Server, so that programs
// such as `lineup dial` work the line server through the same interface as the desktop UI.

// Client is a Phone reached over the HTTP API. It is safe for concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
	retry time.Duration
}

var _ api.Phone = (*Client)(nil)

// ClientOption changes a Client.
type ClientOption func(*Client)

// WithHTTPClient sets the http.Client requests go through (default: one without a timeout, as
// the event stream is long-lived; requests are bounded by their context).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithReconnectDelay sets how long the event stream waits before it connects again after it
// broke (default one second).
func WithReconnectDelay(d time.Duration) ClientOption {
	return func(c *Client) {
		if d > 0 {
			c.retry = d
		}
	}
}

// StatusError is an error response of the API. Message is the server's message; Unwrap gives
// the sentinel the server's error wrapped (ErrNoLine, line.ErrFunctionDisabled, ErrCallState,
// ErrBadInput, ...), so errors.Is works as it does in-process.
type StatusError struct {
	Status  int
	Code    string
	Message string
	err     error
}

func (e *StatusError) Error() string { return e.Message }

// Unwrap returns the sentinel.
func (e *StatusError) Unwrap() error { return e.err }

// Dial returns a client of the API at baseURL (e.g. "http://127.0.0.1:7070") with the token, after
// checking that the server answers and takes the token. A server that cannot be reached gives an
// error wrapping ErrNotRunning; a wrong token one wrapping ErrUnauthorized.
func Dial(ctx context.Context, baseURL, token string, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api url %q: must be http://HOST:PORT: %w", baseURL, api.ErrBadInput)
	}
	c := &Client{base: u, token: token, hc: &http.Client{}, retry: time.Second}
	for _, o := range opts {
		o(c)
	}
	var st StatusInfo
	if err := c.do(ctx, "", http.MethodGet, "/api/v1/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return c, nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// do sends a request and decodes a 2xx reply into out (when not nil).
func (c *Client) do(ctx context.Context, session, method, path string, query url.Values, body, out any) error {
	resp, err := c.send(ctx, session, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return readError(resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxRequestBody))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: reply: %w", method, path, err)
	}
	return nil
}

// Show brings the desktop app's window to the front (WithShow); a line server without a window
// answers with a *StatusError of code CodeNoWindow.
func (c *Client) Show(ctx context.Context) error {
	return c.do(ctx, "", http.MethodPost, "/api/v1/app/show", nil, nil, nil)
}

func (c *Client) send(ctx context.Context, session, method, path string, query url.Values, body any) (*http.Response, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawPath = ""
	if p, err := url.PathUnescape(u.Path); err == nil && p != u.Path {
		u.RawPath = u.Path
		u.Path = p
	}
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if session != "" {
		req.Header.Set(SessionHeader, session)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		return nil, fmt.Errorf("line server at %s: %w (%v)", c.base, api.ErrNotRunning, err)
	}
	return resp, nil
}

// readError turns an error response into a *StatusError.
func readError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxRequestBody))
	var eb errorBody
	e := &StatusError{Status: resp.StatusCode}
	if json.Unmarshal(b, &eb) == nil && eb.Error != "" {
		e.Message, e.Code = eb.Error, eb.Code
	} else {
		e.Message = strings.TrimSpace(fmt.Sprintf("%s %s", resp.Status, bytes.TrimSpace(b)))
	}
	e.err = sentinelOf(e.Code)
	if e.err == nil {
		switch resp.StatusCode {
		case http.StatusForbidden:
			e.err = line.ErrFunctionDisabled
		case http.StatusConflict:
			e.err = api.ErrCallState
		case http.StatusBadRequest:
			e.err = api.ErrBadInput
		case http.StatusUnauthorized:
			e.err = ErrUnauthorized
		case http.StatusServiceUnavailable:
			e.err = api.ErrNotRunning
		}
	}
	return e
}

// LogOn opens a session over HTTP.
func (c *Client) LogOn(ctx context.Context, name string) (api.Session, error) {
	var rep LogOnReply
	if err := c.do(ctx, "", http.MethodPost, "/api/v1/sessions", nil, LogOnRequest{Client: name}, &rep); err != nil {
		return nil, err
	}
	return &clientSession{c: c, id: rep.Session, client: rep.Client, events: make(chan api.Event, 64)}, nil
}

// clientSession is a Session over HTTP. Its event stream starts on the first call of Events; until
// then the server logs it off after its idle timeout (60 s by default) without requests.
type clientSession struct {
	c      *Client
	id     string
	client string
	events chan api.Event

	mu      sync.Mutex
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}
}

func (s *clientSession) Client() string { return s.client }
func (s *clientSession) ID() string     { return s.id }

func (s *clientSession) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return fmt.Errorf("client %q: %w", s.client, api.ErrLoggedOff)
	}
	return s.c.do(ctx, s.id, method, path, query, body, out)
}

func linePath(name, rest string) string { return "/api/v1/lines/" + url.PathEscape(name) + rest }
func callPath(id, rest string) string   { return "/api/v1/calls/" + url.PathEscape(id) + rest }

func (s *clientSession) Lines(ctx context.Context) ([]api.Line, error) {
	var out []wireLine
	if err := s.do(ctx, http.MethodGet, "/api/v1/lines", nil, nil, &out); err != nil {
		return nil, err
	}
	return mapSlice(out, wireLine.api), nil
}

func (s *clientSession) Calls(ctx context.Context) ([]api.Call, error) {
	var out []wireCall
	if err := s.do(ctx, http.MethodGet, "/api/v1/calls", nil, nil, &out); err != nil {
		return nil, err
	}
	return mapSlice(out, wireCall.api), nil
}

func (s *clientSession) Dialable(ctx context.Context, lineName, input string) (string, error) {
	var rep DialableReply
	err := s.do(ctx, http.MethodGet, linePath(lineName, "/dialable"), url.Values{"number": {input}}, nil, &rep)
	return rep.Dialable, err
}

func (s *clientSession) callAction(ctx context.Context, path string, body any) (api.Call, error) {
	var c wireCall
	if err := s.do(ctx, http.MethodPost, path, nil, body, &c); err != nil {
		return api.Call{}, err
	}
	return c.api(), nil
}

func (s *clientSession) Dial(ctx context.Context, lineName, input string) (api.Call, error) {
	return s.callAction(ctx, linePath(lineName, "/dial"), NumberRequest{Number: input})
}

func (s *clientSession) Redial(ctx context.Context, lineName string) (api.Call, error) {
	return s.callAction(ctx, linePath(lineName, "/redial"), nil)
}

func (s *clientSession) Voicemail(ctx context.Context, lineName string) (api.Call, error) {
	return s.callAction(ctx, linePath(lineName, "/voicemail"), nil)
}

func (s *clientSession) FeatureCode(ctx context.Context, lineName, name string) (api.Call, error) {
	return s.callAction(ctx, linePath(lineName, "/feature-code"), FeatureCodeRequest{Name: name})
}

func (s *clientSession) Pickup(ctx context.Context, lineName, number string) (api.Call, error) {
	return s.callAction(ctx, linePath(lineName, "/pickup"), NumberRequest{Number: number})
}

func (s *clientSession) SetDND(ctx context.Context, lineName string, on bool) error {
	return s.do(ctx, http.MethodPut, linePath(lineName, "/dnd"), nil, DNDRequest{On: on}, nil)
}

func (s *clientSession) SetForward(ctx context.Context, lineName string, f line.Forward) error {
	req := ForwardRequest{Mode: f.Mode, Target: f.Target, After: f.After}
	return s.do(ctx, http.MethodPut, linePath(lineName, "/forward"), nil, req, nil)
}

func (s *clientSession) SetCallWaiting(ctx context.Context, lineName string, on bool) error {
	return s.do(ctx, http.MethodPut, linePath(lineName, "/call-waiting"), nil, CallWaitingRequest{On: on}, nil)
}

func (s *clientSession) Answer(ctx context.Context, callID string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/answer"), nil, nil, nil)
}

func (s *clientSession) Decline(ctx context.Context, callID string, reason api.DeclineReason) error {
	if _, err := reason.MarshalText(); err != nil {
		return fmt.Errorf("decline: %w", err)
	}
	return s.do(ctx, http.MethodPost, callPath(callID, "/decline"), nil, DeclineRequest{Reason: reason}, nil)
}

func (s *clientSession) Deflect(ctx context.Context, callID, number string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/deflect"), nil, NumberRequest{Number: number}, nil)
}

func (s *clientSession) HangUp(ctx context.Context, callID string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/hangup"), nil, nil, nil)
}

func (s *clientSession) Transfer(ctx context.Context, callID, number string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/transfer"), nil, NumberRequest{Number: number}, nil)
}

func (s *clientSession) Consult(ctx context.Context, callID, number string) (api.Call, error) {
	return s.callAction(ctx, callPath(callID, "/consult"), NumberRequest{Number: number})
}

func (s *clientSession) CompleteTransfer(ctx context.Context, callID string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/complete-transfer"), nil, nil, nil)
}

func (s *clientSession) Conference(ctx context.Context, callID string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/conference"), nil, nil, nil)
}

func (s *clientSession) Hold(ctx context.Context, callID string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/hold"), nil, nil, nil)
}

func (s *clientSession) Retrieve(ctx context.Context, callID string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/retrieve"), nil, nil, nil)
}

func (s *clientSession) SendDTMF(ctx context.Context, callID, digits string) error {
	return s.do(ctx, http.MethodPost, callPath(callID, "/dtmf"), nil, DTMFRequest{Digits: digits}, nil)
}

func (s *clientSession) SetMuted(ctx context.Context, callID string, muted bool) error {
	return s.do(ctx, http.MethodPut, callPath(callID, "/mute"), nil, MuteRequest{Muted: muted}, nil)
}

// JournalValues returns q as the query parameters of GET /api/v1/journal.
func JournalValues(q api.JournalQuery) url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("line", q.Line)
	set("number", q.Number)
	if q.ExactNumber {
		v.Set("exact", "true")
	}
	if q.Outcome != line.OutcomeUnset {
		v.Set("outcome", q.Outcome.String())
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	if q.Before != 0 {
		v.Set("before", strconv.FormatUint(q.Before, 10))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

func (s *clientSession) Journal(ctx context.Context, q api.JournalQuery) ([]line.JournalEntry, error) {
	if q.Outcome != line.OutcomeUnset && !q.Outcome.Valid() {
		return nil, fmt.Errorf("journal: outcome %d: %w", int(q.Outcome), api.ErrBadInput)
	}
	var out []wireEntry
	if err := s.do(ctx, http.MethodGet, "/api/v1/journal", JournalValues(q), nil, &out); err != nil {
		return nil, err
	}
	return mapSlice(out, wireEntry.line), nil
}

func (s *clientSession) Config(ctx context.Context) (line.Config, error) {
	var cfg wireConfig
	if err := s.do(ctx, http.MethodGet, "/api/v1/config", nil, nil, &cfg); err != nil {
		return line.Config{}, err
	}
	return cfg.line(), nil
}

func (s *clientSession) SaveConfig(ctx context.Context, cfg line.Config) error {
	return s.do(ctx, http.MethodPut, "/api/v1/config", nil, toWireConfig(cfg), nil)
}

func (s *clientSession) SetMemo(ctx context.Context, entryID uint64, memo string) error {
	return s.do(ctx, http.MethodPut, "/api/v1/journal/"+strconv.FormatUint(entryID, 10)+"/memo", nil,
		MemoRequest{Memo: &memo}, nil)
}

// LogOff logs the session off at the server and ends its event stream. A session the server has
// logged off already (idle timeout) logs off without error.
func (s *clientSession) LogOff(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started, cancel, done := s.started, s.cancel, s.done
	s.mu.Unlock()
	err := s.c.do(ctx, s.id, http.MethodDelete, "/api/v1/sessions/current", nil, nil, nil)
	if errors.Is(err, api.ErrLoggedOff) {
		err = nil
	}
	if started {
		cancel()
		<-done
	} else {
		close(s.events)
	}
	return err
}

// Events starts the event stream on its first call. The channel is closed at LogOff, or when the
// server no longer knows the session; after the stream broke and was connected again, an
// EventResync comes first.
func (s *clientSession) Events() <-chan api.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started && !s.closed {
		s.started = true
		ctx, cancel := context.WithCancel(context.Background())
		s.cancel, s.done = cancel, make(chan struct{})
		go s.follow(ctx)
	}
	return s.events
}

// follow reads the event stream until ctx ends or the session is gone, connecting again after a
// break. It closes the events channel when it returns.
func (s *clientSession) follow(ctx context.Context) {
	defer close(s.done)
	defer close(s.events)
	resync := false
	for {
		gone := s.stream(ctx, resync)
		if gone || ctx.Err() != nil {
			return
		}
		resync = true
		t := time.NewTimer(s.c.retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// stream reads one connection of the event stream. It reports whether the session is gone.
func (s *clientSession) stream(ctx context.Context, resync bool) (gone bool) {
	resp, err := s.c.send(ctx, s.id, http.MethodGet, "/api/v1/events", nil, nil)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		err := readError(resp)
		return errors.Is(err, api.ErrLoggedOff) || errors.Is(err, ErrUnauthorized)
	}
	deliver := func(ev api.Event) bool {
		select {
		case s.events <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if resync && !deliver(api.Event{Type: api.EventResync}) {
		return false
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var data []byte
	for sc.Scan() {
		l := sc.Bytes()
		switch {
		case len(l) == 0:
			if len(data) > 0 {
				var ev wireEvent
				if json.Unmarshal(data, &ev) == nil && !deliver(ev.api()) {
					return false
				}
			}
			data = data[:0]
		case bytes.HasPrefix(l, []byte("data:")):
			data = append(data, bytes.TrimPrefix(bytes.TrimPrefix(l, []byte("data:")), []byte(" "))...)
		}
	}
	return false
}
