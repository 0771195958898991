package sip

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lineupphone/lineup/line"
	"github.com/lineupphone/lineup/media"
)

// newCallEndpoint is an endpoint that takes requests from anywhere: the tests' endpoints play
// each other's phone system.
func newCallEndpoint(t *testing.T) *Endpoint {
	t.Helper()
	e, err := NewEndpoint(EndpointConfig{ListenIP: "127.0.0.1", OpenToAll: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// lineAcct is a line whose registrar is the endpoint pbx: its calls go there, and pbx stands
// for the phone system that would route them on.
func lineAcct(user string, pbx *Endpoint) line.Account {
	return line.Account{Registrar: pbx.Addr(line.TransportUDP), User: user, DisplayName: "Line " + user, Transport: line.TransportUDP}
}

type callPair struct {
	caller, callee *Dialog
	in             *IncomingCall
}

// connect makes a call from a to b and answers it, checking what each side sees on the way.
func connect(ctx context.Context, t *testing.T, a, b *Endpoint) callPair {
	t.Helper()
	incoming := make(chan *IncomingCall, 1)
	b.OnCall(func(c *IncomingCall) { incoming <- c })
	oc, err := a.Dial(ctx, lineAcct("201", b), "sip:202@"+b.Addr(line.TransportUDP), OfferDesc("127.0.0.1", 40000))
	if err != nil {
		t.Fatal(err)
	}
	var in *IncomingCall
	select {
	case in = <-incoming:
	case <-ctx.Done():
		t.Fatal("no incoming call")
	}
	if in.ToUser() != "202" || in.From().User != "201" || in.From().Display != "Line 201" || in.CallID() != oc.CallID() {
		t.Errorf("incoming call to %q from %+v id %q, want 202 from 201 id %q", in.ToUser(), in.From(), in.CallID(), oc.CallID())
	}
	if off := in.Offer(); off.Port != 40000 || off.Host != "127.0.0.1" || codecNames(off.Codecs) != "G722,PCMU,PCMA" || off.EventPT != TelephoneEventPT {
		t.Errorf("offer seen by callee %s event %d", off, off.EventPT)
	}
	if err := in.Ringing(); err != nil {
		t.Fatal(err)
	}
	if p := nextProgress(ctx, t, oc, 180); p.Reason != "Ringing" {
		t.Errorf("progress %+v", p)
	}
	answered := make(chan *Dialog, 1)
	go func() {
		d, err := in.Answer(ctx, MediaDesc{Host: "127.0.0.1", Port: 42000})
		if err != nil {
			t.Error(err)
		}
		answered <- d
	}()
	caller, err := oc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	callee := <-answered
	if callee == nil {
		t.FailNow()
	}
	if r := caller.Remote(); r.Port != 42000 || codecNames(r.Codecs) != "G722" || r.EventPT != TelephoneEventPT || r.Direction != media.SendRecv {
		t.Errorf("caller sees remote %s event %d", r, r.EventPT)
	}
	if l := caller.Local(); codecNames(l.Codecs) != "G722" || l.Direction != media.SendRecv {
		t.Errorf("caller local %s", l)
	}
	if r := callee.Remote(); r.Port != 40000 || codecNames(r.Codecs) != "G722" || r.Direction != media.SendRecv {
		t.Errorf("callee sees remote %s", r)
	}
	return callPair{caller: caller, callee: callee, in: in}
}

func nextProgress(ctx context.Context, t *testing.T, oc *OutgoingCall, code int) Progress {
	t.Helper()
	for {
		select {
		case p, ok := <-oc.Progress():
			if !ok {
				t.Fatalf("progress closed before %d", code)
			}
			if p.Code == code {
				return p
			}
		case <-ctx.Done():
			t.Fatalf("no %d", code)
		}
	}
}

func wantDirections(t *testing.T, step string, p callPair, caller, callee media.Direction) {
	t.Helper()
	if got := p.caller.Local().Direction; got != caller {
		t.Errorf("%s: caller direction %s, want %s", step, got, caller)
	}
	if got := p.callee.Local().Direction; got != callee {
		t.Errorf("%s: callee direction %s, want %s", step, got, callee)
	}
}

func TestCallHoldResumeDTMFAndHangupByCaller(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := newCallEndpoint(t), newCallEndpoint(t)
	p := connect(ctx, t, a, b)

	changes := make(chan MediaDesc, 8)
	p.callee.OnRemoteChange(func(m MediaDesc) { changes <- m })
	callerChanges := make(chan MediaDesc, 8)
	p.caller.OnRemoteChange(func(m MediaDesc) { callerChanges <- m })

	// The caller holds and resumes.
	if err := p.caller.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	wantDirections(t, "caller holds", p, media.SendOnly, media.RecvOnly)
	if m := <-changes; m.Direction != media.SendOnly {
		t.Errorf("callee told of remote %s, want sendonly", m.Direction)
	}
	if err := p.caller.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	wantDirections(t, "caller resumes", p, media.SendRecv, media.SendRecv)
	<-changes

	// The callee holds, then both hold, then the callee resumes.
	if err := p.callee.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	wantDirections(t, "callee holds", p, media.RecvOnly, media.SendOnly)
	if m := <-callerChanges; m.Direction != media.SendOnly {
		t.Errorf("caller told of remote %s, want sendonly", m.Direction)
	}
	if err := p.caller.Hold(ctx); err != nil {
		t.Fatal(err)
	}
	wantDirections(t, "both hold", p, media.Inactive, media.Inactive)
	if err := p.callee.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	wantDirections(t, "callee resumes while held", p, media.SendOnly, media.RecvOnly)
	if err := p.caller.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	wantDirections(t, "all resumed", p, media.SendRecv, media.SendRecv)
	if r := p.caller.Remote(); r.Port != 42000 || codecNames(r.Codecs) != "G722" {
		t.Errorf("codec or address changed by hold: %s", r)
	}

	// DTMF by INFO both ways.
	digits := make(chan rune, 2)
	p.callee.OnDTMFInfo(func(r rune) { digits <- r })
	p.caller.OnDTMFInfo(func(r rune) { digits <- r })
	if err := p.caller.SendDTMFInfo(ctx, '5'); err != nil {
		t.Fatal(err)
	}
	if d := <-digits; d != '5' {
		t.Errorf("callee got %q, want 5", d)
	}
	if err := p.callee.SendDTMFInfo(ctx, '#'); err != nil {
		t.Fatal(err)
	}
	if d := <-digits; d != '#' {
		t.Errorf("caller got %q, want #", d)
	}
	if err := p.caller.SendDTMFInfo(ctx, 'x'); err == nil {
		t.Error("x sent as a dtmf digit")
	}

	if err := p.caller.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.callee.Done():
	case <-ctx.Done():
		t.Fatal("callee did not see the BYE")
	}
	if r := p.callee.EndReason(); !r.Remote {
		t.Errorf("callee end reason %+v, want remote", r)
	}
	if r := p.caller.EndReason(); r.Remote || r.Text == "" {
		t.Errorf("caller end reason %+v, want local", r)
	}
	if err := p.caller.Hold(ctx); !errors.Is(err, ErrCallEnded) {
		t.Errorf("hold after hangup: %v", err)
	}
}

func TestCallHangupByCallee(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := newCallEndpoint(t), newCallEndpoint(t)
	p := connect(ctx, t, a, b)
	if err := p.callee.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.caller.Done():
	case <-ctx.Done():
		t.Fatal("caller did not see the BYE")
	}
	if r := p.caller.EndReason(); !r.Remote || r.Text != "remote hung up" {
		t.Errorf("caller end reason %+v", r)
	}
	// The dialog is gone on both ends: a second BYE finds nothing.
	if na, nb := dialogCount(a), dialogCount(b); na != 0 || nb != 0 {
		t.Errorf("dialogs left: %d, %d", na, nb)
	}
}

func TestCallCancelBeforeAnswer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := newCallEndpoint(t), newCallEndpoint(t)
	incoming := make(chan *IncomingCall, 1)
	b.OnCall(func(c *IncomingCall) {
		if err := c.Ringing(); err != nil {
			t.Error(err)
		}
		incoming <- c
	})
	oc, err := a.Dial(ctx, lineAcct("201", b), "sip:202@"+b.Addr(line.TransportUDP), MediaDesc{Port: 40000})
	if err != nil {
		t.Fatal(err)
	}
	in := <-incoming
	nextProgress(ctx, t, oc, 180)
	oc.Cancel()
	_, err = oc.Wait(ctx)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Code != 487 {
		t.Fatalf("wait after cancel: %v, want call error 487", err)
	}
	select {
	case <-in.Cancelled():
	case <-ctx.Done():
		t.Fatal("callee's Cancelled did not fire")
	}
	if _, err := in.Answer(ctx, MediaDesc{Port: 42000}); err == nil {
		t.Error("a cancelled call could be answered")
	}
}

