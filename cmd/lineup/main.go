// Command lineup is the Lineup softphone and line manager. Without a subcommand it opens the
// desktop app; the subcommands (serve, dial, call, journal, provision, audio: see usage below and
// README.md) run the headless line server and manage its data. Every subcommand takes --data DIR
// (or LINEUP_DATA) to choose the data directory; the default is the user's configuration
// directory. --secrets (or LINEUP_SECRETS) chooses where SIP passwords are kept: the OS keyring
// or the data file. This package only wires the parts together; gui.go is its one file with cgo (to
// hand freed C heap back to the system), and the sound devices' cgo stays in media/device.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/lineupphone/lineup/audio"
	"github.com/lineupphone/lineup/store"
)

const usage = `usage: lineup [--data DIR] [--secrets auto|keyring|database] [<command> [arguments]]

Without a command Lineup opens the desktop app, which runs the line server in-process.
LINEUP_SIP_LISTEN, LINEUP_SIP_PORT, LINEUP_AUDIO, LINEUP_AUDIO_RECORD and LINEUP_API set
for it what serve's --sip-listen, --sip-port, --audio, --audio-record and --api set.

A tel:, sip:, sips: or callto: link as the only argument dials it: through the running
app (or serve --api) on the data directory, or in the app, started for it. A second
start of the app brings the running one to the front.

commands:
  serve [--api 127.0.0.1:PORT] [--api-allow-remote] [--audio MODE] [--audio-record DIR]
                           register the lines and run the line server headless;
                           --api serves the local HTTP API (port 0: a free port);
                           --audio system, null, none, tone:HZ or wav:FILE (a tone or
                           a WAV file as every call's microphone, no sound card needed),
                           --audio-record DIR writes each call's audio to a WAV file
  dial NUMBER [--line NAME]
                           dial through the running line server (serve --api);
                           prints the call ID and what was dialled
  voicemail [LINE]         call the line's voicemail box (the group's voicemail number)
                           through the running line server; prints the call
  lamps                    print each line's voicemail lamp (new, old) and busy lamps
  call list                list the calls going on (ID, line, state, far end, transfer
                           or conference)
  call answer|hangup|hold|retrieve|complete|conference ID
  call transfer|consult ID NUMBER
                           work a call through the running line server: transfer
                           passes it on to NUMBER, consult holds it and calls NUMBER
                           (prints the new call), complete joins a consultation with
                           the held call, conference joins the held call and the
                           talking one in a three-way conference
  forward LINE [off | always|busy|no-answer NUMBER [--after N]]
                           show or set the line's call forwarding through the running
                           line server: all calls, calls while the line has one, or
                           calls not answered within N seconds go to NUMBER (302)
  call-waiting LINE on|off  offer a second call while the line has one, or answer it
                           busy
  journal [--csv] [--line L] [--number N] [--exact] [--outcome O]
          [--from T] [--to T] [--limit N]
                           print the call journal, newest first (a table, or CSV)
  provision import FILE    replace the whole set-up with a provisioning file (TOML)
  provision export         print the set-up as a provisioning file
  register-handlers        make Lineup open tel:, sip: and callto: links (Windows: the
                           user's registry keys; Linux: xdg-mime default for the
                           installed desktop entry); unregister-handlers undoes it
  audio devices            list the sound devices with their IDs and the ones chosen
  audio set [--call-capture ID] [--call-playback ID] [--ringer ID]
                           choose the sound devices for calls and the ringer
                           (an ID from 'audio devices', or default)

The data directory defaults to the user's configuration directory; --data or
LINEUP_DATA overrides it.

SIP passwords are kept in the OS keyring (Secret Service, Keychain, Credential
Manager) when there is one; --secrets or LINEUP_SECRETS chooses: auto (the
default: the keyring, else lineup.db with a warning), keyring (fail without
one) or database (always lineup.db, protected by its file mode 0600).
`

