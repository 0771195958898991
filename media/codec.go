package media

import (
	"fmt"
	"strings"

	"github.com/gotranspile/g722"
	"github.com/zaf/g711"
)

// The coders behind Codec.NewEncoder and Codec.NewDecoder.
//
// G.711 (PCMU, PCMA) uses github.com/zaf/g711: a small, widely used pure-Go implementation whose
// per-sample functions (EncodeUlawFrame, DecodeAlawFrame, ...) let us write straight into the
// caller's buffers, so a frame is coded without allocating. Its table lookups are the ITU-T G.711
// companding laws, so there is nothing for us to get wrong.
//
// G.722 uses github.com/gotranspile/g722: a pure-Go (no cgo) translation of the long-standing
// spandsp/CMU reference coder, used at 64 kbit/s on 16 kHz PCM (no 8 kHz mode, unpacked), which is
// what RFC 3551 payload type 9 carries. Its Encode/Decode take caller buffers and keep their state
// in the coder value, so they do not allocate either. One coder value per call direction: the
// ADPCM state must follow one stream.

// CodecByName returns the supported codec with this SDP encoding name (case-insensitive, e.g.
// "PCMU", "g722"). It wraps ErrUnknownCodec for any other name.
func CodecByName(name string) (Codec, error) {
	for _, c := range Codecs() {
		if strings.EqualFold(c.Name, name) {
			return c, nil
		}
	}
	return Codec{}, fmt.Errorf("codec %q: %w", name, ErrUnknownCodec)
}

// CodecByPT returns the supported codec with this static RTP payload type. It wraps
// ErrUnknownCodec for any other payload type.
func CodecByPT(pt uint8) (Codec, error) {
	for _, c := range Codecs() {
		if c.PayloadType == pt {
			return c, nil
		}
	}
	return Codec{}, fmt.Errorf("payload type %d: %w", pt, ErrUnknownCodec)
}

// PayloadSize is the number of payload bytes of one frame (FrameDuration) of this codec: 160 for
// all three (G.711 at 8 bits per 8 kHz sample, G.722 at 64 kbit/s).
func (c Codec) PayloadSize() int {
	switch c.Name {
	case G722.Name:
		return c.FrameSamples() / 2
	default:
		return c.FrameSamples()
	}
}

// NewEncoder returns a fresh encoder for the codec, or nil when the codec is not one of Codecs()
// (look codecs up with CodecByName or CodecByPT, which say so with ErrUnknownCodec). Each call
// direction needs its own encoder.
func (c Codec) NewEncoder() Encoder {
	switch c.Name {
	case PCMU.Name:
		return ulawEncoder{}
	case PCMA.Name:
		return alawEncoder{}
	case G722.Name:
		return &g722Encoder{enc: g722.NewEncoder(g722.Rate64000, 0)}
	}
	return nil
}

// NewDecoder returns a fresh decoder for the codec, or nil when the codec is not one of Codecs().
// Each received stream needs its own decoder.
func (c Codec) NewDecoder() Decoder {
	switch c.Name {
	case PCMU.Name:
		return ulawDecoder{}
	case PCMA.Name:
		return alawDecoder{}
	case G722.Name:
		return &g722Decoder{dec: g722.NewDecoder(g722.Rate64000, 0)}
	}
	return nil
}

// G.711 codes one byte per sample; each function codes min(len(dst), len(src)) samples.

type ulawEncoder struct{}

func (ulawEncoder) Encode(dst []byte, pcm []int16) int {
	n := min(len(dst), len(pcm))
	for i, s := range pcm[:n] {
		dst[i] = g711.EncodeUlawFrame(s)
	}
	return n
}

type ulawDecoder struct{}

func (ulawDecoder) Decode(dst []int16, payload []byte) int {
	n := min(len(dst), len(payload))
	for i, b := range payload[:n] {
		dst[i] = g711.DecodeUlawFrame(b)
	}
	return n
}

type alawEncoder struct{}

func (alawEncoder) Encode(dst []byte, pcm []int16) int {
	n := min(len(dst), len(pcm))
	for i, s := range pcm[:n] {
		dst[i] = g711.EncodeAlawFrame(s)
	}
	return n
}

type alawDecoder struct{}

func (alawDecoder) Decode(dst []int16, payload []byte) int {
	n := min(len(dst), len(payload))
	for i, b := range payload[:n] {
		dst[i] = g711.DecodeAlawFrame(b)
	}
	return n
}

// G.722 codes two 16 kHz samples into one byte.

type g722Encoder struct{ enc *g722.Encoder }

func (e *g722Encoder) Encode(dst []byte, pcm []int16) int {
	n := min(len(dst)*2, len(pcm)&^1)
	return e.enc.Encode(dst, pcm[:n])
}

type g722Decoder struct{ dec *g722.Decoder }

func (d *g722Decoder) Decode(dst []int16, payload []byte) int {
	n := min(len(dst)/2, len(payload))
	return d.dec.Decode(dst, payload[:n])
}
