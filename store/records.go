package store

import (
	"fmt"

	"github.com/lineupphone/lineup/line"
)

// The configuration records: how one item of a bucket in "locations", "groups" and "lines" is
// written, as JSON. These types, not package line's, define the file format (schema version 2),
// so that a change to the domain types or to the HTTP API cannot change the disk format
// unnoticed; testdata/records.golden pins it. Enumerations are stored by their text names ("486",
// "486/603", "hangup", "tls"). Empty optional fields are left out.
type (
	locationRecord struct {
		Name                string `json:"name"`
		CountryCode         string `json:"country_code"`
		AreaCode            string `json:"area_code,omitempty"`
		InternationalPrefix string `json:"international_prefix"`
		NationalPrefix      string `json:"national_prefix,omitempty"`
		OutsideLine         string `json:"outside_line,omitempty"`
		BaseNumber          string `json:"base_number,omitempty"`
		InternalMin         int    `json:"internal_min"`
		InternalMax         int    `json:"internal_max"`
	}

	featureCodeRecord struct {
		Name string `json:"name"`
		Code string `json:"code"`
	}

	groupRecord struct {
		Name              string              `json:"name"`
		NotLoggedOn       string              `json:"not_logged_on"`
		ClientReject      string              `json:"client_reject"`
		HideDecline       bool                `json:"hide_decline"`
		JournalAll        bool                `json:"journal_all"`
		AutoNumbers       bool                `json:"auto_numbers"`
		Location          string              `json:"location,omitempty"`
		PerLineLocation   bool                `json:"per_line_location"`
		DisabledFunctions []string            `json:"disabled_functions,omitempty"`
		FeatureCodes      []featureCodeRecord `json:"feature_codes,omitempty"`
		PickupCode        string              `json:"pickup_code,omitempty"`
		RegisterRate      float64             `json:"register_rate,omitempty"`
		Voicemail         string              `json:"voicemail,omitempty"`
		Monitored         []string            `json:"monitored,omitempty"`
	}

	// forwardRecord is line.Forward; left out of a line that does not forward and keeps no
	// target.
	forwardRecord struct {
		Mode   string `json:"mode"`
		Target string `json:"target,omitempty"`
		After  int    `json:"after,omitempty"`
	}

	accountRecord struct {
		Registrar string `json:"registrar"`
		Proxy     string `json:"proxy,omitempty"`
		Domain    string `json:"domain,omitempty"`
		User      string `json:"user"`
		AuthUser  string `json:"auth_user,omitempty"`
		Password  string `json:"password,omitempty"`
		// PasswordRef names the password in the OS keyring (secrets.go) when Password is not
		// kept in the file; since schema version 2.
		PasswordRef string `json:"password_ref,omitempty"`
		Transport   string `json:"transport"`
		DisplayName string `json:"display_name,omitempty"`
		Expires     int    `json:"expires,omitempty"`
		CAFile      string `json:"ca_file,omitempty"`
		DirectCalls bool   `json:"direct_calls,omitempty"`
		Encryption  string `json:"encryption,omitempty"`
	}

	lineRecord struct {
		Name     string         `json:"name"`
		Group    string         `json:"group"`
		Account  accountRecord  `json:"account"`
		Number   string         `json:"number,omitempty"`
		Location string         `json:"location,omitempty"`
		Journal  bool           `json:"journal"`
		Disabled bool           `json:"disabled,omitempty"`
		DND      bool           `json:"dnd,omitempty"`
		Forward  *forwardRecord `json:"forward,omitempty"`
		// NoCallWaiting is the user's "call waiting off" switch.
		NoCallWaiting bool `json:"no_call_waiting,omitempty"`
	}
)

func toLocationRecord(l line.Location) (locationRecord, error) {
	return locationRecord{
		Name: l.Name, CountryCode: l.CountryCode, AreaCode: l.AreaCode,
		InternationalPrefix: l.InternationalPrefix, NationalPrefix: l.NationalPrefix,
		OutsideLine: l.OutsideLine, BaseNumber: l.BaseNumber,
		InternalMin: l.InternalMin, InternalMax: l.InternalMax,
	}, nil
}

func (r locationRecord) location() (line.Location, error) {
	return line.Location{
		Name: r.Name, CountryCode: r.CountryCode, AreaCode: r.AreaCode,
		InternationalPrefix: r.InternationalPrefix, NationalPrefix: r.NationalPrefix,
		OutsideLine: r.OutsideLine, BaseNumber: r.BaseNumber,
		InternalMin: r.InternalMin, InternalMax: r.InternalMax,
	}, nil
}

// enumText is the stored name of an enumeration value.
func enumText(v interface{ MarshalText() ([]byte, error) }) (string, error) {
	b, err := v.MarshalText()
	return string(b), err
}

