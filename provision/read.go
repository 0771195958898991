package provision

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lineupphone/lineup/line"
)

// MaxFileSize is the largest provisioning file Decode and ReadFile accept: 4 MiB, room for tens
// of thousands of lines. It bounds the time and memory an import takes (README.md, "Provisioning
// files").
const MaxFileSize = 4 << 20

// MaxPrinted is how many problems Errors.Error prints; it then says how many more there are.
const MaxPrinted = 100

// ErrTooLarge is wrapped when a provisioning file is larger than MaxFileSize.
var ErrTooLarge = fmt.Errorf("too large: a provisioning file may have at most 4 MiB (%d bytes)", MaxFileSize)

// ReadFile reads and decodes the provisioning file at path, as Decode does, naming it by its base
// name in messages. A file larger than MaxFileSize is refused with an error wrapping ErrTooLarge
// before it is read.
func ReadFile(path string) (line.Config, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return line.Config{}, fmt.Errorf("read provisioning file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return line.Config{}, tooLarge(name, fmt.Sprint(fi.Size()))
	}
	// Not a regular file (a pipe, say), or one that grows: read no more than one byte too many.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return line.Config{}, fmt.Errorf("read provisioning file %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return line.Config{}, tooLarge(name, fmt.Sprintf("more than %d", MaxFileSize))
	}
	return Decode(name, data)
}

func tooLarge(name, size string) error {
	return fmt.Errorf("%s: %s bytes: %w", name, size, ErrTooLarge)
}

// errTooLarge is Decode's check of the size, for data that did not come through ReadFile.
func errTooLarge(name string, data []byte) error {
	if len(data) <= MaxFileSize {
		return nil
	}
	return tooLarge(name, fmt.Sprint(len(data)))
}
