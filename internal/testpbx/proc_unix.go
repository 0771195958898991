//go:build unix

package testpbx

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one run of Kamailio: the main process leads its own process group so that its
// workers can be killed with it.
type process struct {
	cmd     *exec.Cmd
	pgid    int
	done    chan struct{} // closed when the main process was waited for
	waitErr error         // valid after done
}

func startProcess(cmd *exec.Cmd) (*process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testpbx: start kamailio: %w", err)
	}
	pr := &process{cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{})}
	// Owned by the process: it ends when Kamailio's main process exits, which stop and kill
	// make sure of.
	go func() {
		pr.waitErr = cmd.Wait()
		close(pr.done)
	}()
	return pr, nil
}

// stop sends SIGTERM to the main process (Kamailio then ends its workers), waits up to grace,
// then kills the whole group.
func (pr *process) stop(grace time.Duration) error {
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-pr.done:
	case <-time.After(grace):
	}
	return pr.kill()
}

// kill sends SIGKILL to the whole process group and waits until no process of it is left.
func (pr *process) kill() error {
	_ = syscall.Kill(-pr.pgid, syscall.SIGKILL)
	select {
	case <-pr.done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("testpbx: kamailio pid %d did not exit after SIGKILL", pr.pgid)
	}
	deadline := time.Now().Add(10 * time.Second)
	for groupAlive(pr.pgid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("testpbx: kamailio processes of group %d still alive after SIGKILL", pr.pgid)
		}
		_ = syscall.Kill(-pr.pgid, syscall.SIGKILL)
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// groupAlive reports whether a process of group pgid is still running. Zombies do not count:
// workers orphaned by a killed main process are reaped by init, which in a container may never
// happen.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	procs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(procs) == 0 {
		return true // no /proc: trust kill(2)
	}
	for _, stat := range procs {
		if pidAliveInGroup(stat, pgid) {
			return true
		}
	}
	return false
}

func pidAliveInGroup(statFile string, pgid int) bool {
	data, err := os.ReadFile(statFile)
	if err != nil {
		return false
	}
	// pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return false
	}
	g, err := strconv.Atoi(f[2])
	if err != nil || g != pgid {
		return false
	}
	return f[0] != "Z" && f[0] != "X"
}

// ProcessAlive reports whether the process pid, or any process of the group it leads, is still
// running (not a zombie). Tests use it to check that Stop and Kill leave nothing behind.
func ProcessAlive(pid int) bool {
	if pidAliveInGroup(fmt.Sprintf("/proc/%d/stat", pid), pid) {
		return true
	}
	return groupAlive(pid)
}
