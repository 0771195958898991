package provision

import (
	"bytes"
	"fmt"
	"io"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/lineupphone/lineup/line"
)

const header = `# Lineup provisioning file, written by "lineup provision export".
# It holds the SIP password of every line: keep it as safe as the passwords themselves.
# "lineup provision import FILE" replaces the whole configuration with this file's.
`

// Encode writes cfg, with its defaults applied, as a provisioning file that Decode reads back to
// an equal Config: a short comment header, then the locations, groups and lines in the order of
// cfg. Passwords are included, since the export is a backup.
func Encode(w io.Writer, cfg line.Config) error {
	cfg = cfg.WithDefaults()
	var buf bytes.Buffer
	buf.WriteString(header)
	if len(cfg.Locations)+len(cfg.Groups)+len(cfg.Lines) > 0 {
		buf.WriteByte('\n')
		enc := toml.NewEncoder(&buf)
		enc.SetIndentTables(true)
		if err := enc.Encode(toFile(cfg)); err != nil {
			return fmt.Errorf("encode provisioning file: %w", err)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write provisioning file: %w", err)
	}
	return nil
}
