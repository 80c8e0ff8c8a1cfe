//go:build linux

package bulk

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"runtime/debug"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/fdbased"
	"gvisor.dev/gvisor/pkg/tcpip/link/qdisc/fifo"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// gvisorSocketBuffer is SO_RCVBUF and SO_SNDBUF of the AF_PACKET socket,
// forced past net.core.rmem_max/wmem_max: what runsc gives its sockets
// (runsc/sandbox/network.go: 4 MB, "too low ... without incurring packet
// drops" otherwise).
const gvisorSocketBuffer = 4 << 20

const gvisorNIC tcpip.NICID = 1

func gvisorNote(dispatch, qdisc string) string {
	mode := "RecvMMsg"
	if dispatch == "mmap" {
		mode = "PacketMMap"
	}
	q := "FIFO queueing discipline (GOMAXPROCS queues of 1000 packets, batched writes)"
	if qdisc == "none" {
		q = "no queueing discipline"
	}
	return "gVisor netstack (gvisor.dev/gvisor " + gvisorVersion() + ", go branch), configured as runsc configures it by default: " +
		"fdbased endpoint over one AF_PACKET socket bound to A's veth (ETH_P_ALL, SO_RCVBUF/SO_SNDBUF forced to 4 MiB), Ethernet header, " +
		mode + " dispatch, processors per channel = GOMAXPROCS, " + q + "; GSO, GRO and checksum offload off (the veth offloads are off); " +
		"IPv4, ARP, TCP with SACK on and receive buffer moderation (auto-tuning) on, other TCP settings at their defaults (reno, 1 MiB default and 4 MiB max buffers); " +
		"gonet adapters for the sockets; in the benchmark's process"
}

// gvisorVersion is the gvisor.dev/gvisor module version built in.
func gvisorVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "gvisor.dev/gvisor" {
				return d.Version
			}
		}
	}
	return "(version unknown)"
}

// gvStack is one gVisor stack on side A of b.gvisor.
type gvStack struct {
	s  *stack.Stack
	fd int
}

func (g *gvStack) Close() {
	g.s.Destroy() // aborts the endpoints, removes the NIC (stopping its dispatchers) and waits
	unix.Close(g.fd)
}

func (b *Bench) newGVisor(us netip.Prefix) (*gvStack, error) {
	p := b.gvisor
	fd := -1
	err := p.A.NS.Do(func() error {
		ifi, err := net.InterfaceByName(p.A.Veth)
		if err != nil {
			return err
		}
		// Protocol 0 at socket time and ETH_P_ALL at bind time, as runsc
		// does: no frame is queued before the bind.
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %w", err)
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			return fmt.Errorf("binding the AF_PACKET socket to %s: %w", p.A.Veth, err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, gvisorSocketBuffer); err != nil {
			return fmt.Errorf("SO_RCVBUFFORCE: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, gvisorSocketBuffer); err != nil {
			return fmt.Errorf("SO_SNDBUFFORCE: %w", err)
		}
		return nil
	})
	if err != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("gVisor: %w", err)
	}
	mode := fdbased.RecvMMsg
	if b.o.GVisorDispatch == "mmap" {
		mode = fdbased.PacketMMap
	}
	ep, err := fdbased.New(&fdbased.Options{
		FDs:                []int{fd},
		MTU:                1500,
		EthernetHeader:     true,
		Address:            tcpip.LinkAddress(p.A.MAC),
		PacketDispatchMode: mode,
	})
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("gVisor fdbased: %w", err)
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol},
	})
	g := &gvStack{s: s, fd: fd}
	fail := func(what string, e tcpip.Error) (*gvStack, error) {
		g.Close()
		return nil, fmt.Errorf("gVisor: %s: %s", what, e)
	}
	sack := tcpip.TCPSACKEnabled(true)
	if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); e != nil {
		return fail("SACK", e)
	}
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	if e := s.SetTransportProtocolOption(tcp.ProtocolNumber, &moderate); e != nil {
		return fail("receive buffer moderation", e)
	}
	// runsc's default queueing discipline (--qdisc=fifo): one queue per
	// GOMAXPROCS of 1000 packets, drained in batches (sendmmsg) by its own
	// goroutines.
	nicOpts := stack.NICOptions{Name: p.A.Veth}
	if b.o.GVisorQDisc != "none" {
		nicOpts.QDisc = fifo.New(ep, runtime.GOMAXPROCS(0), 1000)
	}
	if e := s.CreateNICWithOptions(gvisorNIC, ep, nicOpts); e != nil {
		return fail("CreateNIC", e)
	}
	pa := tcpip.ProtocolAddress{
		Protocol:          ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4(us.Addr().As4()), PrefixLen: us.Bits()},
	}
	if e := s.AddProtocolAddress(gvisorNIC, pa, stack.AddressProperties{}); e != nil {
		return fail("AddProtocolAddress", e)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: header.IPv4EmptySubnet, NIC: gvisorNIC}})
	return g, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// runGVisor: a gVisor stack on side A (fresh per run) against a Go kernel
// socket on side B. send: gVisor → kernel; otherwise kernel → gVisor.
func (b *Bench) runGVisor(ctx context.Context, send bool, profile string) (result, error) {
	p := b.gvisor
	us := p.UnusedAddr(0)
	g, err := b.newGVisor(us)
	if err != nil {
		return result{}, err
	}
	defer g.Close()
	u := userland{
		name: "gVisor",
		dial: func(ctx context.Context, peer netip.AddrPort) (net.Conn, error) {
			return gonet.DialContextTCP(ctx, g.s, tcpip.FullAddress{NIC: gvisorNIC, Addr: tcpip.AddrFrom4(peer.Addr().As4()), Port: peer.Port()}, ipv4.ProtocolNumber)
		},
		listen: func(local netip.AddrPort) (net.Listener, error) {
			return gonet.ListenTCP(g.s, tcpip.FullAddress{NIC: gvisorNIC, Addr: tcpip.AddrFrom4(local.Addr().As4()), Port: local.Port()}, ipv4.ProtocolNumber)
		},
	}
	return b.runUserland(ctx, p, us.Addr(), u, send, profile)
}
