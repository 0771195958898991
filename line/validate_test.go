package line

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// validConfig is a small, valid configuration: three locations, three groups, two lines; the
// last location and the last group are not referred to. Every test
// case changes one thing in it.
func validConfig() Config {
	return Config{
		Locations: []Location{
			{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
				NationalPrefix: "0", OutsideLine: "0", BaseNumber: "1234", InternalMin: 3, InternalMax: 3},
			{Name: "New York", CountryCode: "1", AreaCode: "212", InternationalPrefix: "011",
				NationalPrefix: "1", OutsideLine: "9"},
			{Name: "Vienna", CountryCode: "43", AreaCode: "1", InternationalPrefix: "00",
				NationalPrefix: "0", InternalMin: 2, InternalMax: 4},
		},
		Groups: []Group{
			{Name: "Sales", NotLoggedOn: ResponseBusyHere, ClientReject: ResponseClientChoice,
				Location: "Munich",
				FeatureCodes: []FeatureCode{
					{Name: "Call forwarding off", Code: "#21#"},
					{Name: "Voicemail", Code: "*86"},
					{Name: "Night service", Code: "*5A"},
				},
				PickupCode: "*59<NUMBER>", RegisterRate: 5},
			{Name: "Support", NotLoggedOn: ResponseRinging, ClientReject: ResponseDecline,
				Location: "Munich", PerLineLocation: true, AutoNumbers: true,
				DisabledFunctions: []Function{FuncDeflect, FuncRedial}},
			{Name: "Reception", NotLoggedOn: ResponseTemporarilyUnavailable, ClientReject: ResponseBusyHere,
				HideDecline: true, JournalAll: true},
		},
		Lines: []Line{
			{Name: "Sales 201", Group: "Sales", Number: "+49891234201",
				Account: Account{Registrar: "pbx.example.com", User: "201", Password: "secret"}},
			{Name: "Support 301", Group: "Support", Location: "New York",
				Account: Account{Registrar: "192.0.2.10:5061", User: "301", Transport: TransportTLS,
					CAFile: "pbx-ca.pem", DisplayName: "Support, 3rd floor", Expires: 600}},
		},
	}
}

func TestValidConfigIsValid(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
	var empty Config
	if err := empty.Validate(); err != nil {
		t.Fatalf("empty config: Validate() = %v, want nil", err)
	}
	var nilCfg *Config
	if err := nilCfg.Validate(); err != nil {
		t.Fatalf("nil config: Validate() = %v, want nil", err)
	}
}

type validateCase struct {
	name   string
	mutate func(c *Config)
	// want is the expected violation; a zero want means the mutated config is still valid.
	kind  Kind
	index int
	key   string
	// msg, when set, is the exact message a user reads.
	msg string
	// rule, when set, must occur in the rule text.
	rule string
}

func loc(i int, f func(l *Location)) func(*Config) { return func(c *Config) { f(&c.Locations[i]) } }
func grp(i int, f func(g *Group)) func(*Config)    { return func(c *Config) { f(&c.Groups[i]) } }
func ln(i int, f func(l *Line)) func(*Config)      { return func(c *Config) { f(&c.Lines[i]) } }
func acct(i int, f func(a *Account)) func(*Config) {
	return func(c *Config) { f(&c.Lines[i].Account) }
}

