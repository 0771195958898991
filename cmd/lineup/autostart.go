package main

import (
	"errors"
	"os"
)

// autostart starts the desktop app with the user's session (the settings window's Desktop tab,
// ui.Autostart): what it starts is this executable, with the data directory it was given.
type autostart struct {
	exe  string
	args []string // --data DIR when one was chosen
}

// newAutostart is the autostart of the running app, or nil when its executable is unknown.
func newAutostart(g *globalFlags) *autostart {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	a := &autostart{exe: exe}
	if g.data != "" {
		a.args = []string{"--data", g.data}
	}
	return a
}

// fileExists reports whether the autostart file at p is there (Linux, the BSDs, macOS).
func fileExists(p string) (bool, error) {
	_, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// removeIfThere removes the autostart file at p; one that is not there is no error.
func removeIfThere(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
