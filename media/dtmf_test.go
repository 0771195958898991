package media

import (
	"bytes"
	"errors"
	"testing"
)

func TestTelephoneEventWireFormat(t *testing.T) {
	// RFC 4733 2.3: event (8 bits) | E (1) R (1) volume (6) | duration (16, network order).
	for _, tc := range []struct {
		ev   TelephoneEvent
		wire []byte
	}{
		// Digit 5, not end, -10 dBm0, 160 units (20 ms at 8 kHz).
		{TelephoneEvent{Event: 5, Volume: 10, Duration: 160}, []byte{5, 10, 0, 160}},
		// #, end bit set, 800 units = 0x0320.
		{TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 800}, []byte{11, 0x80 | 10, 0x03, 0x20}},
		// D at the largest volume and duration.
		{TelephoneEvent{Event: 15, End: true, Volume: 63, Duration: 0xffff}, []byte{15, 0x80 | 63, 0xff, 0xff}},
	} {
		buf := make([]byte, 8)
		n := tc.ev.Marshal(buf)
		if n != 4 || !bytes.Equal(buf[:n], tc.wire) {
			t.Errorf("Marshal(%+v) = % x, want % x", tc.ev, buf[:n], tc.wire)
		}
		got, err := UnmarshalTelephoneEvent(tc.wire)
		if err != nil || got != tc.ev {
			t.Errorf("Unmarshal(% x) = %+v, %v; want %+v", tc.wire, got, err, tc.ev)
		}
	}
}

func TestTelephoneEventEdges(t *testing.T) {
	// The reserved bit (0x40) is ignored by receivers and never sent.
	got, err := UnmarshalTelephoneEvent([]byte{1, 0x40 | 7, 0, 80})
	if err != nil || got != (TelephoneEvent{Event: 1, Volume: 7, Duration: 80}) {
		t.Errorf("reserved bit: %+v, %v", got, err)
	}
	buf := make([]byte, 4)
	TelephoneEvent{Event: 1, Volume: 0xff}.Marshal(buf)
	if buf[1] != 63 {
		t.Errorf("volume 255 sent as %#x, want only the 6 volume bits (63)", buf[1])
	}
	if n := (TelephoneEvent{Event: 1}).Marshal(make([]byte, 3)); n != 0 {
		t.Errorf("Marshal into 3 bytes wrote %d", n)
	}
	if _, err := UnmarshalTelephoneEvent([]byte{1, 2, 3}); !errors.Is(err, ErrShortEvent) {
		t.Errorf("3-byte payload: %v, want ErrShortEvent", err)
	}
}

func TestDigitMapping(t *testing.T) {
	// RFC 4733 3.2, table 1.
	want := map[rune]uint8{'0': 0, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, '6': 6, '7': 7, '8': 8,
		'9': 9, '*': 10, '#': 11, 'A': 12, 'B': 13, 'C': 14, 'D': 15}
	for r, e := range want {
		if got, ok := DigitEvent(r); !ok || got != e {
			t.Errorf("DigitEvent(%q) = %d, %v; want %d", r, got, ok, e)
		}
		if got, ok := EventDigit(e); !ok || got != r {
			t.Errorf("EventDigit(%d) = %q, %v; want %q", e, got, ok, r)
		}
	}
	if got, ok := DigitEvent('b'); !ok || got != 13 {
		t.Errorf("DigitEvent('b') = %d, %v", got, ok)
	}
	for _, r := range []rune{'E', 'x', ' ', '+'} {
		if _, ok := DigitEvent(r); ok {
			t.Errorf("DigitEvent(%q) accepted", r)
		}
	}
	if _, ok := EventDigit(16); ok { // 16 is flash, not a digit
		t.Error("EventDigit(16) accepted")
	}
}

// dspEventPackets is what a sender puts on the wire for one digit: a start packet, updates every
// 20 ms and three end packets, all with the event's timestamp.
func dspEventPackets(digit rune, ts uint32, dropStart bool) (ts_ []uint32, evs []TelephoneEvent) {
	e, _ := DigitEvent(digit)
	for d := uint16(160); d <= 640; d += 160 {
		if d == 160 && dropStart {
			continue
		}
		ts_ = append(ts_, ts)
		evs = append(evs, TelephoneEvent{Event: e, Volume: 10, Duration: d})
	}
	for range 3 {
		ts_ = append(ts_, ts)
		evs = append(evs, TelephoneEvent{Event: e, End: true, Volume: 10, Duration: 800})
	}
	return ts_, evs
}

func TestEventReceiverReportsEachDigitOnce(t *testing.T) {
	var r EventReceiver
	var got []rune
	feed := func(digit rune, ts uint32, dropStart bool) {
		tss, evs := dspEventPackets(digit, ts, dropStart)
		for i := range tss {
			if d, ok := r.Feed(tss[i], evs[i]); ok {
				got = append(got, d)
			}
		}
	}
	feed('1', 1000, false)
	feed('1', 3000, false) // the same key again is a new event
	feed('#', 5000, true)  // start packet lost
	if string(got) != "11#" {
		t.Errorf("digits %q, want %q", string(got), "11#")
	}
	// A late retransmission of an older event is not a new digit.
	if d, ok := r.Feed(5000, TelephoneEvent{Event: 11, End: true}); ok {
		t.Errorf("old event reported again as %q", d)
	}
	// Non-digit events (16 = flash) are not digits.
	if d, ok := r.Feed(9000, TelephoneEvent{Event: 16}); ok {
		t.Errorf("flash reported as %q", d)
	}
}

func TestEventReceiverAcrossTimestampWrap(t *testing.T) {
	var r EventReceiver
	var got []rune
	for _, ev := range []struct {
		digit rune
		ts    uint32
	}{{'9', 0xfffff000}, {'0', 0x00000200}, {'0', 0x00001200}} {
		tss, evs := dspEventPackets(ev.digit, ev.ts, false)
		for i := range tss {
			if d, ok := r.Feed(tss[i], evs[i]); ok {
				got = append(got, d)
			}
		}
	}
	if string(got) != "900" {
		t.Errorf("digits %q, want %q", string(got), "900")
	}
}
