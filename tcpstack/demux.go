package tcpstack

import (
	"net/netip"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

// TCP over IPv4: segments in are demultiplexed by their 4-tuple to a
// connection, or by their port to a listener, or answered with a reset;
// segments out are what a connection's engine emits (flush), wrapped in
// IPv4 and Ethernet (sendSegment). The table of connections is s.conns.

// inputTCP hands the segment in the IPv4 packet h to its connection, to the
// listener of its port, or answers it with a reset. s.mu is held.
func (s *Stack) inputTCP(h header.IPv4, now time.Time) {
	src, dst, b := h.Src(), h.Dst(), h.Payload()
	if !tcp.VerifyChecksum(src, dst, b) {
		s.badTCPSum.Add(1)
		s.log.Debug().Str("src", src.String()).Msg("dropped a TCP segment with a bad checksum")
		return
	}
	seg, err := tcp.Parse(b)
	if err != nil {
		s.log.Debug().Err(err).Msg("dropped a malformed TCP segment")
		return
	}
	if e := s.log.Trace(); e.Enabled() {
		logSegment(e, src, dst, &seg).Msg("in")
	}
	local := netip.AddrPortFrom(dst, seg.DstPort)
	remote := netip.AddrPortFrom(src, seg.SrcPort)
	// A completed IP source route in a SYN is saved as the connection's
	// return route (RFC9293 MUST-53, RFC1122 §4.2.3.8). Only SYNs set it:
	// RFC1122's "If a different source route arrives in a later segment,
	// the later definition SHOULD override the earlier one" is not
	// followed, since any off-path host could then redirect an established
	// connection with one forged segment (RFC7126 §4.3 and §4.4, on LSRR
	// and SSRR, advise dropping such datagrams outright; see also RFC6274).
	var route *sourceRoute
	if opts := h.Options(); seg.Flags&tcp.FlagSYN != 0 && len(opts) > 0 {
		route, _ = returnRoute(src, opts)
	}
	if c := s.conns[fourTuple{local, remote}]; c != nil {
		if route != nil && c.tcb.State() == tcp.StateSynSent && !c.appRoute {
			c.setRoute(route)
		}
		c.tcb.Input(seg, now)
		// RFC9293 §3.10.7.4: "the processing of received segments MUST be
		// implemented to aggregate ACK segments whenever possible (MUST-58).
		// For example, if the TCP endpoint is processing a series of queued
		// segments, it MUST process them all before sending any ACK segments
		// (MUST-59)." A batch from the link is such a series: a connection's
		// output (its ACK, and the data the ACKs in the batch let it send)
		// waits for the end of the batch. Segments with SYN, FIN or RST, or
		// that changed the state (a closed connection must leave the table
		// before the batch's next segment for its addresses), or whose
		// duplicate ACK a peer without SACK counts, are answered at once.
		// Segments arriving one at a time are still acknowledged every
		// second one (SHLD-19).
		if !s.batch || seg.Flags&(tcp.FlagSYN|tcp.FlagFIN|tcp.FlagRST) != 0 || c.tcb.OutputDue() {
			s.flush(c, now)
			return
		}
		if !c.deferred {
			c.deferred = true
			s.deferred = append(s.deferred, c)
		}
		return
	}
	if l := s.listeners[seg.DstPort]; l != nil {
		s.inputListener(l, seg, local, remote, route, now)
		return
	}
	// RFC9293 §3.10.7.1: a segment for a connection that does not exist
	// draws a reset, unless it is one.
	if rst, ok := tcp.ResetFor(seg); ok {
		s.sendSegment(local.Addr(), remote.Addr(), &rst, 0)
	}
}

// inputListener hands a segment that matches no connection to the listener
// of its port. s.mu is held.
func (s *Stack) inputListener(l *Listener, seg tcp.Segment, local, remote netip.AddrPort, route *sourceRoute, now time.Time) {
	ctl := seg.Flags & (tcp.FlagSYN | tcp.FlagACK | tcp.FlagRST)
	ttl := l.ttl
	if ttl == 0 {
		ttl = defaultTTL
	}
	if ctl == tcp.FlagSYN && l.pending >= s.cfg.Backlog {
		// RFC9293 §3.10.7.2 leaves a full queue to the implementation.
		if s.cfg.DisableSYNCookies || len(l.queue) >= s.cfg.Backlog {
			// Like Linux without SYN cookies, or with an accept queue
			// full of established connections (whose SYN cookies would
			// only make more): drop the SYN and let the peer retransmit.
			s.log.Debug().Str("listener", l.addr.String()).Msg("backlog full: dropped a SYN")
			return
		}
		// RFC4987 §3.6: answer with a SYN cookie and keep nothing.
		if synack, ok := l.tcb.CookieReply(remote.Addr(), seg, now); ok {
			s.cookiesSent.Add(1)
			l.cookieAt = now
			s.sendSegmentRouted(local.Addr(), remote.Addr(), &synack, 0, ttl, route)
		}
		return
	}
	if ctl == tcp.FlagACK && !l.cookieAt.IsZero() && now.Sub(l.cookieAt) <= tcp.SYNCookieLifetime {
		if len(l.queue) >= s.cfg.Backlog {
			// The accept queue itself is full: as Linux, drop the ACK; the
			// peer retransmits it (or its data) and the cookie is checked
			// again then.
			return
		}
		if tcb, ok := l.tcb.CookieInput(remote.Addr(), seg, now); ok {
			s.cookiesValid.Add(1)
			s.adopt(l, tcb, local, remote, nil, now)
			return
		}
		s.cookiesFailed.Add(1)
	}
	tcb, rst, sendRST := l.tcb.Input(remote.Addr(), seg, now)
	if sendRST {
		s.sendSegment(local.Addr(), remote.Addr(), &rst, 0)
	}
	if tcb != nil {
		s.adopt(l, tcb, local, remote, route, now)
	}
}

// adopt enters a connection the listener l created in the table and sends
// what it has to send. s.mu is held.
func (s *Stack) adopt(l *Listener, tcb *tcp.Conn, local, remote netip.AddrPort, route *sourceRoute, now time.Time) {
	c := newConn(s, tcb, l)
	if l.ttl != 0 {
		c.ttl = l.ttl
	}
	if route != nil {
		c.setRoute(route)
	}
	s.conns[fourTuple{local, remote}] = c
	l.pending++
	s.flush(c, now)
}

// flush emits what the connection has to send, handles its events and
// schedules its next deadline. s.mu is held.
func (s *Stack) flush(c *Conn, now time.Time) {
	c.tcb.Output(now, func(seg tcp.Segment) {
		s.sendSegmentRouted(c.local.Addr(), c.remote.Addr(), &seg, c.tos, c.ttl, c.route)
	})
	c.handleEvents(c.tcb.Events())
	s.schedule(c)
}

// sendSegment wraps seg in IPv4 and Ethernet and sends it. s.mu is held.
func (s *Stack) sendSegment(src, dst netip.Addr, seg *tcp.Segment, tos uint8) {
	s.sendSegmentRouted(src, dst, seg, tos, defaultTTL, nil)
}

// sendSegmentRouted is sendSegment along the source route r when it is not
// nil: the IP header carries r's option and goes to r's first hop, while the
// TCP checksum's pseudo-header keeps dst, the final destination, which the
// route's last slot makes the IP destination again on arrival (as Linux
// does; RFC8200 §8.1 states the same rule for IPv6 routing headers).
// s.mu is held.
func (s *Stack) sendSegmentRouted(src, dst netip.Addr, seg *tcp.Segment, tos, ttl uint8, r *sourceRoute) {
	ip := header.IPv4Fields{TOS: tos, TTL: ttl, Protocol: header.IPProtocolTCP, Src: src, Dst: dst}
	if r != nil {
		ip.Options, ip.Dst = r.opt, r.hop
	}
	off := header.EthernetLen + ip.HeaderLen()
	f := seg.AppendTo(s.frame[:off])
	tcp.PutChecksum(src, dst, f[off:])
	ip.PayloadLen = len(f) - off
	s.putIPv4(f[header.EthernetLen:], ip)
	if e := s.log.Trace(); e.Enabled() {
		logSegment(e, src, dst, seg).Msg("out")
	}
	s.sendIP(ip.Dst, f, true)
	s.frame = f[:0]
}

// remove takes c out of the demultiplexing table. s.mu is held.
func (s *Stack) remove(c *Conn) {
	k := fourTuple{c.local, c.remote}
	if s.conns[k] == c {
		delete(s.conns, k)
	}
	c.gone = true
}

// unreachable fails connections still opening toward ip (ARP gave up).
// s.mu is held.
func (s *Stack) unreachable(hop netip.Addr) {
	for _, c := range s.conns {
		if c.tcb.State() != tcp.StateSynSent {
			continue
		}
		dst := c.remote.Addr()
		if !s.cfg.Addr.Contains(dst) {
			dst = s.cfg.Gateway
		}
		if dst == hop {
			c.softErr = syscall.EHOSTUNREACH
			c.err = syscall.EHOSTUNREACH
			c.tcb.Abort()
			s.flush(c, s.now())
			s.remove(c)
			c.terminate(syscall.EHOSTUNREACH)
		}
	}
}

// logSegment adds seg and its addresses to a trace event, in the line
// grammar of tcp.Segment.String ("40000>80 S 7:7(0) win 65535 <mss
// 1460>"). Not in tcpdump's grammar: that printer (tcpstack/tcpdump) needs
// gopacket, whose tables (5 MB of pointers) the garbage collector would scan
// on every cycle of every program that embeds the stack; deps_test.go keeps
// it out.
func logSegment(e *zerolog.Event, src, dst netip.Addr, seg *tcp.Segment) *zerolog.Event {
	return e.Str("src", src.String()).Str("dst", dst.String()).Str("seg", seg.String())
}
