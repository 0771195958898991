package sip

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseReferTo(t *testing.T) {
	for _, tc := range []struct {
		in, uri, user string
		replaces      string // Replaces.String(), "" for none
	}{
		{"<sip:202@pbx.example.com>", "sip:202@pbx.example.com", "202", ""},
		{"sip:202@10.0.0.1:5060", "sip:202@10.0.0.1:5060", "202", ""},
		{`"Reception" <sips:reception@pbx.example.com;transport=tls>;x=1`, "sips:reception@pbx.example.com;transport=tls", "reception", ""},
		{"<sip:202@pbx?Replaces=" + url.QueryEscape("abc@host;to-tag=t1;from-tag=f1") + "&Require=replaces>",
			"sip:202@pbx", "202", "abc@host;to-tag=t1;from-tag=f1"},
		{"<sip:202@pbx?replaces=abc%3Bfrom-tag%3Df1%3Bto-tag%3Dt1%3Bearly-only>", "sip:202@pbx", "202", "abc;to-tag=t1;from-tag=f1;early-only"},
	} {
		got, err := ParseReferTo(tc.in)
		if err != nil {
			t.Errorf("ParseReferTo(%q): %v", tc.in, err)
			continue
		}
		if got.URI != tc.uri || got.User != tc.user {
			t.Errorf("ParseReferTo(%q) = %q user %q, want %q user %q", tc.in, got.URI, got.User, tc.uri, tc.user)
		}
		rep := ""
		if got.Replaces != nil {
			rep = got.Replaces.String()
		}
		if rep != tc.replaces {
			t.Errorf("ParseReferTo(%q) replaces %q, want %q", tc.in, rep, tc.replaces)
		}
	}
	for _, bad := range []string{
		"", "<>", "<sip:202@pbx", "tel:+4989123", "<http://example.com/>", "sip:", "<sip:202@bad host>",
		"<sip:202@pbx?Replaces=abc%3Bto-tag%3Dt1>", // no from-tag
		"<sip:202@pbx?Replaces=%zz>",
		"<sip:" + strings.Repeat("9", 3000) + "@pbx>",
	} {
		if _, err := ParseReferTo(bad); !errors.Is(err, ErrBadRefer) {
			t.Errorf("ParseReferTo(%q) = %v, want ErrBadRefer", bad, err)
		}
	}
}

func TestReplacesNamesTheDialogAsTheOtherSideSeesIt(t *testing.T) {
	ours := DialogID{CallID: "c1@host", LocalTag: "mine", RemoteTag: "theirs"}
	r, err := ParseReplaces(ours.ReplacesFor())
	if err != nil {
		t.Fatal(err)
	}
	// The far end finds its own dialog: its tag is our remote tag.
	if got := r.Dialog(); got != (DialogID{CallID: "c1@host", LocalTag: "theirs", RemoteTag: "mine"}) {
		t.Errorf("the far end looks for %+v", got)
	}
	for _, bad := range []string{"", ";to-tag=a;from-tag=b", "c1;to-tag=a", "c1;from-tag=b;to-tag=", "c 1;to-tag=a;from-tag=b"} {
		if _, err := ParseReplaces(bad); !errors.Is(err, ErrBadRefer) {
			t.Errorf("ParseReplaces(%q) = %v, want ErrBadRefer", bad, err)
		}
	}
}

func TestSipfrag(t *testing.T) {
	for body, want := range map[string]int{"SIP/2.0 100 Trying\r\n": 100, "SIP/2.0 486 Busy Here": 486, "sip/2.0 200 OK\r\nContent-Length: 0\r\n": 200} {
		if code, _, err := sipfrag([]byte(body)); err != nil || code != want {
			t.Errorf("sipfrag(%q) = %d, %v; want %d", body, code, err, want)
		}
	}
	for _, bad := range []string{"", "HTTP/1.1 200 OK", "SIP/2.0 99 Low", "SIP/2.0 700 High", "SIP/2.0 abc", "garbage"} {
		if _, _, err := sipfrag([]byte(bad)); !errors.Is(err, ErrBadRefer) {
			t.Errorf("sipfrag(%q) = %v, want ErrBadRefer", bad, err)
		}
	}
}