// errUsage marks a command line that was not understood; main prints the usage for it.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// globalFlags are accepted before and after the subcommand name.
type globalFlags struct {
	data     string
	logLevel string
	secrets  string
}

// register adds the global flags to fs, keeping what an earlier parse set as the defaults.
func (g *globalFlags) register(fs *flag.FlagSet) {
	if g.data == "" {
		g.data = os.Getenv("LINEUP_DATA")
	}
	if g.logLevel == "" {
		g.logLevel = "info"
	}
	if g.secrets == "" {
		g.secrets = os.Getenv("LINEUP_SECRETS")
	}
	if g.secrets == "" {
		g.secrets = "auto"
	}
	fs.StringVar(&g.data, "data", g.data, "data `directory` (default: the user's configuration directory)")
	fs.StringVar(&g.logLevel, "log-level", g.logLevel, "log `level`: debug, info, warn or error")
	fs.StringVar(&g.secrets, "secrets", g.secrets, "where SIP passwords are kept: `auto`, keyring or database")
}

// storeOptions are the store's options for --secrets, logging to log.
func (g *globalFlags) storeOptions(log *slog.Logger) ([]store.Option, error) {
	opts := []store.Option{store.WithLogger(log)}
	switch g.secrets {
	case "auto":
		opts = append(opts, store.WithSecrets(store.OSKeyring{}))
	case "keyring":
		opts = append(opts, store.WithSecrets(store.OSKeyring{}), store.WithSecretsRequired())
	case "database":
		opts = append(opts, store.WithoutSecrets("--secrets database"))
	default:
		return nil, fmt.Errorf("--secrets %q: want auto, keyring or database: %w", g.secrets, errUsage)
	}
	return opts, nil
}

func (g *globalFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})), nil
}

// dataDir returns the data directory: --data, LINEUP_DATA or the default.
func (g *globalFlags) dataDir() (string, error) {
	if g.data != "" {
		return g.data, nil
	}
	return store.DefaultDir()
}

// openStore opens the data directory's store as --secrets says, logging to stderr.
func (g *globalFlags) openStore(stderr io.Writer) (*store.Store, error) {
	log, err := g.logger(stderr)
	if err != nil {
		return nil, err
	}
	dir, err := g.dataDir()
	if err != nil {
		return nil, err
	}
	opts, err := g.storeOptions(log)
	if err != nil {
		return nil, err
	}
	return store.Open(dir, opts...)
}

func run(args []string, stdout, stderr io.Writer) int {
	var g globalFlags
	fs := flag.NewFlagSet("lineup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fs.Args()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(rest) == 0:
		err = runGUI(ctx, &g, stderr)
	case isLink(rest[0]) && len(rest) == 1:
		err = cmdLink(ctx, &g, rest[0], stdout, stderr)
	case rest[0] == "serve":
		err = cmdServe(ctx, &g, rest[1:], stderr)
	case rest[0] == "dial":
		err = cmdDial(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "call":
		err = cmdCall(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "forward":
		err = cmdForward(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "call-waiting":
		err = cmdCallWaiting(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "voicemail":
		err = cmdVoicemail(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "lamps":
		err = cmdLamps(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "journal":
		err = cmdJournal(ctx, &g, rest[1:], stdout, stderr)
	case rest[0] == "provision":
		err = cmdProvision(&g, rest[1:], stdout, stderr)
	case rest[0] == "audio":
		err = cmdAudio(&g, rest[1:], stdout, stderr)
	case rest[0] == "register-handlers" || rest[0] == "unregister-handlers":
		err = cmdHandlers(rest[0] == "register-handlers", rest[1:], stdout)
	case rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = fmt.Errorf("unknown command %q: %w", rest[0], errUsage)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "lineup: %v\n", err)
	if errors.Is(err, errUsage) || errors.Is(err, audio.ErrUsage) {
		fmt.Fprint(stderr, usage)
		return 2
	}
	return 1
}
