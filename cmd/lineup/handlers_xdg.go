//go:build !windows

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// desktopEntry is the file name of the installed desktop entry (scripts/dist.sh makes it).
const desktopEntry = appID + ".desktop"

// registerHandlers makes the installed desktop entry the user's default for the link schemes
// with xdg-mime (xdg-utils), which writes mimeapps.list. The entry must be installed first:
// `make user-install` or `sudo make install` from the Linux archive.
func registerHandlers(string) (string, error) {
	if _, err := findDesktopEntry(); err != nil {
		return "", err
	}
	args := []string{"default", desktopEntry}
	for _, s := range linkSchemes {
		args = append(args, "x-scheme-handler/"+s)
	}
	out, err := exec.Command("xdg-mime", args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("xdg-mime: %w: %s", err, bytes.TrimSpace(out))
	}
	return "xdg-mime default " + desktopEntry, nil
}

// unregisterHandlers removes the defaults that name Lineup's entry from the user's mimeapps.list
// (xdg-mime can set a default, not unset one); other programs' defaults stay.
func unregisterHandlers() (string, error) {
	path := filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "mimeapps.list")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "no " + path, nil
	}
	if err != nil {
		return "", err
	}
	var out strings.Builder
	removed := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		l := sc.Text()
		if key, val, ok := strings.Cut(l, "="); ok && isLinkKey(strings.TrimSpace(key)) {
			var keep []string
			for _, app := range strings.Split(val, ";") {
				if app = strings.TrimSpace(app); app != "" && app != desktopEntry {
					keep = append(keep, app)
				}
			}
			if len(keep) == 0 {
				removed++
				continue
			}
			l = key + "=" + strings.Join(keep, ";") + ";"
		}
		out.WriteString(l + "\n")
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	tmp := path + ".lineup-tmp"
	if err := os.WriteFile(tmp, []byte(out.String()), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return fmt.Sprintf("%d entries removed from %s", removed, path), nil
}

func isLinkKey(key string) bool {
	for _, s := range linkSchemes {
		if key == "x-scheme-handler/"+s {
			return true
		}
	}
	return false
}

// findDesktopEntry finds the installed entry where the XDG base directories say applications are.
func findDesktopEntry() (string, error) {
	dirs := []string{xdgDir("XDG_DATA_HOME", filepath.Join(".local", "share"))}
	sys := os.Getenv("XDG_DATA_DIRS")
	if sys == "" {
		sys = "/usr/local/share:/usr/share"
	}
	dirs = append(dirs, filepath.SplitList(sys)...)
	for _, d := range dirs {
		p := filepath.Join(d, "applications", desktopEntry)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not installed in %s: install Lineup's Linux archive first (make user-install)", desktopEntry, strings.Join(dirs, ", "))
}

// xdgDir is the XDG base directory env names, or HOME/def when it is unset.
func xdgDir(env, def string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, def)
}
