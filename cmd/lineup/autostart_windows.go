//go:build windows

package main

import (
	"errors"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// On Windows the app starts with the session through a value "Lineup" of the user's Run key.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

func (a *autostart) Enabled() (bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE)
	if err != nil {
		return false, nil
	}
	defer k.Close()
	_, _, err = k.GetStringValue("Lineup")
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (a *autostart) SetEnabled(on bool) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue("Lineup"); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return err
		}
		return nil
	}
	cmd := []string{`"` + a.exe + `"`}
	for _, arg := range a.args {
		cmd = append(cmd, `"`+strings.ReplaceAll(arg, `"`, `\"`)+`"`)
	}
	return k.SetStringValue("Lineup", strings.Join(cmd, " "))
}
