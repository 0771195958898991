package media

import (
	"fmt"
	"net"
	"net/netip"
	"time"
)

// This file is the receiving half of a Stream: reading RTP, choosing whose packets are heard
// (one peer address and one source at a time) and feeding the jitter buffer and the DTMF
// receiver.

// readFrom reads one datagram from conn, without allocating when fast is set.
func readFrom(conn net.PacketConn, fast addrPortConn, buf []byte) (int, netip.AddrPort, error) {
	if fast != nil {
		n, from, err := fast.ReadFromUDPAddrPort(buf)
		return n, unmap(from), err
	}
	n, addr, err := conn.ReadFrom(buf)
	var from netip.AddrPort
	if ua, ok := addr.(*net.UDPAddr); ok {
		from = unmap(ua.AddrPort())
	}
	return n, from, err
}

// readRTP is the receive goroutine of RTP.
func (s *Stream) readRTP() error {
	for {
		n, from, err := readFrom(s.cfg.Conn, s.udpConn, s.rtpBuf)
		if err != nil {
			if s.stopping.Load() {
				return nil
			}
			return fmt.Errorf("media: read rtp: %w", err)
		}
		s.receiveRTP(s.rtpBuf[:n], from, time.Now())
	}
}

// natRebindAfter is how long the latched address must be silent before the same source (its
// SSRC) may come back from another one: a NAT that gave the peer a new port mid-call.
const natRebindAfter = time.Second

// acceptFrom reports whether a packet of source ssrc from from may be heard, latching to it when
// it is the first sender since the last SDP. s.mu held.
func (s *Stream) acceptFrom(from netip.AddrPort, ssrc uint32, now time.Time) bool {
	switch {
	case !from.IsValid(): // a socket that does not say (not UDP): nothing to check
		return true
	case s.latched && from == s.peer:
		return true
	case s.latched && from == s.signalled:
		// The address SDP gives wins over one latched at the start (a stray sender that was
		// quicker than the peer).
		s.peer = from
		return true
	case s.latched && s.haveSrc && ssrc == s.srcSSRC && now.Sub(s.srcSeen) >= natRebindAfter:
		s.log.Info("rtp source moved: following it", "from", s.peer, "to", from)
		s.peer = from
		return true
	case s.latched:
		return false
	}
	// The first sender heard since the last SDP is the peer: the signalled address, or where
	// the peer's packets really come from behind NAT.
	s.latched, s.peer = true, from
	return true
}

// receiveRTP takes one datagram from the RTP socket.
func (s *Stream) receiveRTP(b []byte, from netip.AddrPort, now time.Time) {
	if s.encrypted {
		// Nothing of an SRTP packet is looked at before it is authenticated (RFC 3711 section
		// 3.3): a forged or replayed one can neither latch, move the peer nor keep the call alive.
		var ok bool
		if b, ok = s.unprotectRTP(b, now); !ok {
			s.refused(from, false)
			return
		}
	}
	p := &s.pkt
	if err := p.Unmarshal(b); err != nil || p.Version != 2 {
		s.dropped.Add(1)
		return
	}
	isEvent := s.cfg.EventPT != 0 && p.PayloadType == s.cfg.EventPT
	if !isEvent && p.PayloadType != s.cfg.Codec.PayloadType {
		// Not played (e.g. comfort noise, PT 13), but from the source we hear it shows the peer
		// is alive.
		s.mu.Lock()
		if s.haveSrc && p.SSRC == s.srcSSRC && s.dir.Receives() {
			s.touch(now)
		}
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	s.mu.Lock()
	if !s.acceptFrom(from, p.SSRC, now) {
		s.mu.Unlock()
		s.foreign.Add(1)
		s.dropped.Add(1)
		return
	}
	if !s.haveSrc || p.SSRC != s.srcSSRC {
		if s.haveSrc && now.Sub(s.srcSeen) < ssrcSwitchAfter {
			s.mu.Unlock()
			s.dropped.Add(1)
			return
		}
		if s.haveSrc {
			s.log.Debug("rtp source changed", "from", s.srcSSRC, "to", p.SSRC)
			s.resetReceiver()
		}
		s.haveSrc, s.srcSSRC = true, p.SSRC
	}
	s.srcSeen = now
	if from.IsValid() && from != s.remote {
		s.log.Info("symmetric rtp: sending to the source of the peer's packets", "announced", s.signalled, "source", from)
		s.remote = from
		if s.rtcpDerived && !s.rtcpLatched {
			s.setRemoteRTCP(netip.AddrPort{})
		}
	}
	if !s.dir.Receives() {
		s.mu.Unlock()
		s.dropped.Add(1)
		return
	}
	s.touch(now)
	s.rx.update(p.SequenceNumber)
	var digit rune
	var haveDigit bool
	if isEvent {
		if ev, err := UnmarshalTelephoneEvent(p.Payload); err == nil {
			digit, haveDigit = s.events.Feed(p.Timestamp, ev)
		}
	} else {
		s.jb.Push(p.SequenceNumber, p.Timestamp, p.Payload, now)
	}
	s.mu.Unlock()
	s.received.Add(1)
	if haveDigit && s.cfg.OnDTMF != nil {
		s.cfg.OnDTMF(digit)
	}
}
