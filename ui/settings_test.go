package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/line"
)

// settingsConfig is a set-up that validates: the editor starts without messages.
func settingsConfig() line.Config {
	acc := func(user string) line.Account {
		return line.Account{Registrar: "pbx.example.com", User: user, Password: "secret"}
	}
	return line.Config{
		Locations: []line.Location{{Name: "Munich", CountryCode: "49", AreaCode: "89", InternationalPrefix: "00",
			NationalPrefix: "0", OutsideLine: "0", BaseNumber: "1234", InternalMin: 3, InternalMax: 3}},
		Groups: []line.Group{
			{Name: "Sales", PickupCode: "*59<NUMBER>", Location: "Munich",
				FeatureCodes: []line.FeatureCode{{Name: "Forward off", Code: "#21#"}, {Name: "Forward on", Code: "*21#"}}},
			{Name: "Desk", AutoNumbers: true, PerLineLocation: true},
		},
		Lines: []line.Line{
			{Name: "Alice", Group: "Sales", Number: "+49891234201", Account: acc("201")},
			{Name: "Ben", Group: "Desk", Account: acc("202")},
		},
	}
}

// openEditor runs the UI on settingsConfig and opens the settings window.
func openEditor(t *testing.T) (*harness, *settingsEditor) {
	t.Helper()
	p := apitest.New(settingsConfig())
	h := newHarnessOn(t, p, 2)
	h.phone = p
	var s *settingsEditor
	h.u.openSettings(func(e *settingsEditor) { s = e })
	h.until("the settings window opens", func() bool { return s != nil })
	if len(s.errs) != 0 || s.summary.Visible() {
		t.Fatalf("a valid set-up opens with messages: %v", s.errs)
	}
	return h, s
}

// saved taps Save and waits until the save came back.
func (h *harness) saved(s *settingsEditor) {
	h.t.Helper()
	test.Tap(s.save)
	h.until("the save is done", func() bool { return !s.saving })
}

