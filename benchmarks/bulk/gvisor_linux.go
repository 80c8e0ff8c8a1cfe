//go:build linux

package bulk

import (
	"context"
	"net"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"

	"tcpregress.dev/conformance/stacks/gvisor"
)

func gvisorNote(dispatch, qdisc string) string {
	mode := "RecvMMsg"
	if dispatch == "mmap" {
		mode = "PacketMMap"
	}
	q := "FIFO queueing discipline (GOMAXPROCS queues of 1000 packets, batched writes)"
	if qdisc == "none" {
		q = "no queueing discipline"
	}
	return "gVisor netstack (gvisor.dev/gvisor " + gvisor.Version() + ", go branch), configured as runsc configures it by default (conformance/stacks/gvisor): " +
		"fdbased endpoint over one AF_PACKET socket bound to A's veth (ETH_P_ALL, SO_RCVBUF/SO_SNDBUF forced to 4 MiB), Ethernet header, " +
		mode + " dispatch, processors per channel = GOMAXPROCS, " + q + "; GSO, GRO and checksum offload off (the veth offloads are off); " +
		"IPv4, ARP, ICMP, TCP with SACK on and receive buffer moderation (auto-tuning) on, default TTL 64, other TCP settings at their defaults (reno, 1 MiB default and 4 MiB max buffers); " +
		"gonet adapters for the sockets; in the benchmark's process"
}

// newGVisor starts a gVisor stack on side A of b.gvisor, built as runsc
// builds it (conformance/stacks/gvisor) with the dispatcher and queueing
// discipline of the options.
func (b *Bench) newGVisor(us netip.Prefix) (*gvisor.Stack, error) {
	p := b.gvisor
	var g *gvisor.Stack
	err := p.A.NS.Do(func() error {
		var err error
		g, err = gvisor.OpenOptions(p.A.Veth, us, gvisor.Options{PacketMMap: b.o.GVisorDispatch == "mmap", NoQDisc: b.o.GVisorQDisc == "none"})
		return err
	})
	return g, err
}

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
			return gonet.DialContextTCP(ctx, g.Stack(), tcpip.FullAddress{NIC: gvisor.NICID, Addr: tcpip.AddrFrom4(peer.Addr().As4()), Port: peer.Port()}, ipv4.ProtocolNumber)
		},
		listen: func(local netip.AddrPort) (net.Listener, error) {
			return gonet.ListenTCP(g.Stack(), tcpip.FullAddress{NIC: gvisor.NICID, Addr: tcpip.AddrFrom4(local.Addr().As4()), Port: local.Port()}, ipv4.ProtocolNumber)
		},
	}
	return b.runUserland(ctx, p, us.Addr(), u, send, profile)
}
