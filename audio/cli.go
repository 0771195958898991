package audio

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/lineupphone/lineup/media/device"
)

// ErrUsage is wrapped by Command's errors for a command line it does not understand.
var ErrUsage = errors.New("usage")

// CommandEnv is what `lineup audio` takes from the program: its global flags and, once they are
// parsed, its logger and its settings store.
type CommandEnv struct {
	// Register adds the program's global flags to a subcommand's flags.
	Register func(*flag.FlagSet)
	Logger   func() (*slog.Logger, error)
	// Open opens the settings store (the data directory's *store.Store).
	Open           func() (SettingsStore, error)
	Stdout, Stderr io.Writer
}

// SettingsStore is Settings that must be closed after use.
type SettingsStore interface {
	Settings
	Close() error
}

// Command is `lineup audio devices` (list the devices and the ones chosen) and `lineup audio set
// [--call-capture ID] [--call-playback ID] [--ringer ID]` (choose them, then list them); args
// are the words after "audio". --audio null lists miniaudio's silent devices (for tests).
func Command(args []string, env CommandEnv) error {
	if len(args) == 0 {
		return fmt.Errorf("audio needs a subcommand (devices or set): %w", ErrUsage)
	}
	fs := flag.NewFlagSet("audio "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	env.Register(fs)
	mode := fs.String("audio", "system", "sound `backend`: system, or null (silent devices, for tests)")
	var changes func() map[string]string
	switch args[0] {
	case "devices":
	case "set":
		changes = addSetFlags(fs)
	default:
		return fmt.Errorf("unknown audio subcommand %q: %w", args[0], ErrUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("audio %s: %w", args[0], ErrUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("audio %s takes no arguments: %w", args[0], ErrUsage)
	}
	if *mode != "system" && *mode != "null" {
		return fmt.Errorf("--audio %q: want system or null: %w", *mode, ErrUsage)
	}
	if changes != nil && len(changes()) == 0 {
		return fmt.Errorf("audio set needs --call-capture, --call-playback or --ringer: %w", ErrUsage)
	}
	log, err := env.Logger()
	if err != nil {
		return err
	}
	sys, err := OpenSystem(*mode, log)
	if err != nil {
		return err
	}
	defer sys.Close()
	st, err := env.Open()
	if err != nil {
		return err
	}
	defer st.Close()
	if changes != nil {
		if err := Set(sys, st, changes()); err != nil {
			return err
		}
	}
	return WriteDevices(env.Stdout, sys, st)
}

// addSetFlags adds the flags of `lineup audio set` to fs: --call-capture, --call-playback and
// --ringer, each the ID of a device (or "default") for one use. Once fs is parsed, changes
// returns the flags given, by name, as Set takes them.
func addSetFlags(fs *flag.FlagSet) (changes func() map[string]string) {
	fs.String("call-capture", "", "`ID` of the microphone for calls, or default")
	fs.String("call-playback", "", "`ID` of the speaker or headset for calls, or default")
	fs.String("ringer", "", "`ID` of the playback device that rings, or default")
	return func() map[string]string {
		c := map[string]string{}
		fs.Visit(func(f *flag.Flag) {
			if flagKey(f.Name) != "" {
				c[f.Name] = f.Value.String()
			}
		})
		return c
	}
}

// Set is `lineup audio set`: changes maps the flag names of `lineup audio set` to device IDs; an empty ID or
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
