package testpbx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
)

// User is one SIP account the PBX accepts REGISTER from. Name is the auth user name and the user
// part of the address of record.
type User struct {
	Name     string
	Password string
}

// Config says how to start the PBX.
type Config struct {
	// Users may register; their passwords are checked with digest authentication.
	Users []User
	// TLS adds a TLS listener with a certificate signed by a CA made at Launch (see CAFile).
	TLS bool
	// Domain is the SIP domain (realm and host of addresses of record); default "127.0.0.1".
	Domain string
	// Listen is "127.0.0.1:0" (the default) for free ports, or a fixed host:port used for both
	// UDP and TCP; TLS then listens on port+1.
	Listen string
	// Dir is the work directory for the config, certificates and runtime files. Launch makes a
	// temporary one (removed by Stop) when empty.
	Dir string
	// Children is Kamailio's number of UDP and TCP worker processes; default 4.
	Children int
	// FollowRedirects makes the PBX follow a 301 or 302 to a call for the caller, as office PBXs
	// do for phones that do not: it calls the first Contact's user at its registered address
	// (a forward to another user of the PBX), at most 3 times per call.
	FollowRedirects bool
	// Presence makes the PBX a presence server too (see kamailio.cfg.tmpl): SUBSCRIBE for the
	// dialog and message-summary events, PUBLISH, and the dialog state of the calls it proxies
	// published as dialog-info. It needs the Debian package kamailio-presence-modules. For a
	// voicemail lamp a test PUBLISHes a message-summary body for the user (presence_mwi turns
	// it into NOTIFYs to the subscribers), or sends a NOTIFY without a subscription to
	// sip:user@domain, which Kamailio relays to the registered contact like any request.
	Presence bool
}

// Timings of the process handling.
const (
	stopGrace     = 5 * time.Second
	readyTimeout  = 20 * time.Second
	probeTimeout  = 400 * time.Millisecond
	launchRetries = 3
)

// PBX is a running (or stopped) Kamailio started by Launch.
type PBX struct {
	cfg     Config
	ownDir  bool
	bin     string
	cfgFile string
	runDir  string
	caFile  string
	caPEM   []byte
	udpAddr string
	tcpAddr string
	tlsAddr string

	log *harness.LogBuffer

	mu   sync.Mutex
	proc *process // nil when not running
}

// Launch renders the Kamailio config, starts `kamailio -DD -E` in the foreground on free (or the
// given) loopback ports and returns once Kamailio answers an OPTIONS to itself with 200 on every
// transport it listens on. ctx bounds the start only; the PBX runs until Stop or Kill.
func Launch(ctx context.Context, cfg Config) (*PBX, error) {
	if cfg.Domain == "" {
		cfg.Domain = "127.0.0.1"
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.Children <= 0 {
		cfg.Children = 4
	}
	if err := validate(cfg); err != nil {
		return nil, err
	}
	bin, err := kamailioBinary()
	if err != nil {
		return nil, err
	}
	host, portStr, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("testpbx: listen address %q: %w", cfg.Listen, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("testpbx: listen address %q: must be a loopback IP", cfg.Listen)
	}
	fixedPort, err := strconv.Atoi(portStr)
	if err != nil || fixedPort < 0 || fixedPort > 65534 {
		return nil, fmt.Errorf("testpbx: listen port %q: not a port number", portStr)
	}

	p := &PBX{cfg: cfg, bin: bin, log: &harness.LogBuffer{}}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "testpbx-")
		if err != nil {
			return nil, fmt.Errorf("testpbx: work dir: %w", err)
		}
		p.cfg.Dir, p.ownDir = dir, true
	}
	if p.cfg.Dir, err = filepath.Abs(p.cfg.Dir); err != nil {
		return nil, fmt.Errorf("testpbx: work dir: %w", err)
	}
	p.runDir = filepath.Join(p.cfg.Dir, "run")
	if err := os.MkdirAll(p.runDir, 0o755); err != nil {
		return nil, fmt.Errorf("testpbx: runtime dir: %w", err)
	}
	if cfg.TLS {
		if err := p.writeCerts(); err != nil {
			p.removeOwnDir()
			return nil, err
		}
	}

	var lastErr error
	for attempt := 0; attempt < launchRetries; attempt++ {
		if fixedPort != 0 {
			p.udpAddr = net.JoinHostPort(host, strconv.Itoa(fixedPort))
			p.tcpAddr = p.udpAddr
			p.tlsAddr = net.JoinHostPort(host, strconv.Itoa(fixedPort+1))
		} else {
			port, err := harness.FreeUDPTCPPort(host)
			if err != nil {
				p.removeOwnDir()
				return nil, err
			}
			p.udpAddr = net.JoinHostPort(host, strconv.Itoa(port))
			p.tcpAddr = p.udpAddr
			if cfg.TLS {
				tport, err := freeTCPPortOtherThan(host, port)
				if err != nil {
					p.removeOwnDir()
					return nil, err
				}
				p.tlsAddr = net.JoinHostPort(host, strconv.Itoa(tport))
			}
		}
		if !cfg.TLS {
			p.tlsAddr = ""
		}
		if err := p.render(); err != nil {
			p.removeOwnDir()
			return nil, err
		}
		logStart := len(p.log.String())
		lastErr = p.startAndWait(ctx)
		if lastErr == nil {
			return p, nil
		}
		// A free port may have been taken by someone else between picking it and Kamailio
		// binding it: try new ports. Fixed ports, a done context and other errors are final.
		if fixedPort != 0 || ctx.Err() != nil || !errors.Is(lastErr, errExited) ||
			!bindFailed(p.log.String()[logStart:]) {
			break
		}
		slog.Debug("testpbx: kamailio exited at start, retrying on other ports", "error", lastErr)
	}
	p.removeOwnDir()
	return nil, lastErr
}