func TestCallRejected(t *testing.T) {
	for _, tc := range []struct {
		code   int
		reason string
	}{{486, "Busy Here"}, {603, "Decline"}} {
		t.Run(tc.reason, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			a, b := newCallEndpoint(t), newCallEndpoint(t)
			b.OnCall(func(c *IncomingCall) {
				if err := c.Reject(tc.code, tc.reason); err != nil {
					t.Error(err)
				}
			})
			oc, err := a.Dial(ctx, lineAcct("201", b), "sip:202@"+b.Addr(line.TransportUDP), MediaDesc{Port: 40000})
			if err != nil {
				t.Fatal(err)
			}
			d, err := oc.Wait(ctx)
			var ce *CallError
			if d != nil || !errors.As(err, &ce) || ce.Code != tc.code || ce.Reason != tc.reason {
				t.Fatalf("wait: %v %v, want call error %d %s", d, err, tc.code, tc.reason)
			}
		})
	}
}

func TestCallWithoutHandlerIs480(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := newCallEndpoint(t), newCallEndpoint(t)
	oc, err := a.Dial(ctx, lineAcct("201", b), "sip:202@"+b.Addr(line.TransportUDP), MediaDesc{Port: 40000})
	if err != nil {
		t.Fatal(err)
	}
	_, err = oc.Wait(ctx)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Code != 480 {
		t.Fatalf("wait: %v, want 480", err)
	}
}

func dialogCount(e *Endpoint) int {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	return len(e.calls.dialogs)
}
