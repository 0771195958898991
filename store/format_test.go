package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/lineupphone/lineup/line"
)

var update = flag.Bool("update", false, "rewrite testdata/records.golden from what the store writes")

// schema1Config is the configuration testdata/schema1.db holds, written out value by value.
func schema1Config() line.Config {
	return line.Config{
		Locations: []line.Location{
			{Name: "Munich office", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
				NationalPrefix: "0", OutsideLine: "0", BaseNumber: "1234", InternalMin: 3, InternalMax: 3},
			{Name: "New York", CountryCode: "1", AreaCode: "212", InternationalPrefix: "011",
				NationalPrefix: "1", OutsideLine: "9", BaseNumber: "5550", InternalMin: 2, InternalMax: 4},
			{Name: "Singapore home", CountryCode: "65", InternationalPrefix: "000"},
		},
		Groups: []line.Group{
			{Name: "Sales", NotLoggedOn: line.ResponseBusyHere, ClientReject: line.ResponseClientChoice,
				JournalAll: true, AutoNumbers: true, Location: "Munich office",
				FeatureCodes: []line.FeatureCode{
					{Name: "Call forwarding on", Code: "*21*"},
					{Name: "Call forwarding off", Code: "#21#"},
					{Name: "Voicemail", Code: "*86"},
				},
				PickupCode: "*59<NUMBER>", RegisterRate: 20},
			{Name: "Reception", NotLoggedOn: line.ResponseTemporarilyUnavailable, ClientReject: line.ResponseDecline,
				HideDecline: true, Location: "New York", PerLineLocation: true,
				DisabledFunctions: []line.Function{line.FuncDeflect, line.FuncPickup, line.FuncDND},
				FeatureCodes:      []line.FeatureCode{{Name: "Night service", Code: "*44"}},
				RegisterRate:      2.5},
			{Name: "Lab", NotLoggedOn: line.ResponseRinging, ClientReject: line.ResponseBusyHere},
			{Name: "Nights", NotLoggedOn: line.ResponseDecline, ClientReject: line.ResponseTemporarilyUnavailable,
				PickupCode: "**<NUMBER>#"},
		},
		Lines: []line.Line{
			{Name: "Sales 201", Group: "Sales", Journal: true, Account: line.Account{
				Registrar: "pbx.example.com:5060", User: "201", Password: "s3cr\"et\\201",
				DisplayName: "Sales – Müller", Expires: 600}},
			{Name: "Sales 202", Group: "Sales", DND: true, Account: line.Account{
				Registrar: "pbx.example.com", Proxy: "proxy.example.com:5070", Domain: "example.com",
				User: "202", AuthUser: "auth202", Password: "pw202", Transport: line.TransportTCP}},
			{Name: "Reception NY", Group: "Reception", Number: "+12125550100", Location: "Singapore home",
				Journal: true, Account: line.Account{
					Registrar: "sip.example.net:5061", User: "reception", Password: "pw-rec",
					Transport: line.TransportTLS, CAFile: "/etc/lineup/ca.pem", DisplayName: "Front desk"}},
			{Name: "Reception spare", Group: "Reception", Number: "100", Disabled: true, Account: line.Account{
				Registrar: "[2001:db8::1]:5060", User: "spare", Transport: line.TransportUDP}},
			{Name: "Lab bench", Group: "Lab", Account: line.Account{
				Registrar: "127.0.0.1:25060", User: "lab", Password: "lab", Transport: line.TransportTLS,
				Expires: 120}},
		},
	}
}

// schema1Settings are the settings testdata/schema1.db holds.
var schema1Settings = map[string]string{
	"audio.call_capture":  "alsa:USB Headset Mono",
	"audio.call_playback": "alsa:USB Headset Stereo",
	"audio.ringer":        "pulse:Built-in Speakers",
}