// serverConfig reads the set-up the fake runs now.
func (h *harness) serverConfig() line.Config {
	h.t.Helper()
	cfg, err := h.u.sess.Config(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return cfg
}

func TestSettingsMenuEntryOpensEditor(t *testing.T) {
	h, s := openEditor(t)
	// While the window is open, the line menu's entry does not open a second copy.
	h.menuItem("Alice", "Settings…")
	h.settle()
	if n := settingsWindows(h); n != 1 {
		t.Errorf("%d settings windows after Settings… with one open, want 1", n)
	}
	test.Tap(button(t, s.win.Content(), "Cancel"))
	h.menuItem("Alice", "Settings…")
	h.until("the settings window opens again", func() bool { return settingsWindows(h) == 1 })
}

func settingsWindows(h *harness) int {
	n := 0
	for _, w := range h.u.app.Driver().AllWindows() {
		if w.Title() == settingsTitle {
			n++
		}
	}
	return n
}

func TestSettingsGroupEditsPersist(t *testing.T) {
	h, s := openEditor(t)
	g := &s.g
	if g.pick.Selected != "1. Sales" || g.name.Text != "Sales" || g.pickup.Text != "*59<NUMBER>" {
		t.Fatalf("group form shows %q %q %q", g.pick.Selected, g.name.Text, g.pickup.Text)
	}
	// Defaults as documented: busy when nobody is logged on, the client's choice on rejection.
	if g.notLoggedOn.Selected != "Busy Here (486)" || g.clientReject.Selected != "Busy Here/Decline (486/603)" {
		t.Errorf("decline settings show %q and %q", g.notLoggedOn.Selected, g.clientReject.Selected)
	}
	if c := g.functions[line.FuncHold]; c == nil || !strings.Contains(c.Text, "Put a call on hold") || !c.Checked {
		t.Errorf("hold function check: %+v", c)
	}
	g.notLoggedOn.SetSelected("Decline (603)")
	g.clientReject.SetSelected("Temporarily Unavailable (480)")
	test.Tap(g.hideDecline)
	test.Tap(g.journalAll)
	test.Tap(g.functions[line.FuncHold])
	test.Tap(g.functions[line.FuncDND])
	g.pickup.SetText("")
	test.Type(g.pickup, "**8<NUMBER>")
	// Feature codes: add one, fill it in, move it to the top, delete the old first one.
	test.Tap(g.addCode)
	if len(g.codeRows) != 3 {
		t.Fatalf("%d feature code rows after adding one, want 3", len(g.codeRows))
	}
	test.Type(g.codeRows[2].name, "Voicemail")
	test.Type(g.codeRows[2].code, "*86")
	test.Tap(g.codeRows[2].up)
	test.Tap(g.codeRows[1].up)
	if g.codeRows[0].name.Text != "Voicemail" || g.codeRows[1].name.Text != "Forward off" {
		t.Fatalf("after moving up the table shows %q, %q", g.codeRows[0].name.Text, g.codeRows[1].name.Text)
	}
	test.Tap(g.codeRows[1].del)
	// A rename carries over to the group's lines and its picker entry.
	g.name.SetText("")
	test.Type(g.name, "Team")
	if g.pick.Selected != "1. Team" {
		t.Errorf("the group picker shows %q after the rename", g.pick.Selected)
	}
	if len(s.errs) != 0 {
		t.Fatalf("valid edits give messages: %v", s.errs)
	}
	h.saved(s)
	if h.count("SaveConfig") != 1 {
		t.Fatalf("SaveConfig asked %d times, want once", h.count("SaveConfig"))
	}
	got := h.serverConfig().Groups[0]
	if cfg := h.serverConfig(); cfg.Lines[0].Group != "Team" {
		t.Errorf("Alice's group after the rename: %q", cfg.Lines[0].Group)
	}
	want := line.Group{Name: "Team", NotLoggedOn: line.ResponseDecline, ClientReject: line.ResponseTemporarilyUnavailable,
		HideDecline: true, JournalAll: true, Location: "Munich",
		DisabledFunctions: []line.Function{line.FuncHold, line.FuncDND},
		FeatureCodes:      []line.FeatureCode{{Name: "Voicemail", Code: "*86"}, {Name: "Forward on", Code: "*21#"}},
		PickupCode:        "**8<NUMBER>"}
	if !groupsEqual(got, want) {
		t.Errorf("saved group\n%+v\nwant\n%+v", got, want)
	}
	if slices.Contains(h.u.app.Driver().AllWindows(), s.win) {
		t.Error("the settings window stays open after saving")
	}
}

func groupsEqual(a, b line.Group) bool {
	return a.Name == b.Name && a.NotLoggedOn == b.NotLoggedOn && a.ClientReject == b.ClientReject &&
		a.HideDecline == b.HideDecline && a.JournalAll == b.JournalAll && a.AutoNumbers == b.AutoNumbers &&
		a.Location == b.Location && a.PerLineLocation == b.PerLineLocation &&
		slices.Equal(a.DisabledFunctions, b.DisabledFunctions) && slices.Equal(a.FeatureCodes, b.FeatureCodes) &&
		a.PickupCode == b.PickupCode
}

// TestSettingsInvalidEditsShowMessageAndSaveNothing: each invalid edit shows a message naming the
// field and the rule next to the field, and Save sends nothing.
func TestSettingsInvalidEditsShowMessageAndSaveNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *settingsEditor) *widget.Label // makes the edit, returns the field's message label
		want []string
	}{
		{"pickup code without <NUMBER>", func(s *settingsEditor) *widget.Label {
			s.g.pickup.SetText("")
			test.Type(s.g.pickup, "*59")
			return s.g.pickupMsg
		}, []string{"pickup code", "must contain <NUMBER> exactly once"}},
		{"feature code with letters other than A-D", func(s *settingsEditor) *widget.Label {
			s.g.codeRows[0].code.SetText("")
			test.Type(s.g.codeRows[0].code, "*2E#")
			if s.g.codeRows[1].msg.Visible() {
				t.Errorf("the second code's row shows the first one's message: %q", s.g.codeRows[1].msg.Text)
			}
			return s.g.codeRows[0].msg
		}, []string{"feature code #1 code", "A-D"}},
		{"duplicate feature code name", func(s *settingsEditor) *widget.Label {
			s.g.codeRows[1].name.SetText("")
			test.Type(s.g.codeRows[1].name, "forward OFF")
			return s.g.codeRows[1].msg
		}, []string{"feature code #2 name", "unique"}},
		{"empty registrar", func(s *settingsEditor) *widget.Label {
			s.tabs.SelectIndex(1)
			s.l.registrar.SetText("")
			return s.l.msgOf["account.registrar"]
		}, []string{"registrar", "must not be empty"}},
		{"registration lifetime that is not a number", func(s *settingsEditor) *widget.Label {
			s.tabs.SelectIndex(1)
			test.Type(s.l.expires, "1h")
			return s.l.msgOf["account.expires"]
		}, []string{`line "Alice": registration lifetime "1h"`, "whole number of seconds"}},
		{"registration lifetime out of range", func(s *settingsEditor) *widget.Label {
			s.tabs.SelectIndex(1)
			test.Type(s.l.expires, "5")
			return s.l.msgOf["account.expires"]
		}, []string{"registration lifetime", "must be 10 to 86400 seconds"}},
		{"register rate that is not a number", func(s *settingsEditor) *widget.Label {
			test.Type(s.g.registerRate, "fast")
			return s.msgFor(line.KindGroup, "register_rate")
		}, []string{`group "Sales": register rate "fast"`, "requests per second"}},
		{"negative register rate", func(s *settingsEditor) *widget.Label {
			test.Type(s.g.registerRate, "-2")
			return s.msgFor(line.KindGroup, "register_rate")
		}, []string{"register rate", "0 or more"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, s := openEditor(t)
			msg := tc.edit(s)
			for _, w := range tc.want {
				if !strings.Contains(msg.Text, w) {
					t.Errorf("message beside the field is %q, want it to contain %q", msg.Text, w)
				}
			}
			if !msg.Visible() || !s.summary.Visible() {
				t.Error("the message or the summary is hidden")
			}
			test.Tap(s.save)
			h.settle()
			if n := h.count("SaveConfig"); n != 0 {
				t.Errorf("SaveConfig asked %d times for an invalid set-up", n)
			}
			if got := h.serverConfig(); !groupsEqual(got.Groups[0], settingsConfig().WithDefaults().Groups[0]) ||
				got.Lines[0].Account.Registrar != "pbx.example.com" {
				t.Errorf("the server's set-up changed: %+v", got)
			}
		})
	}
}

