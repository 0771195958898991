package media

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// This file is the SRTP (RFC 3711) of a Stream, on pion/srtp: the suites SDES (RFC 4568) names,
// the keys, and the protect and unprotect steps the stream's goroutines run. pion's Context is
// not safe for concurrent use, so each goroutine has its own: the clock's goroutine protects RTP
// and RTCP with Lineup's key, the RTP and RTCP receive goroutines each unprotect with the peer's.

// SRTPSuite is an SRTP crypto suite as SDES names it (RFC 4568 section 6.2).
type SRTPSuite uint8

// The suites Lineup supports. SRTPNone is no encryption.
const (
	SRTPNone SRTPSuite = iota
	// SRTPAES128SHA1_80 is AES_CM_128_HMAC_SHA1_80: AES-128 in counter mode, an 80-bit
	// HMAC-SHA1 tag on RTP and RTCP.
	SRTPAES128SHA1_80
	// SRTPAES128SHA1_32 is AES_CM_128_HMAC_SHA1_32: the same with a 32-bit tag on RTP (RTCP
	// keeps the 80-bit one, RFC 4568 section 6.2.2).
	SRTPAES128SHA1_32
)

var suiteNames = [...]string{SRTPNone: "none", SRTPAES128SHA1_80: "AES_CM_128_HMAC_SHA1_80", SRTPAES128SHA1_32: "AES_CM_128_HMAC_SHA1_32"}

// String returns the SDES name ("AES_CM_128_HMAC_SHA1_80"), or "none".
func (s SRTPSuite) String() string {
	if int(s) < len(suiteNames) {
		return suiteNames[s]
	}
	return fmt.Sprintf("SRTPSuite(%d)", int(s))
}

// ParseSRTPSuite reads an SDES suite name in any case; a suite Lineup does not support is an
// error wrapping ErrUnknownSuite.
func ParseSRTPSuite(name string) (SRTPSuite, error) {
	for _, s := range SRTPSuites() {
		if strings.EqualFold(name, s.String()) {
			return s, nil
		}
	}
	return SRTPNone, fmt.Errorf("%w: %q", ErrUnknownSuite, name)
}

// SRTPSuites are the supported suites in Lineup's order of preference.
func SRTPSuites() []SRTPSuite { return []SRTPSuite{SRTPAES128SHA1_80, SRTPAES128SHA1_32} }

func (s SRTPSuite) profile() (srtp.ProtectionProfile, bool) {
	switch s {
	case SRTPAES128SHA1_80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, true
	case SRTPAES128SHA1_32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, true
	}
	return 0, false
}

// SRTPKeyLen is the length of an SDES key: a 16-byte master key followed by a 14-byte master
// salt, as the inline: parameter carries them (RFC 4568 section 6.1).
const SRTPKeyLen = 30

const (
	srtpMasterKeyLen = 16
	// replayWindow is how many packets back a late one is still taken (RFC 3711 section 3.3.2
	// asks for at least 64).
	replayWindow = 128
	// srtpOverhead is the most SRTP and SRTCP add to a packet: a 10-byte tag and the SRTCP index.
	srtpOverhead = 14
)

// NewSRTPKey makes a fresh random master key and salt.
func NewSRTPKey() ([]byte, error) {
	k := make([]byte, SRTPKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("media: srtp key: %w", err)
	}
	return k, nil
}

// SRTP is a stream's keys: Local protects what we send, Remote unprotects what the peer sends,
// both with Suite.
type SRTP struct {
	Suite         SRTPSuite
	Local, Remote []byte
}

// newSRTPContext makes a context for one direction and one goroutine.
func newSRTPContext(suite SRTPSuite, key []byte) (*srtp.Context, error) {
	p, ok := suite.profile()
	if !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnknownSuite, suite)
	}
	if len(key) != SRTPKeyLen {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrBadSRTPKey, len(key), SRTPKeyLen)
	}
	c, err := srtp.CreateContext(key[:srtpMasterKeyLen], key[srtpMasterKeyLen:], p,
		srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow))
	if err != nil {
		return nil, fmt.Errorf("media: srtp context: %w", err)
	}
	return c, nil
}

// srtpRecv is the peer's key as the receive goroutines use it: one context each.
type srtpRecv struct {
	suite SRTPSuite
	key   []byte
	rtp   *srtp.Context
	rtcp  *srtp.Context
}

func newSRTPRecv(suite SRTPSuite, key []byte) (*srtpRecv, error) {
	r, err := newSRTPContext(suite, key)
	if err != nil {
		return nil, err
	}
	c, err := newSRTPContext(suite, key)
	if err != nil {
		return nil, err
	}
	return &srtpRecv{suite: suite, key: append([]byte(nil), key...), rtp: r, rtcp: c}, nil
}

// streamSRTP is a Stream's SRTP state. send and sendBuf belong to the clock's goroutine; recv is
// swapped by SetSRTPRemote and read by the receive goroutines, which own rtpBuf and rtcpBuf.
type streamSRTP struct {
	suite   SRTPSuite
	send    *srtp.Context
	sendHdr rtp.Header
	sendBuf []byte
	rtcpHdr rtcp.Header
	recv    atomic.Pointer[srtpRecv]
	rtpBuf  []byte
	rtpHdr  rtp.Header
	rtcpBuf []byte
	rtcpIn  rtcp.Header
}

func newStreamSRTP(cfg *SRTP) (*streamSRTP, error) {
	if cfg.Suite == SRTPNone {
		return nil, fmt.Errorf("%w: keys without a suite", ErrUnknownSuite)
	}
	send, err := newSRTPContext(cfg.Suite, cfg.Local)
	if err != nil {
		return nil, fmt.Errorf("local key: %w", err)
	}
	recv, err := newSRTPRecv(cfg.Suite, cfg.Remote)
	if err != nil {
		return nil, fmt.Errorf("remote key: %w", err)
	}
	s := &streamSRTP{
		suite: cfg.Suite, send: send,
		sendBuf: make([]byte, maxPacket+srtpOverhead),
		rtpBuf:  make([]byte, maxPacket), rtcpBuf: make([]byte, maxPacket),
	}
	s.recv.Store(recv)
	return s, nil
}

// protectRTP returns pkt as SRTP, in a buffer reused by the next call.
func (s *streamSRTP) protectRTP(pkt []byte) ([]byte, error) {
	return s.send.EncryptRTP(s.sendBuf[:0], pkt, &s.sendHdr)
}

// protectRTCP returns a compound RTCP packet as SRTCP, in a buffer reused by the next call.
func (s *streamSRTP) protectRTCP(pkt []byte) ([]byte, error) {
	return s.send.EncryptRTCP(s.sendBuf[:0], pkt, &s.rtcpHdr)
}

// unprotectRTP authenticates and decrypts an SRTP packet (replays fail), into a buffer reused by
// the next call.
func (s *streamSRTP) unprotectRTP(b []byte) ([]byte, error) {
	return s.recv.Load().rtp.DecryptRTP(s.rtpBuf[:0], b, &s.rtpHdr)
}

// unprotectRTCP authenticates and decrypts an SRTCP packet.
func (s *streamSRTP) unprotectRTCP(b []byte) ([]byte, error) {
	return s.recv.Load().rtcp.DecryptRTCP(s.rtcpBuf[:0], b, &s.rtcpIn)
}
