package media

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// This file is SRTP (RFC 3711) for a Stream, with keys exchanged in SDP by SDES (RFC 4568): the
// suites Lineup speaks, master keys, and the crypto contexts that protect what a stream sends
// and check what it receives.

// SRTPSuite is an SRTP crypto suite of RFC 4568 section 6.2.
type SRTPSuite uint8

const (
	// SRTPNone is plain RTP.
	SRTPNone SRTPSuite = iota
	// SRTPAES128SHA1_80 is AES_CM_128_HMAC_SHA1_80: AES-128 in counter mode, an 80-bit
	// HMAC-SHA1 tag on SRTP and SRTCP (RFC 4568 section 6.2.1).
	SRTPAES128SHA1_80
	// SRTPAES128SHA1_32 is AES_CM_128_HMAC_SHA1_32: as _80 but with a 32-bit tag on SRTP; SRTCP
	// still carries an 80-bit tag (RFC 4568 section 6.2.2).
	SRTPAES128SHA1_32
)

// SRTPKeyLen is the length of an SRTP master key as SDES "inline:" carries it (RFC 4568 section
// 6.2.1): the 16-byte master key followed by the 14-byte master salt.
const SRTPKeyLen = 30

const (
	srtpMasterKeyLen = 16
	// srtpReplayWindow and srtcpReplayWindow are how far back a late packet is still taken once
	// (RFC 3711 section 3.3.2 asks for at least 64). 128 packets of 20 ms is 2.5 s, longer than
	// the jitter buffer would wait for one.
	srtpReplayWindow  = 128
	srtcpReplayWindow = 64
	// srtpOverhead is the most SRTP or SRTCP adds to a packet: an 80-bit tag and the 4-byte
	// SRTCP index.
	srtpOverhead = 14
)

// String is the suite's name in SDP (RFC 4568 section 6.2), "none" for SRTPNone.
func (s SRTPSuite) String() string {
	switch s {
	case SRTPNone:
		return "none"
	case SRTPAES128SHA1_80:
		return "AES_CM_128_HMAC_SHA1_80"
	case SRTPAES128SHA1_32:
		return "AES_CM_128_HMAC_SHA1_32"
	}
	return fmt.Sprintf("SRTPSuite(%d)", uint8(s))
}

// ParseSRTPSuite reads a crypto suite name of an SDP a=crypto line, in any case. A suite Lineup
// does not speak returns an error wrapping ErrUnknownSuite.
func ParseSRTPSuite(name string) (SRTPSuite, error) {
	for _, s := range SRTPSuites() {
		if strings.EqualFold(name, s.String()) {
			return s, nil
		}
	}
	return SRTPNone, fmt.Errorf("media: %w: %q", ErrUnknownSuite, name)
}

// SRTPSuites returns the suites Lineup speaks in its order of preference: the 80-bit tag first.
func SRTPSuites() []SRTPSuite { return []SRTPSuite{SRTPAES128SHA1_80, SRTPAES128SHA1_32} }

// NewSRTPKey returns a fresh random master key and salt, SRTPKeyLen bytes from crypto/rand.
func NewSRTPKey() ([]byte, error) {
	k := make([]byte, SRTPKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("media: new srtp key: %w", err)
	}
	return k, nil
}

// SRTP is a stream's keys: Local protects what we send (the key of our a=crypto), Remote checks
// and decrypts what the peer sends (the key of its a=crypto). Both are SRTPKeyLen bytes and use
// Suite. A Suite of SRTPNone with no keys is plain RTP, as a nil *SRTP is.
type SRTP struct {
	Suite         SRTPSuite
	Local, Remote []byte
}

// profile is pion's name of the suite.
func (s SRTPSuite) profile() (srtp.ProtectionProfile, bool) {
	switch s {
	case SRTPAES128SHA1_80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, true
	case SRTPAES128SHA1_32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, true
	}
	return 0, false
}

// validate checks a stream's SRTP settings; on returns whether media is encrypted at all.
func (c *SRTP) validate() (on bool, err error) {
	if c == nil || (c.Suite == SRTPNone && len(c.Local) == 0 && len(c.Remote) == 0) {
		return false, nil
	}
	if c.Suite == SRTPNone {
		return false, fmt.Errorf("%w: suite none with keys", ErrBadSRTPKey)
	}
	if _, ok := c.Suite.profile(); !ok {
		return false, fmt.Errorf("%w: %v", ErrUnknownSuite, c.Suite)
	}
	if err := checkKey("local", c.Local); err != nil {
		return false, err
	}
	if err := checkKey("remote", c.Remote); err != nil {
		return false, err
	}
	return true, nil
}

