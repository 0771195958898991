package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/line"
)

// settingsLocation is the locations tab: which location is edited, its fields and the rule
// tester.
type settingsLocation struct {
	box *fyne.Container
	at  int

	pick   *widget.Select
	fields map[string]*widget.Entry // by key: "name", "country_code", ...
	test   *widget.Entry
	result *widget.Label
}

func (s *settingsEditor) locationTab() fyne.CanvasObject {
	return listTab(s, &s.cfg.Locations, &s.o.at, s.o.box, "location", func() line.Location {
		return line.Location{Name: fmt.Sprintf("Location %d", len(s.cfg.Locations)+1), InternalMin: 2, InternalMax: 4}
	})
}

// buildLocation lays out the form of the location edited and its rule tester.
func (s *settingsEditor) buildLocation() {
	f := &s.o
	f.box.RemoveAll()
	names := make([]string, len(s.cfg.Locations))
	for i, l := range s.cfg.Locations {
		names[i] = l.Name
	}
	f.at = min(f.at, max(0, len(names)-1))
	f.pick = itemPicker(names, f.at, func(i int) { f.at = i; s.rebuild() })
	f.box.Add(form(bold("Location"), f.pick))
	if len(s.cfg.Locations) == 0 {
		f.box.Add(widget.NewLabel("No locations yet: add one."))
		f.box.Refresh()
		return
	}
	at := func() int { return f.at }
	loc := func() *line.Location { return &s.cfg.Locations[f.at] }
	f.fields = map[string]*widget.Entry{}
	var rows []fyne.CanvasObject
	rename := s.locationRefs(loc().Name)
	text := func(key, label, hint string, p func(*line.Location) *string) {
		e := s.entryField(widget.NewEntry(), func() string { return *p(loc()) }, func(v string) {
			if key == "name" {
				rename(v)
			}
			*p(loc()) = v
			s.runTester()
		})
		e.SetPlaceHolder(hint)
		f.fields[key] = e
		rows = append(rows, widget.NewLabel(label), container.NewVBox(e, s.msg(line.KindLocation, at, key)))
	}
	number := func(key, label string, p func(*line.Location) *int) {
		e := s.entryField(widget.NewEntry(), func() string { return itoa(*p(loc())) }, func(v string) {
			*p(loc()) = atoi(v)
			s.runTester()
		})
		f.fields[key] = e
		rows = append(rows, widget.NewLabel(label), container.NewVBox(e, s.msg(line.KindLocation, at, key)))
	}
	text("name", "Name", "", func(l *line.Location) *string { return &l.Name })
	text("country_code", "Country code", "e.g. 49", func(l *line.Location) *string { return &l.CountryCode })
	text("area_code", "Area code", "e.g. 89, without national prefix", func(l *line.Location) *string { return &l.AreaCode })
	text("international_prefix", "International prefix", "e.g. 00", func(l *line.Location) *string { return &l.InternationalPrefix })
	text("national_prefix", "National prefix", "e.g. 0", func(l *line.Location) *string { return &l.NationalPrefix })
	text("outside_line", "Outside line code", "e.g. 0; empty for none", func(l *line.Location) *string { return &l.OutsideLine })
	text("base_number", "PBX base number", "e.g. 1234", func(l *line.Location) *string { return &l.BaseNumber })
	number("internal_min", "Internal numbers from (digits)", func(l *line.Location) *int { return &l.InternalMin })
	number("internal_max", "Internal numbers to (digits)", func(l *line.Location) *int { return &l.InternalMax })
	f.box.Add(section("Dialing rules", "", form(rows...)))

	f.test = widget.NewEntry()
	f.test.SetPlaceHolder("Type a number to see how this location reads it")
	f.test.OnChanged = func(string) { s.runTester() }
	f.result = widget.NewLabel("")
	f.result.Wrapping = fyne.TextWrapWord
	f.result.TextStyle = fyne.TextStyle{Monospace: true}
	f.box.Add(section("Rule tester", "", container.NewVBox(f.test, f.result)))
	s.runTester()
	f.box.Refresh()
}

// runTester shows the tester's number in its canonical, display and dialable forms under the
// location as edited now, or why the location cannot read it.
func (s *settingsEditor) runTester() {
	f := &s.o
	if f.test == nil || f.result == nil || f.at >= len(s.cfg.Locations) {
		return
	}
	f.result.SetText(testNumber(s.cfg.Locations[f.at], f.test.Text))
	show(f.result, f.result.Text != "") // no empty line under the field before a number is typed
}

// testNumber is the rule tester's answer for input.
func testNumber(l line.Location, input string) string {
	input = strings.TrimSpace(input)
	if input == "" {
		return ""
	}
	canon, err := l.Canonical(input)
	if err != nil {
		return "Canonical: " + err.Error()
	}
	out := "Canonical: " + canon + "\nDisplay:   " + l.Display(canon)
	if d, err := l.Dialable(input); err != nil {
		out += "\nDialable:  " + err.Error()
	} else {
		out += "\nDialable:  " + d
	}
	return out
}
