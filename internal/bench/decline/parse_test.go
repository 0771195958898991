package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// A -trace_stat file as SIPp 3.6 writes it: semicolon-separated, the time cells hold tabs.
// Shortened to the columns the benchmark reads plus neighbours.
const statFile = "StartTime;LastResetTime;CurrentTime;ElapsedTime(P);OutgoingCall(C);SuccessfulCall(C);FailedCall(C);Retransmissions(C);\n" +
	"2026-11-24\t19:06:43.148482\t1795547203.148482;2026-11-24\t19:06:43.148482\t1795547203.148482;2026-11-24\t19:06:43.150000\t1795547203.150000;00:00:00;0;0;0;0;\n" +
	"2026-11-24\t19:06:43.148482\t1795547203.148482;2026-11-24\t19:06:48.160736\t1795547208.160736;2026-11-24\t19:06:48.148482\t1795547208.148482;00:00:05;10003;10000;2;7;\n"

func TestReadStatsTakesTheLastRow(t *testing.T) {
	var res sippResult
	if err := readStats(strings.NewReader(statFile), &res); err != nil {
		t.Fatal(err)
	}
	if res.outgoing != 10003 || res.successful != 10000 || res.failed != 3 || res.retrans != 7 {
		t.Errorf("outgoing %d successful %d failed %d retrans %d, want 10003 10000 3 7",
			res.outgoing, res.successful, res.failed, res.retrans)
	}
	if d := res.elapsed - 5*time.Second; d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("elapsed %v, want 5s", res.elapsed)
	}
	if math.Abs(res.rate-2000) > 1 {
		t.Errorf("rate %.1f, want 2000 (10000 calls in 5 s)", res.rate)
	}
}

func TestReadStatsWithoutRows(t *testing.T) {
	var res sippResult
	if err := readStats(strings.NewReader("StartTime;OutgoingCall(C);\n"), &res); err == nil {
		t.Error("no error for a file with only the header")
	}
	if err := readStats(strings.NewReader("StartTime;Other;\n1;2;\n"), &res); err == nil {
		t.Error("no error for a file without the call counters")
	}
}

// messageLog is a -trace_msg log of two calls: call 1's INVITE is retransmitted and its 486 comes
// twice; call 2 gets 100 first. Response time: from the first INVITE to the first 486.
const messageLog = `----------------------------------------------- 2026-11-24 19:13:50.264780
UDP message sent (454 bytes):

INVITE sip:7000@127.0.0.1:52065 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1-1-0;rport
Call-ID: 1-10698@127.0.0.1
CSeq: 1 INVITE

----------------------------------------------- 2026-11-24 19:13:50.265000
UDP message sent (454 bytes):

INVITE sip:7000@127.0.0.1:52065 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-2-2-0;rport
Call-ID: 2-10698@127.0.0.1
CSeq: 1 INVITE

----------------------------------------------- 2026-11-24 19:13:50.265100
UDP message received [200] bytes :

SIP/2.0 100 Trying
Call-ID: 2-10698@127.0.0.1

----------------------------------------------- 2026-11-24 19:13:50.268500
UDP message received [302] bytes :

SIP/2.0 486 Busy Here
Call-ID: 2-10698@127.0.0.1

----------------------------------------------- 2026-11-24 19:13:50.268600
UDP message sent (300 bytes):

ACK sip:7000@127.0.0.1:52065 SIP/2.0
Call-ID: 2-10698@127.0.0.1
----------------------------------------------- 2026-11-24 19:13:50.765000
UDP message sent (454 bytes):

INVITE sip:7000@127.0.0.1:52065 SIP/2.0
Call-ID: 1-10698@127.0.0.1

----------------------------------------------- 2026-11-24 19:13:50.766780
UDP message received [302] bytes :

SIP/2.0 486 Busy Here
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1-1-0;rport=5070
call-id: 1-10698@127.0.0.1

----------------------------------------------- 2026-11-24 19:13:50.767000
UDP message received [302] bytes :

SIP/2.0 486 Busy Here
Call-ID: 1-10698@127.0.0.1

`

func TestResponseTimesFromTheMessageLog(t *testing.T) {
	got, err := responseTimes(strings.NewReader(messageLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{3.5, 502} // call 2: .265000 -> .268500; call 1: 19:13:50.264780 -> .766780
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("call %d: %.3f ms, want %.3f", i+1, got[i], want[i])
		}
	}
}

func TestPercentileNearestRank(t *testing.T) {
	v := make([]float64, 200)
	for i := range v {
		v[i] = float64(i + 1) // 1..200
	}
	for _, c := range []struct{ p, want float64 }{{50, 100}, {99, 198}, {100, 200}, {0.1, 1}} {
		if got, ok := percentile(v, c.p); !ok || got != c.want {
			t.Errorf("p%g = %g, want %g", c.p, got, c.want)
		}
	}
	if _, ok := percentile(nil, 99); ok {
		t.Error("a percentile of no values")
	}
}
