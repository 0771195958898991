package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/httpapi"
)

// TestStartIsFoundByDiscover starts the API on a data directory and finds it again through the
// directory alone, as `lineup dial` does; after stop it is not found, and the token stays.
func TestStartIsFoundByDiscover(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, _, ok, err := httpapi.Discover(dir); ok || err != nil {
		t.Fatalf("an empty directory: found %v, %v", ok, err)
	}
	stop, err := httpapi.Start(dir, "127.0.0.1:0", apitest.New(testConfig()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	url, token, ok, err := httpapi.Discover(dir)
	if !ok || err != nil {
		stop()
		t.Fatalf("the running server is not found: %v", err)
	}
	for _, f := range []string{httpapi.TokenFile, httpapi.InfoFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	ctx := context.Background()
	c, err := httpapi.Dial(ctx, url, token)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	s, err := c.LogOn(ctx, "finder")
	if err != nil {
		stop()
		t.Fatal(err)
	}
	if ls, err := s.Lines(ctx); err != nil || len(ls) != 3 {
		t.Errorf("lines through the found server: %d, %v", len(ls), err)
	}
	stop() // logs the session off
	if _, _, ok, _ := httpapi.Discover(dir); ok {
		t.Error("the server is still found after stop")
	}
	tok, _, err := httpapi.LoadOrMakeToken(dir, quiet)
	if err != nil || tok != token {
		t.Errorf("the token after a restart: %q, %v; want the same %q", tok, err, token)
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr        string
		remote      bool
		ok          bool
		notLoopback bool
	}{
		{"127.0.0.1:0", false, true, false},
		{"[::1]:7070", false, true, false},
		{"localhost:7070", false, true, false},
		{"0.0.0.0:7070", false, false, true},
		{":7070", false, false, true},
		{"0.0.0.0:7070", true, true, false},
		{"127.0.0.1", false, false, false},
	} {
		err := httpapi.CheckAddr(tc.addr, tc.remote)
		var ae *httpapi.AddrError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%q (remote %v): %v, want accepted", tc.addr, tc.remote, err)
		case !tc.ok && (!errors.As(err, &ae) || ae.NotLoopback != tc.notLoopback):
			t.Errorf("%q (remote %v): %v, want refused (not loopback: %v)", tc.addr, tc.remote, err, tc.notLoopback)
		}
	}
}
