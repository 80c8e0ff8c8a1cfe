package tcpstack

import (
	"errors"
	"fmt"
	"time"

	"tcpregress.dev/tcpstack/header"
)

// Raw access for test benches (tcpstack/probe): a handler that sees IPv4
// packets addressed to the stack before the stack does, and a way to send an
// IPv4 packet built byte by byte, with the stack's ARP resolving the next
// hop and answering for its address.

// RawHandler gets every well-formed IPv4 packet addressed to the stack, IP
// header included, with the time it was read. It
// returns true to consume the packet, false to let the stack handle it. The
// bytes are valid only during the call. It runs with the stack locked: it
// must not call the stack's methods.
type RawHandler func(pkt []byte, now time.Time) bool

// SetRawHandler installs h (nil removes it).
func (s *Stack) SetRawHandler(h RawHandler) {
	s.mu.Lock()
	defer s.unlock()
	s.raw = h
}

// WriteIPv4 sends pkt, a complete IPv4 packet (header and checksums as the
// caller made them, right or wrong), to its destination's next hop. The
// stack resolves the hop's MAC with ARP first, queueing pkt meanwhile. A
// packet to a multicast group or to a broadcast address (the limited
// broadcast, or the directed broadcast of the stack's subnet) goes out at
// once, without ARP, to the group's Ethernet multicast address (RFC 1112
// §6.4) or to ff:ff:ff:ff:ff:ff (RFC 894, RFC 919): what a test bench
// needs to show that a peer drops a segment sent to such an address.
func (s *Stack) WriteIPv4(pkt []byte) error {
	// Only the version and the destination are read: a test bench may send
	// any header length, total length or checksum.
	if len(pkt) < header.IPv4MinLen || header.IPv4(pkt).Version() != 4 {
		return errors.New("tcpstack: WriteIPv4: not an IPv4 packet")
	}
	if len(pkt) > s.mtu {
		return fmt.Errorf("tcpstack: WriteIPv4: %d-byte packet exceeds the MTU of %d", len(pkt), s.mtu)
	}
	dst := header.IPv4(pkt).Dst()
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return ErrStackClosed
	}
	if mac, ok := groupMAC(dst, s.cfg.Addr); ok {
		f := append(s.frame[:header.EthernetLen], pkt...)
		s.putEthernet(f, mac, header.EtherTypeIPv4)
		err := s.link.Write(f)
		s.frame = f[:0]
		if err != nil {
			return fmt.Errorf("tcpstack: WriteIPv4 to %s: %w", dst, err)
		}
		return nil
	}
	if !s.nextHopReachable(dst) {
		return fmt.Errorf("tcpstack: WriteIPv4: no route to %s (not on %s and no gateway)", dst, s.cfg.Addr.Masked())
	}
	f := append(s.frame[:header.EthernetLen], pkt...)
	s.sendIP(dst, f, false)
	s.frame = f[:0]
	return nil
}
