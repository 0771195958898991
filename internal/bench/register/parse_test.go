package main

import (
	"strings"
	"testing"
	"time"
)

func TestLogFieldsReadsSlogTextLines(t *testing.T) {
	f := logFields(`time=2025-01-02T03:04:05.000Z level=WARN msg="line registration failed" line=L0007 code=401 reason="Unauthorized \"x\"" retry_in=1.9s`)
	want := map[string]string{
		"level": "WARN", "msg": "line registration failed", "line": "L0007", "code": "401",
		"reason": `Unauthorized "x"`, "retry_in": "1.9s",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("field %s = %q, want %q", k, f[k], v)
		}
	}
}

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

func TestVmHWMInBytes(t *testing.T) {
	status := "Name:\tlineup\nVmPeak:\t  900000 kB\nVmHWM:\t   35740 kB\nVmRSS:\t   30000 kB\n"
	if got := vmHWM(strings.NewReader(status)); got != 35740*1024 {
		t.Errorf("vmHWM = %d, want %d", got, 35740*1024)
	}
	if got := vmHWM(strings.NewReader("Name:\tx\n")); got != 0 {
		t.Errorf("vmHWM without the line = %d, want 0", got)
	}
}

func TestSocketDropsFindsThePort(t *testing.T) {
	table := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 0100007F:0FA0 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0000000000000000 3
  101: 0100007F:B1A7 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 222 2 0000000000000000 809
`
	if got := socketDrops(strings.NewReader(table), "127.0.0.1:45479"); got != 809 {
		t.Errorf("drops of port 45479 = %d, want 809", got)
	}
	if got := socketDrops(strings.NewReader(table), "127.0.0.1:4000"); got != 3 {
		t.Errorf("drops of port 4000 (0FA0) = %d, want 3", got)
	}
	if got := socketDrops(strings.NewReader(table), "127.0.0.1:5060"); got != -1 {
		t.Errorf("drops of a port without socket = %d, want -1", got)
	}
}

func TestSnmpUDPField(t *testing.T) {
	snmp := "Tcp: RtoAlgorithm RtoMin\nTcp: 1 200\n" +
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n" +
		"Udp: 24150 260 6208 30697 6207 0\n"
	if got := snmpUDPField(strings.NewReader(snmp), "RcvbufErrors"); got != 6207 {
		t.Errorf("RcvbufErrors = %d, want 6207", got)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got, ok := median(c.in); !ok || got != c.want {
			t.Errorf("median(%v) = %v, %v; want %v", c.in, got, ok, c.want)
		}
	}
	if _, ok := median(nil); ok {
		t.Error("median of nothing reported a value")
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
