package baresiptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lineupphone/lineup/internal/harness"
	"github.com/lineupphone/lineup/internal/testpbx"
)

// Config says how to start one baresip agent.
type Config struct {
	// User and Password are the agent's account at the PBX (one of the PBX's users).
	User     string
	Password string
	// PBX is the registrar and outbound proxy; the agent's address of record is
	// sip:User@PBX.Domain().
	PBX *testpbx.PBX
	// Transport is "udp" (the default), "tcp" or "tls", for registration and calls. With "tls"
	// baresip connects to the PBX's TLS listener (the PBX needs Config.TLS) and is given the
	// PBX's CA as sip_cafile; see the package doc for what baresip 1.0 checks of the certificate.
	Transport string
	// MediaEnc is baresip's media encryption (its srtp module, SDES keys of RFC 4568): "" for
	// none, "srtp" to offer RTP/AVP with a=crypto and accept either (encrypted when the peer
	// answers with a key), "srtp-mand" for RTP/SAVP only, "srtp-mandf" for RTP/SAVP that also
	// refuses a plain answer. MediaEncrypted tells whether a call's media was encrypted.
	MediaEnc string
	// CAFile, with Transport "tls", replaces the PBX's CA as the one baresip trusts (to see
	// what it does with a certificate it should not trust).
	CAFile string
	// Codecs restricts and orders the audio codecs baresip offers and accepts: "PCMU", "PCMA",
	// "G722". Empty means all three in that order. telephone-event (RFC 4733, payload type 101)
	// is always offered.
	Codecs []string
	// AutoAnswer makes baresip answer incoming calls at once with 200 (no CALL_INCOMING event
	// then); otherwise calls ring until Answer.
	AutoAnswer bool
	// ToneHz is the frequency of the sine tone baresip sends as its microphone; it must be a
	// whole number of Hz below 24000. Zero means DefaultToneHz.
	ToneHz int
	// RegisterTimeout bounds the wait for the first successful registration; default 15 s.
	RegisterTimeout time.Duration
}

// DefaultToneHz is the tone an agent sends when Config.ToneHz is zero.
const DefaultToneHz = 440

// knownCodecs maps the codec names of Config.Codecs to baresip's full codec names. The account's
// audio_codecs needs the sample rate: a bare "G722" is looked up as G722/8000/1 (its RTP clock
// rate), which does not exist, and baresip then silently offers every codec it has.
var knownCodecs = map[string]string{"PCMU": "PCMU/8000/1", "PCMA": "PCMA/8000/1", "G722": "G722/16000/1"}

const (
	quitGrace       = 3 * time.Second
	ctrlTimeout     = 10 * time.Second
	defaultRegister = 15 * time.Second
	launchRetries   = 3
)

// Agent is a running baresip started by Start.
type Agent struct {
	cfg     Config
	dir     string
	recDir  string
	sipAddr string
	aor     string
	log     *harness.LogBuffer

	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process was waited for
	exitErr  error         // valid after exited
	ctrl     *ctrlConn
	stopOnce sync.Once

	mu       sync.Mutex
	events   []Event
	consumed []bool
	notify   chan struct{} // closed and replaced on every new event
}

// Start writes a baresip configuration into a fresh t.TempDir(), starts `baresip -f DIR` on free
// loopback ports, connects to its control socket and waits until the account is registered at
// the PBX. The agent is stopped in t.Cleanup (a quit command, then SIGKILL of its process group),
// also when the test failed; on failure its log is written to the test log. Start fails the test
// when baresip cannot be started or does not register.
func Start(t testing.TB, cfg Config) *Agent {
	t.Helper()
	harness.SkipIfShort(t, "baresip")
	a, err := launch(t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("start baresip %s: %v", cfg.User, err)
	}
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			t.Logf("baresip %s log:\n%s", cfg.User, a.Log())
		}
	})
	return a
}

