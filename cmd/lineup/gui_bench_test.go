package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/baresiptest"
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

// BenchmarkGUI measures the desktop app (a build without the race detector) under Xvfb with three
// lines registered at the test Kamailio: cold start to the first drawn frame of the main window
// (goal ≤ 1000 ms), CPU while idle over 10 s (goal ≤ 1 % of a core), resident memory while idle
// (goal ≤ 150 MB) and its growth after baresip called a line 500 times, each call ringing in
// a conversation window and then cancelled (goal ≤ 10 MB; measured from after five warm-up calls
// to 35 s after the last call, when the SIP transactions are gone). One op is one whole run; run
// it with -benchtime 1x -count 5 and take the medians (make bench does). For scale: a Fyne
// window with one label used about 1.5 % of a core and 128 MB idle under Xvfb on the machines
// this was written on.
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

	var firstFrame, idleCPU, rssIdle, rssGrowth float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := benchGUIOnce(b, bin, data, display, pbx, caller)
		firstFrame += r.firstFrame.Seconds() * 1000
		idleCPU += r.idleCPU
		rssIdle += r.rssIdle
		rssGrowth += r.rssAfter - r.rssBefore
	}
	n := float64(b.N)
	b.ReportMetric(firstFrame/n, "first-frame-ms")
	b.ReportMetric(idleCPU/n, "idle-cpu-%")
	b.ReportMetric(rssIdle/n, "rss-idle-MB")
	b.ReportMetric(rssGrowth/n, "rss-growth-500-calls-MB")
}

type guiRun struct {
	firstFrame                            time.Duration
	idleCPU, rssIdle, rssBefore, rssAfter float64
}

func benchGUIOnce(b *testing.B, bin, data, display string, pbx *testpbx.PBX, caller *baresiptest.Agent) guiRun {
	var r guiRun
	var log harness.LogBuffer
	cmd := exec.Command(bin, "--data", data)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8", "LINEUP_SIP_LISTEN=127.0.0.1", "LINEUP_AUDIO=null")
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	// First frame: the main window is mapped and shows more than a blank fill.
	for {
		out, _ := exec.Command("xwininfo", "-display", display, "-name", "Lineup").CombinedOutput()
		if strings.Contains(string(out), "IsViewable") {
			area := windowPlace(b, display, "Lineup")
			if colours(grab(b, display).(subImager).SubImage(area)) > 8 {
				r.firstFrame = time.Since(start)
				break
			}
		}
		select {
		case <-exited:
			b.Fatalf("lineup exited: %v\n%s", exitErr, log.String())
		default:
		}
		if time.Since(start) > 30*time.Second {
			b.Fatalf("no frame within 30 s:\n%s", log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(log.String(), "line registered") < 3 {
		if time.Now().After(deadline) {
			b.Fatalf("the three lines did not register:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	pid := cmd.Process.Pid
	time.Sleep(2 * time.Second)
	c0, t0 := procCPU(b, pid), time.Now()
	time.Sleep(10 * time.Second)
	r.idleCPU = (procCPU(b, pid) - c0).Seconds() / time.Since(t0).Seconds() * 100
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
	return r
}

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procCPU returns the user plus system CPU time the process used so far.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(utime+stime) * clockTick
}

// procRSS returns the process's resident memory in MB.
func procRSS(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}
