package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// Error codes of the HTTP API: the "code" member of an error response names the sentinel the
// server's error wrapped, so that the Go client (client.go) can give the same sentinel back.
const (
	CodeNoLine           = "no_line"
	CodeNoCall           = "no_call"
	CodeNoEntry          = "no_entry"
	CodeFunctionDisabled = "function_disabled"
	CodeFunctionState    = "function_state"
	CodeCallState        = "call_state"
	CodeLineOff          = "line_off"
	CodeBadInput         = "bad_input"
	CodeBadNumber        = "bad_number"
	CodeUnauthorized     = "unauthorized"
	CodeLoggedOff        = "logged_off"
	CodeNotRunning       = "not_running"
	CodeUnreachable      = "unreachable"
	CodeRefused          = "refused"
	CodeForbidden        = "forbidden" // a Host that is not the server's, or a browser's cross-origin request
	CodeInternal         = "internal"
	CodeNoWindow         = "no_window" // show asked of a line server without a window (serve)
)

// statusRule maps a sentinel to its status code and error code. The first rule an error matches
// wins, so the more specific sentinels come first.
type statusRule struct {
	err    error
	status int
	code   string
}

var statusRules = []statusRule{
	{api.ErrNoLine, http.StatusNotFound, CodeNoLine},
	{api.ErrNoCall, http.StatusNotFound, CodeNoCall},
	{api.ErrNoEntry, http.StatusNotFound, CodeNoEntry},
	{line.ErrFunctionDisabled, http.StatusForbidden, CodeFunctionDisabled},
	{api.ErrLineOff, http.StatusConflict, CodeLineOff},
	{line.ErrFunctionState, http.StatusConflict, CodeFunctionState},
	{api.ErrCallState, http.StatusConflict, CodeCallState},
	{line.ErrBadNumber, http.StatusBadRequest, CodeBadNumber},
	{line.ErrInvalidNumber, http.StatusBadRequest, CodeBadNumber},
	{api.ErrBadInput, http.StatusBadRequest, CodeBadInput},
	{line.ErrInvalid, http.StatusBadRequest, CodeBadInput},
	{line.ErrUnknownValue, http.StatusBadRequest, CodeBadInput},
	{line.ErrUnknownFeatureCode, http.StatusBadRequest, CodeBadInput},
	{api.ErrLoggedOff, http.StatusUnauthorized, CodeLoggedOff},
	{api.ErrNotRunning, http.StatusServiceUnavailable, CodeNotRunning},
	{api.ErrUnreachable, http.StatusUnprocessableEntity, CodeUnreachable},
	{api.ErrRefused, http.StatusBadGateway, CodeRefused},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, CodeNotRunning},
}

// StatusOf returns the HTTP status code for an error of a Session or Phone method, and the
// error code the API writes beside the message:
//
//	404 ErrNoLine, ErrNoCall, ErrNoEntry
//	403 line.ErrFunctionDisabled (deactivated by the group, decline hidden, no pickup code)
//	409 ErrLineOff, line.ErrFunctionState, ErrCallState
//	400 ErrBadInput, line.ErrBadNumber, line.ErrInvalidNumber, line.ErrInvalid,
//	    line.ErrUnknownValue, line.ErrUnknownFeatureCode
//	401 ErrLoggedOff
//	422 ErrUnreachable (the phone system's or the dialled host's name does not resolve)
//	502 ErrRefused (the other party refused a transfer)
//	503 ErrNotRunning, context.DeadlineExceeded
//	500 anything else
//
// A nil error is 200.
func StatusOf(err error) (status int, code string) {
	if err == nil {
		return http.StatusOK, ""
	}
	for _, r := range statusRules {
		if errors.Is(err, r.err) {
			return r.status, r.code
		}
	}
	return http.StatusInternalServerError, CodeInternal
}

// sentinelOf returns the sentinel an error code stands for, or nil.
func sentinelOf(code string) error {
	switch code {
	case CodeUnauthorized:
		return ErrUnauthorized
	case CodeInternal:
		return nil
	}
	for _, r := range statusRules {
		if r.code == code {
			return r.err
		}
	}
	return nil
}

// ErrUnauthorized is wrapped by the client's errors when the server refused the token or the
// session (HTTP 401 without a known session).
var ErrUnauthorized = errors.New("not authorized")
