// Package harness sets up what a conformance run needs: the tester's
// userland stacks and probes, the target, and the agent that drives it.
//
// [Local] builds a throwaway namespace pair: side A holds the tester's
// userland stacks (the kernel of A has no IPv4 address, so it stays out of
// the way), side B the target — the Linux kernel of B, or our own tcpstack
// with --stack tcpstack. The agent serves in this process: its sockets are
// made inside B, and its control connection runs over B's loopback, never
// over the test link. [Remote] puts the tester on a real interface and
// reaches an agent already running on the target host.
package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack"
	pcaplink "tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// ErrNeedRoot is returned by [Local] and [Remote] when the process is not
// root.
var ErrNeedRoot = errors.New("run needs root (network namespaces and raw capture): run it with sudo")

// Options shape a target.
type Options struct {
	// Stack is the local target: "kernel" (default) or "tcpstack".
	Stack string
	// Sysctls are KEY=VALUE settings applied in the target's namespace
	// (local kernel target only).
	Sysctls []string
	// StackTCP, when set, adjusts the TCP configuration of the
	// --stack tcpstack target before the stack is made (option toggles
	// such as tcp.Config.DisableSACK). It applies to the tcpstack target
	// only: the kernel target takes Sysctls instead.
	StackTCP func(*tcp.Config)
	// StackOptions are the names StackTCP was made from ([StackOptions]),
	// recorded in the target's description (suite.Target.StackOptions).
	// Like StackTCP, they apply to the tcpstack target only.
	StackOptions []string
	// MTU is the local test link's MTU, default 1500. AdvMSS, when set,
	// is the MSS the local target advertises whatever the MTU (the
	// kernel's route advmss, tcpstack's MSS): drill runs with MTU 65535
	// and AdvMSS 1460, as packetdrill's tun device takes packets of any
	// size while its scripts expect "mss 1460".
	MTU, AdvMSS int
	// Jobs is how many tester stacks to make, one per case running at
	// once (a stack carries one probe at a time). Default 1. Remote
	// targets get one.
	Jobs int
	// Logger receives the harness's and the stacks' events.
	Logger zerolog.Logger

	// Remote target: Target is the host's address on the test link,
	// Agent the agent's control address (HOST:PORT), Iface the local
	// interface facing the target, SrcIP the tester's address and prefix
	// on it (an address no local interface owns), Gateway the next hop
	// when the target is not on SrcIP's subnet.
	Target  string
	Agent   string
	Iface   string
	SrcIP   netip.Prefix
	Gateway netip.Addr
	// Secret is the remote agent's pre-shared secret (nil when it has
	// none: an agent on loopback). The local target makes its own.
	Secret []byte
	// Namespace, when set, is where a remote target's tester lives: its
	// link is opened and the agent dialled inside it (tests; the CLI uses
	// the current namespace).
	Namespace *netns.Namespace
}

// CheckRoot returns ErrNeedRoot unless the process runs as root.
func CheckRoot() error {
	if os.Geteuid() != 0 {
		return ErrNeedRoot
	}
	return nil
}

// teardown runs cleanup functions in reverse order, once.
type teardown struct {
	once sync.Once
	fns  []func()
}

func (t *teardown) add(fn func()) { t.fns = append(t.fns, fn) }

func (t *teardown) run() {
	t.once.Do(func() {
		for i := len(t.fns) - 1; i >= 0; i-- {
			t.fns[i]()
		}
	})
}

// pool hands out tester stacks, one case at a time each.
type pool struct {
	stacks chan *tcpstack.Stack
	log    zerolog.Logger
}

func newPool(stacks []*tcpstack.Stack, log zerolog.Logger) *pool {
	p := &pool{stacks: make(chan *tcpstack.Stack, len(stacks)), log: log}
	for _, s := range stacks {
		p.stacks <- s
	}
	return p
}

func (p *pool) newProbe(ports []uint16) (*probe.Probe, func()) {
	s := <-p.stacks
	pr := probe.New(s, probe.Config{Ports: ports, Logger: p.log})
	var once sync.Once
	return pr, func() { once.Do(func() { p.stacks <- s }) }
}

// nsKernel is the kernel backend with its sockets made inside a namespace:
// a socket stays in the namespace it was made in, so only Socket needs to
// enter it (accepted sockets belong to their listener's namespace).
type nsKernel struct {
	agent.Backend
	ns *netns.Namespace
}

