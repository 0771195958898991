// Package sipcorpus is a corpus of malformed and hostile SIP messages for torture tests: the
// kinds of message RFC 4475 catalogues (missing and repeated mandatory headers, bad lengths,
// wrong versions and methods, unknown schemes, huge headers and bodies, truncated and binary
// data, broken SDP, escaped and non-ASCII URIs), written for this project. Each case says which
// answers a line server may give it; the tests that use it check the answer and then that the
// server still answers OPTIONS and still takes a real call.
package sipcorpus

import (
	"fmt"
	"strings"
)

// Case is one hostile message.
type Case struct {
	// Name says what is wrong with the message.
	Name string
	// Msg is the message as sent.
	Msg []byte
	// Want lists the status codes the server may answer with; empty means the message must get
	// no answer at all: an ACK is never answered, and a message the SIP parser cannot read is
	// dropped (RFC 3261 section 18.3 lets a server discard what it cannot frame; over TCP the
	// connection is closed, as no message boundary is left to resume at).
	Want []int
	// UDPOnly marks messages that only make sense as one datagram (their framing is the point);
	// StreamOnly those too large for one.
	UDPOnly, StreamOnly bool
}

// Target says where the messages go.
type Target struct {
	// Host and Port are the line server's SIP address, e.g. "127.0.0.1" and 5060.
	Host string
	Port int
	// User is a user the server answers for, e.g. a line's "201".
	User string
	// Transport is "UDP" or "TCP", written into the Via.
	Transport string
	// From is the sender's address, "ip:port", written into the Via and Contact.
	From string
}