// schema1Journal is the journal testdata/schema1.db holds, oldest first, with the IDs and the
// memos as they ended up (two memos were set after the calls were written).
func schema1Journal() []line.JournalEntry {
	at := func(min, sec int) time.Time {
		return time.Date(2026, 11, 30, 9, min, sec, 123456789, time.UTC)
	}
	return []line.JournalEntry{
		{ID: 1796029507123456, Line: "Sales 201", Group: "Sales", Direction: line.Incoming,
			LocalNumber: "+49891234201", RemoteNumber: "+4930123456", RemoteName: "Anna Schäfer",
			Start: at(0, 0), Answer: at(0, 7), End: at(5, 7), Duration: 5 * time.Minute,
			Outcome: line.OutcomeAnswered, Client: "desk-1", Memo: "Wants a quote.\nCall back on Monday. ✓"},
		{ID: 1796029830123456, Line: "Sales 201", Group: "Sales", Direction: line.Incoming,
			LocalNumber: "+49891234201", RemoteNumber: "+4930123456", Start: at(10, 0), End: at(10, 30),
			Outcome: line.OutcomeMissed},
		{ID: 1796029864123456, Line: "Sales 202", Group: "Sales", Direction: line.Incoming,
			LocalNumber: "+49891234202", RemoteNumber: "+441632960000", RemoteName: "Bob",
			Start: at(11, 0), End: at(11, 4), Outcome: line.OutcomeDeclined, Code: 603, Client: "desk-2",
			Memo: "Declined: known cold caller\tdo not call back"},
		{ID: 1796029921123456, Line: "Sales 202", Group: "Sales", Direction: line.Incoming,
			LocalNumber: "+49891234202", Start: at(12, 0), End: at(12, 1), Outcome: line.OutcomeBusy, Code: 486},
		{ID: 1796029989123456, Line: "Reception NY", Group: "Reception", Direction: line.Outgoing,
			LocalNumber: "+12125550100", RemoteNumber: "+12125550199", Start: at(13, 0), End: at(13, 9),
			Outcome: line.OutcomeCancelled, Client: "front"},
		{ID: 1796030052123456, Line: "Reception NY", Group: "Reception", Direction: line.Incoming,
			LocalNumber: "+12125550100", RemoteNumber: "201", RemoteName: "Sales 201",
			Start: at(14, 0), End: at(14, 12), Outcome: line.OutcomeAnsweredElsewhere},
		{ID: 1796030163123456, Line: "Reception NY", Group: "Reception", Direction: line.Incoming,
			LocalNumber: "+12125550100", RemoteNumber: "anonymous", Start: at(15, 0), Answer: at(15, 3),
			End: at(16, 3), Duration: 59 * time.Second, Outcome: line.OutcomePickedUpLocally, Client: "front"},
		{ID: 1796030225123456, Line: "Lab bench", Group: "Lab", Direction: line.Incoming,
			LocalNumber: "lab", RemoteNumber: "+4989555123", Start: at(17, 0), End: at(17, 5),
			Outcome: line.OutcomeDeflected, Code: 302, Client: "bench"},
		{ID: 1796030312123456, Line: "Lab bench", Group: "Lab", Direction: line.Outgoing,
			LocalNumber: "lab", RemoteNumber: "*86", Start: at(18, 0), End: at(18, 32),
			Outcome: line.OutcomeFailed, FeatureCode: "Voicemail"},
		{ID: 1796030382123456, Line: "Lab bench", Group: "Lab", Direction: line.Outgoing,
			LocalNumber: "lab", RemoteNumber: "lab", Start: at(19, 0), Answer: at(19, 2), End: at(19, 42),
			Duration: 40 * time.Second, Outcome: line.OutcomeAnswered, Code: 200},
	}
}

