//go:build linux

package bulk

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"tcpregress.dev/tcpstack"
	pcaplink "tcpregress.dev/tcpstack/link/pcap"
)

// runOurs: our stack on side A (a fresh Stack per run, on a libpcap link
// opened inside A's namespace) against a Go kernel socket on side B. send:
// ours → kernel; otherwise kernel → ours.
func (b *Bench) runOurs(ctx context.Context, send bool, profile string) (result, error) {
	p := b.ours
	us := p.UnusedAddr(0)
	link, err := pcaplink.Open(p.A.Veth, us.Addr(), pcaplink.Options{Namespace: p.A.NS.Name})
	if err != nil {
		return result{}, fmt.Errorf("link/pcap on %s: %w", p.A.Veth, err)
	}
	st, err := tcpstack.New(tcpstack.Config{Link: link, Addr: us})
	if err != nil {
		link.Close()
		return result{}, err
	}
	defer st.Close()
	u := userland{
		name: "ours",
		dial: func(ctx context.Context, peer netip.AddrPort) (net.Conn, error) {
			return st.DialTCP(ctx, "tcp", peer.String())
		},
		listen: func(local netip.AddrPort) (net.Listener, error) { return st.Listen("tcp", local.String()) },
	}
	return b.runUserland(ctx, p, us.Addr(), u, send, profile)
}
