package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
)

// bareCommand is the hidden first argument that makes this program the bare server: the
// benchmark starts itself again with it, so that the reference server has a process and a Go
// runtime of its own, like the line server.
const bareCommand = "bare-server"

// bareReady is the line the bare server prints on stdout, followed by its UDP address, once it
// takes requests.
const bareReady = "bare server listening on "

// bareReadBuffer is the bare server's socket receive buffer, bytes; Linux caps it at
// net.core.rmem_max.
const bareReadBuffer = 4 << 20

// serveBare is the bare reference server: sipgo on UDP 127.0.0.1 (a free port), answering 486 Busy
// Here to every INVITE and taking the ACKs, until SIGINT or SIGTERM ends ctx. It logs only errors.
func serveBare(ctx context.Context, stdout io.Writer) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	sip.SetDefaultLogger(log)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("decline-bench-bare"))
	if err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	defer ua.Close()
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil)); err != nil {
			log.Error("bare server: respond 486", "error", err)
		}
	})
	// The ACK of the 486 ends the INVITE transaction in the transaction layer; nothing to do.
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})

	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	// A receive buffer as large as the host allows (net.core.rmem_max), like SIPp's -buff_size:
	// with the default one, bursts of requests are dropped and only come again 500 ms later.
	if err := conn.(*net.UDPConn).SetReadBuffer(bareReadBuffer); err != nil {
		return fmt.Errorf("bare server: %w", err)
	}
	fmt.Fprintln(stdout, bareReady+conn.LocalAddr().String())
	served := make(chan error, 1)
	// Owned by serveBare: it ends when the socket is closed below.
	go func() { served <- srv.ServeUDP(conn) }()
	select {
	case err := <-served:
		return fmt.Errorf("bare server: %w", err)
	case <-ctx.Done():
	}
	conn.Close()
	<-served
	return nil
}

// bareServer is a running bare server process.
type bareServer struct {
	c    *benchkit.Child
	addr string
}

// startBare starts this program as the bare server and waits until it prints its address.
func startBare(ctx context.Context, timeout time.Duration) (*bareServer, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bare server: %w", err)
	}
	c, lines, err := benchkit.StartChild("bare server", exec.Command(self, bareCommand), benchkit.Output{Lossy: true})
	if err != nil {
		return nil, err
	}
	addr, err := waitLine(ctx, c, lines, timeout, func(s string) (string, bool) {
		return strings.CutPrefix(s, bareReady)
	})
	if err != nil {
		c.Kill()
		return nil, err
	}
	return &bareServer{c: c, addr: addr}, nil
}

// stop ends the bare server with SIGTERM (SIGKILL after timeout).
func (b *bareServer) stop(timeout time.Duration) error {
	return b.c.Stop(timeout)
}

// waitLine reads the child's output until match finds what it looks for, the child exits or
// timeout passes.
func waitLine(ctx context.Context, c *benchkit.Child, lines <-chan benchkit.Line, timeout time.Duration,
	match func(string) (string, bool)) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				<-c.Done()
				return "", fmt.Errorf("%s exited (%v) before it was ready:\n%s", c.Name(), c.ExitErr(), c.OutputTail())
			}
			if v, ok := match(l.Text); ok {
				return v, nil
			}
		case <-deadline.C:
			return "", fmt.Errorf("%s not ready after %v:\n%s", c.Name(), timeout, c.OutputTail())
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}
