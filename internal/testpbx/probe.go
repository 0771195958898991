package testpbx

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Ping sends an OPTIONS addressed to the PBX itself over transport "udp", "tcp" or "tls" (TLS
// verifies the server certificate against CAFile) and returns the response's status code.
func (p *PBX) Ping(ctx context.Context, transport string) (int, error) {
	var addr string
	switch transport {
	case "udp":
		addr = p.udpAddr
	case "tcp":
		addr = p.tcpAddr
	case "tls":
		addr = p.tlsAddr
		if addr == "" {
			return 0, errors.New("testpbx: ping over tls: TLS is off")
		}
	default:
		return 0, fmt.Errorf("testpbx: ping: unknown transport %q", transport)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(2 * time.Second)
	}
	var d net.Dialer
	var conn net.Conn
	var err error
	switch transport {
	case "tls":
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(p.caPEM)
		td := tls.Dialer{NetDialer: &d, Config: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
		conn, err = td.DialContext(ctx, "tcp", addr)
	default:
		conn, err = d.DialContext(ctx, transport, addr)
	}
	if err != nil {
		return 0, fmt.Errorf("testpbx: ping over %s: %w", transport, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	_ = conn.SetDeadline(deadline)

	req := optionsRequest(transport, conn.LocalAddr().String(), addr)
	if _, err := conn.Write([]byte(req)); err != nil {
		return 0, fmt.Errorf("testpbx: ping over %s: %w", transport, err)
	}
	var status string
	if transport == "udp" {
		buf := make([]byte, 65535)
		n, err := conn.Read(buf)
		if err != nil {
			return 0, fmt.Errorf("testpbx: ping over %s: %w", transport, err)
		}
		status, _, _ = strings.Cut(string(buf[:n]), "\r\n")
	} else {
		tp := textproto.NewReader(bufio.NewReader(conn))
		if status, err = tp.ReadLine(); err != nil {
			return 0, fmt.Errorf("testpbx: ping over %s: %w", transport, err)
		}
	}
	return parseStatus(status)
}

func parseStatus(line string) (int, error) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0, fmt.Errorf("testpbx: not a SIP status line: %q", line)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, fmt.Errorf("testpbx: status line %q: %w", line, err)
	}
	return code, nil
}

func optionsRequest(transport, local, remote string) string {
	tag := randomHex(6)
	uri := "sip:" + remote
	if transport != "udp" {
		uri += ";transport=" + transport
	}
	return "OPTIONS " + uri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/" + strings.ToUpper(transport) + " " + local + ";branch=z9hG4bK" + randomHex(8) + ";rport\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:probe@" + local + ">;tag=" + tag + "\r\n" +
		"To: <" + uri + ">\r\n" +
		"Call-ID: " + randomHex(10) + "@testpbx\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Accept: application/sdp\r\n" +
		"Content-Length: 0\r\n\r\n"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
