package line

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// The sites the tests dial from. Each is tried with and without an outside-line code and with and
// without a PBX base number (see variants).
var (
	munich = Location{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
		NationalPrefix: "0", InternalMin: 3, InternalMax: 3}
	berlin = Location{Name: "Berlin", CountryCode: "49", AreaCode: "30", InternationalPrefix: "00",
		NationalPrefix: "0", OutsideLine: "0", InternalMin: 3, InternalMax: 3}
	vienna = Location{Name: "Vienna", CountryCode: "43", AreaCode: "1", InternationalPrefix: "00",
		NationalPrefix: "0", InternalMin: 2, InternalMax: 4}
	zurich = Location{Name: "Zurich", CountryCode: "41", AreaCode: "44", InternationalPrefix: "00",
		NationalPrefix: "0", InternalMin: 2, InternalMax: 2}
	london = Location{Name: "London", CountryCode: "44", AreaCode: "20", InternationalPrefix: "00",
		NationalPrefix: "0", InternalMin: 4, InternalMax: 4}
	newYork = Location{Name: "New York", CountryCode: "1", AreaCode: "212", InternationalPrefix: "011",
		NationalPrefix: "1", InternalMin: 4, InternalMax: 4}
)

// site is a location with the outside-line code and base number its variants use.
type site struct {
	loc     Location
	outside string
	base    string
}

var sites = []site{
	{munich, "0", "1234"},
	{vienna, "0", "58780"},
	{zurich, "0", "26812"},
	{london, "9", "3123"},
	{newYork, "9", "456"},
}

// variants returns the four versions of a site's location: without and with outside-line code,
// without and with base number.
func (s site) variants() []Location {
	var out []Location
	for _, o := range []string{"", s.outside} {
		for _, b := range []string{"", s.base} {
			l := s.loc
			l.OutsideLine, l.BaseNumber = o, b
			out = append(out, l)
		}
	}
	return out
}

func describe(l Location) string {
	return l.Name + " outside=" + q(l.OutsideLine) + " base=" + q(l.BaseNumber)
}