var locationCases = []validateCase{
	{name: "name empty", mutate: loc(2, func(l *Location) { l.Name = "" }),
		kind: KindLocation, index: 2, key: "name", msg: `location #3: name: must not be empty`},
	{name: "name blank", mutate: loc(2, func(l *Location) { l.Name = "   " }),
		kind: KindLocation, index: 2, key: "name", msg: `location #3: name "   ": must not be empty`},
	{name: "name with control character", mutate: loc(2, func(l *Location) { l.Name = "Vie\nna" }),
		kind: KindLocation, index: 2, key: "name", rule: "control characters"},
	{name: "name duplicate", mutate: loc(2, func(l *Location) { l.Name = "Munich" }),
		kind: KindLocation, index: 2, key: "name",
		msg: `location "Munich": name "Munich": must be unique, location #1 has the same name`},
	{name: "name duplicate in other case and spacing", mutate: loc(2, func(l *Location) { l.Name = " munich" }),
		kind: KindLocation, index: 2, key: "name", rule: "unique"},
	{name: "name unicode ok", mutate: loc(2, func(l *Location) { l.Name = "Wien Süd" })},

	{name: "country code 3 digits", mutate: loc(0, func(l *Location) { l.CountryCode = "358" })},
	{name: "country code empty", mutate: loc(0, func(l *Location) { l.CountryCode = "" }),
		kind: KindLocation, index: 0, key: "country_code", rule: "required"},
	{name: "country code leading 0", mutate: loc(0, func(l *Location) { l.CountryCode = "049" }),
		kind: KindLocation, index: 0, key: "country_code",
		msg: `location "Munich": country code "049": must be 1 to 3 digits, not starting with 0 (no + or 00 prefix)`},
	{name: "country code with plus", mutate: loc(0, func(l *Location) { l.CountryCode = "+49" }),
		kind: KindLocation, index: 0, key: "country_code", rule: "1 to 3 digits"},
	{name: "country code 4 digits", mutate: loc(0, func(l *Location) { l.CountryCode = "1234" }),
		kind: KindLocation, index: 0, key: "country_code", rule: "1 to 3 digits"},

	{name: "area code empty ok", mutate: loc(0, func(l *Location) { l.AreaCode = "" })},
	{name: "area code letters", mutate: loc(0, func(l *Location) { l.AreaCode = "8a" }),
		kind: KindLocation, index: 0, key: "area_code", rule: "digits only"},
	{name: "area code with national prefix spaces", mutate: loc(0, func(l *Location) { l.AreaCode = "0 89" }),
		kind: KindLocation, index: 0, key: "area_code", rule: "digits only"},

	{name: "international prefix 4 digits ok", mutate: loc(0, func(l *Location) { l.InternationalPrefix = "0011" })},
	{name: "international prefix empty", mutate: loc(0, func(l *Location) { l.InternationalPrefix = "" }),
		kind: KindLocation, index: 0, key: "international_prefix",
		msg: `location "Munich": international prefix: is required: 1 to 4 digits, e.g. 00`},
	{name: "international prefix 5 digits", mutate: loc(0, func(l *Location) { l.InternationalPrefix = "00000" }),
		kind: KindLocation, index: 0, key: "international_prefix", rule: "1 to 4 digits"},
	{name: "international prefix plus", mutate: loc(0, func(l *Location) { l.InternationalPrefix = "+" }),
		kind: KindLocation, index: 0, key: "international_prefix", rule: "1 to 4 digits"},

	{name: "national prefix empty ok", mutate: loc(0, func(l *Location) { l.NationalPrefix = "" })},
	{name: "national prefix 2 digits ok", mutate: loc(0, func(l *Location) { l.NationalPrefix = "06" })},
	{name: "national prefix 3 digits", mutate: loc(0, func(l *Location) { l.NationalPrefix = "000" }),
		kind: KindLocation, index: 0, key: "national_prefix", rule: "up to 2 digits"},

	{name: "outside line empty ok", mutate: loc(0, func(l *Location) { l.OutsideLine = "" })},
	{name: "outside line 3 digits ok", mutate: loc(0, func(l *Location) { l.OutsideLine = "000" })},
	{name: "outside line 4 digits", mutate: loc(0, func(l *Location) { l.OutsideLine = "0000" }),
		kind: KindLocation, index: 0, key: "outside_line", rule: "up to 3 digits"},
	{name: "outside line star", mutate: loc(0, func(l *Location) { l.OutsideLine = "*0" }),
		kind: KindLocation, index: 0, key: "outside_line", rule: "up to 3 digits"},

	{name: "base number empty ok", mutate: loc(0, func(l *Location) { l.BaseNumber = "" })},
	{name: "base number with dash", mutate: loc(0, func(l *Location) { l.BaseNumber = "12-34" }),
		kind: KindLocation, index: 0, key: "base_number", rule: "digits only"},

	{name: "internal both 0 ok", mutate: loc(0, func(l *Location) { l.InternalMin, l.InternalMax = 0, 0 })},
	{name: "internal 1 to 10 ok", mutate: loc(0, func(l *Location) { l.InternalMin, l.InternalMax = 1, 10 })},
	{name: "internal min 0 max set", mutate: loc(0, func(l *Location) { l.InternalMin, l.InternalMax = 0, 4 }),
		kind: KindLocation, index: 0, key: "internal_min", rule: "both 0"},
	{name: "internal max 0 min set", mutate: loc(0, func(l *Location) { l.InternalMin, l.InternalMax = 3, 0 }),
		kind: KindLocation, index: 0, key: "internal_max", rule: "both 0"},
	{name: "internal min above max", mutate: loc(0, func(l *Location) { l.InternalMin, l.InternalMax = 4, 3 }),
		kind: KindLocation, index: 0, key: "internal_max",
		msg: `location "Munich": internal number maximum length "3": must not be less than the minimum length (4)`},
	{name: "internal max 11", mutate: loc(0, func(l *Location) { l.InternalMin, l.InternalMax = 3, 11 }),
		kind: KindLocation, index: 0, key: "internal_max", rule: "1 to 10"},
	{name: "internal min negative", mutate: loc(0, func(l *Location) { l.InternalMin = -1 }),
		kind: KindLocation, index: 0, key: "internal_min", rule: "1 to 10"},
}

