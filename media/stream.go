package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// DefaultInactivityTimeout ends a call whose peer has sent no RTP for this long while the stream
// expects to receive.
const DefaultInactivityTimeout = 30 * time.Second

// DefaultDTMFDuration is the length of a DTMF event when SendDTMF is given none.
const DefaultDTMFDuration = 100 * time.Millisecond

const (
	// maxPacket is the receive buffer: more than any audio packet of 20 ms.
	maxPacket = 1500
	// ssrcSwitchAfter is how long the source we hear must be silent before a new SSRC replaces
	// it; until then packets of another SSRC are dropped (a stray or duplicated stream).
	ssrcSwitchAfter = 3 * FrameDuration
	// dtmfEndPackets is how often the end packet of an RFC 4733 event is sent.
	dtmfEndPackets = 3
	// dtmfVolume is the power level of our events: -10 dBm0.
	dtmfVolume = 10
	// minDTMF and maxDTMF bound an event's length; the upper bound keeps the 16-bit duration field
	// of RFC 4733 from wrapping at 8 kHz.
	minDTMF = 40 * time.Millisecond
	maxDTMF = 5 * time.Second
)

// StreamConfig is what a Stream needs: the sockets (bound and later closed by the caller), the
// peer's addresses and the negotiated codec and direction from SDP, and where audio comes from
// and goes to.
type StreamConfig struct {
	// Conn is the RTP socket, bound by the caller. A *net.UDPConn sends and receives without
	// allocating.
	Conn net.PacketConn
	// RTCPConn is the RTCP socket (by convention RTP port + 1); nil sends and reads no RTCP.
	RTCPConn net.PacketConn
	// Remote is where to send RTP as SDP says; symmetric RTP latches to the address the peer's
	// packets really come from. RemoteRTCP is where RTCP goes; when invalid, Remote's port + 1.
	Remote, RemoteRTCP netip.AddrPort
	// Codec is the negotiated audio codec.
	Codec Codec
	// EventPT is the payload type of RFC 4733 telephone-event; 0 when the peer offers none.
	EventPT uint8
	// Direction is the negotiated direction of the stream.
	Direction Direction
	// Source gives the audio to send, Sink takes the audio received; both are called from the
	// clock's goroutine and must not block. A nil Source sends silence, a nil Sink discards.
	Source FrameSource
	Sink   FrameSink
	// InactivityTimeout ends Run with ErrInactive when no RTP arrives for this long while the
	// direction expects to receive: 0 means DefaultInactivityTimeout, negative disables it.
	InactivityTimeout time.Duration
	// OnDTMF is called with each RFC 4733 digit received, once per event, from the stream's
	// receive goroutine. It must not block for long.
	OnDTMF func(digit rune)
	// RTCPInterval is the mean time between our RTCP reports; 0 means 5 s.
	RTCPInterval time.Duration
	// Clock drives sending and playout; nil means DefaultClock.
	Clock *Clock
	// Logger receives the stream's events; nil means slog.Default().
	Logger *slog.Logger
	// SRTP, when set, protects every RTP and RTCP packet sent (SRTP and SRTCP, RFC 3711) and
	// takes only packets of the peer that pass its authentication and replay check; nil is
	// plain RTP.
	SRTP *SRTP
}

