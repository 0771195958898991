package provision

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/line"
)

func readDemo(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("../assets/demo/provision.toml")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func decodeErrors(t *testing.T, src string) *Errors {
	t.Helper()
	cfg, err := Decode("provision.toml", []byte(src))
	if err == nil {
		t.Fatalf("Decode succeeded, want an error; config %+v", cfg)
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want *Errors: %v", err, err)
	}
	if !reflect.DeepEqual(cfg, line.Config{}) {
		t.Errorf("config on error = %+v, want empty", cfg)
	}
	return errs
}

func TestDemoFileDecodes(t *testing.T) {
	cfg, err := Decode("provision.toml", readDemo(t))
	if err != nil {
		t.Fatalf("demo file: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("demo config does not validate: %v", err)
	}
	if len(cfg.Locations) != 1 || cfg.Locations[0].Name != "Munich office" ||
		cfg.Locations[0].CountryCode != "49" || cfg.Locations[0].AreaCode != "89" ||
		cfg.Locations[0].BaseNumber != "1234" || cfg.Locations[0].InternalMin != 3 || cfg.Locations[0].InternalMax != 3 {
		t.Errorf("locations = %+v", cfg.Locations)
	}
	sales, ok := cfg.Group("Sales")
	if !ok {
		t.Fatal("no group Sales")
	}
	if sales.NotLoggedOn != line.ResponseBusyHere || sales.ClientReject != line.ResponseClientChoice ||
		!sales.JournalAll || !sales.AutoNumbers || sales.Location != "Munich office" ||
		sales.PickupCode != "*59<NUMBER>" || sales.RegisterRate != 20 {
		t.Errorf("group Sales = %+v", *sales)
	}
	if len(sales.FeatureCodes) < 4 || sales.FeatureCodes[1] != (line.FeatureCode{Name: "Call forwarding off", Code: "#21#"}) {
		t.Errorf("Sales feature codes = %+v", sales.FeatureCodes)
	}
	reception, ok := cfg.Group("Reception")
	if !ok {
		t.Fatal("no group Reception")
	}
	if !reception.HideDecline || len(reception.DisabledFunctions) == 0 {
		t.Errorf("group Reception = %+v", *reception)
	}
	users := map[string]line.Line{}
	passwords := map[string]bool{}
	for _, l := range cfg.Lines {
		users[l.Account.User] = l
		passwords[l.Account.Password] = true
		if l.Account.Registrar != "127.0.0.1:25060" {
			t.Errorf("line %q registrar = %q", l.Name, l.Account.Registrar)
		}
	}
	for user, group := range map[string]string{"201": "Sales", "202": "Sales", "203": "Sales", "210": "Reception"} {
		l, ok := users[user]
		if !ok {
			t.Errorf("no line with user %s", user)
			continue
		}
		if l.Group != group || l.Account.DisplayName == "" || l.Account.Password == "" {
			t.Errorf("line of user %s = %+v", user, l)
		}
	}
	if len(passwords) != len(cfg.Lines) {
		t.Errorf("%d lines share %d passwords, want one each", len(cfg.Lines), len(passwords))
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	cfg, err := Decode("provision.toml", readDemo(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "#") {
		t.Errorf("export does not start with a comment header:\n%s", out)
	}
	for _, l := range cfg.Lines {
		if !strings.Contains(out, l.Account.Password) {
			t.Errorf("export lacks the password of line %q", l.Name)
		}
	}
	// Order as in the configuration.
	if i, j := strings.Index(out, "Sales 201"), strings.Index(out, "Reception 210"); i < 0 || j < i {
		t.Errorf("lines out of order in export:\n%s", out)
	}
	back, err := Decode("export.toml", buf.Bytes())
	if err != nil {
		t.Fatalf("export does not decode: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back, cfg)
	}
	// Exporting again gives the same file: the order is stable.
	var again bytes.Buffer
	if err := Encode(&again, back); err != nil {
		t.Fatal(err)
	}
	if again.String() != out {
		t.Errorf("second export differs from the first")
	}
}

func TestEncodeAppliesDefaultsAndEmpty(t *testing.T) {
	cfg := line.Config{
		Groups: []line.Group{{Name: "G"}},
		Lines: []line.Line{{Name: "L", Group: "G", Account: line.Account{
			Registrar: "pbx.example.com", User: "100", Password: `p"w\'#`}}},
	}
	var buf bytes.Buffer
	if err := Encode(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	back, err := Decode("x.toml", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if back.Groups[0].NotLoggedOn != line.ResponseBusyHere || back.Groups[0].ClientReject != line.ResponseClientChoice {
		t.Errorf("defaults not exported: %+v", back.Groups[0])
	}
	if back.Lines[0].Account.Password != `p"w\'#` {
		t.Errorf("password = %q", back.Lines[0].Account.Password)
	}

	buf.Reset()
	if err := Encode(&buf, line.Config{}); err != nil {
		t.Fatal(err)
	}
	empty, err := Decode("empty.toml", buf.Bytes())
	if err != nil || len(empty.Locations)+len(empty.Groups)+len(empty.Lines) != 0 {
		t.Errorf("empty export decodes to %+v, %v", empty, err)
	}
}

func TestEmptyFile(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n   \n"} {
		cfg, err := Decode("empty.toml", []byte(src))
		if err != nil {
			t.Errorf("Decode(%q) = %v", src, err)
		}
		if len(cfg.Locations)+len(cfg.Groups)+len(cfg.Lines) != 0 {
			t.Errorf("Decode(%q) = %+v, want an empty config", src, cfg)
		}
	}
}

// want is a problem expected at a line, recognised by a piece of its message.
type want struct {
	line int
	text string
}

func checkProblems(t *testing.T, errs *Errors, wants []want) {
	t.Helper()
	if len(errs.Problems) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%v", len(errs.Problems), len(wants), errs)
	}
	for i, w := range wants {
		if i >= len(errs.Problems) {
			break
		}
		p := errs.Problems[i]
		if p.Line != w.line || !strings.Contains(p.Err.Error(), w.text) {
			t.Errorf("problem %d = line %d %q, want line %d containing %q", i, p.Line, p.Err, w.line, w.text)
		}
	}
	for i, l := range strings.Split(errs.Error(), "\n") {
		if i < len(wants) && !strings.HasPrefix(l, "provision.toml:") {
			t.Errorf("message line %q does not start with the file name", l)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	src := `[[location]]
name = "Here"
country_code = "49"
international_prefix = "00"
area = "89"

[[group]]
name = "Sales"
colour = "red"

[[line]]
name = "Alice"
group = "Sales"
[line.account]
registrar = "127.0.0.1"
user = "201"
pasword = "secret"
`
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{
		{5, `location "Here": area: unknown key`},
		{9, `group "Sales": colour: unknown key`},
		{17, `line "Alice": account.pasword: unknown key`},
	})
	if !errors.Is(errs, ErrUnknownKey) {
		t.Error("errors.Is(err, ErrUnknownKey) = false")
	}
	if errs.Problems[0].Column != 1 {
		t.Errorf("column of unknown key = %d, want 1", errs.Problems[0].Column)
	}
}

func TestUnknownTable(t *testing.T) {
	src := "[[group]]\nname = \"Sales\"\n\n[server]\nport = 5060\n"
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{{4, "table [server]: unknown key"}})

	// A list written as a single table.
	errs = decodeErrors(t, "# groups\n[group]\nname = \"Sales\"\n")
	checkProblems(t, errs, []want{{2, "write [[group]]"}})
}

func TestSyntaxError(t *testing.T) {
	src := `[[group]]
name = "Sales"
journal_all = tru
`
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{{3, ""}})
	if !errors.Is(errs, ErrSyntax) {
		t.Errorf("errors.Is(err, ErrSyntax) = false: %v", errs)
	}
	if c := errs.Problems[0].Column; c < 15 || c > 18 {
		t.Errorf("column = %d, want the position of the bad value (15-18)", c)
	}

	// An unterminated string, and a key defined twice.
	checkProblems(t, decodeErrors(t, "[[group]]\nname = \"Sales\n"), []want{{2, ""}})
	checkProblems(t, decodeErrors(t, "[[group]]\nname = \"a\"\n\nname = \"b\"\n"), []want{{4, ""}})
}

func TestTypeErrors(t *testing.T) {
	src := `[[location]]
name = "Here"
country_code = 49
international_prefix = "00"
internal_min = "3"
internal_max = 3

[[group]]
name = "Sales"
not_logged_on = 486
client_reject = "999"
register_rate = "fast"
journal_all = "yes"
disabled_functions = ["hangup", "teleport"]
pickup_code = "*59"
`
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{
		{3, `location "Here": country_code: wrong type: expected a string, got an integer`},
		{5, `internal_min: wrong type: expected an integer, got a string`},
		{10, `not_logged_on: wrong type: expected a string, got an integer (write it in quotes: "486")`},
		{11, `client_reject: response "999": unknown value`},
		{12, `register_rate: wrong type: expected a number, got a string`},
		{13, `journal_all: wrong type: expected true or false, got a string`},
		{14, `disabled_functions[1]: function "teleport": unknown value`},
		// Validation still runs over the rest of the file...
		{15, `group "Sales": pickup code "*59": must contain <NUMBER> exactly once`},
	})
	// ...but says nothing about the values it could not read, e.g. that the country code or
	// the internal minimum are missing.
	if !errors.Is(errs, ErrWrongType) || !errors.Is(errs, line.ErrUnknownValue) || !errors.Is(errs, line.ErrInvalid) {
		t.Errorf("sentinels not all exposed: %v", errs)
	}
	if p := errs.Problems[0]; p.Column != 16 {
		t.Errorf("column of the bad value = %d, want 16", p.Column)
	}
}

func TestValidationErrorsAllReportedWithLines(t *testing.T) {
	src := `# Lines are counted from 1, this is line 1.
[[location]]
name = "Here"
country_code = "049"
international_prefix = "00"
internal_min = 3
internal_max = 2

[[group]]
name = "Sales"
location = "Nowhere"
pickup_code = "*59"

[[group.feature_code]]
name = "Forward off"
code = "#21x"

[[group.feature_code]]
code = "*21*"

[[line]]
name = "Alice"
group = "Sales"
[line.account]
registrar = "127.0.0.1:25060"
password = "x"

[[line]]
name = "Bob"
group = "Nope"
account = { registrar = "127.0.0.1", user = "bad user" }
`
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{
		{4, `location "Here": country code "049"`},
		{7, `location "Here": internal number maximum length "2"`},
		{11, `group "Sales": location "Nowhere": names no location`},
		{12, `group "Sales": pickup code "*59": must contain <NUMBER> exactly once`},
		{16, `group "Sales": feature code #1 code "#21x"`},
		{18, `group "Sales": feature code #2 name: must not be empty`}, // no name key: its [[group.feature_code]] header
		{24, `line "Alice": user: must not be empty`},                  // no user key: its [line.account] header
		{30, `line "Bob": group "Nope": names no group`},
		{31, `line "Bob": user "bad user"`},
	})
	if !errors.Is(errs, line.ErrInvalid) {
		t.Error("errors.Is(err, line.ErrInvalid) = false")
	}
	fes := line.FieldErrors(errs)
	if len(fes) != 9 {
		t.Errorf("line.FieldErrors finds %d errors, want 9", len(fes))
	}
	if !strings.Contains(errs.Error(), "\nprovision.toml:12: group \"Sales\": pickup code \"*59\": must contain <NUMBER> exactly once\n") {
		t.Errorf("message lacks the pickup code line:\n%v", errs)
	}
}

func TestInlineArraysOfTables(t *testing.T) {
	src := `location = [
  { name = "Here", country_code = "49", international_prefix = "00" },
]
group = [
  { name = "Sales", feature_code = [
      { name = "Off", code = "#21#" },
      { name = "", code = "*21*" },
  ] },
]
`
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{{7, `group "Sales": feature code #2 name: must not be empty`}})
}

func lineCount(data []byte) int {
	if len(data) == 0 {
		return 0
	}
	n := bytes.Count(data, []byte("\n")) + 1
	if data[len(data)-1] == '\n' {
		n--
	}
	return n
}

func FuzzDecode(f *testing.F) {
	f.Add(readDemo(f))
	f.Add([]byte(""))
	f.Add([]byte("[[group]]\nname = \"Sales\"\nnot_logged_on = 486\n"))
	f.Add([]byte("[[group]]\nname = \"a\"\n[[group.feature_code]]\nname = \"x\"\ncode = \"#2\n"))
	f.Add([]byte("[line.account]\nuser = 1\n"))
	f.Add([]byte("[[line]]\naccount = { user = \"a\", user = \"b\" }\n[[line]]\n[line.account]\n[line.account]\n"))
	f.Add([]byte("group = [ { name = \"x\", disabled_functions = [[1]] } ]\nlocation = 3"))
	f.Add([]byte("[[location]]\ninternal_min = 99999999999999999999\ninternal_max = 0x10\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Decode("fuzz.toml", data)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors: %v", err, err)
			}
			if len(errs.Problems) == 0 {
				t.Fatal("an error with no problems")
			}
			n := lineCount(data)
			for _, p := range errs.Problems {
				if p.Line < 1 || p.Line > n {
					t.Fatalf("problem at line %d of a %d-line file: %v", p.Line, n, p.Err)
				}
			}
			return
		}
		// Whatever decodes is valid, and survives an export.
		if err := cfg.Validate(); err != nil {
			t.Fatalf("decoded config does not validate: %v", err)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, cfg); err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := Decode("export.toml", buf.Bytes())
		if err != nil {
			t.Fatalf("export does not decode: %v\n%s", err, buf.String())
		}
		if !reflect.DeepEqual(back, cfg) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v", back, cfg)
		}
	})
}

// A line's forwarding table is read strictly: an unknown mode, a wrong type and a rule that the
// validator refuses are each reported at their key.
func TestForwardErrors(t *testing.T) {
	src := `[[group]]
name = "Sales"

[[line]]
name = "Sales 201"
group = "Sales"
number = "201"
no_call_waiting = "yes"

[line.account]
registrar = "pbx.example.com"
user = "201"

[line.forward]
mode = "sometimes"
after = "soon"

[[line]]
name = "Sales 202"
group = "Sales"

[line.account]
registrar = "pbx.example.com"
user = "202"

[line.forward]
mode = "always"
target = "202"
after = 500
`
	errs := decodeErrors(t, src)
	checkProblems(t, errs, []want{
		{8, `no_call_waiting: wrong type: expected true or false, got a string`},
		{15, `forward.mode: forward mode "sometimes": unknown value`},
		{16, `forward.after: wrong type: expected an integer, got a string`},
		{28, `forward to "202": must not be the line itself`},
		{29, `forward after "500": must be 5 to 120 seconds`},
	})
}
