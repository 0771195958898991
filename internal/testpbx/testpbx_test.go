package testpbx

import (
	"context"
	"testing"
	"time"
)

func TestLaunchAnswersOptionsAndStopLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Launch(ctx, Config{Dir: t.TempDir(), Users: []User{{"201", "secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	t.Cleanup(func() { _ = p.Kill() })
	for _, tr := range []string{"udp", "tcp"} {
		code, err := p.Ping(ctx, tr)
		if err != nil || code != 200 {
			t.Errorf("OPTIONS over %s: %d, %v; want 200", tr, code, err)
		}
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if ProcessAlive(pid) {
		t.Fatalf("kamailio pid %d still alive after Stop", pid)
	}
	t.Log(p.Log())
}
