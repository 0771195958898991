package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lineupphone/lineup/httpapi"
)

// TestConfigOverHTTP reads the set-up, has an invalid change refused with a message naming the
// field (status 400, nothing applied) and a valid one applied, through the client and server.
func TestConfigOverHTTP(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c, err := httpapi.Dial(ctx, f.ts.URL, token, httpapi.WithHTTPClient(f.hc))
	if err != nil {
		t.Fatal(err)
	}
	ss, err := c.LogOn(ctx, "editor")
	if err != nil {
		t.Fatal(err)
	}
	defer ss.LogOff(ctx)
	cfg, err := ss.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Lines) != 3 || cfg.Groups[0].PickupCode != "*59<NUMBER>" {
		t.Fatalf("config read back: %d lines, pickup code %q", len(cfg.Lines), cfg.Groups[0].PickupCode)
	}
	for i := range cfg.Lines {
		cfg.Lines[i].Account.Registrar = "pbx.example"
		cfg.Lines[i].Account.User = fmt.Sprint(201 + i)
	}

	bad := cfg.Clone()
	bad.Groups[0].PickupCode = "*59"
	err = ss.SaveConfig(ctx, bad)
	var se *httpapi.StatusError
	if !errors.As(err, &se) || se.Status != 400 || !strings.Contains(err.Error(), "pickup code") {
		t.Fatalf("invalid pickup code: %v, want a 400 naming the pickup code", err)
	}
	if now, _ := ss.Config(ctx); now.Groups[0].PickupCode != "*59<NUMBER>" {
		t.Errorf("the refused change was applied: pickup code %q", now.Groups[0].PickupCode)
	}

	good := cfg.Clone()
	good.Groups[1].HideDecline = false
	good.Lines = good.Lines[:2]
	if err := ss.SaveConfig(ctx, good); err != nil {
		t.Fatal(err)
	}
	ls, err := ss.Lines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 {
		t.Errorf("%d lines after saving two", len(ls))
	}
	if now, _ := ss.Config(ctx); now.Groups[1].HideDecline {
		t.Error("hide decline still on after saving it off")
	}
}
