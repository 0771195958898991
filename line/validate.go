package line

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validate checks every rule of the configuration and returns all violations joined with
// errors.Join, each a *FieldError; nil when the configuration is valid.
func (c *Config) Validate() error {
	return validate(c)
}

// Limits of the validated settings.
const (
	maxCodeLen        = 32    // feature and pickup codes, in characters
	maxNumberDigits   = 20    // a line's manual number
	maxInternalLen    = 10    // internal number length
	minExpires        = 10    // registration lifetime, seconds: registrars may grant short bindings
	maxExpires        = 86400 // registration lifetime, seconds
	pickupPlaceholder = "<NUMBER>"
)

// Rule texts that more than one field shares.
const (
	ruleRequired   = "must not be empty"
	ruleCodeChars  = "may only contain 0-9 * # + and the letters A-D"
	ruleCodeLower  = "letters A-D must be upper case"
	ruleHostPort   = "must be host or host:port (host a DNS name, an IPv4 address or an [IPv6] address in brackets, port 1-65535)"
	ruleHost       = "must be a DNS name, an IPv4 address or an [IPv6] address in brackets, without port"
	ruleUserChars  = "may only contain letters, digits, %HH escapes and -_.!~*'()&=+$,;?/ (no @, : or spaces)"
	ruleNoControls = "must not contain control characters"
)

// validator collects the violations of one Config.
type validator struct {
	errs []error
}

// item names the Config entry that the next violations are about.
type item struct {
	kind  Kind
	name  string
	index int
}

func newItem(kind Kind, name string, index int) item {
	if strings.TrimSpace(name) == "" {
		name = "" // the message then names the item by its position
	}
	return item{kind: kind, name: name, index: index}
}

func (v *validator) add(it item, key, field, value, rule string) {
	v.errs = append(v.errs, &FieldError{
		Kind: it.kind, Name: it.name, Index: it.index,
		Key: key, Field: field, Value: value, Rule: rule,
	})
}

func validate(c *Config) error {
	if c == nil {
		return nil
	}
	v := &validator{}
	v.locations(c)
	v.groups(c)
	v.lines(c)
	return errors.Join(v.errs...)
}

// nameKey is how a person tells names apart: surrounding spaces and letter case do not count.
func nameKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// name checks an item's name and that no earlier item of the same kind has it (seen maps name
// keys to the 0-based index of the item that has it first).
func (v *validator) name(it item, name string, seen map[string]int) {
	if strings.TrimSpace(name) == "" {
		v.add(it, "name", "name", name, ruleRequired)
		return
	}
	if rule := plainText(name); rule != "" {
		v.add(it, "name", "name", name, rule)
	}
	k := nameKey(name)
	if first, dup := seen[k]; dup {
		v.add(it, "name", "name", name, fmt.Sprintf("must be unique, %s #%d has the same name", it.kind, first+1))
		return
	}
	seen[k] = it.index
}

// plainText returns why s is not text fit for a label, or "" when it is.
func plainText(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return ruleNoControls
		}
	}
	return ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// digits checks an optional string of digits of at most max digits; min > 0 makes it required.
func (v *validator) digits(it item, key, field, s string, min, max int, example string) {
	if s == "" {
		if min > 0 {
			v.add(it, key, field, "", fmt.Sprintf("is required: %s, e.g. %s", digitCount(min, max), example))
		}
		return
	}
	if !isDigits(s) || len(s) < min || (max > 0 && len(s) > max) {
		v.add(it, key, field, s, "must be "+digitCount(min, max))
	}
}

func digitCount(min, max int) string {
	switch {
	case max == 0:
		return "digits only"
	case min == max:
		return fmt.Sprintf("%d digits", min)
	case min == 0:
		return fmt.Sprintf("up to %d digits", max)
	}
	return fmt.Sprintf("%d to %d digits", min, max)
}

