package benchkit

import "syscall"

// ProcAttr puts a child in its own process group and has the kernel kill it if the benchmark
// dies without stopping it.
func ProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
