package media

import (
	"math/rand/v2"

	"github.com/pion/rtp"
)

// This file builds the RTP packets a Stream sends (RFC 3550 section 5.1 headers, RFC 4733
// events), with pion/rtp marshalling the header into a buffer that is reused for every packet.

const rtpHeaderSize = 12

// packetizer builds our RTP packets into one reused buffer: the header is marshalled in place and
// the encoder writes the payload right behind it, so a packet costs no allocation.
type packetizer struct {
	hdr    rtp.Header
	enc    Encoder
	buf    []byte
	pt     uint8
	tsStep uint32
}

func (p *packetizer) init(c Codec, enc Encoder, ssrc uint32) {
	p.enc = enc
	p.pt = c.PayloadType
	p.tsStep = c.FrameTimestamp()
	p.buf = make([]byte, maxPacket)
	p.hdr = rtp.Header{
		Version:        2,
		SSRC:           ssrc,
		SequenceNumber: uint16(rand.Uint32()),
		Timestamp:      rand.Uint32(),
	}
}

// audio encodes one frame and returns the packet, valid until the next call.
func (p *packetizer) audio(pcm []int16, marker bool) []byte {
	p.hdr.PayloadType = p.pt
	p.hdr.Marker = marker
	n, err := p.hdr.MarshalTo(p.buf)
	if err != nil {
		return nil
	}
	n += p.enc.Encode(p.buf[n:], pcm)
	p.hdr.SequenceNumber++
	return p.buf[:n]
}

// event builds one RFC 4733 packet with timestamp ts.
func (p *packetizer) event(pt uint8, ts uint32, ev TelephoneEvent, marker bool) []byte {
	h := p.hdr
	h.PayloadType = pt
	h.Marker = marker
	h.Timestamp = ts
	n, err := h.MarshalTo(p.buf)
	if err != nil {
		return nil
	}
	n += ev.Marshal(p.buf[n:])
	p.hdr.SequenceNumber++
	return p.buf[:n]
}
