package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"time"

	keyring "github.com/zalando/go-keyring"
)

// KeyringService is the service name Lineup's passwords carry in the OS keyring; the account
// (user) name is "<data file ID>/<ref>".
const KeyringService = "Lineup"

// keyringTimeout bounds one keyring call. The Secret Service may show an unlock prompt, so it is
// generous; a call still running when it passes is reported as failed.
const keyringTimeout = 30 * time.Second

// OSKeyring is the Secrets of the operating system, through github.com/zalando/go-keyring: the
// Secret Service on the D-Bus session bus (Linux, BSD), the Keychain (macOS), the Credential
// Manager (Windows). It is a Prober: Open asks it whether the keyring answers before using it.
type OSKeyring struct{}

var _ interface {
	Secrets
	Prober
} = OSKeyring{}

// errNoSessionBus is why there is no Secret Service when no session bus can be found.
var errNoSessionBus = errors.New("no D-Bus session bus")

// Probe asks the keyring for a key that is never set: "not found" means it works. Where the
// keyring is the Secret Service and no session bus is known (DBUS_SESSION_BUS_ADDRESS unset, no
// $XDG_RUNTIME_DIR/bus), it fails at once rather than let godbus start a bus with dbus-launch.
func (OSKeyring) Probe(ctx context.Context) error {
	if usesDBus() && !sessionBusKnown() {
		return errNoSessionBus
	}
	probe := "probe/" + fmt.Sprint(time.Now().UnixNano())
	_, err := keyringCall(ctx, func() (string, error) { return keyring.Get(KeyringService, probe) })
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// Get returns the secret of key.
func (OSKeyring) Get(key string) (string, error) {
	v, err := callTimeout(func() (string, error) { return keyring.Get(KeyringService, key) })
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("keyring %s %s: %w", KeyringService, key, ErrSecretNotFound)
	}
	return v, err
}

// Set stores value under key.
func (OSKeyring) Set(key, value string) error {
	_, err := callTimeout(func() (string, error) { return "", keyring.Set(KeyringService, key, value) })
	return err
}

// Delete removes key; a missing key is not an error.
func (OSKeyring) Delete(key string) error {
	_, err := callTimeout(func() (string, error) { return "", keyring.Delete(KeyringService, key) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

func callTimeout(fn func() (string, error)) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), keyringTimeout)
	defer cancel()
	return keyringCall(ctx, fn)
}

// keyringCall runs one keyring call, giving up when ctx ends. go-keyring's calls take no context: one
// given up on ends by itself when the keyring answers (its goroutine only sends to a buffered
// channel that nobody reads then).
func keyringCall(ctx context.Context, fn func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("OS keyring did not answer: %w", ctx.Err())
	}
}

// usesDBus tells whether go-keyring reaches the keyring over D-Bus on this system.
func usesDBus() bool {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "android", "plan9", "js", "wasip1":
		return false
	}
	return true
}

// sessionBusKnown tells whether a session bus is known without launching one: from
// DBUS_SESSION_BUS_ADDRESS, else the socket $XDG_RUNTIME_DIR/bus (/run/user/UID/bus without
// XDG_RUNTIME_DIR), which it then names in DBUS_SESSION_BUS_ADDRESS so that godbus uses that
// socket and no other.
func sessionBusKnown() bool {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return true
	}
	run := os.Getenv("XDG_RUNTIME_DIR")
	if run == "" {
		u, err := user.Current()
		if err != nil {
			return false
		}
		run = filepath.Join("/run/user", u.Uid)
	}
	sock := filepath.Join(run, "bus")
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Type() != os.ModeSocket {
		return false
	}
	_ = os.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+sock)
	return true
}
