package main

// The desktop app. This is the one file of the binary with cgo (the sound devices' cgo is in
// media/device): releaseMemory calls glibc's malloc_trim through it.

/*
// lineup_malloc_trim hands the C heap's free pages back to the system (glibc only; elsewhere
// it does nothing).
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static void lineup_malloc_trim(void) { malloc_trim(0); }
#else
static void lineup_malloc_trim(void) {}
#endif
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/lineupphone/lineup/audio"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/ui"
)

// runGUI is `lineup` without a subcommand: the desktop app. It runs the line server in-process
// (as serve does) and the UI on it, logged on as the client "desktop", until the main window is
// closed or ctx ends; then the lines are de-registered and the data directory closed.
func runGUI(ctx context.Context, g *globalFlags, stderr io.Writer, opts ...guiOption) (err error) {
	var start guiStart
	for _, opt := range opts {
		opt(&start)
	}
	o, err := lineOptionsFromEnv()
	if err != nil {
		return err
	}
	dir, err := g.dataDir()
	if err != nil {
		return err
	}
	// One app per data directory: a second start brings the running one to the front.
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	found, err := httpapi.ShowRunning(sctx, dir)
	scancel()
	if found {
		if err != nil {
			return fmt.Errorf("a line server runs on %s already and has no window to show (stop it first): %w", dir, err)
		}
		fmt.Fprintln(stderr, "lineup: Lineup is running already; its window was brought to the front")
		return nil
	}
	if o.api == "" {
		// The app always serves the local API (loopback, token-protected): a second start and
		// the links a browser hands over reach the running app through it.
		o.api = "127.0.0.1:0"
	}
	var shown atomic.Pointer[ui.UI]
	raise := httpapi.WithShow(func() {
		if u := shown.Load(); u != nil {
			u.Raise()
		}
	})
	// The desktop app only: serve and the other commands keep the runtime's defaults.
	debug.SetGCPercent(guiGCPercent)
	ls, err := openLineServer(g, stderr, o, raise)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ls.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	log, srv := ls.log, ls.srv

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()

	a := app.NewWithID("com.github.lineupphone.lineup")
	uo := ui.Options{Client: "desktop", Logger: log, Idle: releaseMemory(log), NoAudio: ls.snd.Off}
	if as := newAutostart(g); as != nil {
		uo.Autostart = as
	}
	if ls.snd.Engine != nil {
		uo.Audio = audio.NewDesktop(ls.snd.Engine, ls.st)
	}
	u, err := ui.Create(ctx, a, srv, uo)
	if err != nil {
		cancel()
		<-runErr
		return err
	}
	shown.Store(u)
	dialled := make(chan struct{})
	go func() {
		defer close(dialled)
		if start.dial == "" {
			return
		}
		if _, err := dialWhenReady(ctx, srv, start.dial, linkWait); err != nil && ctx.Err() == nil {
			log.Error("the link was not dialled", "number", start.dial, "error", err)
			u.Notify("Lineup could not dial "+start.dial, err.Error())
		}
	}()
	u.Window().ShowAndRun() // returns when the main window closes or ctx ends
	shown.Store(nil)
	uiErr := u.Close()
	cancel()
	<-dialled
	err = <-runErr
	log.Info("line server stopped")
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, uiErr)
}

// guiStart is what the app does once it runs: dial a link it was started with.
type guiStart struct{ dial string }

type guiOption func(*guiStart)

// guiDial makes the app dial input (a number or sip: address) once a line is registered.
func guiDial(input string) guiOption { return func(s *guiStart) { s.dial = input } }

// linkWait is how long the app started by a link waits for a line to register before it gives
// up dialling the link (and says so).
const linkWait = 30 * time.Second

// releaseMemory returns the memory the app freed to the system; the UI calls it after start and
// after the last call ended, once the app is quiet and again when the SIP transactions of the
// calls have run out (ui.Options.Idle). Without it the Go runtime
// keeps freed heap pages up to the heap's goal (its background scavenger returns only what lies
// above that), and glibc keeps what Mesa's renderer and GLFW freed at start and while windows
// came and went. Each call costs one garbage collection and one walk of the C heap: about
// 10 ms on the machines this was measured on.
func releaseMemory(log *slog.Logger) func() {
	return func() {
		t0 := time.Now()
		debug.FreeOSMemory()
		C.lineup_malloc_trim()
		log.Debug("returned freed memory to the system", "took", time.Since(t0))
	}
}

// guiGCPercent is the desktop app's GOGC. Most of the app's live heap (about 30 MB) is parsed
// fonts that live as long as it does, and the Go runtime keeps up to twice the live heap: with
// the default 100 the app held some 25 MB more than it used. 50 lets the heap grow by half the
// live heap before a collection; the cost is about twice as many collections while calls and
// redraws allocate (each marks about 30 MB: a few milliseconds of CPU), and none while idle.
const guiGCPercent = 50
