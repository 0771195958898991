package sip

import "testing"

func TestParseCancelReason(t *testing.T) {
	for _, tc := range []struct {
		header    string
		cause     int
		text      string
		elsewhere bool
	}{
		{`SIP;cause=200;text="Call completed elsewhere"`, 200, "Call completed elsewhere", true},
		{`SIP ; cause = 200`, 200, "", true},
		{`SIP;text="Call completed elsewhere"`, 0, "Call completed elsewhere", true},
		{`Q.850;cause=16;text="Terminated", SIP;cause=487`, 487, "", false},
		{`Q.850;cause=16`, 0, "", false},
		{`SIP;cause=abc;text=Busy`, 0, "Busy", false},
		{`SIP;cause=9999`, 0, "", false},
		{``, 0, "", false},
	} {
		r := parseCancelReason(tc.header)
		if r.Cause != tc.cause || r.Text != tc.text || r.CompletedElsewhere() != tc.elsewhere {
			t.Errorf("%q: got cause %d text %q elsewhere %v, want %d %q %v", tc.header, r.Cause, r.Text,
				r.CompletedElsewhere(), tc.cause, tc.text, tc.elsewhere)
		}
	}
}

func FuzzParseCancelReason(f *testing.F) {
	f.Add(`SIP;cause=200;text="Call completed elsewhere"`)
	f.Add(`Q.850;cause=16, SIP;cause=`)
	f.Fuzz(func(t *testing.T, h string) {
		r := parseCancelReason(h)
		if r.Cause != 0 && (r.Cause < 100 || r.Cause > 699) {
			t.Fatalf("cause %d out of range", r.Cause)
		}
	})
}