// StreamStats is a snapshot of a stream's counters.
type StreamStats struct {
	// Codec is the codec's SDP name.
	Codec string
	// PacketsSent counts RTP packets sent (audio and telephone events); PacketsReceived counts the
	// packets taken from the peer (audio and events of the source we listen to).
	PacketsSent, PacketsReceived uint64
	// Lost counts packets of the peer that never arrived (RFC 3550 A.3); Concealed the frames the
	// jitter buffer had to conceal.
	Lost, Concealed uint64
	// LossPercent is Lost as a share of the packets expected, 0..100.
	LossPercent float64
	// Jitter is the interarrival jitter of the peer's packets (RFC 3550 6.4.1).
	Jitter time.Duration
	// RemoteAddr is where RTP goes now (after symmetric RTP latching).
	RemoteAddr string
	// Dropped counts packets not used: foreign payload type or SSRC, malformed, from a foreign
	// address, or received while the direction does not receive.
	Dropped uint64
	// Foreign counts the packets among Dropped that came from an address other than the peer's
	// (the signalled one, or the one symmetric RTP latched to): a stray or hostile sender.
	Foreign uint64
	// RTCPSent and RTCPReceived count RTCP compound packets.
	RTCPSent, RTCPReceived uint64
	// RemoteLossPercent and RemoteJitter are how the peer hears us, from its last report block
	// about our stream; RoundTrip is computed from that block (0 until known).
	RemoteLossPercent float64
	RemoteJitter      time.Duration
	RoundTrip         time.Duration
	// Encrypted reports that the stream carries SRTP both ways.
	Encrypted bool
	// Unauthenticated counts the packets among Dropped that failed SRTP or SRTCP authentication
	// or the replay check (a plain packet, a wrong key, a replay): they changed nothing.
	Unauthenticated uint64
}

// Stream is one call's RTP session: it sends a frame of the Source every 20 ms (driven by the
// Clock), plays the received audio out of an adaptive jitter buffer into the Sink, carries RFC 4733
// DTMF both ways, sends and reads RTCP, and follows direction changes. Build it with NewStream and
// call Run once.
type Stream struct {
	cfg      StreamConfig
	log      *slog.Logger
	clock    *Clock
	timeout  time.Duration
	epoch    time.Time
	udpConn  addrPortConn // cfg.Conn when it can send and read without allocating, else nil
	udpRTCP  addrPortConn
	ssrc     uint32
	interval time.Duration

	// Owned by the clock goroutine (tick).
	pk       packetizer
	pcmIn    []int16
	pcmOut   []int16
	marker   bool // next audio packet starts a talkspurt
	wasSend  bool // the previous tick sent
	dtmf     dtmfSend
	rtcpNext time.Time
	txSRTP   *srtpSend // nil: plain RTP

	// Owned by the RTP receive goroutine, and rtcpHdr by the RTCP one.
	rtpBuf  []byte
	pkt     rtp.Packet
	rtcpHdr rtcp.Header

	// encrypted is set by NewStream when the stream carries SRTP; rxSRTP then checks the peer's
	// packets (replaced whole by SetSRTPRemote).
	encrypted bool
	rxSRTP    atomic.Pointer[srtpRecv]

	mu          sync.Mutex
	dir         Direction
	muted       bool
	remote      netip.AddrPort
	remoteRTCP  netip.AddrPort
	rtcpDerived bool // remoteRTCP follows remote's port + 1
	// signalled is the peer's address as SDP gives it (Remote, then SetRemote). The first
	// address heard from after an SDP is the peer's (the signalled one, or another behind NAT:
	// symmetric RTP, RFC 4961): latched then holds it, and from then on only it and the
	// signalled address are heard, so a stray or hostile sender cannot take the audio over.
	signalled   netip.AddrPort
	latched     bool
	peer        netip.AddrPort // the latched address, when latched
	rtcpLatched bool
	rtcpSSRC    uint32
	jb          *JitterBuffer
	dec         Decoder
	plc         *Concealer
	events      EventReceiver
	haveSrc     bool // srcSSRC is the source we listen to
	srcSSRC     uint32
	srcSeen     time.Time
	rx          rxStats
	dtmfQueue   []dtmfReq
	rep         rtcpState
	txSuite     SRTPSuite // the suite to send with: the peer's latest

	lastRTP      atomic.Int64 // time since epoch of the last packet taken, or of the start of receiving
	sent         atomic.Uint64
	octets       atomic.Uint64
	received     atomic.Uint64
	dropped      atomic.Uint64
	foreign      atomic.Uint64
	rtcpSent     atomic.Uint64
	rtcpReceived atomic.Uint64
	// unauthenticated counts packets refused by SRTP or SRTCP.
	unauthenticated atomic.Uint64

	running  atomic.Bool
	stopping atomic.Bool
	inactive chan struct{}
	clockEnd chan struct{}
	endOnce  sync.Once
}

type dtmfReq struct {
	event  uint8
	frames int
}