func (v *validator) locations(c *Config) {
	seen := make(map[string]int, len(c.Locations))
	for i := range c.Locations {
		l := &c.Locations[i]
		it := newItem(KindLocation, l.Name, i)
		v.name(it, l.Name, seen)

		switch {
		case l.CountryCode == "":
			v.add(it, "country_code", "country code", "", "is required: 1 to 3 digits, e.g. 49")
		case !isDigits(l.CountryCode) || len(l.CountryCode) > 3 || l.CountryCode[0] == '0':
			v.add(it, "country_code", "country code", l.CountryCode, "must be 1 to 3 digits, not starting with 0 (no + or 00 prefix)")
		}
		v.digits(it, "area_code", "area code", l.AreaCode, 0, 0, "")
		v.digits(it, "international_prefix", "international prefix", l.InternationalPrefix, 1, 4, "00")
		v.digits(it, "national_prefix", "national prefix", l.NationalPrefix, 0, 2, "")
		v.digits(it, "outside_line", "outside line code", l.OutsideLine, 0, 3, "")
		v.digits(it, "base_number", "base number", l.BaseNumber, 0, 0, "")

		const rangeRule = "must be 1 to 10 (or internal min and max both 0 for no internal numbers)"
		minOK := l.InternalMin >= 0 && l.InternalMin <= maxInternalLen
		maxOK := l.InternalMax >= 0 && l.InternalMax <= maxInternalLen
		if !minOK {
			v.add(it, "internal_min", "internal number minimum length", strconv.Itoa(l.InternalMin), rangeRule)
		}
		if !maxOK {
			v.add(it, "internal_max", "internal number maximum length", strconv.Itoa(l.InternalMax), rangeRule)
		}
		if !minOK || !maxOK {
			continue
		}
		switch {
		case l.InternalMin == 0 && l.InternalMax != 0:
			v.add(it, "internal_min", "internal number minimum length", "0", rangeRule)
		case l.InternalMax == 0 && l.InternalMin != 0:
			v.add(it, "internal_max", "internal number maximum length", "0", rangeRule)
		case l.InternalMin > l.InternalMax:
			v.add(it, "internal_max", "internal number maximum length", strconv.Itoa(l.InternalMax),
				fmt.Sprintf("must not be less than the minimum length (%d)", l.InternalMin))
		}
	}
}

// responseValue is a response as the provisioning file writes it.
func responseValue(r Response) string {
	if b, err := r.MarshalText(); err == nil {
		return string(b)
	}
	if r == ResponseUnset {
		return ""
	}
	return strconv.Itoa(int(r))
}

func (v *validator) groups(c *Config) {
	seen := make(map[string]int, len(c.Groups))
	for i := range c.Groups {
		g := &c.Groups[i]
		it := newItem(KindGroup, g.Name, i)
		v.name(it, g.Name, seen)

		const notLoggedOnWant = "want 486, 480, 603 or 180"
		switch g.NotLoggedOn {
		case ResponseBusyHere, ResponseTemporarilyUnavailable, ResponseDecline, ResponseRinging:
		case ResponseUnset:
			v.add(it, "not_logged_on", "response when no client is logged on", "", "is not set ("+notLoggedOnWant+")")
		case ResponseClientChoice:
			v.add(it, "not_logged_on", "response when no client is logged on", responseValue(g.NotLoggedOn),
				"486/603 is only for rejections by clients ("+notLoggedOnWant+")")
		default:
			v.add(it, "not_logged_on", "response when no client is logged on", responseValue(g.NotLoggedOn),
				"is not a known response ("+notLoggedOnWant+")")
		}
		const clientRejectWant = "want 486/603, 486, 480, 603 or 180"
		switch g.ClientReject {
		case ResponseClientChoice, ResponseBusyHere, ResponseTemporarilyUnavailable, ResponseDecline, ResponseRinging:
		case ResponseUnset:
			v.add(it, "client_reject", "response to rejections by clients", "", "is not set ("+clientRejectWant+")")
		default:
			v.add(it, "client_reject", "response to rejections by clients", responseValue(g.ClientReject),
				"is not a known response ("+clientRejectWant+")")
		}

		if g.Location != "" {
			if _, ok := c.Location(g.Location); !ok {
				v.add(it, "location", "location", g.Location, "names no location")
			}
		}

		listed := make(map[Function]bool, len(g.DisabledFunctions))
		for _, f := range g.DisabledFunctions {
			switch {
			case f < 0 || f >= numFunctions:
				v.add(it, "disabled_functions", "deactivated function", strconv.Itoa(int(f)), "is not a known function")
			case listed[f]:
				v.add(it, "disabled_functions", "deactivated function", f.String(), "is listed more than once")
			}
			listed[f] = true
		}

		v.featureCodes(it, g.FeatureCodes)

		if g.PickupCode != "" {
			v.pickupCode(it, g.PickupCode)
		}
		if g.Voicemail != "" {
			if rule := codeRule(g.Voicemail, len(g.Voicemail)); rule != "" {
				v.add(it, "voicemail", "voicemail number", g.Voicemail, rule)
			}
		}
		v.monitored(it, g.Monitored)

		if math.IsNaN(g.RegisterRate) || math.IsInf(g.RegisterRate, 0) || g.RegisterRate < 0 {
			v.add(it, "register_rate", "register rate", strconv.FormatFloat(g.RegisterRate, 'g', -1, 64),
				"must be a finite number of requests per second, 0 or more (0 for unpaced)")
		}
	}
}