// TestSettingsFromEmptySetUp: with no lines at all, the main window's Settings button opens the
// editor, where a location, a group and a line can be set up and saved.
func TestSettingsFromEmptySetUp(t *testing.T) {
	p := apitest.New(line.Config{})
	h := newHarnessOn(t, p, 0)
	h.phone = p
	test.Tap(button(t, h.u.Window().Content(), "Settings…"))
	var win fyne.Window
	h.until("the settings window opens", func() bool {
		for _, w := range h.u.app.Driver().AllWindows() {
			if w.Title() == "Lineup settings" {
				win = w
				return true
			}
		}
		return false
	})
	if !strings.Contains(texts(win.Content()), "No line groups yet") {
		t.Errorf("the empty group tab shows:\n%s", texts(win.Content()))
	}
}

// TestSettingsNewcomerSetsUpEverything: from an empty set-up, a location, a group with it and a
// line in the group are added in the editor and saved in one go; the line then shows in the main
// window.
func TestSettingsNewcomerSetsUpEverything(t *testing.T) {
	p := apitest.New(line.Config{})
	h := newHarnessOn(t, p, 0)
	h.phone = p
	var s *settingsEditor
	h.u.openSettings(func(e *settingsEditor) { s = e })
	h.until("the settings window opens", func() bool { return s != nil })

	s.tabs.SelectIndex(2)
	test.Tap(button(t, s.win.Content(), "Add location"))
	o := s.o.fields
	o["name"].SetText("")
	test.Type(o["name"], "Berlin")
	test.Type(o["country_code"], "49")
	test.Type(o["area_code"], "30")
	test.Type(o["international_prefix"], "00")
	test.Type(o["national_prefix"], "0")

	s.tabs.SelectIndex(0)
	test.Tap(button(t, s.win.Content(), "Add group"))
	s.g.name.SetText("")
	test.Type(s.g.name, "Office")
	s.g.location.SetSelected("Berlin")

	s.tabs.SelectIndex(1)
	test.Tap(button(t, s.win.Content(), "Add line"))
	if s.l.group.Selected != "Office" {
		t.Errorf("a new line goes to group %q, want the only group", s.l.group.Selected)
	}
	s.l.name.SetText("")
	test.Type(s.l.name, "Reception")
	test.Type(s.l.registrar, "pbx.example.com:5060")
	test.Type(s.l.user, "100")
	test.Type(s.l.password, "pw")
	s.l.transport.SetSelected("tcp")
	test.Type(s.l.number, "+4930123456")
	if len(s.errs) != 0 {
		t.Fatalf("a complete set-up has messages: %v", s.errs)
	}
	h.saved(s)
	cfg := h.serverConfig()
	if len(cfg.Locations) != 1 || cfg.Locations[0].Name != "Berlin" || cfg.Locations[0].AreaCode != "30" ||
		len(cfg.Groups) != 1 || cfg.Groups[0].Location != "Berlin" || len(cfg.Lines) != 1 {
		t.Fatalf("saved set-up %+v", cfg)
	}
	l := cfg.Lines[0]
	if l.Name != "Reception" || l.Group != "Office" || l.Account.Registrar != "pbx.example.com:5060" ||
		l.Account.User != "100" || l.Account.Password != "pw" || l.Account.Transport != line.TransportTCP || !l.Enabled() {
		t.Errorf("saved line %+v", l)
	}
	h.until("the new line shows in the main window", func() bool { return h.u.mv.rows["Reception"] != nil })
}

