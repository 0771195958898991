// Package sipptest owns running SIPp scenarios from the repository's testdata/sipp folder in
// tests: against a SIP server (Run), or in the background as a UAS that a test makes another
// party call (Start). SIPp binds to 127.0.0.1 on a free port, traces the messages it sends and
// receives, and the trace is returned so that tests can assert on the bytes on the wire.
//
// Besides the keys a test passes with Key, Run and Start always set these scenario keywords
// unless the test sets them: [domain] (the host of target, or 127.0.0.1), [contact_host] and
// [contact_port] (SIPp's own address) and [expires] (3600).
package sipptest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
)

// Option adjusts a SIPp run.
type Option func(*options)

type options struct {
	calls     int
	service   string
	authUser  string
	authPass  string
	transport string
	keys      [][2]string
	args      []string
}

// Calls sets the number of calls after which SIPp ends (-m); default 1.
func Calls(n int) Option { return func(o *options) { o.calls = n } }

// Service sets the user part of the request URI, [service] (-s).
func Service(user string) Option { return func(o *options) { o.service = user } }

// Auth sets the digest credentials used for [authentication] (-au, -ap).
func Auth(user, password string) Option {
	return func(o *options) { o.authUser, o.authPass = user, password }
}

// Transport selects "udp" (default) or "tcp", one socket for all calls (-t u1 / t1).
func Transport(name string) Option { return func(o *options) { o.transport = name } }

// Key fills [name] in the scenario with value (-key name value).
func Key(name, value string) Option {
	return func(o *options) { o.keys = append(o.keys, [2]string{name, value}) }
}

// Args adds raw SIPp arguments.
func Args(args ...string) Option { return func(o *options) { o.args = append(o.args, args...) } }

// Result is the outcome of a SIPp run.
type Result struct {
	// ExitCode is SIPp's: 0 when every call succeeded, 1 when some failed, other values for
	// fatal errors; -1 when SIPp was killed (context done or Stop).
	ExitCode int
	// Messages is the -trace_msg log: every message sent and received.
	Messages string
	// Errors is the -trace_err log: unexpected messages.
	Errors string
	// Output is SIPp's stdout and stderr.
	Output string
}

// StatusCodes returns the status codes of the responses SIPp received, in order.
func (r Result) StatusCodes() []int {
	var codes []int
	for _, m := range r.Received() {
		line, _, _ := strings.Cut(m, "\n")
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "SIP/2.0" {
			if code, err := strconv.Atoi(f[1]); err == nil {
				codes = append(codes, code)
			}
		}
	}
	return codes
}

// FinalStatus returns the last status code of 200 or more that SIPp received, or 0.
func (r Result) FinalStatus() int {
	final := 0
	for _, c := range r.StatusCodes() {
		if c >= 200 {
			final = c
		}
	}
	return final
}

// Received returns the messages SIPp received, in order, with lines ending in "\n".
func (r Result) Received() []string { return r.messages("received") }

// Sent returns the messages SIPp sent, in order, with lines ending in "\n".
func (r Result) Sent() []string { return r.messages("sent") }

// messages splits the trace. Each entry starts with a line of dashes and a time stamp, then a
// line like "UDP message received [123] bytes :" and an empty line, then the message.
func (r Result) messages(dir string) []string {
	var out []string
	var cur *strings.Builder
	keep := false
	flush := func() {
		if cur != nil && keep {
			out = append(out, strings.TrimLeft(cur.String(), "\n"))
		}
		cur, keep = nil, false
	}
	sc := bufio.NewScanner(strings.NewReader(r.Messages))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(line, "----------") {
			flush()
			continue
		}
		if cur == nil && strings.Contains(line, " message ") &&
			(strings.Contains(line, " sent ") || strings.Contains(line, " received ")) {
			cur = &strings.Builder{}
			keep = strings.Contains(line, " "+dir+" ")
			continue
		}
		if cur != nil {
			cur.WriteString(line)
			cur.WriteString("\n")
		}
	}
	flush()
	return out
}

// Proc is a SIPp running in the background.
type Proc struct {
	addr     string
	cmd      *exec.Cmd
	dir      string
	out      *harness.LogBuffer
	done     chan struct{}
	exitCode int
	once     sync.Once
	result   Result
}

// Addr is the address SIPp listens on, "127.0.0.1:port".
func (p *Proc) Addr() string { return p.addr }

// Port is the port of Addr.
func (p *Proc) Port() int {
	_, port, _ := net.SplitHostPort(p.addr)
	n, _ := strconv.Atoi(port)
	return n
}

// Wait waits until SIPp ends by itself (or its context ends) and returns the result.
func (p *Proc) Wait() Result {
	<-p.done
	return p.collect()
}

