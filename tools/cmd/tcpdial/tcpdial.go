package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"tcpregress.dev/tools/cli"
)

// tcpdialCmd is the whole command line of tcpdial.
type tcpdialCmd struct {
	cli.Globals

	Listen   bool `short:"l" help:"Listen on PORT for a connection instead of connecting (tcpdial -l [flags] PORT)."`
	KeepOpen bool `short:"k" name:"keep-open" help:"With -l, keep accepting connections and serve them one after another; standard input goes to the first."`
	Zero     bool `short:"z" help:"Port check: complete the handshake, then close. Exit 0 if the port is open, 1 if not."`

	Iface   string   `short:"i" name:"iface" placeholder:"IFACE" help:"Interface to send and receive on. Required unless exactly one non-loopback interface is up."`
	Source  string   `short:"s" name:"source" placeholder:"SRC_IP[/PREFIX]" help:"The userland stack's IPv4 address (required): one no interface of this host (or of --netns) holds. The prefix defaults to the interface's, else /24."`
	SrcPort int      `short:"p" name:"source-port" placeholder:"SRC_PORT" help:"Source port of the connection (default: a random ephemeral port)."`
	Gateway string   `short:"g" name:"gateway" placeholder:"GATEWAY" help:"Next hop for a HOST outside the source prefix."`
	Wait    duration `short:"w" name:"wait" placeholder:"TIMEOUT" help:"Connect timeout: a duration (1.5s, 200ms) or seconds (5). Default: the stack's SYN retries (3 minutes)."`
	Idle    duration `name:"idle-timeout" placeholder:"D" help:"Close the connection after no data either way for D."`
	Netns   string   `name:"netns" placeholder:"NAME" help:"Run inside the network namespace /run/netns/NAME (made by 'ip netns add')."`
	Pcap    string   `name:"pcap" placeholder:"FILE" help:"Write every frame the stack reads and writes to FILE, a pcap capture."`
	Verbose int      `short:"v" type:"counter" help:"-v: connection messages and TCP state transitions on standard error; -vv: also every frame, tcpdump-style."`

	MSS          int  `name:"mss" placeholder:"N" help:"MSS to advertise and cap sent segments at (default: the interface's MTU - 40)."`
	NoSACK       bool `name:"no-sack" help:"Do not offer SACK (RFC 2018)."`
	NoTimestamps bool `name:"no-timestamps" help:"Do not offer TCP timestamps (RFC 7323)."`
	NoWScale     bool `name:"no-wscale" help:"Do not offer window scaling (RFC 7323)."`
	NoDelay      bool `name:"nodelay" help:"Turn the Nagle algorithm off: send each piece of input at once."`

	Args []string `arg:"" optional:"" name:"host-port" placeholder:"HOST PORT" help:"HOST (an IPv4 address) and PORT to connect to; with -l, the PORT to listen on."`

	// Parsed by Validate.
	remote netip.AddrPort // dial mode
	port   uint16         // listen mode
	source netip.Addr
	bits   int // the -s prefix length, -1 when not given
	gw     netip.Addr
}

func (c *tcpdialCmd) Help() string {
	return `Usage:
  tcpdial [flags] -s SRC_IP HOST PORT
  tcpdial -l [-k] [flags] -s SRC_IP PORT

tcpdial connects through tcpstack, the userland TCP/IP stack, which sends and
receives raw Ethernet frames on an interface with libpcap; the kernel's TCP is
not involved. It copies standard input to the connection and the connection to
standard output. At the end of standard input it half-closes (sends its FIN)
and keeps reading until the peer closes; when the peer closes, it closes too.

The stack needs an IPv4 address of its own (-s) that no local interface holds:
otherwise the kernel answers the peer's SYN-ACK with a RST. HOST must be an
IPv4 address; the stack does not resolve names.

Examples:
  tcpdial -i eth0 -s 192.0.2.99 192.0.2.10 80 < request.txt
  tcpdial -z -v -i eth0 -s 192.0.2.99 192.0.2.10 22       port check
  tcpdial -l -v -i eth0 -s 192.0.2.99 8080                 wait for a client
  tcpdial --netns lab -s 10.0.0.3/24 --pcap c.pcap -vv 10.0.0.2 80
  ip netns exec lab tcpdial -s 10.0.0.3 10.0.0.2 80

Exit status: 0 success (with -z: the port is open), 1 the connection failed
(refused, timed out, reset, or the port is closed), 2 bad usage,
130/143 interrupted by SIGINT/SIGTERM.`
}

