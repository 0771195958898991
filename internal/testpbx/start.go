package testpbx

import (
	"context"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
)

// Start is Launch for tests: the work directory is t.TempDir() unless cfg.Dir is set, the PBX is
// stopped in t.Cleanup (also when the test fails), Kamailio's log is written to the test log when
// the test failed, and a failure to start ends the test with t.Fatal.
func Start(t testing.TB, cfg Config) *PBX {
	t.Helper()
	harness.SkipIfShort(t, "Kamailio")
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := Launch(ctx, cfg)
	if err != nil {
		t.Fatalf("start test PBX: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stop test PBX: %v", err)
		}
		if t.Failed() {
			t.Logf("kamailio log:\n%s", p.Log())
		}
	})
	return p
}
