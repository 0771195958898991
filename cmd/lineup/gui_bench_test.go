package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
	"github.com/lineupphone/lineup/internal/bench/benchkit"
	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// guiCalls is how many calls the benchmark rings at the desktop app to see its memory grow,
// after warmUpCalls, and settleAfterCalls is how long it waits before it measures again.
const (
	guiCalls         = 500
	warmUpCalls      = 5
	settleAfterCalls = 35 * time.Second
)

// idleSettle is how long an app is left alone after its window is up (and, for Lineup, its lines
// registered) before idleWindow, the span its idle CPU is measured over.
const (
	idleSettle = 3 * time.Second
	idleWindow = 30 * time.Second
)

// helloTitle is the title of the window of internal/bench/fynehello.
const helloTitle = "Fyne hello"

// BenchmarkGUI measures the desktop app (a build without the race detector) under Xvfb with three
// lines registered at the test Kamailio: cold start to the first drawn frame of the main window
// (goal ≤ 1000 ms), CPU while idle (goal ≤ 1 % of a core), resident memory while idle (goal ≤
// 150 MB) and its growth after baresip called a line 500 times, each call ringing in a
// conversation window and then cancelled (goal ≤ 10 MB; measured from after five warm-up calls
// to 35 s after the last call, when the SIP transactions are gone).
//
// Beside it, in every op and on the same Xvfb, runs the floor: internal/bench/fynehello, a Fyne
// window with one label and nothing else, measured the same way just before Lineup starts and
// again just after it stopped (the hello-* figures are the means of the two). Idle CPU is the user
// plus system CPU time of the process from /proc/PID/stat over 30 s, 3 s after the window was
// drawn (and Lineup's lines registered); idle-cpu-over-hello-% is Lineup's minus the hello-world's
// measured just before it, and idle-after-calls-cpu-% is Lineup's idle CPU again after the calls
// (with the conversation windows it keeps hidden for the next calls), with
// idle-after-calls-over-hello-% against the hello-world measured just after it. An idle Fyne 2.7
// app's CPU is nearly all Fyne's 60 Hz event loop: the Go runtime waking threads for each tick
// (the loop runs on the locked main thread) and polling the X server, so the hello-world's figure
// is the floor, and both move together with the machine's load (on a virtual machine a wake-up
// from idle costs more when the machine is quiet). One op is one whole run of both; run it with
// -benchtime 1x -count 5 and take the medians (make bench does).
func BenchmarkGUI(b *testing.B) {
	for _, tool := range []string{"Xvfb", "import", "xwininfo", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed (scripts/install-deps.sh installs it): %v", tool, err)
		}
	}
	bin := filepath.Join(b.TempDir(), "lineup")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build lineup: %v\n%s", err, out)
	}
	hello := filepath.Join(b.TempDir(), "fynehello")
	if out, err := exec.Command("go", "build", "-o", hello, "github.com/lineupphone/lineup/internal/bench/fynehello").CombinedOutput(); err != nil {
		b.Fatalf("build fynehello: %v\n%s", err, out)
	}
	pbx := testpbx.Start(b, testpbx.Config{Users: []testpbx.User{
		{Name: "301", Password: "pw-301"}, {Name: "302", Password: "pw-302"},
		{Name: "303", Password: "pw-303"}, {Name: "309", Password: "pw-309"},
	}})
	var prov strings.Builder
	prov.WriteString("[[group]]\nname = \"Sales\"\n")
	for _, u := range []string{"301", "302", "303"} {
		fmt.Fprintf(&prov, "\n[[line]]\nname = \"Line %s\"\ngroup = \"Sales\"\nnumber = %q\n[line.account]\nregistrar = %q\nuser = %q\npassword = \"pw-%s\"\n",
			u, u, pbx.UDPAddr(), u, u)
	}
	provFile := filepath.Join(b.TempDir(), "lines.toml")
	if err := os.WriteFile(provFile, []byte(prov.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	data := b.TempDir()
	if out, err := exec.Command(bin, "--data", data, "provision", "import", provFile).CombinedOutput(); err != nil {
		b.Fatalf("import: %v\n%s", err, out)
	}
	caller := baresiptest.Start(b, baresiptest.Config{User: "309", Password: "pw-309", PBX: pbx})
	display := startXvfb(b)

	var sum struct {
		firstFrame, idleCPU, idleOverHello, idleAfterCalls, afterOverHello float64
		rssIdle, rssGrowth, helloFirstFrame, helloIdleCPU, helloRSS        float64
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// hello, Lineup (idle, calls, idle), hello: each Lineup figure has a hello-world figure
		// taken right beside it.
		h1 := benchHelloOnce(b, hello, display)
		r := benchGUIOnce(b, bin, data, display, pbx, caller)
		h2 := benchHelloOnce(b, hello, display)
		sum.helloFirstFrame += (h1.firstFrame + h2.firstFrame).Seconds() * 1000 / 2
		sum.helloIdleCPU += (h1.idleCPU + h2.idleCPU) / 2
		sum.helloRSS += (h1.rssIdle + h2.rssIdle) / 2
		sum.firstFrame += r.firstFrame.Seconds() * 1000
		sum.idleCPU += r.idleCPU
		sum.idleOverHello += r.idleCPU - h1.idleCPU
		sum.idleAfterCalls += r.idleAfterCalls
		sum.afterOverHello += r.idleAfterCalls - h2.idleCPU
		sum.rssIdle += r.rssIdle
		sum.rssGrowth += r.rssAfter - r.rssBefore
	}
	n := float64(b.N)
	b.ReportMetric(sum.firstFrame/n, "first-frame-ms")
	b.ReportMetric(sum.helloFirstFrame/n, "hello-first-frame-ms")
	b.ReportMetric(sum.idleCPU/n, "idle-cpu-%")
	b.ReportMetric(sum.helloIdleCPU/n, "hello-idle-cpu-%")
	b.ReportMetric(sum.idleOverHello/n, "idle-cpu-over-hello-%")
	b.ReportMetric(sum.idleAfterCalls/n, "idle-after-calls-cpu-%")
	b.ReportMetric(sum.afterOverHello/n, "idle-after-calls-over-hello-%")
	b.ReportMetric(sum.rssIdle/n, "rss-idle-MB")
	b.ReportMetric(sum.helloRSS/n, "hello-rss-idle-MB")
	b.ReportMetric(sum.rssGrowth/n, "rss-growth-500-calls-MB")
}

type guiRun struct {
	firstFrame                                            time.Duration
	idleCPU, idleAfterCalls, rssIdle, rssBefore, rssAfter float64
}

// guiApp is a desktop app the benchmark started under Xvfb.
type guiApp struct {
	cmd    *exec.Cmd
	log    *harness.LogBuffer
	exited chan struct{} // closed when the process is gone; err is its exit then
	err    error
}

// startGUIApp starts bin with args and env on display, waits for the first drawn frame of its
// window title (mapped, and showing more than a blank fill) and returns the app and the time
// from start to that frame. The app is stopped (SIGTERM, then SIGKILL) when the benchmark ends.
func startGUIApp(b *testing.B, display, title, bin string, args, env []string) (*guiApp, time.Duration) {
	a := &guiApp{log: &harness.LogBuffer{}, exited: make(chan struct{})}
	a.cmd = exec.Command(bin, args...)
	a.cmd.Env = append(append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8"), env...)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	start := time.Now()
	if err := a.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.exited) }()
	b.Cleanup(a.stop)
	for {
		out, _ := exec.Command("xwininfo", "-display", display, "-name", title).CombinedOutput()
		if strings.Contains(string(out), "IsViewable") {
			area := windowPlace(b, display, title)
			if colours(grab(b, display).(subImager).SubImage(area)) > 8 {
				return a, time.Since(start)
			}
		}
		select {
		case <-a.exited:
			b.Fatalf("%s exited: %v\n%s", title, a.err, a.log.String())
		default:
		}
		if time.Since(start) > 30*time.Second {
			b.Fatalf("%s: no frame within 30 s:\n%s", title, a.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends the app and waits for it: SIGTERM, and SIGKILL after 15 s.
func (a *guiApp) stop() {
	select {
	case <-a.exited:
		return
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(15 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
	}
}

// idleCPU leaves the process alone for idleSettle and returns the share of a core (in %) it used
// over the next idleWindow.
func idleCPU(b *testing.B, pid int) float64 {
	time.Sleep(idleSettle)
	c0, t0 := procCPU(b, pid), time.Now()
	time.Sleep(idleWindow)
	return (procCPU(b, pid) - c0).Seconds() / time.Since(t0).Seconds() * 100
}

type helloRun struct {
	firstFrame       time.Duration
	idleCPU, rssIdle float64
}

// benchHelloOnce measures the Fyne hello-world as benchGUIOnce measures Lineup while idle, and
// stops it.
func benchHelloOnce(b *testing.B, bin, display string) helloRun {
	var r helloRun
	a, ff := startGUIApp(b, display, helloTitle, bin, nil, nil)
	defer a.stop()
	r.firstFrame = ff
	r.idleCPU = idleCPU(b, a.cmd.Process.Pid)
	r.rssIdle = procRSS(b, a.cmd.Process.Pid)
	return r
}

func benchGUIOnce(b *testing.B, bin, data, display string, pbx *testpbx.PBX, caller *baresiptest.Agent) guiRun {
	var r guiRun
	a, ff := startGUIApp(b, display, "Lineup", bin, []string{"--data", data},
		[]string{"LINEUP_SIP_LISTEN=127.0.0.1", "LINEUP_AUDIO=null"})
	defer a.stop()
	r.firstFrame = ff
	log := a.log
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(log.String(), "line registered") < 3 {
		if time.Now().After(deadline) {
			b.Fatalf("the three lines did not register:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	pid := a.cmd.Process.Pid
	r.idleCPU = idleCPU(b, pid)
	r.rssIdle = procRSS(b, pid)

	call := func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := caller.Dial(ctx, "sip:301@"+pbx.Domain())
		if err == nil {
			_, err = caller.WaitEvent(ctx, "CALL_RINGING")
		}
		if err == nil {
			err = caller.Hangup(ctx)
		}
		if err == nil {
			_, err = caller.WaitEvent(ctx, "CALL_CLOSED")
		}
		if err != nil {
			b.Fatalf("call %d: %v\nlineup log:\n%s\nbaresip events: %v", i, err, harness.Tail(log.String(), 40), caller.Events())
		}
	}
	// A few calls first make what every later call reuses (the conversation windows kept for
	// the next calls); the growth is measured from there.
	for i := 0; i < warmUpCalls; i++ {
		call(i)
	}
	time.Sleep(3 * time.Second)
	r.rssBefore = procRSS(b, pid)
	for i := 0; i < guiCalls; i++ {
		call(i)
	}
	// SIP transactions live on for up to 32 s after a call (RFC 3261 timer J); what is left
	// after that stays.
	time.Sleep(settleAfterCalls)
	r.rssAfter = procRSS(b, pid)
	r.idleAfterCalls = idleCPU(b, pid)
	return r
}

// procCPU returns the user plus system CPU time the process used so far.
func procCPU(b *testing.B, pid int) time.Duration {
	d, err := benchkit.ProcCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// procRSS returns the process's resident memory in MB.
func procRSS(b *testing.B, pid int) float64 {
	n, err := benchkit.RSS(pid)
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / (1 << 20)
}
