package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"

	pcaplink "tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tools/cli"
)

// iface is what tcpdial needs to know of an interface of the namespace it
// runs in.
type iface struct {
	name         string
	up, loopback bool
	mtu          int
	addrs        []netip.Prefix // IPv4 and IPv6
}

// interfaces lists the interfaces of the calling thread's network namespace
// (net.Interfaces asks the kernel over netlink, from the current thread, so
// inside netns.Namespace.Do it sees that namespace).
func interfaces() ([]iface, error) {
	ifis, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]iface, 0, len(ifis))
	for _, ifi := range ifis {
		ifc := iface{
			name:     ifi.Name,
			up:       ifi.Flags&net.FlagUp != 0,
			loopback: ifi.Flags&net.FlagLoopback != 0,
			mtu:      ifi.MTU,
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ifi.Name, err)
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if !ok {
				continue
			}
			bits, _ := n.Mask.Size()
			ip = ip.Unmap()
			if ip.Is4() && bits > 32 {
				bits -= 96
			}
			ifc.addrs = append(ifc.addrs, netip.PrefixFrom(ip, bits))
		}
		out = append(out, ifc)
	}
	return out, nil
}

// v4 returns the interface's IPv4 prefixes.
func (i iface) v4() []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range i.addrs {
		if p.Addr().Is4() {
			ps = append(ps, p)
		}
	}
	return ps
}

// describe renders an interface for an error message: "eth0 (up,
// 10.0.0.5/24)".
func (i iface) describe() string {
	var parts []string
	if i.up {
		parts = append(parts, "up")
	} else {
		parts = append(parts, "down")
	}
	if i.loopback {
		parts = append(parts, "loopback")
	}
	v4 := i.v4()
	if len(v4) == 0 {
		parts = append(parts, "no IPv4 address")
	}
	for _, p := range v4 {
		parts = append(parts, p.String())
	}
	return i.name + " (" + strings.Join(parts, ", ") + ")"
}

func describeAll(ifs []iface) string {
	var s []string
	for _, i := range ifs {
		s = append(s, i.describe())
	}
	return strings.Join(s, "; ")
}

// where names the namespace tcpdial runs in, for messages.
func (c *tcpdialCmd) where() string {
	if c.Netns != "" {
		return "namespace " + c.Netns
	}
	return "this host"
}

// pickIface returns the interface named by -i, or the only non-loopback
// interface that is up.
func (c *tcpdialCmd) pickIface(ifs []iface) (iface, error) {
	if c.Iface != "" {
		for _, i := range ifs {
			if i.name != c.Iface {
				continue
			}
			switch {
			case i.loopback:
				return iface{}, cli.Usagef("-i %s: loopback is not an Ethernet link; name the interface that faces the peer", c.Iface)
			case !i.up:
				return iface{}, cli.Usagef("-i %s: the interface is down (ip link set %s up)", c.Iface, c.Iface)
			}
			return i, nil
		}
		return iface{}, cli.Usagef("-i %s: no such interface in %s; the interfaces are: %s", c.Iface, c.where(), describeAll(ifs))
	}
	var up []iface
	for _, i := range ifs {
		if i.up && !i.loopback {
			up = append(up, i)
		}
	}
	switch len(up) {
	case 1:
		return up[0], nil
	case 0:
		return iface{}, cli.Usagef("no interface is up in %s besides loopback (interfaces: %s); bring one up, or name it with -i", c.where(), describeAll(ifs))
	}
	return iface{}, cli.Usagef("-i IFACE is required: %d interfaces are up in %s besides loopback: %s", len(up), c.where(), describeAll(up))
}

// kernelOwner returns the interface whose address is a, if the kernel of
// this namespace owns a.
func kernelOwner(ifs []iface, a netip.Addr) (iface, bool) {
	for _, i := range ifs {
		for _, p := range i.addrs {
			if p.Addr() == a {
				return i, true
			}
		}
	}
	return iface{}, false
}

// sourcePrefix is -s with its prefix length: the one given, else that of
// the interface's IPv4 prefix containing the address, else that of its first
// IPv4 prefix, else /24.
func (c *tcpdialCmd) sourcePrefix(ifc iface) netip.Prefix {
	if c.bits >= 0 {
		return netip.PrefixFrom(c.source, c.bits)
	}
	v4 := ifc.v4()
	for _, p := range v4 {
		if p.Contains(c.source) {
			return netip.PrefixFrom(c.source, p.Bits())
		}
	}
	if len(v4) > 0 {
		return netip.PrefixFrom(c.source, v4[0].Bits())
	}
	return netip.PrefixFrom(c.source, 24)
}