func q(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// externalShapes are caller IDs and typed numbers of outside parties, in the shapes they come in,
// that mean the same in every variant of a site.
// (Munich's number is not the brief's 1234567: with base number 1234 that one is the PBX's own
// extension 567.)
var externalShapes = map[string][]struct{ in, want string }{
	"Munich": {
		{"+49891244567", "+49891244567"},
		{"+49 89 1244567", "+49891244567"},
		{"+49 (0)89 1244567", "+49891244567"},
		{"0049 89 1244567", "+49891244567"},
		{"0049891244567", "+49891244567"},
		{"089 1244567", "+49891244567"},
		{"089/124 45 67", "+49891244567"},
		{"(089) 124-4567", "+49891244567"},
		{"1244567", "+49891244567"},
		{"030 1234567", "+49301234567"},
		{"0151 12345678", "+4915112345678"},
		{"001 212 555 1234", "+12125551234"},
		{"+1 (212) 555-1234", "+12125551234"},
		{"0039 06 1234 5678", "+390612345678"},
	},
	"Vienna": {
		{"+43 1 2345678", "+4312345678"},
		{"0043 1 2345678", "+4312345678"},
		{"01 2345678", "+4312345678"},
		{"2345678", "+4312345678"},
		{"0316 123456", "+43316123456"},
		{"0664 1234567", "+436641234567"},
		{"0049 89 1234567", "+49891234567"},
	},
	"Zurich": {
		{"+41 44 123 45 67", "+41441234567"},
		{"0041 44 123 45 67", "+41441234567"},
		{"044 123 45 67", "+41441234567"},
		{"123 45 67", "+41441234567"},
		{"031 312 34 56", "+41313123456"},
		{"079 123 45 67", "+41791234567"},
		{"0043 1 2345678", "+4312345678"},
	},
	"London": {
		{"+44 20 7946 0000", "+442079460000"},
		{"0044 20 7946 0000", "+442079460000"},
		{"020 7946 0000", "+442079460000"},
		{"7946 0000", "+442079460000"},
		{"0161 496 0000", "+441614960000"},
		{"001 212 555 1234", "+12125551234"},
	},
	"New York": {
		{"+1 212 555 1234", "+12125551234"},
		{"011 1 212 555 1234", "+12125551234"},
		{"1 212 555 1234", "+12125551234"},
		{"(212) 555-1234", "+12125551234"},
		{"555-1234", "+12125551234"},
		{"1 310 555 1234", "+13105551234"},
		{"310 555 1234", "+13105551234"},
		{"011 49 89 1234567", "+49891234567"},
		{"011 44 20 7946 0000", "+442079460000"},
	},
}

// outsideShapes are the same parties dialled with the site's outside-line code in front, as from
// a PBX phone (and as some PBXs present caller IDs).
var outsideShapes = map[string][]struct{ in, want string }{
	"Munich": {
		{"0 089 1244567", "+49891244567"},
		{"0 0049 89 1234567", "+49891234567"},
		{"0 1244567", "+49891244567"},
		{"0 030 1234567", "+49301234567"},
		{"0 001 212 555 1234", "+12125551234"},
	},
	"Vienna": {
		{"0 01 2345678", "+4312345678"},
		{"0 0049 89 1234567", "+49891234567"},
		{"0 0316 123456", "+43316123456"},
	},
	"Zurich": {
		{"0 044 123 45 67", "+41441234567"},
		{"0 031 312 34 56", "+41313123456"},
		{"0 0043 1 2345678", "+4312345678"},
	},
	"London": {
		{"9 020 7946 0000", "+442079460000"},
		{"9 7946 0000", "+442079460000"},
		{"9 0161 496 0000", "+441614960000"},
		{"9 00 1 212 555 1234", "+12125551234"},
	},
	"New York": {
		{"9 555 1234", "+12125551234"},
		{"9 1 310 555 1234", "+13105551234"},
		{"9 011 49 89 1234567", "+49891234567"},
	},
}

// extensions are an internal number of each site and the canonical number it has when the site's
// PBX has its base number.
var extensions = map[string]struct{ ext, withBase string }{
	"Munich":   {"201", "+49891234201"},
	"Vienna":   {"12", "+431587801" + "2"},
	"Zurich":   {"34", "+41442681234"},
	"London":   {"0123", "+442031230123"},
	"New York": {"0123", "+12124560123"},
}

func TestSitesUseTheRealPrefixes(t *testing.T) {
	// The test sites dial as their countries do, by phonenumbers' metadata: national prefix, and
	// the international prefix seen when a foreign number is formatted for dialling from there.
	foreign, err := phonenumbers.Parse("+8613812345678", "ZZ")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sites {
		cc, _ := strconv.Atoi(s.loc.CountryCode)
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		if got := phonenumbers.GetNddPrefixForRegion(region, true); got != s.loc.NationalPrefix {
			t.Errorf("%s (%s): national prefix %q, phonenumbers says %q", s.loc.Name, region, s.loc.NationalPrefix, got)
		}
		out := phonenumbers.FormatOutOfCountryCallingNumber(foreign, region)
		if !strings.HasPrefix(out, s.loc.InternationalPrefix+" 86 ") {
			t.Errorf("%s (%s): international prefix %q, phonenumbers dials China as %q", s.loc.Name, region, s.loc.InternationalPrefix, out)
		}
	}
}

func TestCanonicalReadsEveryShape(t *testing.T) {
	for _, s := range sites {
		for _, l := range s.variants() {
			check := func(in, want string) {
				t.Helper()
				got, err := l.Canonical(in)
				if err != nil || got != want {
					t.Errorf("%s: Canonical(%q) = %q, %v; want %q", describe(l), in, got, err, want)
				}
			}
			for _, c := range externalShapes[l.Name] {
				check(c.in, c.want)
			}
			if l.OutsideLine != "" {
				for _, c := range outsideShapes[l.Name] {
					check(c.in, c.want)
				}
			}
			e := extensions[l.Name]
			if l.BaseNumber != "" {
				check(e.ext, e.withBase)
			} else {
				check(e.ext, e.ext)
			}
		}
	}
}

func TestCanonicalIsStable(t *testing.T) {
	// A canonical number read again stays the same, in every variant.
	for _, s := range sites {
		for _, l := range s.variants() {
			for _, c := range externalShapes[l.Name] {
				if again, err := l.Canonical(c.want); err != nil || again != c.want {
					t.Errorf("%s: Canonical(%q) = %q, %v; want it unchanged", describe(l), c.want, again, err)
				}
			}
		}
	}
}

func TestInternal(t *testing.T) {
	for _, s := range sites {
		for _, l := range s.variants() {
			e := extensions[l.Name]
			if ext, ok := l.Internal(e.ext); !ok || ext != e.ext {
				t.Errorf("%s: Internal(%q) = %q, %v; want %q, true", describe(l), e.ext, ext, ok, e.ext)
			}
			// The full number of an extension is internal only where the PBX has that base number.
			ext, ok := l.Internal(e.withBase)
			if l.BaseNumber != "" && (!ok || ext != e.ext) {
				t.Errorf("%s: Internal(%q) = %q, %v; want %q, true", describe(l), e.withBase, ext, ok, e.ext)
			}
			if l.BaseNumber == "" && ok {
				t.Errorf("%s: Internal(%q) = %q, true; want not internal without a base number", describe(l), e.withBase, ext)
			}
			for _, c := range externalShapes[l.Name] {
				if ext, ok := l.Internal(c.in); ok {
					t.Errorf("%s: Internal(%q) = %q, true; want an outside number", describe(l), c.in, ext)
				}
			}
		}
	}

	m := munich
	m.BaseNumber, m.OutsideLine = "1234", "0"
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"201", "201", true},
		{"+49 89 1234 201", "201", true},
		{"089 1234-201", "201", true},
		{"1234201", "201", true},
		{"0 1234201", "201", true},
		{"+49 89 1234 2010", "", false}, // extension too long
		{"+49 30 1234 201", "", false},  // another area
		{"+49 89 1235 201", "", false},  // another PBX
		{"20", "", false},               // too short for an extension, and for anything else
		{"020", "", false},              // starts with the outside-line code
		{"2O1", "", false},              // letter O
		{"", "", false},
	} {
		if ext, ok := m.Internal(c.in); ext != c.want || ok != c.ok {
			t.Errorf("%s: Internal(%q) = %q, %v; want %q, %v", describe(m), c.in, ext, ok, c.want, c.ok)
		}
	}

	none := munich
	none.InternalMin, none.InternalMax, none.BaseNumber = 0, 0, "1234"
	for _, in := range []string{"201", "+49891234201", "2"} {
		if ext, ok := none.Internal(in); ok {
			t.Errorf("location without internal numbers: Internal(%q) = %q, true", in, ext)
		}
	}
}

