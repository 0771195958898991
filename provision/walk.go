package provision

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// position is a place in the file, both 1-based.
type position struct{ line, col int }

// span is the byte range of a key-value and the full path of its key, e.g.
// "group[0].feature_code[2].code".
type span struct {
	start, end int
	path       string
}

// problem is a Problem before its message is labelled with the item it belongs to.
type problem struct {
	pos  position
	path string // full path of the key concerned; "" when none
	err  error
}

// walker walks a document with go-toml's AST parser. It records where every key is, checks every
// key and value against the schema, and remembers which top-level expressions hold a problem so
// that the decoder can be run on the rest of the file.
type walker struct {
	data       []byte
	lineStarts []int
	p          unstable.Parser

	pos    map[string]position // full key path -> where it is first written
	names  map[string]string   // item path ("group[0]") -> its name
	counts map[string]int      // array-table path -> tables seen so far
	probs  []problem
	tops   []span // top-level key-values
	kvs    []span // every key-value, inline ones included
	bad    []span // top-level key-values that hold a problem
	fatal  bool   // a table header is wrong: the rest of the file cannot be read reliably
	syntax bool   // the parser failed
}

func newWalker(data []byte) *walker {
	w := &walker{
		data:       data,
		lineStarts: []int{0},
		pos:        map[string]position{},
		names:      map[string]string{},
		counts:     map[string]int{},
	}
	for i, c := range data {
		if c == '\n' {
			w.lineStarts = append(w.lineStarts, i+1)
		}
	}
	return w
}

// lineCount is the number of lines of the file; a final newline does not start a line.
func (w *walker) lineCount() int {
	n := len(w.lineStarts)
	if len(w.data) == 0 || w.data[len(w.data)-1] == '\n' {
		n--
	}
	return n
}

// at returns the position of a byte offset, clamped into the file.
func (w *walker) at(off int) position {
	if off < 0 {
		off = 0
	}
	if off > len(w.data) {
		off = len(w.data)
	}
	i := sort.Search(len(w.lineStarts), func(i int) bool { return w.lineStarts[i] > off }) - 1
	pos := position{line: i + 1, col: off - w.lineStarts[i] + 1}
	if n := w.lineCount(); pos.line > n && n > 0 {
		// The end of a file that ends with a newline: point at the last line.
		pos = position{line: n, col: w.lineStarts[n] - w.lineStarts[n-1]}
	}
	return pos
}

// offset returns the byte offset of a position given by the decoder.
func (w *walker) offset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(w.lineStarts) {
		return len(w.data)
	}
	off := w.lineStarts[line-1] + col - 1
	if off > len(w.data) {
		off = len(w.data)
	}
	return max(off, 0)
}

// nodePos returns where a node starts, or fallback when the parser gave it no range.
func (w *walker) nodePos(n *unstable.Node, fallback position) position {
	if n == nil || n.Raw.Length == 0 {
		return fallback
	}
	return w.at(int(n.Raw.Offset))
}

func (w *walker) add(pos position, path string, err error) {
	w.probs = append(w.probs, problem{pos: pos, path: path, err: err})
}

// walk parses the whole document.
func (w *walker) walk() {
	w.p.Reset(w.data)
	ctx, cur := "", rootSchema
	for w.p.NextExpression() {
		e := w.p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			ctx, cur = w.header(e)
		case unstable.KeyValue:
			if cur == nil {
				continue // under a broken header, already reported
			}
			before := len(w.probs)
			path := w.keyValue(ctx, cur, e)
			s := span{start: int(e.Raw.Offset), end: int(e.Raw.Offset + e.Raw.Length), path: path}
			w.tops = append(w.tops, s)
			if len(w.probs) > before {
				w.bad = append(w.bad, s)
			}
		}
	}
	if err := w.p.Error(); err != nil {
		w.syntax = true
		pos := position{line: 1, col: 1}
		var pe *unstable.ParserError
		if errors.As(err, &pe) {
			pos = w.at(w.subsliceOffset(pe.Highlight))
		}
		w.add(pos, "", fmt.Errorf("%w: %s", ErrSyntax, err.Error()))
	}
}