func launch(dir string, cfg Config) (*Agent, error) {
	if cfg.PBX == nil || cfg.User == "" {
		return nil, errors.New("baresiptest: config needs PBX and User")
	}
	switch cfg.Transport {
	case "":
		cfg.Transport = "udp"
	case "udp", "tcp":
	case "tls":
		if cfg.PBX.TLSAddr() == "" || cfg.PBX.CAFile() == "" {
			return nil, errors.New("baresiptest: transport tls needs a PBX started with TLS")
		}
	default:
		return nil, fmt.Errorf("baresiptest: transport %q: want udp, tcp or tls", cfg.Transport)
	}
	switch cfg.MediaEnc {
	case "", "srtp", "srtp-mand", "srtp-mandf":
	default:
		return nil, fmt.Errorf("baresiptest: media encryption %q: want srtp, srtp-mand or srtp-mandf", cfg.MediaEnc)
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []string{"PCMU", "PCMA", "G722"}
	}
	cfg.Codecs = append([]string(nil), cfg.Codecs...)
	for i, c := range cfg.Codecs {
		cfg.Codecs[i] = strings.ToUpper(c)
		if knownCodecs[cfg.Codecs[i]] == "" {
			return nil, fmt.Errorf("baresiptest: unknown codec %q (want PCMU, PCMA or G722)", c)
		}
	}
	if cfg.ToneHz == 0 {
		cfg.ToneHz = DefaultToneHz
	}
	if cfg.ToneHz < 0 || cfg.ToneHz >= 24000 {
		return nil, fmt.Errorf("baresiptest: tone %d Hz out of range", cfg.ToneHz)
	}
	if cfg.RegisterTimeout <= 0 {
		cfg.RegisterTimeout = defaultRegister
	}
	bin, err := exec.LookPath("baresip")
	if err != nil {
		return nil, fmt.Errorf("baresiptest: baresip not found (install baresip-core): %w", err)
	}
	modDir, err := moduleDir()
	if err != nil {
		return nil, err
	}
	recDir := filepath.Join(dir, "rec")
	if err := os.MkdirAll(recDir, 0o755); err != nil {
		return nil, fmt.Errorf("baresiptest: recording dir: %w", err)
	}

	var lastErr error
	for attempt := 0; attempt < launchRetries; attempt++ {
		a := &Agent{
			cfg:    cfg,
			dir:    dir,
			recDir: recDir,
			aor:    "sip:" + cfg.User + "@" + cfg.PBX.Domain(),
			log:    &harness.LogBuffer{},
			notify: make(chan struct{}),
		}
		lastErr = a.run(bin, modDir)
		if lastErr == nil {
			return a, nil
		}
		// Free ports may have been taken between choosing and binding them: try others.
		if !strings.Contains(a.Log(), "Address already in use") {
			break
		}
	}
	return nil, lastErr
}

// run starts the process on new ports and waits until it is registered. On error nothing of it
// is left running.
func (a *Agent) run(bin, modDir string) error {
	sipPort, err := freeSIPPort()
	if err != nil {
		return err
	}
	ctrlPort, err := freeTCPPort(sipPort, sipPort+1)
	if err != nil {
		return err
	}
	a.sipAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(sipPort))
	if err := a.writeConfig(modDir, ctrlPort); err != nil {
		return err
	}

	a.cmd = exec.Command(bin, "-f", a.dir)
	a.cmd.Dir = a.dir
	a.cmd.Stdout = a.log
	a.cmd.Stderr = a.log
	a.cmd.WaitDelay = time.Second
	setGroup(a.cmd)
	if err := a.cmd.Start(); err != nil {
		return fmt.Errorf("baresiptest: start baresip: %w", err)
	}
	a.exited = make(chan struct{})
	// Owned by the agent: it ends when the process exits, which stop makes sure of.
	go func() {
		a.exitErr = a.cmd.Wait()
		close(a.exited)
	}()

	if err := a.connect(ctrlPort); err != nil {
		a.stop()
		return fmt.Errorf("%w\nbaresip log (tail):\n%s", err, harness.Tail(a.Log(), 30))
	}
	if err := a.waitRegistered(); err != nil {
		a.stop()
		return fmt.Errorf("%w\nbaresip log (tail):\n%s", err, harness.Tail(a.Log(), 30))
	}
	// baresip only warns about an unknown codec in audio_codecs and then offers all of them.
	if strings.Contains(a.Log(), "audio codec not found") {
		a.stop()
		return fmt.Errorf("baresiptest: baresip rejected the codec list %v\nbaresip log (tail):\n%s", a.cfg.Codecs, harness.Tail(a.Log(), 30))
	}
	return nil
}

// moduleDir finds baresip's module directory; BARESIP_MODULES overrides the search.
func moduleDir() (string, error) {
	candidates := []string{
		os.Getenv("BARESIP_MODULES"),
		"/usr/lib/baresip/modules",
		"/usr/local/lib/baresip/modules",
		"/usr/lib64/baresip/modules",
	}
	if matches, _ := filepath.Glob("/usr/lib/*/baresip/modules"); len(matches) > 0 {
		candidates = append(candidates, matches...)
	}
	for _, d := range candidates {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "ctrl_tcp.so")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("baresiptest: baresip module directory with ctrl_tcp.so not found (set BARESIP_MODULES)")
}