func TestDialable(t *testing.T) {
	// want is what follows the outside-line code; internal numbers get no outside-line code.
	cases := map[string][]struct{ in, want string }{
		"Munich": {
			{"+49 89 1244567", "1244567"},
			{"089 1244567", "1244567"},
			{"1244567", "1244567"},
			{"+49 30 1234567", "0301234567"},
			{"0151 12345678", "015112345678"},
			{"+1 212 555 1234", "0012125551234"},
			{"+39 06 1234 5678", "00390612345678"},
		},
		"Vienna": {
			{"+43 1 2345678", "2345678"},
			{"+43 316 123456", "0316123456"},
			{"+43 664 1234567", "06641234567"},
			{"+49 89 1234567", "0049891234567"},
		},
		"Zurich": {
			{"+41 44 123 45 67", "1234567"},
			{"+41 31 312 34 56", "0313123456"},
			{"+41 79 123 45 67", "0791234567"},
			{"+43 1 2345678", "004312345678"},
		},
		"London": {
			{"+44 20 7946 0000", "79460000"},
			{"020 7946 0000", "79460000"},
			{"+44 161 496 0000", "01614960000"},
			{"+1 212 555 1234", "0012125551234"},
			{"+49 89 1234567", "0049891234567"},
		},
		"New York": {
			{"+1 212 555 1234", "5551234"},
			{"(212) 555-1234", "5551234"},
			{"+1 310 555 1234", "13105551234"},
			{"+1 416 555 0123", "14165550123"},
			{"+44 20 7946 0000", "011442079460000"},
			{"+49 89 1234567", "01149891234567"},
		},
	}
	for _, s := range sites {
		for _, l := range s.variants() {
			for _, c := range cases[l.Name] {
				want := l.OutsideLine + c.want
				if got, err := l.Dialable(c.in); err != nil || got != want {
					t.Errorf("%s: Dialable(%q) = %q, %v; want %q", describe(l), c.in, got, err, want)
				}
			}
			e := extensions[l.Name]
			for _, in := range []string{e.ext, e.withBase} {
				want := e.ext
				if in == e.withBase && l.BaseNumber == "" {
					continue // an outside number there; covered below
				}
				if got, err := l.Dialable(in); err != nil || got != want {
					t.Errorf("%s: Dialable(%q) = %q, %v; want %q", describe(l), in, got, err, want)
				}
			}
		}
	}

	// Examples written out in full.
	for _, c := range []struct {
		l        Location
		in, want string
	}{
		{berlin, "+49 89 1234567", "00891234567"},
		{berlin, "089 1234567", "00891234567"},
		{berlin, "+1 212 555 1234", "0001212" + "5551234"},
		{berlin, "1234567", "01234567"},
		{berlin, "201", "201"},
		{with(munich, "0", ""), "+49891234201", "01234201"},
		{with(london, "9", ""), "+44 20 7946 0123", "979460123"},
		{with(newYork, "9", "555"), "+1 212 555 0123", "0123"},
		{with(newYork, "9", ""), "+49 89 1234567", "901149891234567"},
		{with(munich, "", "1234"), "+49 89 1234567", "567"}, // the brief's number is then internal
	} {
		if got, err := c.l.Dialable(c.in); err != nil || got != c.want {
			t.Errorf("%s: Dialable(%q) = %q, %v; want %q", describe(c.l), c.in, got, err, c.want)
		}
	}
}

