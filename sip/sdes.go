package sip

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// This file is SDES, RFC 4568: the SRTP keys of a stream carried in its SDP as a=crypto
// attributes, and how a line's encryption policy (line.MediaEncryption) chooses between them.
// pion/sdp keeps attributes as text and no well-kept Go library reads the crypto grammar, so it is
// read here: only what Lineup can honour is taken, the rest is left out as the RFC asks.

// ErrEncryption is wrapped when the media encryption of an offer or answer does not meet the
// line's policy: an offer that requires SRTP to a line that has it off, a plain offer or answer
// to a line that requires it, or no crypto suite in common. An INVITE it concerns is answered 488.
var ErrEncryption = errors.New("media encryption not acceptable")

// Crypto is one a=crypto attribute (RFC 4568 section 9.1) Lineup can use: a tag, a suite it
// supports and one master key and salt (media.SRTPKeyLen bytes), without MKI.
type Crypto struct {
	Tag   int
	Suite media.SRTPSuite
	Key   []byte
}

// Encrypted reports whether the description carries SRTP keys: as an answer, that the stream
// is encrypted with its first Crypto.
func (d MediaDesc) Encrypted() bool { return len(d.Crypto) > 0 }

// parseCrypto reads the value of an a=crypto attribute ("1 AES_CM_128_HMAC_SHA1_80
// inline:KEY|2^31"). ok is false for an attribute Lineup must not or cannot use (RFC 4568 section
// 6.3: an unknown suite, several keys or an MKI, any session parameter, a key of the wrong
// length); err is set only for a tag that is not a number, the one thing that makes the line
// malformed rather than just unusable.
func parseCrypto(v string) (c Crypto, ok bool, err error) {
	fields := strings.Fields(v)
	if len(fields) < 3 {
		return Crypto{}, false, nil
	}
	tag, err := strconv.Atoi(fields[0])
	if err != nil || tag < 0 || len(fields[0]) > 9 {
		return Crypto{}, false, fmt.Errorf("%w: bad crypto tag %q", ErrBadSDP, fields[0])
	}
	if len(fields) > 3 {
		// Session parameters (UNENCRYPTED_SRTP, KDR, ...): none is supported, and one not
		// understood makes the attribute unusable (RFC 4568 section 6.3.7).
		return Crypto{}, false, nil
	}
	suite, err := media.ParseSRTPSuite(fields[1])
	if err != nil {
		return Crypto{}, false, nil
	}
	params := fields[2]
	if strings.Contains(params, ";") {
		return Crypto{}, false, nil // more than one key: they come with MKIs
	}
	method, info, found := strings.Cut(params, ":")
	if !found || !strings.EqualFold(method, "inline") {
		return Crypto{}, false, nil
	}
	parts := strings.Split(info, "|")
	if len(parts) > 2 {
		return Crypto{}, false, nil // lifetime and MKI, or more
	}
	if len(parts) == 2 && strings.Contains(parts[1], ":") {
		return Crypto{}, false, nil // an MKI
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		// Some peers leave out the padding.
		if key, err = base64.RawStdEncoding.DecodeString(parts[0]); err != nil {
			return Crypto{}, false, nil
		}
	}
	if len(key) != media.SRTPKeyLen {
		return Crypto{}, false, nil
	}
	return Crypto{Tag: tag, Suite: suite, Key: key}, true, nil
}

// cryptoValue writes c as an a=crypto value.
func cryptoValue(c Crypto) string {
	return strconv.Itoa(c.Tag) + " " + c.Suite.String() + " inline:" + base64.StdEncoding.EncodeToString(c.Key)
}

// OfferCrypto returns the keys and transport of an offer under policy: nothing for off; every
// suite Lineup supports, each under key, on RTP/AVP for offer (peers without SRTP ignore the
// attributes) and on RTP/SAVP for require. One master key serves every suite offered, as only the
// one the answer takes is ever used.
func OfferCrypto(policy line.MediaEncryption, key []byte) (crypto []Crypto, secure bool) {
	if policy == line.EncryptionOff {
		return nil, false
	}
	for i, s := range media.SRTPSuites() {
		crypto = append(crypto, Crypto{Tag: i + 1, Suite: s, Key: key})
	}
	return crypto, policy == line.EncryptionRequire
}

// SRTPAnswer is the encryption chosen for an answer: Local is Lineup's attribute (none for plain
// media), Remote the offer's attribute it answers, whose key the stream decrypts with.
type SRTPAnswer struct {
	Local, Remote []Crypto
	// Secure answers on RTP/SAVP (the offer's transport).
	Secure bool
}

