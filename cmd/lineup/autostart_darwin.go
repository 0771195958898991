//go:build darwin

package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
)

// On macOS the app starts with the session through a launch agent of the user
// (~/Library/LaunchAgents), run at load.

func (a *autostart) path() string {
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "Library", "LaunchAgents", appID+".plist")
}

func (a *autostart) Enabled() (bool, error) { return fileExists(a.path()) }

func (a *autostart) SetEnabled(on bool) error {
	p := a.path()
	if !on {
		return removeIfThere(p)
	}
	var args strings.Builder
	for _, s := range append([]string{a.exe}, a.args...) {
		args.WriteString("\t\t<string>")
		_ = xml.EscapeText(&args, []byte(s))
		args.WriteString("</string>\n")
	}
	body := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + appID + `</string>
	<key>ProgramArguments</key>
	<array>
` + args.String() + `	</array>
	<key>RunAtLoad</key>
	<true/>
</dict>
</plist>
`
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(body), 0o644)
}
