package line

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// This file turns phone numbers between the three forms a Location knows:
//
//   - canonical: E.164, "+49891234567", or a bare extension ("201") when the location has no PBX
//     base number and the number is internal;
//   - display: what a person reads, "+49 89 1234567", or just "201" for an internal number of the
//     location's own PBX;
//   - dialable: what is sent to the PBX, "201", "01234567", "00891234567", "0001212...".
//
// github.com/nyaruka/phonenumbers knows the numbering plans of the world: it checks lengths and
// number ranges and formats numbers. The PBX rules on top of it (outside-line code, base number,
// internal number lengths, the prefixes as the administrator set them) are ours.

// ErrBadNumber is wrapped by every error about a phone number that cannot be read or converted, so
// callers can test for it with errors.Is.
var ErrBadNumber = errors.New("bad phone number")

// NumberError says which number is wrong and why, e.g.
//
//	number "+49 89": too short for Germany
type NumberError struct {
	// Input is the number as it was given.
	Input string
	// Reason is what is wrong with it.
	Reason string
}

func (e *NumberError) Error() string { return fmt.Sprintf("number %q: %s", e.Input, e.Reason) }

// Unwrap lets errors.Is(err, ErrBadNumber) hold.
func (e *NumberError) Unwrap() error { return ErrBadNumber }

func badNumber(input, format string, args ...any) error {
	return &NumberError{Input: input, Reason: fmt.Sprintf(format, args...)}
}

// maxNumberInput bounds the length of an input, separators included. E.164 numbers have at most
// 15 digits; the rest leaves room for prefixes, an outside-line code and generous formatting.
const maxNumberInput = 64

// cleanNumber removes the separators people write in numbers (white space, - / ( ) .) and checks
// that what remains is digits with at most a leading +. It returns the digits and whether the +
// was there.
func cleanNumber(input string) (digits string, plus bool, err error) {
	if strings.TrimSpace(input) == "" {
		return "", false, badNumber(input, "is empty")
	}
	if len(input) > maxNumberInput {
		return "", false, badNumber(input, "is longer than %d characters", maxNumberInput)
	}
	var b strings.Builder
	for _, r := range input {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && !plus && b.Len() == 0:
			plus = true
		case r == '-' || r == '/' || r == '(' || r == ')' || r == '.' || unicode.IsSpace(r):
		case r == '+':
			return "", false, badNumber(input, "has a + that is not at the start")
		default:
			return "", false, badNumber(input, "contains %q: only digits, a leading + and the separators - / ( ) . and spaces are allowed", r)
		}
	}
	if b.Len() == 0 {
		return "", false, badNumber(input, "has no digits")
	}
	return b.String(), plus, nil
}

// Internal number lengths.

// isExtension reports whether digits, read without any prefix, are one of the PBX's extensions:
// their length is within InternalMin..InternalMax and they do not start with the outside-line code
// (dialling that code takes an outside line, so no extension can start with it).
func (l Location) isExtension(digits string) bool {
	if l.InternalMax <= 0 || len(digits) < max(l.InternalMin, 1) || len(digits) > l.InternalMax {
		return false
	}
	if l.OutsideLine != "" && strings.HasPrefix(digits, l.OutsideLine) {
		return false
	}
	return true
}

