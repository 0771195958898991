package provision

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
)

// shape is what a key of the schema holds.
type shape int

const (
	shapeTable  shape = iota // a table: [x] or x = {...}
	shapeTables              // an array of tables: [[x]] or x = [{...}]
	shapeArray               // an array of values
	shapeString
	shapeText // a string read by encoding.TextUnmarshaler (an enumeration)
	shapeInt
	shapeFloat
	shapeBool
)

// want describes what a shape accepts, for messages.
func (s shape) want() string {
	switch s {
	case shapeTable:
		return "a table"
	case shapeTables:
		return "an array of tables"
	case shapeArray:
		return "an array"
	case shapeString, shapeText:
		return "a string"
	case shapeInt:
		return "an integer"
	case shapeFloat:
		return "a number"
	case shapeBool:
		return "true or false"
	}
	return "nothing"
}

// schema is the tree of keys a provisioning file may use, derived from the toml tags of
// fileConfig so that it cannot drift from the types Decode fills.
type schema struct {
	shape  shape
	fields map[string]*schema // shapeTable
	elem   *schema            // shapeTables and shapeArray
	typ    reflect.Type       // shapeText
}

var textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

var rootSchema = buildSchema(reflect.TypeOf(fileConfig{}))

func buildSchema(t reflect.Type) *schema {
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return &schema{shape: shapeText, typ: t}
	}
	switch t.Kind() {
	case reflect.Pointer:
		// An optional table, left out when nil.
		return buildSchema(t.Elem())
	case reflect.Struct:
		s := &schema{shape: shapeTable, fields: map[string]*schema{}}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			s.fields[name] = buildSchema(f.Type)
		}
		return s
	case reflect.Slice:
		elem := buildSchema(t.Elem())
		if elem.shape == shapeTable {
			return &schema{shape: shapeTables, elem: elem}
		}
		return &schema{shape: shapeArray, elem: elem}
	case reflect.String:
		return &schema{shape: shapeString}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return &schema{shape: shapeInt}
	case reflect.Float32, reflect.Float64:
		return &schema{shape: shapeFloat}
	case reflect.Bool:
		return &schema{shape: shapeBool}
	}
	panic(fmt.Sprintf("provision: no schema for %s", t))
}

// unmarshalText runs the type's own UnmarshalText on s.
func (s *schema) unmarshalText(b []byte) error {
	v := reflect.New(s.typ).Interface().(encoding.TextUnmarshaler)
	return v.UnmarshalText(b)
}
