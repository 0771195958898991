package ui

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

// typedKey names one field of one item, for the text typed into it that is not a number.
type typedKey struct {
	kind  line.Kind
	index int
	key   string
}

// numberField is an entry bound to a number of the edited copy. Text that is not a number does
// not reach the copy: the field keeps the last number and the text shows as a violation of the
// field (naming it and the rule) until it is corrected or the form is built anew. Empty text
// stands for 0, which optional numbers take as their default.
type numberField struct {
	kind  line.Kind
	index func() int
	name  func() string // the item's name, for the message
	key   string        // the field's key, as line.FieldError.Key
	field string        // the field's name as a person reads it
	rule  string        // what the text must be
}

// intField is an entry bound to an int of the edited copy.
func (s *settingsEditor) intField(f numberField, get func() int, set func(int)) *widget.Entry {
	return s.typedField(f, itoa(get()), func(v string) bool {
		n, err := strconv.Atoi(v)
		if err != nil {
			return false
		}
		set(n)
		return true
	})
}

// floatField is an entry bound to a float64 of the edited copy.
func (s *settingsEditor) floatField(f numberField, get func() float64, set func(float64)) *widget.Entry {
	text := ""
	if v := get(); v != 0 {
		text = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return s.typedField(f, text, func(v string) bool {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		set(n)
		return true
	})
}

func (s *settingsEditor) typedField(f numberField, text string, parse func(string) bool) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(text)
	e.OnChanged = func(v string) {
		k := typedKey{f.kind, f.index(), f.key}
		v = strings.TrimSpace(v)
		if v == "" {
			v = "0"
		}
		if parse(v) {
			delete(s.typed, k)
		} else {
			if s.typed == nil {
				s.typed = map[typedKey]*line.FieldError{}
			}
			s.typed[k] = &line.FieldError{Kind: f.kind, Name: f.name(), Index: k.index, Key: f.key,
				Field: f.field, Value: e.Text, Rule: f.rule}
		}
		s.changed()
	}
	return e
}

// typedErrs are the violations of text typed into number fields, in a stable order.
func (s *settingsEditor) typedErrs() []*line.FieldError {
	errs := slices.Collect(maps.Values(s.typed))
	slices.SortFunc(errs, func(a, b *line.FieldError) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Index, b.Index), cmp.Compare(a.Key, b.Key))
	})
	return errs
}

// chooseFile lets the user pick a file whose path goes into e.
func (s *settingsEditor) chooseFile(e *widget.Entry) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		e.SetText(path)
	}, s.win)
	d.Show()
}

// section is one part of a settings form: a heading in bold body text (a card's own title is a
// large heading, which crowded the window), an optional line that says more, and the content.
func section(title, subtitle string, content fyne.CanvasObject) fyne.CanvasObject {
	head := widget.NewLabel(title)
	head.TextStyle = fyne.TextStyle{Bold: true}
	items := []fyne.CanvasObject{head}
	if subtitle != "" {
		sub := widget.NewLabel(subtitle)
		sub.SizeName = theme.SizeNameCaptionText
		sub.Wrapping = fyne.TextWrapWord
		items = append(items, sub)
	}
	return widget.NewCard("", "", container.NewVBox(append(items, content)...))
}