func toGroupRecord(g line.Group) (groupRecord, error) {
	r := groupRecord{
		Name: g.Name, HideDecline: g.HideDecline, JournalAll: g.JournalAll, AutoNumbers: g.AutoNumbers,
		Location: g.Location, PerLineLocation: g.PerLineLocation, PickupCode: g.PickupCode,
		RegisterRate: g.RegisterRate, Voicemail: g.Voicemail, Monitored: g.Monitored,
	}
	var err error
	if r.NotLoggedOn, err = enumText(g.NotLoggedOn); err != nil {
		return groupRecord{}, fmt.Errorf("group %q: not logged on: %w", g.Name, err)
	}
	if r.ClientReject, err = enumText(g.ClientReject); err != nil {
		return groupRecord{}, fmt.Errorf("group %q: client reject: %w", g.Name, err)
	}
	for _, f := range g.DisabledFunctions {
		s, err := enumText(f)
		if err != nil {
			return groupRecord{}, fmt.Errorf("group %q: disabled functions: %w", g.Name, err)
		}
		r.DisabledFunctions = append(r.DisabledFunctions, s)
	}
	for _, fc := range g.FeatureCodes {
		r.FeatureCodes = append(r.FeatureCodes, featureCodeRecord{Name: fc.Name, Code: fc.Code})
	}
	return r, nil
}

func (r groupRecord) group() (line.Group, error) {
	g := line.Group{
		Name: r.Name, HideDecline: r.HideDecline, JournalAll: r.JournalAll, AutoNumbers: r.AutoNumbers,
		Location: r.Location, PerLineLocation: r.PerLineLocation, PickupCode: r.PickupCode,
		RegisterRate: r.RegisterRate, Voicemail: r.Voicemail, Monitored: r.Monitored,
	}
	// A missing response reads as unset, as it did when records were line.Group's JSON.
	if r.NotLoggedOn != "" {
		if err := g.NotLoggedOn.UnmarshalText([]byte(r.NotLoggedOn)); err != nil {
			return line.Group{}, fmt.Errorf("not_logged_on: %w", err)
		}
	}
	if r.ClientReject != "" {
		if err := g.ClientReject.UnmarshalText([]byte(r.ClientReject)); err != nil {
			return line.Group{}, fmt.Errorf("client_reject: %w", err)
		}
	}
	for _, s := range r.DisabledFunctions {
		var f line.Function
		if err := f.UnmarshalText([]byte(s)); err != nil {
			return line.Group{}, fmt.Errorf("disabled_functions: %w", err)
		}
		g.DisabledFunctions = append(g.DisabledFunctions, f)
	}
	for _, fc := range r.FeatureCodes {
		g.FeatureCodes = append(g.FeatureCodes, line.FeatureCode{Name: fc.Name, Code: fc.Code})
	}
	return g, nil
}

func toLineRecord(l line.Line) (lineRecord, error) {
	a := l.Account
	transport, err := enumText(a.Transport)
	if err != nil {
		return lineRecord{}, fmt.Errorf("line %q: transport: %w", l.Name, err)
	}
	var encryption string
	if a.Encryption != line.EncryptionOff {
		if encryption, err = enumText(a.Encryption); err != nil {
			return lineRecord{}, fmt.Errorf("line %q: encryption: %w", l.Name, err)
		}
	}
	var fwd *forwardRecord
	if l.Forward != (line.Forward{}) {
		mode, err := enumText(l.Forward.Mode)
		if err != nil {
			return lineRecord{}, fmt.Errorf("line %q: forward mode: %w", l.Name, err)
		}
		fwd = &forwardRecord{Mode: mode, Target: l.Forward.Target, After: l.Forward.After}
	}
	return lineRecord{
		Name: l.Name, Group: l.Group, Forward: fwd, NoCallWaiting: l.NoCallWaiting,
		Account: accountRecord{
			Registrar: a.Registrar, Proxy: a.Proxy, Domain: a.Domain, User: a.User,
			AuthUser: a.AuthUser, Password: a.Password, Transport: transport,
			DisplayName: a.DisplayName, Expires: a.Expires, CAFile: a.CAFile, DirectCalls: a.DirectCalls,
			Encryption: encryption,
		},
		Number: l.Number, Location: l.Location, Journal: l.Journal, Disabled: l.Disabled, DND: l.DND,
	}, nil
}

func (r lineRecord) line() (line.Line, error) {
	a := r.Account
	l := line.Line{
		Name: r.Name, Group: r.Group,
		Account: line.Account{
			Registrar: a.Registrar, Proxy: a.Proxy, Domain: a.Domain, User: a.User,
			AuthUser: a.AuthUser, Password: a.Password,
			DisplayName: a.DisplayName, Expires: a.Expires, CAFile: a.CAFile, DirectCalls: a.DirectCalls,
		},
		Number: r.Number, Location: r.Location, Journal: r.Journal, Disabled: r.Disabled, DND: r.DND,
		NoCallWaiting: r.NoCallWaiting,
	}
	if f := r.Forward; f != nil {
		if err := l.Forward.Mode.UnmarshalText([]byte(f.Mode)); err != nil {
			return line.Line{}, fmt.Errorf("forward.mode: %w", err)
		}
		l.Forward.Target, l.Forward.After = f.Target, f.After
	}
	if err := l.Account.Transport.UnmarshalText([]byte(a.Transport)); err != nil {
		return line.Line{}, fmt.Errorf("account.transport: %w", err)
	}
	if err := l.Account.Encryption.UnmarshalText([]byte(a.Encryption)); err != nil {
		return line.Line{}, fmt.Errorf("account.encryption: %w", err)
	}
	return l, nil
}
