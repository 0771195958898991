package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
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

// A second start of the desktop app finds the running one and asks it to show its window; a
// headless server (no show) says it has none, a directory where nothing runs finds nothing, and
// an api.json left behind by an app that ended is not taken for a running one.
func TestShowRunning(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	dir := t.TempDir()
	if found, err := httpapi.ShowRunning(ctx, dir); found || err != nil {
		t.Fatalf("nothing runs: found %v, %v", found, err)
	}
	var shown atomic.Int32
	stop, err := httpapi.Start(dir, "127.0.0.1:0", apitest.New(testConfig()), quiet, httpapi.WithShow(func() { shown.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	found, err := httpapi.ShowRunning(ctx, dir)
	url, _, _, _ := httpapi.Discover(dir)
	stop()
	if !found || err != nil || shown.Load() != 1 {
		t.Errorf("the app: found %v, %v, shown %d times, want once", found, err, shown.Load())
	}
	// What stop removed, as a crash would leave it behind.
	if err := httpapi.WriteInfo(dir, httpapi.Info{URL: url, PID: 1}); err != nil {
		t.Fatal(err)
	}
	if found, err := httpapi.ShowRunning(ctx, dir); found || err != nil {
		t.Errorf("a stale api.json: found %v, %v, want not found", found, err)
	}

	headless := t.TempDir()
	stop, err = httpapi.Start(headless, "127.0.0.1:0", apitest.New(testConfig()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	found, err = httpapi.ShowRunning(ctx, headless)
	var se *httpapi.StatusError
	if !found || !errors.As(err, &se) || se.Status != 501 || se.Code != httpapi.CodeNoWindow {
		t.Errorf("serve: found %v, %v, want 501 %s", found, err, httpapi.CodeNoWindow)
	}
}
