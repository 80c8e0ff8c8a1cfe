package cases

import (
	"bytes"
	"errors"
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
func eolNopMSS(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.Options(probe.NOP(), probe.NOP(), probe.MSS(400), probe.EOL())})
	b.maxSegment(c, fd, 400)
}

// unknownSYN: RFC9293 MUST-6. Kind 99 in a SYN is skipped by its length.
func unknownSYN(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.Options(probe.RawOption(99, 1, 2, 3, 4, 5, 6), probe.MSS(1460))})
	b.sendData(c, []byte("x"))
	b.readExpect(fd, []byte("x"))
}

// unknownData: RFC9293 MUST-5, MUST-6. Kind 99 in a data segment: the data is taken.
func unknownData(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.MSS(1460)})
	st := c.State()
	b.send(c, probe.Segment{Flags: fACK | fPSH, Options: probe.Options(probe.RawOption(99, 0xde, 0xad)), Payload: []byte("unknown")})
	b.readExpect(fd, []byte("unknown"))
	b.expect(c, ackOf(st.SndNxt.Add(7)), "ACK of the data")
}

// illegalLength sends data with a broken option, then the same data without
// it: whether the target dropped or took the first, it delivers the bytes
// exactly once and the connection goes on.
func illegalLength(t *T, length byte) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.MSS(1460)})
	st := c.State()
	payload := []byte("survive")
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt, Options: probe.Options(probe.NOP(), probe.BadLenOption(99, length, 1, 2)), Padding: probe.PadNOP, Payload: payload})
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt, Payload: payload})
	b.readExpect(fd, payload)
	b.expect(c, ackOf(st.SndNxt.Add(tcp.Size(len(payload)))), "ACK of the data")
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(tcp.Size(len(payload))), Payload: []byte("after")})
	b.readExpect(fd, []byte("after"))
}

// illegalSYN: RFC9293 MUST-7. An MSS option of length 3 in a SYN does not break the
// listener: the next good SYN opens a connection.
func illegalSYN(t *T) {
	b := newBench(t)
	lfd := b.listen(b.port)
	c, err := b.p.NewConn(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Brokenf("probe: %v", err)
	}
	b.send(c, probe.Segment{Flags: fSYN, Window: 65535, Options: probe.Options(probe.BadLenOption(2, 3, 5, 0xb4))})
	// Whatever became of that SYN, a good one from another port opens.
	c2, err := b.p.Dial(b.at(b.port), probe.ConnConfig{})
	if err != nil {
		b.Fatalf("after a SYN with a broken MSS option the listener does not answer: %v", err)
	}
	fd, peer, err := b.a.Accept(b.ctx, lfd, wait)
	for err == nil && peer.Port() != c2.LocalAddr().Port() {
		fd, peer, err = b.a.Accept(b.ctx, lfd, wait)
	}
	if err != nil {
		b.Fatalf("accept: %v", err)
	}
	b.sendData(c2, []byte("ok"))
	b.readExpect(fd, []byte("ok"))
}

// unalignedSYN: RFC9293 MUST-64. An MSS option at offset 1: read and honoured.
func unalignedSYN(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.Options(probe.NOP(), probe.MSS(300), probe.NOP(), probe.NOP(), probe.NOP())})
	b.maxSegment(c, fd, 300)
}

// unalignedTS: RFC9293 MUST-64, MUST-5. A Timestamps option at offset 1 of a data segment:
// the ACK echoes its TSval.
func unalignedTS(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	if !st.Timestamps {
		b.Unsupported("timestamps not negotiated: the target does not offer them")
	}
	const val = 0x7000_0000
	b.send(c, probe.Segment{Flags: fACK | fPSH, Options: probe.Options(probe.NOP(), probe.Timestamps(val, st.TSRecent), probe.NOP(), probe.NOP(), probe.NOP()), Payload: []byte("ts")})
	b.readExpect(fd, []byte("ts"))
	f := b.expect(c, ackOf(st.SndNxt.Add(2)), "ACK of the data")
	if !f.TCP.Options.HasTimestamps || f.TCP.Options.TSEcr != val {
		b.Fatalf("ACK %v: TSecr should echo %d from the unaligned option", &f, uint32(val))
	}
}

