package media

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// rxStats follows the sequence numbers of the source we hear, for loss figures (RFC 3550 A.1, A.3).
type rxStats struct {
	started       bool
	baseSeq       uint16
	maxSeq        uint16
	cycles        uint32 // count of sequence number wraps, shifted by 16
	received      uint64
	expectedPrior uint64
	receivedPrior uint64
}

func (r *rxStats) update(seq uint16) {
	r.received++
	if !r.started {
		r.started, r.baseSeq, r.maxSeq = true, seq, seq
		return
	}
	if d := seq - r.maxSeq; d != 0 && d < 0x8000 {
		if seq < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = seq
	}
}

// extMax is the extended highest sequence number received.
func (r *rxStats) extMax() uint32 { return r.cycles + uint32(r.maxSeq) }

// expectedLost is how many packets were expected since the first, and how many of those are lost.
func (r *rxStats) expectedLost() (expected, lost uint64) {
	if !r.started {
		return 0, 0
	}
	expected = uint64(r.extMax()) - uint64(r.baseSeq) + 1
	if expected > r.received {
		lost = expected - r.received
	}
	return expected, lost
}

// fraction is the share of packets lost since the previous call, in 1/256 (RFC 3550 A.3).
func (r *rxStats) fraction() uint8 {
	expected, _ := r.expectedLost()
	ei := expected - r.expectedPrior
	ri := r.received - r.receivedPrior
	r.expectedPrior, r.receivedPrior = expected, r.received
	if ei == 0 || ri >= ei {
		return 0
	}
	return uint8(((ei - ri) << 8) / ei)
}

// rtcpState is what RTCP tells and was told. Guarded by Stream.mu.
type rtcpState struct {
	lastSR       uint32    // middle 32 bits of the NTP time of the peer's last sender report
	lastSRAt     time.Time // when it arrived
	sentAtReport uint64    // packets sent at our previous report
	remoteLoss   float64
	remoteJitter time.Duration
	rtt          time.Duration
}

func (r *rtcpState) resetSource() { r.lastSR, r.lastSRAt = 0, time.Time{} }

// ntpEpochOffset is the seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2208988800

// ntpTime is t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := (uint64(t.Nanosecond()) << 32) / uint64(time.Second)
	return secs<<32 | frac
}

// ntpShort is the middle 32 bits of t's NTP timestamp: seconds and fraction in 1/65536 s.
func ntpShort(t time.Time) uint32 { return uint32(ntpTime(t) >> 16) }

// firstReport and nextReport space our reports around the interval, at random within ±50 % as RFC
// 3550 6.3 asks, so calls started together do not report together; the first comes after half.
func (s *Stream) firstReport() time.Duration {
	return time.Duration(float64(s.interval/2) * (0.5 + rand.Float64()))
}

func (s *Stream) nextReport() time.Duration {
	return time.Duration(float64(s.interval) * (0.5 + rand.Float64()))
}

// sendReport sends a compound RTCP packet: a sender report when we sent since the last report,
// else a receiver report, with a block about the source we hear, and our CNAME. It runs on the
// clock's goroutine.
func (s *Stream) sendReport(now time.Time, dir Direction) {
	s.mu.Lock()
	to := s.remoteRTCP
	var blocks []rtcp.ReceptionReport
	if s.haveSrc && s.rx.started && dir.Receives() {
		_, lost := s.rx.expectedLost()
		b := rtcp.ReceptionReport{
			SSRC:               s.srcSSRC,
			FractionLost:       s.rx.fraction(),
			TotalLost:          uint32(min(lost, 1<<23-1)),
			LastSequenceNumber: s.rx.extMax(),
			Jitter:             uint32(s.jb.Stats().Jitter.Seconds() * float64(s.cfg.Codec.ClockRate)),
			LastSenderReport:   s.rep.lastSR,
		}
		if s.rep.lastSR != 0 {
			b.Delay = uint32(now.Sub(s.rep.lastSRAt).Seconds() * 65536)
		}
		blocks = append(blocks, b)
	}
	suite := s.txSuite
	sent := s.sent.Load()
	isSR := sent > s.rep.sentAtReport
	s.rep.sentAtReport = sent
	s.mu.Unlock()
	if !sendable(to) {
		return
	}
	var first rtcp.Packet
	if isSR {
		first = &rtcp.SenderReport{
			SSRC:        s.ssrc,
			NTPTime:     ntpTime(now),
			RTPTime:     s.pk.hdr.Timestamp - s.pk.tsStep,
			PacketCount: uint32(sent),
			OctetCount:  uint32(s.octets.Load()),
			Reports:     blocks,
		}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks}
	}
	buf, err := rtcp.Marshal([]rtcp.Packet{first, rtcp.NewCNAMESourceDescription(s.ssrc, s.cname())})
	if err != nil {
		s.log.Debug("rtcp marshal failed", "error", err)
		return
	}
	if buf, err = s.protectRTCP(buf, suite); err != nil {
		s.log.Debug("srtcp protect failed", "error", err)
		return
	}
	if s.udpRTCP != nil {
		_, err = s.udpRTCP.WriteToUDPAddrPort(buf, to)
	} else {
		_, err = s.cfg.RTCPConn.WriteTo(buf, net.UDPAddrFromAddrPort(to))
	}
	if err != nil {
		s.log.Debug("rtcp send failed", "remote", to, "error", err)
		return
	}
	s.rtcpSent.Add(1)
}

