package media

import (
	"fmt"
	"strings"
)

// Direction is an SDP media direction attribute (RFC 3264 5.1): whether a stream sends, receives,
// both or neither. The zero value is SendRecv.
type Direction int

// The four SDP directions.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

var directionNames = [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}

// String returns the SDP attribute name, e.g. "sendrecv".
func (d Direction) String() string {
	if d < 0 || int(d) >= len(directionNames) {
		return fmt.Sprintf("direction(%d)", int(d))
	}
	return directionNames[d]
}

// ParseDirection reads an SDP direction attribute name (case-insensitive). An empty string is
// SendRecv, the SDP default.
func ParseDirection(s string) (Direction, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return SendRecv, nil
	}
	for i, n := range directionNames {
		if strings.EqualFold(s, n) {
			return Direction(i), nil
		}
	}
	return SendRecv, fmt.Errorf("media: %w: %q", ErrBadDirection, s)
}

// Reverse is the direction an answerer takes for an offer with direction d: sendonly becomes
// recvonly and the other way round; sendrecv and inactive stay.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	default:
		return d
	}
}

// Sends reports whether a stream with this direction sends RTP.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether a stream with this direction expects to receive RTP.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }
