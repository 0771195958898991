package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/lineupphone/lineup/media"
)

// maxCrypto bounds the a=crypto attributes kept from one stream: an offer lists a handful.
const maxCrypto = 8

// TelephoneEventPT is the dynamic payload type Lineup offers for RFC 4733 telephone events.
const TelephoneEventPT = 101

var (
	// ErrBadSDP is wrapped by every error about a session description that cannot be read; the
	// message names the problem. An INVITE carrying one is answered 400.
	ErrBadSDP = errors.New("malformed sdp")
	// ErrNoCommonCodec is wrapped when an offer holds no codec Lineup supports. An INVITE carrying
	// one is answered 488.
	ErrNoCommonCodec = errors.New("no common codec")
)

// MediaDesc is what Lineup reads from and writes into an SDP body: one audio stream.
type MediaDesc struct {
	// Host is the connection address (c=) of the stream, an IP address.
	Host string
	// Port is the RTP port (m=); RTCP is taken to be on Port+1.
	Port int
	// Codecs are the audio codecs in the order of the m= line, with the payload types the body
	// gives them. Codecs Lineup does not know are left out.
	Codecs []media.Codec
	// EventPT is the payload type of telephone-event/8000, 0 when there is none.
	EventPT uint8
	// Direction is the stream's direction attribute (sendrecv when the body has none).
	Direction media.Direction
	// Secure is the RTP/SAVP transport: SRTP is mandatory for the stream (RFC 3711 section 12,
	// RFC 4568 section 3.1.4).
	Secure bool
	// Crypto are the stream's a=crypto attributes that Lineup can use, in the order of the body
	// (see sdes.go); an answer has at most one.
	Crypto []Crypto
}

// OfferDesc is the description Lineup offers: every supported codec in order of preference and
// telephone events, sending and receiving.
func OfferDesc(host string, port int) MediaDesc {
	return MediaDesc{Host: host, Port: port, Codecs: media.Codecs(), EventPT: TelephoneEventPT, Direction: media.SendRecv}
}

// Codec is the first codec of the description (the chosen one in an answer), and false when
// there is none.
func (d MediaDesc) Codec() (media.Codec, bool) {
	if len(d.Codecs) == 0 {
		return media.Codec{}, false
	}
	return d.Codecs[0], true
}

// AddrPort is the stream's RTP address; invalid when Host is not an IP address.
func (d MediaDesc) AddrPort() netip.AddrPort {
	a, err := netip.ParseAddr(d.Host)
	if err != nil || d.Port <= 0 || d.Port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, uint16(d.Port))
}

func (d MediaDesc) String() string {
	names := make([]string, len(d.Codecs))
	for i, c := range d.Codecs {
		names[i] = c.Name
	}
	return fmt.Sprintf("%s:%d %s %s", d.Host, d.Port, strings.Join(names, ","), d.Direction)
}

// BuildSDP writes a session description for d (RFC 4566, RFC 3264): one audio stream with d's
// codecs (all supported ones when d has none), telephone-event when d.EventPT is set, a 20 ms
// ptime and d's direction. sessionID stays the same for a session and version grows with every
// new description of it (RFC 3264 section 8).
func BuildSDP(sessionID, version uint64, d MediaDesc) []byte {
	codecs := d.Codecs
	if len(codecs) == 0 {
		codecs = media.Codecs()
	}
	addrType := "IP4"
	if strings.Contains(d.Host, ":") {
		addrType = "IP6"
	}
	proto := "AVP"
	if d.Secure {
		proto = "SAVP"
	}
	m := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:  "audio",
			Port:   sdp.RangedPort{Value: d.Port},
			Protos: []string{"RTP", proto},
		},
	}
	for _, c := range codecs {
		pt := strconv.Itoa(int(c.PayloadType))
		m.MediaName.Formats = append(m.MediaName.Formats, pt)
		m.Attributes = append(m.Attributes, sdp.NewAttribute("rtpmap", pt+" "+c.Name+"/"+strconv.Itoa(int(c.ClockRate))))
	}
	if d.EventPT != 0 {
		pt := strconv.Itoa(int(d.EventPT))
		m.MediaName.Formats = append(m.MediaName.Formats, pt)
		m.Attributes = append(m.Attributes,
			sdp.NewAttribute("rtpmap", pt+" telephone-event/8000"),
			sdp.NewAttribute("fmtp", pt+" 0-16"))
	}
	for _, c := range d.Crypto {
		m.Attributes = append(m.Attributes, sdp.NewAttribute("crypto", cryptoValue(c)))
	}
	m.Attributes = append(m.Attributes,
		sdp.NewAttribute("ptime", strconv.Itoa(int(media.FrameDuration.Milliseconds()))),
		sdp.NewPropertyAttribute(d.Direction.String()))
	s := &sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "-", SessionID: sessionID, SessionVersion: version,
			NetworkType: "IN", AddressType: addrType, UnicastAddress: d.Host,
		},
		SessionName: "Lineup",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN", AddressType: addrType, Address: &sdp.Address{Address: d.Host},
		},
		TimeDescriptions:  []sdp.TimeDescription{{Timing: sdp.Timing{}}},
		MediaDescriptions: []*sdp.MediaDescription{m},
	}
	b, err := s.Marshal()
	if err != nil {
		// Marshal fails only for descriptions it cannot represent; ours are fixed in shape.
		panic(fmt.Sprintf("sip: build sdp: %v", err))
	}
	return b
}