var groupCases = []validateCase{
	{name: "voicemail and monitored", mutate: grp(0, func(g *Group) { g.Voicemail = "*97"; g.Monitored = []string{"202", "203", "+4989"} })},
	{name: "voicemail letters", mutate: grp(0, func(g *Group) { g.Voicemail = "vm" }),
		kind: KindGroup, index: 0, key: "voicemail", msg: `group "Sales": voicemail number "vm": may only contain 0-9 * # + and the letters A-D`},
	{name: "monitored empty entry", mutate: grp(0, func(g *Group) { g.Monitored = []string{"202", ""} }),
		kind: KindGroup, index: 0, key: "monitored[1]", msg: `group "Sales": monitored extension #2: must not be empty`},
	{name: "monitored twice", mutate: grp(0, func(g *Group) { g.Monitored = []string{"202", "202"} }),
		kind: KindGroup, index: 0, key: "monitored[1]", rule: "also #1"},
	{name: "monitored with sip uri", mutate: grp(0, func(g *Group) { g.Monitored = []string{"sip:202@pbx"} }),
		kind: KindGroup, index: 0, key: "monitored[0]", rule: "0-9"},
	{name: "monitored too many", mutate: grp(0, func(g *Group) {
		for i := range MaxMonitored + 1 {
			g.Monitored = append(g.Monitored, strconv.Itoa(100+i))
		}
	}), kind: KindGroup, index: 0, key: "monitored", rule: "at most 64"},
	{name: "name empty", mutate: grp(2, func(g *Group) { g.Name = "" }),
		kind: KindGroup, index: 2, key: "name", msg: `group #3: name: must not be empty`},
	{name: "name duplicate ignoring case", mutate: grp(2, func(g *Group) { g.Name = "SALES" }),
		kind: KindGroup, index: 2, key: "name", rule: "group #1 has the same name"},
	{name: "name with tab", mutate: grp(2, func(g *Group) { g.Name = "Front\tdesk" }),
		kind: KindGroup, index: 2, key: "name", rule: "control characters"},

	{name: "not logged on 480 ok", mutate: grp(0, func(g *Group) { g.NotLoggedOn = ResponseTemporarilyUnavailable })},
	{name: "not logged on 603 ok", mutate: grp(0, func(g *Group) { g.NotLoggedOn = ResponseDecline })},
	{name: "not logged on client choice", mutate: grp(0, func(g *Group) { g.NotLoggedOn = ResponseClientChoice }),
		kind: KindGroup, index: 0, key: "not_logged_on",
		msg: `group "Sales": response when no client is logged on "486/603": 486/603 is only for rejections by clients (want 486, 480, 603 or 180)`},
	{name: "not logged on unset", mutate: grp(0, func(g *Group) { g.NotLoggedOn = ResponseUnset }),
		kind: KindGroup, index: 0, key: "not_logged_on",
		msg: `group "Sales": response when no client is logged on: is not set (want 486, 480, 603 or 180)`},
	{name: "not logged on unknown", mutate: grp(0, func(g *Group) { g.NotLoggedOn = Response(42) }),
		kind: KindGroup, index: 0, key: "not_logged_on", rule: "not a known response"},

	{name: "client reject 486 ok", mutate: grp(0, func(g *Group) { g.ClientReject = ResponseBusyHere })},
	{name: "client reject 480 ok", mutate: grp(0, func(g *Group) { g.ClientReject = ResponseTemporarilyUnavailable })},
	{name: "client reject 180 ok", mutate: grp(0, func(g *Group) { g.ClientReject = ResponseRinging })},
	{name: "client reject unset", mutate: grp(0, func(g *Group) { g.ClientReject = ResponseUnset }),
		kind: KindGroup, index: 0, key: "client_reject", rule: "is not set"},
	{name: "client reject negative", mutate: grp(0, func(g *Group) { g.ClientReject = Response(-3) }),
		kind: KindGroup, index: 0, key: "client_reject", rule: "not a known response"},

	{name: "location empty ok", mutate: grp(0, func(g *Group) { g.Location = "" })},
	{name: "location unknown", mutate: grp(0, func(g *Group) { g.Location = "Berlin" }),
		kind: KindGroup, index: 0, key: "location", msg: `group "Sales": location "Berlin": names no location`},
	{name: "location other case", mutate: grp(0, func(g *Group) { g.Location = "munich" }),
		kind: KindGroup, index: 0, key: "location", rule: "names no location"},
	{name: "per line location alone ok", mutate: grp(0, func(g *Group) { g.PerLineLocation = true; g.Location = "" })},

	{name: "disabled all functions ok", mutate: grp(0, func(g *Group) { g.DisabledFunctions = Functions() })},
	{name: "disabled function unknown", mutate: grp(1, func(g *Group) { g.DisabledFunctions = append(g.DisabledFunctions, numFunctions) }),
		kind: KindGroup, index: 1, key: "disabled_functions", rule: "not a known function"},
	{name: "disabled function twice", mutate: grp(1, func(g *Group) { g.DisabledFunctions = append(g.DisabledFunctions, FuncDeflect) }),
		kind: KindGroup, index: 1, key: "disabled_functions",
		msg: `group "Support": deactivated function "deflect": is listed more than once`},

	{name: "feature codes none ok", mutate: grp(0, func(g *Group) { g.FeatureCodes = nil })},
	{name: "feature code all characters ok", mutate: grp(0, func(g *Group) { g.FeatureCodes[0].Code = "0123456789*#+ABCD" })},
	{name: "feature code name empty", mutate: grp(0, func(g *Group) { g.FeatureCodes[2].Name = "" }),
		kind: KindGroup, index: 0, key: "feature_code[2].name", msg: `group "Sales": feature code #3 name: must not be empty`},
	{name: "feature code name blank", mutate: grp(0, func(g *Group) { g.FeatureCodes[1].Name = " \t " }),
		kind: KindGroup, index: 0, key: "feature_code[1].name", rule: "must not be empty"},
	{name: "feature code name duplicate ignoring case", mutate: grp(0, func(g *Group) { g.FeatureCodes[2].Name = "VOICEMAIL " }),
		kind: KindGroup, index: 0, key: "feature_code[2].name",
		msg: `group "Sales": feature code #3 name "VOICEMAIL ": must be unique in the group, feature code #2 has the same name`},
	{name: "feature code name used in other group ok", mutate: grp(1, func(g *Group) {
		g.FeatureCodes = []FeatureCode{{Name: "Voicemail", Code: "*86"}}
	})},
	{name: "feature code empty", mutate: grp(0, func(g *Group) { g.FeatureCodes[0].Code = "" }),
		kind: KindGroup, index: 0, key: "feature_code[0].code", rule: "must not be empty"},
	{name: "feature code lower case letter", mutate: grp(0, func(g *Group) { g.FeatureCodes[2].Code = "*5a" }),
		kind: KindGroup, index: 0, key: "feature_code[2].code",
		msg: `group "Sales": feature code #3 code "*5a": letters A-D must be upper case`},
	{name: "feature code letter E", mutate: grp(0, func(g *Group) { g.FeatureCodes[2].Code = "*5E" }),
		kind: KindGroup, index: 0, key: "feature_code[2].code", rule: "0-9 * # + and the letters A-D"},
	{name: "feature code space", mutate: grp(0, func(g *Group) { g.FeatureCodes[0].Code = "#21 #" }),
		kind: KindGroup, index: 0, key: "feature_code[0].code", rule: "0-9 * # + and the letters A-D"},
	{name: "feature code 32 chars ok", mutate: grp(0, func(g *Group) { g.FeatureCodes[0].Code = strings.Repeat("1", 32) })},
	{name: "feature code 33 chars", mutate: grp(0, func(g *Group) { g.FeatureCodes[0].Code = strings.Repeat("1", 33) }),
		kind: KindGroup, index: 0, key: "feature_code[0].code", rule: "at most 32 characters"},

	{name: "pickup empty ok", mutate: grp(0, func(g *Group) { g.PickupCode = "" })},
	{name: "pickup placeholder in middle ok", mutate: grp(0, func(g *Group) { g.PickupCode = "*8<NUMBER>#" })},
	{name: "pickup missing placeholder", mutate: grp(0, func(g *Group) { g.PickupCode = "*59" }),
		kind: KindGroup, index: 0, key: "pickup_code", msg: `group "Sales": pickup code "*59": must contain <NUMBER> exactly once`},
	{name: "pickup placeholder twice", mutate: grp(0, func(g *Group) { g.PickupCode = "*59<NUMBER><NUMBER>" }),
		kind: KindGroup, index: 0, key: "pickup_code", rule: "exactly once"},
	{name: "pickup placeholder lower case", mutate: grp(0, func(g *Group) { g.PickupCode = "*59<number>" }),
		kind: KindGroup, index: 0, key: "pickup_code", rule: "exactly once"},
	{name: "pickup bad character", mutate: grp(0, func(g *Group) { g.PickupCode = "*59 <NUMBER>" }),
		kind: KindGroup, index: 0, key: "pickup_code", rule: "0-9 * # + and the letters A-D"},
	{name: "pickup lower case letter", mutate: grp(0, func(g *Group) { g.PickupCode = "*5b<NUMBER>" }),
		kind: KindGroup, index: 0, key: "pickup_code", rule: "upper case"},
	{name: "pickup 32 chars ok", mutate: grp(0, func(g *Group) { g.PickupCode = strings.Repeat("*", 24) + "<NUMBER>" })},
	{name: "pickup 33 chars", mutate: grp(0, func(g *Group) { g.PickupCode = strings.Repeat("*", 25) + "<NUMBER>" }),
		kind: KindGroup, index: 0, key: "pickup_code", rule: "at most 32 characters"},

	{name: "register rate 0 ok", mutate: grp(0, func(g *Group) { g.RegisterRate = 0 })},
	{name: "register rate fraction ok", mutate: grp(0, func(g *Group) { g.RegisterRate = 0.5 })},
	{name: "register rate negative", mutate: grp(0, func(g *Group) { g.RegisterRate = -1 }),
		kind: KindGroup, index: 0, key: "register_rate", rule: "0 or more"},
	{name: "register rate NaN", mutate: grp(0, func(g *Group) { g.RegisterRate = math.NaN() }),
		kind: KindGroup, index: 0, key: "register_rate", rule: "finite"},
	{name: "register rate infinite", mutate: grp(0, func(g *Group) { g.RegisterRate = math.Inf(1) }),
		kind: KindGroup, index: 0, key: "register_rate", rule: "finite"},
}