func (v *validator) featureCodes(it item, codes []FeatureCode) {
	seen := make(map[string]int, len(codes))
	for j, fc := range codes {
		key := fmt.Sprintf("feature_code[%d]", j)
		label := fmt.Sprintf("feature code #%d", j+1)
		switch {
		case strings.TrimSpace(fc.Name) == "":
			v.add(it, key+".name", label+" name", fc.Name, ruleRequired)
		default:
			if rule := plainText(fc.Name); rule != "" {
				v.add(it, key+".name", label+" name", fc.Name, rule)
			}
			k := nameKey(fc.Name)
			if first, dup := seen[k]; dup {
				v.add(it, key+".name", label+" name", fc.Name,
					fmt.Sprintf("must be unique in the group, feature code #%d has the same name", first+1))
			} else {
				seen[k] = j
			}
		}
		if fc.Code == "" {
			v.add(it, key+".code", label+" code", "", ruleRequired)
		} else if rule := codeRule(fc.Code, len(fc.Code)); rule != "" {
			v.add(it, key+".code", label+" code", fc.Code, rule)
		}
	}
}

// codeRule returns why rest is not made of code characters, or why a code of length n is too
// long; "" when fine.
func codeRule(rest string, n int) string {
	lower := false
	for i := 0; i < len(rest); i++ {
		switch b := rest[i]; {
		case b >= '0' && b <= '9', b == '*', b == '#', b == '+', b >= 'A' && b <= 'D':
		case b >= 'a' && b <= 'd':
			lower = true
		default:
			return ruleCodeChars
		}
	}
	if lower {
		return ruleCodeLower
	}
	if n > maxCodeLen {
		return fmt.Sprintf("must be at most %d characters", maxCodeLen)
	}
	return ""
}

// MaxMonitored bounds a group's busy lamps: each is a subscription per line at the registrar.
const MaxMonitored = 64

func (v *validator) monitored(it item, exts []string) {
	if len(exts) > MaxMonitored {
		v.add(it, "monitored", "monitored extensions", strconv.Itoa(len(exts)),
			fmt.Sprintf("must be at most %d extensions", MaxMonitored))
	}
	seen := make(map[string]int, len(exts))
	for j, x := range exts {
		key := fmt.Sprintf("monitored[%d]", j)
		label := fmt.Sprintf("monitored extension #%d", j+1)
		if x == "" {
			v.add(it, key, label, "", ruleRequired)
			continue
		}
		if rule := codeRule(x, len(x)); rule != "" {
			v.add(it, key, label, x, rule)
			continue
		}
		if first, dup := seen[x]; dup {
			v.add(it, key, label, x, fmt.Sprintf("is listed twice (also #%d)", first+1))
			continue
		}
		seen[x] = j
	}
}

func (v *validator) pickupCode(it item, code string) {
	if strings.Count(code, pickupPlaceholder) != 1 {
		v.add(it, "pickup_code", "pickup code", code, "must contain "+pickupPlaceholder+" exactly once")
		return
	}
	if rule := codeRule(strings.Replace(code, pickupPlaceholder, "", 1), len(code)); rule != "" {
		if rule == ruleCodeChars {
			rule = "besides " + pickupPlaceholder + " " + rule
		}
		v.add(it, "pickup_code", "pickup code", code, rule)
	}
}

func (v *validator) lines(c *Config) {
	seen := make(map[string]int, len(c.Lines))
	for i := range c.Lines {
		l := &c.Lines[i]
		it := newItem(KindLine, l.Name, i)
		v.name(it, l.Name, seen)

		var g *Group
		if l.Group == "" {
			v.add(it, "group", "group", "", ruleRequired)
		} else if found, ok := c.Group(l.Group); ok {
			g = found
		} else {
			v.add(it, "group", "group", l.Group, "names no group")
		}

		v.account(it, &l.Account)
		v.forward(it, l)

		if l.Number != "" {
			if rule := numberRule(l.Number); rule != "" {
				v.add(it, "number", "number", l.Number, rule)
			}
		}

		if l.Location != "" {
			switch {
			case g != nil && !g.PerLineLocation:
				v.add(it, "location", "location", l.Location,
					fmt.Sprintf("group %q does not permit a location per line", g.Name))
			default:
				if _, ok := c.Location(l.Location); !ok {
					v.add(it, "location", "location", l.Location, "names no location")
				}
			}
		}
	}
}