// ParseSDP reads the first active audio stream of a session description. Errors wrap ErrBadSDP
// and name the problem, except for a stream on a transport other than RTP/AVP, which wraps
// ErrNoCommonCodec (it is well formed but not acceptable).
func ParseSDP(b []byte) (MediaDesc, error) {
	var s sdp.SessionDescription
	if len(strings.TrimSpace(string(b))) == 0 {
		return MediaDesc{}, fmt.Errorf("%w: empty body", ErrBadSDP)
	}
	if err := s.UnmarshalString(normalizeSDP(b)); err != nil {
		return MediaDesc{}, fmt.Errorf("%w: %w", ErrBadSDP, err)
	}
	var audio *sdp.MediaDescription
	sawAudio := false
	for _, m := range s.MediaDescriptions {
		if m == nil || !strings.EqualFold(m.MediaName.Media, "audio") {
			continue
		}
		sawAudio = true
		if m.MediaName.Port.Value != 0 { // port 0 is a refused stream (RFC 3264 section 6)
			audio = m
			break
		}
	}
	if audio == nil {
		if sawAudio {
			return MediaDesc{}, fmt.Errorf("%w: audio stream refused (port 0)", ErrBadSDP)
		}
		return MediaDesc{}, fmt.Errorf("%w: no audio stream", ErrBadSDP)
	}
	var d MediaDesc
	d.Port = audio.MediaName.Port.Value
	if d.Port < 0 || d.Port > 65535 {
		return MediaDesc{}, fmt.Errorf("%w: audio port %d out of range", ErrBadSDP, d.Port)
	}
	proto := strings.ToUpper(strings.Join(audio.MediaName.Protos, "/"))
	switch proto {
	case "RTP/AVP", "RTP/AVPF":
	case "RTP/SAVP", "RTP/SAVPF":
		d.Secure = true
	default:
		return MediaDesc{}, fmt.Errorf("%w: audio transport %s not supported, only RTP/AVP and RTP/SAVP", ErrNoCommonCodec, proto)
	}
	for _, a := range audio.Attributes {
		if !strings.EqualFold(a.Key, "crypto") {
			continue
		}
		c, ok, err := parseCrypto(a.Value)
		if err != nil {
			return MediaDesc{}, err
		}
		if ok && len(d.Crypto) < maxCrypto {
			d.Crypto = append(d.Crypto, c)
		}
	}

	conn := audio.ConnectionInformation
	if conn == nil {
		conn = s.ConnectionInformation
	}
	if conn == nil || conn.Address == nil || conn.Address.Address == "" {
		return MediaDesc{}, fmt.Errorf("%w: no connection address (c=) for the audio stream", ErrBadSDP)
	}
	if !strings.EqualFold(conn.NetworkType, "IN") {
		return MediaDesc{}, fmt.Errorf("%w: connection network type %q, want IN", ErrBadSDP, conn.NetworkType)
	}
	host := conn.Address.Address
	if i := strings.IndexByte(host, '/'); i >= 0 { // multicast TTL suffix
		host = host[:i]
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return MediaDesc{}, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, host)
	}
	if (strings.EqualFold(conn.AddressType, "IP4") && !addr.Is4()) || (strings.EqualFold(conn.AddressType, "IP6") && !addr.Is6()) {
		return MediaDesc{}, fmt.Errorf("%w: connection address %q does not match type %s", ErrBadSDP, host, conn.AddressType)
	}
	d.Host = addr.String()

	rtpmaps := map[int]string{}
	for _, a := range audio.Attributes {
		if !strings.EqualFold(a.Key, "rtpmap") {
			continue
		}
		ptText, enc, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
		pt, err := strconv.Atoi(ptText)
		if !ok || err != nil || pt < 0 || pt > 127 {
			return MediaDesc{}, fmt.Errorf("%w: bad rtpmap %q", ErrBadSDP, a.Value)
		}
		rtpmaps[pt] = strings.TrimSpace(enc)
	}
	if len(audio.MediaName.Formats) == 0 {
		return MediaDesc{}, fmt.Errorf("%w: audio stream lists no payload types", ErrBadSDP)
	}
	for _, f := range audio.MediaName.Formats {
		pt, err := strconv.Atoi(f)
		if err != nil || pt < 0 || pt > 127 {
			return MediaDesc{}, fmt.Errorf("%w: bad payload type %q", ErrBadSDP, f)
		}
		enc, mapped := rtpmaps[pt]
		if !mapped {
			// Static payload types need no rtpmap (RFC 3551 table 4).
			for _, c := range media.Codecs() {
				if int(c.PayloadType) == pt {
					d.Codecs = append(d.Codecs, c)
				}
			}
			continue
		}
		name, rest, _ := strings.Cut(enc, "/")
		clockText, _, _ := strings.Cut(rest, "/") // drop a channel count
		clock, err := strconv.Atoi(clockText)
		if err != nil || clock <= 0 {
			return MediaDesc{}, fmt.Errorf("%w: bad clock rate in rtpmap %q", ErrBadSDP, enc)
		}
		if strings.EqualFold(name, "telephone-event") {
			if clock == 8000 && d.EventPT == 0 {
				d.EventPT = uint8(pt)
			}
			continue
		}
		for _, c := range media.Codecs() {
			if strings.EqualFold(c.Name, name) && int(c.ClockRate) == clock {
				c.PayloadType = uint8(pt)
				d.Codecs = append(d.Codecs, c)
			}
		}
	}

	d.Direction = media.SendRecv
	if dir, ok := directionOf(audio.Attributes); ok {
		d.Direction = dir
	} else if dir, ok := directionOf(s.Attributes); ok {
		d.Direction = dir
	}
	return d, nil
}

