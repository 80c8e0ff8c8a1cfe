package cases

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/header"
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
func (s *session) subnetBroadcast() netip.Addr {
	p := s.probe.Stack().Prefix().Masked()
	a := p.Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) | ^uint32(0)>>p.Bits()
	binary.BigEndian.PutUint32(a[:], v)
	return netip.AddrFrom4(a)
}

// listenAny makes the target listen on the case's port on every address,
// so that a SYN to a group or broadcast address would match the listener.
func (s *session) listenAny() agent.FD {
	fd := s.socket()
	s.bind(fd, netip.AddrPortFrom(netip.IPv4Unspecified(), s.port))
	if err := s.agent.Listen(s.ctx, fd, 4); err != nil {
		s.agentFailed("listen", err)
	}
	return fd
}

// controlSYN shows that the listener answers the same SYN sent to the
// target's own address from the probe's (so the silence before was the
// target's choice), then resets the half-open connection.
func (s *session) controlSYN() {
	c := s.newConn(probe.ConnConfig{ISS: 1000})
	s.send(c, "S 0:0(0) win 65535 <mss 1460>")
	if _, err := c.Expect(probe.HasFlags(tcp.FlagSYN | tcp.FlagACK)); err != nil {
		s.Brokenf("control: the listener does not answer a SYN to its own address: %v", err)
	}
	s.send(c, "R 1:1(0)")
}

// synToGroups sends a SYN to each of dsts and shows that none is answered:
// any reply would go to the probe's address, the SYN's source. (Segment
// literals: a line goes to the target's own address.)
func (s *session) synToGroups(dsts ...netip.Addr) {
	s.listenAny()
	for i, dst := range dsts {
		if err := s.probe.Send(probe.Segment{SrcPort: s.port, DstPort: s.port, Seq: tcp.Value(1000 + 100*i), Flags: tcp.FlagSYN, Window: 65535,
			Options: synOpts("mss 1460"), IP: probe.IPFields{Dst: dst}}); err != nil {
			s.Brokenf("the bench cannot send to %v: %v", dst, err)
		}
		s.Logf("sent a SYN to %v", dst)
	}
	if f, err := s.probe.Expect(time.Second, probe.And(probe.To(s.probeAt(s.port)), probe.TCP)); err == nil {
		s.Fatalf("the target answered a SYN sent to %v: %v", dsts, &f)
	}
	s.controlSYN()
}

// synToMulticast: RFC9293 MUST-57. A SYN to the all-hosts group 224.0.0.1
// (Ethernet 01:00:5e:00:00:01) draws no answer; the same SYN to the
// target's address does (control).
func synToMulticast(t *T) { newSession(t).synToGroups(allHosts) }

// synToBroadcast: RFC9293 MUST-57. SYNs to 255.255.255.255 and to the
// subnet's directed broadcast (both to Ethernet ff:ff:ff:ff:ff:ff) draw no
// answer; the same SYN to the target's address does (control).
func synToBroadcast(t *T) {
	s := newSession(t)
	s.synToGroups(limitedBroadcast, s.subnetBroadcast())
}

// synFromInvalid: a SYN from src, an address a host must not accept as a
// source, to the target's listener is ignored: the target sends nothing
// toward src, neither a SYN-ACK (to src's multicast or broadcast MAC) nor
// an ARP request for it. The probe cannot receive at src, so a capture of
// what the target sends on the link shows the silence; it must see the
// SYN-ACK to the control SYN from the probe's own address, or it proves
// nothing. Without such a capture (a remote target) the case is SKIP. (A
// segment literal: a line comes from the probe's own address.)
func (s *session) synFromInvalid(src netip.Addr) {
	s.listen(s.port)
	filter := fmt.Sprintf("arp or (ip src host %s and (ip dst host %s or ip dst host %s))", s.target, src, s.probe.Addr())
	capture, ok := s.CaptureLink(filter)
	if !ok {
		s.Skipf("the bench cannot watch what the target sends on its link (a remote target): a reply to %v never reaches the probe, so its absence cannot be shown", src)
	}
	s.sendRaw(probe.Segment{SrcPort: s.port, DstPort: s.port, Seq: 5000, Flags: tcp.FlagSYN, Window: 65535,
		Options: synOpts("mss 1460"), IP: probe.IPFields{Src: src, Dst: s.target}})
	s.Logf("sent a SYN from %v to %v", src, s.targetAt(s.port))
	// A SYN-ACK goes out at once; a retransmitted one after about 1 s.
	time.Sleep(1500 * time.Millisecond)
	s.controlSYN()
	time.Sleep(200 * time.Millisecond) // the control SYN-ACK reaches the capture
	frames, err := capture.Stop()
	if err != nil {
		s.Brokenf("capture of the target's link: %v", err)
	}
	control := false
	var toSrc []string
	for _, f := range frames {
		switch dst, what := linkFrameDst(f.Data); {
		case dst == src:
			toSrc = append(toSrc, what)
		case dst == s.probe.Addr() && strings.HasPrefix(what, "IPv4"):
			control = true
		}
	}
	s.Logf("the capture of the target's link saw %d frame(s)", len(frames))
	if len(toSrc) > 0 {
		s.Fatalf("the target answered a SYN from %v: %s", src, strings.Join(toSrc, "; "))
	}
	if !control {
		s.Brokenf("the capture of the target's link did not see the SYN-ACK to the control SYN: it cannot show the silence")
	}
}

// linkFrameDst returns the IPv4 address an Ethernet frame the target sent
// is meant for (an IPv4 packet's destination, an ARP request's target
// address) and a description of the frame.
func linkFrameDst(frame []byte) (netip.Addr, string) {
	eth, err := header.ParseEthernet(frame)
	if err != nil {
		return netip.Addr{}, "runt frame"
	}
	mac := eth.Dst().String()
	switch eth.EtherType() {
	case header.EtherTypeIPv4:
		if ip, err := header.ParseIPv4(eth.Payload()); err == nil {
			return ip.Dst(), fmt.Sprintf("IPv4 to %v (%s), protocol %d", ip.Dst(), mac, ip.Protocol())
		}
	case header.EtherTypeARP:
		if a, err := header.ParseARP(eth.Payload()); err == nil && a.Op() == header.ARPRequest {
			return a.TargetIP(), fmt.Sprintf("ARP who-has %v", a.TargetIP())
		}
	}
	return netip.Addr{}, "other frame to " + mac
}

// synFromMulticast: RFC9293 MUST-63. A SYN from 224.0.0.5 is ignored.
func synFromMulticast(t *T) { newSession(t).synFromInvalid(netip.AddrFrom4([4]byte{224, 0, 0, 5})) }

// synFromBroadcast: RFC9293 MUST-63. A SYN from the subnet's directed
// broadcast address is ignored.
func synFromBroadcast(t *T) {
	s := newSession(t)
	s.synFromInvalid(s.subnetBroadcast())
}