// forward checks a line's forwarding rule: a known mode, a target when forwarding, a ringing time
// in bounds for no-answer, and a target that is not the line itself (a call forwarded to where it
// came would come back until the PBX gave up).
func (v *validator) forward(it item, l *Line) {
	f := l.Forward
	if !f.Mode.Known() {
		v.add(it, "forward.mode", "forwarding", strconv.Itoa(int(f.Mode)), "is not a known mode (want off, always, busy or no_answer)")
		return
	}
	if f.After != 0 && (f.After < MinForwardAfter || f.After > MaxForwardAfter) {
		v.add(it, "forward.after", "forward after", strconv.Itoa(f.After),
			fmt.Sprintf("must be %d to %d seconds", MinForwardAfter, MaxForwardAfter))
	}
	t := strings.TrimSpace(f.Target)
	if f.Mode == ForwardOff {
		return
	}
	if t == "" {
		v.add(it, "forward.target", "forward to", "", ruleRequired+" while forwarding is on")
		return
	}
	if rule := forwardTargetRule(t); rule != "" {
		v.add(it, "forward.target", "forward to", f.Target, rule)
		return
	}
	if ForwardsToItself(*l, t) {
		v.add(it, "forward.target", "forward to", f.Target, "must not be the line itself")
	}
}

// forwardTargetRule returns why t cannot be a forwarding target; "" when fine. A target is a
// sip: URI or what a user dials: digits with an optional leading +, *, # and the separators people
// write (space - / . ( )).
func forwardTargetRule(t string) string {
	if len(t) > maxForwardTarget {
		return fmt.Sprintf("must be at most %d characters", maxForwardTarget)
	}
	if lower := strings.ToLower(t); strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
		if strings.ContainsAny(t, " \t\r\n<>\"") {
			return "a sip: address may not contain spaces, quotes or angle brackets"
		}
		return ""
	}
	digits := 0
	for i := 0; i < len(t); i++ {
		switch b := t[i]; {
		case b >= '0' && b <= '9':
			digits++
		case b == '+' && i == 0, b == '*', b == '#', strings.IndexByte(" -/.()", b) >= 0:
		default:
			return "must be a number (digits, an optional leading +, * and #) or a sip: address"
		}
	}
	if digits == 0 {
		return "must have at least one digit"
	}
	return ""
}

// maxForwardTarget bounds a forwarding target, in characters.
const maxForwardTarget = 128

// ForwardsToItself reports whether target names line l itself: its number or its SIP user, as
// written or as a sip: address of that user. The engine asks again with the number the registrar
// gave, which the configuration may not know.
func ForwardsToItself(l Line, target string) bool {
	t := strings.ToLower(strings.TrimSpace(target))
	if strings.HasPrefix(t, "sip:") || strings.HasPrefix(t, "sips:") {
		t = t[strings.IndexByte(t, ':')+1:]
		if at := strings.IndexByte(t, '@'); at >= 0 {
			t = t[:at]
		}
	}
	t = strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -/.()", r) {
			return -1
		}
		return r
	}, t)
	if t == "" {
		return false
	}
	for _, own := range []string{l.Number, l.Account.User} {
		if own != "" && strings.EqualFold(strings.TrimPrefix(own, "+"), strings.TrimPrefix(t, "+")) {
			return true
		}
	}
	return false
}

