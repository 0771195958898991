//go:build !unix

package testpbx

import (
	"errors"
	"os/exec"
	"time"
)

// process is unsupported off Unix: Kamailio is a Unix program.
type process struct {
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

func startProcess(*exec.Cmd) (*process, error) {
	return nil, errors.New("testpbx: kamailio runs on Unix only")
}

func (pr *process) stop(time.Duration) error { return nil }
func (pr *process) kill() error              { return nil }

// ProcessAlive reports false off Unix, where no PBX can be started.
func ProcessAlive(int) bool { return false }
