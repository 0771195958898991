package sip

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, media.SRTPKeyLen) }

func inline(k []byte) string { return "inline:" + base64.StdEncoding.EncodeToString(k) }

func sdpWith(proto string, attrs ...string) []byte {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 " + proto + " 0\r\n")
	for _, a := range attrs {
		b.WriteString("a=" + a + "\r\n")
	}
	return []byte(b.String())
}

// An offer of each policy is what a peer reads: plain RTP/AVP for off, both suites under one key
// on RTP/AVP for offer, on RTP/SAVP for require; and it reads back to the same keys.
func TestOfferCryptoBuildsAndReadsBack(t *testing.T) {
	key := testKey(7)
	for _, c := range []struct {
		policy line.MediaEncryption
		proto  string
		crypto int
	}{{line.EncryptionOff, "RTP/AVP", 0}, {line.EncryptionOffer, "RTP/AVP", 2}, {line.EncryptionRequire, "RTP/SAVP", 2}} {
		t.Run(c.policy.String(), func(t *testing.T) {
			d := OfferDesc("192.0.2.10", 40000)
			d.Crypto, d.Secure = OfferCrypto(c.policy, key)
			body := string(BuildSDP(1, 1, d))
			if !strings.Contains(body, "m=audio 40000 "+c.proto+" ") {
				t.Errorf("offer is not on %s:\n%s", c.proto, body)
			}
			if got := strings.Count(body, "a=crypto:"); got != c.crypto {
				t.Errorf("offer has %d crypto lines, want %d:\n%s", got, c.crypto, body)
			}
			if c.crypto > 0 {
				for _, want := range []string{
					"a=crypto:1 AES_CM_128_HMAC_SHA1_80 " + inline(key) + "\r\n",
					"a=crypto:2 AES_CM_128_HMAC_SHA1_32 " + inline(key) + "\r\n",
				} {
					if !strings.Contains(body, want) {
						t.Errorf("offer lacks %q:\n%s", want, body)
					}
				}
			}
			back, err := ParseSDP([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if back.Secure != d.Secure || len(back.Crypto) != c.crypto {
				t.Fatalf("read back secure %v with %d crypto, want %v with %d", back.Secure, len(back.Crypto), d.Secure, c.crypto)
			}
			for i, cr := range back.Crypto {
				if cr.Tag != i+1 || cr.Suite != media.SRTPSuites()[i] || !bytes.Equal(cr.Key, key) {
					t.Errorf("crypto %d read back as %+v", i, cr)
				}
			}
		})
	}
}

// Only attributes Lineup can honour are taken (RFC 4568 section 6.3); a tag that is no number
// makes the body malformed. Nothing hostile panics or gets through as a key.
func TestParseCryptoAttributes(t *testing.T) {
	good := inline(testKey(1))
	for _, c := range []struct {
		name  string
		attr  string
		taken bool
		bad   bool
	}{
		{"80", "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good, true, false},
		{"32 lower case", "crypto:5 aes_cm_128_hmac_sha1_32 " + good, true, false},
		{"lifetime", "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good + "|2^31", true, false},
		{"no padding", "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.RawStdEncoding.EncodeToString(testKey(1)), true, false},
		{"mki", "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good + "|2^20|1:4", false, false},
		{"mki without lifetime", "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good + "|1:4", false, false},
		{"two keys", "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good + "|1:4;" + good + "|2:4", false, false},
		{"session parameter", "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good + " UNENCRYPTED_SRTP", false, false},
		{"unknown suite", "crypto:1 AEAD_AES_256_GCM " + good, false, false},
		{"short key", "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(testKey(1)[:29]), false, false},
		{"long key", "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(append(testKey(1), 0)), false, false},
		{"not base64", "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", false, false},
		{"no inline", "crypto:1 AES_CM_128_HMAC_SHA1_80 uri:https://example.invalid/k", false, false},
		{"too few fields", "crypto:1 AES_CM_128_HMAC_SHA1_80", false, false},
		{"tag not a number", "crypto:x AES_CM_128_HMAC_SHA1_80 " + good, false, true},
		{"tag negative", "crypto:-1 AES_CM_128_HMAC_SHA1_80 " + good, false, true},
		{"tag of ten digits", "crypto:1234567890 AES_CM_128_HMAC_SHA1_80 " + good, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseSDP(sdpWith("RTP/SAVP", c.attr))
			if c.bad {
				if !errors.Is(err, ErrBadSDP) || !strings.Contains(err.Error(), "crypto tag") {
					t.Fatalf("error %v, want a malformed crypto tag", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(d.Crypto) == 1; got != c.taken {
				t.Fatalf("taken %v (%+v), want %v", got, d.Crypto, c.taken)
			}
			if c.taken && !bytes.Equal(d.Crypto[0].Key, testKey(1)) {
				t.Errorf("key %x", d.Crypto[0].Key)
			}
		})
	}
	// A flood of attributes keeps a handful.
	attrs := make([]string, 500)
	for i := range attrs {
		attrs[i] = "crypto:1 AES_CM_128_HMAC_SHA1_80 " + good
	}
	d, err := ParseSDP(sdpWith("RTP/AVP", attrs...))
	if err != nil || len(d.Crypto) != maxCrypto {
		t.Errorf("500 attributes: kept %d, %v; want %d", len(d.Crypto), err, maxCrypto)
	}
}

// Every policy against every kind of offer: what is answered, and what is refused (488).
func TestAnswerCryptoPolicies(t *testing.T) {
	ours := testKey(9)
	theirs := []Crypto{{Tag: 3, Suite: media.SRTPAES128SHA1_32, Key: testKey(2)}, {Tag: 4, Suite: media.SRTPAES128SHA1_80, Key: testKey(3)}}
	offers := map[string]MediaDesc{
		"plain":             {},
		"avp with keys":     {Crypto: theirs},
		"savp with keys":    {Secure: true, Crypto: theirs},
		"savp without keys": {Secure: true},
	}
	type want struct {
		encrypted, secure bool
		refused           string
	}
	table := map[line.MediaEncryption]map[string]want{
		line.EncryptionOff: {
			"plain": {}, "avp with keys": {},
			"savp with keys":    {refused: "encryption is off for the line"},
			"savp without keys": {refused: "encryption is off for the line"},
		},
		line.EncryptionOffer: {
			"plain": {}, "avp with keys": {encrypted: true},
			"savp with keys":    {encrypted: true, secure: true},
			"savp without keys": {refused: "no crypto suite Lineup supports"},
		},
		line.EncryptionRequire: {
			"plain":             {refused: "the line requires SRTP"},
			"avp with keys":     {encrypted: true},
			"savp with keys":    {encrypted: true, secure: true},
			"savp without keys": {refused: "no crypto suite Lineup supports"},
		},
	}
	for policy, rows := range table {
		for name, w := range rows {
			t.Run(policy.String()+"/"+name, func(t *testing.T) {
				a, err := AnswerCrypto(offers[name], policy, ours)
				if w.refused != "" {
					if !errors.Is(err, ErrEncryption) || !strings.Contains(err.Error(), w.refused) {
						t.Fatalf("error %v, want a refusal saying %q", err, w.refused)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Local) > 0 != w.encrypted || a.Secure != w.secure {
					t.Fatalf("answer %+v, want encrypted %v secure %v", a, w.encrypted, w.secure)
				}
				if w.encrypted {
					// The first offered attribute, its tag and suite, our key; the far end's key to decrypt.
					if a.Local[0].Tag != 3 || a.Local[0].Suite != media.SRTPAES128SHA1_32 || !bytes.Equal(a.Local[0].Key, ours) {
						t.Errorf("local %+v", a.Local[0])
					}
					if len(a.Remote) != 1 || !bytes.Equal(a.Remote[0].Key, testKey(2)) {
						t.Errorf("remote %+v", a.Remote)
					}
				}
			})
		}
	}
}

// The answer to Lineup's offer must take one of the offered tags and suites; a plain answer ends
// a call only when the line requires SRTP.
func TestAcceptAnswerCrypto(t *testing.T) {
	key := testKey(5)
	offerCrypto, _ := OfferCrypto(line.EncryptionOffer, key)
	offer := MediaDesc{Crypto: offerCrypto}
	required := MediaDesc{Crypto: offerCrypto, Secure: true}
	answer := MediaDesc{Crypto: []Crypto{{Tag: 2, Suite: media.SRTPAES128SHA1_32, Key: testKey(6)}}}

	if c, err := AcceptAnswerCrypto(offer, answer); err != nil || len(c) != 1 || c[0].Tag != 2 || !bytes.Equal(c[0].Key, testKey(6)) {
		t.Errorf("answer with tag 2: %+v %v", c, err)
	}
	if c, err := AcceptAnswerCrypto(offer, MediaDesc{}); err != nil || len(c) != 0 {
		t.Errorf("plain answer to an offer: %+v, %v; want plain", c, err)
	}
	if _, err := AcceptAnswerCrypto(required, MediaDesc{}); !errors.Is(err, ErrEncryption) || !strings.Contains(err.Error(), "no SRTP keys") {
		t.Errorf("plain answer to require: %v", err)
	}
	wrong := MediaDesc{Crypto: []Crypto{{Tag: 2, Suite: media.SRTPAES128SHA1_80, Key: testKey(6)}}}
	if _, err := AcceptAnswerCrypto(offer, wrong); !errors.Is(err, ErrEncryption) || !strings.Contains(err.Error(), "not offered") {
		t.Errorf("answer with a suite not offered under its tag: %v", err)
	}
	if c, err := AcceptAnswerCrypto(MediaDesc{}, answer); err != nil || len(c) != 0 {
		t.Errorf("keys in the answer to a plain offer: %+v, %v; want plain", c, err)
	}
}

// A re-offer keeps the call as it is: encrypted with the same suite and our same key, or plain.
func TestReofferCrypto(t *testing.T) {
	current := []Crypto{{Tag: 1, Suite: media.SRTPAES128SHA1_80, Key: testKey(1)}}
	newKey := MediaDesc{Crypto: []Crypto{{Tag: 7, Suite: media.SRTPAES128SHA1_80, Key: testKey(8)}}}
	a, err := ReofferCrypto(newKey, current)
	if err != nil || len(a.Local) != 1 || a.Local[0].Tag != 7 || !bytes.Equal(a.Local[0].Key, testKey(1)) || !bytes.Equal(a.Remote[0].Key, testKey(8)) {
		t.Errorf("re-offer with a new key: %+v, %v", a, err)
	}
	if SameKey(a.Remote, current) || !SameKey(current, current) || SameKey(nil, current) || !SameKey(nil, nil) {
		t.Error("SameKey")
	}
	if _, err := ReofferCrypto(MediaDesc{}, current); !errors.Is(err, ErrEncryption) {
		t.Errorf("plain re-offer of an encrypted call: %v, want refused", err)
	}
	other := MediaDesc{Crypto: []Crypto{{Tag: 1, Suite: media.SRTPAES128SHA1_32, Key: testKey(8)}}}
	if _, err := ReofferCrypto(other, current); !errors.Is(err, ErrEncryption) {
		t.Errorf("re-offer with another suite: %v, want refused", err)
	}
	if a, err := ReofferCrypto(newKey, nil); err != nil || len(a.Local) != 0 {
		t.Errorf("keys re-offered on a plain call: %+v, %v; want it to stay plain", a, err)
	}
	if _, err := ReofferCrypto(MediaDesc{Secure: true}, nil); !errors.Is(err, ErrEncryption) {
		t.Errorf("RTP/SAVP re-offer of a plain call: %v, want refused", err)
	}
}

// SameKey reports (for the tests) whether two Crypto lists start with the same suite and key.
func SameKey(a, b []Crypto) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	return a[0].Suite == b[0].Suite && bytes.Equal(a[0].Key, b[0].Key)
}
