package httpapi_test

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRequestBodies sends any body to the routes that read one and any query to the journal,
// over HTTP to the real handler (on the in-memory line server): every answer is a client error or
// a success, never a 5xx, and a refused body is 400 with the reason.
func FuzzRequestBodies(f *testing.F) {
	for _, b := range []string{`{"number":"0301234567"}`, `{"client":"crm"}`, `{"memo":"call back"}`, `{"on":true}`,
		`{"reason":"busy"}`, `{"digits":"12#"}`, `{"config":{"groups":[{"name":"G"}],"lines":[{"name":"L","group":"G","account":{"registrar":"pbx","user":"1"}}]}}`,
		`{"mode":"no_answer","target":"203","after":15}`, `{"mode":"always","target":"sip:x@y"}`, `{"mode":"sometimes"}`,
		`{"mode":"busy","target":"` + strings.Repeat("2", 200) + `"}`, `{"mode":"always","target":"<sip:x>\r\n"}`, `{"mode":3}`,
		`{"mode":"no_answer","target":"203","after":-9999999999}`,
		`{"number":1}`, `{"number":"1"} {"x":2}`, `{"unknown":1}`, `[`, "\x00\xff", `{"number":"` + strings.Repeat("9", 100) + `"}`} {
		f.Add(b, "line=Alice&outcome=missed&from=2026-01-01T00:00:00Z&limit=5")
	}
	f.Add("", "limit=-1&before=x&exact=maybe&to=yesterday&line=%00")
	fx := setup(f)
	id := fx.logOn(f, "fuzz")
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/sessions"},
		{"POST", "/api/v1/lines/Alice/dial"},
		{"POST", "/api/v1/lines/Alice/feature-code"},
		{"POST", "/api/v1/lines/Alice/pickup"},
		{"PUT", "/api/v1/lines/Alice/dnd"},
		{"PUT", "/api/v1/lines/Alice/forward"},
		{"PUT", "/api/v1/lines/Alice/call-waiting"},
		{"POST", "/api/v1/calls/nope/decline"},
		{"POST", "/api/v1/calls/nope/dtmf"},
		{"PUT", "/api/v1/journal/1/memo"},
		{"PUT", "/api/v1/config"},
	}
	f.Fuzz(func(t *testing.T, body, query string) {
		for _, r := range routes {
			code, reply := fx.request(t, r.method, r.path, id, body)
			if code >= 500 {
				t.Fatalf("%s %s with %q: %d %s", r.method, r.path, body, code, reply)
			}
			if code == 400 && !strings.Contains(reply, `"error":`) {
				t.Fatalf("%s %s with %q: 400 without a reason: %s", r.method, r.path, body, reply)
			}
		}
		if _, err := url.Parse("http://127.0.0.1/api/v1/journal?" + query); err != nil {
			return // no client can send it: the URL would not parse
		}
		code, reply := fx.request(t, "GET", "/api/v1/journal?"+query, id, "")
		if code != 200 && code != 400 {
			t.Fatalf("journal?%s: %d %s, want 200 or 400", query, code, reply)
		}
	})
}
