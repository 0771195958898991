package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tightColumn stacks its visible objects top to bottom and lets labels overlap by part of their
// inner padding, so that a title and its caption read as one block.
type tightColumn struct{}

func (tightColumn) overlap() float32 { return theme.Size(theme.SizeNameInnerPadding) * 0.75 }

// MinSize is part of fyne.Layout.
func (t tightColumn) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		n++
	}
	if n > 1 {
		s.Height -= float32(n-1) * t.overlap()
	}
	return s
}

// Layout is part of fyne.Layout.
func (t tightColumn) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	y := float32(0)
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - t.overlap()
	}
}

// tightRow puts its visible objects side by side at their minimum widths (the last one takes
// what is left), without padding between them: labels bring their own.
type tightRow struct{}

// MinSize is part of fyne.Layout.
func (tightRow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width += m.Width
		s.Height = max(s.Height, m.Height)
	}
	return s
}

// Layout is part of fyne.Layout.
func (tightRow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	var last fyne.CanvasObject
	for _, o := range objs {
		if o.Visible() {
			last = o
		}
	}
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		w := o.MinSize().Width
		if o == last {
			w = max(w, size.Width-x)
		}
		o.Move(fyne.NewPos(x, (size.Height-o.MinSize().Height)/2))
		o.Resize(fyne.NewSize(w, o.MinSize().Height))
		x += w
	}
}

// fitOptions sizes a select to its longest option, so that the chosen line's name is not cut.
type fitOptions struct{ sel *widget.Select }

// MinSize is part of fyne.Layout.
func (f fitOptions) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := f.sel.MinSize()
	w := float32(0)
	for _, o := range f.sel.Options {
		w = max(w, fyne.MeasureText(o, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	extra := 4*theme.Size(theme.SizeNameInnerPadding) + theme.IconInlineSize()
	s.Width = max(s.Width, w+extra)
	return s
}

// Layout is part of fyne.Layout.
func (fitOptions) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
