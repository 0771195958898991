package baresiptest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ErrBadWAV is wrapped by ReadWAV for files that are not 16-bit PCM WAV.
var ErrBadWAV = errors.New("not a 16-bit PCM WAV file")

// ReadWAV reads a 16-bit PCM WAV file such as baresip's call recordings and returns its samples
// mixed down to mono, and its sample rate.
//
// It is written here on the standard library alone because the format is a few fixed header
// fields and the module may not take new dependencies. A data chunk whose size is 0 or larger
// than the file (a recording whose writer has not closed it yet) is read to the end of the file.
func ReadWAV(path string) (pcm []int16, sampleRate int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("baresiptest: read wav: %w", err)
	}
	pcm, sampleRate, err = parseWAV(b)
	if err != nil {
		return nil, 0, fmt.Errorf("baresiptest: %s: %w", path, err)
	}
	return pcm, sampleRate, nil
}

const (
	wavFormatPCM        = 1
	wavFormatExtensible = 0xFFFE
)

func parseWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: no RIFF/WAVE header", ErrBadWAV)
	}
	var (
		channels, bits int
		rate           int
		haveFmt        bool
	)
	off := 12
	for off+8 <= len(b) {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return nil, 0, fmt.Errorf("%w: short fmt chunk", ErrBadWAV)
			}
			format := binary.LittleEndian.Uint16(b[body:])
			channels = int(binary.LittleEndian.Uint16(b[body+2:]))
			rate = int(binary.LittleEndian.Uint32(b[body+4:]))
			bits = int(binary.LittleEndian.Uint16(b[body+14:]))
			if format == wavFormatExtensible && size >= 26 && body+26 <= len(b) {
				format = binary.LittleEndian.Uint16(b[body+24:]) // first bytes of the sub-format GUID
			}
			if format != wavFormatPCM || bits != 16 || channels < 1 || rate <= 0 {
				return nil, 0, fmt.Errorf("%w: format %d, %d bits, %d channels, %d Hz",
					ErrBadWAV, format, bits, channels, rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, 0, fmt.Errorf("%w: data before fmt chunk", ErrBadWAV)
			}
			end := body + size
			if size == 0 || end > len(b) || end < body {
				end = len(b) // not finalised yet: take what is there
			}
			frame := 2 * channels
			n := (end - body) / frame
			pcm := make([]int16, n)
			for i := 0; i < n; i++ {
				sum := 0
				for c := 0; c < channels; c++ {
					sum += int(int16(binary.LittleEndian.Uint16(b[body+i*frame+2*c:])))
				}
				pcm[i] = int16(sum / channels)
			}
			return pcm, rate, nil
		}
		next := body + size + size%2 // chunks are padded to even sizes
		if next <= off {
			break
		}
		off = next
	}
	return nil, 0, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}
