//go:build race

package media

// raceEnabled: the race detector makes sync.Pool drop items at random (pion/srtp keeps its
// keystream buffer in one), so allocation counts mean nothing under it.
const raceEnabled = true
