package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportLeavesPasswordsOutUnlessAsked: `provision export` writes no SIP password, `--passwords`
// writes them (a full backup), and importing the export without passwords keeps the stored ones.
func TestExportLeavesPasswordsOutUnlessAsked(t *testing.T) {
	data := t.TempDir()
	if out, errOut, code := lineup(t, "--data", data, "provision", "import", provisionFile(t, "127.0.0.1:5060", "")); code != 0 {
		t.Fatalf("import: %s %s", out, errOut)
	}
	bare, _, code := lineup(t, "--data", data, "provision", "export")
	if code != 0 || strings.Contains(bare, "pw-201") || strings.Contains(bare, "password =") {
		t.Fatalf("export without --passwords: exit %d, holds a password:\n%s", code, bare)
	}
	full, _, code := lineup(t, "--data", data, "provision", "export", "--passwords")
	if code != 0 || !strings.Contains(full, `password = 'pw-201'`) || !strings.Contains(full, `password = 'pw-202'`) {
		t.Fatalf("export --passwords: exit %d, lacks the passwords:\n%s", code, full)
	}
	f := filepath.Join(t.TempDir(), "bare.toml")
	if err := os.WriteFile(f, []byte(bare), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := lineup(t, "--data", data, "provision", "import", f)
	if code != 0 || !strings.Contains(out, "(2 kept their stored password)") {
		t.Fatalf("import of the bare export: exit %d: %s %s", code, out, errOut)
	}
	if again, _, _ := lineup(t, "--data", data, "provision", "export", "--passwords"); again != full {
		t.Errorf("after importing the bare export the set-up is\n%s\nwant\n%s", again, full)
	}
}
