package sip

import (
	"bytes"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/emiago/sipgo/siptest"

	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/sipcorpus"
	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// FuzzEndpointRequest puts bytes into the endpoint the way its transports do: parsed by sipgo,
// then handed to the handler of the method with a recorded server transaction. Whatever the
// bytes, no handler panics, every request but an ACK is answered, and every answer is a SIP/2.0
// status from 100 to 699.
func FuzzEndpointRequest(f *testing.F) {
	for _, c := range sipcorpus.Cases(sipcorpus.Target{Host: "127.0.0.1", Port: 5060, User: "201", Transport: "UDP", From: "127.0.0.1:5099"}, 0) {
		if len(c.Msg) < 8<<10 {
			f.Add(c.Msg)
		}
	}
	f.Add(sipcorpus.Options("127.0.0.1:5099", "UDP", "127.0.0.1:5060", "201", 1))
	logs := &harness.LogBuffer{}
	e, err := NewEndpoint(EndpointConfig{ListenIP: "127.0.0.1", OpenToAll: true, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.Close() })
	e.OnCall(func(c *IncomingCall) { _ = c.Reject(486, "Busy Here") })
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := gosip.ParseMessage(data)
		if err != nil {
			return // the transport drops what does not parse
		}
		req, ok := msg.(*gosip.Request)
		if !ok {
			return
		}
		req.SetSource("127.0.0.1:5099")
		req.SetTransport("UDP")
		if _, err := gosip.ServerTxKeyMake(req); err != nil {
			return // the transaction layer answers these 400 itself, before any handler
		}
		rec := siptest.NewServerTxRecorder(req)
		defer rec.Terminate()
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.handlerFor(req.Method)(req, rec)
		}()
		if req.IsInvite() {
			go ackFinal(req, rec, done) // as the caller would: a rejected INVITE waits for it
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("the %s handler did not return within 5 s: %q\n%s", req.Method, data, buf[:runtime.Stack(buf, true)])
		}
		if strings.Contains(logs.String(), "sip handler panicked") {
			t.Fatalf("a handler panicked on %q:\n%s", data, logs.String())
		}
		res := rec.Result()
		if !req.IsAck() && len(res) == 0 {
			t.Fatalf("%s got no answer: %q", req.Method, data)
		}
		for _, r := range res {
			if r.StatusCode < 100 || r.StatusCode > 699 || r.SipVersion != "SIP/2.0" {
				t.Fatalf("answer %q to %q", r.StartLine(), data)
			}
		}
		if req.IsAck() && len(res) > 0 {
			t.Fatalf("an ACK was answered %q", res[0].StartLine())
		}
	})
}

// ackFinal acknowledges the first final response of 300 or more the recorder gets, until done.
func ackFinal(req *gosip.Request, rec *siptest.ServerTxRecorder, done <-chan struct{}) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		for _, r := range rec.Result() {
			if r.StatusCode >= 300 {
				ack := req.Clone()
				ack.Method = gosip.ACK
				ack.RemoveHeader("CSeq")
				ack.AppendHeader(&gosip.CSeqHeader{SeqNo: req.CSeq().SeqNo, MethodName: gosip.ACK})
				if to := r.To(); to != nil {
					ack.RemoveHeader("To")
					ack.AppendHeader(gosip.HeaderClone(to))
				}
				_ = rec.Receive(ack)
				return
			}
		}
	}
}

