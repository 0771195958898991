package provision

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lineupphone/lineup/line"
)

var update = flag.Bool("update", false, "rewrite testdata/full.toml from what Encode writes")

// fullConfig sets every key a provisioning file has, each value of every enumeration at least
// once, and text that TOML must quote or escape.
func fullConfig() line.Config {
	return line.Config{
		Locations: []line.Location{
			{Name: "Munich office", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
				NationalPrefix: "0", OutsideLine: "0", BaseNumber: "1234", InternalMin: 3, InternalMax: 3},
			{Name: "Singapore home", CountryCode: "65", InternationalPrefix: "000"},
		},
		Groups: []line.Group{
			{Name: "Sales", NotLoggedOn: line.ResponseBusyHere, ClientReject: line.ResponseClientChoice,
				JournalAll: true, AutoNumbers: true, Location: "Munich office",
				DisabledFunctions: []line.Function{line.FuncDial, line.FuncAnswer, line.FuncDecline,
					line.FuncHangUp, line.FuncHold, line.FuncRetrieve},
				FeatureCodes: []line.FeatureCode{
					{Name: "Call forwarding on", Code: "*21*"},
					{Name: "Call forwarding off", Code: "#21#"},
				},
				PickupCode: "*59<NUMBER>", RegisterRate: 20, Voicemail: "*97", Monitored: []string{"203", "204"}},
			{Name: "Reception", NotLoggedOn: line.ResponseTemporarilyUnavailable, ClientReject: line.ResponseDecline,
				HideDecline: true, PerLineLocation: true,
				DisabledFunctions: []line.Function{line.FuncDTMF, line.FuncDND, line.FuncPickup,
					line.FuncFeatureCodes, line.FuncRedial, line.FuncDeflect},
				RegisterRate: 2.5},
			{Name: "Lab", NotLoggedOn: line.ResponseRinging, ClientReject: line.ResponseBusyHere},
			{Name: "Nights", NotLoggedOn: line.ResponseDecline, ClientReject: line.ResponseTemporarilyUnavailable},
			{Name: "Weekend", NotLoggedOn: line.ResponseBusyHere, ClientReject: line.ResponseRinging},
		},
		Lines: []line.Line{
			{Name: "Sales 201", Group: "Sales", Journal: true, Account: line.Account{
				Registrar: "pbx.example.com:5060", User: "201", Password: `s3cr"et\201 'x'`,
				DisplayName: "Sales – Müller", Expires: 600},
				Forward: line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 15}},
			{Name: "Sales 202", Group: "Sales", DND: true, Account: line.Account{
				Registrar: "pbx.example.com", Proxy: "proxy.example.com:5070", Domain: "example.com",
				User: "202", AuthUser: "auth202", Password: "pw202", Transport: line.TransportTCP},
				Forward: line.Forward{Mode: line.ForwardBusy, Target: "sip:desk@example.com"}, NoCallWaiting: true},
			{Name: "Reception", Group: "Reception", Number: "+12125550100", Location: "Singapore home",
				Disabled: true, Account: line.Account{
					Registrar: "[2001:db8::1]:5061", User: "reception", Password: "pw-rec",
					Transport: line.TransportTLS, CAFile: "/etc/lineup/ca.pem", DisplayName: "Front desk",
					Encryption: line.EncryptionRequire},
				Forward: line.Forward{Mode: line.ForwardAlways, Target: "+1 212 555 0199"}},
		},
	}
}

// The provisioning format is pinned by testdata/full.toml both ways: Encode writes it for
// fullConfig, and Decode reads it back to fullConfig.
func TestFullExportGolden(t *testing.T) {
	golden := filepath.Join("testdata", "full.toml")
	var buf bytes.Buffer
	if err := Encode(&buf, fullConfig()); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Errorf("export differs from %s (run with -update after a deliberate change, and update README.md):\n got:\n%s\nwant:\n%s",
			golden, buf.String(), want)
	}
	cfg, err := Decode("full.toml", want)
	if err != nil {
		t.Fatalf("golden file does not decode: %v", err)
	}
	if !reflect.DeepEqual(cfg, fullConfig()) {
		t.Errorf("golden file decodes to\n%+v\nwant\n%+v", cfg, fullConfig())
	}
}