// checkSchema1Data asserts that s holds exactly the configuration, settings and journal of
// testdata/schema1.db.
func checkSchema1Data(t *testing.T, s *Store) {
	t.Helper()
	cfg, err := s.Config()
	if err != nil {
		t.Fatalf("Config: %v", err)
	}
	want := schema1Config()
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config differs:\n got %+v\nwant %+v", cfg, want)
	}
	for k, v := range schema1Settings {
		got, ok, err := s.Setting(k)
		if err != nil || !ok || got != v {
			t.Errorf("Setting(%q) = %q, %v, %v; want %q", k, got, ok, err, v)
		}
	}
	got, err := s.Journal().Latest(100)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	wantJ := schema1Journal()
	if len(got) != len(wantJ) {
		t.Fatalf("journal has %d entries, want %d", len(got), len(wantJ))
	}
	for i, w := range wantJ {
		g := got[len(got)-1-i] // newest first
		if g.ID != w.ID {
			t.Errorf("entry %d: ID %d, want %d", i, g.ID, w.ID)
		}
		if d := sameEntry(g, w); d != "" {
			t.Errorf("entry %d: %s", i, d)
		}
	}
	// The indexes were read too: by number and by line.
	byNumber, err := s.Journal().Query(JournalQuery{Number: "5550100", Line: "Reception NY"})
	if err != nil || len(byNumber) != 3 {
		t.Errorf("query by number: %d entries, %v; want 3", len(byNumber), err)
	}
	byLine, err := s.Journal().Query(JournalQuery{Line: "Sales 202"})
	if err != nil || len(byLine) != 2 || byLine[0].ID != 1796029921123456 {
		t.Errorf("query by line: %+v, %v", byLine, err)
	}
}

