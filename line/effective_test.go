package line

import (
	"reflect"
	"testing"
)

func effectiveConfig() Config {
	return Config{
		Locations: []Location{
			{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00"},
			{Name: "New York", CountryCode: "1", AreaCode: "212", InternationalPrefix: "011"},
		},
		Groups: []Group{
			{Name: "Fixed", Location: "Munich"},
			{Name: "PerLine", Location: "Munich", PerLineLocation: true},
			{Name: "PerLineNoDefault", PerLineLocation: true},
			{Name: "Journal", JournalAll: true, AutoNumbers: true},
		},
		Lines: []Line{
			{Name: "fixed-own", Group: "Fixed", Location: "New York", Number: "201"},
			{Name: "perline-own", Group: "PerLine", Location: "New York", Journal: true},
			{Name: "perline-none", Group: "PerLine"},
			{Name: "nodefault-none", Group: "PerLineNoDefault"},
			{Name: "nodefault-own", Group: "PerLineNoDefault", Location: "New York"},
			{Name: "journal-off", Group: "Journal", Number: "+4989123"},
			{Name: "orphan", Group: "Nowhere"},
		},
	}
}

func TestEffective(t *testing.T) {
	c := effectiveConfig()
	tests := []struct {
		line     string
		location string // "" for none
		journal  bool
		number   string
	}{
		// A location set on a line whose group does not permit one is ignored.
		{"fixed-own", "Munich", false, "201"},
		{"perline-own", "New York", true, ""},
		{"perline-none", "Munich", false, ""},
		{"nodefault-none", "", false, ""},
		{"nodefault-own", "New York", false, ""},
		// Journal for all lines wins over the line's switch; a manual number is hidden while the
		// group sets numbers automatically.
		{"journal-off", "", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			e, ok := c.Effective(tc.line)
			if !ok {
				t.Fatalf("Effective(%q) not found", tc.line)
			}
			if e.Line.Name != tc.line {
				t.Errorf("Line = %q", e.Line.Name)
			}
			if l, _ := c.Line(tc.line); e.Group.Name != l.Group {
				t.Errorf("Group = %q, want %q", e.Group.Name, l.Group)
			}
			got := ""
			if e.Location != nil {
				got = e.Location.Name
			}
			if got != tc.location {
				t.Errorf("Location = %q, want %q", got, tc.location)
			}
			if e.Journal != tc.journal {
				t.Errorf("Journal = %v, want %v", e.Journal, tc.journal)
			}
			if e.ManualNumber != tc.number {
				t.Errorf("ManualNumber = %q, want %q", e.ManualNumber, tc.number)
			}
		})
	}

	// The effective location is a copy: changing it leaves the config alone.
	e, _ := c.Effective("perline-own")
	e.Location.AreaCode = "999"
	if c.Locations[1].AreaCode != "212" {
		t.Errorf("changing the effective location changed the config: %q", c.Locations[1].AreaCode)
	}
	// The line's number itself is kept, only hidden.
	if e, _ := c.Effective("journal-off"); e.Line.Number != "+4989123" {
		t.Errorf("Line.Number = %q, want the stored number kept", e.Line.Number)
	}

	for _, name := range []string{"orphan", "no such line"} {
		if _, ok := c.Effective(name); ok {
			t.Errorf("Effective(%q) reported ok", name)
		}
	}
}

func TestLookups(t *testing.T) {
	c := effectiveConfig()
	if l, ok := c.Location("New York"); !ok || l.CountryCode != "1" {
		t.Errorf("Location(New York) = %v, %v", l, ok)
	}
	if _, ok := c.Location("new york"); ok {
		t.Error("Location lookup ignores case")
	}
	if g, ok := c.Group("Journal"); !ok || !g.JournalAll {
		t.Errorf("Group(Journal) = %v, %v", g, ok)
	}
	if _, ok := c.Line("missing"); ok {
		t.Error("Line(missing) found")
	}
	got := c.LinesOf("PerLineNoDefault")
	if len(got) != 2 || got[0].Name != "nodefault-none" || got[1].Name != "nodefault-own" {
		t.Errorf("LinesOf = %v, want nodefault-none, nodefault-own in order", got)
	}
	if got := c.LinesOf("Nobody"); len(got) != 0 {
		t.Errorf("LinesOf(Nobody) = %v", got)
	}
	g := Group{DisabledFunctions: []Function{FuncHold}}
	if g.FunctionEnabled(FuncHold) || !g.FunctionEnabled(FuncDial) {
		t.Errorf("FunctionEnabled: hold %v, dial %v", g.FunctionEnabled(FuncHold), g.FunctionEnabled(FuncDial))
	}
}

func TestWithDefaults(t *testing.T) {
	c := Config{Groups: []Group{
		{Name: "Unset"},
		{Name: "Set", NotLoggedOn: ResponseRinging, ClientReject: ResponseDecline},
	}}
	d := c.WithDefaults()
	if d.Groups[0].NotLoggedOn != ResponseBusyHere || d.Groups[0].ClientReject != ResponseClientChoice {
		t.Errorf("defaults = %v / %v, want Busy Here (486) / client's choice (486/603)",
			d.Groups[0].NotLoggedOn, d.Groups[0].ClientReject)
	}
	if d.Groups[1].NotLoggedOn != ResponseRinging || d.Groups[1].ClientReject != ResponseDecline {
		t.Errorf("set values changed to %v / %v", d.Groups[1].NotLoggedOn, d.Groups[1].ClientReject)
	}
	if c.Groups[0].NotLoggedOn != ResponseUnset {
		t.Error("WithDefaults changed its receiver")
	}
}

func TestCloneIsDeep(t *testing.T) {
	c := validConfig()
	orig := validConfig()
	cl := c.Clone()
	if !reflect.DeepEqual(cl, c) {
		t.Fatalf("Clone differs from the original:\n%+v\n%+v", cl, c)
	}
	cl.Groups[0].FeatureCodes[0].Code = "*99"
	cl.Groups[0].FeatureCodes = append(cl.Groups[0].FeatureCodes[:1], cl.Groups[0].FeatureCodes[2:]...)
	cl.Groups[1].DisabledFunctions[0] = FuncDial
	cl.Groups[0].Name = "Changed"
	cl.Locations[0].AreaCode = "30"
	cl.Lines[0].Account.User = "999"
	if !reflect.DeepEqual(c, orig) {
		t.Errorf("changing the clone changed the original:\n got %+v\nwant %+v", c, orig)
	}

	d := c.WithDefaults()
	d.Groups[0].FeatureCodes[1].Name = "Other"
	if c.Groups[0].FeatureCodes[1].Name != "Voicemail" {
		t.Error("WithDefaults shares feature codes with the original")
	}
}
