//go:build unix && !linux

package benchkit

import "syscall"

// ProcAttr puts a child in its own process group.
func ProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