func with(l Location, outside, base string) Location {
	l.OutsideLine, l.BaseNumber = outside, base
	return l
}

func TestDialableReadsBackAsTheSameNumber(t *testing.T) {
	// What Lineup sends the PBX, typed in again, is the same number, wherever the outside-line code
	// cannot be taken for a prefix (see Location.readings for the case where it can).
	for _, s := range sites {
		for _, l := range s.variants() {
			if l.OutsideLine != "" && (strings.HasPrefix(l.NationalPrefix, l.OutsideLine) ||
				strings.HasPrefix(l.InternationalPrefix, l.OutsideLine)) {
				continue
			}
			for _, c := range externalShapes[l.Name] {
				d, err := l.Dialable(c.in)
				if err != nil {
					t.Errorf("%s: Dialable(%q): %v", describe(l), c.in, err)
					continue
				}
				if back, err := l.Canonical(d); err != nil || back != c.want {
					t.Errorf("%s: Canonical(Dialable(%q) = %q) = %q, %v; want %q", describe(l), c.in, d, back, err, c.want)
				}
			}
		}
	}
}

func TestDisplay(t *testing.T) {
	for _, c := range []struct {
		l        Location
		in, want string
	}{
		{munich, "+49891234567", "+49 89 1234567"},
		{munich, "+4915112345678", "+49 1511 2345678"},
		{munich, "+12125551234", "+1 212-555-1234"},
		{munich, "+442079460000", "+44 20 7946 0000"},
		{munich, "+41441234567", "+41 44 123 45 67"},
		{munich, "+4312345678", "+43 1 2345678"},
		{munich, "201", "201"},
		{munich, "+49891234201", "+49 89 1234201"}, // no base number: not known as internal
		{with(munich, "0", "1234"), "+49891234201", "201"},
		{with(munich, "0", "1234"), "+49891235201", "+49 89 1235201"},
		{with(berlin, "0", "1234"), "+49891234201", "+49 89 1234201"}, // same base, other city
		{with(london, "9", "7946"), "+442079460123", "0123"},
		{with(newYork, "", "555"), "+12125550123", "0123"},
		{newYork, "+12125551234", "+1 212-555-1234"},
		{zurich, "+41 44 123 45 67", "+41 44 123 45 67"},
		// What cannot be read is shown as it came.
		{munich, "anonymous", "anonymous"},
		{munich, "+49 89", "+49 89"},
		{munich, "", ""},
	} {
		if got := c.l.Display(c.in); got != c.want {
			t.Errorf("%s: Display(%q) = %q; want %q", describe(c.l), c.in, got, c.want)
		}
	}
}

