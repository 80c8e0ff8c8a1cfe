package tcpstack

import (
	"net/netip"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

// ICMP (RFC 792): echo requests are answered; destination-unreachable
// messages are delivered to the connection they quote (RFC1122 §4.2.3.9):
// fragmentation-needed lowers its MSS (RFC1191); protocol and port
// unreachable (hard errors) abort a connection in SYN-SENT; the others, and
// all of them for a synchronized connection, are soft errors that do not
// abort it and explain a later timeout.

// inputICMP handles the ICMP message in the IPv4 packet h. s.mu is held.
func (s *Stack) inputICMP(h header.IPv4, now time.Time) {
	m, err := header.ParseICMPv4(h.Payload())
	if err != nil || !m.IsChecksumValid() {
		return
	}
	switch m.Type() {
	case header.ICMPv4Echo:
		// The reply carries the request's identifier, sequence number and
		// data (RFC 792, "Echo or Echo Reply Message").
		ip := header.IPv4Fields{TTL: defaultTTL, Protocol: header.IPProtocolICMP, Src: s.addr, Dst: h.Src(), PayloadLen: len(m)}
		off := header.EthernetLen + ip.HeaderLen()
		f := header.AppendICMPv4(s.frame[:off], &header.ICMPv4Fields{Type: header.ICMPv4EchoReply, Rest: m.Rest(), Payload: m.Payload()})
		s.putIPv4(f[header.EthernetLen:], ip)
		s.sendIP(ip.Dst, f, false)
		s.frame = f[:0]
	case header.ICMPv4DstUnreachable:
		s.inputUnreachable(m, now)
	}
}

// inputUnreachable delivers a destination-unreachable message to the
// connection whose segment it quotes. s.mu is held.
func (s *Stack) inputUnreachable(m header.ICMPv4, now time.Time) {
	code := m.Code()
	// The quoted datagram: its IP header and at least 8 bytes of TCP, the
	// ports and the sequence number.
	q, err := m.Quote()
	if err != nil || q.Protocol() != header.IPProtocolTCP || q.Src() != s.addr {
		return
	}
	t := header.TCP(q[q.HeaderLen():])
	if len(t) < 8 {
		return
	}
	local := netip.AddrPortFrom(q.Src(), t.SrcPort())
	remote := netip.AddrPortFrom(q.Dst(), t.DstPort())
	c := s.conns[fourTuple{local, remote}]
	if c == nil {
		return
	}
	// RFC5927 §4.1: accept the message only if the quoted sequence number
	// is in flight, so a blind attacker cannot lower the MSS or inject
	// errors.
	seq := tcp.Value(t.Seq())
	info := c.tcb.Info()
	if seq.LessThan(info.SndUna) || info.SndMax.LessThan(seq) {
		s.log.Debug().Str("conn", local.String()).Msg("ignored an ICMP error quoting a sequence number not in flight")
		return
	}
	if code == header.ICMPv4FragmentationNeeded {
		// RFC 1191 §4: the next-hop MTU; 68 is the smallest an IPv4 link
		// may have (RFC 791).
		mtu := int(m.MTU())
		if mtu < 68 {
			return
		}
		if c.tcb.SetPathMTU(mtu) {
			s.log.Debug().Str("conn", local.String()).Int("mtu", mtu).Msg("path MTU lowered")
			s.flush(c, now)
		}
		return
	}
	// Soft errors (RFC1122 §4.2.3.9, RFC5461): recorded, not fatal.
	switch code {
	case header.ICMPv4NetUnreachable, header.ICMPv4NetUnknown, header.ICMPv4NetUnreachableForTOS:
		c.softErr = syscall.ENETUNREACH
	case header.ICMPv4ProtocolUnreachable:
		c.softErr = syscall.ENOPROTOOPT
	case header.ICMPv4PortUnreachable:
		c.softErr = syscall.ECONNREFUSED
	default:
		c.softErr = syscall.EHOSTUNREACH
	}
	// RFC1122 §4.2.3.9: "Destination Unreachable -- codes 2-4: These are
	// hard error conditions, so TCP SHOULD abort the connection" (code 4 is
	// handled above). A connection attempt is aborted; a synchronized
	// connection keeps the soft-error treatment RFC5461 §4 recommends
	// against forged ICMP. The quoted sequence number was checked above.
	if (code == header.ICMPv4ProtocolUnreachable || code == header.ICMPv4PortUnreachable) && c.tcb.State() == tcp.StateSynSent {
		c.err = c.softErr
		c.tcb.Abort()
		s.flush(c, now)
		s.remove(c)
		c.terminate(c.softErr)
	}
}
