package tcpstack

import (
	"net"
	"net/netip"
	"time"
)

// ARP (RFC 826): the stack answers requests for its address, resolves the
// next hop of what it sends, and keeps a cache whose entries expire.

const (
	arpRequest  = 1
	arpReply    = 2
	arpTries    = 3
	arpMaxQueue = 64 // packets held per unresolved neighbour
)

type neighbour struct {
	mac      net.HardwareAddr
	expires  time.Time
	resolved bool
	// While resolving: when to retry, how many requests went out, and
	// the IPv4 packets waiting (each with room for an Ethernet header).
	retryAt time.Time
	tries   int
	queue   [][]byte
	failed  time.Time // when resolution last failed
}

func (s *Stack) inputARP(b []byte, now time.Time) {
	p, ok := parseARP(b)
	if !ok {
		return
	}
	forUs := p.targetIP == s.addr
	// RFC 826 "merge flag": update an existing entry for the sender; add one
	// only when the packet is for us.
	if _, known := s.neigh[p.senderIP]; known || forUs {
		if s.cfg.Addr.Contains(p.senderIP) && p.senderIP != s.addr {
			s.learn(p.senderIP, p.senderMAC, now, true)
		}
	}
	if forUs && p.op == arpRequest {
		f := s.frame[:ethHeaderLen]
		putEthernet(f, p.senderMAC, s.mac, etherTypeARP)
		f = appendARP(f, arpReply, s.mac, s.addr, p.senderMAC, p.senderIP)
		f = padFrame(f)
		s.link.Write(f)
		s.frame = f[:0]
	}
}

// learn records ip's MAC and sends what waited for it.
func (s *Stack) learn(ip netip.Addr, mac net.HardwareAddr, now time.Time, create bool) {
	n := s.neigh[ip]
	if n == nil {
		if !create {
			return
		}
		n = &neighbour{}
		s.neigh[ip] = n
	}
	n.mac = append(n.mac[:0], mac...)
	n.resolved = true
	n.expires = now.Add(s.cfg.ARPCacheTTL)
	n.tries = 0
	queue := n.queue
	n.queue = nil
	for _, f := range queue {
		putEthernet(f, n.mac, s.mac, etherTypeIPv4)
		s.link.Write(f)
	}
}

// resolve returns the MAC of the next hop, or queues the packet f (which
// has room for the Ethernet header) and starts resolving.
func (s *Stack) resolve(hop netip.Addr, f []byte) (net.HardwareAddr, bool) {
	now := s.now()
	n := s.neigh[hop]
	if n != nil && n.resolved && now.Before(n.expires) {
		return n.mac, true
	}
	if n == nil {
		n = &neighbour{}
		s.neigh[hop] = n
	}
	if n.resolved {
		// Expired: keep using the old address while asking again.
		n.resolved = false
		n.tries = 0
	}
	if len(n.queue) < arpMaxQueue {
		n.queue = append(n.queue, append([]byte(nil), f...))
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
	return nil, false
}

func (s *Stack) sendARPRequest(ip netip.Addr) {
	f := make([]byte, ethHeaderLen, 64)
	putEthernet(f, broadcastMAC, s.mac, etherTypeARP)
	f = appendARP(f, arpRequest, s.mac, s.addr, nil, ip)
	s.link.Write(padFrame(f))
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

// padFrame pads an Ethernet frame to the 60-byte minimum.
func padFrame(f []byte) []byte {
	for len(f) < 60 {
		f = append(f, 0)
	}
	return f
}
