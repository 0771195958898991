package media

import "time"

// FrameDuration is the packet time of every call: 20 ms of audio per RTP packet and per frame
// handed between the devices, the codecs and the streams.
const FrameDuration = 20 * time.Millisecond

// FrameSource gives the next frame of audio to send: mono 16-bit PCM at the call's sample rate,
// len(pcm) samples (one FrameDuration). It must not block; with nothing to give it writes silence.
type FrameSource interface {
	ReadFrame(pcm []int16)
}

// FrameSink takes one decoded frame of received audio (mono 16-bit PCM at the call's sample rate,
// one FrameDuration). It must not block and must not keep pcm after returning.
type FrameSink interface {
	WriteFrame(pcm []int16)
}

// Codec describes an audio codec as SDP and RTP name it (RFC 3551).
type Codec struct {
	// Name is the SDP encoding name, e.g. "PCMU".
	Name string
	// PayloadType is the static RTP payload type.
	PayloadType uint8
	// ClockRate is the RTP timestamp rate: 8000 for all three, also for G.722 (RFC 3551 4.5.2).
	ClockRate uint32
	// SampleRate is the PCM rate the codec takes and gives: 8000, or 16000 for G.722.
	SampleRate int
}

// The codecs Lineup offers, in its order of preference.
var (
	G722 = Codec{Name: "G722", PayloadType: 9, ClockRate: 8000, SampleRate: 16000}
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000, SampleRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000, SampleRate: 8000}
)

// Codecs returns the supported codecs in order of preference.
func Codecs() []Codec { return []Codec{G722, PCMU, PCMA} }

// FrameSamples is the number of PCM samples in one frame.
func (c Codec) FrameSamples() int { return c.SampleRate * int(FrameDuration/time.Millisecond) / 1000 }

// FrameTimestamp is how far the RTP timestamp moves per frame.
func (c Codec) FrameTimestamp() uint32 {
	return c.ClockRate * uint32(FrameDuration/time.Millisecond) / 1000
}

// Encoder turns PCM into a codec's payload. Encode writes into dst (large enough for one frame)
// and returns the bytes written; it allocates nothing.
type Encoder interface {
	Encode(dst []byte, pcm []int16) int
}

// Decoder turns a payload into PCM. Decode writes into dst (large enough for one frame) and
// returns the samples written; it allocates nothing.
type Decoder interface {
	Decode(dst []int16, payload []byte) int
}