// exchange moves some data both ways and closes, so that the record holds
// many kinds of segments from the target.
func (b *bench) exchange(c *probe.Conn, fd agent.FD) {
	b.sendData(c, pattern(500, 'a'))
	b.read(fd, 500)
	b.bulkFromTarget(c, fd, 3000)
	b.shutdown(fd, "wr")
	b.expect(c, probe.HasFlags(fFIN), "FIN")
	b.ack(c)
	if err := c.SendFIN(); err != nil {
		b.Brokenf("probe: %v", err)
	}
	b.expect(c, ackOf(c.State().SndNxt), "ACK of our FIN")
}

func (b *bench) targetFrames(c *probe.Conn) []probe.Frame {
	var out []probe.Frame
	for _, f := range b.p.Frames() {
		if f.Dir == probe.In && f.IsTCP() && f.Src() == c.RemoteAddr() && f.Dst() == c.LocalAddr() {
			out = append(out, f)
		}
	}
	return out
}

// noMSSAfterSYN: RFC9293 MUST-65. No segment but a SYN carries MSS.
func noMSSAfterSYN(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.exchange(c, fd)
	for _, f := range b.targetFrames(c) {
		if !f.TCP.Flags.Has(fSYN) && f.TCP.Options.HasMSS {
			b.Fatalf("non-SYN segment with an MSS option: %v", &f)
		}
	}
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
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.exchange(c, fd)
	for _, f := range b.targetFrames(c) {
		if !f.ChecksumOK {
			b.Fatalf("segment with a wrong checksum: %v", &f)
		}
		if msg := checkOptionForm(f.TCPOptions()); msg != "" {
			b.Fatalf("segment %v: %s (options % x)", &f, msg, f.TCPOptions())
		}
	}
}

// ipOptions: RFC9293 MUST-50. A data segment with IP options (NOP, Record Route) is
// processed as any other.
func ipOptions(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fACK | fPSH, Payload: []byte("ipopt"), IP: probe.IPFields{Options: probe.Options(probe.IPOptionNOP(), probe.IPOptionRecordRoute(2))}})
	b.readExpect(fd, []byte("ipopt"))
	b.expect(c, ackOf(st.SndNxt.Add(5)), "ACK of the data")
}