func (s *Stream) cname() string { return fmt.Sprintf("lineup-%08x", s.ssrc) }

// readRTCP is the receive goroutine of RTCP.
func (s *Stream) readRTCP() error {
	buf := make([]byte, maxPacket)
	for {
		n, from, err := readFrom(s.cfg.RTCPConn, s.udpRTCP, buf)
		if err != nil {
			if s.stopping.Load() {
				return nil
			}
			return fmt.Errorf("media: read rtcp: %w", err)
		}
		s.receiveRTCP(buf[:n], from, time.Now())
	}
}

// rtcpFromPeer reports whether RTCP from from may be the peer's: from the host RTP is heard
// from (signalled or latched), or any host while no RTP has been latched yet. s.mu held.
func (s *Stream) rtcpFromPeer(from netip.AddrPort) bool {
	if from.Addr() == s.signalled.Addr() || (s.remoteRTCP.IsValid() && from == s.remoteRTCP) {
		return true
	}
	if s.latched {
		return from.Addr() == s.peer.Addr()
	}
	return true
}

// receiveRTCP reads the peer's reports: its sender reports for our receiver reports' LSR/DLSR, its
// report blocks about our stream for the loss and jitter it hears and the round trip. RTCP also
// latches symmetrically to the address it comes from, once per sender, and only from the peer's
// host (rtcpFromPeer).
func (s *Stream) receiveRTCP(b []byte, from netip.AddrPort, now time.Time) {
	if s.encrypted {
		var ok bool
		if b, ok = s.unprotectRTCP(b, now); !ok {
			s.refused(from, true)
			return
		}
	}
	pkts, err := rtcp.Unmarshal(b)
	if err != nil || len(pkts) == 0 {
		s.dropped.Add(1)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if from.IsValid() && !s.rtcpFromPeer(from) {
		s.foreign.Add(1)
		s.dropped.Add(1)
		return
	}
	s.rtcpReceived.Add(1)
	var sender uint32
	switch p := pkts[0].(type) {
	case *rtcp.SenderReport:
		sender = p.SSRC
	case *rtcp.ReceiverReport:
		sender = p.SSRC
	}
	if from.IsValid() && sender != 0 && (!s.rtcpLatched || s.rtcpSSRC != sender) {
		s.rtcpLatched, s.rtcpSSRC = true, sender
		s.remoteRTCP = from
	}
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			if !s.haveSrc || p.SSRC == s.srcSSRC {
				s.rep.lastSR, s.rep.lastSRAt = uint32(p.NTPTime>>16), now
			}
			s.reportBlocks(p.Reports, now)
		case *rtcp.ReceiverReport:
			s.reportBlocks(p.Reports, now)
		case *rtcp.Goodbye:
			s.log.Debug("rtcp bye from peer", "reason", p.Reason)
		}
	}
}

// reportBlocks takes the peer's report blocks about our stream. s.mu held.
func (s *Stream) reportBlocks(blocks []rtcp.ReceptionReport, now time.Time) {
	for _, b := range blocks {
		if b.SSRC != s.ssrc {
			continue
		}
		s.rep.remoteLoss = float64(b.FractionLost) * 100 / 256
		s.rep.remoteJitter = time.Duration(b.Jitter) * time.Second / time.Duration(s.cfg.Codec.ClockRate)
		if b.LastSenderReport != 0 {
			// Unsigned arithmetic in 1/65536 s copes with the wrap of the middle NTP bits.
			if rtt := ntpShort(now) - b.LastSenderReport - b.Delay; rtt < 1<<20 {
				s.rep.rtt = time.Duration(rtt) * time.Second / 65536
			}
		}
	}
}
