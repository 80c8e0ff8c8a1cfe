package cases

import (
	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Timestamps, PAWS and window scaling (RFC7323): features a target may lack
// (UNSUPPORTED), with MUSTs once negotiated.

func init() {
	reg := func(id, title string, lvl suite.Level, req []string, run func(*T)) {
		register(suite.Case{ID: id, Title: title, Level: lvl, Requirements: req}, run)
	}
	reg("timestamps/tsecr-echoes", "the target's ACK echoes the TSval of the segment it acknowledges", suite.MUST,
		[]string{"RFC7323 §3.2", "RFC7323 §4.3", "RFC9293 MUST-5"}, tsEcho)
	reg("timestamps/on-every-segment", "once negotiated, every segment but RSTs carries a Timestamps option", suite.MUST,
		[]string{"RFC7323 §3.2"}, tsEverySegment)
	reg("timestamps/not-sent-unless-negotiated", "without our Timestamps option in the SYN the target sends none", suite.MUST,
		[]string{"RFC7323 §3.2"}, tsNotNegotiated)
	reg("timestamps/paws-old-tsval-dropped", "a segment with an old TSval is dropped and acknowledged", suite.MUST,
		[]string{"RFC7323 §5.3"}, pawsOld)
	reg("timestamps/window-scale-applied-by-target", "the target scales the window field we send by our shift", suite.MUST,
		[]string{"RFC7323 §2.3"}, wscaleOurs)
	reg("timestamps/window-scale-of-target", "the target's window field means field × 2^shift: data beyond the unscaled value is taken", suite.MUST,
		[]string{"RFC7323 §2.3", "RFC2018 §4"}, wscaleTheirs)
}

func tsConn(b *bench) (*probe.Conn, agent.FD) {
	c, fd := b.open(probe.ConnConfig{})
	if !c.State().Timestamps {
		b.Unsupported("timestamps not negotiated: the target does not offer them")
	}
	return c, fd
}

// tsEcho: RFC7323 §3.2, §4.3. The ACK of our segment echoes its TSval.
func tsEcho(t *T) {
	b := newBench(t)
	c, fd := tsConn(b)
	st := c.State()
	const val = 0x5000_0000
	b.send(c, probe.Segment{Flags: fACK | fPSH, Options: probe.Options(probe.NOP(), probe.NOP(), probe.Timestamps(val, st.TSRecent)), Payload: []byte("echo")})
	b.readExpect(fd, []byte("echo"))
	f := b.expect(c, ackOf(st.SndNxt.Add(4)), "ACK")
	if !f.TCP.Options.HasTimestamps || f.TCP.Options.TSEcr != val {
		b.Fatalf("ACK %v: want TSecr %d", &f, uint32(val))
	}
}

// tsEverySegment: RFC7323 §3.2. Once negotiated, every non-RST segment carries timestamps.
func tsEverySegment(t *T) {
	b := newBench(t)
	c, fd := tsConn(b)
	b.exchange(c, fd)
	for _, f := range b.targetFrames(c) {
		if !f.TCP.Flags.Has(fRST) && !f.TCP.Options.HasTimestamps {
			b.Fatalf("segment without timestamps: %v", &f)
		}
	}
}

// tsNotNegotiated: RFC7323 §3.2. Without timestamps in our SYN, none are sent.
func tsNotNegotiated(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.Options(probe.MSS(1460), probe.SACKPermitted(), probe.NOP(), probe.WScale(7))})
	b.exchange(c, fd)
	for _, f := range b.targetFrames(c) {
		if f.TCP.Options.HasTimestamps {
			b.Fatalf("segment with timestamps that were not negotiated: %v", &f)
		}
	}
}