func TestSettingsLineDetails(t *testing.T) {
	h, s := openEditor(t)
	s.tabs.SelectIndex(1)
	f := &s.l
	// Alice's group sets no numbers automatically and permits no location per line.
	if f.name.Text != "Alice" || f.number.Disabled() || f.location != nil {
		t.Errorf("Alice: name %q, number disabled %v, location offered %v", f.name.Text, f.number.Disabled(), f.location != nil)
	}
	alice, _ := h.u.line("Alice")
	if want := "Rings here; Decline sends busy (486) or decline (603), as chosen."; f.now.Text != want ||
		nowText(alice.Incoming) != want {
		t.Errorf("what happens now shows %q, want %q (the server's decision: %v)", f.now.Text, want, alice.Incoming)
	}
	// Ben's group sets numbers and permits a location per line.
	f.pick.SetSelected("2. Ben")
	if f.name.Text != "Ben" || !f.number.Disabled() || f.location == nil {
		t.Fatalf("Ben: name %q, number disabled %v, location offered %v", f.name.Text, f.number.Disabled(), f.location != nil)
	}
	f.location.SetSelected("Munich")
	test.Tap(f.journal)
	// Alice moves to Desk, where her number is set automatically.
	f.pick.SetSelected("1. Alice")
	f.group.SetSelected("Desk")
	if !f.number.Disabled() || f.location == nil {
		t.Error("after moving Alice to Desk the form still follows Sales")
	}
	test.Tap(f.enabled)
	test.Type(f.display, "Alice Example")
	test.Type(f.domain, "bad domain")
	if !strings.Contains(f.msgOf["account.domain"].Text, "domain") {
		t.Errorf("a domain with a space gives the message %q", f.msgOf["account.domain"].Text)
	}
	f.domain.SetText("example.com")
	h.saved(s)
	cfg := h.serverConfig()
	a, _ := cfg.Line("Alice")
	b, _ := cfg.Line("Ben")
	if a.Group != "Desk" || a.Enabled() || b.Location != "Munich" || !b.Journal ||
		a.Account.DisplayName != "Alice Example" || a.Account.Domain != "example.com" {
		t.Errorf("saved Alice %+v, Ben %+v", a, b)
	}
	h.until("Alice shows as not in use", func() bool {
		l, _ := h.u.line("Alice")
		return !l.Enabled
	})
}

