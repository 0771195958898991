package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lineupphone/lineup/internal/bench/benchkit"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// baresipResult is one run of baresip with the same accounts.
type baresipResult struct {
	allRegistered time.Duration
	failures      int
	peakRSS       int64
	exit          time.Duration // SIGTERM until the process exited (it de-registers first)
}

// errNoBaresip means the comparison cannot run here; the reason is in the error.
var errNoBaresip = errors.New("baresip not usable")

// baresipModules is where Debian's baresip-core keeps its modules.
const baresipModules = "/usr/lib/baresip/modules"

// baresip's only module here is account.so, which reads the accounts file. Registration needs
// no audio, codec or user-interface module; core baresip prints each REGISTER's outcome.
const baresipConfig = `poll_method	epoll
sip_listen	127.0.0.1:%d
module_path	%s
module_tmp	account.so
`

var (
	ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	// "5000@127.0.0.1: {0/UDP/v4} 200 OK (Lineup test PBX) [1 binding]"
	baresipOK = regexp.MustCompile(`^([^@\s]+)@\S+: \{\d+/\w+/\w+\} 2\d\d `)
	// "reg: sip:5003@127.0.0.1:45479: 401 Unauthorized (Lineup test PBX)"
	baresipFail = regexp.MustCompile(`reg: sip:([^@\s]+)@\S+: \d{3} `)
)

// checkBaresip tells why baresip cannot run, or nil.
func checkBaresip() error {
	if _, err := exec.LookPath("baresip"); err != nil {
		return fmt.Errorf("%w: %w (install baresip-core)", errNoBaresip, err)
	}
	if _, err := os.Stat(filepath.Join(baresipModules, "account.so")); err != nil {
		return fmt.Errorf("%w: no account module: %w", errNoBaresip, err)
	}
	return nil
}

// freePortPair finds a port p on 127.0.0.1 with UDP p, TCP p and TCP p+1 free (baresip listens on
// p+1 for TLS).
func freePortPair() (int, error) {
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		var closers []func() error
		ok := p < 65535
		if ok {
			if u, err := net.ListenPacket("udp4", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
				closers = append(closers, u.Close)
			} else {
				ok = false
			}
		}
		if ok {
			if t, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p+1)); err == nil {
				closers = append(closers, t.Close)
			} else {
				ok = false
			}
		}
		ln.Close()
		for _, c := range closers {
			c()
		}
		if ok {
			return p, nil
		}
	}
	return 0, errors.New("free port: none found for udp, tcp and tcp+1")
}

// runBaresip measures baresip registering the same n accounts at a fresh Kamailio.
func runBaresip(ctx context.Context, o options) (res baresipResult, err error) {
	pctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	pbx, err := testpbx.Launch(pctx, testpbx.Config{Users: users(o.lines)})
	if err != nil {
		return res, fmt.Errorf("baresip run: start kamailio: %w", err)
	}
	defer pbx.Stop()

	dir, err := os.MkdirTemp("", "bench-baresip-")
	if err != nil {
		return res, fmt.Errorf("baresip run: %w", err)
	}
	defer os.RemoveAll(dir)
	port, err := freePortPair()
	if err != nil {
		return res, fmt.Errorf("baresip run: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"),
		[]byte(fmt.Sprintf(baresipConfig, port, baresipModules)), 0o600); err != nil {
		return res, fmt.Errorf("baresip run: %w", err)
	}
	var accounts strings.Builder
	for _, u := range users(o.lines) {
		fmt.Fprintf(&accounts, "<sip:%s@%s>;auth_pass=%s;regint=3600\n", u.Name, pbx.UDPAddr(), u.Password)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(accounts.String()), 0o600); err != nil {
		return res, fmt.Errorf("baresip run: %w", err)
	}

	cmd := exec.Command("baresip", "-4", "-f", dir)
	cmd.Dir = dir
	c, lines, err := benchkit.StartChild("baresip", cmd, benchkit.Output{})
	if err != nil {
		return res, fmt.Errorf("baresip run: %w", err)
	}
	defer c.Kill()

	registered := map[string]time.Duration{}
	failed := map[string]bool{}
	handle := func(l benchkit.Line) {
		text := ansiEscape.ReplaceAllString(l.Text, "")
		if m := baresipOK.FindStringSubmatch(text); m != nil {
			if _, ok := registered[m[1]]; !ok {
				registered[m[1]] = l.At.Sub(c.Started())
			}
		} else if m := baresipFail.FindStringSubmatch(text); m != nil {
			failed[m[1]] = true
		}
	}
	waitErr, err := waitFor(ctx, c, lines, handle, func() int { return len(registered) }, o.lines, o.timeout, "baresip", "accounts")
	if err != nil {
		return res, err
	}
	if len(registered) == o.lines {
		for _, d := range registered {
			res.allRegistered = max(res.allRegistered, d)
		}
	}
	res.peakRSS = benchkit.PeakRSS(c.Pid())
	if err := settle(ctx, lines, handle, o.settle); err != nil {
		return res, err
	}
	res.peakRSS = max(res.peakRSS, benchkit.PeakRSS(c.Pid()))
	res.failures = len(failed)
	for _, u := range users(o.lines) {
		if _, ok := registered[u.Name]; !ok && !failed[u.Name] {
			res.failures++
		}
	}
	if c.Exited() {
		return res, waitErr
	}

	// SIGTERM makes baresip de-register its accounts and exit.
	term := time.Now()
	if err := c.Signal(syscall.SIGTERM); err != nil {
		return res, err
	}
	deadline := time.NewTimer(o.timeout)
	defer deadline.Stop()
drain:
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				break drain
			}
		case <-deadline.C:
			return res, fmt.Errorf("baresip did not exit within %v of SIGTERM", o.timeout)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	if err := c.WaitExit(ctx); err != nil {
		return res, err
	}
	res.exit = c.ExitedAt().Sub(term)
	return res, waitErr
}