// pawsOld: RFC7323 §5.3. The next octets stamped far in the past are dropped and ACKed;
// sent again with a current stamp, they are read.
func pawsOld(t *T) {
	b := newBench(t)
	c, fd := tsConn(b)
	st := c.State()
	cur := st.OurOptions.TSVal + 1000
	b.send(c, probe.Segment{Flags: fACK | fPSH, Options: probe.Options(probe.NOP(), probe.NOP(), probe.Timestamps(cur, st.TSRecent)), Payload: []byte("new")})
	b.readExpect(fd, []byte("new"))
	b.expect(c, ackOf(st.SndNxt.Add(3)), "ACK")
	// Next octets, but stamped far in the past.
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(3), Options: probe.Options(probe.NOP(), probe.NOP(), probe.Timestamps(cur-0x1000_0000, st.TSRecent)), Payload: []byte("OLD")})
	f := b.expect(c, probe.Flags(fACK), "ACK for the old segment")
	if f.TCP.Ack != st.SndNxt.Add(3) {
		b.Fatalf("ACK %v: the segment with an old TSval was accepted", &f)
	}
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(3), Options: probe.Options(probe.NOP(), probe.NOP(), probe.Timestamps(cur+10, st.TSRecent)), Payload: []byte("yes")})
	b.readExpect(fd, []byte("yes"))
}

// wscaleOurs: RFC7323 §2.3. Shift 7 and a window field of 8 mean 1024 octets: the target
// sends more than 8 and no more than 1024.
func wscaleOurs(t *T) {
	b := newBench(t)
	// Shift 7 and a window field of 8: 1024 octets; read unscaled, 8.
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.Options(probe.MSS(1000), probe.NOP(), probe.WScale(7)), Window: 8})
	if !c.State().WindowScale {
		b.Unsupported("window scaling not negotiated: the target does not offer it")
	}
	go b.a.Write(b.ctx, fd, pattern(3000, 'W'))
	f := b.expect(c, data, "data into a scaled window of 1024 octets")
	if len(f.TCP.Payload) <= 8 {
		b.Fatalf("segment %v: the window field 8 was not scaled by 2^7", &f)
	}
	for _, g := range b.targetFrames(c) {
		if len(g.TCP.Payload) > 0 && g.TCP.Seq.Add(tcp.Size(len(g.TCP.Payload))).GreaterThan(c.State().IRS.Add(1+1024)) {
			b.Fatalf("segment %v goes beyond the scaled window of 1024 octets", &g)
		}
	}
}

// wscaleTheirs: RFC7323 §2.3. Out-of-order data beyond the target's unscaled window field
// but within field × 2^shift is taken (SACKed), not dropped.
func wscaleTheirs(t *T) {
	b := newBench(t)
	c, _ := b.open(probe.ConnConfig{})
	st := c.State()
	if !st.WindowScale || st.SndWScale == 0 {
		b.Unsupported("the target does not scale its window")
	}
	if !st.SACK {
		b.Unsupported("SACK not negotiated: no way to see out-of-order data taken")
	}
	var field uint16
	for _, f := range b.targetFrames(c) {
		if !f.TCP.Flags.Has(fSYN) {
			field = f.TCP.Window
		}
	}
	if field == 0 {
		field = b.synOf(c).TCP.Window >> st.SndWScale
	}
	off := int(field) + 100 // beyond the unscaled value, within the scaled one
	if off+100 >= st.SndWnd {
		b.Skipf("the target's window (%d octets) leaves no room beyond the unscaled field %d", st.SndWnd, field)
	}
	at := st.SndNxt.Add(tcp.Size(off))
	b.send(c, probe.Segment{Flags: fACK, Seq: at, Payload: pattern(100, 'o')})
	f := b.expect(c, probe.Flags(fACK), "duplicate ACK for out-of-order data")
	ok := false
	for _, blk := range f.TCP.Options.SACK {
		if blk.Left == at {
			ok = true
		}
	}
	if !ok {
		b.Fatalf("ACK %v: no SACK block for data at offset %d, inside the scaled window %d", &f, off, st.SndWnd)
	}
}
