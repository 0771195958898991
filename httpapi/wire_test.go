package httpapi

import (
	"reflect"
	"testing"
	"time"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/line"
)

// fill sets every exported field of v (a pointer) to a value that is not zero: texts "x",
// numbers 1, true, slices of one filled element, pointers to a filled value, and a fixed time.
func fill(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(t, s.Index(0))
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem())
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(t, v.Field(i))
			}
		}
	default:
		t.Fatalf("fill: no value for a %s", v.Type())
	}
}

func filled[T any](t *testing.T) T {
	var v T
	fill(t, reflect.ValueOf(&v).Elem())
	return v
}

// TestWireTypesCarryEveryField converts values with every field set to the wire types and back:
// a field added to an api or line type but not to its wire type comes back zero and fails here.
func TestWireTypesCarryEveryField(t *testing.T) {
	l := filled[api.Line](t)
	if got := toWireLine(l).api(); !reflect.DeepEqual(got, l) {
		t.Errorf("line came back as\n%+v\nwant\n%+v", got, l)
	}
	c := filled[api.Call](t)
	if got := toWireCall(c).api(); !reflect.DeepEqual(got, c) {
		t.Errorf("call came back as\n%+v\nwant\n%+v", got, c)
	}
	ev := filled[api.Event](t)
	if got := toWireEvent(ev).api(); !reflect.DeepEqual(got, ev) {
		t.Errorf("event came back as\n%+v\nwant\n%+v", got, ev)
	}
	e := filled[line.JournalEntry](t)
	if got := toWireEntry(e).line(); !reflect.DeepEqual(got, e) {
		t.Errorf("journal entry came back as\n%+v\nwant\n%+v", got, e)
	}
	cfg := filled[line.Config](t)
	if got := toWireConfig(cfg).line(); !reflect.DeepEqual(got, cfg) {
		t.Errorf("config came back as\n%+v\nwant\n%+v", got, cfg)
	}
}