// dtmfSend is the event being sent: frames packets carrying the tone, then the end packet
// repeated.
type dtmfSend struct {
	active bool
	event  uint8
	ts     uint32
	frames int
	sent   int
}

// addrPortConn is what *net.UDPConn offers to send and read without allocating an address.
type addrPortConn interface {
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
}

// NewStream checks cfg and prepares a stream; nothing is sent until Run.
func NewStream(cfg StreamConfig) (*Stream, error) {
	if cfg.Conn == nil {
		return nil, fmt.Errorf("media: new stream: %w", ErrNoConn)
	}
	if cfg.Codec.SampleRate <= 0 || cfg.Codec.ClockRate == 0 {
		return nil, fmt.Errorf("media: new stream: %w: %q", ErrUnknownCodec, cfg.Codec.Name)
	}
	if cfg.Direction < SendRecv || cfg.Direction > Inactive {
		return nil, fmt.Errorf("media: new stream: %w: %v", ErrBadDirection, cfg.Direction)
	}
	if cfg.EventPT != 0 && cfg.EventPT == cfg.Codec.PayloadType || cfg.EventPT > 127 {
		return nil, fmt.Errorf("media: new stream: %w: telephone-event payload type %d", ErrBadPayloadType, cfg.EventPT)
	}
	encrypted, err := cfg.SRTP.validate()
	if err != nil {
		return nil, fmt.Errorf("media: new stream: %w", err)
	}
	enc := cfg.Codec.NewEncoder()
	dec := cfg.Codec.NewDecoder()
	if enc == nil || dec == nil {
		return nil, fmt.Errorf("media: new stream: %w: %q", ErrUnknownCodec, cfg.Codec.Name)
	}
	s := &Stream{
		cfg:       cfg,
		log:       cfg.Logger,
		clock:     cfg.Clock,
		timeout:   cfg.InactivityTimeout,
		interval:  cfg.RTCPInterval,
		epoch:     time.Now(),
		ssrc:      rand.Uint32(),
		pcmIn:     make([]int16, cfg.Codec.FrameSamples()),
		pcmOut:    make([]int16, cfg.Codec.FrameSamples()),
		marker:    true,
		rtpBuf:    make([]byte, maxPacket),
		dir:       cfg.Direction,
		remote:    unmap(cfg.Remote),
		signalled: unmap(cfg.Remote),
		jb:        NewJitterBuffer(cfg.Codec),
		dec:       dec,
		plc:       NewConcealer(cfg.Codec.FrameSamples()),
		inactive:  make(chan struct{}, 1),
		clockEnd:  make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("codec", cfg.Codec.Name)
	if s.clock == nil {
		s.clock = DefaultClock
	}
	if s.timeout == 0 {
		s.timeout = DefaultInactivityTimeout
	}
	if s.interval <= 0 {
		s.interval = 5 * time.Second
	}
	s.setRemoteRTCP(unmap(cfg.RemoteRTCP))
	if c, ok := cfg.Conn.(addrPortConn); ok {
		s.udpConn = c
	}
	if c, ok := cfg.RTCPConn.(addrPortConn); ok {
		s.udpRTCP = c
	}
	s.pk.init(cfg.Codec, enc, s.ssrc)
	if encrypted {
		c := cfg.SRTP
		s.cfg.SRTP = &SRTP{Suite: c.Suite, Local: slices.Clone(c.Local), Remote: slices.Clone(c.Remote)}
		r, err := newSRTPRecv(c.Suite, c.Remote)
		if err != nil {
			return nil, fmt.Errorf("media: new stream: %w", err)
		}
		if s.txSRTP, err = newSRTPSend(c.Suite, c.Local); err != nil {
			return nil, fmt.Errorf("media: new stream: %w", err)
		}
		s.encrypted, s.txSuite = true, c.Suite
		s.rxSRTP.Store(r)
	} else {
		s.cfg.SRTP = nil
	}
	return s, nil
}

// setRemoteRTCP sets where RTCP goes: addr, or the RTP address's port + 1. s.mu held or not yet
// shared.
func (s *Stream) setRemoteRTCP(addr netip.AddrPort) {
	s.rtcpDerived = !addr.IsValid()
	if s.rtcpDerived && s.remote.IsValid() && s.remote.Port() < 65535 {
		addr = netip.AddrPortFrom(s.remote.Addr(), s.remote.Port()+1)
	}
	s.remoteRTCP = addr
}

// SSRC is the synchronisation source of the packets this stream sends.
func (s *Stream) SSRC() uint32 { return s.ssrc }

// SetDirection changes what the stream does from the next frame on, e.g. after a re-INVITE for
// hold. When receiving starts again the inactivity timeout starts afresh.
func (s *Stream) SetDirection(d Direction) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == s.dir {
		return
	}
	if d.Receives() && !s.dir.Receives() {
		s.resetReceiver()
		s.touch(time.Now())
	}
	s.log.Debug("media direction", "from", s.dir, "to", d)
	s.dir = d
}