// writeConfig writes config and accounts into the agent's directory.
//
// Only the modules a test needs are loaded: the G.711 and G.722 codecs, the ausine tone source,
// aubridge as a silent player (its device has no source of the same name, so what is played is
// dropped), sndfile to record each call, menu for the call commands and ctrl_tcp for the control
// socket. No stun, turn, ice, natpmp or other module that reaches out, and the DNS server is set to
// loopback so that nothing is ever resolved elsewhere.
func (a *Agent) writeConfig(modDir string, ctrlPort int) error {
	var c bytes.Buffer
	line := func(k, v string) { fmt.Fprintf(&c, "%-20s %s\n", k, v) }
	line("sip_listen", a.sipAddr)
	line("net_interface", "127.0.0.1")
	line("dns_server", "127.0.0.1:53")
	line("call_max_calls", "8")
	line("audio_source", "ausine,"+strconv.Itoa(a.cfg.ToneHz))
	line("audio_player", "aubridge,baresiptest-sink")
	line("audio_alert", "aubridge,baresiptest-sink")
	// ausine produces 48 kHz stereo only; baresip resamples to the codec's rate.
	line("ausrc_srate", "48000")
	line("ausrc_channels", "2")
	line("statmode_default", "off")
	line("module_path", modDir)
	for _, m := range []string{"g711.so", "g722.so", "ausine.so", "aubridge.so", "sndfile.so"} {
		line("module", m)
	}
	line("module_tmp", "uuid.so")
	line("module_tmp", "account.so")
	line("module_app", "menu.so")
	line("module_app", "ctrl_tcp.so")
	line("ctrl_tcp_listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(ctrlPort)))
	line("snd_path", a.recDir)
	if a.cfg.MediaEnc != "" {
		line("module", "srtp.so")
	}
	if a.cfg.Transport == "tls" {
		ca := a.cfg.PBX.CAFile()
		if a.cfg.CAFile != "" {
			ca = a.cfg.CAFile
		}
		line("sip_cafile", ca)
	}
	if err := os.WriteFile(filepath.Join(a.dir, "config"), c.Bytes(), 0o644); err != nil {
		return fmt.Errorf("baresiptest: write config: %w", err)
	}

	proxy := a.cfg.PBX.UDPAddr()
	switch a.cfg.Transport {
	case "tcp":
		proxy = a.cfg.PBX.TCPAddr()
	case "tls":
		proxy = a.cfg.PBX.TLSAddr()
	}
	mode := "manual"
	if a.cfg.AutoAnswer {
		mode = "auto"
	}
	codecs := make([]string, len(a.cfg.Codecs))
	for i, c := range a.cfg.Codecs {
		codecs[i] = knownCodecs[c]
	}
	acc := fmt.Sprintf("<%s;transport=%s>;auth_pass=%s;outbound=\"sip:%s;transport=%s\";regint=600;answermode=%s;audio_codecs=%s;ptime=20",
		a.aor, a.cfg.Transport, a.cfg.Password, proxy, a.cfg.Transport, mode, strings.Join(codecs, ","))
	if a.cfg.MediaEnc != "" {
		acc += ";mediaenc=" + a.cfg.MediaEnc
	}
	acc += "\n"
	if err := os.WriteFile(filepath.Join(a.dir, "accounts"), []byte(acc), 0o600); err != nil {
		return fmt.Errorf("baresiptest: write accounts: %w", err)
	}
	return nil
}

// connect dials the control socket until baresip accepts, or fails when it exits first.
func (a *Agent) connect(port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(ctrlTimeout)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			a.ctrl = newCtrlConn(conn, a.addEvent)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("baresiptest: control socket %s: %w", addr, err)
		}
		select {
		case <-a.exited:
			return fmt.Errorf("baresiptest: baresip exited at start: %v", a.exitErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitRegistered polls reginfo until the account shows OK. A REGISTER_FAIL event ends the wait
// at once.
func (a *Agent) waitRegistered() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.RegisterTimeout)
	defer cancel()
	for {
		info, err := a.ctrl.command(ctx, "reginfo", "")
		if err == nil && registeredOK(info) {
			return nil
		}
		if ev, ok := a.findEvent("REGISTER_FAIL"); ok {
			return fmt.Errorf("baresiptest: registration of %s failed: %s", a.aor, ev.Param)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("baresiptest: %s not registered after %v (reginfo %q, err %v)", a.aor, a.cfg.RegisterTimeout, info, err)
		case <-a.exited:
			return fmt.Errorf("baresiptest: baresip exited before registering: %v", a.exitErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// registeredOK reports whether baresip's reginfo output shows the account registered: the status
// column reads OK (printed in green).
func registeredOK(info string) bool {
	return strings.Contains(info, "\x1b[32mOK ")
}

// stop quits baresip, kills its process group after a grace period and closes the control
// connection. It may be called more than once.
func (a *Agent) stop() {
	a.stopOnce.Do(func() {
		if a.cmd == nil || a.exited == nil {
			return
		}
		if a.ctrl != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, _ = a.ctrl.command(ctx, "quit", "")
			cancel()
		}
		select {
		case <-a.exited:
		case <-time.After(quitGrace):
		}
		killGroup(a.cmd.Process.Pid)
		<-a.exited
		if a.ctrl != nil {
			a.ctrl.close()
		}
	})
}

func (a *Agent) addEvent(ev Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
	a.consumed = append(a.consumed, false)
	close(a.notify)
	a.notify = make(chan struct{})
}

func (a *Agent) findEvent(typ string) (Event, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ev := range a.events {
		if ev.Type == typ {
			return ev, true
		}
	}
	return Event{}, false
}

// AOR is the agent's address of record, sip:user@domain: what another party dials to reach it
// through the PBX.
func (a *Agent) AOR() string { return a.aor }

// SIPAddr is where baresip listens for SIP, "127.0.0.1:port" (UDP and TCP; it also takes
// port+1 for TCP).
func (a *Agent) SIPAddr() string { return a.sipAddr }

// Dir is the agent's configuration directory.
func (a *Agent) Dir() string { return a.dir }

// Log is everything baresip printed so far.
func (a *Agent) Log() string { return a.log.String() }

// Command sends one ctrl_tcp command (a menu command such as "callstat", "listcalls", "reginfo")
// and returns baresip's text answer.
func (a *Agent) Command(ctx context.Context, name, params string) (string, error) {
	return a.ctrl.command(ctx, name, params)
}

// Dial calls uri, e.g. "sip:alice@127.0.0.1" (the request goes through the PBX).
func (a *Agent) Dial(ctx context.Context, uri string) error {
	_, err := a.ctrl.command(ctx, "dial", uri)
	return err
}

// Answer accepts the ringing incoming call.
func (a *Agent) Answer(ctx context.Context) error {
	_, err := a.ctrl.command(ctx, "accept", "")
	return err
}

// Hangup ends the current call (BYE, or CANCEL before an answer, or 486 for an unanswered
// incoming call).
func (a *Agent) Hangup(ctx context.Context) error {
	_, err := a.ctrl.command(ctx, "hangup", "")
	return err
}

// Hold puts the current call on hold: a re-INVITE with a=sendonly.
func (a *Agent) Hold(ctx context.Context) error {
	_, err := a.ctrl.command(ctx, "hold", "")
	return err
}

// Resume takes the current call off hold: a re-INVITE with a=sendrecv.
func (a *Agent) Resume(ctx context.Context) error {
	_, err := a.ctrl.command(ctx, "resume", "")
	return err
}

// dtmfGap is the pause between two digits; baresip sends each digit as RFC 4733 events of its
// own and needs the previous one to end first.
const dtmfGap = 200 * time.Millisecond

// SendDTMF sends digits (0-9, *, #, A-D) in the current call, one at a time, as RFC 4733
// telephone-events (baresip 1.0 sends DTMF no other way).
func (a *Agent) SendDTMF(ctx context.Context, digits string) error {
	for i, d := range digits {
		if !strings.ContainsRune("0123456789*#ABCD", d) {
			return fmt.Errorf("baresiptest: %q is not a DTMF digit", d)
		}
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("baresiptest: send dtmf: %w", ctx.Err())
			case <-time.After(dtmfGap):
			}
		}
		if _, err := a.ctrl.command(ctx, "sndcode", string(d)); err != nil {
			return err
		}
	}
	return nil
}

// WaitEvent returns the oldest event of type typ that no earlier WaitEvent returned, waiting for
// one if there is none yet. It fails when ctx ends or baresip exits; the error lists the events
// seen so far.
func (a *Agent) WaitEvent(ctx context.Context, typ string) (Event, error) {
	for {
		a.mu.Lock()
		for i, ev := range a.events {
			if ev.Type == typ && !a.consumed[i] {
				a.consumed[i] = true
				a.mu.Unlock()
				return ev, nil
			}
		}
		notify := a.notify
		a.mu.Unlock()
		select {
		case <-notify:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("baresiptest: %s waiting for %s: %w (events so far: %s)", a.cfg.User, typ, ctx.Err(), a.eventSummary())
		case <-a.exited:
			return Event{}, fmt.Errorf("baresiptest: %s waiting for %s: baresip exited: %v", a.cfg.User, typ, a.exitErr)
		}
	}
}

// Events returns every event so far, oldest first.
func (a *Agent) Events() []Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Event(nil), a.events...)
}