var lineCases = []validateCase{
	{name: "name empty", mutate: ln(0, func(l *Line) { l.Name = "" }),
		kind: KindLine, index: 0, key: "name", msg: `line #1: name: must not be empty`},
	{name: "name duplicate", mutate: ln(1, func(l *Line) { l.Name = "Sales 201" }),
		kind: KindLine, index: 1, key: "name", rule: "line #1 has the same name"},
	{name: "name same as a group ok", mutate: ln(0, func(l *Line) { l.Name = "Sales" })},

	{name: "group empty", mutate: ln(0, func(l *Line) { l.Group = "" }),
		kind: KindLine, index: 0, key: "group", rule: "must not be empty"},
	{name: "group unknown", mutate: ln(0, func(l *Line) { l.Group = "Marketing" }),
		kind: KindLine, index: 0, key: "group", msg: `line "Sales 201": group "Marketing": names no group`},

	{name: "registrar host:port ok", mutate: acct(0, func(a *Account) { a.Registrar = "pbx.example.com:5080" })},
	{name: "registrar IPv4 ok", mutate: acct(0, func(a *Account) { a.Registrar = "192.0.2.1" })},
	{name: "registrar IPv6 ok", mutate: acct(0, func(a *Account) { a.Registrar = "[2001:db8::1]" })},
	{name: "registrar IPv6 with port ok", mutate: acct(0, func(a *Account) { a.Registrar = "[2001:db8::1]:5060" })},
	{name: "registrar single label ok", mutate: acct(0, func(a *Account) { a.Registrar = "pbx" })},
	{name: "registrar trailing dot ok", mutate: acct(0, func(a *Account) { a.Registrar = "pbx.example.com." })},
	{name: "registrar empty", mutate: acct(0, func(a *Account) { a.Registrar = "" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "must not be empty"},
	{name: "registrar with scheme", mutate: acct(0, func(a *Account) { a.Registrar = "sip:pbx.example.com" }),
		kind: KindLine, index: 0, key: "account.registrar",
		msg: `line "Sales 201": registrar "sip:pbx.example.com": must be host or host:port (host a DNS name, an IPv4 address or an [IPv6] address in brackets, port 1-65535)`},
	{name: "registrar port 0", mutate: acct(0, func(a *Account) { a.Registrar = "pbx.example.com:0" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "port 1-65535"},
	{name: "registrar port 65536", mutate: acct(0, func(a *Account) { a.Registrar = "pbx.example.com:65536" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "port 1-65535"},
	{name: "registrar port 65535 ok", mutate: acct(0, func(a *Account) { a.Registrar = "pbx.example.com:65535" })},
	{name: "registrar empty port", mutate: acct(0, func(a *Account) { a.Registrar = "pbx.example.com:" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "host:port"},
	{name: "registrar IPv6 without brackets", mutate: acct(0, func(a *Account) { a.Registrar = "2001:db8::1" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "[IPv6]"},
	{name: "registrar IPv4 in brackets", mutate: acct(0, func(a *Account) { a.Registrar = "[192.0.2.1]" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "[IPv6]"},
	{name: "registrar IPv4 octet 256", mutate: acct(0, func(a *Account) { a.Registrar = "192.0.2.256" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "IPv4"},
	{name: "registrar underscore", mutate: acct(0, func(a *Account) { a.Registrar = "pbx_1.example.com" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "DNS name"},
	{name: "registrar label starts with hyphen", mutate: acct(0, func(a *Account) { a.Registrar = "-pbx.example.com" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "DNS name"},
	{name: "registrar empty label", mutate: acct(0, func(a *Account) { a.Registrar = "pbx..example.com" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "DNS name"},
	{name: "registrar with space", mutate: acct(0, func(a *Account) { a.Registrar = "pbx example.com" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "DNS name"},
	{name: "registrar 63 character label ok", mutate: acct(0, func(a *Account) { a.Registrar = strings.Repeat("p", 63) + ".example.com" })},
	{name: "registrar 64 character label", mutate: acct(0, func(a *Account) { a.Registrar = strings.Repeat("p", 64) + ".example.com" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "DNS name"},
	// 3 labels of 63 characters with their dots make 192; a last label of 61 makes 253 characters.
	{name: "registrar 253 character name ok", mutate: acct(0, func(a *Account) {
		a.Registrar = strings.Repeat(strings.Repeat("p", 63)+".", 3) + strings.Repeat("a", 61)
	})},
	{name: "registrar 254 character name", mutate: acct(0, func(a *Account) {
		a.Registrar = strings.Repeat(strings.Repeat("p", 63)+".", 3) + strings.Repeat("a", 62)
	}),
		kind: KindLine, index: 0, key: "account.registrar", rule: "DNS name"},
	{name: "registrar unclosed bracket", mutate: acct(0, func(a *Account) { a.Registrar = "[2001:db8::1:5060" }),
		kind: KindLine, index: 0, key: "account.registrar", rule: "[IPv6]"},

	{name: "proxy ok", mutate: acct(0, func(a *Account) { a.Proxy = "sbc.example.net:5070" })},
	{name: "proxy bad port", mutate: acct(0, func(a *Account) { a.Proxy = "sbc.example.net:http" }),
		kind: KindLine, index: 0, key: "account.proxy", rule: "port 1-65535"},

	{name: "domain ok", mutate: acct(0, func(a *Account) { a.Domain = "example.com" })},
	{name: "domain IPv4 ok", mutate: acct(0, func(a *Account) { a.Domain = "192.0.2.7" })},
	{name: "domain IPv6 in brackets ok", mutate: acct(0, func(a *Account) { a.Domain = "[2001:db8::7]" })},
	{name: "domain IPv6 without brackets", mutate: acct(0, func(a *Account) { a.Domain = "2001:db8::7" }),
		kind: KindLine, index: 0, key: "account.domain", rule: "[IPv6] address in brackets"},
	{name: "domain with port", mutate: acct(0, func(a *Account) { a.Domain = "example.com:5060" }),
		kind: KindLine, index: 0, key: "account.domain", rule: "without port"},

	{name: "user all permitted characters ok", mutate: acct(0, func(a *Account) { a.User = "Az09-_.!~*'()&=+$,;?/%41" })},
	{name: "user empty", mutate: acct(0, func(a *Account) { a.User = "" }),
		kind: KindLine, index: 0, key: "account.user", msg: `line "Sales 201": user: must not be empty`},
	{name: "user with domain", mutate: acct(0, func(a *Account) { a.User = "201@pbx.example.com" }),
		kind: KindLine, index: 0, key: "account.user", rule: "without @"},
	{name: "user with colon", mutate: acct(0, func(a *Account) { a.User = "sip:201" }),
		kind: KindLine, index: 0, key: "account.user", rule: "no @, : or spaces"},
	{name: "user with space", mutate: acct(0, func(a *Account) { a.User = "john doe" }),
		kind: KindLine, index: 0, key: "account.user", rule: "no @, : or spaces"},
	{name: "user non-ASCII", mutate: acct(0, func(a *Account) { a.User = "jürgen" }),
		kind: KindLine, index: 0, key: "account.user", rule: "%HH escapes"},
	{name: "user bad escape", mutate: acct(0, func(a *Account) { a.User = "a%4g" }),
		kind: KindLine, index: 0, key: "account.user", rule: "two hex digits"},
	{name: "user truncated escape", mutate: acct(0, func(a *Account) { a.User = "a%4" }),
		kind: KindLine, index: 0, key: "account.user", rule: "two hex digits"},

	{name: "auth user ok", mutate: acct(0, func(a *Account) { a.AuthUser = "auth-201" })},
	{name: "auth user e-mail ok", mutate: acct(0, func(a *Account) { a.AuthUser = "anna@example.com" })},
	{name: "auth user with space", mutate: acct(0, func(a *Account) { a.AuthUser = "anna b" }),
		kind: KindLine, index: 0, key: "account.auth_user", rule: "no : or spaces"},
	{name: "auth user with quote", mutate: acct(0, func(a *Account) { a.AuthUser = `an"na` }),
		kind: KindLine, index: 0, key: "account.auth_user", rule: "may only contain"},

	{name: "transport tcp ok", mutate: acct(0, func(a *Account) { a.Transport = TransportTCP })},
	{name: "transport unknown", mutate: acct(0, func(a *Account) { a.Transport = Transport(3) }),
		kind: KindLine, index: 0, key: "account.transport", rule: "udp, tcp or tls"},
	{name: "transport negative", mutate: acct(0, func(a *Account) { a.Transport = Transport(-1) }),
		kind: KindLine, index: 0, key: "account.transport", rule: "udp, tcp or tls"},

	{name: "expires 10 ok", mutate: acct(0, func(a *Account) { a.Expires = 10 })},
	{name: "expires 86400 ok", mutate: acct(0, func(a *Account) { a.Expires = 86400 })},
	{name: "expires 9", mutate: acct(0, func(a *Account) { a.Expires = 9 }),
		kind: KindLine, index: 0, key: "account.expires", rule: "10 to 86400 seconds"},
	{name: "expires 86401", mutate: acct(0, func(a *Account) { a.Expires = 86401 }),
		kind: KindLine, index: 0, key: "account.expires", rule: "10 to 86400 seconds"},
	{name: "expires negative", mutate: acct(0, func(a *Account) { a.Expires = -1 }),
		kind: KindLine, index: 0, key: "account.expires", rule: "10 to 86400 seconds"},

	{name: "display name unicode ok", mutate: acct(0, func(a *Account) { a.DisplayName = "Jürgen (Vertrieb) 'JM'" })},
	{name: "display name double quote", mutate: acct(0, func(a *Account) { a.DisplayName = `Anna "AB" Bauer` }),
		kind: KindLine, index: 0, key: "account.display_name", rule: "double quote"},
	{name: "display name newline", mutate: acct(0, func(a *Account) { a.DisplayName = "Anna\r\nVia: x" }),
		kind: KindLine, index: 0, key: "account.display_name", rule: "control characters"},
	{name: "display name invalid UTF-8", mutate: acct(0, func(a *Account) { a.DisplayName = "Anna \xff" }),
		kind: KindLine, index: 0, key: "account.display_name", rule: "UTF-8"},

	{name: "encryption require ok", mutate: acct(0, func(a *Account) { a.Encryption = EncryptionRequire })},
	{name: "encryption unknown", mutate: acct(0, func(a *Account) { a.Encryption = MediaEncryption(3) }),
		kind: KindLine, index: 0, key: "account.encryption", rule: "off, offer or require"},

	{name: "ca file with udp", mutate: acct(1, func(a *Account) { a.Transport = TransportUDP }),
		kind: KindLine, index: 1, key: "account.ca_file",
		msg: `line "Support 301": CA file "pbx-ca.pem": only used with transport tls`},
	{name: "ca file with tcp", mutate: acct(1, func(a *Account) { a.Transport = TransportTCP }),
		kind: KindLine, index: 1, key: "account.ca_file", rule: "only used with transport tls"},

	{name: "number empty ok", mutate: ln(0, func(l *Line) { l.Number = "" })},
	{name: "number internal ok", mutate: ln(0, func(l *Line) { l.Number = "201" })},
	{name: "number 20 digits ok", mutate: ln(0, func(l *Line) { l.Number = "+" + strings.Repeat("9", 20) })},
	{name: "number 21 digits", mutate: ln(0, func(l *Line) { l.Number = strings.Repeat("9", 21) }),
		kind: KindLine, index: 0, key: "number", rule: "at most 20 digits"},
	{name: "number with spaces", mutate: ln(0, func(l *Line) { l.Number = "+49 89 1234201" }),
		kind: KindLine, index: 0, key: "number",
		msg: `line "Sales 201": number "+49 89 1234201": must be written without spaces or separators: an optional leading + and digits only`},
	{name: "number with dash", mutate: ln(0, func(l *Line) { l.Number = "1234-201" }),
		kind: KindLine, index: 0, key: "number", rule: "without spaces or separators"},
	{name: "number with parentheses", mutate: ln(0, func(l *Line) { l.Number = "(089)1234201" }),
		kind: KindLine, index: 0, key: "number", rule: "without spaces or separators"},
	{name: "number plus only", mutate: ln(0, func(l *Line) { l.Number = "+" }),
		kind: KindLine, index: 0, key: "number", rule: "at least one digit"},
	{name: "number plus twice", mutate: ln(0, func(l *Line) { l.Number = "++49" }),
		kind: KindLine, index: 0, key: "number", rule: "digits, with an optional leading +"},
	{name: "number letters", mutate: ln(0, func(l *Line) { l.Number = "0800FLOWERS" }),
		kind: KindLine, index: 0, key: "number", rule: "digits, with an optional leading +"},
	{name: "manual number with automatic numbers ok", mutate: ln(1, func(l *Line) { l.Number = "+12125550101" })},

	{name: "location per line permitted ok", mutate: ln(1, func(l *Line) { l.Location = "Munich" })},
	{name: "location not permitted", mutate: ln(0, func(l *Line) { l.Location = "New York" }),
		kind: KindLine, index: 0, key: "location",
		msg: `line "Sales 201": location "New York": group "Sales" does not permit a location per line`},
	{name: "location unknown", mutate: ln(1, func(l *Line) { l.Location = "Boston" }),
		kind: KindLine, index: 1, key: "location", msg: `line "Support 301": location "Boston": names no location`},
	{name: "forward always", mutate: ln(0, func(l *Line) { l.Forward = Forward{Mode: ForwardAlways, Target: "+49 89 1234-202"} })},
	{name: "forward no answer to sip", mutate: ln(0, func(l *Line) {
		l.Forward = Forward{Mode: ForwardNoAnswer, Target: "sip:mailbox@pbx.example.com", After: 30}
	})},
	{name: "forward off keeps its target", mutate: ln(0, func(l *Line) { l.Forward = Forward{Target: "202"} })},
	{name: "forward without target", mutate: ln(0, func(l *Line) { l.Forward = Forward{Mode: ForwardBusy} }),
		kind: KindLine, index: 0, key: "forward.target", msg: `line "Sales 201": forward to: must not be empty while forwarding is on`},
	{name: "forward target letters", mutate: ln(0, func(l *Line) { l.Forward = Forward{Mode: ForwardAlways, Target: "reception"} }),
		kind: KindLine, index: 0, key: "forward.target", rule: "sip: address"},
	{name: "forward to its own number", mutate: ln(0, func(l *Line) { l.Forward = Forward{Mode: ForwardAlways, Target: "+49891234201"} }),
		kind: KindLine, index: 0, key: "forward.target", msg: `line "Sales 201": forward to "+49891234201": must not be the line itself`},
	{name: "forward to its own user as sip", mutate: ln(0, func(l *Line) {
		l.Forward = Forward{Mode: ForwardBusy, Target: "sip:201@pbx.example.com"}
	}), kind: KindLine, index: 0, key: "forward.target", rule: "itself"},
	{name: "forward after too short", mutate: ln(0, func(l *Line) { l.Forward = Forward{Mode: ForwardNoAnswer, Target: "202", After: 2} }),
		kind: KindLine, index: 0, key: "forward.after", rule: "5 to 120 seconds"},
	{name: "forward mode unknown", mutate: ln(0, func(l *Line) { l.Forward = Forward{Mode: 9, Target: "202"} }),
		kind: KindLine, index: 0, key: "forward.mode", rule: "known mode"},
}

func TestValidate(t *testing.T) {
	for _, set := range []struct {
		name  string
		cases []validateCase
	}{{"location", locationCases}, {"group", groupCases}, {"line", lineCases}} {
		for _, tc := range set.cases {
			t.Run(set.name+"/"+tc.name, func(t *testing.T) {
				c := validConfig()
				tc.mutate(&c)
				err := c.Validate()
				if tc.kind == "" {
					if err != nil {
						t.Fatalf("Validate() = %v, want nil", err)
					}
					return
				}
				if err == nil {
					t.Fatalf("Validate() = nil, want a %s error on %s", tc.kind, tc.key)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("errors.Is(err, ErrInvalid) = false for %v", err)
				}
				fes := FieldErrors(err)
				if len(fes) != 1 {
					t.Fatalf("Validate() gave %d violations, want 1: %v", len(fes), err)
				}
				fe := fes[0]
				if fe.Kind != tc.kind || fe.Index != tc.index || fe.Key != tc.key {
					t.Errorf("violation at %s[%d] %q, want %s[%d] %q (%v)", fe.Kind, fe.Index, fe.Key, tc.kind, tc.index, tc.key, fe)
				}
				if fe.Field == "" || fe.Rule == "" {
					t.Errorf("violation %#v lacks a field name or rule", fe)
				}
				if tc.msg != "" && fe.Error() != tc.msg {
					t.Errorf("message\n got: %s\nwant: %s", fe.Error(), tc.msg)
				}
				if tc.rule != "" && !strings.Contains(fe.Rule, tc.rule) {
					t.Errorf("rule %q does not mention %q", fe.Rule, tc.rule)
				}
				if err.Error() != fe.Error() {
					t.Errorf("joined message %q differs from the single violation %q", err.Error(), fe.Error())
				}
			})
		}
	}
}

func TestValidateReportsEveryViolation(t *testing.T) {
	c := validConfig()
	c.Locations[0].CountryCode = "0"
	c.Groups[0].PickupCode = "*59"
	c.Groups[0].FeatureCodes[1].Code = "*8x"
	c.Lines[0].Account.User = ""
	c.Lines[1].Account.Expires = 5
	err := c.Validate()
	type at struct {
		kind  Kind
		index int
		key   string
	}
	want := []at{
		{KindLocation, 0, "country_code"},
		{KindGroup, 0, "feature_code[1].code"},
		{KindGroup, 0, "pickup_code"},
		{KindLine, 0, "account.user"},
		{KindLine, 1, "account.expires"},
	}
	fes := FieldErrors(err)
	if len(fes) != len(want) {
		t.Fatalf("got %d violations, want %d: %v", len(fes), len(want), err)
	}
	for i, fe := range fes {
		if got := (at{fe.Kind, fe.Index, fe.Key}); got != want[i] {
			t.Errorf("violation %d at %v, want %v", i, got, want[i])
		}
	}
	// Every violation is one line of the joined message.
	if n := strings.Count(err.Error(), "\n") + 1; n != len(want) {
		t.Errorf("joined message has %d lines, want %d:\n%v", n, len(want), err)
	}
}

func TestValidateUnsetResponses(t *testing.T) {
	c := validConfig()
	c.Groups[1].NotLoggedOn = ResponseUnset
	c.Groups[1].ClientReject = ResponseUnset
	fes := FieldErrors(c.Validate())
	if len(fes) != 2 {
		t.Fatalf("got %d violations, want 2: %v", len(fes), fes)
	}
	for i, key := range []string{"not_logged_on", "client_reject"} {
		if fes[i].Kind != KindGroup || fes[i].Index != 1 || fes[i].Key != key || !strings.Contains(fes[i].Rule, "not set") {
			t.Errorf("violation %d = %v (key %q), want group #2 %s not set", i, fes[i], fes[i].Key, key)
		}
	}
	// The defaults fill exactly these two settings in.
	d := c.WithDefaults()
	if err := d.Validate(); err != nil {
		t.Fatalf("WithDefaults().Validate() = %v, want nil", err)
	}
}

func TestValidateLineOfMissingGroup(t *testing.T) {
	// A line whose group does not exist is reported once for the group; its location is still
	// checked against the locations, but no group rule can apply.
	c := validConfig()
	c.Lines[0].Group = "Gone"
	c.Lines[0].Location = "Munich"
	fes := FieldErrors(c.Validate())
	if len(fes) != 1 || fes[0].Key != "group" {
		t.Fatalf("violations = %v, want one on group", fes)
	}
	c.Lines[0].Location = "Atlantis"
	fes = FieldErrors(c.Validate())
	if len(fes) != 2 || fes[0].Key != "group" || fes[1].Key != "location" {
		t.Fatalf("violations = %v, want group and location", fes)
	}
}

// FuzzValidate builds a configuration from arbitrary texts and numbers and checks that Validate
// never panics and reports only *FieldErrors that point at an item that exists.
func FuzzValidate(f *testing.F) {
	f.Add("Munich", "49", "Sales", "Voicemail", "*86", "*59<NUMBER>", "Sales 201", "Sales",
		"pbx.example.com:5060", "201", "+49891234201", "Munich", 1, 5, 0, 3600, 5.0, uint8(1))
	f.Add("", "049", "", "", "*8a", "*59", "", "Nowhere", "[2001:db8::1]:0", "a@b", "+49 89", "Atlantis",
		5, 0, 3, 59, math.NaN(), uint8(0))
	f.Add(" ", "+", "\x00", "\xff", "<NUMBER>", "<NUMBER><NUMBER>", "\n", "\t", "[", "%", "+", "",
		-1, 99, -1, -5, math.Inf(-1), uint8(255))
	f.Add("x", "1234", "g", "n", strings.Repeat("1", 40), "<NUMBER>"+strings.Repeat("#", 30), "l", "g",
		"host:65536", "u%zz", strings.Repeat("9", 30), "x", 4, 4, 2, 86401, -0.5, uint8(3))
	f.Fuzz(func(t *testing.T, locName, digits, groupName, featName, featCode, pickup, lineName, lineGroup,
		host, user, number, location string, r1, r2, transport, expires int, rate float64, flags uint8) {
		c := Config{
			Locations: []Location{
				{Name: locName, CountryCode: digits, AreaCode: digits, InternationalPrefix: digits,
					NationalPrefix: digits, OutsideLine: digits, BaseNumber: digits, InternalMin: r1, InternalMax: r2},
				{Name: locName},
			},
			Groups: []Group{
				{Name: groupName, NotLoggedOn: Response(r1), ClientReject: Response(r2), Location: location,
					PerLineLocation: flags&1 != 0, AutoNumbers: flags&2 != 0,
					DisabledFunctions: []Function{Function(r1), Function(r2)},
					FeatureCodes:      []FeatureCode{{featName, featCode}, {featCode, featName}},
					PickupCode:        pickup, RegisterRate: rate},
				{Name: lineGroup, NotLoggedOn: Response(r2), ClientReject: Response(r1)},
			},
		}
		acc := Account{Registrar: host, Proxy: host, Domain: host, User: user, AuthUser: user,
			Transport: Transport(transport), Expires: expires, DisplayName: featName, CAFile: pickup}
		c.Lines = []Line{
			{Name: lineName, Group: lineGroup, Number: number, Location: location, Account: acc},
			{Name: lineName, Group: groupName, Number: digits, Location: locName, Account: acc},
		}
		if flags&4 != 0 {
			c = c.WithDefaults()
		}

		err := c.Validate()
		again := c.Validate()
		if (err == nil) != (again == nil) || (err != nil && err.Error() != again.Error()) {
			t.Fatalf("Validate is not deterministic:\n%v\n---\n%v", err, again)
		}
		if err == nil {
			return
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("errors.Is(err, ErrInvalid) = false")
		}
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok {
			t.Fatalf("Validate returned %T, want an errors.Join result", err)
		}
		sizes := map[Kind]int{KindLocation: len(c.Locations), KindGroup: len(c.Groups), KindLine: len(c.Lines)}
		for _, e := range joined.Unwrap() {
			fe, ok := e.(*FieldError)
			if !ok {
				t.Fatalf("violation %v is a %T, want *FieldError", e, e)
			}
			n, known := sizes[fe.Kind]
			if !known || fe.Index < 0 || fe.Index >= n {
				t.Errorf("violation %v names %s #%d, which does not exist", fe, fe.Kind, fe.Index)
			}
			if fe.Key == "" || fe.Field == "" || fe.Rule == "" {
				t.Errorf("violation %#v lacks key, field or rule", fe)
			}
			if !strings.HasPrefix(fe.Error(), string(fe.Kind)+" ") {
				t.Errorf("message %q does not start with the kind", fe.Error())
			}
		}
	})
}