// msg assembles a request from its start line, its headers and its body; Content-Length is
// added (as the body's length) unless a header of that name is already given.
func msg(start string, headers []string, body string) []byte {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	hasLen := false
	for _, h := range headers {
		if h == "" {
			continue
		}
		if strings.HasPrefix(strings.ToLower(h), "content-length:") || strings.HasPrefix(h, "l:") {
			hasLen = true
		}
		b.WriteString(h + "\r\n")
	}
	if !hasLen {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

// SDP is a valid G.711 offer from addr.
func SDP(addr string) string {
	return "v=0\r\no=- 1 1 IN IP4 " + addr + "\r\ns=-\r\nc=IN IP4 " + addr + "\r\nt=0 0\r\n" +
		"m=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
}

// Cases returns the corpus for t; n makes the Call-IDs and branches unique across runs.
func Cases(t Target, n int) []Case {
	host, _, _ := strings.Cut(t.From, ":")
	ruri := fmt.Sprintf("sip:%s@%s:%d", t.User, t.Host, t.Port)
	id := func(i int) string { return fmt.Sprintf("torture-%d-%d@%s", n, i, host) }
	via := func(i int) string {
		return fmt.Sprintf("Via: SIP/2.0/%s %s;branch=z9hG4bKtort%d%d;rport", t.Transport, t.From, n, i)
	}
	sdp := SDP(host)
	// invite builds an INVITE of case i with the standard headers, each of which a case may
	// replace (a value) or drop (an empty string) by its name.
	invite := func(i int, change map[string]string, body string) []byte {
		hs := []struct{ name, value string }{
			{"Via", via(i)[len("Via: "):]},
			{"Max-Forwards", "70"},
			{"From", fmt.Sprintf("\"Torture\" <sip:999@%s>;tag=t%d", host, i)},
			{"To", fmt.Sprintf("<sip:%s@%s>", t.User, t.Host)},
			{"Call-ID", id(i)},
			{"CSeq", "1 INVITE"},
			{"Contact", fmt.Sprintf("<sip:999@%s>", t.From)},
			{"Content-Type", "application/sdp"},
		}
		var lines []string
		for _, h := range hs {
			v, ok := change[h.name]
			if !ok {
				v = h.value
			}
			if v != "" {
				lines = append(lines, h.name+": "+v)
			}
		}
		for k, v := range change {
			if strings.HasPrefix(k, "+") { // extra header lines, e.g. duplicates
				lines = append(lines, v)
			}
		}
		return msg("INVITE "+ruri+" SIP/2.0", lines, body)
	}
	plain := func(i int, method string, extra ...string) []byte {
		hs := append([]string{via(i), "Max-Forwards: 70",
			fmt.Sprintf("From: <sip:999@%s>;tag=t%d", host, i),
			fmt.Sprintf("To: <sip:%s@%s>", t.User, t.Host),
			"Call-ID: " + id(i), "CSeq: 1 " + method}, extra...)
		return msg(method+" "+ruri+" SIP/2.0", hs, "")
	}
	bad := []int{400}
	cs := []Case{
		{Name: "INVITE without Call-ID", Msg: invite(1, map[string]string{"Call-ID": ""}, sdp), Want: bad},
		{Name: "INVITE without From", Msg: invite(2, map[string]string{"From": ""}, sdp), Want: bad},
		{Name: "INVITE without To", Msg: invite(3, map[string]string{"To": ""}, sdp), Want: bad},
		{Name: "INVITE without CSeq", Msg: invite(4, map[string]string{"CSeq": ""}, sdp), Want: bad},
		{Name: "INVITE without Max-Forwards", Msg: invite(5, map[string]string{"Max-Forwards": ""}, sdp), Want: bad},
		{Name: "INVITE without Via", Msg: invite(6, map[string]string{"Via": ""}, sdp), Want: bad, UDPOnly: true},
		{Name: "INVITE without Contact", Msg: invite(7, map[string]string{"Contact": ""}, sdp), Want: bad},
		{Name: "INVITE with two Call-IDs", Msg: invite(8, map[string]string{"+1": "Call-ID: second-" + id(8)}, sdp), Want: bad},
		{Name: "INVITE with two To headers", Msg: invite(9, map[string]string{"+1": fmt.Sprintf("To: <sip:other@%s>", t.Host)}, sdp), Want: bad},
		{Name: "INVITE with two From headers", Msg: invite(10, map[string]string{"+1": "From: <sip:888@" + host + ">;tag=x"}, sdp), Want: bad},
		{Name: "INVITE with two CSeq headers", Msg: invite(11, map[string]string{"+1": "CSeq: 2 INVITE"}, sdp), Want: bad},
		{Name: "INVITE whose CSeq names BYE", Msg: invite(12, map[string]string{"CSeq": "1 BYE"}, sdp), Want: bad},
		{Name: "INVITE with a negative CSeq", Msg: invite(13, map[string]string{"CSeq": "-5 INVITE"}, sdp)},
		{Name: "INVITE with a CSeq beyond 2^32", Msg: invite(14, map[string]string{"CSeq": "99999999999999999999 INVITE"}, sdp)},
		{Name: "INVITE of version SIP/7.0", Msg: []byte(strings.Replace(string(invite(15, nil, sdp)), " SIP/2.0\r\n", " SIP/7.0\r\n", 1)), Want: []int{505}},
		{Name: "INVITE to a tel: URI", Msg: []byte(strings.Replace(string(invite(16, nil, sdp)), "INVITE "+ruri, "INVITE tel:+4930123", 1)), Want: []int{416}},
		{Name: "INVITE to an unknown scheme", Msg: []byte(strings.Replace(string(invite(17, nil, sdp)), "INVITE "+ruri, "INVITE zzz:"+t.User+"@"+t.Host, 1)), Want: []int{416}},
		{Name: "INVITE with Content-Length beyond the datagram", Msg: invite(18, map[string]string{"+1": "Content-Length: 99999999"}, sdp), UDPOnly: true},
		{Name: "INVITE with a negative Content-Length", Msg: invite(19, map[string]string{"+1": "Content-Length: -20"}, sdp), UDPOnly: true},
		{Name: "INVITE with a 64 KB header", Msg: invite(20, map[string]string{"+1": "Subject: " + strings.Repeat("A", 64<<10)}, sdp), StreamOnly: true},
		{Name: "INVITE with a 60 KB header in one datagram", Msg: invite(21, map[string]string{"+1": "Subject: " + strings.Repeat("B", 60<<10)}, sdp), UDPOnly: true},
		{Name: "INVITE with a broken SDP", Msg: invite(22, nil, "v=0\r\nm=audio xyz RTP/AVP\r\nc=IN IP4\r\n"), Want: []int{400, 488}},
		{Name: "INVITE with an SDP of 5000 media lines", Msg: invite(23, nil, sdp+strings.Repeat("m=audio 0 RTP/AVP 0\r\n", 5000)), StreamOnly: true},
		{Name: "INVITE with a body that is not SDP", Msg: invite(24, map[string]string{"Content-Type": "text/plain"}, "hello"), Want: []int{415}},
		{Name: "INVITE with an escaped Request-URI user", Msg: []byte(strings.Replace(string(invite(25, nil, sdp)), "INVITE sip:"+t.User+"@", "INVITE sip:%32%30%31%00x@", 1)), Want: []int{400, 404, 480, 486, 603}},
		{Name: "INVITE with non-ASCII names", Msg: invite(26, map[string]string{"From": "\"Jürgen Ωmega 電話\" <sip:%E2%98%8E@" + host + ">;tag=u26"}, sdp), Want: []int{404, 480, 486, 603}},
		{Name: "INVITE with a To that does not parse", Msg: invite(27, map[string]string{"To": "<<<sip:@@>>>"}, sdp)},
		{Name: "INVITE with 300 Via headers", Msg: invite(28, map[string]string{"+1": manyVias(299)}, sdp), Want: []int{400, 404, 480, 486, 603}, StreamOnly: true},
		{Name: "INVITE with 12 Via headers", Msg: invite(41, map[string]string{"+1": manyVias(11)}, sdp), Want: []int{400, 404, 480, 486, 603}, UDPOnly: true},
		{Name: "INVITE with hostile SDES crypto lines", Msg: invite(42, nil, strings.Replace(sdp, "RTP/AVP", "RTP/SAVP", 1)+
			"a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+strings.Repeat("QUFB", 4000)+"|2^999|9:9999\r\n"), Want: []int{400}},
		{Name: "INVITE with RTP/SAVP and no usable key", Msg: invite(43, nil, strings.Replace(sdp, "RTP/AVP", "RTP/SAVP", 1)+
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e UNENCRYPTED_SRTP\r\na=crypto:2 F8_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e\r\n"), Want: []int{488}},
		{Name: "REGISTER to the line server", Msg: plain(29, "REGISTER"), Want: []int{405}},
		{Name: "an unknown method", Msg: plain(30, "FROBNICATE"), Want: []int{405}},
		{Name: "BYE outside any dialog", Msg: plain(31, "BYE"), Want: []int{481}},
		{Name: "CANCEL of nothing", Msg: plain(32, "CANCEL"), Want: []int{481}},
		{Name: "INFO outside any dialog", Msg: plain(33, "INFO", "Content-Type: application/dtmf-relay"), Want: []int{481}},
		{Name: "ACK without Call-ID", Msg: msg("ACK "+ruri+" SIP/2.0", []string{via(34), "Max-Forwards: 70", "From: <sip:x@" + host + ">;tag=a", "To: <sip:y@" + t.Host + ">;tag=b", "CSeq: 1 ACK"}, "")},
		{Name: "a truncated INVITE", Msg: invite(35, nil, sdp)[:120], UDPOnly: true},
		{Name: "binary data", Msg: binary(), UDPOnly: true},
		{Name: "a response nobody asked for", Msg: msg("SIP/2.0 200 OK", []string{via(37), "From: <sip:x@" + host + ">;tag=a", "To: <sip:y@" + t.Host + ">;tag=b", "Call-ID: " + id(37), "CSeq: 1 INVITE"}, "")},
		{Name: "a request with NUL bytes in a header", Msg: plain(38, "OPTIONS", "Subject: a\x00b\x00c"), Want: []int{200, 400}},
		{Name: "OPTIONS with Max-Forwards 0", Msg: []byte(strings.Replace(string(plain(39, "OPTIONS")), "Max-Forwards: 70", "Max-Forwards: 0", 1)), Want: []int{200, 483}},
		{Name: "a header line without a colon", Msg: plain(40, "OPTIONS", "This line has no colon")},
		{Name: "an empty datagram of CRLFs", Msg: []byte("\r\n\r\n\r\n\r\n"), UDPOnly: true},
		{Name: "REFER outside any dialog", Msg: plain(44, "REFER", "Refer-To: <sip:+19005551234@premium.example>", "Contact: <sip:999@"+t.From+">"), Want: []int{481}},
		{Name: "NOTIFY of a transfer nobody made", Msg: plain(45, "NOTIFY", "Event: refer", "Subscription-State: terminated",
			"Content-Type: message/sipfrag", "Contact: <sip:999@"+t.From+">"), Want: []int{481}},
		{Name: "INVITE with a malformed Replaces", Msg: invite(46, map[string]string{"+1": "Replaces: ;to-tag=;from-tag"}, sdp), Want: bad},
		{Name: "INVITE with Replaces naming no call", Msg: invite(47, map[string]string{"+1": "Replaces: nosuchcall@x;to-tag=a;from-tag=b"}, sdp), Want: []int{481}},
		{Name: "SUBSCRIBE to the line server", Msg: plain(48, "SUBSCRIBE", "Event: dialog", "Expires: 60", "Contact: <sip:999@"+t.From+">"), Want: []int{489}},
		{Name: "message-summary NOTIFY from no line's registrar", Msg: withBody(plain(49, "NOTIFY", "Event: message-summary", "Subscription-State: active",
			"Content-Type: application/simple-message-summary", "Contact: <sip:999@"+t.From+">"), "Messages-Waiting: yes\r\nVoice-Message: 99/99\r\n"), Want: []int{403}},
		{Name: "message-summary NOTIFY with hostile counts", Msg: withBody(plain(50, "NOTIFY", "Event: message-summary", "Subscription-State: active",
			"Content-Type: application/simple-message-summary", "Contact: <sip:999@"+t.From+">"), "Messages-Waiting: yes\r\nVoice-Message: 99999999999999999999/-1 ((((\r\n"), Want: []int{400, 403}},
		{Name: "dialog NOTIFY outside any subscription", Msg: withBody(plain(51, "NOTIFY", "Event: dialog", "Subscription-State: active",
			"Content-Type: application/dialog-info+xml", "Contact: <sip:999@"+t.From+">"), `<dialog-info version="1"><dialog id="a"><state>early</state></dialog></dialog-info>`), Want: []int{481}},
	}
	return cs
}

// withBody puts body into a message built without one (its Content-Length 0).
func withBody(m []byte, body string) []byte {
	head, _, _ := strings.Cut(string(m), "\r\n\r\n")
	head = strings.Replace(head, "Content-Length: 0", fmt.Sprintf("Content-Length: %d", len(body)), 1)
	return []byte(head + "\r\n\r\n" + body)
}

// manyVias is n further Via lines (hops a request passed), one header each.
func manyVias(n int) string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKhop%d", i)
	}
	return strings.Join(lines, "\r\n")
}

// binary is a datagram of bytes that is no text at all.
func binary() []byte {
	b := make([]byte, 1400)
	for i := range b {
		b[i] = byte(i*7919 + 13)
	}
	return b
}