// copySchema1 puts a copy of testdata/schema1.db into a new data directory.
func copySchema1(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema1.db"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A data file written before the store had record types of its own reads back value by value,
// migrated to the current schema (it gets a file ID), and the store writes records to it exactly
// as it writes them to a new file.
func TestReadSchema1File(t *testing.T) {
	dir := copySchema1(t)
	s := openT(t, dir)
	if v, err := s.SchemaVersion(); err != nil || v != currentVersion {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, currentVersion)
	}
	if id := dumpBuckets(t, s)["meta"]["id"]; len(id) != 32 {
		t.Errorf("migrated file has ID %q, want 32 hex digits", id)
	}
	checkSchema1Data(t, s)

	// Today's code writes the same records for the same data.
	fresh := writeSchema1Data(t, t.TempDir())
	if got, want := formatDump(dumpBuckets(t, s)), formatDump(dumpBuckets(t, fresh)); got != want {
		t.Errorf("records of the old file differ from those written today:\n--- old file\n%s\n--- today\n%s", got, want)
	}

	// The old file takes new writes: a saved configuration and a further journal entry.
	if err := s.Update(func(c *line.Config) error {
		c.Lines[1].DND = false
		return nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	last := schema1Journal()[9]
	e := last
	e.ID, e.Memo = 0, ""
	e.Start, e.Answer, e.End = last.Start.Add(time.Hour), last.Answer.Add(time.Hour), last.End.Add(time.Hour)
	id, err := s.Journal().Record(context.Background(), e)
	if err != nil || id <= last.ID {
		t.Fatalf("Record = %d, %v; want an ID above %d", id, err, last.ID)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, dir)
	cfg, err := s.Config()
	if err != nil || cfg.Lines[1].DND {
		t.Errorf("after update: line %+v, %v; want DND off", cfg.Lines[1], err)
	}
	if got, err := s.Journal().Latest(1); err != nil || len(got) != 1 || got[0].ID != id {
		t.Errorf("newest entry = %+v, %v; want ID %d", got, err, id)
	}
}

// writeSchema1Data writes the data of testdata/schema1.db with today's code into a new store.
func writeSchema1Data(t *testing.T, dir string) *Store {
	t.Helper()
	s := openT(t, dir)
	if err := s.SaveConfig(schema1Config()); err != nil {
		t.Fatalf("SaveConfig: %v", err)
	}
	if err := s.SetSettings(schema1Settings); err != nil {
		t.Fatalf("SetSettings: %v", err)
	}
	ctx := context.Background()
	for _, e := range schema1Journal() {
		id, err := s.Journal().Record(ctx, e)
		if err != nil || id != e.ID {
			t.Fatalf("Record = %d, %v; want ID %d", id, err, e.ID)
		}
	}
	if err := s.Journal().Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return s
}

// seqBuckets are the buckets whose keys are 8-byte numbers.
var seqBuckets = map[string]bool{"locations": true, "groups": true, "lines": true, "journal": true}

// formatDump prints every record, one per line, as "bucket key value": sequence and ID keys as
// numbers, index keys as their quoted prefix and the ID ("lab"#00001796030382123456), other keys
// quoted; values as stored, but for the file's random ID, which reads "<random>".
func formatDump(d map[string]map[string]string) string {
	var lines []string
	for bucket, kv := range d {
		for k, v := range kv {
			if bucket == string(bucketMeta) && k == string(keyID) {
				v = "<random>"
			}
			key := strconv.Quote(k)
			switch {
			case seqBuckets[bucket] && len(k) == 8:
				key = fmt.Sprintf("%020d", binary.BigEndian.Uint64([]byte(k)))
			case strings.HasPrefix(bucket, "journal_by_") && len(k) >= 9 && k[len(k)-9] == 0:
				key = fmt.Sprintf("%q#%020d", k[:len(k)-9], binary.BigEndian.Uint64([]byte(k[len(k)-8:])))
			}
			lines = append(lines, bucket+" "+key+" "+v)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// parseDump reads what formatDump printed.
func parseDump(t *testing.T, text string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		bucket, rest, ok1 := strings.Cut(l, " ")
		var key string
		var value string
		ok2 := false
		if seqBuckets[bucket] {
			var n string
			n, value, ok2 = strings.Cut(rest, " ")
			u, err := strconv.ParseUint(n, 10, 64)
			if err != nil {
				t.Fatalf("golden line %d: key %q: %v", i+1, n, err)
			}
			key = string(binary.BigEndian.AppendUint64(nil, u))
		} else {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("golden line %d: key: %v", i+1, err)
			}
			key, _ = strconv.Unquote(q)
			rest = rest[len(q):]
			if strings.HasPrefix(bucket, "journal_by_") {
				n, tail, _ := strings.Cut(strings.TrimPrefix(rest, "#"), " ")
				u, err := strconv.ParseUint(n, 10, 64)
				if err != nil {
					t.Fatalf("golden line %d: index ID %q: %v", i+1, n, err)
				}
				key = string(binary.BigEndian.AppendUint64(append([]byte(key), 0), u))
				rest = " " + tail
			}
			value, ok2 = strings.CutPrefix(rest, " ")
		}
		if !ok1 || !ok2 {
			t.Fatalf("golden line %d: want \"bucket key value\": %q", i+1, l)
		}
		if out[bucket] == nil {
			out[bucket] = map[string]string{}
		}
		out[bucket][key] = value
	}
	return out
}

// The store's record format is pinned by testdata/records.golden both ways: what the store
// writes for a full configuration, settings and journal is the golden file, and a data file made
// of the golden file's records reads back to the same values.
func TestRecordsGolden(t *testing.T) {
	golden := filepath.Join("testdata", "records.golden")
	s := writeSchema1Data(t, t.TempDir())
	got := formatDump(dumpBuckets(t, s))
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("records differ from %s (run with -update after a deliberate format change, which needs a migration):\n%s",
			golden, lineDiff(got, string(want)))
	}

	dir := t.TempDir()
	records := parseDump(t, string(want))
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		for bucket, kv := range records {
			b, err := tx.CreateBucket([]byte(bucket))
			if err != nil {
				return err
			}
			for k, v := range kv {
				if err := b.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	checkSchema1Data(t, openT(t, dir))
}

// lineDiff lists the lines only one of a and b has.
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ina, inb := in(a), in(b)
	var out bytes.Buffer
	for _, l := range strings.Split(a, "\n") {
		if !inb[l] {
			fmt.Fprintf(&out, "+ %s\n", l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ina[l] {
			fmt.Fprintf(&out, "- %s\n", l)
		}
	}
	return out.String()
}

// A record naming a value no enumeration has is corrupt, and the error says where; a record
// without its responses reads them as unset, as records of line's JSON did.
func TestRecordEnumerations(t *testing.T) {
	dir := t.TempDir()
	rawUpdate(t, dir, func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("groups"))
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(0), []byte(`{"name":"Old","disabled_functions":["hangup"]}`)); err != nil {
			return err
		}
		return writeVersion(tx, 1)
	})
	s := openT(t, dir)
	cfg, err := s.Config()
	want := []line.Group{{Name: "Old", DisabledFunctions: []line.Function{line.FuncHangUp}}}
	if err != nil || !reflect.DeepEqual(cfg.Groups, want) {
		t.Fatalf("Config = %+v, %v; want groups %+v", cfg, err, want)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ bucket, record, text string }{
		{"groups", `{"name":"G","not_logged_on":"999","client_reject":"486"}`, `response "999"`},
		{"groups", `{"name":"G","not_logged_on":"486","client_reject":"486/603","disabled_functions":["teleport"]}`, `function "teleport"`},
		{"lines", `{"name":"L","group":"G","account":{"registrar":"pbx","user":"1","transport":"sctp"}}`, `transport "sctp"`},
	} {
		rawUpdate(t, dir, func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(tc.bucket))
			if err != nil {
				return err
			}
			return b.Put(seqKey(0), []byte(tc.record))
		})
		s := openT(t, dir)
		_, err := s.Config()
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, line.ErrUnknownValue) ||
			!strings.Contains(err.Error(), `bucket "`+tc.bucket+`" key 0`) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: Config = %v, want ErrCorrupt naming bucket %s key 0 and %s", tc.record, err, tc.bucket, tc.text)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		rawUpdate(t, dir, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte(tc.bucket)).Put(seqKey(0), []byte(`{"name":"G","not_logged_on":"486","client_reject":"486"}`))
		})
	}
}

