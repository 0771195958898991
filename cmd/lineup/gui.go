package main

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
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"fyne.io/fyne/v2/app"

	"github.com/lineupphone/lineup/audio"
	"github.com/lineupphone/lineup/httpapi"
	"github.com/lineupphone/lineup/ui"
)

// guiOptions are the line server settings of the desktop app that `serve` takes as flags.
type guiOptions struct {
	listen string // local IP for SIP; "" listens on every interface
	port   int    // local SIP port; 0 picks a free one
	audio  string // system, null or none, as serve's --audio
	api    string // HOST:PORT of the local HTTP API (loopback only), as serve's --api; "" for none
}

// guiOptionsFromEnv reads the desktop app's line server settings from the environment:
// LINEUP_SIP_LISTEN, LINEUP_SIP_PORT, LINEUP_AUDIO and LINEUP_API mean what serve's --sip-listen,
// --sip-port, --audio and --api mean (the API then lets `lineup dial` click-to-dial through the
// running app).
func guiOptionsFromEnv() (guiOptions, error) {
	o := guiOptions{listen: os.Getenv("LINEUP_SIP_LISTEN"), audio: os.Getenv("LINEUP_AUDIO"),
		api: os.Getenv("LINEUP_API")}
	if o.audio == "" {
		o.audio = "system"
	}
	if p := os.Getenv("LINEUP_SIP_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return o, fmt.Errorf("LINEUP_SIP_PORT %q: must be a port number: %w", p, errUsage)
		}
		o.port = n
	}
	if o.api != "" {
		if err := checkAPIAddr(o.api, false); err != nil {
			return o, fmt.Errorf("LINEUP_API: %w", err)
		}
	}
	return o, nil
}

// runGUI is `lineup` without a subcommand: the desktop app. It runs the line server in-process
// (as serve does) and the UI on it, logged on as the client "desktop", until the main window is
// closed or ctx ends; then the lines are de-registered and the data directory closed.
func runGUI(ctx context.Context, g *globalFlags, stderr io.Writer) error {
	o, err := guiOptionsFromEnv()
	if err != nil {
		return err
	}
	return runGUIWith(ctx, g, o, stderr)
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

func runGUIWith(ctx context.Context, g *globalFlags, o guiOptions, stderr io.Writer) (err error) {
	// The desktop app only: serve and the other commands keep the runtime's defaults.
	debug.SetGCPercent(guiGCPercent)
	ls, err := openLineServer(g, stderr, o.listen, o.port, o.audio)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ls.close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	log, srv, dir := ls.log, ls.srv, ls.dir

	if o.api != "" {
		stopAPI, err := httpapi.Start(dir, o.api, srv, log)
		if err != nil {
			srv.Close()
			return err
		}
		defer stopAPI()
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()

	a := app.NewWithID("com.github.lineupphone.lineup")
	opts := ui.Options{Client: "desktop", Logger: log, Idle: releaseMemory(log), NoAudio: ls.noAudio}
	if ls.audio != nil {
		opts.Audio = audio.NewDesktop(ls.audio, ls.st)
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
