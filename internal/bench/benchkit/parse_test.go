package benchkit

import (
	"strings"
	"testing"
	"time"
)

func TestLogFieldsReadsSlogTextLines(t *testing.T) {
	f := LogFields(`time=2025-01-02T03:04:05.000Z level=WARN msg="line registration failed" line=L0007 code=401 reason="Unauthorized \"x\"" retry_in=1.9s`)
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

func TestLogFieldsReadsTheServerAddress(t *testing.T) {
	f := LogFields(`time=2026-11-24T19:00:00.000Z level=INFO msg="line server started" data=/d lines=1 udp=127.0.0.1:40001 tcp=127.0.0.1:40001`)
	if f["msg"] != "line server started" || f["udp"] != "127.0.0.1:40001" {
		t.Errorf("fields %v", f)
	}
}

func TestStatusBytes(t *testing.T) {
	status := "Name:\tlineup\nVmPeak:\t  900000 kB\nVmHWM:\t   35740 kB\nVmRSS:\t   30000 kB\n"
	if got := StatusBytes(strings.NewReader(status), "VmHWM"); got != 35740*1024 {
		t.Errorf("VmHWM = %d, want %d", got, 35740*1024)
	}
	if got := StatusBytes(strings.NewReader(status), "VmRSS"); got != 30000*1024 {
		t.Errorf("VmRSS = %d, want %d", got, 30000*1024)
	}
	if got := StatusBytes(strings.NewReader("Name:\tx\n"), "VmHWM"); got != 0 {
		t.Errorf("VmHWM without the line = %d, want 0", got)
	}
}

func TestParseStatCPU(t *testing.T) {
	// utime 250 and stime 50 ticks = 3 s; the name holds a space and a parenthesis.
	stat := "1234 (lineup (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 0 0"
	if got, err := ParseStatCPU(stat); err != nil || got != 3*time.Second {
		t.Errorf("cpu %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"garbage", "4242 (x) S 1 2"} {
		if got, err := ParseStatCPU(bad); err == nil {
			t.Errorf("cpu of %q: %v without an error", bad, got)
		}
	}
}

func TestSocketDropsFindsThePort(t *testing.T) {
	// Port 4000 is 0FA0, 45479 is B1A7; drops is the last column.
	table := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 0100007F:0FA0 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0000000000000000 3
  101: 0100007F:B1A7 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 222 2 0000000000000000 809
`
	if got := SocketDrops(strings.NewReader(table), "127.0.0.1:45479"); got != 809 {
		t.Errorf("drops of port 45479 = %d, want 809", got)
	}
	if got := SocketDrops(strings.NewReader(table), "127.0.0.1:4000"); got != 3 {
		t.Errorf("drops of port 4000 (0FA0) = %d, want 3", got)
	}
	if got := SocketDrops(strings.NewReader(table), "127.0.0.1:5060"); got != -1 {
		t.Errorf("drops of a port without socket = %d, want -1", got)
	}
	if got := SocketDrops(strings.NewReader(table), "no port"); got != -1 {
		t.Errorf("drops of an address without port = %d, want -1", got)
	}
}

func TestSNMPFieldReadsTheUDPLine(t *testing.T) {
	snmp := "Tcp: RtoAlgorithm RtoMin\nTcp: 1 200\n" +
		"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors\n" +
		"Udp: 24150 260 6208 30697 6207 0\n"
	if got := SNMPField(strings.NewReader(snmp), "Udp:", "RcvbufErrors"); got != 6207 {
		t.Errorf("RcvbufErrors = %d, want 6207", got)
	}
	if got := SNMPField(strings.NewReader(snmp), "Udp:", "NoSuchField"); got != -1 {
		t.Errorf("a missing field = %d, want -1", got)
	}
}

func TestDropDeltaOfUnknownCounters(t *testing.T) {
	if got := DropDelta(10, 4); got != 6 {
		t.Errorf("DropDelta(10, 4) = %d, want 6", got)
	}
	if got := DropDelta(10, -1); got != -1 {
		t.Errorf("DropDelta with an unknown counter = %d, want -1", got)
	}
}
