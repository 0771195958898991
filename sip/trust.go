package sip

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	gosip "github.com/emiago/sipgo/sip"
)

// A line is reached through its registrar (or outbound proxy): that is where the phone system
// sends its calls from. A request that begins something (an INVITE, OPTIONS, REGISTER, any
// request outside a dialog) is taken only from those addresses, the line's own first hops,
// resolved, plus the peers the line server is told to trust (EndpointConfig.TrustedPeers). From
// anywhere else a well-formed request gets no answer at all: a scanner cannot tell one user from
// another, nor Lineup from a closed port by OPTIONS, INVITE or REGISTER, and a direct INVITE rings
// nothing, journals nothing and shows nothing. (A request without Via or CSeq is answered 400 by
// sipgo's transaction layer before any handler sees it, whoever sent it.)
// Requests inside an established dialog come from wherever its Call-ID and both tags are known
// (the far end of a call that is not record-routed sends its BYE itself).
//
// Each registration's Contact also gets a random user part (RFC 3261 section 10.2.1 leaves the
// Contact's user to the UA, and several softphones do the same): the registrar routes calls to
// it, and an INVITE for a line's plain number from a trusted address still reaches the line.

// trustSet counts the first hops of the running registrations and holds the configured peers.
type trustSet struct {
	mu      sync.Mutex
	anyAll  bool                   // EndpointConfig.OpenToAll
	hops    map[netip.AddrPort]int // registrars and proxies, counted by their registrations
	peers   map[netip.AddrPort]bool
	hosts   map[netip.Addr]bool     // TrustedPeers given without a port
	contact map[string]contactOwner // random Contact user -> the line it registers
	// lineHops are each line's registrar and proxy addresses (subscribe.go).
	lineHops map[string][]netip.AddrPort
}

func newTrustSet(cfg EndpointConfig) (*trustSet, error) {
	t := &trustSet{anyAll: cfg.OpenToAll, hops: map[netip.AddrPort]int{}, peers: map[netip.AddrPort]bool{},
		hosts: map[netip.Addr]bool{}, contact: map[string]contactOwner{}}
	for _, p := range cfg.TrustedPeers {
		if ap, err := netip.ParseAddrPort(p); err == nil {
			t.peers[unmapPort(ap)] = true
			continue
		}
		a, err := netip.ParseAddr(p)
		if err != nil {
			return nil, &net.AddrError{Err: "trusted peer is not an IP address or IP:port", Addr: p}
		}
		t.hosts[a.Unmap()] = true
	}
	return t, nil
}

func unmapPort(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// trusted reports whether a request from src ("ip:port") may begin something.
func (t *trustSet) trusted(src string) bool {
	ap, err := netip.ParseAddrPort(src)
	if err != nil {
		return false
	}
	ap = unmapPort(ap)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.anyAll || t.hops[ap] > 0 || t.peers[ap] || t.hosts[ap.Addr()]
}

// resolveHop turns a first hop (host:port) into its addresses.
func resolveHop(ctx context.Context, resolver *net.Resolver, dest string) []netip.AddrPort {
	host, portText, err := net.SplitHostPort(dest)
	if err != nil {
		return nil
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port <= 0 || port > 65535 {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(port))}
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(rctx, "ip", host)
	if err != nil {
		return nil
	}
	out := make([]netip.AddrPort, len(addrs))
	for i, a := range addrs {
		out[i] = netip.AddrPortFrom(a.Unmap(), uint16(port))
	}
	return out
}

// addHops trusts hops until the returned func is called.
func (t *trustSet) addHops(hops []netip.AddrPort) (remove func()) {
	t.mu.Lock()
	for _, h := range hops {
		t.hops[h]++
	}
	t.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			for _, h := range hops {
				if t.hops[h]--; t.hops[h] <= 0 {
					delete(t.hops, h)
				}
			}
			t.mu.Unlock()
		})
	}
}

// contactOwner is the line a random Contact user stands for: its name and account user.
type contactOwner struct{ line, user string }

// newContactUser makes the random user part of a registration's Contact for the line name with
// the account user.
func (t *trustSet) newContactUser(name, user string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	token := "lu" + hex.EncodeToString(b)
	t.mu.Lock()
	t.contact[token] = contactOwner{line: name, user: user}
	t.mu.Unlock()
	return token
}

func (t *trustSet) dropContactUser(token string) {
	t.mu.Lock()
	delete(t.contact, token)
	t.mu.Unlock()
}

// lineOf is the line a request's user part stands for: the line's name and account user behind
// a Contact user of ours, else no name and the user part as it is.
func (t *trustSet) lineOf(user string) (name, lineUser string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o, ok := t.contact[user]; ok {
		return o.line, o.user
	}
	return "", user
}

// mayBegin reports whether req may be handled: it comes from a trusted address, or it belongs to
// a dialog of ours.
func (e *Endpoint) mayBegin(req *gosip.Request) bool {
	if e.trust.trusted(req.Source()) {
		return true
	}
	return e.findDialog(req) != nil || e.findSubscriber(req) != nil
}
