package media

import (
	"errors"
	"testing"
)

func TestDirectionRoundTrip(t *testing.T) {
	cases := []struct {
		name            string
		d               Direction
		sends, receives bool
		reverse         Direction
	}{
		{"sendrecv", SendRecv, true, true, SendRecv},
		{"sendonly", SendOnly, true, false, RecvOnly},
		{"recvonly", RecvOnly, false, true, SendOnly},
		{"inactive", Inactive, false, false, Inactive},
	}
	for _, c := range cases {
		if got := c.d.String(); got != c.name {
			t.Errorf("%d.String() = %q, want %q", int(c.d), got, c.name)
		}
		p, err := ParseDirection(c.name)
		if err != nil || p != c.d {
			t.Errorf("ParseDirection(%q) = %v, %v; want %v", c.name, p, err, c.d)
		}
		if c.d.Sends() != c.sends || c.d.Receives() != c.receives {
			t.Errorf("%v: Sends %v Receives %v, want %v %v", c.d, c.d.Sends(), c.d.Receives(), c.sends, c.receives)
		}
		if c.d.Reverse() != c.reverse {
			t.Errorf("%v.Reverse() = %v, want %v", c.d, c.d.Reverse(), c.reverse)
		}
	}
}

func TestParseDirectionLenient(t *testing.T) {
	if d, err := ParseDirection(" SendOnly "); err != nil || d != SendOnly {
		t.Errorf("ParseDirection with case and space = %v, %v", d, err)
	}
	if d, err := ParseDirection(""); err != nil || d != SendRecv {
		t.Errorf("empty direction = %v, %v; want the SDP default sendrecv", d, err)
	}
	if _, err := ParseDirection("sideways"); !errors.Is(err, ErrBadDirection) {
		t.Errorf("ParseDirection(sideways) error = %v, want ErrBadDirection", err)
	}
	if s := Direction(9).String(); s == "" || s == "sendrecv" {
		t.Errorf("out-of-range direction prints %q", s)
	}
}