// subsliceOffset is the offset of b in the document, which it shares the backing array with.
func (w *walker) subsliceOffset(b []byte) int {
	if b == nil {
		return len(w.data)
	}
	return cap(w.data) - cap(b)
}

// header handles [table] and [[array table]] and returns the new context, or a nil schema when the
// header is wrong.
func (w *walker) header(e *unstable.Node) (string, *schema) {
	var parts []*unstable.Node
	it := e.Key()
	for it.Next() {
		parts = append(parts, it.Node())
	}
	if len(parts) == 0 {
		return "", nil
	}
	hpos := w.nodePos(parts[0], position{line: 1, col: 1})
	var names []string
	for _, p := range parts {
		names = append(names, string(p.Data))
	}
	dotted := strings.Join(names, ".")
	show := "[" + dotted + "]"
	if e.Kind == unstable.ArrayTable {
		show = "[[" + dotted + "]]"
	}
	fail := func(err error) (string, *schema) {
		w.add(hpos, "", fmt.Errorf("table %s: %w", show, err))
		w.fatal = true
		return "", nil
	}
	path, s := "", rootSchema
	for i, name := range names {
		f := s.fields[name]
		if f == nil {
			return fail(ErrUnknownKey)
		}
		next := join(path, name)
		if i < len(names)-1 {
			switch f.shape {
			case shapeTables:
				n := w.counts[next]
				if n == 0 {
					return fail(fmt.Errorf("%w: it comes before any [[%s]]", ErrSyntax, next))
				}
				path, s = fmt.Sprintf("%s[%d]", next, n-1), f.elem
			case shapeTable:
				path, s = next, f
			default:
				return fail(fmt.Errorf("%w: %s is %s, not a table", ErrWrongType, name, f.shape.want()))
			}
			continue
		}
		switch {
		case e.Kind == unstable.ArrayTable && f.shape == shapeTables:
			n := w.counts[next]
			w.counts[next] = n + 1
			path, s = fmt.Sprintf("%s[%d]", next, n), f.elem
		case e.Kind == unstable.Table && f.shape == shapeTable:
			path, s = next, f
		case e.Kind == unstable.Table && f.shape == shapeTables:
			return fail(fmt.Errorf("%w: %s is a list, write [[%s]] for each entry", ErrWrongType, name, dotted))
		case e.Kind == unstable.ArrayTable && f.shape == shapeTable:
			return fail(fmt.Errorf("%w: %s is a single table, write [%s]", ErrWrongType, name, dotted))
		default:
			return fail(fmt.Errorf("%w: %s is %s, not a table", ErrWrongType, name, f.shape.want()))
		}
	}
	if _, ok := w.pos[path]; !ok {
		w.pos[path] = hpos
	}
	return path, s
}

func join(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}

// keyValue checks a key-value in the table at base and returns its full key path.
func (w *walker) keyValue(base string, s *schema, kv *unstable.Node) string {
	path, cur := base, s
	var keyPos position
	it := kv.Key()
	first := true
	for it.Next() {
		k := it.Node()
		name := string(k.Data)
		kp := w.nodePos(k, position{line: 1, col: 1})
		if first {
			keyPos, first = kp, false
		}
		next := join(path, name)
		if _, ok := w.pos[next]; !ok {
			w.pos[next] = kp
		}
		f := cur.fields[name]
		if f == nil {
			w.add(kp, next, ErrUnknownKey)
			return next
		}
		path = next
		if it.IsLast() {
			w.kvs = append(w.kvs, span{start: int(kv.Raw.Offset), end: int(kv.Raw.Offset + kv.Raw.Length), path: path})
			w.value(path, f, kv.Value(), keyPos)
			return path
		}
		if f.shape != shapeTable {
			w.add(kp, path, fmt.Errorf("%w: expected %s, not a table", ErrWrongType, f.shape.want()))
			return path
		}
		cur = f
	}
	return path
}

