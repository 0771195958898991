package audio

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/lineupphone/lineup/media/device"
)

// SetFlags are the flags of `lineup audio set`, each naming the ID of a device (or "default")
// for one use, with their usage text.
var SetFlags = []struct{ Name, Usage string }{
	{"call-capture", "`ID` of the microphone for calls, or default"},
	{"call-playback", "`ID` of the speaker or headset for calls, or default"},
	{"ringer", "`ID` of the playback device that rings, or default"},
}

// Set is `lineup audio set`: changes maps flag names of SetFlags to device IDs; an empty ID or
// "default" is the system default. Every ID must be of a device attached to sys, else nothing is
// saved and the error names the flag and the ID.
func Set(sys *device.System, st Settings, changes map[string]string) error {
	capture, playback, err := listDevices(sys)
	if err != nil {
		return err
	}
	settings := map[string]string{}
	for name, id := range changes {
		key := flagKey(name)
		if key == "" {
			return fmt.Errorf("audio set: no flag --%s", name)
		}
		id = strings.TrimSpace(id)
		if id == "" || strings.EqualFold(id, "default") {
			settings[key] = "" // removes the setting: the system default
			continue
		}
		list := playback
		if key == settingCallCapture {
			list = capture
		}
		if !hasDevice(list, id) {
			return fmt.Errorf("%s: no device with ID %q is attached (see 'lineup audio devices')", flagOf(key), id)
		}
		settings[key] = id
	}
	return st.SetSettings(settings)
}

// flagKey and flagOf map the set flags to their settings and back.
func flagKey(name string) string {
	switch name {
	case "call-capture":
		return settingCallCapture
	case "call-playback":
		return settingCallPlayback
	case "ringer":
		return settingRinger
	}
	return ""
}

func flagOf(key string) string {
	switch key {
	case settingCallCapture:
		return "--call-capture"
	case settingCallPlayback:
		return "--call-playback"
	}
	return "--ringer"
}

func hasDevice(list []device.Info, id string) bool {
	for _, d := range list {
		if d.ID == id {
			return true
		}
	}
	return false
}

// WriteDevices lists the devices of sys with their IDs, marking the system default and the
// chosen ones, and then says what is chosen (and when a chosen device is not attached): the
// output of `lineup audio devices` and `lineup audio set`.
func WriteDevices(w io.Writer, sys *device.System, st Settings) error {
	capture, playback, err := listDevices(sys)
	if err != nil {
		return err
	}
	c, err := LoadChoice(st)
	if err != nil {
		return err
	}
	printDevices(w, capture, playback, c)
	return nil
}

// printDevices writes what WriteDevices says.
func printDevices(w io.Writer, capture, playback []device.Info, c Choice) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string, list []device.Info, uses func(device.Info) []string) {
		fmt.Fprintf(tw, "%s\n", title)
		if len(list) == 0 {
			fmt.Fprintf(tw, "  (none)\n")
		}
		for _, d := range list {
			var marks []string
			if d.Default {
				marks = append(marks, "system default")
			}
			marks = append(marks, uses(d)...)
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.ID, d.Name, strings.Join(marks, ", "))
		}
	}
	chosen := func(id, what string) func(device.Info) []string {
		return func(d device.Info) []string {
			if id == d.ID || id == "" && d.Default {
				return []string{what}
			}
			return nil
		}
	}
	section("capture devices:", capture, chosen(c.CallCapture, "calls"))
	section("playback devices:", playback, func(d device.Info) []string {
		return append(chosen(c.CallPlayback, "calls")(d), chosen(c.Ringer, "ringer")(d)...)
	})
	tw.Flush()
	fmt.Fprintln(w)
	for _, x := range []struct {
		what, id string
		list     []device.Info
	}{
		{"call capture", c.CallCapture, capture},
		{"call playback", c.CallPlayback, playback},
		{"ringer", c.Ringer, playback},
	} {
		switch {
		case x.id == "":
			fmt.Fprintf(w, "%s: system default\n", x.what)
		case hasDevice(x.list, x.id):
			fmt.Fprintf(w, "%s: %s\n", x.what, x.id)
		default:
			fmt.Fprintf(w, "%s: %s (not attached: the system default is used)\n", x.what, x.id)
		}
	}
}
