package cases

import (
	"net/netip"
	"time"

	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/probe"
)

// ICMP (RFC9293 §3.9.2.2, RFC1122 §4.2.3.9, RFC1191): errors about the
// target's segments, sent as a router on the path would.

func init() {
	registerCase("icmp/frag-needed-lowers-segment-size", "fragmentation needed with a next-hop MTU makes the target resend in smaller segments", suite.MUST,
		[]string{"RFC9293 MUST-54", "RFC1191 §6.1", "RFC9293 SHLD-6"}, fragNeeded)
	registerCase("icmp/source-quench-ignored", "source quench is silently discarded", suite.MUST,
		[]string{"RFC9293 MUST-55", "RFC6633 §2"}, func(t *T) { softError(t, header.ICMPv4SourceQuench, 0) })
	registerCase("icmp/time-exceeded-no-abort", "time exceeded does not abort the connection", suite.MUST,
		[]string{"RFC9293 MUST-56"}, func(t *T) { softError(t, header.ICMPv4TimeExceeded, 0) })
	registerCase("icmp/parameter-problem-no-abort", "parameter problem does not abort the connection", suite.MUST,
		[]string{"RFC9293 MUST-56"}, func(t *T) { softError(t, header.ICMPv4ParamProblem, 0) })
	registerCase("icmp/host-unreachable-no-abort", "host unreachable (a soft error) does not abort an established connection", suite.SHOULD,
		[]string{"RFC9293 SHLD-25", "RFC1122 §4.2.3.9"}, func(t *T) { softError(t, header.ICMPv4DstUnreachable, header.ICMPv4HostUnreachable) })
}

// icmpAbout builds an ICMP error from src to the target dst quoting the IP
// header and first 8 octets of the target's segment f (RFC 792, RFC 1122
// §3.2.2); rest is the "rest of header" word.
func icmpAbout(src, dst netip.Addr, typ header.ICMPv4Type, code uint8, rest uint32, f probe.Frame) []byte {
	msg := header.ICMPv4Fields{Type: typ, Code: code, Rest: rest,
		Payload: f.Raw[:min(len(f.Raw), f.IP.HeaderLen+8)]}
	pkt := header.AppendIPv4(nil, &header.IPv4Fields{TTL: 64, Protocol: header.IPProtocolICMP,
		Src: src, Dst: dst, PayloadLen: msg.Len()})
	return header.AppendICMPv4(pkt, &msg)
}

// fragNeeded: RFC9293 MUST-54, RFC1191 §6.1. Fragmentation needed, quoting the target's
// segment, with an MTU 200 octets below it: the segment is resent within that MTU.
func fragNeeded(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.writeAsync(fd, pattern(4000, 'M'))
	f := s.expectMatch(c, data, "a full-sized segment")
	if !f.IP.DF {
		s.Unsupported("the target does not set DF: no path MTU discovery")
	}
	mtu := f.IP.TotalLen - 200
	if mtu < 576 {
		s.Skipf("the target's segments (%d octets) are too small to lower", f.IP.TotalLen)
	}
	s.sendICMP(header.ICMPv4DstUnreachable, header.ICMPv4FragmentationNeeded, uint32(mtu), f)
	g := s.expectMatch(c, probe.And(data, probe.Seq(f.TCP.Seq)), "the segment resent")
	if g.IP.TotalLen > mtu {
		s.Fatalf("resent segment of %d octets, the path MTU is %d", g.IP.TotalLen, mtu)
	}
}

// sendICMP sends the target an ICMP error of type typ and code about its
// segment f, as a router on the path would.
func (s *session) sendICMP(typ header.ICMPv4Type, code uint8, rest uint32, f probe.Frame) {
	if err := s.probe.SendIPv4(icmpAbout(s.probe.Addr(), s.target, typ, code, rest, f)); err != nil {
		s.Brokenf("probe: send ICMP: %v", err)
	}
}

// softError sends an ICMP error about the target's last segment and shows
// the connection still carries data both ways.
func softError(t *T, typ header.ICMPv4Type, code uint8) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.write(fd, "before")
	f := s.expectData(c, "P. 1:7(6) ack 1", "before")
	s.send(c, ". 1:1(0) ack 7")
	s.sendICMP(typ, code, 0, f)
	s.sendData(c, "P. 1:6(5) ack 7", "still")
	s.readExpect(fd, "still")
	s.write(fd, "after")
	if _, err := c.Expect(probe.And(data, probe.Payload([]byte("after")))); err != nil {
		s.Fatalf("after ICMP %d/%d the target sent no more data: %v", typ, code, err)
	}
}

func init() {
	register(suite.Case{ID: "icmp/port-unreachable-aborts-syn-sent", Title: "port unreachable for a SYN (a hard error) ends the connection attempt",
		Level: suite.SHOULD, Requirements: []string{"RFC1122 §4.2.3.9", "RFC9293 MUST-54"}}, portUnreachable)
}

// portUnreachable: RFC1122 §4.2.3.9. Destination unreachable codes 2-4 are hard
// errors: the target's connect fails at once instead of retransmitting its SYN.
func portUnreachable(t *T) {
	s := newSession(t)
	_, _, done, syn := s.synSent(probe.ConnConfig{}, nil)
	s.sendICMP(header.ICMPv4DstUnreachable, header.ICMPv4PortUnreachable, 0, syn)
	select {
	case err := <-done:
		if err == nil {
			s.Fatalf("connect succeeded after port unreachable")
		}
		s.Logf("connect: %v", err)
	case <-time.After(2500 * time.Millisecond):
		s.Fatalf("connect still pending 2.5 s after port unreachable")
	}
}
