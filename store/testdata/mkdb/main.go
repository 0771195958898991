// Command mkdb writes store/testdata/schema1.db: a data file of schema version 1 with a full
// configuration, settings and a journal, made with the store code of the day it was run (see
// store/testdata/README.md). It is kept to show how the file was made; rerunning it with later
// code makes a file of that code's format instead.
//
//	go run ./store/testdata/mkdb DIR
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mkdb:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: mkdb DIR")
	}
	dir := os.Args[1]
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		return fmt.Errorf("%s already exists", filepath.Join(dir, store.FileName))
	}
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	defer st.Close()

	cfg := line.Config{
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
	if err := st.SaveConfig(cfg); err != nil {
		return err
	}
	if err := st.SetSettings(map[string]string{
		"audio.call_capture":  "alsa:USB Headset Mono",
		"audio.call_playback": "alsa:USB Headset Stereo",
		"audio.ringer":        "pulse:Built-in Speakers",
	}); err != nil {
		return err
	}

	ctx := context.Background()
	j := st.Journal()
	base := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	at := func(min, sec int) time.Time {
		return base.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second + 123456789)
	}
	entries := []line.JournalEntry{
		{Line: "Sales 201", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234201",
			RemoteNumber: "+4930123456", RemoteName: "Anna Schäfer", Start: at(0, 0), Answer: at(0, 7),
			End: at(5, 7), Duration: 5 * time.Minute, Outcome: line.OutcomeAnswered, Client: "desk-1",
			Memo: "Wants a quote.\nCall back on Monday."},
		{Line: "Sales 201", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234201",
			RemoteNumber: "+4930123456", Start: at(10, 0), End: at(10, 30), Outcome: line.OutcomeMissed},
		{Line: "Sales 202", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234202",
			RemoteNumber: "+441632960000", RemoteName: "Bob", Start: at(11, 0), End: at(11, 4),
			Outcome: line.OutcomeDeclined, Code: 603, Client: "desk-2"},
		{Line: "Sales 202", Group: "Sales", Direction: line.Incoming, LocalNumber: "+49891234202",
			Start: at(12, 0), End: at(12, 1), Outcome: line.OutcomeBusy, Code: 486},
		{Line: "Reception NY", Group: "Reception", Direction: line.Outgoing, LocalNumber: "+12125550100",
			RemoteNumber: "+12125550199", Start: at(13, 0), End: at(13, 9), Outcome: line.OutcomeCancelled,
			Client: "front"},
		{Line: "Reception NY", Group: "Reception", Direction: line.Incoming, LocalNumber: "+12125550100",
			RemoteNumber: "201", RemoteName: "Sales 201", Start: at(14, 0), End: at(14, 12),
			Outcome: line.OutcomeAnsweredElsewhere},
		{Line: "Reception NY", Group: "Reception", Direction: line.Incoming, LocalNumber: "+12125550100",
			RemoteNumber: "anonymous", Start: at(15, 0), Answer: at(15, 3), End: at(16, 3),
			Duration: 59 * time.Second, Outcome: line.OutcomePickedUpLocally, Client: "front"},
		{Line: "Lab bench", Group: "Lab", Direction: line.Incoming, LocalNumber: "lab",
			RemoteNumber: "+4989555123", Start: at(17, 0), End: at(17, 5), Outcome: line.OutcomeDeflected,
			Code: 302, Client: "bench"},
		{Line: "Lab bench", Group: "Lab", Direction: line.Outgoing, LocalNumber: "lab",
			RemoteNumber: "*86", Start: at(18, 0), End: at(18, 32), Outcome: line.OutcomeFailed,
			FeatureCode: "Voicemail"},
		{Line: "Lab bench", Group: "Lab", Direction: line.Outgoing, LocalNumber: "lab",
			RemoteNumber: "lab", Start: at(19, 0), Answer: at(19, 2), End: at(19, 42),
			Duration: 40 * time.Second, Outcome: line.OutcomeAnswered, Code: 200},
	}
	var ids []uint64
	for _, e := range entries {
		id, err := j.Record(ctx, e)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := j.Flush(ctx); err != nil {
		return err
	}
	if err := j.SetMemo(ids[2], "Declined: known cold caller\tdo not call back"); err != nil {
		return err
	}
	if err := j.SetMemo(ids[0], "Wants a quote.\nCall back on Monday. ✓"); err != nil {
		return err
	}
	for i, id := range ids {
		fmt.Printf("entry %d: id %d\n", i, id)
	}
	return nil
}
