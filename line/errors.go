package line

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownValue is returned when a text names no value of an enumeration.
var ErrUnknownValue = errors.New("unknown value")

// ErrInvalid is wrapped by every FieldError, so callers can test for any validation failure with
// errors.Is.
var ErrInvalid = errors.New("invalid setting")

// Kind names the sort of item a FieldError is about.
type Kind string

// The kinds of item in a Config.
const (
	KindLocation Kind = "location"
	KindGroup    Kind = "group"
	KindLine     Kind = "line"
)

// FieldError says which field of which item breaks which rule, e.g.
//
//	group "Sales": pickup code "*59": must contain <NUMBER> exactly once
//
// Index is the item's position in its Config list, and Key the field's key as written in
// provisioning files ("pickup_code", "account.user", "feature_code[2].code"), so that a file
// importer can point at the line that holds it.
type FieldError struct {
	Kind  Kind
	Name  string
	Index int
	Key   string
	// Field is the field's name as a person reads it, e.g. "pickup code".
	Field string
	// Value is the offending value, quoted in the message when not empty.
	Value string
	// Rule is what the value must satisfy.
	Rule string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Name != "" {
		fmt.Fprintf(&b, "%s %q: ", e.Kind, e.Name)
	} else {
		fmt.Fprintf(&b, "%s #%d: ", e.Kind, e.Index+1)
	}
	b.WriteString(e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Rule)
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// FieldErrors returns every *FieldError in err, which may be a single error or one made by
// errors.Join.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		walk(errors.Unwrap(err))
	}
	walk(err)
	return out
}