// SetInactivityTimeout changes the inactivity timeout and starts it afresh: 0 means
// DefaultInactivityTimeout, negative disables it. Early media runs without one (a far end may
// ring silently after its 183) and gets the call's at the answer.
func (s *Stream) SetInactivityTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d == 0 {
		d = DefaultInactivityTimeout
	}
	s.timeout = d
	s.touch(time.Now())
}

// Direction is the stream's current direction.
func (s *Stream) Direction() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

// SetRemote changes where RTP goes (a new SDP from the peer); symmetric RTP may latch again. RTCP
// follows to port + 1 unless the config named its own RTCP address.
func (s *Stream) SetRemote(addr netip.AddrPort) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr = unmap(addr)
	if addr == s.signalled {
		return // the same SDP again (a re-INVITE that changes no address): nothing moves
	}
	if !sendable(addr) {
		// Hold with c=0.0.0.0 (RFC 3264 section 8.4): nothing is sent, and the peer heard so
		// far stays the one heard: no new sender may latch meanwhile.
		s.remote, s.signalled = addr, addr
		return
	}
	s.remote = addr
	s.signalled = s.remote
	s.latched, s.peer = false, netip.AddrPort{}
	s.rtcpLatched = false
	if s.rtcpDerived {
		s.setRemoteRTCP(netip.AddrPort{})
	}
}

// SetMuted sends silence instead of the Source while muted (the Source is still read, so no stale
// sound is sent when unmuted).
func (s *Stream) SetMuted(m bool) {
	s.mu.Lock()
	s.muted = m
	s.mu.Unlock()
}

// SendDTMF queues an RFC 4733 event for digit (0-9, *, #, A-D) lasting d (0 means
// DefaultDTMFDuration; bounded to 40 ms..5 s). The event replaces the audio while it lasts; queued
// digits follow each other in order. It returns ErrNoTelephoneEvent when the peer offered no
// telephone-event (use SIP INFO then) and ErrNotSending when the direction does not send.
func (s *Stream) SendDTMF(digit rune, d time.Duration) error {
	if s.cfg.EventPT == 0 {
		return ErrNoTelephoneEvent
	}
	ev, ok := DigitEvent(digit)
	if !ok {
		return fmt.Errorf("media: send dtmf: %w: %q", ErrBadDigit, digit)
	}
	if d == 0 {
		d = DefaultDTMFDuration
	}
	d = min(max(d, minDTMF), maxDTMF)
	frames := int((d + FrameDuration - 1) / FrameDuration)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dir.Sends() {
		return fmt.Errorf("media: send dtmf: %w (%v)", ErrNotSending, s.dir)
	}
	s.dtmfQueue = append(s.dtmfQueue, dtmfReq{event: ev, frames: frames})
	return nil
}