// hasCountry reports whether the location's country code is one phonenumbers knows.
func (l Location) hasCountry() bool {
	if l.CountryCode == "" || len(l.CountryCode) > 3 || l.CountryCode[0] == '0' || !allDigits(l.CountryCode) {
		return false
	}
	cc, _ := strconv.Atoi(l.CountryCode)
	return phonenumbers.GetRegionCodeForCountryCode(cc) != "ZZ"
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// readings lists the ways of reading an input without a leading +, most likely first, each as the
// E.164 digits (without +) it stands for. The one rule applied to the digits d is:
//
//  1. d as written: starting with the international prefix it is international; else starting
//     with the national prefix it is national; else it is a local number in the location's area,
//     and failing that a national number written without national prefix (the usual way in the US,
//     "212 555 1234").
//  2. When d starts with the outside-line code: the rest read as in 1 ("0 089 1234567").
//
// Canonical takes the first reading that phonenumbers finds valid, and failing that the first
// whose length is possible. Where the outside-line code equals the national prefix (0 and 0 in
// Germany) "089 1234567" is thus national as written, and "0 089 1234567" is too, since "+89..."
// has no country; but "0 1234567" is local only because "+49 1234567" is no valid German number.
func (l Location) readings(d string) []string {
	var out []string
	read := func(d string) {
		switch {
		case d == "":
		case l.InternationalPrefix != "" && strings.HasPrefix(d, l.InternationalPrefix):
			out = append(out, d[len(l.InternationalPrefix):])
		case l.NationalPrefix != "" && strings.HasPrefix(d, l.NationalPrefix):
			out = append(out, l.CountryCode+d[len(l.NationalPrefix):])
		default:
			if l.AreaCode != "" {
				out = append(out, l.CountryCode+l.AreaCode+d)
			}
			out = append(out, l.CountryCode+d)
		}
	}
	read(d)
	if l.OutsideLine != "" && strings.HasPrefix(d, l.OutsideLine) {
		read(d[len(l.OutsideLine):])
	}
	return out
}

// parsed is an E.164 reading checked by phonenumbers.
type parsed struct {
	num    *phonenumbers.PhoneNumber
	result phonenumbers.ValidationResult
	valid  bool
	// err is set when phonenumbers could not read the number at all.
	err error
	// digits are the E.164 digits (without +) read.
	digits string
	// unstable is set when the number reads differently from its own E.164 form.
	unstable bool
}

// maxE164Digits is the most digits an E.164 number has, country code included.
const maxE164Digits = 15

func parseE164(digits string) parsed {
	if digits == "" {
		return parsed{err: phonenumbers.ErrNotANumber}
	}
	num, err := phonenumbers.Parse("+"+digits, "ZZ")
	if err != nil {
		return parsed{err: err, digits: digits}
	}
	p := parsed{
		num:    num,
		result: phonenumbers.IsPossibleNumberWithReason(num),
		valid:  phonenumbers.IsValidNumber(num),
		digits: digits,
	}
	if p.result == phonenumbers.IS_POSSIBLE && len(strings.TrimPrefix(e164(num), "+")) > maxE164Digits {
		p.result, p.valid = phonenumbers.TOO_LONG, false
	}
	// phonenumbers drops a national prefix written after the country code ("+49 (0)89 ..."). If the
	// result would lose yet another prefix when read again, it is no number of that country, and
	// giving it out as canonical would make the canonical form change each time it is read.
	if again, err := phonenumbers.Parse(e164(num), "ZZ"); err != nil || e164(again) != e164(num) {
		p.unstable, p.valid = true, false
	}
	return p
}

// usable reports whether phonenumbers read the number and its length is possible for its country.
func (p parsed) usable() bool {
	return p.err == nil && p.result == phonenumbers.IS_POSSIBLE && !p.unstable
}

// e164 formats a number read by phonenumbers as E.164. Reading that again gives the same number.
func e164(num *phonenumbers.PhoneNumber) string {
	return phonenumbers.Format(num, phonenumbers.E164)
}

// reason says in words why a reading is no usable number.
func (p parsed) reason() string {
	if p.err != nil {
		if errors.Is(p.err, phonenumbers.ErrInvalidCountryCode) {
			return "starts with no known country code"
		}
		what := "too short"
		if errors.Is(p.err, phonenumbers.ErrNumTooLong) {
			what = "too long"
		}
		// Name the country when the digits start with a known country code.
		for n := 1; n <= 3 && n <= len(p.digits); n++ {
			cc, _ := strconv.Atoi(p.digits[:n])
			if phonenumbers.GetRegionCodeForCountryCode(cc) != "ZZ" {
				return what + " for " + countryName(cc)
			}
		}
		return "is " + what
	}
	where := countryName(int(p.num.GetCountryCode()))
	if p.unstable {
		return "is no number in " + where
	}
	switch p.result {
	case phonenumbers.INVALID_COUNTRY_CODE:
		return fmt.Sprintf("no country has the code +%d", p.num.GetCountryCode())
	case phonenumbers.TOO_SHORT, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "too short for " + where
	case phonenumbers.TOO_LONG:
		return "too long for " + where
	case phonenumbers.INVALID_LENGTH:
		return "has a length not used in " + where
	}
	return "is no number in " + where
}

// Canonical turns any number a user typed or a caller ID that came in into its canonical form:
// E.164 ("+49891234567"). It reads international numbers ("+49 89 1234567", "0049 89 1234567"),
// national ones ("089 1234567"), local ones in the location's area ("1234567"), any of these with
// the outside-line code in front as dialled from a PBX phone ("0 089 1234567"), and internal
// extensions ("201"). An extension becomes BaseNumber+extension ("+49891234201") when the location
// has a base number; without one it stays as it is, and Internal tells it is internal. Spaces and
// - / ( ) . are ignored; anything else but digits and a leading + is an error.
//
// Errors wrap ErrBadNumber and name the input.
func (l Location) Canonical(input string) (string, error) {
	d, plus, err := cleanNumber(input)
	if err != nil {
		return "", err
	}
	if plus {
		p := parseE164(d)
		if !p.usable() {
			return "", badNumber(input, "%s", p.reason())
		}
		return e164(p.num), nil
	}
	if l.isExtension(d) {
		if l.BaseNumber == "" {
			return d, nil
		}
		// Base number and extension make a full number only when its length is possible; else
		// the extension cannot be called from outside and stays internal.
		if l.hasCountry() {
			if p := parseE164(l.CountryCode + l.AreaCode + l.BaseNumber + d); p.usable() {
				return e164(p.num), nil
			}
		}
		return d, nil
	}
	if !l.hasCountry() {
		return "", badNumber(input, "needs a leading + here: location %q has no valid country code", l.Name)
	}
	reads := l.readings(d)
	if len(reads) == 0 {
		return "", badNumber(input, "is too short")
	}
	ps := make([]parsed, len(reads))
	for i, r := range reads {
		ps[i] = parseE164(r)
		if ps[i].usable() && ps[i].valid {
			return e164(ps[i].num), nil
		}
	}
	for _, p := range ps {
		if p.usable() {
			return e164(p.num), nil
		}
	}
	// Nothing fits: explain the first reading, which is the likeliest, unless it failed only for
	// its country code and a later one says more.
	best := 0
	for i, p := range ps {
		if p.err == nil && p.result != phonenumbers.INVALID_COUNTRY_CODE {
			best = i
			break
		}
	}
	return "", badNumber(input, "%s", ps[best].reason())
}

// Internal reports whether number, canonical or as typed, is one of the location's own PBX
// extensions, and returns the extension: a bare extension ("201", length within
// InternalMin..InternalMax) or, when the location has a base number, a number that is the base
// number followed by an extension ("+49891234201", "089 1234201").
func (l Location) Internal(number string) (ext string, ok bool) {
	d, plus, err := cleanNumber(number)
	if err != nil {
		return "", false
	}
	if !plus && l.isExtension(d) {
		return d, true
	}
	if l.BaseNumber == "" || l.InternalMax <= 0 {
		return "", false
	}
	c, err := l.Canonical(number)
	if err != nil {
		return "", false
	}
	rest, found := strings.CutPrefix(c, "+"+l.CountryCode+l.AreaCode+l.BaseNumber)
	if !found || len(rest) < max(l.InternalMin, 1) || len(rest) > l.InternalMax || !allDigits(rest) {
		return "", false
	}
	return rest, true
}

// Display returns the form of a number a person reads: just the extension ("201") for an internal
// number of the location's own PBX, and every other number in phonenumbers' international format
// ("+49 89 1234567", "+1 212-555-1234"), whatever its country. A number that cannot be read is
// returned as it was given, since showing something beats showing nothing.
func (l Location) Display(canonical string) string {
	if ext, ok := l.Internal(canonical); ok {
		return ext
	}
	c, err := l.Canonical(canonical)
	if err != nil || !strings.HasPrefix(c, "+") {
		return canonical
	}
	p := parseE164(c[1:])
	if p.err != nil {
		return canonical
	}
	return phonenumbers.Format(p.num, phonenumbers.INTERNATIONAL)
}

// Dialable returns what is sent to the PBX to call a number given in any form Canonical reads,
// without spaces:
//
//   - an internal number: the extension, "201";
//   - a number in the location's area: OutsideLine + local number, "01234567";
//   - elsewhere in the country: OutsideLine + NationalPrefix + national number, "00891234567"
//     (Munich called from Berlin with outside-line code 0);
//   - abroad: OutsideLine + InternationalPrefix + country code + national number, "0001212...".
//
// A number is in the location's area when phonenumbers finds it geographic with the location's area
// code; numbers without an area (mobile, service numbers) are dialled nationally.
//
// Errors wrap ErrBadNumber and name the input.
func (l Location) Dialable(input string) (string, error) {
	c, err := l.Canonical(input)
	if err != nil {
		return "", err
	}
	if ext, ok := l.Internal(c); ok {
		return ext, nil
	}
	if !l.hasCountry() {
		return "", badNumber(input, "cannot be dialled: location %q has no valid country code", l.Name)
	}
	p := parseE164(strings.TrimPrefix(c, "+"))
	if p.err != nil {
		return "", badNumber(input, "%s", p.reason())
	}
	cc := strconv.Itoa(int(p.num.GetCountryCode()))
	nsn := phonenumbers.GetNationalSignificantNumber(p.num)
	if cc != l.CountryCode {
		return l.OutsideLine + l.InternationalPrefix + cc + nsn, nil
	}
	if l.AreaCode != "" {
		if n := phonenumbers.GetLengthOfGeographicalAreaCode(p.num); n > 0 && n < len(nsn) && nsn[:n] == l.AreaCode {
			return l.OutsideLine + nsn[n:], nil
		}
	}
	return l.OutsideLine + l.NationalPrefix + nsn, nil
}

// countryName names a country calling code in error messages: the English name of its main
// region for the countries Lineup is most used in, else "country code +NN".
func countryName(cc int) string {
	region := phonenumbers.GetRegionCodeForCountryCode(cc)
	if name, ok := regionNames[region]; ok {
		return name
	}
	if region != "ZZ" && region != "001" && region != "" {
		return fmt.Sprintf("country code +%d (%s)", cc, region)
	}
	return fmt.Sprintf("country code +%d", cc)
}

// regionNames are the English names of the regions error messages name most often.
var regionNames = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "BR": "Brazil", "CA": "Canada",
	"CH": "Switzerland", "CN": "China", "CZ": "the Czech Republic", "DE": "Germany", "DK": "Denmark",
	"ES": "Spain", "FI": "Finland", "FR": "France", "GB": "the United Kingdom", "GR": "Greece",
	"HU": "Hungary", "IE": "Ireland", "IN": "India", "IT": "Italy", "JP": "Japan",
	"LI": "Liechtenstein", "LU": "Luxembourg", "MX": "Mexico", "NL": "the Netherlands",
	"NO": "Norway", "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "RU": "Russia",
	"SE": "Sweden", "SK": "Slovakia", "TR": "Turkey", "US": "the United States",
	"ZA": "South Africa",
}