func TestBadNumbers(t *testing.T) {
	for _, c := range []struct {
		l    Location
		in   string
		want string // the whole message
	}{
		{munich, "+49 89", `number "+49 89": too short for Germany`},
		{munich, "", `number "": is empty`},
		{munich, "   ", `number "   ": is empty`},
		{munich, "089 12ab", `number "089 12ab": contains 'a': only digits, a leading + and the separators - / ( ) . and spaces are allowed`},
		{munich, "anonymous", `number "anonymous": contains 'a': only digits, a leading + and the separators - / ( ) . and spaces are allowed`},
		{munich, "*21#", `number "*21#": contains '*': only digits, a leading + and the separators - / ( ) . and spaces are allowed`},
		{munich, "12+3", `number "12+3": has a + that is not at the start`},
		{munich, "++49", `number "++49": has a + that is not at the start`},
		{munich, "+", `number "+": has no digits`},
		{munich, "--", `number "--": has no digits`},
		{munich, "+89 1234567", `number "+89 1234567": starts with no known country code`},
		{munich, "+49 89 1234567890123", `number "+49 89 1234567890123": too long for Germany`}, // E.164 has 15 digits at most
		{munich, "+49 89 12345678901234567", `number "+49 89 12345678901234567": too long for Germany`},
		{munich, "+49", `number "+49": too short for Germany`},
		{newYork, "+1 212 555", `number "+1 212 555": too short for the United States`},
		{newYork, "55512", `number "55512": too short for the United States`},
		{london, "+44 20 7946 0000 1234", `number "+44 20 7946 0000 1234": too long for the United Kingdom`},
		{zurich, "+41 44 123 45 67 89 01 23", `number "+41 44 123 45 67 89 01 23": too long for Switzerland`},
		{vienna, "+43 1", `number "+43 1": too short for Austria`},
		{munich, "+49 0 0 89 1234567", `number "+49 0 0 89 1234567": is no number in Germany`},
		{Location{Name: "Nowhere"}, "089 1234567", `number "089 1234567": needs a leading + here: location "Nowhere" has no valid country code`},
		{munich, strings.Repeat("1", 65), `number "` + strings.Repeat("1", 65) + `": is longer than 64 characters`},
	} {
		for name, f := range map[string]func(string) (string, error){
			"Canonical": c.l.Canonical, "Dialable": c.l.Dialable,
		} {
			got, err := f(c.in)
			if err == nil {
				t.Errorf("%s: %s(%q) = %q, want error %q", describe(c.l), name, c.in, got, c.want)
				continue
			}
			if !errors.Is(err, ErrBadNumber) {
				t.Errorf("%s: %s(%q): error %v does not wrap ErrBadNumber", describe(c.l), name, c.in, err)
			}
			if err.Error() != c.want {
				t.Errorf("%s: %s(%q): error %q, want %q", describe(c.l), name, c.in, err, c.want)
			}
		}
	}

	// A location without a country code still reads full international numbers.
	if got, err := (Location{Name: "Nowhere"}).Canonical("+49 89 1234567"); err != nil || got != "+49891234567" {
		t.Errorf("location without country code: Canonical(+49 89 1234567) = %q, %v", got, err)
	}
}

func FuzzLocationNumbers(f *testing.F) {
	for _, shapes := range []map[string][]struct{ in, want string }{externalShapes, outsideShapes} {
		for _, cs := range shapes {
			for _, c := range cs {
				f.Add(c.in)
			}
		}
	}
	for _, s := range []string{"", "+", "0", "00", "000", "+0", "+00", "201", "+49 (0) 0 89", "0 0 0 0 1",
		"+49891234201", "1" + strings.Repeat("0", 30), "(()", "٣٤٥", "\x00", "+4989\u00a01234567"} {
		f.Add(s)
	}
	var locs []Location
	for _, s := range sites {
		locs = append(locs, s.variants()...)
	}
	locs = append(locs, berlin, Location{}, Location{CountryCode: "999", OutsideLine: "0", InternalMin: 1, InternalMax: 10, BaseNumber: "12"})

	f.Fuzz(func(t *testing.T, in string) {
		for _, l := range locs {
			c, err := l.Canonical(in)
			if err != nil {
				if !errors.Is(err, ErrBadNumber) {
					t.Errorf("%s: Canonical(%q): error %v does not wrap ErrBadNumber", describe(l), in, err)
				}
				if !strings.Contains(err.Error(), `number "`) {
					t.Errorf("%s: Canonical(%q): error %q does not name the number", describe(l), in, err)
				}
			} else {
				digits := strings.TrimPrefix(c, "+")
				if digits == "" || !allDigits(digits) {
					t.Errorf("%s: Canonical(%q) = %q, not a number", describe(l), in, c)
				}
				if strings.HasPrefix(c, "+") && l.CountryCode != "999" {
					if again, err := l.Canonical(c); err != nil || again != c {
						t.Errorf("%s: Canonical(%q) = %q but Canonical(%q) = %q, %v", describe(l), in, c, c, again, err)
					}
				}
				if !strings.HasPrefix(c, "+") {
					if _, ok := l.Internal(c); !ok {
						t.Errorf("%s: Canonical(%q) = %q, neither E.164 nor internal", describe(l), in, c)
					}
				}
			}
			d, err := l.Dialable(in)
			if err == nil && (d == "" || !allDigits(d)) {
				t.Errorf("%s: Dialable(%q) = %q, want digits only", describe(l), in, d)
			}
			if l.hasCountry() && (err == nil) != (c != "") {
				t.Errorf("%s: Canonical(%q) = %q but Dialable = %q, %v", describe(l), in, c, d, err)
			}
			if ext, ok := l.Internal(in); ok && (ext == "" || !allDigits(ext)) {
				t.Errorf("%s: Internal(%q) = %q, want digits", describe(l), in, ext)
			}
			if got := l.Display(in); got == "" && in != "" {
				t.Errorf("%s: Display(%q) is empty", describe(l), in)
			}
		}
	})
}