// ReadInq passes the kernel backend's TCP_CM_INQ reads through.
func (b nsKernel) ReadInq(ctx context.Context, fd agent.FD, size int, timeout time.Duration) ([]byte, *int, error) {
	if ir, ok := b.Backend.(agent.InqReader); ok {
		return ir.ReadInq(ctx, fd, size, timeout)
	}
	data, err := b.Backend.Read(ctx, fd, size, timeout)
	return data, nil, err
}

// EpollCreate, EpollCtl and EpollWait pass the kernel backend's epoll
// through (agent.Epoller).
func (b nsKernel) EpollCreate() (agent.FD, error) {
	ep, ok := b.Backend.(agent.Epoller)
	if !ok {
		return 0, agent.Unsupported(syscall.EOPNOTSUPP, "epoll: not in this backend")
	}
	return ep.EpollCreate()
}

func (b nsKernel) EpollCtl(epfd agent.FD, op string, fd agent.FD, ev agent.EpollEvents) error {
	ep, ok := b.Backend.(agent.Epoller)
	if !ok {
		return agent.Unsupported(syscall.EOPNOTSUPP, "epoll: not in this backend")
	}
	return ep.EpollCtl(epfd, op, fd, ev)
}

func (b nsKernel) EpollWait(ctx context.Context, epfd agent.FD, max int, timeout time.Duration) ([]agent.EpollReady, error) {
	ep, ok := b.Backend.(agent.Epoller)
	if !ok {
		return nil, agent.Unsupported(syscall.EOPNOTSUPP, "epoll: not in this backend")
	}
	return ep.EpollWait(ctx, epfd, max, timeout)
}

// Pipe and Splice pass the kernel backend's pipes and splice through
// (agent.Splicer).
func (b nsKernel) Pipe() (agent.FD, agent.FD, error) {
	sp, ok := b.Backend.(agent.Splicer)
	if !ok {
		return 0, 0, agent.Unsupported(syscall.EOPNOTSUPP, "pipe and splice: not in this backend")
	}
	return sp.Pipe()
}

func (b nsKernel) Splice(ctx context.Context, in, out agent.FD, size int, flags agent.SpliceFlags, timeout time.Duration) (int, error) {
	sp, ok := b.Backend.(agent.Splicer)
	if !ok {
		return 0, agent.Unsupported(syscall.EOPNOTSUPP, "pipe and splice: not in this backend")
	}
	return sp.Splice(ctx, in, out, size, flags, timeout)
}

// NullIO passes the kernel backend's NULL-buffer reads and writes through.
func (b nsKernel) NullIO(fd agent.FD, write bool, size int) (int, error) {
	nb, ok := b.Backend.(agent.NullBuffer)
	if !ok {
		return 0, agent.Unsupported(syscall.EOPNOTSUPP, "a NULL buffer: not in this backend")
	}
	return nb.NullIO(fd, write, size)
}

func (b nsKernel) Socket() (agent.FD, error) {
	var fd agent.FD
	err := b.ns.Do(func() error {
		var err error
		fd, err = b.Backend.Socket()
		return err
	})
	return fd, err
}

