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
	var link *pcaplink.Link
	err := p.A.NS.Do(func() error {
		var err error
		link, err = pcaplink.Open(p.A.Veth, us.Addr(), pcaplink.Options{})
		return err
	})
	if err != nil {
		return result{}, fmt.Errorf("link/pcap on %s: %w", p.A.Veth, err)
	}
	st, err := tcpstack.New(tcpstack.Config{Link: link, Addr: us})
	if err != nil {
		link.Close()
		return result{}, err
	}
	defer st.Close()
	port := uint16(b.nextPort())
	var sender, receiver net.Conn
	if send {
		peer := netip.AddrPortFrom(p.B.Addr.Addr(), port)
		ln, err := kernelListen(p.B, peer)
		if err != nil {
			return result{}, err
		}
		defer ln.Close()
		cc, ec := acceptOne(ln)
		dctx, cancel := context.WithTimeout(ctx, setupTimeout)
		c, err := st.DialTCP(dctx, "tcp", peer.String())
		cancel()
		if err != nil {
			return result{}, fmt.Errorf("ours: %w", err)
		}
		k, err := waitAccept(ln, cc, ec, setupTimeout)
		if err != nil {
			c.Close()
			return result{}, err
		}
		sender, receiver = c, k
	} else {
		local := netip.AddrPortFrom(us.Addr(), port)
		ln, err := st.Listen("tcp", local.String())
		if err != nil {
			return result{}, fmt.Errorf("ours: %w", err)
		}
		defer ln.Close()
		k, c, err := connectVia(ln, func() (net.Conn, error) { return kernelDial(ctx, p.B, local) })
		if err != nil {
			return result{}, fmt.Errorf("ours: %w", err)
		}
		sender, receiver = k, c
	}
	return b.transfer(sender, receiver, profile)
}