func (a *Agent) eventSummary() string {
	var parts []string
	for _, ev := range a.Events() {
		if ev.Type == "CALL_RTCP" {
			continue
		}
		s := ev.Type
		if ev.Param != "" {
			s += "(" + ev.Param + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// mencSecure is baresip's MENC_EVENT_SECURE, the first field of a CALL_MENC event's param.
const mencSecure = "0"

// MediaEncryption is the SRTP crypto suite of call callID's audio as baresip reported it when
// the audio became secure (its CALL_MENC event, param "0,audio,AES_CM_128_HMAC_SHA1_80"), or ""
// when baresip reported no secure audio for that call (yet). An empty callID means any call of
// the agent (the last one reported).
func (a *Agent) MediaEncryption(callID string) string {
	suite := ""
	for _, ev := range a.Events() {
		if ev.Type != "CALL_MENC" || (callID != "" && ev.CallID != callID) {
			continue
		}
		f := strings.SplitN(ev.Param, ",", 3)
		if len(f) == 3 && f[0] == mencSecure && f[1] == "audio" {
			suite = f[2]
		}
	}
	return suite
}

// MediaEncrypted reports whether the audio of the agent's latest call (the call of its latest
// call event) was encrypted: baresip reported it secure, and its log says SRTP is enabled.
func (a *Agent) MediaEncrypted() bool {
	latest := ""
	for _, ev := range a.Events() {
		if ev.Class == "call" && ev.CallID != "" {
			latest = ev.CallID
		}
	}
	return latest != "" && a.MediaEncryption(latest) != "" && strings.Contains(a.Log(), "SRTP is Enabled")
}

// SRTPFailures counts the packets baresip's srtp module could not authenticate or decrypt so
// far, RTP and RTCP apart (its "srtp: failed to decrypt ..." warnings): the far end's SRTP is
// not what baresip expects, or plain packets reached an encrypted stream.
func (a *Agent) SRTPFailures() (rtp, rtcp int) {
	log := a.Log()
	return strings.Count(log, "srtp: failed to decrypt RTP packet"), strings.Count(log, "srtp: failed to decrypt RTCP packet")
}

// ReceivedDTMF is every digit baresip received so far (its CALL_DTMF_START events), in order.
func (a *Agent) ReceivedDTMF() string {
	var b strings.Builder
	for _, ev := range a.Events() {
		if ev.Type == "CALL_DTMF_START" {
			b.WriteString(ev.Param)
		}
	}
	return b.String()
}

// RecordingDec is the path of the newest call recording of what baresip heard (decoded audio),
// sndfile's dump-TIME-dec.wav. Read it after the call ended (CALL_CLOSED), when the file is
// complete. Two calls that start in the same second share one file name: the later overwrites
// the earlier.
func (a *Agent) RecordingDec() (string, error) { return a.newestRecording("dec") }

// RecordingEnc is the path of the newest call recording of what baresip sent (its tone).
func (a *Agent) RecordingEnc() (string, error) { return a.newestRecording("enc") }

func (a *Agent) newestRecording(kind string) (string, error) {
	files, err := filepath.Glob(filepath.Join(a.recDir, "dump-*-"+kind+".wav"))
	if err != nil {
		return "", fmt.Errorf("baresiptest: recordings: %w", err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("baresiptest: %s has no %s recording yet", a.cfg.User, kind)
	}
	sort.Strings(files) // the names carry the start time, year first
	return files[len(files)-1], nil
}

// freeSIPPort finds a port p with UDP p, TCP p and TCP p+1 free on 127.0.0.1 (baresip takes
// all three).
func freeSIPPort() (int, error) {
	var lastErr error
	for i := 0; i < 50; i++ {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("baresiptest: free port: %w", err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		ok := port < 65535
		var held []net.Listener
		for _, p := range []int{port, port + 1} {
			if !ok {
				break
			}
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok, lastErr = false, err
				break
			}
			held = append(held, l)
		}
		for _, l := range held {
			_ = l.Close()
		}
		_ = u.Close()
		if ok {
			return port, nil
		}
	}
	return 0, fmt.Errorf("baresiptest: no free port pair: %w", lastErr)
}

// freeTCPPort finds a free TCP port on 127.0.0.1 other than the given ones.
func freeTCPPort(avoid ...int) (int, error) {
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("baresiptest: free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		clash := false
		for _, p := range avoid {
			clash = clash || p == port
		}
		if !clash {
			return port, nil
		}
	}
	return 0, errors.New("baresiptest: no free control port")
}
