package harness

import "testing"

// SkipIfShort skips t under `go test -short`, which runs the unit tests alone: what needs a real
// peer (Kamailio, SIPp, baresip, an X server) runs in the full `make test`.
func SkipIfShort(t testing.TB, peer string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("needs %s: an integration test, run without -short", peer)
	}
}
