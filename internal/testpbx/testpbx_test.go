package testpbx_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/sipptest"
	"github.com/lineupphone/lineup/internal/testpbx"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLaunchAnswersOptionsAndStopLeavesNothing(t *testing.T) {
	ctx := testCtx(t)
	p, err := testpbx.Launch(ctx, testpbx.Config{Dir: t.TempDir(), Users: []testpbx.User{{Name: "201", Password: "secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	t.Cleanup(func() { _ = p.Kill() })
	if pid == 0 || !testpbx.ProcessAlive(pid) {
		t.Fatalf("kamailio pid %d not running after Launch", pid)
	}
	if p.UDPAddr() != p.TCPAddr() || !strings.HasPrefix(p.UDPAddr(), "127.0.0.1:") {
		t.Errorf("addresses udp %q tcp %q, want the same 127.0.0.1 port", p.UDPAddr(), p.TCPAddr())
	}
	for _, tr := range []string{"udp", "tcp"} {
		code, err := p.Ping(ctx, tr)
		if err != nil || code != 200 {
			t.Errorf("OPTIONS to the server over %s: %d, %v; want 200", tr, code, err)
		}
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if testpbx.ProcessAlive(pid) {
		t.Fatalf("kamailio pid %d (or one of its workers) still alive after Stop", pid)
	}
	if _, err := p.Ping(ctx, "udp"); err == nil {
		t.Error("PBX still answers after Stop")
	}
}

func TestLaunchWithoutDirRemovesItsDir(t *testing.T) {
	p, err := testpbx.Launch(testCtx(t), testpbx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill() })
	dir := p.Dir()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("work dir: %v", err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("work dir %s still there after Stop (%v)", dir, err)
	}
}

func TestLaunchRejectsBadConfig(t *testing.T) {
	for _, cfg := range []testpbx.Config{
		{Users: []testpbx.User{{Name: `a"b`, Password: "x"}}},
		{Users: []testpbx.User{{Name: "a", Password: "x"}, {Name: "a", Password: "y"}}},
		{Users: []testpbx.User{{Name: "a", Password: "x\ny"}}},
		{Listen: "10.0.0.1:5060"},
		{Domain: "bad domain"},
	} {
		if p, err := testpbx.Launch(testCtx(t), cfg); err == nil {
			_ = p.Stop()
			t.Errorf("Launch(%+v) succeeded, want an error", cfg)
		}
	}
}

func TestOptionsToUnregisteredUserIs404(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "secret"}}})
	for _, tr := range []string{"udp", "tcp"} {
		r := sipptest.Run(testCtx(t), t, "options_user.xml", pbx.UDPAddr(), sipptest.Service("201"), sipptest.Transport(tr))
		if got := r.FinalStatus(); got != 404 {
			t.Errorf("%s: OPTIONS to unregistered 201: final status %d (codes %v), want 404", tr, got, r.StatusCodes())
		}
		if r.ExitCode != 0 {
			t.Errorf("%s: sipp exit code %d, want 0", tr, r.ExitCode)
		}
	}
}

func TestRegisterThenOptionsReachesTheRegisteredContact(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "s3cret"}, {Name: "202", Password: "other"}}})
	ctx := testCtx(t)

	uas := sipptest.Start(ctx, t, "uas_options.xml", "")
	reg := sipptest.Run(ctx, t, "register_auth.xml", pbx.UDPAddr(),
		sipptest.Service("201"), sipptest.Auth("201", "s3cret"),
		sipptest.Key("contact_port", fmt.Sprint(uas.Port())))
	if reg.ExitCode != 0 || reg.FinalStatus() != 200 {
		t.Fatalf("REGISTER: exit %d, codes %v; want 200", reg.ExitCode, reg.StatusCodes())
	}
	if codes := reg.StatusCodes(); !slices.Contains(codes, 401) {
		t.Errorf("REGISTER was not challenged: codes %v", codes)
	}
	sent := reg.Sent()
	if len(sent) != 2 || !strings.Contains(sent[1], "Authorization: Digest") {
		t.Errorf("second REGISTER carries no digest credentials: %q", sent)
	}

	opt := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service("201"))
	if got := opt.FinalStatus(); got != 200 {
		t.Fatalf("OPTIONS to registered 201: final status %d (codes %v), want 200 from the UAS", got, opt.StatusCodes())
	}
	got := uas.Wait()
	if got.ExitCode != 0 {
		t.Errorf("UAS exit code %d, want 0 (it answered one OPTIONS)", got.ExitCode)
	}
	recv := got.Received()
	if len(recv) != 1 || !strings.HasPrefix(recv[0], "OPTIONS sip:201@") {
		t.Fatalf("UAS received %q, want one OPTIONS for 201", recv)
	}
	if !strings.Contains(recv[0], "Via: SIP/2.0/UDP "+pbx.UDPAddr()) {
		t.Errorf("OPTIONS at the UAS did not come through the PBX (no Via of %s):\n%s", pbx.UDPAddr(), recv[0])
	}

	// The other user is still not registered.
	other := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service("202"))
	if got := other.FinalStatus(); got != 404 {
		t.Errorf("OPTIONS to unregistered 202: %d, want 404", got)
	}
}

