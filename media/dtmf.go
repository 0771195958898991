package media

import "fmt"

// TelephoneEvent is the payload of an RFC 4733 telephone-event packet (section 2.3):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     event     |E|R| volume    |          duration             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
type TelephoneEvent struct {
	// Event is the event code: 0-9 for the digits, 10 for *, 11 for #, 12-15 for A-D.
	Event uint8
	// End marks the last packets of the event (the sender repeats the end packet three times).
	End bool
	// Volume is the power level of the tone in -dBm0, 0 to 63 (only 6 bits are sent).
	Volume uint8
	// Duration is how long the event has lasted so far, in RTP timestamp units.
	Duration uint16
}

// TelephoneEventSize is the length of a marshalled TelephoneEvent.
const TelephoneEventSize = 4

// Marshal writes the 4-byte payload into dst and returns 4, or 0 when dst is shorter than that.
// The reserved bit is sent as zero.
func (e TelephoneEvent) Marshal(dst []byte) int {
	if len(dst) < TelephoneEventSize {
		return 0
	}
	dst[0] = e.Event
	dst[1] = e.Volume & 0x3f
	if e.End {
		dst[1] |= 0x80
	}
	dst[2] = byte(e.Duration >> 8)
	dst[3] = byte(e.Duration)
	return TelephoneEventSize
}

// UnmarshalTelephoneEvent reads an RFC 4733 payload. Bytes after the first four (further events of
// a redundant payload) are ignored; the reserved bit is ignored as the RFC asks. A payload shorter
// than 4 bytes wraps ErrShortEvent.
func UnmarshalTelephoneEvent(b []byte) (TelephoneEvent, error) {
	if len(b) < TelephoneEventSize {
		return TelephoneEvent{}, fmt.Errorf("%d bytes: %w", len(b), ErrShortEvent)
	}
	return TelephoneEvent{
		Event:    b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: uint16(b[2])<<8 | uint16(b[3]),
	}, nil
}

// DigitEvent returns the RFC 4733 event code of a DTMF digit: 0-9, * (10), # (11) and A-D (12-15,
// lower case accepted). ok is false for anything else.
func DigitEvent(r rune) (event uint8, ok bool) {
	switch {
	case r >= '0' && r <= '9':
		return uint8(r - '0'), true
	case r == '*':
		return 10, true
	case r == '#':
		return 11, true
	case r >= 'A' && r <= 'D':
		return uint8(r-'A') + 12, true
	case r >= 'a' && r <= 'd':
		return uint8(r-'a') + 12, true
	}
	return 0, false
}

// EventDigit is the reverse of DigitEvent: the digit of event codes 0-15 (A-D in upper case).
func EventDigit(e uint8) (digit rune, ok bool) {
	switch {
	case e <= 9:
		return rune('0' + e), true
	case e == 10:
		return '*', true
	case e == 11:
		return '#', true
	case e <= 15:
		return rune('A' + e - 12), true
	}
	return 0, false
}

// EventReceiver turns the stream of telephone-event packets of one RTP stream into digits. All
// packets of one event (start, updates, the repeated end packets, retransmissions) carry the same
// RTP timestamp, so the receiver reports a digit at the first packet it sees of a new timestamp,
// which is also right when the start packet was lost. Its zero value is ready to use; it is not
// safe for concurrent use.
type EventReceiver struct {
	last    uint32
	hasLast bool
}

// Feed takes one received event packet with its RTP timestamp and returns the digit when this
// packet is the first seen of a new event. Events that are not DTMF digits (e.g. 16, flash) and
// packets of an older event than the last one are ignored.
func (r *EventReceiver) Feed(ts uint32, ev TelephoneEvent) (digit rune, ok bool) {
	if r.hasLast && (ts == r.last || int32(ts-r.last) < 0) {
		return 0, false
	}
	d, ok := EventDigit(ev.Event)
	if !ok {
		return 0, false
	}
	r.last, r.hasLast = ts, true
	return d, true
}
