package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// visible walks the objects a user can see under o (hidden objects and their children are
// skipped), depth first, calling f for each.
func visible(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	f(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			visible(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			visible(c, f)
		}
	}
}

// buttons returns the texts of the visible buttons under o.
func buttons(o fyne.CanvasObject) []string {
	var out []string
	visible(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok {
			out = append(out, b.Text)
		}
	})
	return out
}

// button finds the visible button with that text, failing the test when there is none.
func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	visible(o, func(c fyne.CanvasObject) {
		if b, ok := c.(*widget.Button); ok && b.Text == text && found == nil {
			found = b
		}
	})
	if found == nil {
		t.Fatalf("no visible button %q; the buttons are %q", text, buttons(o))
	}
	return found
}

// texts returns the visible label, entry and button texts under o, joined by newlines.
func texts(o fyne.CanvasObject) string {
	var out []string
	visible(o, func(c fyne.CanvasObject) {
		switch x := c.(type) {
		case *widget.Label:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		case *widget.Entry:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		case *widget.Button:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		}
	})
	return strings.Join(out, "\n")
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
