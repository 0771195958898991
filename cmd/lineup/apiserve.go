package main

import (
	"errors"
	"fmt"

	"github.com/lineupphone/lineup/httpapi"
)

// checkAPIAddr refuses an --api address that is not HOST:PORT (a usage error), or that is not
// on the loopback interface unless remote access was asked for.
func checkAPIAddr(addr string, allowRemote bool) error {
	err := httpapi.CheckAddr(addr, allowRemote)
	var ae *httpapi.AddrError
	switch {
	case errors.As(err, &ae) && ae.NotLoopback:
		return fmt.Errorf("--api %w unless --api-allow-remote is given", err)
	case err != nil:
		return fmt.Errorf("--api %w: %w", err, errUsage)
	}
	return nil
}
