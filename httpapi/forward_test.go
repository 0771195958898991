package httpapi_test

import (
	"strings"
	"testing"

	"github.com/lineupphone/lineup/line"
)

// The forwarding and call waiting routes: a good rule is kept and shows on the line; hostile
// and bad bodies get 400 naming the field, a missing line 404, and the rule stays as it was.
func TestForwardAndCallWaitingRoutes(t *testing.T) {
	fx := setup(t)
	id := fx.logOn(t, "crm")
	if code, reply := fx.request(t, "PUT", "/api/v1/lines/Alice/forward", id, `{"mode":"no_answer","target":"203","after":15}`); code != 204 {
		t.Fatalf("forward: %d %s", code, reply)
	}
	if l, _ := fx.phone.Line("Alice"); l.Forward != (line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 15}) {
		t.Errorf("the line forwards %+v", l.Forward)
	}
	for _, tc := range []struct {
		body string
		code int
		says string
	}{
		{`{"target":"203"}`, 400, `field \"mode\"`},
		{`{"mode":"sometimes","target":"203"}`, 400, "forward mode"},
		{`{"mode":3,"target":"203"}`, 400, "mode"},
		{`{"mode":"always"}`, 400, "forward to"},
		{`{"mode":"always","target":"+49891234201"}`, 400, "must not be the line itself"},
		{`{"mode":"always","target":"<sip:x@y>\r\nX: 1"}`, 400, "forward to"},
		{`{"mode":"busy","target":"` + strings.Repeat("2", 200) + `"}`, 400, "at most 128 characters"},
		{`{"mode":"no_answer","target":"203","after":-9999999999}`, 400, "forward after"},
		{`{"mode":"always","target":"203","extra":1}`, 400, "unknown field"},
	} {
		code, reply := fx.request(t, "PUT", "/api/v1/lines/Alice/forward", id, tc.body)
		if code != tc.code || !strings.Contains(reply, tc.says) {
			t.Errorf("forward %s: %d %s, want %d saying %s", tc.body, code, reply, tc.code, tc.says)
		}
	}
	if l, _ := fx.phone.Line("Alice"); l.Forward.Mode != line.ForwardNoAnswer || l.Forward.Target != "203" {
		t.Errorf("refused rules changed the line's forwarding to %+v", l.Forward)
	}
	if code, reply := fx.request(t, "PUT", "/api/v1/lines/Nobody/forward", id, `{"mode":"off"}`); code != 404 {
		t.Errorf("forward on no line: %d %s", code, reply)
	}

	if code, reply := fx.request(t, "PUT", "/api/v1/lines/Alice/call-waiting", id, `{"on":false}`); code != 204 {
		t.Fatalf("call-waiting: %d %s", code, reply)
	}
	if l, _ := fx.phone.Line("Alice"); l.CallWaiting {
		t.Error("call waiting still on")
	}
	if code, reply := fx.request(t, "PUT", "/api/v1/lines/Alice/call-waiting", id, `{}`); code != 400 || !strings.Contains(reply, `field \"on\"`) {
		t.Errorf("call-waiting without on: %d %s", code, reply)
	}
}
