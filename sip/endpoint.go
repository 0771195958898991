package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"

	"github.com/lineupphone/lineup/line"
)

// UserAgentName is sent in the User-Agent header of every request.
const UserAgentName = "Lineup"

// EndpointConfig says where the line server listens and how it talks TLS.
type EndpointConfig struct {
	// ListenIP is the local address to listen on; empty means all IPv4 interfaces ("0.0.0.0").
	ListenIP string
	// UDPPort and TCPPort are the local ports; 0 picks a free port.
	UDPPort, TCPPort int
	// TLS is the client configuration for TLS lines. Nil means the system's roots. Certificate
	// verification is always on: InsecureSkipVerify is refused.
	TLS *tls.Config
	// Logger receives the endpoint's logs; nil means slog.Default().
	Logger *slog.Logger
	// TrustedPeers are further addresses, "ip:port" or "ip" (any port), whose requests are
	// taken besides those of the lines' registrars and proxies (trust.go): a phone system that
	// sends calls from another address than it registers lines at.
	TrustedPeers []string
	// Resolver looks up the host names of registrars, proxies and dialled hosts; nil is
	// net.DefaultResolver.
	Resolver *net.Resolver
	// OpenToAll takes requests from any address. Only tests that play a phone system
	// themselves set it; the line server never does.
	OpenToAll bool
}

// Endpoint is the line server's SIP stack: a UDP socket and a TCP listener, the transaction layer,
// and the handlers for requests that arrive. Lines register through it with NewRegistrar.
type Endpoint struct {
	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client
	log    *slog.Logger

	listenIP string
	udp      net.PacketConn
	tcp      net.Listener

	// inflight bounds the REGISTER transactions under way at once, so that a thousand lines
	// starting together do not overrun the registrar's or our own socket buffers.
	inflight chan struct{}

	// challenges holds the last digest challenge per registrar address. A line registering for
	// the first time answers it preemptively (RFC 3261 section 22.3 lets a UA send credentials
	// for a realm it has seen) instead of first drawing a 401 of its own.
	chMu       sync.Mutex
	challenges map[string]*authState
	// realms is the realm each line's registration was challenged in, by first hop and
	// authentication user: its calls answer challenges of that realm only (credentials.go).
	realms map[string]string

	wg        sync.WaitGroup
	closeOnce sync.Once

	calls    calls         // call state and handlers, in call.go
	subs     subscriptions // event subscriptions, in subscribe.go
	trust    *trustSet
	resolver *net.Resolver

	// handlers are the request handlers by method, each behind guard; sipgo dispatches to them
	// and the fuzz tests call them with recorded transactions.
	handlers map[gosip.RequestMethod]sipgo.RequestHandler
	unknown  sipgo.RequestHandler
}

// handlerFor is the handler of a request method; a method without one gets 405.
func (e *Endpoint) handlerFor(m gosip.RequestMethod) sipgo.RequestHandler {
	if h, ok := e.handlers[m]; ok {
		return h
	}
	return e.unknown
}

// maxInflightRegisters is how many REGISTER transactions an endpoint runs at once.
const maxInflightRegisters = 128

// udpReadBuffer is the receive buffer asked for the UDP socket: replies to many lines arrive in
// bursts, and the kernel's default (about 200 KiB) drops them.
const udpReadBuffer = 4 << 20

