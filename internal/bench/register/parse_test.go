package main

import (
	"testing"
	"time"
)

func TestBaresipPatternsFindTheAccount(t *testing.T) {
	ok := ansiEscape.ReplaceAllString("5012@127.0.0.1: {0/UDP/v4} 200 OK (Lineup test PBX) [1 binding]", "")
	if m := baresipOK.FindStringSubmatch(ok); m == nil || m[1] != "5012" {
		t.Errorf("success line: got %v, want account 5012", m)
	}
	fail := ansiEscape.ReplaceAllString("\x1b[31mreg: sip:5003@127.0.0.1:45479: 401 Unauthorized (PBX)\x1b[;m", "")
	if m := baresipFail.FindStringSubmatch(fail); m == nil || m[1] != "5003" {
		t.Errorf("failure line: got %v, want account 5003", m)
	}
	if baresipOK.MatchString(fail) {
		t.Error("a 401 line counted as registered")
	}
}

func TestQuarterHistogramCountsPerStep(t *testing.T) {
	ms := time.Millisecond
	got := quarterHistogram([]time.Duration{10 * ms, 240 * ms, 510 * ms, 1600 * ms})
	want := "0.00-0.25s:2 0.50-0.75s:1 1.50-1.75s:1"
	if got != want {
		t.Errorf("histogram = %q, want %q", got, want)
	}
}

func TestPacingDeviation(t *testing.T) {
	if d := (pacingResult{set: 100, measured: 92}).deviation(); d > -7.99 || d < -8.01 {
		t.Errorf("deviation of 92/s from 100/s = %v %%, want -8 %%", d)
	}
}
