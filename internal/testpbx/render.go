package testpbx

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

//go:embed kamailio.cfg.tmpl
var cfgTemplateText string

var cfgTemplate = template.Must(template.New("kamailio.cfg").Parse(cfgTemplateText))

// userNameRE limits user names to characters that are safe both in a SIP URI user part and
// inside Kamailio's $sht(users=>NAME).
var userNameRE = regexp.MustCompile(`^[A-Za-z0-9._~+*!-]+$`)

// domainRE accepts host names and IPv4 addresses.
var domainRE = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)

func validate(cfg Config) error {
	if !domainRE.MatchString(cfg.Domain) {
		return fmt.Errorf("testpbx: domain %q: only letters, digits, dots and dashes", cfg.Domain)
	}
	seen := make(map[string]bool, len(cfg.Users))
	for i, u := range cfg.Users {
		if !userNameRE.MatchString(u.Name) {
			return fmt.Errorf("testpbx: user %d name %q: only letters, digits and ._~+*!-", i, u.Name)
		}
		if seen[u.Name] {
			return fmt.Errorf("testpbx: user %q given twice", u.Name)
		}
		seen[u.Name] = true
		for _, r := range u.Password {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("testpbx: password of user %q: control characters are not allowed", u.Name)
			}
		}
	}
	return nil
}

// kamailioBinary finds kamailio: $KAMAILIO, then PATH, then /usr/sbin (not on every PATH).
func kamailioBinary() (string, error) {
	if bin := os.Getenv("KAMAILIO"); bin != "" {
		return bin, nil
	}
	if bin, err := exec.LookPath("kamailio"); err == nil {
		return bin, nil
	}
	if _, err := os.Stat("/usr/sbin/kamailio"); err == nil {
		return "/usr/sbin/kamailio", nil
	}
	return "", errors.New("testpbx: kamailio not found (install the Debian packages kamailio and kamailio-tls-modules)")
}

var (
	modulePathOnce sync.Once
	modulePathVal  string
	modulePathErr  error
)

// modulePath finds the directory of Kamailio's modules: the default that `kamailio -I` prints,
// else Debian's multiarch directory for this architecture.
func modulePath(bin string) (string, error) {
	modulePathOnce.Do(func() {
		var candidates []string
		if out, err := exec.Command(bin, "-I").CombinedOutput(); err == nil {
			for _, line := range strings.Split(string(out), "\n") {
				if _, after, ok := strings.Cut(line, "Default paths to modules:"); ok {
					for _, dir := range strings.Split(after, ":") {
						if dir = strings.TrimSpace(dir); dir != "" {
							candidates = append(candidates, dir)
						}
					}
				}
			}
		}
		if triplet, ok := debianMultiarch[runtime.GOARCH]; ok {
			candidates = append(candidates, "/usr/lib/"+triplet+"/kamailio/modules")
		}
		candidates = append(candidates, "/usr/lib/kamailio/modules", "/usr/local/lib64/kamailio/modules")
		for _, dir := range candidates {
			if _, err := os.Stat(filepath.Join(dir, "tm.so")); err == nil {
				modulePathVal = dir
				return
			}
		}
		modulePathErr = fmt.Errorf("testpbx: kamailio modules not found in %s", strings.Join(candidates, ", "))
	})
	return modulePathVal, modulePathErr
}

var debianMultiarch = map[string]string{
	"amd64":   "x86_64-linux-gnu",
	"arm64":   "aarch64-linux-gnu",
	"386":     "i386-linux-gnu",
	"arm":     "arm-linux-gnueabihf",
	"ppc64le": "powerpc64le-linux-gnu",
	"s390x":   "s390x-linux-gnu",
	"riscv64": "riscv64-linux-gnu",
}

// kamailioString quotes s as a Kamailio config string literal.
func kamailioString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	return `"` + s + `"`
}

