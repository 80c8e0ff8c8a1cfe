package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/conformance/agent"
)

// agentCmd is "tcpregress agent": the agent that runs on a target host and
// makes socket calls for the tester (see package agent for the protocol).
// With --stack kernel (the default) it drives the host kernel's TCP and
// builds without cgo; with --stack tcpstack it drives this project's
// userland stack on --iface at --ip, with --stack gvisor (or lwip) that
// foreign stack there (cgo builds for Linux only).
type agentCmd struct {
	Listen      string        `help:"Address to accept control connections on (HOST:PORT). Anything but loopback needs a secret." default:"127.0.0.1:7000"`
	SecretFile  string        `name:"secret-file" placeholder:"FILE" help:"File holding the pre-shared secret testers must prove they know (at least 16 bytes; or set TCPREGRESS_AGENT_SECRET). Needed unless --listen is on loopback."`
	AllowPeer   []string      `name:"allow-peer" placeholder:"CIDR" help:"Besides the tester's own address, a prefix connect may reach (repeatable): the tester's --src-ip, such as 192.0.2.10/32."`
	TestAddr    []string      `name:"test-addr" placeholder:"IP" help:"An address of this host that sockets may bind (repeatable; 0.0.0.0 allows every address). Default: the --listen address (unless 0.0.0.0); with a userland --stack, --ip."`
	MaxSockets  int           `name:"max-sockets" default:"256" help:"Sockets one control connection may hold."`
	MaxConns    int           `name:"max-conns" default:"8" help:"Control connections served at once."`
	MaxLine     int           `name:"max-line" default:"1048576" help:"Longest request line in bytes."`
	Idle        time.Duration `name:"idle-timeout" default:"10m" help:"Close a control connection that sends no request for this long."`
	AllowSysctl bool          `name:"allow-sysctl" help:"Let testers set this host's net.* sysctls (tcpregress drill applies those of packetdrill's scripts). Off by default: they change the whole host's TCP."`
	Stack       string        `help:"TCP stack to drive: kernel (the host's sockets), tcpstack (our userland stack), gvisor (gVisor's netstack) or lwip; all but kernel need --iface and --ip." enum:"kernel,tcpstack,gvisor,lwip" default:"kernel"`
	Iface       string        `help:"Interface of a userland --stack."`
	IP          string        `name:"ip" help:"Address and prefix of a userland --stack on --iface (A.B.C.D/NN), one no kernel interface owns."`

	allow []netip.Prefix
	test  []netip.Addr
}

func (c *agentCmd) Help() string {
	return `Serves the agent protocol: makes socket calls on this host for a tester
('tcpregress run --target HOST --agent HOST:PORT'). It is a remote control of
this host's TCP, so it is fenced in:

  - It listens on loopback unless --listen names another address, and off
    loopback it needs a pre-shared secret (--secret-file FILE or the
    environment variable TCPREGRESS_AGENT_SECRET; the tester gets the same).
    Both sides prove they know it (HMAC-SHA256 over fresh nonces); it never
    crosses the wire. A failed proof is logged with the tester's address.
    The control connection is not encrypted: run it over a link you trust.
  - Its sockets connect only to the tester's address and the --allow-peer
    prefixes, and bind only the --test-addr addresses; a refused call
    answers EACCES naming the flag.
  - --max-sockets, --max-conns, --max-line and --idle-timeout bound what
    testers may hold; a breach is refused and logged.

For example, on a target whose test address is 198.18.0.2, for a tester
whose --src-ip is 198.18.0.10/24:

  head -c 32 /dev/urandom | base64 > agent.secret; chmod 600 agent.secret
  tcpregress agent --listen 198.18.0.2:7000 --secret-file agent.secret \
      --allow-peer 198.18.0.10/32`
}