// Stats returns the stream's counters now.
func (s *Stream) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	js := s.jb.Stats()
	expected, lost := s.rx.expectedLost()
	st := StreamStats{
		Codec:           s.cfg.Codec.Name,
		PacketsSent:     s.sent.Load(),
		PacketsReceived: s.received.Load(),
		Lost:            lost,
		Concealed:       js.Concealed,
		Jitter:          js.Jitter,
		Dropped:         s.dropped.Load(),
		Foreign:         s.foreign.Load(),
		RTCPSent:        s.rtcpSent.Load(),
		RTCPReceived:    s.rtcpReceived.Load(),
		Encrypted:       s.encrypted,
		Unauthenticated: s.unauthenticated.Load(),
	}
	if expected > 0 {
		st.LossPercent = 100 * float64(lost) / float64(expected)
	}
	if s.remote.IsValid() {
		st.RemoteAddr = s.remote.String()
	}
	st.RemoteLossPercent = s.rep.remoteLoss
	st.RemoteJitter = s.rep.remoteJitter
	st.RoundTrip = s.rep.rtt
	return st
}

// Run carries the stream until ctx ends (it returns nil), no RTP arrived for the inactivity timeout
// while the direction expects to receive (ErrInactive), the Clock was stopped (ErrClockStopped) or
// a socket failed. It starts a receive goroutine per socket and stops them before it returns: to
// wake them it sets a read deadline in the past on Conn and RTCPConn, so the sockets are of no
// further use for reading; the caller closes them after Run returns. Run may be called only once.
func (s *Stream) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return ErrStreamRunning
	}
	s.touch(time.Now())
	s.rtcpNext = time.Now().Add(s.firstReport())
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	_ = s.cfg.Conn.SetReadDeadline(time.Time{})
	wg.Go(func() {
		if err := s.readRTP(); err != nil {
			errc <- err
		}
	})
	if s.cfg.RTCPConn != nil {
		_ = s.cfg.RTCPConn.SetReadDeadline(time.Time{})
		wg.Go(func() {
			if err := s.readRTCP(); err != nil {
				errc <- err
			}
		})
	}
	err := s.clock.add(s)
	if err == nil {
		select {
		case <-ctx.Done():
		case <-s.inactive:
			s.mu.Lock()
			timeout := s.timeout
			s.mu.Unlock()
			err = fmt.Errorf("media: no rtp for %v: %w", timeout, ErrInactive)
		case <-s.clockEnd:
			err = ErrClockStopped
		case err = <-errc:
		}
		s.clock.remove(s)
	}
	s.stopping.Store(true)
	past := time.Unix(1, 0)
	_ = s.cfg.Conn.SetReadDeadline(past)
	if s.cfg.RTCPConn != nil {
		_ = s.cfg.RTCPConn.SetReadDeadline(past)
	}
	wg.Wait()
	if err != nil && !errors.Is(err, ErrClockStopped) {
		s.log.Debug("media stream ended", "error", err)
	}
	return err
}

// clockStopped is called by a Clock's Stop.
func (s *Stream) clockStopped() { s.endOnce.Do(func() { close(s.clockEnd) }) }

// touch marks now as the last sign of life for the inactivity timeout.
func (s *Stream) touch(now time.Time) { s.lastRTP.Store(int64(now.Sub(s.epoch))) }

// resetReceiver forgets the source heard so far: a new jitter buffer, decoder (G.722 keeps state
// between frames) and statistics. s.mu held.
func (s *Stream) resetReceiver() {
	s.jb = NewJitterBuffer(s.cfg.Codec)
	s.dec = s.cfg.Codec.NewDecoder()
	s.plc = NewConcealer(s.cfg.Codec.FrameSamples())
	s.events = EventReceiver{}
	s.rx = rxStats{}
	s.rep.resetSource()
}

