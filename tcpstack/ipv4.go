package tcpstack

import (
	"net/netip"
	"time"

	"tcpregress.dev/tcpstack/header"
)

// IPv4 (RFC 791, RFC 1122 §3): packets in are checked (version, lengths,
// header checksum), offered to the raw handler, and handed to TCP or ICMP;
// packets out get a header with DF set and go to their next hop, on the
// subnet or through the gateway. Source routes are in route.go.

// defaultTTL is the time-to-live of the stack's packets unless a connection
// or listener sets another (RFC 1122 §3.2.1.7; Linux's default).
const defaultTTL = 64

// inputIPv4 handles an IPv4 packet from the neighbour srcMAC. s.mu is held.
func (s *Stack) inputIPv4(srcMAC header.MAC, b []byte, now time.Time) {
	h, err := header.ParseIPv4(b)
	if err != nil || !h.IsChecksumValid() {
		s.log.Debug().Msg("dropped a malformed IPv4 packet")
		return
	}
	if h.Dst() != s.addr {
		return
	}
	// Ethernet pads short frames: the packet ends at its total length.
	h = h[:h.TotalLen()]
	if s.raw != nil && s.raw(h, s.arrived) {
		return
	}
	src := h.Src()
	if _, group := groupMAC(src, s.cfg.Addr); group {
		// RFC1122 §3.2.1.3: a broadcast or multicast address "MUST NOT be
		// used as a source address", and "A host MUST silently discard an
		// incoming datagram containing an IP source address that is invalid
		// by the rules of this section". For TCP this is RFC9293 MUST-63:
		// a SYN from such a source is not answered.
		s.log.Debug().Str("src", src.String()).Msg("dropped a packet from a broadcast or multicast source")
		return
	}
	if h.IsFragment() {
		// Fragments are dropped cleanly: the stack sets DF on everything it
		// sends and lowers its MSS on ICMP fragmentation-needed, so peers
		// using path MTU discovery never fragment toward it.
		s.log.Debug().Str("src", src.String()).Uint16("id", h.ID()).Msg("dropped an IPv4 fragment")
		return
	}
	// A packet from a neighbour refreshes what we know of its address.
	if s.cfg.Addr.Contains(src) {
		s.learn(src, srcMAC, now, false)
	}
	switch h.Protocol() {
	case header.IPProtocolTCP:
		s.inputTCP(h, now)
	case header.IPProtocolICMP:
		s.inputICMP(h, now)
	}
}

// putIPv4 writes the IPv4 header of a packet the stack sends into b, from f
// with the next identification and DF set: the stack never fragments, it
// lowers its MSS on fragmentation-needed (RFC 1191). s.mu is held.
func (s *Stack) putIPv4(b []byte, f header.IPv4Fields) {
	s.ipID++
	f.ID, f.DF = s.ipID, true
	header.IPv4(b).Encode(&f)
}

// sendIP sends an IPv4 packet already laid out after room for an Ethernet
// header in f, resolving the next hop's MAC first. s.mu is held.
func (s *Stack) sendIP(dst netip.Addr, f []byte, fromConn bool) {
	hop := dst
	if !s.cfg.Addr.Contains(dst) {
		if !s.cfg.Gateway.IsValid() {
			return
		}
		hop = s.cfg.Gateway
	}
	mac, ok := s.resolve(hop, f, fromConn)
	if !ok {
		return // queued until ARP answers
	}
	s.putEthernet(f, mac, header.EtherTypeIPv4)
	if err := s.link.Write(f); err != nil && !s.closed {
		s.log.Debug().Err(err).Msg("link write failed")
	}
}

// nextHopReachable reports whether dst can be routed to at all.
func (s *Stack) nextHopReachable(dst netip.Addr) bool {
	return s.cfg.Addr.Contains(dst) || s.cfg.Gateway.IsValid()
}
