package cases

import (
	"net/netip"
	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
	"time"
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
		b.Errorf("probe: %v", err)
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
		b.Errorf("probe: %v", err)
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
	register(suite.Case{ID: "handshake/syn-to-multicast-dropped", Title: "a SYN addressed to a multicast group is silently discarded",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-57"}}, synToMulticast)
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
		b.Errorf("probe: %v", err)
	}
	hop := b.p.Addr().As4()
	lsrr := []byte{131, 11, 12, 192, 0, 2, 1, hop[0], hop[1], hop[2], hop[3]}
	b.send(c, probe.Segment{Flags: fSYN, Window: 65535, Options: probe.MSS(1460), IP: probe.IPFields{Options: probe.Options(probe.IPOptionNOP(), lsrr)}})
	f := b.expect(c, probe.HasFlags(fSYN|fACK), "SYN-ACK to a source-routed SYN")
	has := false
	for i := 0; i < len(f.IP.Options); {
		switch o := f.IP.Options[i]; {
		case o == 0:
			i = len(f.IP.Options)
		case o == 1:
			i++
		default:
			if o == 131 || o == 137 {
				has = true
			}
			if i+1 >= len(f.IP.Options) || f.IP.Options[i+1] < 2 {
				i = len(f.IP.Options)
			} else {
				i += int(f.IP.Options[i+1])
			}
		}
	}
	if !has {
		b.Fatalf("SYN-ACK %v carries no source route back", &f)
	}
}

// synToMulticast: RFC9293 MUST-57. A SYN to 224.0.0.1 draws no answer; the same SYN to
// the target's address does (control).
func synToMulticast(t *T) {
	b := newBench(t)
	// Listen on every address, so that a SYN to the group would match.
	lfd := b.socket()
	if err := b.a.Bind(b.ctx, lfd, netip.AddrPortFrom(netip.IPv4Unspecified(), b.port)); err != nil {
		b.agentErr("bind", err)
	}
	if err := b.a.Listen(b.ctx, lfd, 4); err != nil {
		b.agentErr("listen", err)
	}
	group := netip.AddrFrom4([4]byte{224, 0, 0, 1}) // all hosts: every host is a member
	err := b.p.Send(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1000, Flags: fSYN, Window: 65535, Options: probe.MSS(1460), IP: probe.IPFields{Dst: group}})
	if err != nil {
		b.Skipf("the bench cannot send to %v: %v", group, err)
	}
	if _, err := b.p.Expect(time.Second, probe.And(probe.To(netip.AddrPortFrom(b.p.Addr(), b.port)), probe.TCP)); err == nil {
		b.Fatalf("the target answered a SYN sent to %v", group)
	}
	// The same SYN to the target's own address is answered: the listener
	// was there.
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1000, Flags: fSYN, Window: 65535, Options: probe.MSS(1460), IP: probe.IPFields{Dst: b.addr}})
	if _, err := b.p.Expect(wait, probe.And(probe.From(b.at(b.port)), probe.HasFlags(fSYN|fACK))); err != nil {
		b.Errorf("control: the listener does not answer a SYN to its address: %v", err)
	}
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1001, Flags: fRST, IP: probe.IPFields{Dst: b.addr}})
}