// Validate checks the flags.
func (c *agentCmd) Validate() error {
	for _, a := range c.AllowPeer {
		p, err := netip.ParsePrefix(a)
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("--allow-peer %q: want an IPv4 prefix, such as 192.0.2.10/32", a)
		}
		c.allow = append(c.allow, p.Masked())
	}
	for _, a := range c.TestAddr {
		ip, err := netip.ParseAddr(a)
		if err != nil || !ip.Is4() {
			return fmt.Errorf("--test-addr %q: want an IPv4 address of this host", a)
		}
		c.test = append(c.test, ip)
	}
	for _, l := range []struct {
		name string
		v    int
	}{{"--max-sockets", c.MaxSockets}, {"--max-conns", c.MaxConns}} {
		if l.v < 1 {
			return fmt.Errorf("%s %d: want 1 or more", l.name, l.v)
		}
	}
	if c.MaxLine < 4096 {
		return fmt.Errorf("--max-line %d: want at least 4096 bytes", c.MaxLine)
	}
	if c.Idle <= 0 {
		return fmt.Errorf("--idle-timeout %v: want a positive duration", c.Idle)
	}
	return nil
}

// Run serves control connections until SIGINT or SIGTERM.
func (c *agentCmd) Run(log zerolog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.run(ctx, log)
}

func (c *agentCmd) run(ctx context.Context, log zerolog.Logger) error {
	secret, err := agent.LoadSecret(c.SecretFile)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if c.SecretFile != "" {
		if fi, err := os.Stat(c.SecretFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn().Str("file", c.SecretFile).Str("mode", fi.Mode().Perm().String()).Msg("agent: the secret file is readable by others: chmod 600 it")
		}
	}
	test := c.test
	var b agent.Backend
	switch c.Stack {
	case "", "kernel":
		if c.Iface != "" || c.IP != "" {
			return errors.New("agent: --iface and --ip are for a userland --stack (tcpstack, gvisor, lwip)")
		}
		b = agent.KernelBackend()
	case "tcpstack":
		sb, closeStack, err := newStackBackend(c.Iface, c.IP, log)
		if err != nil {
			return err
		}
		defer closeStack()
		b = sb
	case "gvisor", "lwip":
		fb, closeStack, err := newForeignBackend(c.Stack, c.Iface, c.IP)
		if err != nil {
			return err
		}
		defer closeStack()
		b = fb
	default:
		return fmt.Errorf("agent: --stack %q: want kernel, tcpstack, gvisor or lwip", c.Stack)
	}
	if c.Stack != "" && c.Stack != "kernel" && len(test) == 0 {
		// A userland stack's one address; binding 0.0.0.0 there is the
		// same.
		p, _ := netip.ParsePrefix(c.IP)
		test = []netip.Addr{p.Addr(), netip.IPv4Unspecified()}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	srv := &agent.Server{Backend: b, Logger: log, Secret: secret, AllowPeers: c.allow, TestAddrs: test, AllowSysctl: c.AllowSysctl,
		Limits: agent.Limits{MaxSockets: c.MaxSockets, MaxConns: c.MaxConns, MaxLine: c.MaxLine, IdleTimeout: c.Idle}}
	if err := srv.Check(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	h := b.Hello()
	ev := log.Info().Str("listen", ln.Addr().String()).Str("stack", h.Stack).Str("stack_version", h.StackVersion).Str("os", h.OS).
		Str("kernel", h.Kernel).Strs("options", h.Options).Bool("auth", len(secret) > 0).
		Strs("allow_peers", c.AllowPeer)
	if len(test) > 0 {
		ev = ev.Strs("test_addrs", strs(test))
	}
	ev.Msg("agent: serving")
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() && len(test) == 0 {
		log.Warn().Msg("agent: no --test-addr and --listen on every address: every bind will be refused")
	}
	err = srv.Serve(ctx, ln)
	log.Info().Msg("agent: stopped")
	return err
}

func strs[T fmt.Stringer](xs []T) []string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = x.String()
	}
	return s
}