// Local sets up the local target: a namespace pair, opts.Jobs tester
// stacks with probes on side A, the target on side B and the agent. The
// cleanup function removes everything; call it also after an error is
// impossible (it is nil then). Call netns.HandleSignals first so that a
// signal removes the namespaces too.
func Local(ctx context.Context, opts Options) (*suite.Env, func(), error) {
	if err := CheckRoot(); err != nil {
		return nil, nil, err
	}
	kind := opts.Stack
	if kind == "" {
		kind = "kernel"
	}
	_, foreign := foreignStacks[kind]
	if kind != "kernel" && kind != "tcpstack" && !foreign {
		return nil, nil, fmt.Errorf("--stack %q: want kernel, tcpstack or %s", kind, strings.Join(ForeignStacks(), ", "))
	}
	if kind != "kernel" && len(opts.Sysctls) > 0 {
		return nil, nil, fmt.Errorf("--sysctl applies to the kernel target only, not to --stack %s", kind)
	}
	if kind != "tcpstack" && (opts.StackTCP != nil || len(opts.StackOptions) > 0) {
		return nil, nil, fmt.Errorf("--stack-option applies to --stack tcpstack only, not to the %s target", kind)
	}
	jobs := max(opts.Jobs, 1)
	log := opts.Logger
	netns.Sweep()

	td := &teardown{}
	fail := func(err error) (*suite.Env, func(), error) {
		td.run()
		return nil, nil, err
	}
	pair, err := netns.NewPair(netns.Config{NoAddrA: true, MTU: opts.MTU})
	if err != nil {
		return fail(fmt.Errorf("namespace pair: %w", err))
	}
	td.add(func() { pair.Close() })
	log.Debug().Str("a", pair.A.NS.Name).Str("b", pair.B.NS.Name).Str("net", pair.Net.String()).Msg("namespace pair")

	// The tester: one stack per job, each on its own address.
	var stacks []*tcpstack.Stack
	for i := range jobs {
		s, err := openStack(pair.A.NS, pair.A.Veth, pair.UnusedAddr(i), tcp.Config{}, log.With().Str("side", "tester").Logger())
		if err != nil {
			return fail(fmt.Errorf("tester stack: %w", err))
		}
		td.add(func() { s.Close() })
		stacks = append(stacks, s)
	}

	target := suite.Target{Name: "local", Kind: kind, Sysctls: map[string]string{}}
	var backend agent.Backend
	switch {
	case foreign:
		// A foreign stack on side B, as tcpstack below.
		addr := pair.UnusedAddr(jobs)
		var stop func()
		backend, stop, err = openForeignOnB(pair, kind, addr)
		if err != nil {
			return fail(err)
		}
		td.add(stop)
		target.Addr = addr.Addr()
	case kind == "kernel":
		target.Addr = pair.B.Addr.Addr()
		for _, kv := range opts.Sysctls {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fail(fmt.Errorf("--sysctl %q: want KEY=VALUE", kv))
			}
			if out, err := pair.B.NS.Run("sysctl", "-w", kv); err != nil {
				return fail(fmt.Errorf("sysctl -w %s in the target's namespace: %w: %s", kv, err, strings.TrimSpace(out)))
			}
			target.Sysctls[k] = v
		}
		if opts.AdvMSS > 0 {
			if out, err := pair.B.NS.Run("ip", "route", "replace", pair.Net.Masked().String(), "dev", pair.B.Veth,
				"proto", "kernel", "scope", "link", "src", target.Addr.String(), "advmss", fmt.Sprint(opts.AdvMSS)); err != nil {
				return fail(fmt.Errorf("advmss %d on the target's route: %w: %s", opts.AdvMSS, err, strings.TrimSpace(out)))
			}
		}
		backend = nsKernel{Backend: agent.KernelBackend(), ns: pair.B.NS}
	case kind == "tcpstack":
		// Our stack on side B.
		if err := clearKernelAddr(pair); err != nil {
			return fail(err)
		}
		addr := pair.UnusedAddr(jobs)
		var cfg tcp.Config
		cfg.MSS = opts.AdvMSS
		if opts.StackTCP != nil {
			opts.StackTCP(&cfg)
		}
		for _, o := range opts.StackOptions {
			target.StackOptions = append(target.StackOptions, strings.TrimSpace(o))
		}
		s, err := openStack(pair.B.NS, pair.B.Veth, addr, cfg, log.With().Str("side", "target").Logger())
		if err != nil {
			return fail(fmt.Errorf("target stack: %w", err))
		}
		td.add(func() { s.Close() })
		target.Addr = addr.Addr()
		if backend, err = stackBackend(s); err != nil {
			return fail(err)
		}
	}

	// The agent, on B's loopback, with a fresh secret. Its sockets may
	// bind the target's address (and every address, which in B is the
	// target's link and loopback: the cases that send to broadcast and
	// multicast addresses listen there) and reach the test link and
	// TEST-NET-1 (RFC 5737), where the source-route case connects: B
	// has no route out.
	secret := agent.NewSecret()
	ln, stopAgent, err := serveAgent(pair.B.NS, "127.0.0.1:0", &agent.Server{
		Backend: backend, Secret: secret, Logger: log.With().Str("side", "agent").Logger(),
		AllowPeers: []netip.Prefix{pair.Net, testNet1},
		TestAddrs:  []netip.Addr{target.Addr, netip.IPv4Unspecified()},
		// A control connection per running case, and room for those
		// whose end the agent has not seen yet.
		Limits: agent.Limits{MaxConns: max(agent.DefaultMaxConns, 2*jobs+4)},
	})
	if err != nil {
		return fail(fmt.Errorf("agent listener in the target's namespace: %w", err))
	}
	td.add(func() {
		if err := stopAgent(); err != nil {
			log.Warn().Err(err).Msg("agent")
		}
	})
	agentAddr := ln.Addr().String()
	dial := func(ctx context.Context) (*agent.Client, error) {
		var c net.Conn
		err := pair.B.NS.Do(func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, "tcp4", agentAddr)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("dialling the agent at %s: %w", agentAddr, err)
		}
		return agent.NewClient(ctx, c, secret)
	}
	if err := hello(ctx, dial, &target, stacks[0].Addr()); err != nil {
		return fail(err)
	}
	log.Info().Str("target", target.Addr.String()).Str("kind", kind).Int("stacks", jobs).Msg("local target ready")
	env := &suite.Env{NewProbe: newPool(stacks, log).newProbe, DialAgent: dial, Target: target,
		CaptureLink: captureTarget(pair.B.NS, pair.B.Veth)}
	if kind == "kernel" {
		env.Sysctl = func(key, value string) (string, error) {
			old, err := pair.B.NS.Run("sysctl", "-n", key)
			if err != nil {
				return "", fmt.Errorf("sysctl %s in the target's namespace: %w: %s", key, err, strings.TrimSpace(old))
			}
			if strings.Join(strings.Fields(old), " ") == strings.Join(strings.Fields(value), " ") {
				return strings.TrimSpace(old), nil // set already (some cannot be written in a namespace)
			}
			if out, err := pair.B.NS.Run("sysctl", "-q", "-w", key+"="+value); err != nil {
				return "", fmt.Errorf("sysctl -w %s=%s in the target's namespace: %w: %s", key, value, err, strings.TrimSpace(out))
			}
			return strings.TrimSpace(old), nil
		}
		env.FlushTCPMetrics = func() error {
			if out, err := pair.B.NS.Run("ip", "tcp_metrics", "flush", "all"); err != nil {
				return fmt.Errorf("ip tcp_metrics flush all in the target's namespace: %w: %s", err, strings.TrimSpace(out))
			}
			return nil
		}
		env.Qdisc = func(op string, args []string) error {
			cmd := append([]string{"qdisc", op, "dev", pair.B.Veth}, args...)
			if _, err := pair.B.NS.Run("tc", cmd...); err != nil {
				return fmt.Errorf("the target's namespace (tc is iproute2's): %w", err)
			}
			return nil
		}
	}
	return env, td.run, nil
}

