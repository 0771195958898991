package media

import (
	"errors"
	"math"
	"testing"
)

// dspSine is n samples of a sine at freq Hz and level dBFS (peak), sampled at rate.
func dspSine(n, rate int, freq, dBFS float64) []int16 {
	amp := 32767 * math.Pow(10, dBFS/20)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// dspSNR is the signal-to-noise ratio in dB of got against want.
func dspSNR(want, got []int16) float64 {
	var sig, noise float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	return 10 * math.Log10(sig/noise)
}

func dspPower(pcm []int16) float64 {
	var p float64
	for _, x := range pcm {
		p += float64(x) * float64(x)
	}
	return p / float64(len(pcm))
}

// dspRoundTrip codes pcm frame by frame and decodes it again, checking the frame sizes.
func dspRoundTrip(t *testing.T, c Codec, pcm []int16) []int16 {
	t.Helper()
	enc, dec := c.NewEncoder(), c.NewDecoder()
	if enc == nil || dec == nil {
		t.Fatalf("%s: no encoder or decoder", c.Name)
	}
	fs := c.FrameSamples()
	payload := make([]byte, 1024)
	out := make([]int16, 0, len(pcm))
	frame := make([]int16, 1024)
	for off := 0; off+fs <= len(pcm); off += fs {
		n := enc.Encode(payload, pcm[off:off+fs])
		if n != c.PayloadSize() {
			t.Fatalf("%s: %d samples encoded to %d bytes, want %d", c.Name, fs, n, c.PayloadSize())
		}
		m := dec.Decode(frame, payload[:n])
		if m != fs {
			t.Fatalf("%s: %d bytes decoded to %d samples, want %d", c.Name, n, m, fs)
		}
		out = append(out, frame[:m]...)
	}
	return out
}

func TestG711RoundTripWithinQuantisation(t *testing.T) {
	for _, tc := range []struct {
		codec  Codec
		minSNR float64 // G.711 gives about 38-41 dB on a -10 dBFS tone
	}{{PCMU, 33}, {PCMA, 33}} {
		t.Run(tc.codec.Name, func(t *testing.T) {
			in := dspSine(8000, 8000, 1000, -10)
			out := dspRoundTrip(t, tc.codec, in)
			if snr := dspSNR(in, out); snr < tc.minSNR {
				t.Errorf("SNR %.1f dB, want > %.0f dB", snr, tc.minSNR)
			} else {
				t.Logf("SNR %.1f dB", snr)
			}
			// A quiet tone (-40 dBFS) keeps its SNR too: that is what companding is for.
			quiet := dspSine(8000, 8000, 1000, -40)
			if snr := dspSNR(quiet, dspRoundTrip(t, tc.codec, quiet)); snr < 25 {
				t.Errorf("SNR at -40 dBFS %.1f dB, want > 25 dB", snr)
			}
		})
	}
}

func TestG711SilenceCodes(t *testing.T) {
	// G.711: digital silence is 0xFF in u-law and 0xD5 in A-law (even bits inverted).
	zero := make([]int16, 160)
	dst := make([]byte, 160)
	for _, tc := range []struct {
		codec Codec
		want  byte
	}{{PCMU, 0xFF}, {PCMA, 0xD5}} {
		tc.codec.NewEncoder().Encode(dst, zero)
		if dst[0] != tc.want || dst[159] != tc.want {
			t.Errorf("%s silence coded as %#x, want %#x", tc.codec.Name, dst[0], tc.want)
		}
	}
}

func TestG722RoundTripKeepsTone(t *testing.T) {
	in := dspSine(16000, 16000, 1000, -10)
	out := dspRoundTrip(t, G722, in)
	if len(out) != len(in) {
		t.Fatalf("decoded %d samples, want %d", len(out), len(in))
	}
	// Skip the first 100 ms: the coder's filters and adaptation settle there.
	tail := out[1600:]
	if r := ToneRatio(tail, 16000, 1000); r < 0.9 {
		t.Errorf("1 kHz share after G.722 %.3f, want > 0.9", r)
	}
	gain := 10 * math.Log10(dspPower(tail)/dspPower(in[1600:]))
	if math.Abs(gain) > 1 {
		t.Errorf("level changed by %.2f dB through G.722, want within 1 dB", gain)
	}
	// A 6 kHz tone is inside G.722's band (50-7000 Hz) but outside G.711's: wideband works.
	hi := dspSine(16000, 16000, 6000, -10)
	if r := ToneRatio(dspRoundTrip(t, G722, hi)[1600:], 16000, 6000); r < 0.8 {
		t.Errorf("6 kHz share after G.722 %.3f, want > 0.8", r)
	}
}

func TestCodecsAllocateNothing(t *testing.T) {
	for _, c := range Codecs() {
		enc, dec := c.NewEncoder(), c.NewDecoder()
		pcm := dspSine(c.FrameSamples(), c.SampleRate, 1000, -10)
		payload := make([]byte, c.PayloadSize())
		out := make([]int16, c.FrameSamples())
		if a := testing.AllocsPerRun(100, func() { enc.Encode(payload, pcm) }); a != 0 {
			t.Errorf("%s Encode: %v allocations", c.Name, a)
		}
		if a := testing.AllocsPerRun(100, func() { dec.Decode(out, payload) }); a != 0 {
			t.Errorf("%s Decode: %v allocations", c.Name, a)
		}
	}
}

func TestCoderShortBuffers(t *testing.T) {
	for _, c := range Codecs() {
		pcm := dspSine(c.FrameSamples(), c.SampleRate, 1000, -10)
		small := make([]byte, 10)
		if n := c.NewEncoder().Encode(small, pcm); n > len(small) {
			t.Errorf("%s wrote %d bytes into 10", c.Name, n)
		}
		out := make([]int16, 10)
		if n := c.NewDecoder().Decode(out, make([]byte, 160)); n > len(out) {
			t.Errorf("%s wrote %d samples into 10", c.Name, n)
		}
	}
}

func TestCodecLookup(t *testing.T) {
	for _, c := range Codecs() {
		got, err := CodecByName(c.Name)
		if err != nil || got != c {
			t.Errorf("CodecByName(%q) = %v, %v", c.Name, got, err)
		}
		got, err = CodecByPT(c.PayloadType)
		if err != nil || got != c {
			t.Errorf("CodecByPT(%d) = %v, %v", c.PayloadType, got, err)
		}
	}
	if c, err := CodecByName("pcma"); err != nil || c != PCMA {
		t.Errorf("lower-case name: %v, %v", c, err)
	}
	if _, err := CodecByName("opus"); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("opus: %v, want ErrUnknownCodec", err)
	}
	if _, err := CodecByPT(18); !errors.Is(err, ErrUnknownCodec) {
		t.Errorf("PT 18: %v, want ErrUnknownCodec", err)
	}
	if e, d := (Codec{Name: "opus"}).NewEncoder(), (Codec{Name: "opus"}).NewDecoder(); e != nil || d != nil {
		t.Errorf("unknown codec gave coders %v %v", e, d)
	}
}