// checkAddresses refuses a source address the kernel owns, a gateway off
// the link and a peer the stack could not reach.
func (c *tcpdialCmd) checkAddresses(ifs []iface, ifc iface, prefix netip.Prefix) error {
	if owner, ok := kernelOwner(ifs, c.source); ok {
		return cli.Usagef("-s %s: the kernel owns this address (on %s in %s). It would answer the peer's SYN-ACK "+
			"with a RST, since no kernel socket sent the SYN, and kill the connection. Use an address of %s that no "+
			"host on the link uses and no local interface holds (an unused address in the subnet), or run tcpdial "+
			"with --netns in a namespace whose kernel has no address on the link",
			c.Source, owner.name, c.where(), prefix.Masked())
	}
	if prefix.Bits() <= 30 {
		switch c.source {
		case prefix.Masked().Addr():
			return cli.Usagef("-s %s is the network address of %s, not one a host can use", c.source, prefix.Masked())
		case lastAddr(prefix):
			return cli.Usagef("-s %s is the broadcast address of %s, not one a host can use", c.source, prefix.Masked())
		}
	}
	if c.gw.IsValid() && !prefix.Contains(c.gw) {
		return cli.Usagef("-g %s is outside the stack's subnet %s: the gateway must be on the link", c.gw, prefix.Masked())
	}
	if !c.Listen {
		h := c.remote.Addr()
		switch {
		case h == c.source:
			return cli.Usagef("HOST %s is the stack's own address (-s)", h)
		case !prefix.Contains(h) && !c.gw.IsValid():
			return cli.Usagef("HOST %s is outside the stack's subnet %s and no gateway was given: add -g GATEWAY (a router on %s), or a -s prefix that contains HOST", h, prefix.Masked(), ifc.name)
		}
	}
	return nil
}

// lastAddr returns the last address of an IPv4 prefix (its broadcast
// address).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := binary.BigEndian.Uint32(a[:]) | host
	binary.BigEndian.PutUint32(a[:], v)
	return netip.AddrFrom4(a)
}

// inNamespace runs fn in the namespace of --netns (on a thread inside it),
// or right here without --netns.
func (c *tcpdialCmd) inNamespace(fn func() error) error {
	if c.Netns == "" {
		return fn()
	}
	if strings.ContainsRune(c.Netns, '/') || c.Netns == "." || c.Netns == ".." {
		return cli.Usagef("--netns %s: want the name of a namespace in /run/netns", c.Netns)
	}
	if _, err := os.Stat("/run/netns/" + c.Netns); err != nil {
		return cli.Usagef("--netns %s: no network namespace /run/netns/%s (list them with 'ip netns list')", c.Netns, c.Netns)
	}
	ns := netns.Namespace{Name: c.Netns}
	return ns.Do(fn)
}

// linkSetup is what openLink finds and opens.
type linkSetup struct {
	iface  iface
	prefix netip.Prefix
	link   *pcaplink.Link
}

// openLink picks the interface, checks the addresses against the kernel's
// and opens the capture link, all in the namespace tcpdial runs in: the
// handle stays there.
func (c *tcpdialCmd) openLink() (ls linkSetup, warn string, err error) {
	err = c.inNamespace(func() error {
		ifs, err := interfaces()
		if err != nil {
			return fmt.Errorf("listing the interfaces of %s: %w", c.where(), err)
		}
		ifc, err := c.pickIface(ifs)
		if err != nil {
			return err
		}
		prefix := c.sourcePrefix(ifc)
		if err := c.checkAddresses(ifs, ifc, prefix); err != nil {
			return err
		}
		if v4 := ifc.v4(); len(v4) > 0 && !slices.ContainsFunc(v4, func(p netip.Prefix) bool { return p.Contains(c.source) }) {
			warn = fmt.Sprintf("-s %s is outside the subnets of %s (%s); peers may not answer", c.source, ifc.name, describeAll([]iface{ifc}))
		}
		if c.MSS > ifc.mtu-40 {
			return cli.Usagef("--mss %d: %s has MTU %d, which carries segments of at most %d bytes", c.MSS, ifc.name, ifc.mtu, ifc.mtu-40)
		}
		l, err := pcaplink.Open(ifc.name, c.source, pcaplink.Options{})
		if err != nil {
			return fmt.Errorf("opening %s: %w", ifc.name, err)
		}
		ls = linkSetup{iface: ifc, prefix: prefix, link: l}
		return nil
	})
	return ls, warn, err
}
