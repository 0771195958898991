package provision

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/lineupphone/lineup/line"
)

// maxRounds bounds how often the decoder is run again after it stopped at an error.
const maxRounds = 1000

// Decode parses a provisioning file. name is used in messages (e.g. the file's base name).
//
// Decoding is strict: unknown keys and tables are errors, and so are values of the wrong type.
// The configuration gets its defaults (line.Config.WithDefaults) and is validated
// (line.Config.Validate). Decode reports every problem it finds, not only the first, as an
// *Errors whose lines read "name:LINE: message"; the line of a validation error is the line of
// the offending key, or of the item's table header when the file does not set the key. A syntax
// error stops reading, so it is reported alone. Data larger than MaxFileSize is refused with an
// error wrapping ErrTooLarge before it is parsed. On any error Decode returns an empty Config.
func Decode(name string, data []byte) (line.Config, error) {
	if err := errTooLarge(name, data); err != nil {
		return line.Config{}, err
	}
	w := newWalker(data)
	w.walk()
	if w.syntax || w.fatal {
		return line.Config{}, w.errors(name, w.probs)
	}

	// Decode what the walker found no fault with: blank the faulty key-values (keeping line
	// breaks, so that positions stay the same) and run the decoder, blanking whatever else it
	// stops at, until it gets through.
	doc := bytes.Clone(data)
	blanked := append([]span(nil), w.bad...)
	for _, s := range w.bad {
		blank(doc, s)
	}
	probs := w.probs
	var file fileConfig
	decoded := false
	for round := 0; round < maxRounds && !decoded; round++ {
		file = fileConfig{}
		dec := toml.NewDecoder(bytes.NewReader(doc))
		dec.DisallowUnknownFields()
		err := dec.Decode(&file)
		var strict *toml.StrictMissingError
		var de *toml.DecodeError
		switch {
		case err == nil:
			decoded = true
		case errors.As(err, &strict):
			// The walker checks keys against the same schema, so these are seldom new.
			for i := range strict.Errors {
				e := &strict.Errors[i]
				l, c := e.Position()
				pos := w.at(w.offset(l, c))
				probs = addNew(probs, problem{pos: pos, path: strings.Join(e.Key(), "."), err: ErrUnknownKey})
			}
			decoded = true // the rest of the file was read
		case errors.As(err, &de):
			l, c := de.Position()
			off := w.offset(l, c)
			msg := strings.TrimPrefix(de.Error(), "toml: ")
			sentinel := ErrSyntax
			if strings.HasPrefix(msg, "cannot decode") || strings.Contains(msg, "too large") {
				sentinel = ErrWrongType
			}
			p := problem{pos: w.at(off), path: strings.Join(de.Key(), "."), err: fmt.Errorf("%w: %s", sentinel, msg)}
			if kv, ok := innermost(w.kvs, off); ok {
				p.path = kv.path
			}
			probs = addNew(probs, p)
			top, ok := innermost(w.tops, off)
			if !ok {
				// Not in a key-value (a table defined twice, say): the rest cannot be trusted.
				return line.Config{}, w.errors(name, probs)
			}
			blank(doc, top)
			blanked = append(blanked, top)
		default:
			probs = append(probs, problem{pos: position{line: 1}, err: fmt.Errorf("%w: %v", ErrSyntax, err)})
			return line.Config{}, w.errors(name, probs)
		}
	}
	if !decoded {
		return line.Config{}, w.errors(name, probs)
	}

	cfg := file.config().WithDefaults()
	for _, err := range unwrapAll(cfg.Validate()) {
		fe, ok := err.(*line.FieldError)
		if !ok {
			probs = append(probs, problem{err: err})
			continue
		}
		path := fmt.Sprintf("%s[%d]", fe.Kind, fe.Index)
		if fe.Key != "" {
			path += "." + fe.Key
		}
		if isBlanked(blanked, path) {
			continue // its value was not read: the problem with it is already reported
		}
		pos, _ := w.lookup(path)
		// A field error prints the line alone: the key is at the start of it.
		probs = append(probs, problem{pos: position{line: pos.line}, err: fe})
	}
	if len(probs) > 0 {
		return line.Config{}, w.errors(name, probs)
	}
	return cfg, nil
}

// unwrapAll flattens an errors.Join tree.
func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unwrapAll(e)...)
		}
		return out
	}
	return []error{err}
}

func isBlanked(blanked []span, path string) bool {
	for _, s := range blanked {
		if under(path, s.path) {
			return true
		}
	}
	return false
}

// addNew adds p unless a problem is already reported on its line.
func addNew(probs []problem, p problem) []problem {
	for _, q := range probs {
		if q.pos.line == p.pos.line {
			return probs
		}
	}
	return append(probs, p)
}

// blank overwrites a span with spaces, keeping its line breaks.
func blank(doc []byte, s span) {
	for i := s.start; i < s.end && i < len(doc); i++ {
		if doc[i] != '\n' && doc[i] != '\r' {
			doc[i] = ' '
		}
	}
}

// errors labels the problems with their items and sorts them by position.
func (w *walker) errors(name string, probs []problem) error {
	out := &Errors{Name: name}
	for _, p := range probs {
		err := p.err
		if _, ok := err.(*line.FieldError); !ok && p.path != "" {
			item, rest := splitItem(p.path)
			switch {
			case item == "":
				err = fmt.Errorf("%s: %w", rest, err)
			case rest == "":
				err = fmt.Errorf("%s: %w", w.label(item), err)
			default:
				err = fmt.Errorf("%s: %s: %w", w.label(item), rest, err)
			}
		}
		out.Problems = append(out.Problems, Problem{Line: p.pos.line, Column: p.pos.col, Err: err})
	}
	sort.SliceStable(out.Problems, func(i, j int) bool {
		a, b := out.Problems[i], out.Problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return out
}
