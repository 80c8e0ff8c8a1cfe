package tcpstack

import (
	"net/netip"
	"time"

	"tcpregress.dev/tcpstack/header"
)

// ARP (RFC 826): the stack answers requests for its address, resolves the
// next hop of what it sends, and keeps a cache whose entries expire.

const (
	arpTries    = 3
	arpMaxQueue = 64 // packets held per unresolved neighbour
	// maxNeighbours bounds the neighbour cache, so that a flood of ARP
	// packets from ever new addresses (or of packets to them) cannot grow
	// it without end; Linux's gc_thresh3 has the same default.
	maxNeighbours = 1024
)

// queued is a packet waiting for ARP; tcp marks a segment of the stack's
// own connections, which is dropped if its connection is gone by the time
// the neighbour answers.
type queued struct {
	frame []byte
	tcp   bool
}

type neighbour struct {
	mac      header.MAC
	expires  time.Time
	resolved bool
	// While resolving: when to retry, how many requests went out, and
	// the IPv4 packets waiting (each with room for an Ethernet header).
	retryAt time.Time
	tries   int
	queue   []queued
	failed  time.Time // when resolution last failed
}

// inputARP handles an ARP packet. s.mu is held.
func (s *Stack) inputARP(b []byte, now time.Time) {
	p, err := header.ParseARP(b)
	if err != nil {
		return
	}
	senderIP, senderMAC := p.SenderIP(), p.SenderMAC()
	forUs := p.TargetIP() == s.addr
	// RFC 826 "merge flag": update an existing entry for the sender; add one
	// only when the packet is for us.
	if _, known := s.neigh[senderIP]; known || forUs {
		if s.cfg.Addr.Contains(senderIP) && senderIP != s.addr {
			s.learn(senderIP, senderMAC, now, true)
		}
	}
	if forUs && p.Op() == header.ARPRequest {
		f := s.frame[:header.EthernetLen]
		s.putEthernet(f, senderMAC, header.EtherTypeARP)
		f = header.AppendARP(f, &header.ARPFields{Op: header.ARPReply, SenderMAC: s.hw, SenderIP: s.addr, TargetMAC: senderMAC, TargetIP: senderIP})
		f = header.PadEthernet(f)
		s.link.Write(f)
		s.frame = f[:0]
	}
}

// learn records ip's MAC and sends what waited for it. fromARP is true for
// what ARP says (RFC826: it creates and updates entries). Any other packet
// from ip only refreshes an entry that already has the same MAC (RFC1122
// §2.3.2.1 lets "link-layer advice" validate an entry): a MAC in an IP
// packet's Ethernet header is covered by no checksum the stack can verify,
// so one bit error there (or a forged frame) must not redirect the
// neighbour's traffic.
func (s *Stack) learn(ip netip.Addr, mac header.MAC, now time.Time, fromARP bool) {
	n := s.neigh[ip]
	if !fromARP {
		if n != nil && n.resolved && n.mac == mac {
			n.expires = now.Add(s.cfg.ARPCacheTTL)
		}
		return
	}
	if n == nil {
		if !s.neighbourRoom() {
			return
		}
		n = &neighbour{}
		s.neigh[ip] = n
	}
	n.mac = mac
	n.resolved = true
	n.expires = now.Add(s.cfg.ARPCacheTTL)
	n.tries = 0
	queue := n.queue
	n.queue = nil
	for _, q := range queue {
		if q.tcp && s.stale(q.frame[header.EthernetLen:]) {
			continue
		}
		s.putEthernet(q.frame, n.mac, header.EtherTypeIPv4)
		s.link.Write(q.frame)
	}
}

// resolve returns the MAC of the next hop, or queues the packet f (which
// has room for the Ethernet header) and starts resolving.
func (s *Stack) resolve(hop netip.Addr, f []byte, fromConn bool) (header.MAC, bool) {
	now := s.now()
	n := s.neigh[hop]
	if n != nil && n.resolved && now.Before(n.expires) {
		return n.mac, true
	}
	if n == nil {
		if !s.neighbourRoom() {
			return header.MAC{}, false // dropped: the cache is full of resolutions under way
		}
		n = &neighbour{}
		s.neigh[hop] = n
	}
	if n.resolved {
		// Expired: queue until the neighbour answers again.
		n.resolved = false
		n.tries = 0
	}
	if len(n.queue) < arpMaxQueue {
		n.queue = append(n.queue, queued{append([]byte(nil), f...), fromConn})
	}
	if n.tries == 0 {
		s.sendARPRequest(hop)
		n.tries = 1
		n.retryAt = now.Add(s.cfg.ARPTimeout)
		select {
		case s.wakeTimer <- struct{}{}:
		default:
		}
	}
	return header.MAC{}, false
}

