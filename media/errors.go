package media

import "errors"

// Errors of the media package. Callers match them with errors.Is; the functions that return them
// wrap them with the detail (a codec name, a payload length).

// ErrUnknownCodec is returned for a codec name or payload type Lineup does not support.
var ErrUnknownCodec = errors.New("unknown codec")

// ErrShortEvent is returned for an RFC 4733 telephone-event payload shorter than 4 bytes.
var ErrShortEvent = errors.New("telephone event payload too short")
