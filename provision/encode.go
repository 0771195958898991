package provision

import (
	"bytes"
	"fmt"
	"io"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/lineupphone/lineup/line"
)

const header = `# Lineup provisioning file, written by "lineup provision export".
# "lineup provision import FILE" replaces the whole configuration with this file's.
`

// secretsNote heads a file that holds passwords; noSecretsNote one that holds none.
const (
	secretsNote   = "# It holds the SIP password of every line that has one: keep it as safe as the passwords themselves.\n"
	noSecretsNote = "# It holds no SIP passwords: importing it keeps the stored password of each line whose account is unchanged.\n"
)

// Encode writes cfg, with its defaults applied, as a provisioning file that Decode reads back to
// an equal Config: a short comment header, then the locations, groups and lines in the order of
// cfg. The lines' passwords are written as cfg has them (line.WithoutPasswords leaves them out),
// and the header says whether the file holds any.
func Encode(w io.Writer, cfg line.Config) error {
	cfg = cfg.WithDefaults()
	var buf bytes.Buffer
	buf.WriteString(header)
	note := noSecretsNote
	for _, l := range cfg.Lines {
		if l.Account.Password != "" {
			note = secretsNote
			break
		}
	}
	buf.WriteString(note)
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
