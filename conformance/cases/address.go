package cases

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Address validation of incoming SYNs (RFC9293 §3.9.2.3, quoting RFC1122
// §4.2.3.10): "An incoming SYN with an invalid source address MUST be
// ignored either by TCP or by the IP layer [(MUST-63)] (see Section
// 3.2.1.3). A TCP implementation MUST silently discard an incoming SYN
// segment that is addressed to a broadcast or multicast address
// [(MUST-57)]." RFC1122 §3.2.1.3 lists broadcast and multicast addresses
// among those a host must not accept as a source.

func init() {
	register(suite.Case{ID: "handshake/syn-to-multicast-dropped", Title: "a SYN addressed to a multicast group is silently discarded",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-57"}}, synToMulticast)
	register(suite.Case{ID: "handshake/syn-to-broadcast-dropped", Title: "a SYN addressed to the limited or the subnet's broadcast address is silently discarded",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-57"}}, synToBroadcast)
	register(suite.Case{ID: "handshake/syn-from-multicast-ignored", Title: "a SYN from a multicast source address draws no SYN-ACK",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-63", "RFC1122 §3.2.1.3"}}, synFromMulticast)
	register(suite.Case{ID: "handshake/syn-from-broadcast-ignored", Title: "a SYN from the subnet's broadcast address draws no SYN-ACK",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-63", "RFC1122 §3.2.1.3"}}, synFromBroadcast)
}

// allHosts is the all-hosts group, of which every multicast host is a
// member (RFC1112 §4): a SYN to it reaches the target's IP layer.
var allHosts = netip.AddrFrom4([4]byte{224, 0, 0, 1})

// limitedBroadcast is 255.255.255.255 (RFC919 §7).
var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// subnetBroadcast is the directed broadcast address of the test link's
// subnet: every host bit set.
func (b *bench) subnetBroadcast() netip.Addr {
	p := b.p.Stack().Prefix().Masked()
	a := p.Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) | ^uint32(0)>>p.Bits()
	binary.BigEndian.PutUint32(a[:], v)
	return netip.AddrFrom4(a)
}

// listenAny makes the target listen on the case's port on every address,
// so that a SYN to a group or broadcast address would match the listener.
func (b *bench) listenAny() agent.FD {
	fd := b.socket()
	if err := b.a.Bind(b.ctx, fd, netip.AddrPortFrom(netip.IPv4Unspecified(), b.port)); err != nil {
		b.agentErr("bind", err)
	}
	if err := b.a.Listen(b.ctx, fd, 4); err != nil {
		b.agentErr("listen", err)
	}
	return fd
}

// controlSYN shows that the listener answers the same SYN sent to the
// target's own address from the probe's (so the silence before was the
// target's choice), then resets the half-open connection.
func (b *bench) controlSYN() {
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1000, Flags: fSYN, Window: 65535, Options: probe.MSS(1460), IP: probe.IPFields{Dst: b.addr}})
	if _, err := b.p.Expect(wait, probe.And(probe.From(b.at(b.port)), probe.HasFlags(fSYN|fACK))); err != nil {
		b.Brokenf("control: the listener does not answer a SYN to its own address: %v", err)
	}
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1001, Flags: fRST, IP: probe.IPFields{Dst: b.addr}})
}

// synToGroups sends a SYN to each of dsts and shows that none is answered:
// any reply would go to the probe's address, the SYN's source.
func (b *bench) synToGroups(dsts ...netip.Addr) {
	b.listenAny()
	for i, dst := range dsts {
		if err := b.p.Send(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: tcp.Value(1000 + 100*i), Flags: fSYN, Window: 65535,
			Options: probe.MSS(1460), IP: probe.IPFields{Dst: dst}}); err != nil {
			b.Brokenf("the bench cannot send to %v: %v", dst, err)
		}
		b.Logf("sent a SYN to %v", dst)
	}
	if f, err := b.p.Expect(time.Second, probe.And(probe.To(netip.AddrPortFrom(b.p.Addr(), b.port)), probe.TCP)); err == nil {
		b.Fatalf("the target answered a SYN sent to %v: %v", dsts, &f)
	}
	b.controlSYN()
}

// synToMulticast: RFC9293 MUST-57. A SYN to the all-hosts group 224.0.0.1
// (Ethernet 01:00:5e:00:00:01) draws no answer; the same SYN to the
// target's address does (control).
func synToMulticast(t *T) { newBench(t).synToGroups(allHosts) }

// synToBroadcast: RFC9293 MUST-57. SYNs to 255.255.255.255 and to the
// subnet's directed broadcast (both to Ethernet ff:ff:ff:ff:ff:ff) draw no
// answer; the same SYN to the target's address does (control).
func synToBroadcast(t *T) {
	b := newBench(t)
	b.synToGroups(limitedBroadcast, b.subnetBroadcast())
}

// synFromInvalid: a SYN from src, an address a host must not accept as a
// source, to the target's listener is ignored: the target sends nothing
// toward src, neither a SYN-ACK (to src's multicast or broadcast MAC) nor
// an ARP request for it. The probe cannot receive at src, so a capture of
// what the target sends on the link shows the silence; it must see the
// SYN-ACK to the control SYN from the probe's own address, or it proves
// nothing. Without such a capture (a remote target) the case is SKIP.
func (b *bench) synFromInvalid(src netip.Addr) {
	b.listen(b.port)
	filter := fmt.Sprintf("arp or (ip src host %s and (ip dst host %s or ip dst host %s))", b.addr, src, b.p.Addr())
	capture, ok := b.CaptureLink(filter)
	if !ok {
		b.Skipf("the bench cannot watch what the target sends on its link (a remote target): a reply to %v never reaches the probe, so its absence cannot be shown", src)
	}
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 5000, Flags: fSYN, Window: 65535,
		Options: probe.MSS(1460), IP: probe.IPFields{Src: src, Dst: b.addr}})
	b.Logf("sent a SYN from %v to %v", src, b.at(b.port))
	// A SYN-ACK goes out at once; a retransmitted one after about 1 s.
	time.Sleep(1500 * time.Millisecond)
	b.controlSYN()
	time.Sleep(200 * time.Millisecond) // the control SYN-ACK reaches the capture
	frames, err := capture.Stop()
	if err != nil {
		b.Brokenf("capture of the target's link: %v", err)
	}
	control := false
	var toSrc []string
	for _, f := range frames {
		switch dst, what := linkFrameDst(f.Data); {
		case dst == src:
			toSrc = append(toSrc, what)
		case dst == b.p.Addr() && strings.HasPrefix(what, "IPv4"):
			control = true
		}
	}
	b.Logf("the capture of the target's link saw %d frame(s)", len(frames))
	if len(toSrc) > 0 {
		b.Fatalf("the target answered a SYN from %v: %s", src, strings.Join(toSrc, "; "))
	}
	if !control {
		b.Brokenf("the capture of the target's link did not see the SYN-ACK to the control SYN: it cannot show the silence")
	}
}

// linkFrameDst returns the IPv4 address an Ethernet frame the target sent
// is meant for (an IPv4 packet's destination, an ARP request's target
// address) and a description of the frame.
func linkFrameDst(eth []byte) (netip.Addr, string) {
	if len(eth) < 14 {
		return netip.Addr{}, "runt frame"
	}
	mac := fmt.Sprintf("%x:%x:%x:%x:%x:%x", eth[0], eth[1], eth[2], eth[3], eth[4], eth[5])
	p := eth[14:]
	switch binary.BigEndian.Uint16(eth[12:14]) {
	case 0x0800:
		if len(p) >= 20 {
			dst := netip.AddrFrom4([4]byte(p[16:20]))
			return dst, fmt.Sprintf("IPv4 to %v (%s), protocol %d", dst, mac, p[9])
		}
	case 0x0806:
		if len(p) >= 28 && binary.BigEndian.Uint16(p[6:8]) == 1 {
			tpa := netip.AddrFrom4([4]byte(p[24:28]))
			return tpa, fmt.Sprintf("ARP who-has %v", tpa)
		}
	}
	return netip.Addr{}, "other frame to " + mac
}

// synFromMulticast: RFC9293 MUST-63. A SYN from 224.0.0.5 is ignored.
func synFromMulticast(t *T) { newBench(t).synFromInvalid(netip.AddrFrom4([4]byte{224, 0, 0, 5})) }

// synFromBroadcast: RFC9293 MUST-63. A SYN from the subnet's directed
// broadcast address is ignored.
func synFromBroadcast(t *T) {
	b := newBench(t)
	b.synFromInvalid(b.subnetBroadcast())
}
