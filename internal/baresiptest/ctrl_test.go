package baresiptest

import (
	"bufio"
	"strings"
	"testing"
)

func TestNetstringRoundTrip(t *testing.T) {
	msgs := []string{`{"command":"dial"}`, "", strings.Repeat("x", 5000)}
	var wire []byte
	for _, m := range msgs {
		wire = append(wire, netstring([]byte(m))...)
	}
	if got := string(netstring([]byte("abc"))); got != "3:abc," {
		t.Errorf("netstring(abc) = %q, want 3:abc,", got)
	}
	r := bufio.NewReader(strings.NewReader(string(wire)))
	for _, want := range msgs {
		got, err := readNetstring(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("read %.20q, want %.20q", got, want)
		}
	}
}

func TestNetstringRejectsGarbage(t *testing.T) {
	for _, in := range []string{"x:abc,", "3:abc;", ":abc,", "99999999:", "3:ab"} {
		if _, err := readNetstring(bufio.NewReader(strings.NewReader(in))); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestRegisteredOK(t *testing.T) {
	ok := "\n--- User Agents (1) ---\n> sip:alice@127.0.0.1     \x1b[32mOK \x1b[;m Lineup test PBX Expires 300s\n\n"
	if !registeredOK(ok) {
		t.Error("registered account not recognised")
	}
	if registeredOK("\n--- User Agents (1) ---\n> sip:OK@127.0.0.1     \x1b[31mERR\x1b[;m\n") {
		t.Error("failed account taken as registered")
	}
}
