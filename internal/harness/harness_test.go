package harness

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
)

func TestFreeUDPTCPPortIsFreeForBoth(t *testing.T) {
	port, err := FreeUDPTCPPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("tcp %s: %v", addr, err)
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("udp %s: %v", addr, err)
	}
	pc.Close()
}

func TestLogBufferConcurrentWritesAndTail(t *testing.T) {
	var b LogBuffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 25 {
				fmt.Fprintf(&b, "w%d line %d\n", i, j)
			}
		}()
	}
	wg.Wait()
	if got := len(b.String()); got == 0 {
		t.Fatal("nothing written")
	}
	if got := Tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Fatalf("Tail = %q, want the last two lines", got)
	}
	if got := Tail("a", 5); got != "a" {
		t.Fatalf("Tail of a short text = %q", got)
	}
}
