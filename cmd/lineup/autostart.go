package main

import "os"

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
