package provision

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors wrapped by the problems Decode reports, beside line.ErrInvalid (a broken
// validation rule) and line.ErrUnknownValue (a text that names no value of an enumeration).
var (
	// ErrSyntax is a file that is not valid TOML, or that defines a key or table twice.
	ErrSyntax = errors.New("syntax error")
	// ErrUnknownKey is a key or table that the schema does not have.
	ErrUnknownKey = errors.New("unknown key")
	// ErrWrongType is a value of the wrong TOML type, e.g. a string where a number belongs.
	ErrWrongType = errors.New("wrong type")
)

// Problem is one thing wrong in a provisioning file.
type Problem struct {
	// Line is the 1-based line of the file the problem concerns.
	Line int
	// Column is the 1-based byte column where it is known, else 0.
	Column int
	// Err describes the problem; it wraps one of the sentinel errors above, line.ErrInvalid or
	// line.ErrUnknownValue.
	Err error
}

// Errors is every problem found in a provisioning file, in the order of the file.
type Errors struct {
	// Name is the file's name as given to Decode.
	Name     string
	Problems []Problem
}

// Error prints one problem per line as "name:LINE: message", or "name:LINE:COLUMN: message" when
// the column is known. It prints the first MaxPrinted problems, then "... and K more errors".
func (e *Errors) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i == MaxPrinted {
			more := len(e.Problems) - MaxPrinted
			fmt.Fprintf(&b, "... and %d more error", more)
			if more > 1 {
				b.WriteByte('s')
			}
			break
		}
		switch {
		case p.Line > 0 && p.Column > 0:
			fmt.Fprintf(&b, "%s:%d:%d: %v", e.Name, p.Line, p.Column, p.Err)
		case p.Line > 0:
			fmt.Fprintf(&b, "%s:%d: %v", e.Name, p.Line, p.Err)
		default:
			fmt.Fprintf(&b, "%s: %v", e.Name, p.Err)
		}
	}
	return b.String()
}

// Unwrap returns the original errors, so that errors.Is and errors.As see each of them, e.g.
// errors.Is(err, line.ErrInvalid) or errors.As(err, new(*line.FieldError)).
func (e *Errors) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Err
	}
	return out
}
