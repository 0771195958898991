package baresiptest

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// wavBytes builds a 16-bit PCM WAV file; dataSize overrides the data chunk's size field when >= 0.
func wavBytes(channels, rate int, samples []int16, dataSize int, extra bool) []byte {
	le := binary.LittleEndian
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	if extra { // a chunk before fmt that readers must skip, with an odd size and pad byte
		b = append(b, "LIST"...)
		b = le.AppendUint32(b, 3)
		b = append(b, 'a', 'b', 'c', 0)
	}
	b = append(b, "fmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*channels*2))
	b = le.AppendUint16(b, uint16(channels*2))
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	if dataSize < 0 {
		dataSize = 2 * len(samples)
	}
	b = le.AppendUint32(b, uint32(dataSize))
	for _, s := range samples {
		b = le.AppendUint16(b, uint16(s))
	}
	le.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.wav")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadWAV(t *testing.T) {
	mono := []int16{0, 1000, -1000, 32767, -32768}
	tests := []struct {
		name     string
		file     []byte
		wantPCM  []int16
		wantRate int
	}{
		{"mono", wavBytes(1, 8000, mono, -1, false), mono, 8000},
		{"stereo averaged", wavBytes(2, 16000, []int16{100, 300, -50, -150, 32767, 32767}, -1, true),
			[]int16{200, -100, 32767}, 16000},
		{"unfinished size 0", wavBytes(1, 8000, mono, 0, false), mono, 8000},
		{"size beyond the end", wavBytes(1, 8000, mono[:3], 1000, false), mono[:3], 8000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pcm, rate, err := ReadWAV(writeTemp(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if rate != tc.wantRate || !reflect.DeepEqual(pcm, tc.wantPCM) {
				t.Errorf("got %v at %d Hz, want %v at %d Hz", pcm, rate, tc.wantPCM, tc.wantRate)
			}
		})
	}
}

func TestReadWAVRejectsOtherFormats(t *testing.T) {
	eightBit := wavBytes(1, 8000, []int16{1, 2}, -1, false)
	binary.LittleEndian.PutUint16(eightBit[34:], 8) // bits per sample
	float := wavBytes(1, 8000, []int16{1, 2}, -1, false)
	binary.LittleEndian.PutUint16(float[20:], 3) // IEEE float
	for name, data := range map[string][]byte{
		"not riff": []byte("hello world, this is no wav"),
		"8 bit":    eightBit,
		"float":    float,
		"no data":  wavBytes(1, 8000, nil, -1, false)[:36],
	} {
		if _, _, err := ReadWAV(writeTemp(t, data)); !errors.Is(err, ErrBadWAV) {
			t.Errorf("%s: err %v, want ErrBadWAV", name, err)
		}
	}
	if _, _, err := ReadWAV(filepath.Join(t.TempDir(), "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err %v, want ErrNotExist", err)
	}
}
