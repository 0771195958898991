package sip

import (
	"context"
	"time"

	"github.com/lineupphone/lineup/line"
)

// LocalIP returns the local address through which the line's registrar (or outbound proxy) is
// reached: the address to put in the SDP of the line's calls. It falls back to the listening
// address when the route cannot be found.
func (e *Endpoint) LocalIP(a line.Account) string {
	dest := a.Proxy
	if dest == "" {
		dest = a.Registrar
	}
	hp, err := hostPortDefault(dest, a.Transport.DefaultPort())
	if err != nil {
		return e.listenIP
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ip, err := e.localIPFor(ctx, hp)
	if err != nil {
		return e.listenIP
	}
	return ip
}