// NewEndpoint opens the sockets and starts serving them. Close stops it.
func NewEndpoint(cfg EndpointConfig) (*Endpoint, error) {
	if cfg.TLS != nil && cfg.TLS.InsecureSkipVerify {
		return nil, errors.New("sip endpoint: tls certificate verification cannot be switched off")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	ip := cfg.ListenIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	tlsConf := cfg.TLS
	if tlsConf == nil {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	trust, err := newTrustSet(cfg)
	if err != nil {
		return nil, fmt.Errorf("sip endpoint: %w", err)
	}
	resolver := cfg.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	sipgoLog := useSipgoLogger(log)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(UserAgentName),
		sipgo.WithUserAgenTLSConfig(tlsConf),
		sipgo.WithUserAgentDNSResolver(resolver),
		sipgo.WithUserAgentTransportLayerOptions(gosip.WithTransportLayerLogger(sipgoLog)),
		sipgo.WithUserAgentTransactionLayerOptions(
			gosip.WithTransactionLayerLogger(sipgoLog),
			// A response that matches no transaction (a retransmission, or one nobody asked
			// for) is dropped, as RFC 3261 section 17.1.1.2 allows a UA to.
			gosip.WithTransactionLayerUnhandledResponseHandler(func(r *gosip.Response) {
				sipgoLog.Debug("response matches no transaction", "response", r.StartLine(), "source", r.Source())
			}),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sip endpoint: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipgoLog))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip endpoint: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipgoLog))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip endpoint: %w", err)
	}
	e := &Endpoint{ua: ua, srv: srv, client: client, log: log, listenIP: ip, trust: trust, resolver: resolver,
		inflight: make(chan struct{}, maxInflightRegisters), challenges: map[string]*authState{}, realms: map[string]string{}}

	e.udp, err = net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(cfg.UDPPort)))
	if err != nil {
		ua.Close()
		return nil, fmt.Errorf("sip endpoint: listen udp: %w", err)
	}
	if uc, ok := e.udp.(*net.UDPConn); ok {
		if err := uc.SetReadBuffer(udpReadBuffer); err != nil {
			log.Debug("sip udp receive buffer not enlarged", "error", err)
		}
	}
	e.tcp, err = net.Listen("tcp4", net.JoinHostPort(ip, strconv.Itoa(cfg.TCPPort)))
	if err != nil {
		e.udp.Close()
		ua.Close()
		return nil, fmt.Errorf("sip endpoint: listen tcp: %w", err)
	}
	e.handlers = map[gosip.RequestMethod]sipgo.RequestHandler{gosip.OPTIONS: e.guard(e.handleOptions)}
	e.unknown = e.guard(e.handleUnknown)
	e.initCalls()
	for m, h := range e.handlers {
		srv.OnRequest(m, h)
	}
	srv.OnNoRoute(e.unknown)

	e.wg.Add(2)
	go func() {
		defer e.wg.Done()
		if err := srv.ServeUDP(e.udp); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Debug("sip udp serve ended", "error", err)
		}
	}()
	go func() {
		defer e.wg.Done()
		if err := srv.ServeTCP(e.tcp); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Debug("sip tcp serve ended", "error", err)
		}
	}()
	// Requests of UDP lines are sent from the listening socket, which sipgo finds in its pool only
	// once ServeUDP has added it: wait for that before anyone registers.
	for i := 0; ; i++ {
		if c, _ := ua.TransportLayer().GetConnection("udp", e.udp.LocalAddr().String()); c != nil {
			c.Ref(-1) // GetConnection took a reference; this look gives it back
			break
		}
		if i == 200 {
			e.Close()
			return nil, errors.New("sip endpoint: udp listener did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e, nil
}

// Addr returns the local listening address for a transport, e.g. "127.0.0.1:40123". TLS lines
// connect out and receive over their connection, so TLS reports the TCP listener.
func (e *Endpoint) Addr(t line.Transport) string {
	if t == line.TransportUDP {
		return e.udp.LocalAddr().String()
	}
	return e.tcp.Addr().String()
}

func (e *Endpoint) port(t line.Transport) int {
	_, p, _ := net.SplitHostPort(e.Addr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// Close stops listening and ends every transaction. Registrars must have stopped first to leave
// the registrar clean.
func (e *Endpoint) Close() error {
	var err error
	e.closeOnce.Do(func() {
		e.closeCalls()
		err = errors.Join(e.udp.Close(), e.tcp.Close())
		e.wg.Wait()
		err = errors.Join(err, e.srv.Close(), e.ua.Close())
	})
	return err
}

// handleOptions answers OPTIONS with 200 so that the registrar and peers can see the line is
// reachable (RFC 3261 section 11.2).
func (e *Endpoint) handleOptions(req *gosip.Request, tx gosip.ServerTransaction) {
	res := gosip.NewResponseFromRequest(req, gosip.StatusOK, "OK", nil)
	res.AppendHeader(gosip.NewHeader("Allow", allowedMethods))
	res.AppendHeader(gosip.NewHeader("Accept", "application/sdp"))
	if err := tx.Respond(res); err != nil {
		e.log.Debug("sip options response failed", "error", err)
	}
}

// localIPFor returns the local address this machine uses to reach hostport: the listen address
// when it is specific, else the source address the routing table picks (no packet is sent).
func (e *Endpoint) localIPFor(ctx context.Context, hostport string) (string, error) {
	if ip := net.ParseIP(e.listenIP); ip != nil && !ip.IsUnspecified() {
		return e.listenIP, nil
	}
	d := net.Dialer{Resolver: e.resolver}
	c, err := d.DialContext(ctx, "udp4", hostport)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return "", fmt.Errorf("%w: %s: %w", ErrUnreachable, hostport, err)
		}
		return "", fmt.Errorf("find local address for %s: %w", hostport, err)
	}
	defer c.Close()
	host, _, err := net.SplitHostPort(c.LocalAddr().String())
	return host, err
}

// sharedChallenge returns a copy of the last challenge seen from the registrar at dest.
func (e *Endpoint) sharedChallenge(dest string) *authState {
	e.chMu.Lock()
	defer e.chMu.Unlock()
	a := e.challenges[dest]
	if a == nil {
		return nil
	}
	return &authState{chal: a.chal, proxy: a.proxy}
}

func (e *Endpoint) rememberChallenge(dest string, a *authState) {
	e.chMu.Lock()
	e.challenges[dest] = &authState{chal: a.chal, proxy: a.proxy}
	e.chMu.Unlock()
}