// A line's SRTP policy is a record field of its own; a record without one (every file written
// before it existed) reads as off.
func TestEncryptionRecord(t *testing.T) {
	l := testLine(1, "Sales")
	l.Account.Encryption = line.EncryptionRequire
	r, err := toLineRecord(l)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"encryption":"require"`) {
		t.Errorf("record %s has no encryption require", b)
	}
	back, err := r.line()
	if err != nil || back.Account.Encryption != line.EncryptionRequire {
		t.Errorf("read back %v, %v; want require", back.Account.Encryption, err)
	}
	r.Account.Encryption = ""
	if back, err = r.line(); err != nil || back.Account.Encryption != line.EncryptionOff {
		t.Errorf("record without encryption reads %v, %v; want off", back.Account.Encryption, err)
	}
	r.Account.Encryption = "sometimes"
	if _, err := r.line(); err == nil || !strings.Contains(err.Error(), "account.encryption") {
		t.Errorf("unknown policy read with error %v, want one naming account.encryption", err)
	}
}

// The forwarding rule and the call waiting switch are stored in the line record, the voicemail
// number and the monitored extensions in the group record, each by its name; a line that does not
// forward and keeps call waiting on writes none of them.
func TestForwardRecord(t *testing.T) {
	l := testLine(1, "Sales")
	l.Forward = line.Forward{Mode: line.ForwardNoAnswer, Target: "203", After: 15}
	l.NoCallWaiting = true
	r, err := toLineRecord(l)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"forward":{"mode":"no_answer","target":"203","after":15}`, `"no_call_waiting":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("record %s has no %s", b, want)
		}
	}
	back, err := r.line()
	if err != nil || back.Forward != l.Forward || !back.NoCallWaiting {
		t.Errorf("read back %+v, %v; want %+v and call waiting off", back.Forward, err, l.Forward)
	}
	plain, err := toLineRecord(testLine(2, "Sales"))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(plain); strings.Contains(string(b), "forward") || strings.Contains(string(b), "call_waiting") {
		t.Errorf("a line without forwarding writes %s", b)
	}
	r.Forward.Mode = "sometimes"
	if _, err := r.line(); err == nil || !strings.Contains(err.Error(), "forward.mode") {
		t.Errorf("unknown mode read with error %v, want one naming forward.mode", err)
	}

	g := line.Group{Name: "Sales", NotLoggedOn: line.ResponseBusyHere, ClientReject: line.ResponseClientChoice,
		Voicemail: "*97", Monitored: []string{"201", "202"}}
	gr, err := toGroupRecord(g)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(gr); !strings.Contains(string(b), `"voicemail":"*97","monitored":["201","202"]`) {
		t.Errorf("group record %s lacks the voicemail number or the monitored extensions", b)
	}
	if back, err := gr.group(); err != nil || back.Voicemail != "*97" || !slices.Equal(back.Monitored, g.Monitored) {
		t.Errorf("group read back %+v, %v", back, err)
	}
}