func checkKey(which string, k []byte) error {
	if len(k) != SRTPKeyLen {
		return fmt.Errorf("%w: %s key is %d bytes, want %d", ErrBadSRTPKey, which, len(k), SRTPKeyLen)
	}
	return nil
}

// newSRTPContext makes the crypto context of one direction of one socket; key is valid (checked
// by validate) and suite known. A receiving context rejects replayed packets.
func newSRTPContext(suite SRTPSuite, key []byte, receive bool) (*srtp.Context, error) {
	p, ok := suite.profile()
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnknownSuite, suite)
	}
	var opts []srtp.ContextOption
	if receive {
		opts = append(opts, srtp.SRTPReplayProtection(srtpReplayWindow), srtp.SRTCPReplayProtection(srtcpReplayWindow))
	}
	c, err := srtp.CreateContext(key[:srtpMasterKeyLen], key[srtpMasterKeyLen:SRTPKeyLen], p, opts...)
	if err != nil {
		return nil, fmt.Errorf("media: srtp context: %w", err)
	}
	return c, nil
}

// srtpRecv is what checks the peer's packets: one context for the RTP socket's goroutine and
// one for the RTCP socket's, since a context is not safe for concurrent use. It is replaced as a
// whole (Stream.rxSRTP) when the peer's key changes; after being published only heard changes.
//
// prev is the key it replaced: the peer may go on sending under it for a moment (its packets in
// flight, or until our answer reaches it), so it is still taken until a packet under the new key
// authenticates or rekeyGrace has passed since the change (until, as time since the stream's
// epoch).
type srtpRecv struct {
	suite     SRTPSuite
	key       []byte
	rtp, rtcp *srtp.Context
	prev      *srtpRecv
	until     time.Duration
	heard     atomic.Bool // a packet under key authenticated
}

// rekeyGrace bounds how long the peer's previous key is still taken after SetSRTPRemote.
const rekeyGrace = 10 * time.Second

func newSRTPRecv(suite SRTPSuite, key []byte) (*srtpRecv, error) {
	r := &srtpRecv{suite: suite, key: bytes.Clone(key)}
	var err error
	if r.rtp, err = newSRTPContext(suite, r.key, true); err != nil {
		return nil, err
	}
	if r.rtcp, err = newSRTPContext(suite, r.key, true); err != nil {
		return nil, err
	}
	return r, nil
}

// srtpSend protects what we send: RTP and RTCP both leave from the clock's goroutine, which
// alone uses it.
type srtpSend struct {
	suite   SRTPSuite
	key     []byte
	ctx     *srtp.Context
	buf     []byte // the protected RTP packet, reused
	rtcp    []byte // the protected RTCP compound packet, reused
	hdr     rtp.Header
	rtcpHdr rtcp.Header
}

func newSRTPSend(suite SRTPSuite, key []byte) (*srtpSend, error) {
	k := bytes.Clone(key)
	ctx, err := newSRTPContext(suite, k, false)
	if err != nil {
		return nil, err
	}
	return &srtpSend{suite: suite, key: k, ctx: ctx,
		buf: make([]byte, maxPacket+srtpOverhead), rtcp: make([]byte, maxPacket+srtpOverhead)}, nil
}

// follow switches to the suite want (s.txSuite, read under s.mu) when it changed.
func (t *srtpSend) follow(want SRTPSuite, ssrc uint32) error {
	if want == t.suite {
		return nil
	}
	return t.setSuite(want, ssrc)
}

// setSuite changes the suite of the key we send with, keeping the packet index of our SSRC so no
// keystream is used twice (RFC 3711 section 9.2): the session keys derive from the master key
// alone, whatever the tag length.
func (t *srtpSend) setSuite(suite SRTPSuite, ssrc uint32) error {
	ctx, err := newSRTPContext(suite, t.key, false)
	if err != nil {
		return err
	}
	if roc, ok := t.ctx.ROC(ssrc); ok {
		ctx.SetROC(ssrc, roc)
	}
	if idx, ok := t.ctx.Index(ssrc); ok {
		ctx.SetIndex(ssrc, idx)
	}
	t.suite, t.ctx = suite, ctx
	return nil
}

