package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/netutil"

	"github.com/lineupphone/lineup/api"
)

// The local API's files in the data directory: the token (made once, kept across restarts) and
// the address of the running server, so that `lineup dial` and `lineup journal` find it with no
// flags. Both are readable by their owner only.
const (
	TokenFile = "api-token"
	InfoFile  = "api.json"
)

// Info is what api.json holds while a server started by Start runs.
type Info struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

// AddrError is why CheckAddr refuses an address.
type AddrError struct {
	// Addr is the address refused.
	Addr string
	// NotLoopback is set for an address that is HOST:PORT but not on the loopback interface;
	// Host then says which host ("all interfaces" for an empty one).
	NotLoopback bool
	Host        string
}

func (e *AddrError) Error() string {
	if e.NotLoopback {
		return fmt.Sprintf("%q: %s is not a loopback address; the API is local only (use 127.0.0.1)", e.Addr, e.Host)
	}
	return fmt.Sprintf("%q: must be HOST:PORT, e.g. 127.0.0.1:7070 (port 0 picks a free one)", e.Addr)
}

// CheckAddr refuses, with an *AddrError, an address to listen on that is not HOST:PORT, or that
// is not on the loopback interface unless allowRemote: the API is meant for programs on the same
// machine.
func CheckAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &AddrError{Addr: addr}
	}
	if allowRemote {
		return nil
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	what := host
	if host == "" {
		what = "all interfaces"
	}
	return &AddrError{Addr: addr, NotLoopback: true, Host: what}
}

// LoadOrMakeToken returns the token in dir/api-token and the file's path, making it (mode 0600)
// when there is none. A token file that others may read is tightened to 0600.
func LoadOrMakeToken(dir string, log *slog.Logger) (token, path string, err error) {
	path = filepath.Join(dir, TokenFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", path, fmt.Errorf("api token file %s is empty: delete it and a new token is made", path)
		}
		if err := tighten(path, log); err != nil {
			return "", path, err
		}
		return tok, path, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", path, fmt.Errorf("read api token: %w", err)
	}
	tok, err := NewToken()
	if err != nil {
		return "", path, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", path, fmt.Errorf("make api token: %w", err)
	}
	_, werr := f.WriteString(tok + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return "", path, fmt.Errorf("make api token: %w", err)
	}
	log.Info("made a new api token", "file", path)
	return tok, path, nil
}

func tighten(path string, log *slog.Logger) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("restrict %s to its owner: %w", path, err)
		}
		log.Warn("file was readable by others; restricted it to its owner", "file", path)
	}
	return nil
}

// WriteInfo writes dir/api.json (mode 0600) by renaming a complete temporary file into place.
func WriteInfo(dir string, info Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, InfoFile+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", InfoFile, err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", InfoFile, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, InfoFile)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", InfoFile, err)
	}
	return nil
}