// neighbourRoom makes room for one more entry in the neighbour cache when
// it is full, by forgetting an entry that holds no waiting packets, the
// first in the map's random order (a resolved neighbour is asked again
// when next needed). It reports false when every entry is a resolution
// with packets waiting; those end within arpTries × ARPTimeout.
// s.mu is held.
func (s *Stack) neighbourRoom() bool {
	if len(s.neigh) < maxNeighbours {
		return true
	}
	for ip, n := range s.neigh {
		if len(n.queue) == 0 {
			delete(s.neigh, ip)
			return true
		}
	}
	return false
}

// sendARPRequest asks the link who has ip.
func (s *Stack) sendARPRequest(ip netip.Addr) {
	f := make([]byte, header.EthernetLen, header.EthernetMinFrameLen)
	s.putEthernet(f, header.BroadcastMAC, header.EtherTypeARP)
	f = header.AppendARP(f, &header.ARPFields{Op: header.ARPRequest, SenderMAC: s.hw, SenderIP: s.addr, TargetIP: ip})
	s.link.Write(header.PadEthernet(f))
}

// arpTick retries or gives up pending resolutions; it returns the next time
// it needs to run.
func (s *Stack) arpTick(now time.Time) (time.Time, bool) {
	var next time.Time
	for ip, n := range s.neigh {
		if n.resolved {
			if now.After(n.expires.Add(s.cfg.ARPCacheTTL)) {
				delete(s.neigh, ip)
			}
			continue
		}
		if n.tries == 0 {
			if len(n.queue) == 0 && now.Sub(n.failed) > s.cfg.ARPCacheTTL {
				delete(s.neigh, ip)
			}
			continue
		}
		if !now.Before(n.retryAt) {
			if n.tries >= arpTries {
				// Give up: drop what waited. TCP retransmissions will ask
				// again; connections still opening fail with EHOSTUNREACH.
				s.log.Debug().Str("ip", ip.String()).Msg("ARP resolution failed")
				n.queue = nil
				n.tries = 0
				n.failed = now
				s.unreachable(ip)
				continue
			}
			s.sendARPRequest(ip)
			n.tries++
			n.retryAt = now.Add(s.cfg.ARPTimeout)
		}
		if next.IsZero() || n.retryAt.Before(next) {
			next = n.retryAt
		}
	}
	return next, !next.IsZero()
}

// groupMAC returns the Ethernet address of an IPv4 destination that needs no
// ARP: a multicast group maps to 01:00:5e followed by the low 23 bits of
// the group's address (RFC 1112 §6.4); the limited broadcast
// 255.255.255.255 and the directed broadcast of subnet (its address with
// every host bit set, RFC 919 §7 and RFC 922 §7, for prefixes shorter than
// /31, which have no broadcast: RFC 3021) map to ff:ff:ff:ff:ff:ff (RFC 894).
// ok is false for every other address, whose MAC ARP resolves.
func groupMAC(dst netip.Addr, subnet netip.Prefix) (mac header.MAC, ok bool) {
	if !dst.Is4() {
		return header.MAC{}, false
	}
	if dst.IsMulticast() {
		return header.IPv4MulticastMAC(dst), true
	}
	a := dst.As4()
	if a == [4]byte{255, 255, 255, 255} {
		return header.BroadcastMAC, true
	}
	if bits := subnet.Bits(); subnet.Addr().Is4() && bits >= 0 && bits < 31 && subnet.Contains(dst) {
		host := ^uint32(0) >> bits
		if v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]); v&host == host {
			return header.BroadcastMAC, true
		}
	}
	return header.MAC{}, false
}

// stale reports whether an IPv4 packet holding one of our TCP segments
// belongs to a connection that no longer exists (a dial cancelled while ARP
// was resolving, say). Resets are never stale: they are how a peer learns
// that a connection is gone.
func (s *Stack) stale(pkt []byte) bool {
	h, err := header.ParseIPv4(pkt)
	if err != nil || h.Protocol() != header.IPProtocolTCP {
		return false
	}
	t, err := header.ParseTCP(h.Payload())
	if err != nil || t.Flags().Has(header.TCPFlagRST) {
		return false
	}
	_, live := s.conns[fourTuple{netip.AddrPortFrom(h.Src(), t.SrcPort()), netip.AddrPortFrom(h.Dst(), t.DstPort())}]
	return !live
}
