package benchkit

import (
	"bufio"
	"context"
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

// Child is a process a benchmark started. It leads its own process group (so that a Ctrl-C in the
// terminal reaches only the benchmark, which then stops it in order), and on Linux the kernel
// kills it should the benchmark die without doing so.
type Child struct {
	name  string
	cmd   *exec.Cmd
	start time.Time
	done  chan struct{} // closed once the process was waited for
	err   error         // Wait's result, valid after done
	exit  time.Time     // when Wait returned, valid after done

	tailMu sync.Mutex
	tail   []string // the last output lines, for error messages
	warns  []string // output lines at level WARN or ERROR (at most maxWarns)
}

// Line is one line of a child's output with the time it was read.
type Line struct {
	At   time.Time
	Text string
}

// Output says what becomes of a child's output lines besides the channel StartChild returns.
type Output struct {
	// Lossy drops a line from the channel when nobody takes it in time, never blocking the child
	// (the line is still kept in the tail). Without it the reader must keep up or the child
	// blocks on a full pipe.
	Lossy bool
	// CopyTo, unless nil, gets every line too.
	CopyTo io.Writer
}

const (
	tailLines = 30
	maxWarns  = 20
)

// StartChild starts cmd with its stdout and stderr merged into the returned channel, one line at
// a time; the channel is closed when the output ends. The start time is taken right before the
// fork.
func StartChild(name string, cmd *exec.Cmd, out Output) (*Child, <-chan Line, error) {
	cmd.SysProcAttr = ProcAttr()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: pipe: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr, cmd.Stdin = pw, pw, nil
	c := &Child{name: name, cmd: cmd, done: make(chan struct{})}
	c.start = time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, nil, fmt.Errorf("%s: start: %w", name, err)
	}
	pw.Close() // the child holds its own copy; the reader sees EOF once the child is gone
	lines := make(chan Line, 4096)
	// Owned by the child: it ends when the child's output closes, which killing it ensures.
	go func() {
		defer close(lines)
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			l := Line{At: time.Now(), Text: sc.Text()}
			c.remember(l.Text)
			if out.CopyTo != nil {
				fmt.Fprintln(out.CopyTo, l.Text)
			}
			if !out.Lossy {
				lines <- l
				continue
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
		c.exit = time.Now()
		close(c.done)
	}()
	return c, lines, nil
}

func (c *Child) remember(s string) {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	c.tail = append(c.tail, s)
	if len(c.tail) > tailLines {
		c.tail = c.tail[len(c.tail)-tailLines:]
	}
	if len(c.warns) < maxWarns && (strings.Contains(s, "level=WARN") || strings.Contains(s, "level=ERROR")) {
		c.warns = append(c.warns, s)
	}
}

// Name is the name the child was started with, for messages.
func (c *Child) Name() string { return c.name }

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Started is when the child was started (right before the fork).
func (c *Child) Started() time.Time { return c.start }

// Done is closed once the child has exited and was waited for.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited tells whether the child has exited.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// ExitErr is the child's exit status as exec.Cmd.Wait reports it; valid once Done is closed.
func (c *Child) ExitErr() error { return c.err }

// ExitedAt is when the child's exit was seen; valid once Done is closed.
func (c *Child) ExitedAt() time.Time { return c.exit }

// OutputTail returns the child's last output lines, for error messages.
func (c *Child) OutputTail() string {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	return strings.Join(c.tail, "\n")
}

// Warnings returns the first output lines at level WARN or ERROR.
func (c *Child) Warnings() []string {
	c.tailMu.Lock()
	defer c.tailMu.Unlock()
	return append([]string(nil), c.warns...)
}

// Signal sends sig to the child's main process; nothing once it has exited.
func (c *Child) Signal(sig syscall.Signal) error {
	if c.Exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("%s: signal %v: %w", c.name, sig, err)
	}
	return nil
}

// WaitExit waits until the child has exited or ctx ends.
func (c *Child) WaitExit(ctx context.Context) error {
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s (pid %d) did not exit: %w", c.name, c.Pid(), ctx.Err())
	}
}

// Stop sends SIGTERM and waits up to timeout for the exit, then kills the process group. It
// returns the exit status, or an error if SIGKILL was needed.
func (c *Child) Stop(timeout time.Duration) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		c.Kill()
		return fmt.Errorf("%s: SIGTERM: %w", c.name, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
		return c.err
	case <-t.C:
		c.Kill()
		return fmt.Errorf("%s: still running %v after SIGTERM, killed", c.name, timeout)
	}
}

// Kill ends the child's whole process group with SIGKILL and waits (bounded) for the exit. It is
// safe to call more than once and after the child has exited.
func (c *Child) Kill() {
	_ = syscall.Kill(-c.Pid(), syscall.SIGKILL)
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		fmt.Fprintf(os.Stderr, "bench: %s (pid %d) still running after SIGKILL\n", c.name, c.Pid())
	}
}