var errExited = errors.New("kamailio exited")

// bindFailed reports whether Kamailio's log says it could not bind a listening socket.
func bindFailed(log string) bool {
	return strings.Contains(log, "Address already in use") || strings.Contains(log, "bind(")
}

// startAndWait starts the process and waits until it answers on every transport. On failure the
// process is gone when it returns.
func (p *PBX) startAndWait(ctx context.Context) error {
	proc, err := p.spawn()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.proc = proc
	p.mu.Unlock()

	if err := p.waitReady(ctx, proc); err != nil {
		_ = proc.kill()
		p.mu.Lock()
		p.proc = nil
		p.mu.Unlock()
		return fmt.Errorf("%w\nkamailio log (tail):\n%s", err, harness.Tail(p.log.String(), 40))
	}
	return nil
}

func (p *PBX) spawn() (*process, error) {
	args := []string{
		"-f", p.cfgFile,
		"-DD", "-E",
		"-m", "64", // shared memory, MB
		"-M", "8", // private memory per process, MB
		"-Y", p.runDir,
		"-w", p.cfg.Dir,
	}
	p.log.WriteString(fmt.Sprintf("--- %s %s\n", p.bin, strings.Join(args, " ")))
	cmd := exec.Command(p.bin, args...)
	cmd.Dir = p.cfg.Dir
	cmd.Stdout = p.log
	cmd.Stderr = p.log
	cmd.Stdin = nil
	cmd.WaitDelay = 2 * time.Second
	return startProcess(cmd)
}

func (p *PBX) waitReady(ctx context.Context, proc *process) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	transports := []string{"udp", "tcp"}
	if p.tlsAddr != "" {
		transports = append(transports, "tls")
	}
	for _, tr := range transports {
		for {
			select {
			case <-proc.done:
				return fmt.Errorf("testpbx: %w before answering on %s: %v", errExited, tr, proc.waitErr)
			default:
			}
			pctx, pcancel := context.WithTimeout(ctx, probeTimeout)
			code, err := p.Ping(pctx, tr)
			pcancel()
			if err == nil && code == 200 {
				break
			}
			if err == nil {
				return fmt.Errorf("testpbx: OPTIONS over %s answered %d, want 200", tr, code)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("testpbx: kamailio did not answer OPTIONS over %s: %w (last: %v)", tr, ctx.Err(), err)
			case <-proc.done:
				return fmt.Errorf("testpbx: %w before answering on %s: %v", errExited, tr, proc.waitErr)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// UDPAddr is the UDP listener, "127.0.0.1:port".
func (p *PBX) UDPAddr() string { return p.udpAddr }

// TCPAddr is the TCP listener, "127.0.0.1:port" (the same port as UDP).
func (p *PBX) TCPAddr() string { return p.tcpAddr }

// TLSAddr is the TLS listener, "127.0.0.1:port", or "" without TLS.
func (p *PBX) TLSAddr() string { return p.tlsAddr }

// Domain is the SIP domain and digest realm.
func (p *PBX) Domain() string { return p.cfg.Domain }

// Dir is the work directory.
func (p *PBX) Dir() string { return p.cfg.Dir }

// Users returns the users the PBX accepts.
func (p *PBX) Users() []User { return append([]User(nil), p.cfg.Users...) }

// CAFile is the PEM file of the CA that signed Kamailio's TLS certificate, or "" without TLS.
func (p *PBX) CAFile() string { return p.caFile }

// CAPEM is the content of CAFile.
func (p *PBX) CAPEM() []byte { return append([]byte(nil), p.caPEM...) }

// PID is the main Kamailio process id, or 0 when it is not running.
func (p *PBX) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.cmd.Process.Pid
}

// Log is everything Kamailio wrote to stdout and stderr so far, over all restarts.
func (p *PBX) Log() string { return p.log.String() }

// Stop ends Kamailio with SIGTERM and, after a grace period, SIGKILL for all its processes, and
// waits until they are gone. It removes the work directory when Launch made it. Stop may be called
// more than once.
func (p *PBX) Stop() error {
	p.mu.Lock()
	proc := p.proc
	p.proc = nil
	p.mu.Unlock()
	var err error
	if proc != nil {
		err = proc.stop(stopGrace)
	}
	p.removeOwnDir()
	return err
}

// Kill ends all Kamailio processes with SIGKILL at once, as a crash would, and waits until they
// are gone. Restart starts it again.
func (p *PBX) Kill() error {
	p.mu.Lock()
	proc := p.proc
	p.proc = nil
	p.mu.Unlock()
	if proc == nil {
		return nil
	}
	return proc.kill()
}

// Restart starts Kamailio again on the same ports with the same users and certificates, killing
// it first if it still runs. Registrations are lost (usrloc keeps them in memory only).
func (p *PBX) Restart(ctx context.Context) error {
	if err := p.Kill(); err != nil {
		return err
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = p.startAndWait(ctx)
		if err == nil || !errors.Is(err, errExited) || ctx.Err() != nil {
			break
		}
		// The old sockets may need a moment to be released.
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("testpbx: restart: %w", err)
	}
	return nil
}

func (p *PBX) removeOwnDir() {
	if p.ownDir {
		_ = os.RemoveAll(p.cfg.Dir)
	}
}

func freeTCPPortOtherThan(host string, not int) (int, error) {
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, fmt.Errorf("testpbx: free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if port != not {
			return port, nil
		}
	}
	return 0, errors.New("testpbx: no free tcp port")
}
