package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// The handlers of the API's routes (listed in NewServer), one per Session method.

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, StatusInfo{API: "v1", Sessions: s.Sessions(), IdleTimeoutSeconds: int(s.idle / time.Second)})
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
	// The lines' SIP passwords never leave the server: a client that saves the set-up back
	// keeps them (saveConfig).
	s.reply(w, r, toWireConfig(line.WithoutPasswords(v)), err)
}

func (s *Server) saveConfig(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var cfg wireConfig
	if err := decode(r, &cfg); err != nil {
		s.fail(w, r, err)
		return
	}
	old, err := ss.Config(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	next, _ := line.KeepPasswords(cfg.line(), old)
	s.reply(w, r, nil, ss.SaveConfig(r.Context(), next))
}

func (s *Server) lines(w http.ResponseWriter, r *http.Request, ss api.Session) {
	v, err := ss.Lines(r.Context())
	s.reply(w, r, mapSlice(v, toWireLine), err)
}

func (s *Server) calls(w http.ResponseWriter, r *http.Request, ss api.Session) {
	v, err := ss.Calls(r.Context())
	s.reply(w, r, mapSlice(v, toWireCall), err)
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
	s.lineCall(w, r, ss.Redial)
}

// lineCall runs a line action that takes no arguments and places a call; a body, if sent, must
// be an empty object.
func (s *Server) lineCall(w http.ResponseWriter, r *http.Request, act func(context.Context, string) (api.Call, error)) {
	var req struct{}
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := act(r.Context(), r.PathValue("line"))
	s.callReply(w, r, c, err)
}

func (s *Server) forward(w http.ResponseWriter, r *http.Request, ss api.Session) {
	var req struct {
		Mode   *line.ForwardMode `json:"mode"`
		Target string            `json:"target"`
		After  int               `json:"after"`
	}
	err := decode(r, &req)
	if err == nil && req.Mode == nil {
		err = fmt.Errorf("field %q: must be off, always, busy or no_answer: %w", "mode", api.ErrBadInput)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := line.Forward{Mode: *req.Mode, Target: req.Target, After: req.After}
	s.reply(w, r, nil, ss.SetForward(r.Context(), r.PathValue("line"), f))
}

func (s *Server) callWaiting(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.lineSwitch(w, r, ss.SetCallWaiting)
}

func (s *Server) voicemail(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.lineCall(w, r, ss.Voicemail)
}

func (s *Server) featureCode(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textCall(w, r, "name", ss.FeatureCode)
}

func (s *Server) pickup(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textCall(w, r, "number", ss.Pickup)
}

func (s *Server) dnd(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.lineSwitch(w, r, ss.SetDND)
}

// lineSwitch sets a line's on/off setting from {"on": true|false}; the field is required.
func (s *Server) lineSwitch(w http.ResponseWriter, r *http.Request, set func(context.Context, string, bool) error) {
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
	s.reply(w, r, nil, set(r.Context(), r.PathValue("line"), *req.On))
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

func (s *Server) transfer(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.textAction(w, r, "number", ss.Transfer)
}

// consult is a call action that takes a number and gives the new (consultation) call.
func (s *Server) consult(w http.ResponseWriter, r *http.Request, ss api.Session) {
	v, err := textBody(r, "number")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := ss.Consult(r.Context(), r.PathValue("call"), v)
	s.callReply(w, r, c, err)
}

func (s *Server) completeTransfer(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.noBody(w, r, ss.CompleteTransfer)
}

// conference joins the call with the client's other (held or active) call.
func (s *Server) conference(w http.ResponseWriter, r *http.Request, ss api.Session) {
	s.noBody(w, r, ss.Conference)
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
