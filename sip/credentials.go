package sip

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/lineupphone/lineup/line"
)

// A line's digest answer lets whoever holds it try passwords offline, so it goes only where the
// line's password already belongs: to the registrar or outbound proxy the line is set up with,
// in the realm that registrar challenged REGISTER with (RFC 3261 section 22.1 ties credentials to
// a realm; section 26.3.2.2 warns of UAs that answer any challenge).

// checkChallenge returns nil when the line may answer chal, which came in res: res came from the
// line's first hop (its proxy, else its registrar) and chal's realm is the one the registrar
// challenged this line's REGISTER with, where one was seen (lines of a multi-tenant PBX each
// have their own). Otherwise it returns an error wrapping
// ErrForeignChallenge that names the host and realm.
func (e *Endpoint) checkChallenge(ctx context.Context, acct line.Account, res *gosip.Response, chal *digest.Challenge) error {
	dest, err := lineDest(acct)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrForeignChallenge, err)
	}
	src := res.Source()
	if !fromHost(ctx, e.resolver, src, dest) {
		return fmt.Errorf("%w: %s (realm %q) asked, not the line's registrar or proxy %s", ErrForeignChallenge, src, chal.Realm, dest)
	}
	if known, ok := e.lineRealm(dest, acct.AuthName()); ok && known != chal.Realm {
		return fmt.Errorf("%w: realm %q asked, the line's registration is in %q", ErrForeignChallenge, chal.Realm, known)
	}
	return nil
}

func realmKey(dest, authUser string) string { return dest + "\x00" + authUser }

// rememberRealm notes the realm a line's registration at dest was challenged in.
func (e *Endpoint) rememberRealm(dest, authUser, realm string) {
	e.chMu.Lock()
	e.realms[realmKey(dest, authUser)] = realm
	e.chMu.Unlock()
}

func (e *Endpoint) lineRealm(dest, authUser string) (string, bool) {
	e.chMu.Lock()
	defer e.chMu.Unlock()
	r, ok := e.realms[realmKey(dest, authUser)]
	return r, ok
}

// fromHost reports whether src ("ip:port", where a message came from) is dest (host:port, the
// host a DNS name or an address). A name is resolved; on failure nothing matches.
func fromHost(ctx context.Context, resolver *net.Resolver, src, dest string) bool {
	sa, err := netip.ParseAddrPort(src)
	if err != nil {
		return false
	}
	host, port, err := net.SplitHostPort(dest)
	if err != nil {
		return false
	}
	if p, err := strconv.Atoi(port); err != nil || p != int(sa.Port()) {
		return false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap() == sa.Addr().Unmap()
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(rctx, "ip", host)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.Unmap() == sa.Addr().Unmap() {
			return true
		}
	}
	return false
}
