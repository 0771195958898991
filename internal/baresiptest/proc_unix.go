//go:build unix

package baresiptest

import (
	"os/exec"
	"syscall"
)

// setGroup makes baresip lead its own process group, so that killGroup reaches anything it
// started.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the process group led by pid.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
