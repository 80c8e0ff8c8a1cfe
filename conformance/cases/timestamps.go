package cases

import (
	"fmt"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Timestamps, PAWS and window scaling (RFC7323): features a target may lack
// (UNSUPPORTED), with MUSTs once negotiated.

func init() {
	registerCase("timestamps/tsecr-echoes", "the target's ACK echoes the TSval of the segment it acknowledges", suite.MUST,
		[]string{"RFC7323 §3.2", "RFC7323 §4.3", "RFC9293 MUST-5"}, tsEcho)
	registerCase("timestamps/on-every-segment", "once negotiated, every segment but RSTs carries a Timestamps option", suite.MUST,
		[]string{"RFC7323 §3.2"}, tsEverySegment)
	registerCase("timestamps/not-sent-unless-negotiated", "without our Timestamps option in the SYN the target sends none", suite.MUST,
		[]string{"RFC7323 §3.2"}, tsNotNegotiated)
	registerCase("timestamps/paws-old-tsval-dropped", "a segment with an old TSval is dropped and acknowledged", suite.MUST,
		[]string{"RFC7323 §5.3"}, pawsOld)
	registerCase("timestamps/window-scale-applied-by-target", "the target scales the window field we send by our shift", suite.MUST,
		[]string{"RFC7323 §2.3"}, wscaleOurs)
	registerCase("timestamps/window-scale-of-target", "the target's window field means field × 2^shift: data beyond the unscaled value is taken", suite.MUST,
		[]string{"RFC7323 §2.3", "RFC2018 §4"}, wscaleTheirs)
}

// establishedTS is established with timestamps negotiated; a target that
// does not offer them makes the case UNSUPPORTED.
func (s *session) establishedTS() (*probe.Conn, agent.FD) {
	c, fd := s.established(probe.ConnConfig{})
	if !c.State().Timestamps {
		s.Unsupported("timestamps not negotiated: the target does not offer them")
	}
	return c, fd
}

// tsEcho: RFC7323 §3.2, §4.3. The ACK of our segment echoes its TSval.
func tsEcho(t *T) {
	s := newSession(t)
	c, fd := s.establishedTS()
	const val = 0x5000_0000
	s.echoesTSval(c, fd, fmt.Sprintf("P. 1:5(4) ack 1 <nop,nop,TS val %d ecr *>", val), "echo", val)
}

// echoesTSval sends payload in line, the first data on c, whose Timestamps
// option carries TSval val, and fails unless the application reads it and
// the target's ACK of it echoes val in its TSecr.
func (s *session) echoesTSval(c *probe.Conn, fd agent.FD, line, payload string, val uint32) {
	s.sendData(c, line, payload)
	s.readExpect(fd, payload)
	f := s.expectMatch(c, ackOf(c.State().ISS.Add(tcp.Size(1+len(payload)))), "ACK of the data")
	if !f.TCP.Options.HasTimestamps || f.TCP.Options.TSEcr != val {
		s.Fatalf("ACK %v: want TSecr %d, the TSval of the data it acknowledges", &f, val)
	}
}

// tsEverySegment: RFC7323 §3.2. Once negotiated, every non-RST segment carries timestamps.
func tsEverySegment(t *T) {
	s := newSession(t)
	c, fd := s.establishedTS()
	s.checkEachSegment(c, fd, func(f *probe.Frame) string {
		if !f.TCP.Flags.Has(tcp.FlagRST) && !f.TCP.Options.HasTimestamps {
			return "no Timestamps option"
		}
		return ""
	})
}

// tsNotNegotiated: RFC7323 §3.2. Without timestamps in our SYN, none are sent.
func tsNotNegotiated(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1460,sackOK,nop,wscale 7")})
	s.checkEachSegment(c, fd, func(f *probe.Frame) string {
		if f.TCP.Options.HasTimestamps {
			return "a Timestamps option, which was not negotiated"
		}
		return ""
	})
}

// pawsOld: RFC7323 §5.3. The next octets stamped far in the past are dropped and ACKed;
// sent again with a current stamp, they are read.
func pawsOld(t *T) {
	s := newSession(t)
	c, fd := s.establishedTS()
	cur := c.State().OurOptions.TSVal + 1000
	s.sendData(c, fmt.Sprintf("P. 1:4(3) ack 1 <nop,nop,TS val %d ecr *>", cur), "new")
	s.readExpect(fd, "new")
	s.expect(c, ". 1:1(0) ack 4")
	// The next octets, but stamped far in the past.
	s.sendData(c, fmt.Sprintf("P. 4:7(3) ack 1 <nop,nop,TS val %d ecr *>", cur-0x1000_0000), "OLD")
	if f := s.expectMatch(c, probe.Flags(tcp.FlagACK), "ACK for the old segment"); !s.matchLine(c, ". 1:1(0) ack 4").Match(&f) {
		s.Fatalf("ACK %v: the segment with an old TSval was accepted", &f)
	}
	s.sendData(c, fmt.Sprintf("P. 4:7(3) ack 1 <nop,nop,TS val %d ecr *>", cur+10), "yes")
	s.readExpect(fd, "yes")
}

// wscaleOurs: RFC7323 §2.3. Shift 7 and a window field of 8 mean 1024 octets: the target
// sends more than 8 and no more than 1024.
func wscaleOurs(t *T) {
	s := newSession(t)
	// Shift 7 and a window field of 8: 1024 octets; read unscaled, 8.
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1000,nop,wscale 7"), Window: 8})
	if !c.State().WindowScale {
		s.Unsupported("window scaling not negotiated: the target does not offer it")
	}
	s.writeAsync(fd, pattern(3000, 'W'))
	f := s.expectMatch(c, data, "data into a scaled window of 1024 octets")
	if len(f.TCP.Payload) <= 8 {
		s.Fatalf("segment %v: the window field 8 was not scaled by 2^7", &f)
	}
	for _, g := range s.targetFrames(c) {
		if len(g.TCP.Payload) > 0 && g.TCP.Seq.Add(tcp.Size(len(g.TCP.Payload))).GreaterThan(c.State().IRS.Add(1+1024)) {
			s.Fatalf("segment %v goes beyond the scaled window of 1024 octets", &g)
		}
	}
}

// wscaleTheirs: RFC7323 §2.3. Out-of-order data beyond the target's unscaled window field
// but within field × 2^shift is taken (SACKed), not dropped.
func wscaleTheirs(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	st := c.State()
	if !st.WindowScale || st.SndWScale == 0 {
		s.Unsupported("the target does not scale its window")
	}
	if !st.SACK {
		s.Unsupported("SACK not negotiated: no way to see out-of-order data taken")
	}
	var field uint16
	for _, f := range s.targetFrames(c) {
		if !f.TCP.Flags.Has(tcp.FlagSYN) {
			field = f.TCP.Window
		}
	}
	if field == 0 {
		field = s.synOf(c).TCP.Window >> st.SndWScale
	}
	off := int(field) + 100 // beyond the unscaled value, within the scaled one
	if off+100 >= st.SndWnd {
		s.Skipf("the target's window (%d octets) leaves no room beyond the unscaled field %d", st.SndWnd, field)
	}
	s.send(c, ". %d:%d(100) ack 1", 1+off, 101+off)
	f := s.expectMatch(c, probe.Flags(tcp.FlagACK), "duplicate ACK for out-of-order data")
	ok := false
	for _, blk := range f.TCP.Options.SACK {
		if blk.Left == st.SndNxt.Add(tcp.Size(off)) {
			ok = true
		}
	}
	if !ok {
		s.Fatalf("ACK %v: no SACK block for data at offset %d, inside the scaled window %d", &f, off, st.SndWnd)
	}
}
