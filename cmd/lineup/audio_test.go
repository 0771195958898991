package main

import (
	"strings"
	"testing"
)

func TestAudioSetRemembersValidatedDevices(t *testing.T) {
	data := t.TempDir()
	_, stderr, code := lineup(t, "--data", data, "audio", "set", "--audio", "null", "--ringer", "not-a-device")
	if code != 1 || !strings.Contains(stderr, "not-a-device") {
		t.Fatalf("set with an unknown ID: exit %d, stderr %q; want 1 naming the ID", code, stderr)
	}
	out, stderr, code := lineup(t, "--data", data, "audio", "devices", "--audio", "null")
	if code != 0 {
		t.Fatalf("devices: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "ringer: system default") {
		t.Errorf("a rejected ID was saved:\n%s", out)
	}
	// The null backend's playback device, by the ID the listing shows.
	id := ""
	inPlayback := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "playback devices:") {
			inPlayback = true
			continue
		}
		if f := strings.Fields(l); inPlayback && len(f) > 1 {
			id = f[0]
			break
		}
	}
	if id == "" {
		t.Fatalf("no playback device listed:\n%s", out)
	}
	if _, stderr, code := lineup(t, "--data", data, "audio", "set", "--audio", "null", "--call-playback", id, "--ringer", id); code != 0 {
		t.Fatalf("set: exit %d: %s", code, stderr)
	}
	out, _, _ = lineup(t, "--data", data, "audio", "devices", "--audio", "null")
	for _, want := range []string{"call playback: " + id, "ringer: " + id, "call capture: system default", "calls, ringer"} {
		if !strings.Contains(out, want) {
			t.Errorf("devices after set lacks %q:\n%s", want, out)
		}
	}
	if _, stderr, code := lineup(t, "--data", data, "audio", "set", "--audio", "null", "--ringer", "default"); code != 0 {
		t.Fatalf("set default: exit %d: %s", code, stderr)
	}
	out, _, _ = lineup(t, "--data", data, "audio", "devices", "--audio", "null")
	if !strings.Contains(out, "ringer: system default") || !strings.Contains(out, "call playback: "+id) {
		t.Errorf("after --ringer default:\n%s", out)
	}
	if _, stderr, code := lineup(t, "--data", data, "audio", "set"); code != 2 {
		t.Errorf("set without a device: exit %d, want 2 (usage): %s", code, stderr)
	}
}
