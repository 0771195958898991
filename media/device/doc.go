// Package device owns the sound cards: it lists the capture and playback devices, opens the one
// chosen for calls as a duplex stream (microphone frames out, speaker frames in), the one chosen
// for the ringer, and a microphone alone for a level meter, remembers devices by a stable ID,
// falls back to the system default when a chosen device is missing or stops, and keeps the
// real-time device callback free of locks, blocking and allocation by handing audio through
// single-producer single-consumer ring buffers.
//
// It is the only package that uses cgo (through miniaudio, by way of malgo).
package device