// testNet1 is TEST-NET-1 (RFC 5737), which no route reaches.
var testNet1 = netip.MustParsePrefix("192.0.2.0/24")

// serveAgent listens on addr (TCP over IPv4) inside ns and serves srv
// there until stop is called; stop returns what srv.Serve returned.
func serveAgent(ns *netns.Namespace, addr string, srv *agent.Server) (ln net.Listener, stop func() error, err error) {
	if err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", addr)
		return err
	}); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	return ln, func() error { cancel(); return <-served }, nil
}

// openStack opens a userland stack at addr on iface inside ns, its
// connections configured by cfg.
func openStack(ns *netns.Namespace, iface string, addr netip.Prefix, cfg tcp.Config, log zerolog.Logger) (*tcpstack.Stack, error) {
	link, err := pcaplink.Open(iface, addr.Addr(), pcaplink.Options{Namespace: ns.Name})
	if err != nil {
		return nil, err
	}
	s, err := tcpstack.New(tcpstack.Config{Link: link, Addr: addr, TCP: cfg, Logger: log})
	if err != nil {
		link.Close()
		return nil, err
	}
	return s, nil
}

// hello asks the agent who it is and fills t, and checks that the agent's
// scope lets the cases work: bind the target's address, connect to the
// tester's.
func hello(ctx context.Context, dial func(context.Context) (*agent.Client, error), t *suite.Target, tester netip.Addr) error {
	c, err := dial(ctx)
	if err != nil {
		return err
	}
	defer c.Disconnect()
	h, err := c.Hello(ctx)
	if err != nil {
		return fmt.Errorf("agent hello: %w", err)
	}
	t.OS, t.Kernel, t.StackVersion = h.OS, h.Kernel, h.StackVersion
	if h.Stack != "" && t.Kind != "" && h.Stack != t.Kind {
		return fmt.Errorf("the agent drives %q, not the %q target asked for", h.Stack, t.Kind)
	}
	if t.Kind == "" {
		t.Kind = h.Stack
	}
	if !slices.Contains(h.TestAddrs, t.Addr) && !slices.Contains(h.TestAddrs, netip.IPv4Unspecified()) {
		return fmt.Errorf("the agent may not bind the target's address %v (its test addresses: %v): start it with --test-addr %v", t.Addr, h.TestAddrs, t.Addr)
	}
	if !slices.ContainsFunc(h.AllowPeers, func(p netip.Prefix) bool { return p.Contains(tester) }) {
		return fmt.Errorf("the agent may not connect to the tester's address %v (it allows %v): start it with --allow-peer %v/32", tester, h.AllowPeers, tester)
	}
	return nil
}