// TestReferAndNotify runs a blind transfer between two endpoints: the caller refers the callee
// to 203; the callee accepts, reports 100, 180 and 200 by NOTIFY; the caller sees each, the last
// as final. A second REFER asks for a target that fails, and a REFER with a bad Refer-To is
// answered 400 without reaching the handler.
func TestReferAndNotify(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := newCallEndpoint(t), newCallEndpoint(t)
	p := connect(ctx, t, a, b)

	refers := make(chan *IncomingRefer, 2)
	b.OnRefer(func(r *IncomingRefer) (int, string) {
		if r.Target.User == "666" {
			return 603, "Decline"
		}
		refers <- r
		return 202, "Accepted"
	})
	acct := lineAcct("201", b)
	ref, err := a.Refer(ctx, p.caller, acct, "203", nil)
	if err != nil {
		t.Fatal(err)
	}
	var in *IncomingRefer
	select {
	case in = <-refers:
	case <-ctx.Done():
		t.Fatal("no REFER at the callee")
	}
	wantURI := "sip:203@" + lineDomain(acct)
	if in.Target.URI != wantURI || in.Target.Replaces != nil || !strings.Contains(in.ReferredBy, "sip:201@") {
		t.Errorf("REFER target %+v referred by %q, want %s by 201", in.Target, in.ReferredBy, wantURI)
	}
	if in.Dialog != p.callee {
		t.Error("REFER not tied to the callee's dialog")
	}
	// A second transfer of the same call while this one runs is refused here, before sending.
	if _, err := a.Refer(ctx, p.caller, acct, "204", nil); !errors.Is(err, ErrBadRefer) {
		t.Errorf("second REFER under way: %v, want ErrBadRefer", err)
	}
	for _, st := range []struct {
		code   int
		reason string
	}{{100, "Trying"}, {180, "Ringing"}, {200, "OK"}} {
		if err := in.Notify(ctx, st.code, st.reason); err != nil {
			t.Fatalf("notify %d: %v", st.code, err)
		}
		select {
		case got, ok := <-ref.Progress():
			if !ok || got.Code != st.code || got.Reason != st.reason || got.Final != (st.code >= 200) {
				t.Errorf("progress %+v (open %v), want %d %s", got, ok, st.code, st.reason)
			}
		case <-ctx.Done():
			t.Fatalf("no progress %d", st.code)
		}
	}
	if _, ok := <-ref.Progress(); ok {
		t.Error("progress still open after the final NOTIFY")
	}
	// The subscription is over: a further NOTIFY has nothing to report to.
	if err := in.Notify(ctx, 200, "OK"); err == nil || !strings.Contains(err.Error(), "481") {
		t.Errorf("NOTIFY after the end: %v, want 481", err)
	}

	// A refused REFER is the transferor's error, with the status.
	_, err = a.Refer(ctx, p.caller, acct, "666", nil)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Code != 603 {
		t.Errorf("refused REFER: %v, want a CallError 603", err)
	}

	// An attended transfer carries the consultation dialog in the Refer-To.
	consult := DialogID{CallID: "consult-1", LocalTag: "lt", RemoteTag: "rt"}
	ref2, err := a.Refer(ctx, p.caller, acct, "203", &consult)
	if err != nil {
		t.Fatal(err)
	}
	in = <-refers
	if in.Target.Replaces == nil || in.Target.Replaces.Dialog() != (DialogID{CallID: "consult-1", LocalTag: "rt", RemoteTag: "lt"}) {
		t.Errorf("attended REFER replaces %+v", in.Target.Replaces)
	}
	// The callee hangs up before reporting: the transfer's progress ends without a final status.
	if err := p.callee.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.caller.Done():
	case <-ctx.Done():
		t.Fatal("caller did not see the BYE")
	}
	if _, ok := <-ref2.Progress(); ok {
		t.Error("progress open after the call ended")
	}
	if _, err := a.Refer(ctx, p.caller, acct, "203", nil); !errors.Is(err, ErrCallEnded) {
		t.Errorf("REFER on an ended call: %v", err)
	}
}

// FuzzReferHeaders feeds the readers of what a transferor or transferee sends: Refer-To,
// Replaces and the sipfrag of a NOTIFY. Nothing panics, and what is taken is well formed: a
// sip:/sips: target and a Replaces with its Call-ID and both tags.
func FuzzReferHeaders(f *testing.F) {
	for _, s := range []string{
		"<sip:202@pbx.example.com>", "<sip:202@pbx?Replaces=abc%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>",
		"\"x\" <sips:a@b;transport=tls>;p=1", "tel:+49", "<sip:@>", "SIP/2.0 180 Ringing\r\n",
		"abc;to-tag=a;from-tag=b;early-only", "<sip:1@h?Replaces=%ZZ&Replaces=x>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if rt, err := ParseReferTo(s); err == nil {
			l := strings.ToLower(rt.URI)
			if !strings.HasPrefix(l, "sip:") && !strings.HasPrefix(l, "sips:") {
				t.Fatalf("ParseReferTo(%q) took %q", s, rt.URI)
			}
			if r := rt.Replaces; r != nil && (r.CallID == "" || r.ToTag == "" || r.FromTag == "") {
				t.Fatalf("ParseReferTo(%q) took replaces %+v", s, r)
			}
		}
		if r, err := ParseReplaces(s); err == nil && (r.CallID == "" || r.ToTag == "" || r.FromTag == "") {
			t.Fatalf("ParseReplaces(%q) = %+v", s, r)
		}
		if code, _, err := sipfrag([]byte(s)); err == nil && (code < 100 || code > 699) {
			t.Fatalf("sipfrag(%q) = %d", s, code)
		}
	})
}