// reservedBits: RFC9293 §3.1. The reserved bits are ignored by a receiver.
func reservedBits(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fACK | fPSH, Reserved: 0x0f, Payload: []byte("rsv")})
	b.readExpect(fd, []byte("rsv"))
	b.expect(c, ackOf(st.SndNxt.Add(3)), "ACK of the data")
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
// source route option.
func sourceRoute(t *T) {
	b := newBench(t)
	b.listen(b.port)
	c, err := b.p.NewConn(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Brokenf("probe: %v", err)
	}
	hop := b.p.Addr().As4()
	lsrr := []byte{131, 11, 12, 192, 0, 2, 1, hop[0], hop[1], hop[2], hop[3]}
	b.send(c, probe.Segment{Flags: fSYN, Window: 65535, Options: probe.MSS(1460), IP: probe.IPFields{Options: probe.Options(probe.IPOptionNOP(), lsrr)}})
	f := b.expect(c, probe.HasFlags(fSYN|fACK), "SYN-ACK to a source-routed SYN")
	if sourceRouteOption(f.IP.Options) == nil {
		b.Fatalf("SYN-ACK %v carries no source route back", &f)
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
func (b *bench) setRoute(fd agent.FD, route []byte) {
	if err := b.a.SetIPOptions(b.ctx, fd, route); err != nil {
		if errors.Is(err, agent.ErrUnsupported) {
			b.Unsupported("the target's agent cannot give a socket IP options (set_ip_options): %v", err)
		}
		b.Brokenf("agent: set_ip_options % x: %v", route, err)
	}
	b.Logf("the application's source route: % x", route)
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
	b := newBench(t)
	dst := netip.AddrFrom4([4]byte{192, 0, 2, 1})
	fd := b.socket()
	b.setRoute(fd, appRoute(b.p.Addr(), dst))
	if err := b.a.Bind(b.ctx, fd, b.at(b.port)); err != nil {
		b.agentErr("bind", err)
	}
	// Nothing answers at dst: the connect ends with ETIMEDOUT after a
	// second, well after its SYN went out.
	connected := make(chan error, 1)
	go func() { connected <- b.a.Connect(b.ctx, fd, netip.AddrPortFrom(dst, b.port), time.Second) }()
	defer func() { <-connected }()
	f, err := b.p.Expect(wait, probe.And(probe.From(b.at(b.port)), probe.HasFlags(fSYN)))
	if err != nil {
		b.Fatalf("no SYN from the target at the first hop of its route (%v): %v", b.p.Addr(), err)
	}
	b.Logf("SYN: %v, IP options % x", &f, f.IP.Options)
	opt := sourceRouteOption(f.IP.Options)
	if opt == nil {
		b.Fatalf("the SYN carries no source route; the application gave % x", appRoute(b.p.Addr(), dst))
	}
	if as := routeAddrs(opt); len(as) == 0 || as[len(as)-1] != dst {
		b.Fatalf("the SYN's source route % x does not end at the destination %v", opt, dst)
	}
	if !tcp.VerifyChecksum(f.IP.Src, dst, f.Transport()) {
		b.Fatalf("the SYN's TCP checksum is not computed over the ultimate destination %v", dst)
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
	b := newBench(t)
	me := b.p.Addr()
	fd := b.socket()
	b.setRoute(fd, appRoute(me, me))
	if err := b.a.Bind(b.ctx, fd, b.at(b.port)); err != nil {
		b.agentErr("bind", err)
	}
	done := make(chan error, 1)
	go func() { done <- b.a.Connect(b.ctx, fd, netip.AddrPortFrom(me, b.port), 5*time.Second) }()
	synOnly := probe.And(probe.From(b.at(b.port)), probe.Func("flags [S]", func(f *probe.Frame) bool {
		return f.IsTCP() && f.TCP.Flags&(fSYN|fACK|fRST) == fSYN
	}))
	syn, err := b.p.Expect(wait, synOnly)
	if err != nil {
		b.Fatalf("no SYN from the target: %v", err)
	}
	route := sourceRouteOption(syn.IP.Options)
	if route == nil {
		b.Fatalf("the SYN %v carries no source route; the application gave one (MUST-51)", &syn)
	}
	b.Logf("SYN %v with the application's route % x", &syn, route)
	const iss = tcp.Value(1000000)
	received := []byte{ipOptLSRR, 7, 8, 192, 0, 2, 1} // completed: the pointer is past the end
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: iss, Ack: syn.TCP.Seq.Add(1), Flags: fSYN | fACK, Window: 65535,
		Options: probe.MSS(1460), IP: probe.IPFields{Dst: b.addr, Options: probe.Options(probe.IPOptionNOP(), received)}})
	f, err := b.p.Expect(wait, probe.Or(probe.And(probe.From(b.at(b.port)), ackOf(iss.Add(1))), synOnly))
	if err != nil {
		b.Fatalf("no ACK of our SYN-ACK along the application's route: the target may have taken the received route through 192.0.2.1 (%v)", err)
	}
	if f.TCP.Flags.Has(fSYN) {
		// The SYN again: the SYN-ACK never reached TCP.
		b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 0, Ack: syn.TCP.Seq.Add(1), Flags: fRST | fACK, IP: probe.IPFields{Dst: b.addr}})
		b.Skipf("the target discarded our source-routed SYN-ACK and sent its SYN again (it drops source-routed datagrams, as Linux does with accept_source_route=0): no received route reached TCP to compete with the application's")
	}
	if got := sourceRouteOption(f.IP.Options); !bytes.Equal(got, route) {
		b.Fatalf("the ACK %v carries the source route % x, not the application's % x (received: % x)", &f, got, route, received)
	}
	if err := <-done; err != nil {
		b.Fatalf("the target's connect: %v", err)
	}
	b.write(fd, []byte("route"))
	d, err := b.p.Expect(wait, probe.And(probe.From(b.at(b.port)), data))
	if err != nil {
		b.Fatalf("no data from the target along the application's route: %v", err)
	}
	if got := sourceRouteOption(d.IP.Options); !bytes.Equal(got, route) {
		b.Fatalf("the data segment %v carries the source route % x, not the application's % x", &d, got, route)
	}
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: iss.Add(1), Flags: fRST, IP: probe.IPFields{Dst: b.addr}})
}