// Validate checks the arguments and the flags that depend on each other;
// what depends on the host (interfaces, addresses) is checked in Run.
func (c *tcpdialCmd) Validate() error {
	switch {
	case c.KeepOpen && !c.Listen:
		return errors.New("-k keeps a listener open: it needs -l")
	case c.Listen && c.Zero:
		return errors.New("-z checks a remote port: it does not go with -l")
	case c.Listen && c.SrcPort != 0:
		return errors.New("-p sets the source port of an outgoing connection; with -l the port to listen on is the argument: tcpdial -l [flags] PORT")
	case c.Listen && c.Wait.set:
		return errors.New("-w is the connect timeout: it does not go with -l (see --idle-timeout)")
	case c.SrcPort < 0 || c.SrcPort > 65535:
		return fmt.Errorf("-p %d: want a port from 1 to 65535 (0 or no -p: any)", c.SrcPort)
	case c.Wait.set && c.Wait.d <= 0:
		return errors.New("-w: the connect timeout must be positive")
	case c.Idle.set && c.Idle.d <= 0:
		return errors.New("--idle-timeout: the timeout must be positive")
	case c.MSS != 0 && (c.MSS < 88 || c.MSS > 65495):
		return fmt.Errorf("--mss %d: want 88 (the least a peer must accept) to 65495", c.MSS)
	}
	if err := c.parseArgs(); err != nil {
		return err
	}
	if err := c.parseSource(); err != nil {
		return err
	}
	if c.Gateway != "" {
		gw, err := netip.ParseAddr(c.Gateway)
		if err != nil || !gw.Unmap().Is4() {
			return fmt.Errorf("-g %s: the gateway must be an IPv4 address", c.Gateway)
		}
		c.gw = gw.Unmap()
	}
	return nil
}

func (c *tcpdialCmd) parseArgs() error {
	if c.Listen {
		switch len(c.Args) {
		case 0:
			return errors.New("-l needs the PORT to listen on: tcpdial -l [flags] PORT")
		case 1:
		default:
			return fmt.Errorf("-l takes one argument, the PORT, not %q: the address to listen on is -s", strings.Join(c.Args, " "))
		}
		p, err := parsePort(c.Args[0], true)
		if err != nil {
			return err
		}
		c.port = p
		return nil
	}
	switch len(c.Args) {
	case 0:
		return errors.New("missing HOST and PORT: tcpdial [flags] HOST PORT (or tcpdial -l [flags] PORT)")
	case 1:
		return fmt.Errorf("missing PORT after HOST %s: tcpdial [flags] HOST PORT", c.Args[0])
	case 2:
	default:
		return fmt.Errorf("too many arguments %q: tcpdial [flags] HOST PORT", strings.Join(c.Args, " "))
	}
	host, err := parseHost(c.Args[0])
	if err != nil {
		return err
	}
	port, err := parsePort(c.Args[1], false)
	if err != nil {
		return err
	}
	c.remote = netip.AddrPortFrom(host, port)
	return nil
}

// parseHost accepts an IPv4 address. Names are refused rather than
// resolved: the userland stack has no resolver, and the host's resolver
// would ask its DNS servers through the kernel (outside --netns), which is
// not what a user of a raw userland connection expects to happen quietly.
func parseHost(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil && strings.Contains(s, ":"):
		return netip.Addr{}, fmt.Errorf("HOST %q is not an IPv4 address (the userland stack speaks IPv4 only)", s)
	case err != nil:
		return netip.Addr{}, fmt.Errorf("HOST %q is not an IPv4 address: the userland stack does not resolve names; give the address, e.g. from 'getent ahostsv4 %s'", s, s)
	case !a.Unmap().Is4():
		return netip.Addr{}, fmt.Errorf("HOST %s is IPv6: the userland stack speaks IPv4 only", s)
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, fmt.Errorf("HOST %s cannot be a TCP peer", s)
	}
	return a, nil
}

// parsePort accepts a decimal port, 1-65535 (0 too when listening: any free
// port).
func parsePort(s string, listen bool) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || (n == 0 && !listen) {
		return 0, fmt.Errorf("PORT %q: want a number from 1 to 65535 (service names are not looked up)", s)
	}
	return uint16(n), nil
}

// parseSource parses -s SRC_IP[/PREFIX]. Whether the kernel owns the address
// is checked in Run, where the interfaces are known.
func (c *tcpdialCmd) parseSource() error {
	if c.Source == "" {
		return errors.New("-s SRC_IP is required: the userland stack needs an IPv4 address of its own, one that no interface of this host (or of --netns) holds, such as an unused address of the interface's subnet")
	}
	c.bits = -1
	addr := c.Source
	if a, b, ok := strings.Cut(c.Source, "/"); ok {
		n, err := strconv.Atoi(b)
		if err != nil || n < 1 || n > 32 {
			return fmt.Errorf("-s %s: the prefix length must be 1 to 32", c.Source)
		}
		addr, c.bits = a, n
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Unmap().Is4() {
		return fmt.Errorf("-s %s: want an IPv4 address, optionally with a prefix length (198.18.0.3/24)", c.Source)
	}
	a = a.Unmap()
	switch {
	case a.IsUnspecified(), a.IsMulticast(), a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("-s %s: not an address a host can use", c.Source)
	case a.IsLoopback():
		return fmt.Errorf("-s %s: a loopback address belongs to the kernel (and loopback is not an Ethernet link); use an unused address of the interface's subnet", c.Source)
	}
	c.source = a
	return nil
}

// duration is a time flag: a Go duration (1.5s, 200ms) or whole seconds as
// nc takes them (5).
type duration struct {
	d   time.Duration
	set bool
}

// UnmarshalText implements encoding.TextUnmarshaler, which kong uses.
func (d *duration) UnmarshalText(b []byte) error {
	s := string(b)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d.d, d.set = time.Duration(n)*time.Second, true
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q: want seconds (5) or a duration such as 1.5s or 200ms", s)
	}
	d.d, d.set = v, true
	return nil
}

func (d duration) String() string { return d.d.String() }