// TestSettingsRegistrationFields: the group's register rate, and the line's registration lifetime
// and CA file (offered with transport tls), are saved; a corrected number clears its message.
func TestSettingsRegistrationFields(t *testing.T) {
	h, s := openEditor(t)
	test.Type(s.g.registerRate, "2.x")
	if !s.summary.Visible() {
		t.Fatal("a register rate of 2.x shows no message")
	}
	s.g.registerRate.SetText("2.5")
	if s.summary.Visible() {
		t.Fatalf("the corrected register rate still shows %q", s.summary.Text)
	}
	s.tabs.SelectIndex(1)
	f := &s.l
	if f.caFile != nil {
		t.Error("a CA file is offered for a udp line")
	}
	if f.encrypt.Selected != "Off (plain RTP)" {
		t.Errorf("the line's media encryption shows %q, want off", f.encrypt.Selected)
	}
	f.encrypt.SetSelected("Offer SRTP, accept plain")
	if !strings.Contains(texts(s.win.Content()), "without transport tls anyone who sees it can decrypt") {
		t.Error("SRTP on a udp line does not warn that its keys travel in the clear")
	}
	f.transport.SetSelected("tls")
	if f.caFile == nil {
		t.Fatal("no CA file offered for a tls line")
	}
	if !strings.Contains(texts(s.win.Content()), "restart Lineup") {
		t.Error("the CA file row does not say it is read at start")
	}
	test.Type(f.caFile, "/etc/lineup/pbx-ca.pem")
	test.Type(f.expires, "600")
	if f.direct.Checked {
		t.Error("a new line is set for direct calls")
	}
	test.Tap(f.direct)
	f.encrypt.SetSelected("Require SRTP")
	if strings.Contains(texts(s.win.Content()), "without transport tls") {
		t.Error("the keys warning shows on a tls line")
	}
	h.saved(s)
	cfg := h.serverConfig()
	g, _ := cfg.Group("Sales")
	a, _ := cfg.Line("Alice")
	if g.RegisterRate != 2.5 || a.Account.Transport != line.TransportTLS ||
		a.Account.CAFile != "/etc/lineup/pbx-ca.pem" || a.Account.Expires != 600 || !a.Account.DirectCalls ||
		a.Account.Encryption != line.EncryptionRequire {
		t.Errorf("saved register rate %v, Alice's account %+v", g.RegisterRate, a.Account)
	}
}

func TestSettingsLineRemoveAndCancel(t *testing.T) {
	h, s := openEditor(t)
	s.tabs.SelectIndex(1)
	test.Tap(button(t, s.win.Content(), "Remove line"))
	if len(s.cfg.Lines) != 1 || s.l.name.Text != "Ben" {
		t.Fatalf("after removing Alice the editor has %d lines and shows %q", len(s.cfg.Lines), s.l.name.Text)
	}
	test.Tap(button(t, s.win.Content(), "Cancel"))
	h.settle()
	if n := h.count("SaveConfig"); n != 0 {
		t.Errorf("Cancel saved (%d times)", n)
	}
	if got := h.serverConfig(); len(got.Lines) != 2 {
		t.Errorf("Cancel changed the server's lines: %+v", got.Lines)
	}
	if slices.Contains(h.u.app.Driver().AllWindows(), s.win) {
		t.Error("Cancel leaves the settings window open")
	}
}

