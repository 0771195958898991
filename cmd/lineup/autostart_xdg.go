//go:build !windows && !darwin

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// On Linux and the BSDs the app starts with the session through an entry in the user's XDG
// autostart folder (the Desktop Application Autostart Specification): there when on, gone when
// off.

func (a *autostart) path() string {
	return filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "autostart", desktopEntry)
}

func (a *autostart) Enabled() (bool, error) { return fileExists(a.path()) }

func (a *autostart) SetEnabled(on bool) error {
	p := a.path()
	if !on {
		return removeIfThere(p)
	}
	exec := []string{desktopQuote(a.exe)}
	for _, arg := range a.args {
		exec = append(exec, desktopQuote(arg))
	}
	body := fmt.Sprintf("[Desktop Entry]\nType=Application\nName=Lineup\nComment=Start Lineup with the session\nExec=%s\nIcon=%s\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
		strings.Join(exec, " "), appID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// desktopQuote quotes an Exec argument as the Desktop Entry Specification asks: in double
// quotes with ", `, $ and \ escaped, when it holds anything but plain characters; a % is doubled.
func desktopQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}
