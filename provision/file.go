package provision

import (
	"github.com/lineupphone/lineup/line"
)

// The TOML types of a provisioning file. They, not package line's types, define the file's keys
// (README.md, "Provisioning files", documents each of them), so that no change to the domain
// types, the data file or the HTTP API renames a key of the file. testdata/full.toml pins the
// format. Enumerations are written by their text names ("486", "hangup", "tls").
type (
	fileConfig struct {
		Locations []fileLocation `toml:"location,omitempty"`
		Groups    []fileGroup    `toml:"group,omitempty"`
		Lines     []fileLine     `toml:"line,omitempty"`
	}

	fileLocation struct {
		Name                string `toml:"name"`
		CountryCode         string `toml:"country_code"`
		AreaCode            string `toml:"area_code,omitempty"`
		InternationalPrefix string `toml:"international_prefix"`
		NationalPrefix      string `toml:"national_prefix,omitempty"`
		OutsideLine         string `toml:"outside_line,omitempty"`
		BaseNumber          string `toml:"base_number,omitempty"`
		InternalMin         int    `toml:"internal_min"`
		InternalMax         int    `toml:"internal_max"`
	}

	fileFeatureCode struct {
		Name string `toml:"name"`
		Code string `toml:"code"`
	}

	fileGroup struct {
		Name              string            `toml:"name"`
		NotLoggedOn       line.Response     `toml:"not_logged_on"`
		ClientReject      line.Response     `toml:"client_reject"`
		HideDecline       bool              `toml:"hide_decline"`
		JournalAll        bool              `toml:"journal_all"`
		AutoNumbers       bool              `toml:"auto_numbers"`
		Location          string            `toml:"location,omitempty"`
		PerLineLocation   bool              `toml:"per_line_location"`
		DisabledFunctions []line.Function   `toml:"disabled_functions,omitempty"`
		FeatureCodes      []fileFeatureCode `toml:"feature_code,omitempty"`
		PickupCode        string            `toml:"pickup_code,omitempty"`
		RegisterRate      float64           `toml:"register_rate,omitempty"`
		Voicemail         string            `toml:"voicemail,omitempty"`
		Monitored         []string          `toml:"monitored,omitempty"`
	}

	fileForward struct {
		Mode   line.ForwardMode `toml:"mode"`
		Target string           `toml:"target,omitempty"`
		After  int              `toml:"after,omitempty"`
	}

	fileAccount struct {
		Registrar   string               `toml:"registrar"`
		Proxy       string               `toml:"proxy,omitempty"`
		Domain      string               `toml:"domain,omitempty"`
		User        string               `toml:"user"`
		AuthUser    string               `toml:"auth_user,omitempty"`
		Password    string               `toml:"password,omitempty"`
		Transport   line.Transport       `toml:"transport"`
		DisplayName string               `toml:"display_name,omitempty"`
		Expires     int                  `toml:"expires,omitempty"`
		CAFile      string               `toml:"ca_file,omitempty"`
		DirectCalls bool                 `toml:"direct_calls,omitempty"`
		Encryption  line.MediaEncryption `toml:"encryption,omitempty"`
	}

	fileLine struct {
		Name     string      `toml:"name"`
		Group    string      `toml:"group"`
		Account  fileAccount `toml:"account"`
		Number   string      `toml:"number,omitempty"`
		Location string      `toml:"location,omitempty"`
		Journal  bool        `toml:"journal"`
		Disabled bool        `toml:"disabled,omitempty"`
		DND      bool        `toml:"dnd,omitempty"`
		// NoCallWaiting is the user's "call waiting off" switch.
		NoCallWaiting bool `toml:"no_call_waiting,omitempty"`
		// Forward is left out of a line that does not forward and keeps no target.
		Forward *fileForward `toml:"forward,omitempty"`
	}
)

