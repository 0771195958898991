package line

import (
	"errors"
	"testing"
)

func TestEndCauseText(t *testing.T) {
	for c := EndUnknown; c.Valid(); c++ {
		b, err := c.MarshalText()
		if err != nil {
			t.Fatalf("%d: %v", int(c), err)
		}
		var back EndCause
		if err := back.UnmarshalText(b); err != nil || back != c || string(b) != c.String() {
			t.Errorf("%d: %q read back as %v, %v", int(c), b, back, err)
		}
	}
	if _, err := EndCause(99).MarshalText(); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("cause 99 marshals: %v", err)
	}
	var c EndCause
	if err := c.UnmarshalText([]byte("exploded")); !errors.Is(err, ErrUnknownValue) {
		t.Errorf("an unknown name reads as %v, %v", c, err)
	}
	if EndCause(99).String() != "EndCause(99)" {
		t.Errorf("unknown cause prints %q", EndCause(99))
	}
}
