package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the benchmark started. It leads its own process group (so that a Ctrl-C in
// the terminal reaches only the benchmark, which then stops it in order), and on Linux it is
// killed by the kernel should the benchmark itself die.
type child struct {
	name  string
	cmd   *exec.Cmd
	start time.Time
	done  chan struct{} // closed once the process was waited for
	err   error         // Wait's result, valid after done
	exit  time.Time     // when Wait returned, valid after done

	tailMu sync.Mutex
	tail   []string // the last output lines, for error messages
}

// line is one line of a child's output with the time it was read.
type outLine struct {
	at   time.Time
	text string
}

// startChild starts cmd with its stdout and stderr merged into the returned channel, one line at a
// time. The channel is closed when the output ends. start is taken right before the fork.
func startChild(name string, cmd *exec.Cmd) (*child, <-chan outLine, error) {
	cmd.SysProcAttr = childAttr()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: pipe: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr, cmd.Stdin = pw, pw, nil
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	c.start = time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, nil, fmt.Errorf("%s: start: %w", name, err)
	}
	pw.Close() // the child holds its own copy; the reader sees EOF once the child is gone
	lines := make(chan outLine, 4096)
	// Owned by the child: it ends when the child's output closes, which killing it ensures.
	go func() {
		defer close(lines)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			l := outLine{at: time.Now(), text: sc.Text()}
			c.remember(l.text)
			lines <- l
		}
	}()
	// Owned by the child: it ends when the process exits.
	go func() {
		c.err = cmd.Wait()
		c.exit = time.Now()
		close(c.done)
	}()
	return c, lines, nil
}

func (c *child) remember(s string) {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	c.tail = append(c.tail, s)
	if len(c.tail) > 30 {
		c.tail = c.tail[len(c.tail)-30:]
	}
}

// outputTail returns the child's last output lines, for error messages.
func (c *child) outputTail() string {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	return strings.Join(c.tail, "\n")
}

func (c *child) pid() int { return c.cmd.Process.Pid }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the child's main process.
func (c *child) signal(sig syscall.Signal) error {
	if c.exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: signal %v: %w", c.name, sig, err)
	}
	return nil
}

// waitExit waits until the child has exited or ctx ends.
func (c *child) waitExit(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s (pid %d) did not exit: %w", c.name, c.pid(), ctx.Err())
	}
}

// kill ends the child's whole process group with SIGKILL and waits (bounded) for the exit. It is
// safe to call more than once and after the child has exited.
func (c *child) kill() {
	_ = syscall.Kill(-c.pid(), syscall.SIGKILL)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "bench: %s (pid %d) still running after SIGKILL\n", c.name, c.pid())
	}
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes, or 0 where /proc has no
// such figure (another OS, or the process is gone).
func peakRSS(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	return vmHWM(f)
}

// vmHWM finds the VmHWM line of a /proc/PID/status text and returns it in bytes.
func vmHWM(r io.Reader) int64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0
		}
		return n * 1024
	}
	return 0
}

// waitFor feeds the child's output lines to handle until done() reaches want, the child exits or
// timeout passes; those two give waitErr. Only ctx ending gives err.
func waitFor(ctx context.Context, c *child, lines <-chan outLine, handle func(outLine), done func() int,
	want int, timeout time.Duration, what, unit string) (waitErr, err error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for done() < want {
		select {
		case l, ok := <-lines:
			if !ok {
				<-c.done
				return fmt.Errorf("%s exited (%v) with %d of %d %s registered:\n%s",
					what, c.err, done(), want, unit, c.outputTail()), nil
			}
			handle(l)
		case <-deadline.C:
			return fmt.Errorf("%s: %d of %d %s registered after %v", what, done(), want, unit, timeout), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, nil
}
