package main

import (
	"fmt"
	"io"
	"os"
)

// `lineup register-handlers` makes Lineup the program that opens tel:, sip: and callto: links
// for this user, and `lineup unregister-handlers` undoes it. How is the system's: the per-user
// registry keys on Windows (handlers_windows.go), the XDG default applications elsewhere
// (handlers_xdg.go); a macOS app bundle declares its schemes in its Info.plist instead.

// linkSchemes are the links Lineup opens.
var linkSchemes = []string{"tel", "sip", "callto"}

// appID names the desktop entry and the registry keys (FyneApp.toml's ID).
const appID = "com.github.lineupphone.lineup"

func cmdHandlers(register bool, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("register-handlers and unregister-handlers take no arguments: %w", errUsage)
	}
	if register {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("register-handlers: %w", err)
		}
		where, err := registerHandlers(exe)
		if err != nil {
			return fmt.Errorf("register-handlers: %w", err)
		}
		fmt.Fprintf(stdout, "Lineup now opens tel:, sip: and callto: links (%s)\n", where)
		return nil
	}
	where, err := unregisterHandlers()
	if err != nil {
		return fmt.Errorf("unregister-handlers: %w", err)
	}
	fmt.Fprintf(stdout, "Lineup no longer opens tel:, sip: and callto: links (%s)\n", where)
	return nil
}
