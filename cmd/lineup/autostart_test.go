//go:build !windows && !darwin

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Start with the session on Linux: an XDG autostart entry that desktop-file-validate accepts,
// starting this executable on the chosen data directory (quoted as the spec asks), and gone
// again when switched off.
func TestAutostartEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	a := &autostart{exe: "/opt/Line up/lineup", args: []string{"--data", "/home/ann/phone $data"}}
	if on, err := a.Enabled(); on || err != nil {
		t.Fatalf("before: enabled %v, %v; want off", on, err)
	}
	if err := a.SetEnabled(true); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cfg, "autostart", desktopEntry)
	body, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := `Exec="/opt/Line up/lineup" --data "/home/ann/phone \$data"`; !strings.Contains(string(body), want+"\n") {
		t.Errorf("the entry lacks %s:\n%s", want, body)
	}
	if out, err := exec.Command("desktop-file-validate", p).CombinedOutput(); err != nil {
		t.Errorf("desktop-file-validate: %v\n%s", err, out)
	}
	if on, err := a.Enabled(); !on || err != nil {
		t.Errorf("after on: enabled %v, %v", on, err)
	}
	if err := a.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the entry is still there after off: %v", err)
	}
	if err := a.SetEnabled(false); err != nil {
		t.Errorf("off twice: %v", err)
	}
}
