//go:build windows

package main

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// registerHandlers writes the per-user URL protocol keys (HKCU\Software\Classes\SCHEME) that
// make exe open tel:, sip: and callto: links: "URL Protocol", the icon and the open command with
// the link as its one argument. No administrator rights are needed.
func registerHandlers(exe string) (string, error) {
	for _, s := range linkSchemes {
		k, _, err := registry.CreateKey(registry.CURRENT_USER, `Software\Classes\`+s, registry.SET_VALUE)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s, err)
		}
		err = errors.Join(k.SetStringValue("", "URL:"+s+" link (Lineup)"), k.SetStringValue("URL Protocol", ""))
		k.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %w", s, err)
		}
		for sub, val := range map[string]string{
			`DefaultIcon`:        `"` + exe + `",0`,
			`shell\open\command`: `"` + exe + `" "%1"`,
		} {
			k, _, err := registry.CreateKey(registry.CURRENT_USER, `Software\Classes\`+s+`\`+sub, registry.SET_VALUE)
			if err != nil {
				return "", fmt.Errorf("%s: %w", s, err)
			}
			err = k.SetStringValue("", val)
			k.Close()
			if err != nil {
				return "", fmt.Errorf("%s: %w", s, err)
			}
		}
	}
	return `HKEY_CURRENT_USER\Software\Classes\tel, sip, callto`, nil
}

// unregisterHandlers removes the keys registerHandlers wrote, only where their open command
// still starts Lineup (another program may have taken a scheme since).
func unregisterHandlers() (string, error) {
	var done []string
	for _, s := range linkSchemes {
		base := `Software\Classes\` + s
		k, err := registry.OpenKey(registry.CURRENT_USER, base+`\shell\open\command`, registry.QUERY_VALUE)
		if err != nil {
			continue // not registered
		}
		cmd, _, err := k.GetStringValue("")
		k.Close()
		if err != nil || !strings.Contains(strings.ToLower(cmd), "lineup") {
			continue
		}
		for _, sub := range []string{`\shell\open\command`, `\shell\open`, `\shell`, `\DefaultIcon`, ``} {
			if err := registry.DeleteKey(registry.CURRENT_USER, base+sub); err != nil && !errors.Is(err, registry.ErrNotExist) {
				return "", fmt.Errorf("%s: %w", s, err)
			}
		}
		done = append(done, s)
	}
	return fmt.Sprintf("removed: %s", strings.Join(done, ", ")), nil
}
