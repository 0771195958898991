// Command demopbx runs the test PBX (a local Kamailio, see package testpbx) in the foreground with
// one account per line of a provisioning file, for `make demo` and manual testing:
//
//	go run ./internal/testpbx/demopbx -provision assets/demo/provision.toml
//
// It reads only [[line]] tables and their account's user, auth_user, password, registrar and
// domain; all lines must name the same registrar (host:port on a loopback address; port 5060 when
// none is given). Kamailio listens there on UDP and TCP (and TLS on port+1 with -tls), and the
// addresses are printed on stdout. demopbx stops Kamailio and exits on SIGINT or SIGTERM, when the
// -pidfile it wrote is removed, or, with -stdin, when its standard input is closed.
//
// Flags:
//
//	-provision FILE  provisioning file (TOML) to take the accounts from (required)
//	-dir DIR         work directory for Kamailio's config and runtime files (default: a temporary
//	                 directory, removed at exit)
//	-pidfile FILE    write demopbx's process id to FILE; removing FILE stops demopbx
//	-stdin           stop when standard input is closed
//	-tls             also listen on TLS (port+1) with a certificate made at start; the CA is
//	                 written to ca.pem in the work directory and its path printed
//	-children N      Kamailio worker processes per transport (default 4)
//	-log             copy Kamailio's log to stderr at exit
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/lineupphone/lineup/internal/testpbx"
)

// provisionFile is the part of a provisioning file that demopbx needs.
type provisionFile struct {
	Lines []struct {
		Account struct {
			Registrar string `toml:"registrar"`
			Domain    string `toml:"domain"`
			User      string `toml:"user"`
			AuthUser  string `toml:"auth_user"`
			Password  string `toml:"password"`
		} `toml:"account"`
	} `toml:"line"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demopbx:", err)
		os.Exit(1)
	}
}

func run() error {
	provision := flag.String("provision", "", "provisioning file (TOML) to take the accounts from")
	dir := flag.String("dir", "", "work directory (default: a temporary directory)")
	pidfile := flag.String("pidfile", "", "write the process id here; removing the file stops demopbx")
	watchStdin := flag.Bool("stdin", false, "stop when standard input is closed")
	withTLS := flag.Bool("tls", false, "also listen on TLS on port+1")
	children := flag.Int("children", 4, "Kamailio worker processes per transport")
	showLog := flag.Bool("log", false, "copy Kamailio's log to stderr at exit")
	flag.Parse()
	if *provision == "" {
		flag.Usage()
		return errors.New("-provision is required")
	}

	cfg, err := configFromFile(*provision)
	if err != nil {
		return err
	}
	cfg.TLS = *withTLS
	cfg.Dir = *dir
	cfg.Children = *children

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	pbx, err := testpbx.Launch(startCtx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		if err := pbx.Stop(); err != nil {
			slog.Error("demopbx: stop kamailio", "error", err)
		}
		if *showLog {
			fmt.Fprint(os.Stderr, pbx.Log())
		}
	}()

	if *pidfile != "" {
		if err := os.WriteFile(*pidfile, fmt.Appendf(nil, "%d\n", os.Getpid()), 0o644); err != nil {
			return fmt.Errorf("write pidfile: %w", err)
		}
		defer os.Remove(*pidfile)
	}

	fmt.Printf("demo PBX running (kamailio pid %d), domain %s, %d users\n", pbx.PID(), pbx.Domain(), len(cfg.Users))
	fmt.Printf("udp: %s\ntcp: %s\n", pbx.UDPAddr(), pbx.TCPAddr())
	if pbx.TLSAddr() != "" {
		fmt.Printf("tls: %s (CA: %s)\n", pbx.TLSAddr(), pbx.CAFile())
	}

	stdinClosed := make(chan struct{})
	if *watchStdin {
		// Ends with the process: it only reads until standard input is closed.
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			close(stdinClosed)
		}()
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Println("signal received, stopping")
			return nil
		case <-stdinClosed:
			fmt.Println("standard input closed, stopping")
			return nil
		case <-tick.C:
			if *pidfile != "" {
				if _, err := os.Stat(*pidfile); errors.Is(err, os.ErrNotExist) {
					fmt.Println("pidfile removed, stopping")
					return nil
				}
			}
			if pbx.PID() == 0 {
				return errors.New("kamailio is not running")
			}
		}
	}
}

// configFromFile reads the accounts of a provisioning file into a PBX config.
func configFromFile(path string) (testpbx.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return testpbx.Config{}, fmt.Errorf("read provisioning file: %w", err)
	}
	var pf provisionFile
	if err := toml.Unmarshal(data, &pf); err != nil {
		return testpbx.Config{}, fmt.Errorf("parse provisioning file %s: %w", path, err)
	}
	return configFromLines(pf)
}

func configFromLines(pf provisionFile) (testpbx.Config, error) {
	if len(pf.Lines) == 0 {
		return testpbx.Config{}, errors.New("provisioning file has no [[line]]")
	}
	var cfg testpbx.Config
	passwords := map[string]string{}
	for i, l := range pf.Lines {
		a := l.Account
		listen, err := registrarAddr(a.Registrar)
		if err != nil {
			return testpbx.Config{}, fmt.Errorf("line %d: %w", i+1, err)
		}
		if cfg.Listen == "" {
			cfg.Listen = listen
		} else if cfg.Listen != listen {
			return testpbx.Config{}, fmt.Errorf("line %d: registrar %s differs from %s of the lines before: one PBX serves one address", i+1, listen, cfg.Listen)
		}
		domain := a.Domain
		if domain == "" {
			domain, _, _ = net.SplitHostPort(listen)
		}
		if cfg.Domain == "" {
			cfg.Domain = domain
		} else if cfg.Domain != domain {
			return testpbx.Config{}, fmt.Errorf("line %d: domain %s differs from %s of the lines before", i+1, domain, cfg.Domain)
		}
		name := a.AuthUser
		if name == "" {
			name = a.User
		}
		if name == "" {
			return testpbx.Config{}, fmt.Errorf("line %d: account has no user", i+1)
		}
		if pw, ok := passwords[name]; ok {
			if pw != a.Password {
				return testpbx.Config{}, fmt.Errorf("line %d: user %s appears twice with different passwords", i+1, name)
			}
			continue
		}
		passwords[name] = a.Password
		cfg.Users = append(cfg.Users, testpbx.User{Name: name, Password: a.Password})
	}
	return cfg, nil
}

// registrarAddr turns "host" or "host:port" into "ip:port" on loopback.
func registrarAddr(registrar string) (string, error) {
	if registrar == "" {
		return "", errors.New("account has no registrar")
	}
	host, port, err := net.SplitHostPort(registrar)
	if err != nil {
		host, port = registrar, "5060"
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("registrar %q: the demo PBX runs on a loopback address only", registrar)
	}
	return net.JoinHostPort(ip.String(), port), nil
}