// SetSRTPRemote takes a new key of the peer (a re-INVITE's offer or answer brought one): packets
// are checked with it from now on. Packets under the previous key are still taken until one
// under the new key authenticates, for at most 10 s (the peer's packets in flight, or sent
// before our answer reached it); older keys are not. The same suite and key again change
// nothing (the replay window stays). When the suite changes, what we
// send follows it with our key unchanged. It returns an error wrapping ErrNoSRTP for a stream
// that was made without SRTP, and one for a bad suite or key as NewStream does.
func (s *Stream) SetSRTPRemote(suite SRTPSuite, key []byte) error {
	if !s.encrypted {
		return fmt.Errorf("media: set srtp remote: %w", ErrNoSRTP)
	}
	if _, ok := suite.profile(); !ok {
		return fmt.Errorf("media: set srtp remote: %w: %v", ErrUnknownSuite, suite)
	}
	if err := checkKey("remote", key); err != nil {
		return fmt.Errorf("media: set srtp remote: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.rxSRTP.Load()
	if cur.suite == suite && bytes.Equal(cur.key, key) {
		return nil
	}
	r, err := newSRTPRecv(suite, key)
	if err != nil {
		return fmt.Errorf("media: set srtp remote: %w", err)
	}
	// Only one previous key is kept: a copy of the current one without its own previous.
	r.prev = &srtpRecv{suite: cur.suite, key: cur.key, rtp: cur.rtp, rtcp: cur.rtcp}
	r.until = time.Since(s.epoch) + rekeyGrace
	s.rxSRTP.Store(r)
	s.txSuite = suite
	s.log.Debug("srtp: new key of the peer", "suite", suite)
	return nil
}

// unprotectRTP authenticates and decrypts an SRTP packet in place; false means it failed
// authentication or the replay check and must not be looked at. Only the RTP receive goroutine
// calls it.
func (s *Stream) unprotectRTP(b []byte, now time.Time) ([]byte, bool) {
	r := s.rxSRTP.Load()
	// A packet that fails is left as it was (pion checks before it decrypts), so the previous
	// key can try it next.
	out, err := r.rtp.DecryptRTP(b, b, &s.pkt.Header)
	if err == nil {
		r.heard.Store(true)
		return out, true
	}
	if p := r.prev; p != nil && !r.heard.Load() && now.Sub(s.epoch) < r.until {
		out, err = p.rtp.DecryptRTP(b, b, &s.pkt.Header)
		return out, err == nil
	}
	return nil, false
}

// unprotectRTCP is unprotectRTP for SRTCP; only the RTCP receive goroutine calls it.
func (s *Stream) unprotectRTCP(b []byte, now time.Time) ([]byte, bool) {
	r := s.rxSRTP.Load()
	out, err := r.rtcp.DecryptRTCP(b, b, &s.rtcpHdr)
	if err == nil {
		r.heard.Store(true)
		return out, true
	}
	if p := r.prev; p != nil && !r.heard.Load() && now.Sub(s.epoch) < r.until {
		out, err = p.rtcp.DecryptRTCP(b, b, &s.rtcpHdr)
		return out, err == nil
	}
	return nil, false
}

// refused counts a packet that failed SRTP or SRTCP authentication or the replay check; one from
// an address other than the peer's (for RTCP: another host, see rtcpFromPeer) also counts as
// foreign. Nothing else about the stream changes.
func (s *Stream) refused(from netip.AddrPort, isRTCP bool) {
	s.unauthenticated.Add(1)
	s.dropped.Add(1)
	if !from.IsValid() {
		return
	}
	s.mu.Lock()
	var foreign bool
	if isRTCP {
		foreign = !s.rtcpFromPeer(from)
	} else {
		foreign = s.latched && from != s.peer && from != s.signalled
	}
	s.mu.Unlock()
	if foreign {
		s.foreign.Add(1)
	}
}

// protectRTP returns pkt as SRTP when the stream is encrypted, else pkt itself. The clock's
// goroutine calls it; want is the suite to send with (s.txSuite read under s.mu).
func (s *Stream) protectRTP(pkt []byte, want SRTPSuite) ([]byte, error) {
	t := s.txSRTP
	if t == nil {
		return pkt, nil
	}
	if err := t.follow(want, s.ssrc); err != nil {
		return nil, err
	}
	out, err := t.ctx.EncryptRTP(t.buf[:0], pkt, &t.hdr)
	if err != nil {
		return nil, fmt.Errorf("media: srtp protect: %w", err)
	}
	return out, nil
}

// protectRTCP returns an RTCP compound packet as SRTCP when the stream is encrypted (as
// protectRTP, on the clock's goroutine).
func (s *Stream) protectRTCP(pkt []byte, want SRTPSuite) ([]byte, error) {
	t := s.txSRTP
	if t == nil {
		return pkt, nil
	}
	if err := t.follow(want, s.ssrc); err != nil {
		return nil, err
	}
	out, err := t.ctx.EncryptRTCP(t.rtcp[:0], pkt, &t.rtcpHdr)
	if err != nil {
		return nil, fmt.Errorf("media: srtcp protect: %w", err)
	}
	return out, nil
}