func (v *validator) account(it item, a *Account) {
	if a.Registrar == "" {
		v.add(it, "account.registrar", "registrar", "", ruleRequired+" ("+ruleHostPort[len("must be "):]+")")
	} else if !validHostPort(a.Registrar) {
		v.add(it, "account.registrar", "registrar", a.Registrar, ruleHostPort)
	}
	if a.Proxy != "" && !validHostPort(a.Proxy) {
		v.add(it, "account.proxy", "outbound proxy", a.Proxy, ruleHostPort)
	}
	if a.Domain != "" && !validHost(a.Domain) {
		v.add(it, "account.domain", "domain", a.Domain, ruleHost)
	}

	if a.User == "" {
		v.add(it, "account.user", "user", "", ruleRequired)
	} else if rule := sipUserRule(a.User, false); rule != "" {
		v.add(it, "account.user", "user", a.User, rule)
	}
	if a.AuthUser != "" {
		if rule := sipUserRule(a.AuthUser, true); rule != "" {
			v.add(it, "account.auth_user", "authentication user", a.AuthUser, rule)
		}
	}

	known := a.Transport >= 0 && int(a.Transport) < len(transportNames)
	if !known {
		v.add(it, "account.transport", "transport", strconv.Itoa(int(a.Transport)), "must be udp, tcp or tls")
	}
	if a.Expires != 0 && (a.Expires < minExpires || a.Expires > maxExpires) {
		v.add(it, "account.expires", "registration lifetime", strconv.Itoa(a.Expires),
			fmt.Sprintf("must be %d to %d seconds, or 0 for the default (%d)", minExpires, maxExpires, DefaultExpires))
	}
	if a.DisplayName != "" {
		if rule := plainText(a.DisplayName); rule != "" {
			v.add(it, "account.display_name", "display name", a.DisplayName, rule)
		} else if strings.ContainsRune(a.DisplayName, '"') {
			v.add(it, "account.display_name", "display name", a.DisplayName, `must not contain a double quote (")`)
		}
	}
	if !a.Encryption.Known() {
		v.add(it, "account.encryption", "media encryption", strconv.Itoa(int(a.Encryption)), "must be off, offer or require")
	}
	if a.CAFile != "" && known && a.Transport != TransportTLS {
		v.add(it, "account.ca_file", "CA file", a.CAFile, "only used with transport tls")
	}
}

// validHostPort reports whether s is host or host:port as a line's registrar or proxy.
func validHostPort(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		host, port = s[:end+1], s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if port == "" {
				return false
			}
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if port == "" {
			return false
		}
	}
	if !validHost(host) {
		return false
	}
	if port == "" {
		return true
	}
	if !isDigits(port) || len(port) > 5 {
		return false
	}
	n, _ := strconv.Atoi(port)
	return n >= 1 && n <= 65535
}

// validHost reports whether s is a DNS name, an IPv4 address or an IPv6 address in brackets, as
// the host part of a SIP URI (RFC 3261 section 25.1).
func validHost(s string) bool {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		a, err := netip.ParseAddr(s[1 : len(s)-1])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Is4()
	}
	return validDNSName(s)
}

// validDNSName follows RFC 3261's hostname: labels of letters, digits and inner hyphens, the last
// one starting with a letter, with an optional final dot.
func validDNSName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, lb := range labels {
		if lb == "" || len(lb) > 63 || lb[0] == '-' || lb[len(lb)-1] == '-' {
			return false
		}
		for i := 0; i < len(lb); i++ {
			b := lb[i]
			if !isAlnum(b) && b != '-' {
				return false
			}
		}
	}
	top := labels[len(labels)-1]
	return (top[0] >= 'a' && top[0] <= 'z') || (top[0] >= 'A' && top[0] <= 'Z')
}

func isAlnum(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
}

func isHex(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
}

// sipUserRule returns why s is not the user part of a SIP URI (RFC 3261: unreserved, escaped and
// user-unreserved characters), or "" when it is. An authentication user may also contain '@',
// as providers that use e-mail addresses as digest user names require.
func sipUserRule(s string, auth bool) string {
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case isAlnum(b), strings.IndexByte("-_.!~*'()&=+$,;?/", b) >= 0:
		case b == '@' && auth:
		case b == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "has a % that is not followed by two hex digits"
			}
			i += 2
		case b == '@' && !auth:
			return "must be the user part only, without @ and domain (the domain is the registrar's host or account.domain)"
		default:
			if auth {
				return "may only contain letters, digits, @, %HH escapes and -_.!~*'()&=+$,;?/ (no : or spaces)"
			}
			return ruleUserChars
		}
	}
	return ""
}

// numberRule returns why s is not a phone number as a line's details hold it, or "".
func numberRule(s string) string {
	digits := strings.TrimPrefix(s, "+")
	for i := 0; i < len(digits); i++ {
		if b := digits[i]; b < '0' || b > '9' {
			if strings.IndexByte(" -/().", b) >= 0 {
				return "must be written without spaces or separators: an optional leading + and digits only"
			}
			return "may only contain digits, with an optional leading +"
		}
	}
	switch {
	case digits == "":
		return "must have at least one digit"
	case len(digits) > maxNumberDigits:
		return fmt.Sprintf("must have at most %d digits", maxNumberDigits)
	}
	return ""
}