// Remote sets up a remote target: the tester's stack on opts.Iface at
// opts.SrcIP, the agent at opts.Agent, reached through the kernel.
func Remote(ctx context.Context, opts Options) (*suite.Env, func(), error) {
	if err := CheckRoot(); err != nil {
		return nil, nil, err
	}
	target, err := netip.ParseAddr(opts.Target)
	if err != nil || !target.Is4() {
		return nil, nil, fmt.Errorf("--target %q: want the target's IPv4 address", opts.Target)
	}
	if opts.Agent == "" || opts.Iface == "" || !opts.SrcIP.IsValid() {
		return nil, nil, fmt.Errorf("a remote target needs --agent HOST:PORT, --iface IF and --src-ip IP/NN")
	}
	if len(opts.Sysctls) > 0 {
		return nil, nil, fmt.Errorf("--sysctl applies to the local target only; set them on %s yourself", opts.Target)
	}
	if opts.StackTCP != nil || len(opts.StackOptions) > 0 {
		return nil, nil, fmt.Errorf("--stack-option applies to the local tcpstack target only; a remote target's agent decides its stack")
	}
	in := func(fn func() error) error { return fn() }
	if opts.Namespace != nil {
		in = opts.Namespace.Do
	} else if err := checkUnowned(opts.SrcIP.Addr()); err != nil {
		return nil, nil, err
	}
	log := opts.Logger
	var link *pcaplink.Link
	err = in(func() error {
		var err error
		link, err = pcaplink.Open(opts.Iface, opts.SrcIP.Addr(), pcaplink.Options{})
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("tester link on %s: %w", opts.Iface, err)
	}
	s, err := tcpstack.New(tcpstack.Config{Link: link, Addr: opts.SrcIP, Gateway: opts.Gateway, Logger: log.With().Str("side", "tester").Logger()})
	if err != nil {
		link.Close()
		return nil, nil, fmt.Errorf("tester stack: %w", err)
	}
	cleanup := func() { s.Close() }
	dial := func(ctx context.Context) (*agent.Client, error) {
		var c net.Conn
		err := in(func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, "tcp", opts.Agent)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("dialling the agent at %s: %w", opts.Agent, err)
		}
		return agent.NewClient(ctx, c, opts.Secret)
	}
	t := suite.Target{Name: opts.Target, Addr: target, Sysctls: map[string]string{}}
	if err := hello(ctx, dial, &t, opts.SrcIP.Addr()); err != nil {
		cleanup()
		return nil, nil, err
	}
	env := &suite.Env{NewProbe: newPool([]*tcpstack.Stack{s}, log).newProbe, DialAgent: dial, Target: t}
	env.Sysctl = remoteSysctl(ctx, dial)
	return env, cleanup, nil
}

// remoteSysctl returns Env.Sysctl for a remote agent that allows sysctl
// changes (its hello lists SYSCTL: started with --allow-sysctl), nil for
// one that does not.
func remoteSysctl(ctx context.Context, dial func(context.Context) (*agent.Client, error)) func(key, value string) (string, error) {
	c, err := dial(ctx)
	if err != nil {
		return nil
	}
	h, err := c.Hello(ctx)
	c.Disconnect()
	if err != nil || !slices.Contains(h.Options, "SYSCTL") {
		return nil
	}
	return func(key, value string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := dial(ctx)
		if err != nil {
			return "", err
		}
		defer c.Disconnect()
		return c.Sysctl(ctx, key, value)
	}
}

// checkUnowned refuses a tester address a local interface owns: the kernel
// would answer the target's segments with resets.
func checkUnowned(a netip.Addr) error {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil // nothing to check against
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap() == a {
				return fmt.Errorf("--src-ip %s is owned by a local interface; the kernel would reset the target's segments: pick an unused address", a)
			}
		}
	}
	return nil
}
