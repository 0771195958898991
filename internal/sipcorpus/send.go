package sipcorpus

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Peer sends raw messages to a SIP server from one socket and reads its answers.
type Peer struct {
	transport string
	server    string
	conn      net.Conn
	udp       *net.UDPConn
	rd        *bufio.Reader
}

// Dial opens a socket to server ("ip:port") over "UDP" or "TCP", bound to 127.0.0.1.
func Dial(transport, server string) (*Peer, error) { return DialFrom("127.0.0.1", transport, server) }

// DialFrom is Dial from the local address local (another loopback address, say 127.0.0.2).
func DialFrom(local, transport, server string) (*Peer, error) {
	ip := net.ParseIP(local)
	if ip == nil {
		return nil, fmt.Errorf("local address %q: not an IP address", local)
	}
	p := &Peer{transport: transport, server: server}
	switch transport {
	case "UDP":
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: ip})
		if err != nil {
			return nil, err
		}
		p.udp = c
	case "TCP":
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 2 * time.Second}
		c, err := d.Dial("tcp4", server)
		if err != nil {
			return nil, err
		}
		p.conn, p.rd = c, bufio.NewReaderSize(c, 1<<16)
	default:
		return nil, fmt.Errorf("transport %q: want UDP or TCP", transport)
	}
	return p, nil
}

// Addr is the peer's own address, "ip:port", for Via and Contact.
func (p *Peer) Addr() string {
	if p.udp != nil {
		return p.udp.LocalAddr().String()
	}
	return p.conn.LocalAddr().String()
}

// Close closes the socket.
func (p *Peer) Close() error {
	if p.udp != nil {
		return p.udp.Close()
	}
	return p.conn.Close()
}

// Send writes one message.
func (p *Peer) Send(m []byte) error {
	if p.udp != nil {
		raddr, err := net.ResolveUDPAddr("udp4", p.server)
		if err != nil {
			return err
		}
		_, err = p.udp.WriteToUDP(m, raddr)
		return err
	}
	_, err := p.conn.Write(m)
	return err
}

// Response is one answer read back.
type Response struct {
	Code    int
	Reason  string
	Version string
	Header  textproto.MIMEHeader
	Raw     string
}

// errNoAnswer is returned by Read when nothing came within the wait.
var errNoAnswer = errors.New("no answer")

// IsNoAnswer reports whether err is Read's "nothing came".
func IsNoAnswer(err error) bool { return errors.Is(err, errNoAnswer) }

// Read returns the next response that arrives within wait.
func (p *Peer) Read(wait time.Duration) (Response, error) {
	deadline := time.Now().Add(wait)
	if p.udp != nil {
		buf := make([]byte, 1<<16)
		_ = p.udp.SetReadDeadline(deadline)
		n, _, err := p.udp.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return Response{}, errNoAnswer
			}
			return Response{}, err
		}
		return parse(bufio.NewReader(bytes.NewReader(buf[:n])))
	}
	_ = p.conn.SetReadDeadline(deadline)
	r, err := parse(p.rd)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Response{}, errNoAnswer
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		return Response{}, fmt.Errorf("%w: the server closed the connection", errNoAnswer)
	}
	return r, err
}

// Final reads responses until a final one (200 or more) or the wait is over; provisional
// answers are skipped. It returns errNoAnswer (see IsNoAnswer) when no final answer came.
func (p *Peer) Final(wait time.Duration) (Response, error) {
	end := time.Now().Add(wait)
	for {
		left := time.Until(end)
		if left <= 0 {
			return Response{}, errNoAnswer
		}
		r, err := p.Read(left)
		if err != nil {
			return r, err
		}
		if r.Code >= 200 {
			return r, nil
		}
	}
}

func parse(rd *bufio.Reader) (Response, error) {
	tp := textproto.NewReader(rd)
	line, err := tp.ReadLine()
	for err == nil && line == "" { // keep-alive CRLFs
		line, err = tp.ReadLine()
	}
	if err != nil {
		return Response{}, err
	}
	version, rest, _ := strings.Cut(line, " ")
	codeText, reason, _ := strings.Cut(rest, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil || !strings.HasPrefix(version, "SIP/") {
		return Response{}, fmt.Errorf("not a response: %q", line)
	}
	h, err := tp.ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		return Response{}, fmt.Errorf("response headers: %w", err)
	}
	if n, _ := strconv.Atoi(h.Get("Content-Length")); n > 0 {
		if _, err := io.CopyN(io.Discard, rd, int64(n)); err != nil {
			return Response{}, fmt.Errorf("response body: %w", err)
		}
	}
	return Response{Code: code, Reason: reason, Version: version, Header: h, Raw: line}, nil
}

// Options is a well-formed OPTIONS to user at server from the address from ("ip:port", e.g. a
// Peer's Addr), numbered n.
func Options(from, transport, server, user string, n int) []byte {
	host, _, _ := strings.Cut(from, ":")
	return msg(fmt.Sprintf("OPTIONS sip:%s@%s SIP/2.0", user, server), []string{
		fmt.Sprintf("Via: SIP/2.0/%s %s;branch=z9hG4bKopt%d;rport", transport, from, n),
		"Max-Forwards: 70",
		fmt.Sprintf("From: <sip:probe@%s>;tag=o%d", host, n),
		fmt.Sprintf("To: <sip:%s@%s>", user, server),
		fmt.Sprintf("Call-ID: options-%d@%s", n, host),
		"CSeq: 1 OPTIONS",
	}, "")
}
