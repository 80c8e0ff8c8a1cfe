//go:build linux

// Package gvisor runs gVisor's netstack (gvisor.dev/gvisor/pkg/tcpip) as a
// conformance target: [Open] starts a netstack on a Linux interface, the way
// runsc builds its sandbox's stack, and [Stack.Backend] is the agent
// backend that makes its socket calls (tcregress agent --stack gvisor,
// tcpregress run --stack gvisor).
//
// The stack is configured as runsc configures it by default
// (runsc/boot/loader.go, newEmptySandboxNetworkStack): IPv4, ARP and ICMP,
// SACK on (TCPSACKEnabled), receive-buffer moderation on
// (TCPModerateReceiveBufferOption), a default TTL of 64, and everything else
// at netstack's defaults (congestion control "reno", RACK loss detection,
// 1 MiB default buffers). Its link is an fdbased endpoint over one
// AF_PACKET socket bound to the interface, as runsc's host network
// (runsc/sandbox/network.go) uses, behind runsc's default FIFO queueing
// discipline. Sockets are made as the sentry makes them (Nagle on).
//
// gVisor is pure Go; the package lives in the conformance module so that
// the tcpregress command can serve it, and only the command's cgo build for
// Linux links it in (the cgo-free agent stays small).
package gvisor

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"runtime/debug"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/link/qdisc/fifo"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// NICID is the one NIC of the stack (for tcpip.FullAddress).
const NICID tcpip.NICID = 1

const nicID = NICID

// socketBuffer is SO_RCVBUFFORCE and SO_SNDBUFFORCE of the AF_PACKET socket,
// as runsc sets them (runsc/sandbox/network.go: 4 MB).
const socketBuffer = 4 << 20

// defaultTTL is runsc's IPv4 default TTL (netstack.DefaultTTL).
const defaultTTL = 64

// Stack is a gVisor netstack on one interface.
type Stack struct {
	s    *stack.Stack
	fd   int
	addr netip.Prefix
}

// Options change what [OpenOptions] builds from runsc's defaults (for
// benchmarks that compare them); the zero value is runsc's configuration.
type Options struct {
	// PacketMMap makes the fdbased endpoint receive through a
	// PACKET_RX_RING instead of recvmmsg (runsc's default).
	PacketMMap bool
	// NoQDisc leaves out runsc's FIFO queueing discipline: writes go to
	// the socket from the sending goroutine.
	NoQDisc bool
}

// Open starts a netstack at addr on iface, in the calling goroutine's
// network namespace (the AF_PACKET socket stays in it), configured as
// runsc configures it. addr must be an IPv4 address no kernel interface
// owns, or that kernel resets the stack's peers.
func Open(iface string, addr netip.Prefix) (*Stack, error) {
	return OpenOptions(iface, addr, Options{})
}

// OpenOptions is [Open] with o's changes to runsc's configuration.
func OpenOptions(iface string, addr netip.Prefix, o Options) (*Stack, error) {
	if !addr.Addr().Is4() {
		return nil, fmt.Errorf("gvisor: address %v: want IPv4 with its prefix length", addr)
	}
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("gvisor: %w", err)
	}
	// Protocol 0 at socket time and ETH_P_ALL at bind time, as runsc does:
	// no frame of another interface is queued before the bind.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("gvisor: AF_PACKET socket (needs CAP_NET_RAW): %w", err)
	}
	closeFD := func(err error) (*Stack, error) {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		return closeFD(fmt.Errorf("gvisor: binding the AF_PACKET socket to %s: %w", iface, err))
	}
	for _, o := range []int{unix.SO_RCVBUFFORCE, unix.SO_SNDBUFFORCE} {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o, socketBuffer); err != nil {
			return closeFD(fmt.Errorf("gvisor: AF_PACKET socket buffer: %w", err))
		}
	}
	mtu := ifi.MTU
	if mtu <= 0 {
		mtu = 1500
	}
	dispatch := fdbased.RecvMMsg
	if o.PacketMMap {
		dispatch = fdbased.PacketMMap
	}
	ep, err := fdbased.New(&fdbased.Options{
		FDs:                []int{fd},
		MTU:                uint32(mtu),
		EthernetHeader:     true,
		Address:            tcpip.LinkAddress(ifi.HardwareAddr),
		PacketDispatchMode: dispatch,
	})
	if err != nil {
		return closeFD(fmt.Errorf("gvisor: fdbased endpoint: %w", err))
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, icmp.NewProtocol4},
		HandleLocal:        true,
	})
	g := &Stack{s: s, fd: fd, addr: addr}
	fail := func(what string, e tcpip.Error) (*Stack, error) {
		g.Close()
		return nil, fmt.Errorf("gvisor: %s: %s", what, e)
	}
	sack := tcpip.TCPSACKEnabled(true)
	if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); e != nil {
		return fail("SACK", e)
	}
	ttl := tcpip.DefaultTTLOption(defaultTTL)
	if e := s.SetNetworkProtocolOption(ipv4.ProtocolNumber, &ttl); e != nil {
		return fail("default TTL", e)
	}
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, &moderate); e != nil {
		return fail("receive buffer moderation", e)
	}
	// runsc's default queueing discipline (--qdisc=fifo): GOMAXPROCS
	// queues of 1000 packets, drained in batches by their own goroutines.
	nicOpts := stack.NICOptions{Name: iface}
	if !o.NoQDisc {
		nicOpts.QDisc = fifo.New(ep, runtime.GOMAXPROCS(0), 1000)
	}
	if e := s.CreateNICWithOptions(nicID, ep, nicOpts); e != nil {
		return fail("CreateNIC", e)
	}
	pa := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(addr.Addr().As4()), PrefixLen: addr.Bits()},
	}
	if e := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); e != nil {
		return fail("AddProtocolAddress", e)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: nicID}})
	return g, nil
}

// Stack is the netstack itself (for gonet and the tcpip API).
func (g *Stack) Stack() *stack.Stack { return g.s }

// Addr is the stack's address.
func (g *Stack) Addr() netip.Prefix { return g.addr }

// Close aborts the stack's endpoints, removes its NIC and closes the
// AF_PACKET socket.
func (g *Stack) Close() {
	g.s.Destroy()
	unix.Close(g.fd)
}

// Version is the gvisor.dev/gvisor module version built in.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "gvisor.dev/gvisor" {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
