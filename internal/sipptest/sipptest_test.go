package sipptest_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipptest"
)

func TestOptionsBetweenTwoSipps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uas := sipptest.Start(ctx, t, "uas_options.xml", "")
	r := sipptest.Run(ctx, t, "options_user.xml", uas.Addr(), sipptest.Service("alice"))
	if r.ExitCode != 0 {
		t.Errorf("UAC exit code %d, want 0", r.ExitCode)
	}
	if codes := r.StatusCodes(); !slices.Equal(codes, []int{200}) || r.FinalStatus() != 200 {
		t.Errorf("status codes %v, want [200]", codes)
	}
	sent := r.Sent()
	if len(sent) != 1 || !strings.HasPrefix(sent[0], "OPTIONS sip:alice@"+uas.Addr()) {
		t.Errorf("sent %q, want one OPTIONS to alice at %s", sent, uas.Addr())
	}
	got := uas.Wait()
	if got.ExitCode != 0 || len(got.Received()) != 1 || len(got.Sent()) != 1 {
		t.Errorf("UAS exit %d received %d sent %d, want 0, 1, 1", got.ExitCode, len(got.Received()), len(got.Sent()))
	}
}

func TestUnansweredOptionsFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A UAS that is stopped at once: nobody answers.
	uas := sipptest.Start(ctx, t, "uas_options.xml", "")
	uas.Stop()
	r := sipptest.Run(ctx, t, "options_user.xml", uas.Addr(), sipptest.Service("bob"))
	if r.ExitCode == 0 || r.FinalStatus() != 0 {
		t.Errorf("exit %d final %d, want a failed call without a final response", r.ExitCode, r.FinalStatus())
	}
}

func TestResultParsesTrace(t *testing.T) {
	trace := "----------------------------------------------- 2026-01-01 10:00:00.000000\n" +
		"UDP message sent (100 bytes):\n\nOPTIONS sip:x@127.0.0.1:5060 SIP/2.0\nCSeq: 1 OPTIONS\n\n\n" +
		"----------------------------------------------- 2026-01-01 10:00:00.001000\n" +
		"UDP message received [80] bytes :\n\nSIP/2.0 100 Trying\nCSeq: 1 OPTIONS\n\n\n" +
		"----------------------------------------------- 2026-01-01 10:00:00.002000\n" +
		"TCP message received [80] bytes :\n\nSIP/2.0 486 Busy Here\nCSeq: 1 OPTIONS\n\n"
	r := sipptest.Result{Messages: trace}
	if codes := r.StatusCodes(); !slices.Equal(codes, []int{100, 486}) {
		t.Errorf("codes %v, want [100 486]", codes)
	}
	if r.FinalStatus() != 486 {
		t.Errorf("final %d, want 486", r.FinalStatus())
	}
	if s := r.Sent(); len(s) != 1 || !strings.HasPrefix(s[0], "OPTIONS sip:x@") {
		t.Errorf("sent %q", s)
	}
}

func TestScenarioPathFindsTestdata(t *testing.T) {
	if _, err := sipptest.ScenarioPath("register_auth.xml"); err != nil {
		t.Error(err)
	}
	if _, err := sipptest.ScenarioPath("no_such.xml"); err == nil {
		t.Error("missing scenario found")
	}
}