// mapSlice converts each element of in, keeping a nil slice nil and an empty one empty.
func mapSlice[S, T any](in []S, f func(S) T) []T {
	if in == nil {
		return nil
	}
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func toFile(c line.Config) fileConfig {
	return fileConfig{
		Locations: mapSlice(c.Locations, func(l line.Location) fileLocation {
			return fileLocation{
				Name: l.Name, CountryCode: l.CountryCode, AreaCode: l.AreaCode,
				InternationalPrefix: l.InternationalPrefix, NationalPrefix: l.NationalPrefix,
				OutsideLine: l.OutsideLine, BaseNumber: l.BaseNumber,
				InternalMin: l.InternalMin, InternalMax: l.InternalMax,
			}
		}),
		Groups: mapSlice(c.Groups, func(g line.Group) fileGroup {
			return fileGroup{
				Name: g.Name, NotLoggedOn: g.NotLoggedOn, ClientReject: g.ClientReject,
				HideDecline: g.HideDecline, JournalAll: g.JournalAll, AutoNumbers: g.AutoNumbers,
				Location: g.Location, PerLineLocation: g.PerLineLocation,
				DisabledFunctions: mapSlice(g.DisabledFunctions, func(f line.Function) line.Function { return f }),
				FeatureCodes: mapSlice(g.FeatureCodes, func(fc line.FeatureCode) fileFeatureCode {
					return fileFeatureCode{Name: fc.Name, Code: fc.Code}
				}),
				PickupCode: g.PickupCode, RegisterRate: g.RegisterRate,
				Voicemail: g.Voicemail, Monitored: mapSlice(g.Monitored, func(s string) string { return s }),
			}
		}),
		Lines: mapSlice(c.Lines, func(l line.Line) fileLine {
			a := l.Account
			var fwd *fileForward
			if l.Forward != (line.Forward{}) {
				fwd = &fileForward{Mode: l.Forward.Mode, Target: l.Forward.Target, After: l.Forward.After}
			}
			return fileLine{
				Forward: fwd, NoCallWaiting: l.NoCallWaiting,
				Name: l.Name, Group: l.Group,
				Account: fileAccount{
					Registrar: a.Registrar, Proxy: a.Proxy, Domain: a.Domain, User: a.User,
					AuthUser: a.AuthUser, Password: a.Password, Transport: a.Transport,
					DisplayName: a.DisplayName, Expires: a.Expires, CAFile: a.CAFile, DirectCalls: a.DirectCalls,
					Encryption: a.Encryption,
				},
				Number: l.Number, Location: l.Location, Journal: l.Journal, Disabled: l.Disabled, DND: l.DND,
			}
		}),
	}
}

func (f fileConfig) config() line.Config {
	return line.Config{
		Locations: mapSlice(f.Locations, func(l fileLocation) line.Location {
			return line.Location{
				Name: l.Name, CountryCode: l.CountryCode, AreaCode: l.AreaCode,
				InternationalPrefix: l.InternationalPrefix, NationalPrefix: l.NationalPrefix,
				OutsideLine: l.OutsideLine, BaseNumber: l.BaseNumber,
				InternalMin: l.InternalMin, InternalMax: l.InternalMax,
			}
		}),
		Groups: mapSlice(f.Groups, func(g fileGroup) line.Group {
			return line.Group{
				Name: g.Name, NotLoggedOn: g.NotLoggedOn, ClientReject: g.ClientReject,
				HideDecline: g.HideDecline, JournalAll: g.JournalAll, AutoNumbers: g.AutoNumbers,
				Location: g.Location, PerLineLocation: g.PerLineLocation,
				DisabledFunctions: mapSlice(g.DisabledFunctions, func(f line.Function) line.Function { return f }),
				FeatureCodes: mapSlice(g.FeatureCodes, func(fc fileFeatureCode) line.FeatureCode {
					return line.FeatureCode{Name: fc.Name, Code: fc.Code}
				}),
				PickupCode: g.PickupCode, RegisterRate: g.RegisterRate,
				Voicemail: g.Voicemail, Monitored: mapSlice(g.Monitored, func(s string) string { return s }),
			}
		}),
		Lines: mapSlice(f.Lines, func(l fileLine) line.Line {
			a := l.Account
			var fwd line.Forward
			if l.Forward != nil {
				fwd = line.Forward{Mode: l.Forward.Mode, Target: l.Forward.Target, After: l.Forward.After}
			}
			return line.Line{
				Forward: fwd, NoCallWaiting: l.NoCallWaiting,
				Name: l.Name, Group: l.Group,
				Account: line.Account{
					Registrar: a.Registrar, Proxy: a.Proxy, Domain: a.Domain, User: a.User,
					AuthUser: a.AuthUser, Password: a.Password, Transport: a.Transport,
					DisplayName: a.DisplayName, Expires: a.Expires, CAFile: a.CAFile, DirectCalls: a.DirectCalls,
					Encryption: a.Encryption,
				},
				Number: l.Number, Location: l.Location, Journal: l.Journal, Disabled: l.Disabled, DND: l.DND,
			}
		}),
	}
}