// value checks a value against its schema.
func (w *walker) value(path string, s *schema, v *unstable.Node, fallback position) {
	pos := w.nodePos(v, fallback)
	if _, ok := w.pos[path]; !ok {
		w.pos[path] = pos
	}
	wrong := func() {
		w.add(pos, path, fmt.Errorf("%w: expected %s, got %s", ErrWrongType, s.shape.want(), kindName(v.Kind)))
	}
	switch s.shape {
	case shapeTable:
		if v.Kind != unstable.InlineTable {
			wrong()
			return
		}
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				w.keyValue(path, s, c)
			}
		}
	case shapeTables, shapeArray:
		if v.Kind != unstable.Array {
			wrong()
			return
		}
		it := v.Children()
		i := 0
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			w.value(fmt.Sprintf("%s[%d]", path, i), s.elem, c, pos)
			i++
		}
	case shapeText:
		if v.Kind != unstable.String {
			err := fmt.Errorf("%w: expected %s, got %s", ErrWrongType, s.shape.want(), kindName(v.Kind))
			if v.Raw.Length > 0 {
				err = fmt.Errorf("%w (write it in quotes: \"%s\")", err, w.p.Raw(v.Raw))
			}
			w.add(pos, path, err)
			return
		}
		if err := s.unmarshalText(v.Data); err != nil {
			w.add(pos, path, err)
		}
	case shapeString:
		if v.Kind != unstable.String {
			wrong()
			return
		}
		if item, rest := splitItem(path); rest == "name" && item != "" {
			if _, seen := w.names[item]; !seen {
				w.names[item] = string(v.Data)
			}
		}
	case shapeInt:
		if v.Kind != unstable.Integer {
			wrong()
			return
		}
		if _, err := strconv.ParseInt(string(v.Data), 0, 64); err != nil {
			w.add(pos, path, fmt.Errorf("%w: integer %s is out of range", ErrWrongType, v.Data))
		}
	case shapeFloat:
		if v.Kind != unstable.Float && v.Kind != unstable.Integer {
			wrong()
		}
	case shapeBool:
		if v.Kind != unstable.Bool {
			wrong()
		}
	}
}

func kindName(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Bool:
		return "a boolean"
	case unstable.Array:
		return "an array"
	case unstable.InlineTable:
		return "a table"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "a date or time"
	}
	return "something else"
}

// splitItem splits "group[0].feature_code[1].code" into "group[0]" and "feature_code[1].code". A
// path that is not inside an item gives "" and the path.
func splitItem(path string) (item, rest string) {
	head, tail, _ := strings.Cut(path, ".")
	if !strings.HasSuffix(head, "]") || strings.Contains(head, ".") {
		return "", path
	}
	return head, tail
}

// label names an item as messages do: group "Sales", or group #2 when it has no name.
func (w *walker) label(item string) string {
	kind, idx, ok := strings.Cut(strings.TrimSuffix(item, "]"), "[")
	if !ok {
		return item
	}
	if name := w.names[item]; name != "" {
		return fmt.Sprintf("%s %q", kind, name)
	}
	n, err := strconv.Atoi(idx)
	if err != nil {
		return item
	}
	return fmt.Sprintf("%s #%d", kind, n+1)
}

// lookup returns where the key at path is written, else where its nearest enclosing key or table
// is; ok is false when none of them is in the file.
func (w *walker) lookup(path string) (position, bool) {
	for path != "" {
		if p, ok := w.pos[path]; ok {
			return p, true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return position{}, false
}

// innermost returns the path of the smallest key-value that holds offset off.
func innermost(spans []span, off int) (span, bool) {
	var best span
	found := false
	for _, s := range spans {
		if s.start <= off && off < s.end || s.start == off {
			if !found || s.end-s.start < best.end-best.start {
				best, found = s, true
			}
		}
	}
	return best, found
}

// under reports whether path is prefix or inside it (at a key or index boundary).
func under(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	rest := path[len(prefix):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}