// removeInfo removes api.json if it still names url (a newer server may have replaced it).
func removeInfo(dir, url string) {
	path := filepath.Join(dir, InfoFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var info Info
	if json.Unmarshal(b, &info) == nil && info.URL == url {
		os.Remove(path)
	}
}

// Discover returns the URL and token of the server running on the data directory dir; ok is
// false when no server has written its address there (api.json).
func Discover(dir string) (url, token string, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("read %s: %w", InfoFile, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil || info.URL == "" {
		return "", "", false, fmt.Errorf("%s in %s: not a valid api file", InfoFile, dir)
	}
	t, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if err != nil {
		return "", "", false, fmt.Errorf("read api token: %w", err)
	}
	return info.URL, strings.TrimSpace(string(t)), true, nil
}

// MaxConnections is how many connections the API holds at once; more wait in the kernel's
// backlog until one closes, so a local program cannot tie up the server with idle sockets.
const MaxConnections = 64

// MaxHeaderBytes bounds a request's header.
const MaxHeaderBytes = 64 << 10

// Timeouts are the HTTP server's: the headers of a request must arrive within ReadHeader, the
// whole request within Read, the answer must be written within Write (an event stream lifts
// both for itself), and an idle kept-alive connection is closed after Idle.
var Timeouts = struct{ ReadHeader, Read, Write, Idle time.Duration }{
	ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second, Idle: 60 * time.Second,
}

// hostsOf is what a Host header may name for a server listening on a: its address, and for a
// loopback address also localhost, with its port. (A server on every interface is reached by any
// of the machine's names: Start answers any Host with its port then, WithAnyHostOnPort.)
func hostsOf(a *net.TCPAddr) []string {
	port := strconv.Itoa(a.Port)
	hosts := []string{net.JoinHostPort(a.IP.String(), port)}
	if a.IP.IsLoopback() {
		hosts = append(hosts, net.JoinHostPort("localhost", port))
	}
	return hosts
}

// Start serves phone's API on addr (HOST:PORT; port 0 picks a free one) with the token of the
// data directory dir (made when there is none) until the returned stop function is called. It
// writes dir/api.json, so that Discover finds the server, and removes it at stop; stop also logs
// off the sessions opened over HTTP and ends their event streams. opts are the server's (the
// host and logger options are set by Start).
func Start(dir, addr string, phone api.Phone, log *slog.Logger, opts ...ServerOption) (stop func(), err error) {
	tok, tokPath, err := LoadOrMakeToken(dir, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("local api: %w", err)
	}
	hosts := WithAllowedHosts(hostsOf(ln.Addr().(*net.TCPAddr))...)
	if a := ln.Addr().(*net.TCPAddr); a.IP.IsUnspecified() {
		hosts = WithAnyHostOnPort(strconv.Itoa(a.Port))
	}
	handler, err := NewServer(phone, tok, append(opts, WithServerLogger(log), hosts)...)
	if err != nil {
		ln.Close()
		return nil, err
	}
	url := "http://" + ln.Addr().String()
	if err := WriteInfo(dir, Info{URL: url, PID: os.Getpid()}); err != nil {
		ln.Close()
		return nil, err
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: Timeouts.ReadHeader, ReadTimeout: Timeouts.Read,
		WriteTimeout: Timeouts.Write, IdleTimeout: Timeouts.Idle, MaxHeaderBytes: MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln = netutil.LimitListener(ln, MaxConnections)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("local api stopped", "error", err)
		}
	}()
	log.Info("local api listening", "url", url, "token_file", tokPath)
	return func() {
		removeInfo(dir, url)
		_ = handler.Close() // logs the sessions off and ends the event streams
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
		}
		<-done
	}, nil
}

// Connect finds the server running on the data directory dir (Discover), checks that it answers
// and logs on as client. found is false when no server has written its address there, or when
// the one that did no longer answers (a stale api.json: the error then says so).
func Connect(ctx context.Context, dir, client string, opts ...ClientOption) (s api.Session, found bool, err error) {
	url, token, ok, err := Discover(dir)
	if err != nil || !ok {
		return nil, false, err
	}
	c, err := Dial(ctx, url, token, opts...)
	if err != nil {
		if errors.Is(err, api.ErrNotRunning) {
			return nil, false, fmt.Errorf("the line server at %s (from %s) does not answer; is 'lineup serve --api' still running? %w", url, InfoFile, err)
		}
		return nil, true, err
	}
	s, err = c.LogOn(ctx, client)
	if err != nil {
		return nil, true, err
	}
	return s, true, nil
}

// ShowRunning brings the window of the desktop app running on the data directory dir to the
// front. found is false when no line server runs there (none wrote api.json, or the one that did
// is gone); an error with found set means one runs but did not show a window (serve has none).
func ShowRunning(ctx context.Context, dir string, opts ...ClientOption) (found bool, err error) {
	url, token, ok, err := Discover(dir)
	if err != nil || !ok {
		return false, err
	}
	c, err := Dial(ctx, url, token, opts...)
	if err != nil {
		if errors.Is(err, api.ErrNotRunning) {
			return false, nil // a stale api.json: the app that wrote it has ended
		}
		return true, err
	}
	return true, c.Show(ctx)
}