func TestWrongPasswordNeverGets200(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "right"}}})
	ctx := testCtx(t)
	cases := []struct{ user, auth, pass string }{
		{"201", "201", "wrong"},
		{"201", "201", ""},
		{"201", "201", "right "},
		{"999", "999", "right"}, // unknown user
		{"201", "999", "right"}, // auth user differs from the AOR
	}
	for i := 0; i < 3; i++ { // every time, not just the first
		for _, c := range cases {
			r := sipptest.Run(ctx, t, "register_auth.xml", pbx.UDPAddr(), sipptest.Service(c.user), sipptest.Auth(c.auth, c.pass))
			codes := r.StatusCodes()
			if slices.Contains(codes, 200) || r.ExitCode == 0 {
				t.Errorf("REGISTER %s as %s with password %q: codes %v exit %d, want no 200", c.user, c.auth, c.pass, codes, r.ExitCode)
			}
			final := r.FinalStatus()
			if final != 401 && final != 403 {
				t.Errorf("REGISTER %s as %s with password %q: final %d (codes %v), want 401 or 403", c.user, c.auth, c.pass, final, codes)
			}
		}
	}
	opt := sipptest.Run(ctx, t, "options_user.xml", pbx.UDPAddr(), sipptest.Service("201"))
	if got := opt.FinalStatus(); got != 404 {
		t.Errorf("OPTIONS to 201 after failed registrations: %d, want 404", got)
	}
}

func TestKillThenRestartOnSamePort(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Users: []testpbx.User{{Name: "201", Password: "pw"}}})
	ctx := testCtx(t)
	addr, pid := pbx.UDPAddr(), pbx.PID()
	if err := pbx.Kill(); err != nil {
		t.Fatal(err)
	}
	if testpbx.ProcessAlive(pid) {
		t.Fatalf("kamailio %d still alive after Kill", pid)
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	if code, err := pbx.Ping(pctx, "udp"); err == nil {
		t.Fatalf("killed PBX answered OPTIONS with %d", code)
	}
	cancel()
	if err := pbx.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if pbx.UDPAddr() != addr {
		t.Errorf("address after restart %s, want %s", pbx.UDPAddr(), addr)
	}
	if pbx.PID() == pid {
		t.Errorf("same pid %d after restart", pid)
	}
	for _, tr := range []string{"udp", "tcp"} {
		if code, err := pbx.Ping(ctx, tr); err != nil || code != 200 {
			t.Errorf("OPTIONS over %s after restart: %d, %v", tr, code, err)
		}
	}
	// The users are still known.
	r := sipptest.Run(ctx, t, "register_auth.xml", addr, sipptest.Service("201"), sipptest.Auth("201", "pw"))
	if r.FinalStatus() != 200 {
		t.Errorf("REGISTER after restart: codes %v, want 200", r.StatusCodes())
	}
}

func TestTLSCertificateVerifiesOnlyWithCA(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{TLS: true, Users: []testpbx.User{{Name: "201", Password: "pw"}}})
	ctx := testCtx(t)
	if pbx.TLSAddr() == "" || pbx.TLSAddr() == pbx.TCPAddr() {
		t.Fatalf("TLS address %q", pbx.TLSAddr())
	}
	pemData, err := os.ReadFile(pbx.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		t.Fatal("CAFile holds no certificate")
	}
	for _, name := range []string{"127.0.0.1", "localhost"} {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{RootCAs: pool, ServerName: name}}
		conn, err := d.DialContext(ctx, "tcp", pbx.TLSAddr())
		if err != nil {
			t.Fatalf("TLS handshake trusting the CA, server name %s: %v", name, err)
		}
		state := conn.(*tls.Conn).ConnectionState()
		if len(state.VerifiedChains) == 0 {
			t.Errorf("no verified chain for %s", name)
		}
		_ = conn.Close()
	}

	// Without the CA (system roots only) the certificate must not verify.
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{ServerName: "127.0.0.1"}}
	conn, err := d.DialContext(ctx, "tcp", pbx.TLSAddr())
	if err == nil {
		_ = conn.Close()
		t.Fatal("TLS handshake verified without the CA")
	}
	var unknown x509.UnknownAuthorityError
	if !asError(err, &unknown) {
		t.Errorf("handshake without CA failed with %v, want an unknown authority error", err)
	}

	if code, err := pbx.Ping(ctx, "tls"); err != nil || code != 200 {
		t.Errorf("OPTIONS over TLS: %d, %v; want 200", code, err)
	}
}

func TestThousandUsersStartQuickly(t *testing.T) {
	users := make([]testpbx.User, 1000)
	for i := range users {
		users[i] = testpbx.User{Name: fmt.Sprintf("u%04d", i), Password: fmt.Sprintf("pw-%d", i*7)}
	}
	start := time.Now()
	pbx := testpbx.Start(t, testpbx.Config{Users: users})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Launch with 1000 users took %v, want under 5s", took)
	}
	// The last user's password is loaded.
	r := sipptest.Run(testCtx(t), t, "register_auth.xml", pbx.UDPAddr(), sipptest.Service("u0999"), sipptest.Auth("u0999", "pw-6993"))
	if r.FinalStatus() != 200 {
		t.Errorf("REGISTER u0999: codes %v, want 200", r.StatusCodes())
	}
}

func asError(err error, target any) bool { return errors.As(err, target) }

func TestHostnameDomain(t *testing.T) {
	pbx := testpbx.Start(t, testpbx.Config{Domain: "pbx.test", Users: []testpbx.User{{Name: "201", Password: "pw"}}})
	ctx := testCtx(t)
	if code, err := pbx.Ping(ctx, "udp"); err != nil || code != 200 {
		t.Fatalf("OPTIONS: %d, %v", code, err)
	}
	r := sipptest.Run(ctx, t, "register_auth.xml", pbx.UDPAddr(), sipptest.Service("201"), sipptest.Auth("201", "pw"),
		sipptest.Key("domain", "pbx.test"))
	if r.FinalStatus() != 200 {
		t.Fatalf("REGISTER 201@pbx.test: codes %v", r.StatusCodes())
	}
	if ch := r.Received()[0]; !strings.Contains(ch, `realm="pbx.test"`) {
		t.Errorf("challenge realm is not the domain:\n%s", ch)
	}
}
