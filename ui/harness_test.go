package ui

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/lineupphone/lineup/api"
	"github.com/lineupphone/lineup/api/apitest"
	"github.com/lineupphone/lineup/line"
)

// harness runs the UI on the fake line server. The UI's updates, which fyne.Do would run on
// Fyne's goroutine, queue up and run on the test goroutine when the test pumps, so the test and
// the UI never touch the widgets at the same time.
type harness struct {
	t     *testing.T
	phone *apitest.Phone // nil when the UI runs on a real line server
	u     *UI
	q     chan func()
	next  int          // actions before this index were returned by action already
	idles atomic.Int32 // how often Options.Idle ran
}

func testConfig() line.Config {
	return line.Config{
		Groups: []line.Group{
			{Name: "Sales", PickupCode: "*59<NUMBER>", JournalAll: true,
				FeatureCodes: []line.FeatureCode{{Name: "Forward off", Code: "#21#"}, {Name: "Forward on", Code: "*21#"}}},
			{Name: "Desk", HideDecline: true, DisabledFunctions: []line.Function{line.FuncHold, line.FuncDND}},
		},
		Lines: []line.Line{
			{Name: "Alice", Group: "Sales", Number: "+49891234201"},
			{Name: "Carol", Group: "Sales", Number: "+49891234203"},
			{Name: "Ben", Group: "Desk", Number: "+49891234202"},
		},
	}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	p := apitest.New(testConfig())
	h := newHarnessOn(t, p, 3)
	h.phone = p
	return h
}

// newHarnessOn runs the UI on phone and waits until it shows lines lines.
func newHarnessOn(t *testing.T, phone api.Phone, lines int) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	h := &harness{t: t, q: make(chan func(), 1<<14)}
	u, err := Create(context.Background(), a, phone, Options{
		do:           func(f func()) { h.q <- f },
		notifyAnyway: true,
		Idle:         func() { h.idles.Add(1) },
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.u = u
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			for {
				select {
				case <-h.q:
				case <-done:
					return
				}
			}
		}()
		if err := u.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		close(done)
	})
	h.until("the lines are shown", func() bool { return len(u.mv.rows) == lines })
	return h
}

// until runs the UI's queued updates until cond holds, failing the test after a few seconds.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case f := <-h.q:
			f()
		case <-deadline:
			h.t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// settle runs the queued updates until none came for a moment.
func (h *harness) settle() {
	for {
		select {
		case f := <-h.q:
			f()
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

// action waits for the fake to be asked for method after the actions returned before, and
// returns that action.
func (h *harness) action(method string) apitest.Action {
	h.t.Helper()
	var got apitest.Action
	h.until("the UI asks for "+method, func() bool {
		acts := h.phone.Actions()
		for i := h.next; i < len(acts); i++ {
			if acts[i].Method == method {
				got = acts[i]
				h.next = i + 1
				return true
			}
		}
		return false
	})
	return got
}

// count says how often method was asked for.
func (h *harness) count(method string) int {
	n := 0
	for _, a := range h.phone.Actions() {
		if a.Method == method {
			n++
		}
	}
	return n
}

// window waits for the conversation window of a call.
func (h *harness) window(id string) *callWindow {
	h.t.Helper()
	h.until("call "+id+" has a window", func() bool { return h.u.wins[id] != nil })
	return h.u.wins[id]
}

// windowWhere waits for a conversation window whose call matches.
func (h *harness) windowWhere(what string, match func(api.Call) bool) *callWindow {
	h.t.Helper()
	var got *callWindow
	h.until(what+" has a window", func() bool {
		for _, cw := range h.u.wins {
			if match(cw.view.Call()) {
				got = cw
				return true
			}
		}
		return false
	})
	return got
}

// ring makes a call ring on the line and waits for its window.
func (h *harness) ring(lineName, number, name string) (api.Call, *callWindow) {
	h.t.Helper()
	c, err := h.phone.Ring(lineName, number, name)
	if err != nil {
		h.t.Fatal(err)
	}
	return c, h.window(c.ID)
}

// menuLabels are the entries of a line's menu as its button shows it now.
func (h *harness) menuLabels(lineName string) []string {
	var out []string
	for _, it := range h.u.mv.rows[lineName].menu().Items {
		if !it.IsSeparator {
			out = append(out, it.Label)
		}
	}
	return out
}

// menuItem runs the line menu's entry whose label starts with label.
func (h *harness) menuItem(lineName, label string) {
	h.t.Helper()
	for _, it := range h.u.mv.rows[lineName].menu().Items {
		if !it.IsSeparator && strings.HasPrefix(it.Label, label) {
			it.Action()
			return
		}
	}
	h.t.Fatalf("line %s has no menu entry %q; it has %q", lineName, label, h.menuLabels(lineName))
}

func hasPrefix(list []string, p string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.HasPrefix(s, p) })
}

func submit(e interface{ TypedKey(*fyne.KeyEvent) }) {
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}
