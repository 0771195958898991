package benchkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// LineupBinary returns the absolute path of the lineup binary at path, or an error that says to
// build it where there is no such file.
func LineupBinary(path string) (string, error) {
	bin, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		return "", fmt.Errorf("lineup binary %s: not found (run make build)", path)
	}
	return bin, nil
}

// ProvisionImport imports the provisioning file into the data directory data with
// `lineup --data data provision import file`; the error carries the command's output.
func ProvisionImport(ctx context.Context, lineup, data, file string) error {
	out, err := exec.CommandContext(ctx, lineup, "--data", data, "--secrets", "database", "provision", "import", file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("provision import: %w\n%s", err, out)
	}
	return nil
}

// LogFields parses the key=value pairs of one slog text line; a quoted value is unquoted.
func LogFields(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ")
		k, rest, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			// Quoted value: find the closing quote that is not escaped.
			i := 1
			for i < len(rest) && rest[i] != '"' {
				if rest[i] == '\\' {
					i++
				}
				i++
			}
			v = strings.ReplaceAll(rest[1:min(i, len(rest))], `\"`, `"`)
			s = rest[min(i+1, len(rest)):]
		} else {
			v, s, _ = strings.Cut(rest, " ")
		}
		out[k] = v
	}
	return out
}