// AnswerCrypto chooses the encryption of an answer to offer under policy, with key as Lineup's
// key (RFC 4568 section 7.1.2: the first offered attribute Lineup can use, its tag and suite, our
// key). The error wraps ErrEncryption and says why when the offer cannot be answered under the
// policy.
func AnswerCrypto(offer MediaDesc, policy line.MediaEncryption, key []byte) (SRTPAnswer, error) {
	switch {
	case offer.Secure && policy == line.EncryptionOff:
		return SRTPAnswer{}, fmt.Errorf("%w: the caller requires SRTP (RTP/SAVP), and encryption is off for the line", ErrEncryption)
	case policy == line.EncryptionOff:
		return SRTPAnswer{}, nil
	}
	if len(offer.Crypto) == 0 {
		switch {
		case offer.Secure:
			return SRTPAnswer{}, fmt.Errorf("%w: the offer requires SRTP but holds no crypto suite Lineup supports (it supports %s)", ErrEncryption, suiteNames())
		case policy == line.EncryptionRequire:
			return SRTPAnswer{}, fmt.Errorf("%w: the offer is plain RTP, and the line requires SRTP", ErrEncryption)
		}
		return SRTPAnswer{}, nil
	}
	c := offer.Crypto[0]
	return SRTPAnswer{Local: []Crypto{{Tag: c.Tag, Suite: c.Suite, Key: key}}, Remote: []Crypto{c}, Secure: offer.Secure}, nil
}

// AcceptAnswerCrypto checks an answer's keys against the offer Lineup made: the answer's
// attribute must carry the tag and suite of one offered (RFC 4568 section 7.1.3). It returns the
// answer's attribute that the stream decrypts with, as the answer's Crypto from then on: one, or
// none for a plain answer to an offer that allowed one. The error wraps ErrEncryption.
func AcceptAnswerCrypto(offer, answer MediaDesc) ([]Crypto, error) {
	if !offer.Encrypted() {
		return nil, nil // a plain offer: crypto in the answer means nothing
	}
	for _, a := range answer.Crypto {
		for _, o := range offer.Crypto {
			if a.Tag == o.Tag && a.Suite == o.Suite {
				return []Crypto{a}, nil
			}
		}
	}
	switch {
	case len(answer.Crypto) > 0:
		return nil, fmt.Errorf("%w: the answer's crypto suite was not offered", ErrEncryption)
	case offer.Secure:
		return nil, fmt.Errorf("%w: the answer brings no SRTP keys, and the line requires SRTP", ErrEncryption)
	}
	return nil, nil
}

// ReofferCrypto answers a re-offer within a dialog whose media runs with current (Lineup's
// chosen Crypto, none for plain media): an encrypted call stays encrypted with the same suite and
// Lineup's same key, and a plain call stays plain (RFC 4568 section 7.1.4 allows keys to change; a
// change of encryption midway is refused rather than let a re-INVITE turn encryption off).
func ReofferCrypto(offer MediaDesc, current []Crypto) (SRTPAnswer, error) {
	if len(current) == 0 {
		if offer.Secure {
			return SRTPAnswer{}, fmt.Errorf("%w: the call's media is plain, and the new offer requires SRTP", ErrEncryption)
		}
		return SRTPAnswer{}, nil
	}
	for _, c := range offer.Crypto {
		if c.Suite == current[0].Suite {
			return SRTPAnswer{Local: []Crypto{{Tag: c.Tag, Suite: c.Suite, Key: current[0].Key}}, Remote: []Crypto{c}, Secure: offer.Secure}, nil
		}
	}
	return SRTPAnswer{}, fmt.Errorf("%w: the call's media is encrypted with %s, and the new offer does not keep it", ErrEncryption, current[0].Suite)
}

func suiteNames() string {
	names := make([]string, 0, 2)
	for _, s := range media.SRTPSuites() {
		names = append(names, s.String())
	}
	return strings.Join(names, ", ")
}

// answeredCrypto picks from list the attribute whose tag the chosen one (the first of chosen)
// answers; none when chosen is empty.
func answeredCrypto(list, chosen []Crypto) []Crypto {
	if len(chosen) == 0 {
		return nil
	}
	for _, c := range list {
		if c.Tag == chosen[0].Tag && c.Suite == chosen[0].Suite {
			return []Crypto{c}
		}
	}
	return nil
}