// render writes kamailio.cfg (and tls.cfg with TLS) into the work directory.
func (p *PBX) render() error {
	mpath, err := modulePath(p.bin)
	if err != nil {
		return err
	}
	var users strings.Builder
	for _, u := range p.cfg.Users {
		fmt.Fprintf(&users, "\t$sht(users=>%s) = %s;\n", u.Name, kamailioString(u.Password))
	}
	// Aliases for "myself" carry our ports (see route[OURDOMAIN] in the template).
	var aliases []string
	for _, addr := range []string{p.udpAddr, p.tlsAddr} {
		if _, port, err := net.SplitHostPort(addr); err == nil {
			aliases = append(aliases, "localhost:"+port)
			if p.cfg.Domain != "127.0.0.1" && p.cfg.Domain != "localhost" {
				aliases = append(aliases, p.cfg.Domain+":"+port)
			}
		}
	}
	debug := 1 // notices, warnings and errors
	if v, err := strconv.Atoi(os.Getenv("TESTPBX_DEBUG")); err == nil && v >= -5 && v <= 3 {
		debug = v
	}
	data := map[string]any{
		"Debug":           debug,
		"ModulePath":      mpath,
		"Domain":          p.cfg.Domain,
		"Aliases":         aliases,
		"UDP":             p.udpAddr,
		"TCP":             p.tcpAddr,
		"TLS":             p.tlsAddr,
		"TLSConfig":       filepath.Join(p.cfg.Dir, "tls.cfg"),
		"Children":        p.cfg.Children,
		"UserRoutes":      users.String(),
		"FollowRedirects": p.cfg.FollowRedirects,
		"Presence":        p.cfg.Presence,
		"DBURL":           "text://" + filepath.Join(p.cfg.Dir, "dbtext"),
	}
	if p.cfg.Presence {
		if err := writeDBText(filepath.Join(p.cfg.Dir, "dbtext")); err != nil {
			return err
		}
	}
	var b strings.Builder
	if err := cfgTemplate.Execute(&b, data); err != nil {
		return fmt.Errorf("testpbx: render config: %w", err)
	}
	p.cfgFile = filepath.Join(p.cfg.Dir, "kamailio.cfg")
	if err := os.WriteFile(p.cfgFile, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("testpbx: write config: %w", err)
	}
	if p.tlsAddr != "" {
		tlsCfg := fmt.Sprintf(`# TLS settings of the test PBX: no client certificates are asked for.
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = %s
certificate = %s

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
`, filepath.Join(p.cfg.Dir, "server.key"), filepath.Join(p.cfg.Dir, "server.pem"))
		if err := os.WriteFile(filepath.Join(p.cfg.Dir, "tls.cfg"), []byte(tlsCfg), 0o600); err != nil {
			return fmt.Errorf("testpbx: write tls config: %w", err)
		}
	}
	return nil
}

// dbtextTables are the db_text tables the presence modules use.
var dbtextTables = []string{"presentity", "active_watchers", "watchers", "xcap", "pua", "dialog", "dialog_vars"}

// dbtextSchemas is where Debian's kamailio package keeps the db_text table definitions;
// $TESTPBX_DBTEXT names another directory.
const dbtextSchemas = "/usr/share/kamailio/dbtext/kamailio"

// writeDBText makes an empty db_text database in dir: each table's header line and the version
// table, read from Kamailio's own table definitions.
func writeDBText(dir string) error {
	src := os.Getenv("TESTPBX_DBTEXT")
	if src == "" {
		src = dbtextSchemas
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("testpbx: dbtext dir: %w", err)
	}
	versions, err := os.ReadFile(filepath.Join(src, "version"))
	if err != nil {
		return fmt.Errorf("testpbx: dbtext table definitions (package kamailio): %w", err)
	}
	vlines := strings.Split(string(versions), "\n")
	var keep []string
	if len(vlines) > 0 {
		keep = append(keep, vlines[0])
	}
	for _, tbl := range dbtextTables {
		def, err := os.ReadFile(filepath.Join(src, tbl))
		if err != nil {
			return fmt.Errorf("testpbx: dbtext table %s: %w", tbl, err)
		}
		header, _, _ := strings.Cut(string(def), "\n")
		if err := os.WriteFile(filepath.Join(dir, tbl), []byte(header+"\n"), 0o644); err != nil {
			return fmt.Errorf("testpbx: dbtext table %s: %w", tbl, err)
		}
		for _, l := range vlines[1:] {
			if strings.Contains(l, ":"+tbl+":") {
				keep = append(keep, l)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "version"), []byte(strings.Join(keep, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("testpbx: dbtext version table: %w", err)
	}
	return nil
}