// FuzzRegisterResponse feeds a registrar's response to what the line reads from it: the granted
// lifetime, P-Associated-URI, Retry-After, Via received/rport and the digest challenge. Nothing
// panics, lifetimes and waits are never negative, and Retry-After stays within a day.
func FuzzRegisterResponse(f *testing.F) {
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1;received=10.0.0.1;rport=4000\r\nFrom: <sip:201@pbx>;tag=1\r\nTo: <sip:201@pbx>;tag=2\r\nCall-ID: a\r\nCSeq: 2 REGISTER\r\nContact: <sip:201@127.0.0.1:5099>;expires=600\r\nExpires: 3600\r\nP-Associated-URI: <sip:+4930123@pbx>, <tel:+4930123>\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1\r\nFrom: <sip:201@pbx>;tag=1\r\nTo: <sip:201@pbx>;tag=2\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm=\"pbx\", nonce=\"abc\", algorithm=MD5, qop=\"auth\"\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1\r\nFrom: <sip:201@pbx>;tag=1\r\nTo: <sip:201@pbx>\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\nRetry-After: 99999999999999999999 (maintenance)\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1\r\nFrom: <sip:201@pbx>;tag=1\r\nTo: <sip:201@pbx>\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\nContact: <sip:201@127.0.0.1:5099>;expires=9223372036854775807\r\nContent-Length: 0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := gosip.ParseMessage(data)
		if err != nil {
			return
		}
		res, ok := msg.(*gosip.Response)
		if !ok {
			return
		}
		r := &Registrar{name: "L1", acct: line.Account{User: "201", Registrar: "pbx"},
			contact: gosip.Uri{Scheme: "sip", User: "201", Host: "127.0.0.1", Port: 5099}}
		r.ep = &Endpoint{log: slog.New(slog.DiscardHandler)}
		if d, ok := r.grantedExpiry(res); ok && d < 0 {
			t.Fatalf("granted %v", d)
		}
		if d := retryAfter(res); d < 0 || d > 24*time.Hour {
			t.Fatalf("retry after %v", d)
		}
		_ = registeredNumber(res, "201")
		if r.fixContact(res) && (r.contact.Host == "" || r.contact.Port <= 0 || r.contact.Port > 65535) {
			t.Fatalf("contact moved to %v", r.contact.String())
		}
		if res.StatusCode == 401 || res.StatusCode == 407 {
			_, _, _ = challengeOf(res)
		}
	})
}

// FuzzDTMFInfo feeds INFO bodies to the DTMF reader: it answers 200, 400 or 415, and a digit
// only with 200 and only one of 0-9 * # A-D.
func FuzzDTMFInfo(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay; charset=x", []byte("Signal= \r\n"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, code := dtmfInfoDigit(ct, body)
		switch {
		case code != 200 && code != 400 && code != 415:
			t.Fatalf("code %d", code)
		case d != 0 && (code != 200 || !isDTMFDigit(d)):
			t.Fatalf("digit %q with %d", d, code)
		}
	})
}

// FuzzTargetURI feeds dialled targets to the reader of sip: targets: a target it accepts has a
// host and prints as a URI that reads back to the same host and user.
func FuzzTargetURI(f *testing.F) {
	for _, s := range []string{"201", "sip:bob@example.com:5070;transport=tcp", "bob@host", "sips:a@[::1]", "sip:@", "tel:+49", "%00@x", "sip:a@b?c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := targetURI(target, "pbx.example")
		if err != nil {
			return
		}
		if u.Host == "" {
			t.Fatalf("%q: no host", target)
		}
		var back gosip.Uri
		if err := gosip.ParseUri(u.String(), &back); err != nil {
			t.Fatalf("%q: %s does not read back: %v", target, u.String(), err)
		}
		if back.Host != u.Host || back.User != u.User {
			t.Fatalf("%q: %s reads back as %s", target, u.String(), back.String())
		}
	})
}

// FuzzSDES feeds session descriptions to the SDP reader and the SDES choices on what it
// read: nothing panics, every kept crypto attribute has a key of the right length, and what
// Lineup would answer under each policy reads back as the same keys.
func FuzzSDES(f *testing.F) {
	f.Add([]byte(sipcorpus.SDP("10.0.0.1")))
	f.Add([]byte(strings.Replace(sipcorpus.SDP("10.0.0.1"), "RTP/AVP", "RTP/SAVP", 1) +
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|2^31\r\n" +
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8|2^20|1:4\r\n"))
	key := bytes.Repeat([]byte{7}, media.SRTPKeyLen)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseSDP(b)
		if err != nil {
			return
		}
		for _, c := range d.Crypto {
			if len(c.Key) != media.SRTPKeyLen {
				t.Fatalf("crypto %d kept with a %d-byte key", c.Tag, len(c.Key))
			}
		}
		for _, p := range []line.MediaEncryption{line.EncryptionOff, line.EncryptionOffer, line.EncryptionRequire} {
			a, err := AnswerCrypto(d, p, key)
			if err != nil {
				continue
			}
			ans := d
			ans.Host, ans.Port, ans.Crypto, ans.Secure = "192.0.2.1", 4000, a.Local, a.Secure
			if len(ans.Codecs) == 0 {
				continue
			}
			back, err := ParseSDP(BuildSDP(1, 1, ans))
			if err != nil {
				t.Fatalf("policy %v: the answer does not read back: %v", p, err)
			}
			if back.Secure != a.Secure || !SameKey(back.Crypto, a.Local) {
				t.Fatalf("policy %v: the answer's keys read back as %+v, want %+v", p, back.Crypto, a.Local)
			}
		}
	})
}
