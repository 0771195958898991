//go:build !linux

package engine

import (
	"errors"
	"time"
)

var errBenchNoProc = errors.New("process CPU times are only read on Linux")

func benchSelfCPU() (time.Duration, error)            { return 0, errBenchNoProc }
func benchFindProcess(string, ...string) (int, error) { return 0, errBenchNoProc }
