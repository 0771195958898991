package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the benchmark started. It leads its own process group, so that a Ctrl-C in
// the terminal reaches only the benchmark, which then stops it; on Linux the kernel kills it
// should the benchmark die without doing so.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process was waited for
	err  error         // Wait's result, valid after done

	tailMu sync.Mutex
	tail   []string // the last output lines, for error messages
	warns  []string // output lines at level WARN or ERROR (at most maxWarns)
}

const maxWarns = 20

// startChild starts cmd with stdout and stderr merged into the returned channel, one line at a
// time; the channel is closed when the output ends. Lines nobody takes in time are dropped from
// the channel (never blocking the child) but kept in the tail. Every line is also written to
// copyTo unless it is nil.
func startChild(name string, cmd *exec.Cmd, copyTo io.Writer) (*child, <-chan string, error) {
	cmd.SysProcAttr = childAttr()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: pipe: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr, cmd.Stdin = pw, pw, nil
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, nil, fmt.Errorf("%s: start: %w", name, err)
	}
	pw.Close() // the child holds its own copy; the reader sees EOF once the child is gone
	lines := make(chan string, 1024)
	// Owned by the child: it ends when the child's output closes, which killing it ensures.
	go func() {
		defer close(lines)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			l := sc.Text()
			c.remember(l)
			if copyTo != nil {
				fmt.Fprintln(copyTo, l)
			}
			select {
			case lines <- l:
			default:
			}
		}
	}()
	// Owned by the child: it ends when the process exits.
	go func() {
		c.err = cmd.Wait()
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
	if len(c.warns) < maxWarns && (strings.Contains(s, "level=WARN") || strings.Contains(s, "level=ERROR")) {
		c.warns = append(c.warns, s)
	}
}

// outputTail returns the child's last output lines, for error messages.
func (c *child) outputTail() string {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	return strings.Join(c.tail, "\n")
}

// warnings returns the first output lines at level WARN or ERROR.
func (c *child) warnings() []string {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	return append([]string(nil), c.warns...)
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM and waits up to timeout for the exit, then kills the process group. It
// returns the exit status, or an error if SIGKILL was needed.
func (c *child) stop(timeout time.Duration) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		c.kill()
		return fmt.Errorf("%s: SIGTERM: %w", c.name, err)
	}
	select {
	case <-c.done:
		return c.err
	case <-time.After(timeout):
		c.kill()
		return fmt.Errorf("%s: still running %v after SIGTERM, killed", c.name, timeout)
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

// cpuTime returns the user and system CPU time the process used so far, read from /proc, or 0
// where /proc has no such figure.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	return parseStatCPU(string(b))
}
