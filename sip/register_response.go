package sip

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// This file reads what a registrar answers a REGISTER: the digest challenge, the address it saw
// us at (Via received/rport, RFC 3581), the lifetime it granted (RFC 3261 section 10.2.4), the
// number it assigned (P-Associated-URI, RFC 7315) and when to try again (Retry-After). All of it
// comes from the network: FuzzRegisterResponse feeds it hostile answers.

func challengeOf(res *gosip.Response) (*digest.Challenge, bool, error) {
	name, proxy := "WWW-Authenticate", false
	if res.StatusCode == gosip.StatusProxyAuthRequired {
		name, proxy = "Proxy-Authenticate", true
	}
	h := res.GetHeader(name)
	if h == nil {
		return nil, proxy, fmt.Errorf("no %s header: %w", name, ErrBadResponse)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return nil, proxy, fmt.Errorf("%s: %w: %w", name, ErrBadResponse, err)
	}
	chal.Algorithm = strings.ToUpper(chal.Algorithm)
	return chal, proxy, nil
}

// fixContact compares the top Via's received and rport in a 200 OK with our Contact and, when
// they differ, moves the Contact there (RFC 3581 section 4). It reports whether it did.
func (r *Registrar) fixContact(res *gosip.Response) bool {
	via := res.Via()
	if via == nil || via.Params == nil {
		return false
	}
	host, port := r.contact.Host, r.contact.Port
	if v, ok := via.Params.Get("received"); ok && v != "" {
		host = v
	}
	if v, ok := via.Params.Get("rport"); ok && v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			port = n
		}
	}
	if host == r.contact.Host && port == r.contact.Port {
		return false
	}
	old := r.contact
	if r.staleContact == nil {
		r.staleContact = &old
	}
	r.contact.Host, r.contact.Port = host, port
	r.ep.log.Debug("line contact follows registrar's view", "line", r.name, "from", old.String(), "to", r.contact.String())
	return true
}

// grantedExpiry finds our binding among the 200 OK's contacts and returns its lifetime: the
// contact's expires parameter, else the Expires header (RFC 3261 section 10.2.4).
func (r *Registrar) grantedExpiry(res *gosip.Response) (time.Duration, bool) {
	header := time.Duration(-1)
	if h := res.GetHeader("Expires"); h != nil {
		if d, ok := parseSeconds(h.Value()); ok {
			header = d
		}
	}
	contacts := res.GetHeaders("Contact")
	for _, h := range contacts {
		c, ok := h.(*gosip.ContactHeader)
		if !ok || !sameBinding(c.Address, r.contact) {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if d, ok := parseSeconds(v); ok {
				return d, true
			}
		}
		if header >= 0 {
			return header, true
		}
		return r.acct.ExpiresOrDefault(), true
	}
	if len(contacts) == 0 && header >= 0 {
		// A registrar that lists no contacts still grants what its Expires header says.
		return header, true
	}
	return 0, false
}

func sameBinding(a, b gosip.Uri) bool {
	return a.User == b.User && strings.EqualFold(a.Host, b.Host) && a.Port == b.Port
}

// registeredNumber is the user part of the first P-Associated-URI (RFC 7315 section 4.1), else
// the AOR's user.
func registeredNumber(res *gosip.Response, user string) string {
	h := res.GetHeader("P-Associated-URI")
	if h == nil {
		return user
	}
	v := h.Value()
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			v = v[i+1 : i+j]
		}
	}
	var u gosip.Uri
	if err := gosip.ParseUri(v, &u); err != nil {
		return user
	}
	switch {
	case u.User != "":
		return u.User
	case u.Scheme == "tel":
		if raw := u.Raw(); raw != "" {
			return raw
		}
	}
	return user
}

// retryAfter reads a Retry-After header (RFC 3261 section 20.33) in seconds; 0 when absent.
func retryAfter(res *gosip.Response) time.Duration {
	h := res.GetHeader("Retry-After")
	if h == nil {
		return 0
	}
	v := h.Value()
	if i := strings.IndexAny(v, " ;("); i >= 0 {
		v = v[:i]
	}
	d, ok := parseSeconds(v)
	if !ok {
		return 0
	}
	return min(d, 24*time.Hour)
}

// maxSeconds bounds the delta-seconds a peer sends (RFC 3261 section 25.1 allows any number of
// digits; values past 2^32-1 seconds, some 136 years, are taken as that).
const maxSeconds = 1<<32 - 1

// retryExpires reads a 423 Interval Too Brief (RFC 3261 section 10.2.8): the Min-Expires to ask
// again with, when it is longer than what was asked and at most a day.
func retryExpires(res *gosip.Response, asked time.Duration) (time.Duration, bool) {
	h := res.GetHeader("Min-Expires")
	if h == nil {
		return 0, false
	}
	d, ok := parseSeconds(h.Value())
	return d, ok && d > asked && d <= 24*time.Hour
}

// parseSeconds reads delta-seconds (Expires, Min-Expires, Retry-After, an expires parameter):
// digits only, capped at maxSeconds so that the Duration cannot overflow.
func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" || strings.Trim(v, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > maxSeconds {
		n = maxSeconds
	}
	return time.Duration(n) * time.Second, true
}