// send is the first half of a frame: read the Source and send one packet. The clock calls it for
// all streams first, so the packets leave as close to the tick as possible, and then play for all.
func (s *Stream) send() {
	s.mu.Lock()
	dir, muted, remote, suite := s.dir, s.muted, s.remote, s.txSuite
	if !dir.Sends() {
		s.dtmfQueue = s.dtmfQueue[:0] // digits are not kept for after a hold
	}
	if dir.Sends() && !s.dtmf.active && len(s.dtmfQueue) > 0 {
		r := s.dtmfQueue[0]
		copy(s.dtmfQueue, s.dtmfQueue[1:])
		s.dtmfQueue = s.dtmfQueue[:len(s.dtmfQueue)-1]
		s.dtmf = dtmfSend{active: true, event: r.event, ts: s.pk.hdr.Timestamp, frames: r.frames}
	}
	s.mu.Unlock()

	if s.cfg.Source != nil {
		s.cfg.Source.ReadFrame(s.pcmIn)
	}
	sends := dir.Sends() && sendable(remote)
	if sends {
		var pkt []byte
		if s.dtmf.active {
			pkt = s.nextEventPacket()
		} else {
			if muted || s.cfg.Source == nil {
				clear(s.pcmIn)
			}
			pkt = s.pk.audio(s.pcmIn, s.marker || !s.wasSend)
			s.marker = false
			s.octets.Add(uint64(len(pkt) - rtpHeaderSize))
		}
		var err error
		if pkt != nil {
			pkt, err = s.protectRTP(pkt, suite)
		}
		if pkt == nil {
			s.log.Debug("rtp packet not built", "error", err)
		} else if err := s.write(pkt, remote); err != nil {
			s.log.Debug("rtp send failed", "remote", remote, "error", err)
		} else {
			s.sent.Add(1)
		}
	} else {
		s.dtmf.active = false
	}
	s.wasSend = sends
	s.pk.hdr.Timestamp += s.pk.tsStep
}

// play is the second half of a frame: take one frame out of the jitter buffer (or conceal it, or
// silence) into the Sink, watch for inactivity, and send RTCP when due.
func (s *Stream) play(now time.Time) {
	s.mu.Lock()
	dir := s.dir
	if dir.Receives() {
		payload, st := s.jb.Pop(now)
		switch st {
		case PopFrame:
			n := s.dec.Decode(s.pcmOut, payload)
			clear(s.pcmOut[min(max(n, 0), len(s.pcmOut)):])
			s.plc.Good(s.pcmOut)
		case PopMissing:
			s.plc.Conceal(s.pcmOut)
		default:
			clear(s.pcmOut)
		}
		if s.timeout > 0 && now.Sub(s.epoch)-time.Duration(s.lastRTP.Load()) > s.timeout {
			select {
			case s.inactive <- struct{}{}:
			default:
			}
		}
	} else {
		clear(s.pcmOut)
	}
	s.mu.Unlock()

	if s.cfg.Sink != nil {
		s.cfg.Sink.WriteFrame(s.pcmOut)
	}
	if s.cfg.RTCPConn != nil && !now.Before(s.rtcpNext) {
		s.rtcpNext = now.Add(s.nextReport())
		s.sendReport(now, dir)
	}
}

// nextEventPacket builds the next packet of the RFC 4733 event being sent: the same timestamp for
// the whole event, the duration growing by a frame per packet, the marker on the first, and the
// end packet three times. After the event, the next audio packet carries the marker.
func (s *Stream) nextEventPacket() []byte {
	d := &s.dtmf
	d.sent++
	ev := TelephoneEvent{Event: d.event, Volume: dtmfVolume}
	n := min(d.sent, d.frames)
	ev.Duration = uint16(uint32(n) * s.pk.tsStep)
	ev.End = d.sent >= d.frames
	pkt := s.pk.event(s.cfg.EventPT, d.ts, ev, d.sent == 1)
	if d.sent >= d.frames+dtmfEndPackets-1 {
		d.active = false
		s.marker = true
	}
	return pkt
}

func (s *Stream) write(pkt []byte, to netip.AddrPort) error {
	if s.udpConn != nil {
		_, err := s.udpConn.WriteToUDPAddrPort(pkt, to)
		return err
	}
	_, err := s.cfg.Conn.WriteTo(pkt, net.UDPAddrFromAddrPort(to))
	return err
}

// sendable reports whether RTP can go to a: a known address with a port. An unspecified address
// (c=0.0.0.0, the old way to put a call on hold, RFC 3264 8.4) or port 0 (a rejected stream) gets
// nothing.
func sendable(a netip.AddrPort) bool {
	return a.IsValid() && !a.Addr().IsUnspecified() && a.Port() != 0
}

// unmap turns an IPv4-mapped IPv6 address into plain IPv4, so addresses compare as equal however
// the socket reports them.
func unmap(a netip.AddrPort) netip.AddrPort {
	if !a.IsValid() {
		return a
	}
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