// normalizeSDP makes line ends CRLF-free and drops blank lines: peers send bare LF, and some
// end the body with extra empty lines, which the strict parser refuses.
func normalizeSDP(b []byte) string {
	lines := strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	var sb strings.Builder
	sb.Grow(len(b) + len(lines))
	for _, l := range lines {
		l = strings.TrimRight(l, "\r \t")
		if l == "" {
			continue
		}
		sb.WriteString(l)
		sb.WriteString("\r\n")
	}
	return sb.String()
}

func directionOf(attrs []sdp.Attribute) (media.Direction, bool) {
	for _, a := range attrs {
		switch strings.ToLower(a.Key) {
		case "sendrecv", "sendonly", "recvonly", "inactive":
			d, err := media.ParseDirection(a.Key)
			if err == nil {
				return d, true
			}
		}
	}
	return media.SendRecv, false
}

// Negotiate answers an offer (RFC 3264 section 6.1): the first codec in the offer's order that is
// among supported (matched by name and clock rate, keeping the offer's payload type),
// telephone-event only when offered, and the offer's direction reversed. Host and Port are left
// for the caller to fill. Without a common codec the error wraps ErrNoCommonCodec.
func Negotiate(offer MediaDesc, supported []media.Codec) (MediaDesc, error) {
	for _, oc := range offer.Codecs {
		for _, sc := range supported {
			if strings.EqualFold(oc.Name, sc.Name) && oc.ClockRate == sc.ClockRate {
				return MediaDesc{
					Codecs:    []media.Codec{oc},
					EventPT:   offer.EventPT,
					Direction: offer.Direction.Reverse(),
				}, nil
			}
		}
	}
	names := make([]string, 0, len(offer.Codecs))
	for _, c := range offer.Codecs {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return MediaDesc{}, fmt.Errorf("%w: the offer holds no codec Lineup knows (it supports G722, PCMU, PCMA)", ErrNoCommonCodec)
	}
	return MediaDesc{}, fmt.Errorf("%w: offered %s", ErrNoCommonCodec, strings.Join(names, ", "))
}

// combineDirection is the direction that satisfies both a wish and what the peer allows: a
// stream sends only when both allow sending, and receives only when both allow receiving.
func combineDirection(a, b media.Direction) media.Direction {
	return directionFrom(a.Sends() && b.Sends(), a.Receives() && b.Receives())
}

func directionFrom(sends, receives bool) media.Direction {
	switch {
	case sends && receives:
		return media.SendRecv
	case sends:
		return media.SendOnly
	case receives:
		return media.RecvOnly
	}
	return media.Inactive
}