func benchEncode(b *testing.B, c Codec) {
	enc := c.NewEncoder()
	pcm := dspSine(c.FrameSamples(), c.SampleRate, 1000, -10)
	payload := make([]byte, c.PayloadSize())
	b.ReportAllocs()
	b.SetBytes(int64(len(pcm) * 2))
	for b.Loop() {
		enc.Encode(payload, pcm)
	}
}

func benchDecode(b *testing.B, c Codec) {
	pcm := dspSine(c.FrameSamples(), c.SampleRate, 1000, -10)
	payload := make([]byte, c.PayloadSize())
	c.NewEncoder().Encode(payload, pcm)
	dec := c.NewDecoder()
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		dec.Decode(pcm, payload)
	}
}

func BenchmarkEncodePCMU(b *testing.B) { benchEncode(b, PCMU) }
func BenchmarkEncodePCMA(b *testing.B) { benchEncode(b, PCMA) }
func BenchmarkEncodeG722(b *testing.B) { benchEncode(b, G722) }
func BenchmarkDecodePCMU(b *testing.B) { benchDecode(b, PCMU) }
func BenchmarkDecodePCMA(b *testing.B) { benchDecode(b, PCMA) }
func BenchmarkDecodeG722(b *testing.B) { benchDecode(b, G722) }
