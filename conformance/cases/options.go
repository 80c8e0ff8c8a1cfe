package cases

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Options: the receiver's tolerance (RFC9293 §3.1, §3.2, MUST-4..7, MUST-64)
// and the sender's form (MUST-65, MUST-68, MUST-69).

func init() {
	register(suite.Case{ID: "options/eol-nop-mss", Title: "NOP, MSS and EOL in a SYN are understood: the MSS is honoured",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-4", "RFC9293 MUST-16"}}, eolNopMSS)
	register(suite.Case{ID: "options/unknown-kind-syn", Title: "an unknown option in a SYN is ignored",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-6"}}, unknownSYN)
	register(suite.Case{ID: "options/unknown-kind-data", Title: "an unknown option in a data segment is ignored, the data delivered",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-5", "RFC9293 MUST-6"}}, unknownData)
	register(suite.Case{ID: "options/illegal-length-zero", Title: "an option with length 0 does not hang or break the connection",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-7"}}, func(t *T) { illegalLength(t, 0) })
	register(suite.Case{ID: "options/illegal-length-one", Title: "an option with length 1 does not hang or break the connection",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-7"}}, func(t *T) { illegalLength(t, 1) })
	register(suite.Case{ID: "options/illegal-length-beyond-header", Title: "an option whose length runs past the header does not break the connection",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-7"}}, func(t *T) { illegalLength(t, 40) })
	register(suite.Case{ID: "options/illegal-mss-length-syn", Title: "a SYN whose MSS option has a wrong length leaves the listener working",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-7"}}, illegalSYN)
	register(suite.Case{ID: "options/unaligned-syn", Title: "options at odd offsets in a SYN are parsed: the MSS is honoured",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-64", "RFC9293 MUST-16"}}, unalignedSYN)
	register(suite.Case{ID: "options/unaligned-timestamps", Title: "a Timestamps option not aligned on 32 bits is processed in a data segment",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-64", "RFC9293 MUST-5", "RFC7323 §3.2"}}, unalignedTS)
	register(suite.Case{ID: "options/no-mss-after-syn", Title: "the target sends the MSS option only in SYN segments",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-65"}}, noMSSAfterSYN)
	register(suite.Case{ID: "options/sent-lengths-and-padding", Title: "every option the target sends has a length octet that fits, and padding is zero",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-68", "RFC9293 MUST-69", "RFC9293 MUST-2"}}, sentOptionsForm)
	register(suite.Case{ID: "options/ip-options-ignored", Title: "IP options TCP does not use leave the segment processed",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-50"}}, ipOptions)
	register(suite.Case{ID: "options/reserved-bits-ignored", Title: "a segment with the reserved header bits set is processed",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.1"}}, reservedBits)
}

// eolNopMSS: RFC9293 MUST-4. NOP, NOP, MSS 400, EOL: the MSS is read and honoured.
func eolNopMSS(t *T) { mssHonoured(t, "nop,nop,mss 400,eol", 400) }

// unknownSYN: RFC9293 MUST-6. Kind 99 in a SYN is skipped by its length.
func unknownSYN(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("opt 99 010203040506,mss 1460")})
	s.sendData(c, "P. 1:2(1) ack 1", "x")
	s.readExpect(fd, "x")
}

// unknownData: RFC9293 MUST-5, MUST-6. Kind 99 in a data segment: the data is taken.
func unknownData(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1460")})
	s.sendData(c, "P. 1:8(7) ack 1 <"+withTS(c, "opt 99 dead")+">", "unknown")
	s.readExpect(fd, "unknown")
	s.expect(c, ". 1:1(0) ack 8")
}

// illegalLength sends data with a broken option, then the same data without
// it: whether the target dropped or took the first, it delivers the bytes
// exactly once and the connection goes on. (A segment literal: the padding
// after the broken option is NOPs, which a line cannot say.)
func illegalLength(t *T, length byte) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1460")})
	const payload = "survive"
	s.sendSegment(c, probe.Segment{Flags: tcp.FlagACK | tcp.FlagPSH, Options: probe.Options(probe.NOP(), probe.BadLenOption(99, length, 1, 2)), Padding: probe.PadNOP, Payload: []byte(payload)})
	s.sendData(c, "P. 1:8(7) ack 1", payload)
	s.readExpect(fd, payload)
	s.expect(c, ". 1:1(0) ack 8")
	s.sendData(c, "P. 8:13(5) ack 1", "after")
	s.readExpect(fd, "after")
}

// illegalSYN: RFC9293 MUST-7. An MSS option of length 3 in a SYN does not break the
// listener: the next good SYN opens a connection.
func illegalSYN(t *T) {
	s := newSession(t)
	lfd := s.listen(s.port)
	c := s.newConn(probe.ConnConfig{})
	s.send(c, "S 0:0(0) win 65535 <opt 2 len 3 05b4>")
	// Whatever became of that SYN, a good one from another port opens.
	c2, err := s.probe.Dial(s.targetAt(s.port), probe.ConnConfig{})
	if err != nil {
		s.Fatalf("after a SYN with a broken MSS option the listener does not answer: %v", err)
	}
	fd, peer, err := s.agent.Accept(s.ctx, lfd, wait)
	for err == nil && peer.Port() != c2.LocalAddr().Port() {
		fd, peer, err = s.agent.Accept(s.ctx, lfd, wait)
	}
	if err != nil {
		s.Fatalf("accept: %v", err)
	}
	s.sendData(c2, "P. 1:3(2) ack 1", "ok")
	s.readExpect(fd, "ok")
}

// unalignedSYN: RFC9293 MUST-64. An MSS option at offset 1: read and honoured.
func unalignedSYN(t *T) { mssHonoured(t, "nop,mss 300,nop,nop,nop", 300) }

// unalignedTS: RFC9293 MUST-64, MUST-5. A Timestamps option at offset 1 of a data segment:
// the ACK echoes its TSval.
func unalignedTS(t *T) {
	s := newSession(t)
	c, fd := s.establishedTS()
	const val = 0x7000_0000
	s.echoesTSval(c, fd, fmt.Sprintf("P. 1:3(2) ack 1 <nop,TS val %d ecr *,nop,nop,nop>", val), "ts", val)
}

// talkThenClose moves some data both ways and closes, so that the record
// holds many kinds of segments from the target.
func (s *session) talkThenClose(c *probe.Conn, fd agent.FD) {
	s.send(c, "P. 1:501(500) ack 1")
	s.read(fd, 500)
	s.bulkFromTarget(c, fd, 3000)
	s.shutdown(fd, "wr")
	s.expect(c, "F. 3001:3001(0) ack 501")
	s.send(c, ". 501:501(0) ack 3002")
	s.send(c, "F. 501:501(0) ack 3002")
	s.expect(c, ". 3002:3002(0) ack 502")
}

// checkEachSegment is talkThenClose, then a failure (Errorf) for every
// segment the target sent for which fault says what is wrong.
func (s *session) checkEachSegment(c *probe.Conn, fd agent.FD, fault func(f *probe.Frame) string) {
	s.talkThenClose(c, fd)
	for _, f := range s.targetFrames(c) {
		if msg := fault(&f); msg != "" {
			s.Errorf("segment %v: %s", &f, msg)
		}
	}
}

// noMSSAfterSYN: RFC9293 MUST-65. No segment but a SYN carries MSS.
func noMSSAfterSYN(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.checkEachSegment(c, fd, func(f *probe.Frame) string {
		if !f.TCP.Flags.Has(tcp.FlagSYN) && f.TCP.Options.HasMSS {
			return "an MSS option in a segment without SYN"
		}
		return ""
	})
}

// checkOptionForm walks the options area as sent: kinds other than EOL and
// NOP carry a length of at least 2 that fits; after EOL only zeros follow.
func checkOptionForm(opts []byte) string {
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0:
			for _, x := range opts[i:] {
				if x != 0 {
					return "non-zero octet after EOL"
				}
			}
			return ""
		case 1:
			i++
		default:
			if i+1 >= len(opts) {
				return "option without a length octet"
			}
			l := int(opts[i+1])
			if l < 2 || i+l > len(opts) {
				return "option length does not fit"
			}
			i += l
		}
	}
	return ""
}

// sentOptionsForm: RFC9293 MUST-68, MUST-69, MUST-2. The target's options are well
// formed: lengths fit, zeros after EOL, checksums right.
func sentOptionsForm(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.checkEachSegment(c, fd, func(f *probe.Frame) string {
		if msg := checksumWrong(f); msg != "" {
			return msg
		}
		if msg := checkOptionForm(f.TCPOptions()); msg != "" {
			return fmt.Sprintf("%s (options % x)", msg, f.TCPOptions())
		}
		return ""
	})
}

// ipOptions: RFC9293 MUST-50. A data segment with IP options (NOP, Record Route) is
// processed as any other. (A segment literal: a line has no IP options.)
func ipOptions(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendSegment(c, probe.Segment{Flags: tcp.FlagACK | tcp.FlagPSH, Payload: []byte("ipopt"), IP: probe.IPFields{Options: probe.Options(probe.IPOptionNOP(), probe.IPOptionRecordRoute(2))}})
	s.readExpect(fd, "ipopt")
	s.expect(c, ". 1:1(0) ack 6")
}

// reservedBits: RFC9293 §3.1. The reserved bits are ignored by a receiver. (A
// segment literal: a line has no reserved bits.)
func reservedBits(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendSegment(c, probe.Segment{Flags: tcp.FlagACK | tcp.FlagPSH, Reserved: 0x0f, Payload: []byte("rsv")})
	s.readExpect(fd, "rsv")
	s.expect(c, ". 1:1(0) ack 4")
}

func init() {
	register(suite.Case{ID: "options/ip-source-route-return", Title: "a SYN with a completed loose source route is answered along the reversed route",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-53", "RFC1122 §4.2.3.8"}}, sourceRoute)
	register(suite.Case{ID: "options/app-source-route-syn", Title: "a source route the application gives before connect is in the SYN, which goes to the route's first hop",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-51", "RFC1122 §4.2.3.8"}}, appSourceRouteSYN)
	register(suite.Case{ID: "options/app-source-route-precedence", Title: "the application's source route stays in use when the peer's SYN-ACK brings another",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-52", "RFC1122 §4.2.3.8"}}, appSourceRoutePrecedence)
}

// sourceRoute: the SYN comes with a loose source route whose pointer is past
// its end (the route is complete, recording one hop, the probe itself).
// The target must keep the return route and use it: its SYN-ACK carries a
// source route option. (A segment literal: a line has no IP options.)
func sourceRoute(t *T) {
	s := newSession(t)
	s.listen(s.port)
	c := s.newConn(probe.ConnConfig{})
	hop := s.probe.Addr().As4()
	lsrr := []byte{ipOptLSRR, 11, 12, 192, 0, 2, 1, hop[0], hop[1], hop[2], hop[3]}
	s.sendSegment(c, probe.Segment{Flags: tcp.FlagSYN, Window: 65535, Options: synOpts("mss 1460"), IP: probe.IPFields{Options: probe.Options(probe.IPOptionNOP(), lsrr)}})
	f := s.expectMatch(c, probe.HasFlags(tcp.FlagSYN|tcp.FlagACK), "SYN-ACK to a source-routed SYN")
	if sourceRouteOption(f.IP.Options) == nil {
		s.Fatalf("SYN-ACK %v carries no source route back", &f)
	}
}

// IP option types of source routes (RFC 791 §3.1).
const (
	ipOptLSRR = 131
	ipOptSSRR = 137
)

// sourceRouteOption returns the first loose or strict source route option
// (type, length, pointer, addresses) in the IPv4 options opts, or nil.
func sourceRouteOption(opts []byte) []byte {
	for i := 0; i < len(opts); {
		switch o := opts[i]; o {
		case 0: // end of option list
			return nil
		case 1: // no operation
			i++
		default:
			if i+1 >= len(opts) || opts[i+1] < 2 || i+int(opts[i+1]) > len(opts) {
				return nil
			}
			if o == ipOptLSRR || o == ipOptSSRR {
				return opts[i : i+int(opts[i+1])]
			}
			i += int(opts[i+1])
		}
	}
	return nil
}

// routeAddrs returns the addresses of a source route option.
func routeAddrs(opt []byte) []netip.Addr {
	var as []netip.Addr
	for j := 3; j+4 <= len(opt); j += 4 {
		as = append(as, netip.AddrFrom4([4]byte(opt[j:j+4])))
	}
	return as
}

// appRoute is the loose source route an application gives for an active
// open through first hop hop to dst, in the layout setsockopt(IP_OPTIONS)
// takes (see the agent's set_ip_options): type, length, pointer 4, the
// first hop, the final destination.
func appRoute(hop, dst netip.Addr) []byte {
	h, d := hop.As4(), dst.As4()
	return []byte{ipOptLSRR, 11, 4, h[0], h[1], h[2], h[3], d[0], d[1], d[2], d[3]}
}

// setRoute gives the target's socket fd an application source route; a
// target without the agent's set_ip_options is UNSUPPORTED.
func (s *session) setRoute(fd agent.FD, route []byte) {
	if err := s.agent.SetIPOptions(s.ctx, fd, route); err != nil {
		if errors.Is(err, agent.ErrUnsupported) {
			s.Unsupported("the target's agent cannot give a socket IP options (set_ip_options): %v", err)
		}
		s.Brokenf("agent: set_ip_options % x: %v", route, err)
	}
	s.Logf("the application's source route: % x", route)
}

// appSourceRouteSYN: RFC9293 MUST-51 (§3.9.2.1: "An application MUST be
// able to specify a source route when it actively opens a TCP connection").
// The target connects to dst, an address of TEST-NET-1 (RFC5737) that no
// route reaches, with a loose source route whose first hop is the probe.
// Its SYN must go to the first hop (the probe) and carry a source route that
// ends at dst, with a TCP checksum over dst, the ultimate destination
// ("so that the source and destination addresses used in the TCP checksum
// be the originating source and ultimate destination").
func appSourceRouteSYN(t *T) {
	s := newSession(t)
	dst := netip.AddrFrom4([4]byte{192, 0, 2, 1})
	fd := s.socket()
	s.setRoute(fd, appRoute(s.probe.Addr(), dst))
	s.bind(fd, s.targetAt(s.port))
	// Nothing answers at dst: the connect ends with ETIMEDOUT after a
	// second, well after its SYN went out.
	connected := make(chan error, 1)
	go func() { connected <- s.agent.Connect(s.ctx, fd, netip.AddrPortFrom(dst, s.port), time.Second) }()
	defer func() { <-connected }()
	f, err := s.probe.Expect(wait, probe.And(probe.From(s.targetAt(s.port)), probe.HasFlags(tcp.FlagSYN)))
	if err != nil {
		s.Fatalf("no SYN from the target at the first hop of its route (%v): %v", s.probe.Addr(), err)
	}
	s.Logf("SYN: %v, IP options % x", &f, f.IP.Options)
	opt := sourceRouteOption(f.IP.Options)
	if opt == nil {
		s.Fatalf("the SYN carries no source route; the application gave % x", appRoute(s.probe.Addr(), dst))
	}
	if as := routeAddrs(opt); len(as) == 0 || as[len(as)-1] != dst {
		s.Fatalf("the SYN's source route % x does not end at the destination %v", opt, dst)
	}
	if !tcp.VerifyChecksum(f.IP.Src, dst, f.Transport()) {
		s.Fatalf("the SYN's TCP checksum is not computed over the ultimate destination %v", dst)
	}
}

// appSourceRoutePrecedence: RFC9293 MUST-52 (§3.9.2.1: the application's
// source route "MUST take precedence over a source route received in a
// datagram"). The target connects to the probe along the application's
// route (first hop and destination the probe). The probe's SYN-ACK carries
// a completed loose source route that recorded a gateway, 192.0.2.1: a
// target taking the received route would answer through that gateway
// (which no route reaches), so nothing would come back. The target must
// keep to the application's route: its ACK of the SYN-ACK and its data come
// to the probe with the same route as its SYN.
func appSourceRoutePrecedence(t *T) {
	s := newSession(t)
	me := s.probe.Addr()
	c := s.newConn(probe.ConnConfig{})
	fd := s.socket()
	s.setRoute(fd, appRoute(me, me))
	s.bind(fd, s.targetAt(s.port))
	done := make(chan error, 1)
	go func() { done <- s.agent.Connect(s.ctx, fd, s.probeAt(s.port), 5*time.Second) }()
	synOnly := s.matchLine(c, "S 0:0(0)")
	syn := s.expect(c, "S 0:0(0)")
	route := sourceRouteOption(syn.IP.Options)
	if route == nil {
		s.Fatalf("the SYN %v carries no source route; the application gave one (MUST-51)", &syn)
	}
	s.Logf("SYN %v with the application's route % x", &syn, route)
	received := []byte{ipOptLSRR, 7, 8, 192, 0, 2, 1} // completed: the pointer is past the end
	// A segment literal: the SYN-ACK carries IP options, which a line cannot say.
	s.sendSegment(c, probe.Segment{Flags: tcp.FlagSYN | tcp.FlagACK, Window: 65535, Options: synOpts("mss 1460"),
		IP: probe.IPFields{Options: probe.Options(probe.IPOptionNOP(), received)}})
	f, err := c.Expect(probe.Or(s.matchLine(c, ". 1:1(0) ack 1"), synOnly))
	if err != nil {
		s.Fatalf("no ACK of our SYN-ACK along the application's route: the target may have taken the received route through 192.0.2.1 (%v)", err)
	}
	if f.TCP.Flags.Has(tcp.FlagSYN) {
		// The SYN again: the SYN-ACK never reached TCP.
		s.send(c, "R. 0:0(0) ack 1")
		s.Skipf("the target discarded our source-routed SYN-ACK and sent its SYN again (it drops source-routed datagrams, as Linux does with accept_source_route=0): no received route reached TCP to compete with the application's")
	}
	if got := sourceRouteOption(f.IP.Options); !bytes.Equal(got, route) {
		s.Fatalf("the ACK %v carries the source route % x, not the application's % x (received: % x)", &f, got, route, received)
	}
	if err := <-done; err != nil {
		s.Fatalf("the target's connect: %v", err)
	}
	s.write(fd, "route")
	d := s.expectData(c, "P. 1:6(5) ack 1", "route")
	if got := sourceRouteOption(d.IP.Options); !bytes.Equal(got, route) {
		s.Fatalf("the data segment %v carries the source route % x, not the application's % x", &d, got, route)
	}
	s.send(c, "R 1:1(0)")
}
