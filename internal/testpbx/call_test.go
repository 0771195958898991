package testpbx_test

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

func TestCallWithByeThroughThePBX(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "202", Password: "pw202"}}})
	ctx := testCtx(t)

	callee := sipptest.Start(ctx, t, "uas_call.xml", "")
	reg := sipptest.Run(ctx, t, "register_auth.xml", pbx.UDPAddr(), sipptest.Service("202"), sipptest.Auth("202", "pw202"),
		sipptest.Key("contact_port", strconv.Itoa(callee.Port())))
	if reg.FinalStatus() != 200 {
		t.Fatalf("REGISTER 202: codes %v", reg.StatusCodes())
	}
	call := sipptest.Run(ctx, t, "uac_call.xml", pbx.UDPAddr(), sipptest.Service("202"))
	if call.ExitCode != 0 {
		t.Fatalf("caller: exit %d, codes %v", call.ExitCode, call.StatusCodes())
	}
	got := callee.Wait()
	if got.ExitCode != 0 {
		t.Fatalf("callee: exit %d", got.ExitCode)
	}
	var methods []string
	for _, m := range got.Received() {
		methods = append(methods, strings.Fields(m)[0])
	}
	if strings.Join(methods, " ") != "INVITE ACK BYE" {
		t.Errorf("callee received %v, want INVITE ACK BYE", methods)
	}
	// The PBX stays in the path of the dialog: the INVITE was record-routed and the BYE came
	// from the PBX.
	if inv := got.Received()[0]; !strings.Contains(inv, "Record-Route: <sip:"+pbx.UDPAddr()) {
		t.Errorf("INVITE at the callee has no Record-Route of the PBX:\n%s", inv)
	}
	if bye := got.Received()[2]; !strings.Contains(bye, "Via: SIP/2.0/UDP "+pbx.UDPAddr()) {
		t.Errorf("BYE did not pass the PBX:\n%s", bye)
	}
}

// sipConn is a minimal SIP client over one TCP connection, enough to check that the PBX sends
// requests for a TCP-registered user back over the user's own connection.
type sipConn struct {
	conn net.Conn
	r    *textproto.Reader
}

func (c *sipConn) send(t *testing.T, msg string) {
	t.Helper()
	if _, err := io.WriteString(c.conn, msg); err != nil {
		t.Fatal(err)
	}
}

// read returns the start line, the headers and the body length of the next message.
func (c *sipConn) read(t *testing.T) (string, textproto.MIMEHeader) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := c.r.ReadLine()
	for err == nil && line == "" { // keep-alive CRLFs
		line, err = c.r.ReadLine()
	}
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	h, err := c.r.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("read headers: %v", err)
	}
	if n, _ := strconv.Atoi(h.Get("Content-Length")); n > 0 {
		if _, err := io.CopyN(io.Discard, c.r.R, int64(n)); err != nil {
			t.Fatal(err)
		}
	}
	return line, h
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func param(h, name string) string {
	i := strings.Index(h, name+"=")
	if i < 0 {
		return ""
	}
	v := h[i+len(name)+1:]
	if strings.HasPrefix(v, `"`) {
		v = v[1:]
		return v[:strings.IndexByte(v, '"')]
	}
	if j := strings.IndexAny(v, ", "); j >= 0 {
		v = v[:j]
	}
	return v
}

func TestTCPUserIsReachedOverItsOwnConnection(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "203", Password: "pw203"}}})
	ctx := testCtx(t)

	raw, err := net.Dial("tcp", pbx.TCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	c := &sipConn{conn: raw, r: textproto.NewReader(bufio.NewReader(raw))}
	uri := "sip:" + pbx.TCPAddr() + ";transport=tcp"
	// The Contact names a port nobody listens on: only the connection reaches this client.
	register := func(cseq int, auth string) string {
		return fmt.Sprintf("REGISTER %s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK-reg%d;rport\r\n"+
			"Max-Forwards: 70\r\nFrom: <sip:203@127.0.0.1>;tag=r1\r\nTo: <sip:203@127.0.0.1>\r\nCall-ID: tcpreg@test\r\n"+
			"CSeq: %d REGISTER\r\nContact: <sip:203@127.0.0.1:5099;transport=tcp>\r\nExpires: 300\r\n%sContent-Length: 0\r\n\r\n",
			uri, cseq, cseq, auth)
	}
	c.send(t, register(1, ""))
	line, h := c.read(t)
	if !strings.HasPrefix(line, "SIP/2.0 401") {
		t.Fatalf("first REGISTER: %q, want 401", line)
	}
	chal := h.Get("WWW-Authenticate")
	realm, nonce := param(chal, "realm"), param(chal, "nonce")
	ha1 := md5hex("203:" + realm + ":pw203")
	ha2 := md5hex("REGISTER:" + uri)
	resp := md5hex(ha1 + ":" + nonce + ":00000001:abc123:auth:" + ha2)
	auth := fmt.Sprintf("Authorization: Digest username=\"203\", realm=%q, nonce=%q, uri=%q, response=%q, qop=auth, nc=00000001, cnonce=\"abc123\", algorithm=MD5\r\n",
		realm, nonce, uri, resp)
	c.send(t, register(2, auth))
	if line, _ = c.read(t); !strings.HasPrefix(line, "SIP/2.0 200") {
		t.Fatalf("authenticated REGISTER: %q, want 200", line)
	}

	// Someone sends OPTIONS to 203; it must arrive on our connection.
	result := make(chan sipptest.Result, 1)
	go func() {
		result <- sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service("203"))
	}()
	line, h = c.read(t)
	if !strings.HasPrefix(line, "OPTIONS sip:203@") {
		t.Fatalf("got %q on the registered connection, want the OPTIONS for 203", line)
	}
	var via strings.Builder
	for _, v := range h.Values("Via") {
		via.WriteString("Via: " + v + "\r\n")
	}
	c.send(t, "SIP/2.0 200 OK\r\n"+via.String()+"From: "+h.Get("From")+"\r\nTo: "+h.Get("To")+";tag=u203\r\n"+
		"Call-ID: "+h.Get("Call-ID")+"\r\nCSeq: "+h.Get("CSeq")+"\r\nContent-Length: 0\r\n\r\n")
	r := <-result
	if r.FinalStatus() != 200 {
		t.Errorf("OPTIONS to TCP user 203: codes %v, want 200", r.StatusCodes())
	}
}
