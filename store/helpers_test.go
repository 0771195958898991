package store

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

// openT opens a store in dir and closes it when the test ends.
func openT(t testing.TB, dir string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(dir, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// realisticConfig is an office with two sites: a PBX group in Munich whose lines may have their
// own location, a call-centre group with fixed decline settings, and a group left at defaults.
func realisticConfig() line.Config {
	return line.Config{
		Locations: []line.Location{
			{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
				NationalPrefix: "0", OutsideLine: "0", BaseNumber: "1234", InternalMin: 3, InternalMax: 3},
			{Name: "New York", CountryCode: "1", AreaCode: "212", InternationalPrefix: "011",
				NationalPrefix: "1", OutsideLine: "9", InternalMin: 4, InternalMax: 4},
		},
		Groups: []line.Group{
			{Name: "Zentrale", NotLoggedOn: line.ResponseRinging, ClientReject: line.ResponseDecline,
				HideDecline: true, JournalAll: true, AutoNumbers: true, Location: "Munich", PerLineLocation: true,
				DisabledFunctions: []line.Function{line.FuncDeflect, line.FuncDecline},
				FeatureCodes: []line.FeatureCode{
					{Name: "Call forwarding on", Code: "*21*"},
					{Name: "Call forwarding off", Code: "#21#"},
					{Name: "Announcement A", Code: "*8A"},
				},
				PickupCode: "*59<NUMBER>", RegisterRate: 2.5, Voicemail: "*97", Monitored: []string{"202", "203"}},
			{Name: "Hotline", NotLoggedOn: line.ResponseTemporarilyUnavailable,
				ClientReject: line.ResponseBusyHere, Location: "New York"},
			// Decline settings unset: saving applies the documented defaults.
			{Name: "Apprentices"},
		},
		Lines: []line.Line{
			{Name: "Reception", Group: "Zentrale", Journal: true,
				Account: line.Account{Registrar: "pbx.example.com", User: "201", AuthUser: "201-auth",
					Password: "s3cret", DisplayName: "Reception"},
				Forward: line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 10}},
			{Name: "Boss", Group: "Zentrale", Location: "New York",
				Account: line.Account{Registrar: "pbx.example.com:5061", User: "202", Password: "x",
					Transport: line.TransportTLS, CAFile: "office-ca.pem", Expires: 600},
				NoCallWaiting: true},
			{Name: "Hotline 1", Group: "Hotline", Number: "+12125550100", DND: true,
				Account: line.Account{Registrar: "sip.example.net", Proxy: "proxy.example.net:5070",
					Domain: "example.net", User: "hotline1", Transport: line.TransportTCP},
				Forward: line.Forward{Mode: line.ForwardAlways, Target: "+1 212 555 0199"}},
			{Name: "Azubi", Group: "Apprentices", Disabled: true, Number: "+49891234299",
				Account: line.Account{Registrar: "pbx.example.com", User: "299"}},
		},
	}
}

// dumpBuckets returns every key and value of every top-level bucket, for byte-exact comparisons.
func dumpBuckets(t testing.TB, s *Store) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			m := map[string]string{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error {
				m[string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatalf("dump buckets: %v", err)
	}
	return out
}

// rawUpdate changes a closed data file directly with bbolt, as an older build or a damaged disk
// would have left it.
func rawUpdate(t testing.TB, dir string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatalf("raw update: %v", err)
	}
}

func fileSum(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func testLine(i int, group string) line.Line {
	return line.Line{Name: fmt.Sprintf("L%d", i), Group: group,
		Account: line.Account{Registrar: "pbx.example.com", User: fmt.Sprint(1000 + i)}}
}
