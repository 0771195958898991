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
	"io"
	"log/slog"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/lineupphone/lineup/audio"
	"github.com/lineupphone/lineup/ui"
)

// runGUI is `lineup` without a subcommand: the desktop app. It runs the line server in-process
// (as serve does) and the UI on it, logged on as the client "desktop", until the main window is
// closed or ctx ends; then the lines are de-registered and the data directory closed.
func runGUI(ctx context.Context, g *globalFlags, stderr io.Writer) (err error) {
	o, err := lineOptionsFromEnv()
	if err != nil {
		return err
	}
	// The desktop app only: serve and the other commands keep the runtime's defaults.
	debug.SetGCPercent(guiGCPercent)
	ls, err := openLineServer(g, stderr, o)
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
	opts := ui.Options{Client: "desktop", Logger: log, Idle: releaseMemory(log), NoAudio: ls.snd.Off}
	if ls.snd.Engine != nil {
		opts.Audio = audio.NewDesktop(ls.snd.Engine, ls.st)
	}
	u, err := ui.Create(ctx, a, srv, opts)
	if err != nil {
		cancel()
		<-runErr
		return err
	}
	u.Window().ShowAndRun() // returns when the main window closes or ctx ends
	uiErr := u.Close()
	cancel()
	err = <-runErr
	log.Info("line server stopped")
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return errors.Join(err, uiErr)
}

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
