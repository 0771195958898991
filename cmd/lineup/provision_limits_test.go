package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An import refuses a file over 4 MiB by its size, and prints at most 100 errors and how many
// more there were; neither changes the saved configuration.
func TestProvisionImportLimits(t *testing.T) {
	data := t.TempDir()
	good := provisionFile(t, "127.0.0.1:5060", "")
	if out, errOut, code := lineup(t, "--data", data, "provision", "import", good); code != 0 {
		t.Fatalf("import: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	before, _, _ := lineup(t, "--data", data, "provision", "export")
	unchanged := func(what string) {
		t.Helper()
		after, _, _ := lineup(t, "--data", data, "provision", "export")
		if after != before || !strings.Contains(after, "Alice") {
			t.Errorf("%s changed the data:\nbefore:\n%s\nafter:\n%s", what, before, after)
		}
	}

	// 5 MiB: the good file's text, padded with comments.
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("# "+strings.Repeat("x", 61)+"\n", (5<<20-len(body))/64)
	big := filepath.Join(t.TempDir(), "big.toml")
	content := append(body, pad...)
	content = append(content, strings.Repeat("#", 5<<20-len(content))...)
	if err := os.WriteFile(big, content, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := lineup(t, "--data", data, "provision", "import", big)
	if code != 1 || !strings.Contains(errOut, "nothing imported") ||
		!strings.Contains(errOut, "big.toml: 5242880 bytes: too large: a provisioning file may have at most 4 MiB (4194304 bytes)") {
		t.Errorf("import of 5 MiB: exit %d, stderr %q", code, errOut)
	}
	unchanged("a refused large file")

	// 150 unknown keys in a new group.
	var extra strings.Builder
	extra.WriteString("\n[[group]]\nname = \"Support\"\n")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&extra, "colour%d = \"red\"\n", i)
	}
	_, errOut, code = lineup(t, "--data", data, "provision", "import", provisionFile(t, "127.0.0.1:5060", extra.String()))
	if code != 1 || !strings.Contains(errOut, "nothing imported") {
		t.Errorf("import with 150 errors: exit %d, stderr %q", code, errOut)
	}
	var printed int
	for _, l := range strings.Split(errOut, "\n") {
		if strings.HasPrefix(l, "lines.toml:") {
			printed++
		}
	}
	if printed != 100 || !strings.Contains(errOut, `group "Support": colour99: unknown key`+"\n... and 50 more errors\n") {
		t.Errorf("printed %d errors, want 100 then \"... and 50 more errors\":\n%s", printed, errOut)
	}
	unchanged("a file with 150 errors")
}
