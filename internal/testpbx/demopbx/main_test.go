package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/internal/testpbx"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "provision.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFromFileTakesAccountsOfAllLines(t *testing.T) {
	path := writeFile(t, `
[[group]]
name = "G"

[[line]]
name = "one"
group = "G"
[line.account]
registrar = "127.0.0.1:25060"
user = "201"
password = "pw1"

[[line]]
name = "two"
[line.account]
registrar = "127.0.0.1:25060"
domain = "127.0.0.1"
user = "202"
auth_user = "auth202"
password = "pw2"
transport = "tcp"
`)
	cfg, err := configFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:25060" || cfg.Domain != "127.0.0.1" {
		t.Errorf("listen %q domain %q, want 127.0.0.1:25060 and 127.0.0.1", cfg.Listen, cfg.Domain)
	}
	want := []testpbx.User{{Name: "201", Password: "pw1"}, {Name: "auth202", Password: "pw2"}}
	if !slices.Equal(cfg.Users, want) {
		t.Errorf("users %v, want %v", cfg.Users, want)
	}
}

func TestConfigFromFileRejectsDisagreeingRegistrars(t *testing.T) {
	cases := map[string]string{
		"two registrars": `
[[line]]
[line.account]
registrar = "127.0.0.1:25060"
user = "201"
[[line]]
[line.account]
registrar = "127.0.0.1:25070"
user = "202"
`,
		"not loopback": `
[[line]]
[line.account]
registrar = "pbx.example.com:5060"
user = "201"
`,
		"no lines": `
[[group]]
name = "G"
`,
		"no user": `
[[line]]
[line.account]
registrar = "127.0.0.1:25060"
`,
	}
	for name, text := range cases {
		if cfg, err := configFromFile(writeFile(t, text)); err == nil {
			t.Errorf("%s: accepted, config %+v", name, cfg)
		}
	}
}

func TestRegistrarWithoutPortUses5060(t *testing.T) {
	got, err := registrarAddr("localhost")
	if err != nil || got != "127.0.0.1:5060" {
		t.Errorf("registrarAddr(localhost) = %q, %v; want 127.0.0.1:5060", got, err)
	}
	if _, err := registrarAddr("127.0.0.1:25060"); err != nil {
		t.Error(err)
	}
	if _, err := registrarAddr("192.0.2.1:5060"); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("non-loopback registrar: %v", err)
	}
}
