// Package harness holds the small pieces the test harnesses (testpbx, sipptest, baresiptest)
// share: a log buffer that child processes write into, and free loopback ports.
package harness

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
)

// LogBuffer collects a child process's output. exec's copying goroutines write into it while a
// test reads it, so every method locks.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// WriteString appends s.
func (b *LogBuffer) WriteString(s string) {
	_, _ = b.Write([]byte(s))
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns the last n lines of s.
func Tail(s string, n int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > n {
		parts = parts[len(parts)-n:]
	}
	return strings.Join(parts, "\n")
}

// FreeUDPTCPPort finds a port on host that is free for both UDP and TCP (SIP servers listen on
// both with one number).
func FreeUDPTCPPort(host string) (int, error) {
	var lastErr error
	for range 50 {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		_ = ln.Close()
		if err != nil {
			lastErr = err
			continue
		}
		_ = pc.Close()
		return port, nil
	}
	return 0, fmt.Errorf("no port free for both udp and tcp: %w", lastErr)
}
