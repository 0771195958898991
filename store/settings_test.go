package store

import (
	"errors"
	"strings"
	"testing"
)

func TestSettingsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Setting("audio.ringer"); err != nil || ok {
		t.Fatalf("fresh file: Setting = ok %v, err %v; want not set", ok, err)
	}
	err = s.SetSettings(map[string]string{
		"audio.call_capture":  "0a1b",
		"audio.call_playback": "ffee",
		"audio.ringer":        "77",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openT(t, dir)
	for k, want := range map[string]string{"audio.call_capture": "0a1b", "audio.call_playback": "ffee", "audio.ringer": "77"} {
		got, ok, err := s.Setting(k)
		if err != nil || !ok || got != want {
			t.Errorf("Setting(%q) = %q, %v, %v; want %q", k, got, ok, err, want)
		}
	}
	if v, err := s.SchemaVersion(); err != nil || v != currentVersion {
		t.Errorf("schema version %d (%v), want %d unchanged", v, err, currentVersion)
	}

	// An empty value removes a setting; the others stay.
	if err := s.SetSettings(map[string]string{"audio.ringer": "", "audio.call_capture": "cc"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Setting("audio.ringer"); ok {
		t.Error("audio.ringer still set after saving it empty")
	}
	if got, _, _ := s.Setting("audio.call_capture"); got != "cc" {
		t.Errorf("audio.call_capture = %q, want cc", got)
	}
	if got, _, _ := s.Setting("audio.call_playback"); got != "ffee" {
		t.Errorf("audio.call_playback = %q, want ffee (untouched)", got)
	}
}

func TestSettingsBadKeyChangesNothing(t *testing.T) {
	s := openT(t, t.TempDir())
	if err := s.SetSettings(map[string]string{"audio.ringer": "1"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "Audio.ringer", "9lives", "audio ringer", "audio/ringer", strings.Repeat("a", 65)} {
		err := s.SetSettings(map[string]string{"audio.ringer": "2", bad: "x"})
		if !errors.Is(err, ErrBadSettingKey) {
			t.Errorf("key %q: err %v, want ErrBadSettingKey", bad, err)
		}
		if _, _, err := s.Setting(bad); !errors.Is(err, ErrBadSettingKey) {
			t.Errorf("Setting(%q): err %v, want ErrBadSettingKey", bad, err)
		}
	}
	if got, _, _ := s.Setting("audio.ringer"); got != "1" {
		t.Errorf("audio.ringer = %q after rejected writes, want 1", got)
	}
	if err := s.SetSettings(map[string]string{"x": strings.Repeat("v", 5000)}); err == nil {
		t.Error("a 5000-byte value was accepted")
	}
}
