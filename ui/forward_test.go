package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/line"
)

// TestForwardFromTheLineMenu sets a line's forwarding with "Forward calls…" as a user would: a
// refused target and ringing time are shown at their fields and the dialog stays open; a good
// rule is sent, the row says where calls go, and off switches it back. "Call waiting" switches
// the line's call waiting; a group that deactivates both offers neither.
func TestForwardFromTheLineMenu(t *testing.T) {
	h := newHarness(t)
	row := func(name string) string { return texts(h.u.mv.rows[name]) }
	if labels := h.menuLabels("Alice"); !hasPrefix(labels, "Forward calls…") || !hasPrefix(labels, "Call waiting") {
		t.Fatalf("Alice's menu lacks forwarding or call waiting: %q", labels)
	}
	for _, it := range h.u.mv.rows["Alice"].menu().Items {
		if it.Label == "Call waiting" && !it.Checked {
			t.Error("call waiting is not ticked while on")
		}
	}

	// The line's own number and a ringing time out of bounds: both refused, each at its field.
	h.menuItem("Alice", "Forward calls…")
	fd := h.u.openForward
	if fd == nil {
		t.Fatal("no forwarding dialog opened")
	}
	fd.mode.SetSelected("When not answered")
	test.Type(fd.target, "+49891234201")
	test.Type(fd.after, "2")
	test.Tap(fd.save)
	h.action("SetForward")
	h.until("the refusal is shown", func() bool { return fd.targetErr.Visible() })
	if !strings.Contains(fd.targetErr.Text, "line itself") {
		t.Errorf("the number's error says %q", fd.targetErr.Text)
	}
	if !fd.afterErr.Visible() || !strings.Contains(fd.afterErr.Text, "5 to 120 seconds") {
		t.Errorf("the ringing time's error says %q (shown %v)", fd.afterErr.Text, fd.afterErr.Visible())
	}
	if l, _ := h.phone.Line("Alice"); l.Forward.Mode != line.ForwardOff {
		t.Errorf("a refused rule was kept: %+v", l.Forward)
	}

	fd.target.SetText("")
	test.Type(fd.target, "203")
	fd.after.SetText("")
	test.Type(fd.after, "15")
	test.Tap(fd.save)
	if a := h.action("SetForward"); a.Target != "Alice" || a.Arg != "no_answer 203 15" {
		t.Errorf("Save did %+v", a)
	}
	h.settle()
	h.until("Alice's row says where calls go", func() bool {
		return strings.Contains(row("Alice"), "Calls forwarded to 203 after 15 s") &&
			strings.Contains(row("Alice"), "Unanswered after 15 s, calls are forwarded to 203.")
	})
	if fd.targetErr.Visible() || fd.afterErr.Visible() {
		t.Error("the errors stay shown after the rule was taken")
	}

	// Always, by Enter in the number field.
	h.menuItem("Alice", "Forward calls…")
	fd = h.u.openForward
	if fd.target.Text != "203" || fd.after.Text != "15" || fd.mode.Selected != "When not answered" {
		t.Errorf("the dialog opens with %q %q %q, want the rule", fd.mode.Selected, fd.target.Text, fd.after.Text)
	}
	fd.mode.SetSelected("All calls")
	submit(fd.target)
	if a := h.action("SetForward"); a.Arg != "always 203 0" {
		t.Errorf("Enter did %+v", a)
	}
	h.until("Alice's row says all calls go to 203", func() bool {
		return strings.Contains(row("Alice"), "All calls forwarded to 203.")
	})
	shootForward(t, h)

	h.menuItem("Alice", "Forward calls…")
	h.u.openForward.mode.SetSelected("Off")
	test.Tap(h.u.openForward.save)
	h.action("SetForward")
	h.until("Alice's row no longer forwards", func() bool { return !strings.Contains(row("Alice"), "forwarded") })

	h.menuItem("Alice", "Call waiting")
	if a := h.action("SetCallWaiting"); a.Target != "Alice" || a.Arg != "false" {
		t.Errorf("Call waiting did %+v", a)
	}
	if _, err := h.phone.Ring("Alice", "+4930123456", "Caller"); err != nil {
		t.Fatal(err)
	}
	h.until("Alice's row says a second call gets busy", func() bool {
		return strings.Contains(row("Alice"), "Line busy, call waiting off: callers hear busy (486).")
	})

	// A group that deactivates both: its lines offer neither, and a rule kept from before is
	// said not to apply.
	cfg := testConfig()
	cfg.Groups[1].DisabledFunctions = append(cfg.Groups[1].DisabledFunctions, line.FuncForward, line.FuncCallWaiting)
	cfg.Lines[2].Forward = line.Forward{Mode: line.ForwardAlways, Target: "203"}
	p := apitest.New(cfg)
	h2 := newHarnessOn(t, p, 3)
	h2.phone = p
	if labels := h2.menuLabels("Ben"); hasPrefix(labels, "Forward calls…") || hasPrefix(labels, "Call waiting") {
		t.Errorf("Ben's menu offers deactivated functions: %q", labels)
	}
	if r := texts(h2.u.mv.rows["Ben"]); strings.Contains(r, "forwarded to") || !strings.Contains(r, "forwarding is switched off for its group") {
		t.Errorf("Ben's row reads %q, want no forwarding and the rule said not to apply", r)
	}
}

// shootForward writes the main window with a forwarded line and the forwarding dialog open.
func shootForward(t *testing.T, h *harness) {
	t.Helper()
	w := h.u.Window()
	w.Resize(fyne.NewSize(520, 420))
	h.settle()
	shoot(t, w, "line-forwarded.png")
	h.menuItem("Alice", "Forward calls…")
	h.settle()
	shoot(t, w, "forward-dialog.png")
	h.u.openForward.d.Hide()
}
