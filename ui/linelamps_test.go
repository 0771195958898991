package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/line"
)

func lampsHarness(t *testing.T) *harness {
	t.Helper()
	cfg := testConfig()
	cfg.Groups[0].Voicemail = "*97"
	cfg.Groups[0].Monitored = []string{"202", "203", "204"}
	p := apitest.New(cfg)
	h := newHarnessOn(t, p, 3)
	h.phone = p
	return h
}

func lampTexts(ll *lineLamps) []string {
	var out []string
	for _, o := range ll.blf.Objects {
		out = append(out, o.(*busyLamp).Text())
	}
	return out
}

// TestLineLamps: the line row shows the voicemail lamp with the counts (a click calls the
// voicemail box and opens the call's window) and a busy lamp per monitored extension with its
// state in words; only a ringing one picks up, dialling the pickup code with its number. A group
// without either shows no lamp row.
func TestLineLamps(t *testing.T) {
	test.NewTempApp(t).Settings().SetTheme(theme.DefaultTheme())
	h := lampsHarness(t)
	alice := h.u.mv.rows["Alice"]
	if !alice.lamps.box.Visible() || !alice.lamps.vm.Visible() || alice.lamps.vm.Text != "Voicemail" {
		t.Fatalf("Alice's lamp row: visible %v, voicemail %q", alice.lamps.box.Visible(), alice.lamps.vm.Text)
	}
	if got := lampTexts(alice.lamps); !slices.Equal(got, []string{"202 unknown", "203 unknown", "204 unknown"}) {
		t.Fatalf("lamps before any state: %q", got)
	}
	if h.u.mv.rows["Ben"].lamps.box.Visible() {
		t.Error("Ben's group has no voicemail number and no monitored extensions, yet a lamp row shows")
	}

	if err := h.phone.SetVoicemail("Alice", api.Voicemail{Known: true, Waiting: true, New: 2, Old: 5}); err != nil {
		t.Fatal(err)
	}
	h.phone.SetLamp("Sales", "202", api.LampIdle)
	h.phone.SetLamp("Sales", "203", api.LampRinging)
	h.phone.SetLamp("Sales", "204", api.LampBusy)
	h.until("the lamps show the states", func() bool {
		return alice.lamps.vm.Text == "2 new, 5 old" &&
			slices.Equal(lampTexts(alice.lamps), []string{"202 idle", "203 ringing – pick up", "204 busy"}) &&
			slices.Equal(lampTexts(h.u.mv.rows["Carol"].lamps), lampTexts(alice.lamps))
	})
	if carol := h.u.mv.rows["Carol"]; carol.lamps.vm.Text != "Voicemail" {
		t.Errorf("Carol's voicemail lamp shows %q: Alice's mailbox is not hers", carol.lamps.vm.Text)
	}
	shoot(t, h.u.main, "line-lamps.png")
	if got := h.menuLabels("Alice"); !contains(got, "Voicemail") || !contains(got, "Pick up 203 (ringing)") || contains(got, "Pick up 202 (ringing)") {
		t.Errorf("Alice's menu offers %q, want Voicemail and Pick up 203 (ringing)", got)
	}
	// Pick up… fills in what rings and says what else does.
	d, e := h.u.askPickup("Alice")
	if e.Text != "203" || !strings.Contains(texts(h.u.main.Canvas().Overlays().Top()), "203 is ringing.") {
		t.Errorf("Pick up… while 203 rings: number %q, dialog says %q", e.Text, texts(h.u.main.Canvas().Overlays().Top()))
	}
	d.Hide()
	h.phone.SetLamp("Sales", "204", api.LampRinging)
	h.until("204 rings too", func() bool { return slices.Contains(lampTexts(alice.lamps), "204 ringing – pick up") })
	d, e = h.u.askPickup("Alice")
	if e.Text != "203" || !strings.Contains(texts(h.u.main.Canvas().Overlays().Top()), "Ringing now: 203, 204.") {
		t.Errorf("Pick up… while 203 and 204 ring: number %q, dialog says %q", e.Text, texts(h.u.main.Canvas().Overlays().Top()))
	}
	shoot(t, h.u.main, "pickup-dialog.png")
	d.Hide()
	h.phone.SetLamp("Sales", "204", api.LampBusy)
	h.until("204 busy again", func() bool { return slices.Contains(lampTexts(alice.lamps), "204 busy") })
	if got := h.menuLabels("Ben"); contains(got, "Voicemail") {
		t.Errorf("Ben's menu offers %q: his group has no voicemail number", got)
	}

	// Clicks: an idle or busy lamp does nothing; the ringing one picks up.
	test.Tap(alice.lamps.blf.Objects[0].(*busyLamp))
	test.Tap(alice.lamps.blf.Objects[2].(*busyLamp))
	h.settle()
	if n := h.count("Pickup"); n != 0 {
		t.Fatalf("tapping idle and busy lamps picked up %d times", n)
	}
	test.Tap(alice.lamps.blf.Objects[1].(*busyLamp))
	if a := h.action("Pickup"); a.Target != "Alice" || a.Arg != "203" {
		t.Fatalf("pickup action %+v, want Alice 203", a)
	}
	h.windowWhere("the pickup call", func(c api.Call) bool { return c.Dialled == "*59203" })

	test.Tap(alice.lamps.vm)
	if a := h.action("Voicemail"); a.Target != "Alice" {
		t.Fatalf("voicemail action %+v", a)
	}
	h.windowWhere("the voicemail call", func(c api.Call) bool { return c.Dialled == "*97" && c.Direction == line.Outgoing })
}

func TestSettingsGroupLampFields(t *testing.T) {
	h, s := openEditor(t)
	g := &s.g
	test.Type(g.voicemail, "*97")
	test.Type(g.monitored, "202, 203 204")
	if grp := s.cfg.Groups[0]; grp.Voicemail != "*97" || !slices.Equal(grp.Monitored, []string{"202", "203", "204"}) {
		t.Fatalf("edited group: voicemail %q, monitored %q", grp.Voicemail, grp.Monitored)
	}
	test.Type(g.monitored, ", 202")
	h.until("the duplicate is named", func() bool { return g.box.Visible() && strings.Contains(texts(g.box), "listed twice") })
	g.monitored.SetText("")
	test.Type(g.monitored, "202, 203")
	h.saved(s)
	if grp := h.serverConfig().Groups[0]; grp.Voicemail != "*97" || !slices.Equal(grp.Monitored, []string{"202", "203"}) {
		t.Fatalf("saved group: voicemail %q, monitored %q", grp.Voicemail, grp.Monitored)
	}
}