func TestSettingsLocationTesterAndRename(t *testing.T) {
	h, s := openEditor(t)
	s.tabs.SelectIndex(2)
	o := &s.o
	test.Type(o.test, "201")
	if !strings.Contains(o.result.Text, "Canonical: +49891234201") ||
		!strings.Contains(o.result.Text, "Display:") || !strings.Contains(o.result.Text, "Dialable:") {
		t.Errorf("the tester shows for the extension 201:\n%s", o.result.Text)
	}
	o.test.SetText("")
	test.Type(o.test, "030 1234567")
	if !strings.Contains(o.result.Text, "Canonical: +49301234567") {
		t.Errorf("the tester shows for a Berlin number:\n%s", o.result.Text)
	}
	// The tester follows the rules as edited: another base number makes 201 another number.
	o.test.SetText("")
	test.Type(o.test, "201")
	o.fields["base_number"].SetText("5555")
	if !strings.Contains(o.result.Text, "Canonical: +49895555201") {
		t.Errorf("after changing the base number the tester shows:\n%s", o.result.Text)
	}
	o.test.SetText("")
	test.Type(o.test, "12ab")
	if !strings.Contains(o.result.Text, "12ab") || strings.Contains(o.result.Text, "Display:") {
		t.Errorf("the tester shows for a bad number:\n%s", o.result.Text)
	}
	o.fields["international_prefix"].SetText("")
	if !strings.Contains(texts(s.win.Content()), "international prefix") {
		t.Errorf("an empty international prefix gives no message:\n%s", texts(s.win.Content()))
	}
	test.Type(o.fields["international_prefix"], "00")
	// Renaming the location renames it where the groups use it.
	o.fields["name"].SetText("")
	test.Type(o.fields["name"], "HQ")
	h.saved(s)
	if g := h.serverConfig().Groups[0]; g.Location != "HQ" {
		t.Errorf("group location after rename %q", g.Location)
	}
}

// TestSettingsSaveRefused: when the line server refuses the set-up, the window stays open with
// the edits and says why, naming the field beside it.
func TestSettingsSaveRefused(t *testing.T) {
	h, s := openEditor(t)
	refusal := fmt.Errorf("save settings: %w", &line.FieldError{Kind: line.KindGroup, Name: "Sales", Index: 0,
		Key: "pickup_code", Field: "pickup code", Value: "*8<NUMBER>", Rule: "is taken by the PBX"})
	h.phone.Fail("SaveConfig", refusal)
	s.g.pickup.SetText("*8<NUMBER>")
	h.saved(s)
	if !strings.Contains(s.summary.Text, "Not saved") || !strings.Contains(s.summary.Text, "is taken by the PBX") {
		t.Errorf("summary after a refused save: %q", s.summary.Text)
	}
	if !strings.Contains(s.g.pickupMsg.Text, "is taken by the PBX") {
		t.Errorf("the pickup field's message is %q", s.g.pickupMsg.Text)
	}
	if !slices.Contains(h.u.app.Driver().AllWindows(), s.win) || s.g.pickup.Text != "*8<NUMBER>" {
		t.Error("the window closed or lost the edit after a refused save")
	}
	if got := h.serverConfig().Groups[0].PickupCode; got != "*59<NUMBER>" {
		t.Errorf("the server's pickup code is %q", got)
	}
}

// msgFor is the message label shown for the field key of the item of kind edited now.
func (s *settingsEditor) msgFor(kind line.Kind, key string) *widget.Label {
	for _, m := range s.msgs {
		if m.kind == kind && m.prefix == key {
			return m.lbl
		}
	}
	return widget.NewLabel("(no message label for " + key + ")")
}