// Stop kills SIPp if it still runs and returns the result.
func (p *Proc) Stop() Result {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.collect()
}

func (p *Proc) collect() Result {
	p.once.Do(func() {
		msgs, _ := os.ReadFile(filepath.Join(p.dir, "messages.log"))
		errs, _ := os.ReadFile(filepath.Join(p.dir, "errors.log"))
		p.result = Result{ExitCode: p.exitCode, Messages: string(msgs), Errors: string(errs), Output: p.out.String()}
	})
	return p.result
}

// Run runs scenario (a file name in testdata/sipp, e.g. "options_user.xml") against target
// ("127.0.0.1:port") and waits until SIPp ends or ctx is done (SIPp is then killed). A failure to
// start SIPp ends the test; a non-zero exit code is only reported in the result. When the test
// fails, the SIPp output and trace are written to the test log.
func Run(ctx context.Context, t testing.TB, scenario, target string, opts ...Option) Result {
	t.Helper()
	return Start(ctx, t, scenario, target, opts...).Wait()
}

// Start starts SIPp with scenario in the background, e.g. as a UAS (target ""), and returns once
// it runs. It is killed when ctx is done and in t.Cleanup.
func Start(ctx context.Context, t testing.TB, scenario, target string, opts ...Option) *Proc {
	t.Helper()
	harness.SkipIfShort(t, "SIPp")
	o := options{calls: 1, transport: "udp"}
	for _, opt := range opts {
		opt(&o)
	}
	path, err := ScenarioPath(scenario)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipptest: sipp not found (install the Debian package sip-tester): %v", err)
	}
	port, err := harness.FreeUDPTCPPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	domain := "127.0.0.1"
	if target != "" {
		if h, _, err := net.SplitHostPort(target); err == nil {
			domain = h
		}
	}
	defaults := map[string]string{
		"domain":       domain,
		"contact_host": "127.0.0.1",
		"contact_port": strconv.Itoa(port),
		"expires":      "3600",
	}
	for _, kv := range o.keys {
		delete(defaults, kv[0])
	}
	args := []string{
		"-sf", path,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-m", strconv.Itoa(o.calls),
		"-nostdin",
		"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"),
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
	}
	switch o.transport {
	case "udp", "":
		args = append(args, "-t", "u1")
	case "tcp":
		args = append(args, "-t", "t1")
	default:
		t.Fatalf("sipptest: unknown transport %q", o.transport)
	}
	if o.service != "" {
		args = append(args, "-s", o.service)
	}
	if o.authUser != "" {
		args = append(args, "-au", o.authUser, "-ap", o.authPass)
	}
	for _, name := range []string{"domain", "contact_host", "contact_port", "expires"} {
		if v, ok := defaults[name]; ok {
			args = append(args, "-key", name, v)
		}
	}
	for _, kv := range o.keys {
		args = append(args, "-key", kv[0], kv[1])
	}
	args = append(args, o.args...)
	if target != "" {
		args = append(args, target)
	}

	out := &harness.LogBuffer{}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("sipptest: start sipp: %v", err)
	}
	p := &Proc{addr: addr, cmd: cmd, dir: dir, out: out, done: make(chan struct{})}
	// Owned by p: it ends when sipp exits, which ctx, Stop and t.Cleanup make sure of.
	go func() {
		err := cmd.Wait()
		p.exitCode = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.exitCode = ee.ExitCode()
		} else if err != nil {
			p.exitCode = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		r := p.Stop()
		if t.Failed() {
			t.Logf("sipp %s (%s) exit %d\noutput:\n%s\nmessages:\n%s\nerrors:\n%s",
				scenario, strings.Join(args, " "), r.ExitCode, r.Output, r.Messages, r.Errors)
		}
	})
	if target == "" {
		// A UAS: wait until its socket is bound, so that messages sent right away arrive.
		waitBound(ctx, port, o.transport, p.done)
	}
	return p
}

// waitBound waits until something listens on port (UDP: the port cannot be bound any more).
func waitBound(ctx context.Context, port int, transport string, done <-chan struct{}) {
	deadline := time.Now().Add(5 * time.Second)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for time.Now().Before(deadline) {
		if transport == "tcp" {
			c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err == nil {
				_ = c.Close()
				return
			}
		} else {
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				return
			}
			_ = pc.Close()
		}
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ScenarioPath returns the absolute path of a scenario in the module's testdata/sipp folder,
// found by walking up from the working directory to go.mod.
func ScenarioPath(name string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "testdata", "sipp", name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("sipptest: scenario %q: %w", name, err)
	}
	return path, nil
}

// ModuleRoot returns the directory holding go.mod, walking up from the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("sipptest: module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("sipptest: module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
