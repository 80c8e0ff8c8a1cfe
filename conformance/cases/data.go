package cases

import (
	"bytes"
	"fmt"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Data: delivery, reassembly, the window both ways, SWS avoidance, ACK
// generation, PUSH and urgent data (RFC9293 §3.8, §3.9.1.2, §3.10.7.4).

func init() {
	registerCase("data/in-order", "in-order segments are delivered in order and acknowledged", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, inOrder)
	registerCase("data/out-of-order-reassembly", "segments sent 1-3-2-4-5 are reassembled; filling the hole acknowledges everything queued", suite.MUST,
		[]string{"RFC9293 MUST-58", "RFC9293 SHLD-31", "RFC9293 MUST-59"}, outOfOrder)
	registerCase("data/overlapping-segments", "overlapping segments deliver each octet once", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, overlapping)
	registerCase("data/beyond-window-dropped", "a segment beyond the receive window is dropped and answered with an ACK", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, beyondWindow)
	registerCase("data/old-duplicate-reacked", "an old duplicate segment is acknowledged again and not delivered twice", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, oldDuplicate)
	registerCase("data/bad-checksum-dropped", "a segment with a wrong checksum is dropped", suite.MUST,
		[]string{"RFC9293 MUST-3"}, badChecksum)
	registerCase("data/checksums-generated", "every segment the target sends has a right checksum", suite.MUST,
		[]string{"RFC9293 MUST-2"}, checksumsGenerated)
	registerCase("data/window-unsigned", "a window of 65535 without scaling (top bit set) is a large window, not a negative one", suite.MUST,
		[]string{"RFC9293 MUST-1"}, windowUnsigned)
	registerCase("data/window-respected", "the target sends no more than the window we advertise", suite.MUST,
		[]string{"RFC9293 §3.8.6", "RFC9293 §3.10.7.4"}, windowRespected)
	registerCase("data/zero-window-probe", "a zero window is probed and reopened", suite.MUST,
		[]string{"RFC9293 MUST-35", "RFC9293 MUST-36", "RFC9293 SHLD-29"}, zeroWindowProbe)
	registerCase("data/zero-window-indefinite", "a zero window answered with ACKs may stay closed for ever: the target keeps probing", suite.MUST,
		[]string{"RFC9293 MUST-37", "RFC9293 SHLD-30"}, zeroWindowIndefinite)
	registerCase("data/zero-window-rst-processed", "with the target's receive window at zero, a RST at RCV.NXT is still processed", suite.MUST,
		[]string{"RFC9293 MUST-66"}, zeroWindowRST)
	registerCase("data/window-shrink-survived", "a window moved left (shrunk) does not break the transfer", suite.MUST,
		[]string{"RFC9293 MUST-34"}, windowShrink)
	registerCase("data/receiver-sws", "the target does not reopen its window in small steps", suite.MUST,
		[]string{"RFC9293 MUST-39"}, receiverSWS)
	registerCase("data/sender-sws-nagle", "with an unacknowledged segment, small writes are held and sent together", suite.MUST,
		[]string{"RFC9293 MUST-38", "RFC9293 SHLD-7"}, senderSWS)
	registerCase("data/nodelay", "with TCP_NODELAY small writes go out at once, unacknowledged data or not", suite.MUST,
		[]string{"RFC9293 MUST-17"}, noDelay)
	registerCase("data/no-indefinite-buffering", "a small write on an idle connection is sent without waiting", suite.MUST,
		[]string{"RFC9293 MUST-60"}, noBuffering)
	registerCase("data/delayed-ack-bound", "data is acknowledged within 500 ms", suite.MUST,
		[]string{"RFC9293 MUST-40", "RFC9293 SHLD-18"}, delayedACK)
	registerCase("data/ack-every-second-segment", "at least every second full-sized segment is acknowledged", suite.SHOULD,
		[]string{"RFC9293 SHLD-19", "RFC5681 §4.2"}, ackEverySecond)
	registerCase("data/psh-last-segment", "the last segment of a write carries PSH", suite.MUST,
		[]string{"RFC9293 MUST-61"}, pshLast)
	registerCase("data/urgent-to-target", "urgent data sent to the target leaves the connection working and acknowledged", suite.MUST,
		[]string{"RFC9293 MUST-30", "RFC9293 MUST-62"}, urgentToTarget)
	registerCase("data/urgent-long", "an urgent pointer beyond the segment (long urgent data) is accepted", suite.MUST,
		[]string{"RFC9293 MUST-31"}, urgentLong)
	registerCase("data/urgent-from-target", "the target's urgent pointer points to the octet after the urgent data", suite.MUST,
		[]string{"RFC9293 MUST-30", "RFC9293 MUST-62", "RFC6093 §3"}, urgentFromTarget)
}

// inOrder: RFC9293 §3.10.7.4 (seventh, segment text). Three segments in order are
// delivered in order and acknowledged together.
func inOrder(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	var all []byte
	for i := range 3 {
		d := pattern(100, byte('a'+i))
		all = append(all, d...)
		s.sendData(c, fmt.Sprintf("P. %d:%d(100) ack 1", 1+100*i, 101+100*i), string(d))
	}
	s.readExpect(fd, string(all))
	s.expect(c, ". 1:1(0) ack 301")
}

// outOfOrder: RFC9293 SHLD-31, MUST-58, MUST-59. Segment 3 beyond a hole is
// held (duplicate ACK, SHLD-31: "Segments with higher beginning sequence
// numbers SHOULD be held for later processing"); segment 2 fills the hole,
// and the first ACK after it covers 1-3 (§3.10.7.4: "the processing of
// received segments MUST be implemented to aggregate ACK segments whenever
// possible (MUST-58). For example, if the TCP endpoint is processing a
// series of queued segments, it MUST process them all before sending any
// ACK segments (MUST-59)"); 4 and 5 follow.
func outOfOrder(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	seg := func(i int) { // segment i of five, 100 octets each
		s.sendData(c, fmt.Sprintf("P. %d:%d(100) ack 1", 1+100*i, 101+100*i), string(pattern(100, byte('a'+i))))
	}
	seg(0)
	s.expect(c, ". 1:1(0) ack 101")
	seg(2)
	s.expect(c, ". 1:1(0) ack 101") // duplicate ACK: segment 3 is beyond the hole
	seg(1)
	if f := s.expectMatch(c, probe.HasFlags(tcp.FlagACK), "first ACK once the hole is filled"); f.TCP.Ack != c.State().ISS.Add(301) {
		s.Fatalf("the first ACK after the hole was filled acknowledges %d octets, not the 300 of segments 1-3: the queued segment 3 was not processed before the ACK was sent (MUST-59)", rel(f.TCP.Ack, c.State().ISS)-1)
	}
	seg(3)
	seg(4)
	s.expect(c, ". 1:1(0) ack 501")
	var want []byte
	for i := range 5 {
		want = append(want, pattern(100, byte('a'+i))...)
	}
	s.readExpect(fd, string(want))
}

// overlapping: RFC9293 §3.10.7.4. Segments overlapping each other deliver each octet
// once, in order.
func overlapping(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	all := string(pattern(300, 'k'))
	s.sendData(c, "P. 1:151(150) ack 1", all[:150])
	s.sendData(c, "P. 101:251(150) ack 1", all[100:250])
	s.sendData(c, "P. 51:301(250) ack 1", all[50:300])
	s.readExpect(fd, all)
	s.expect(c, ". 1:1(0) ack 301")
}

// beyondWindow: RFC9293 §3.10.7.4 (first, sequence number). A segment beyond
// RCV.NXT+RCV.WND is not acceptable: an ACK of RCV.NXT answers it, nothing is delivered.
func beyondWindow(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	at := 1 + c.State().SndWnd + 10000
	s.send(c, "P. %d:%d(7) ack 1", at, at+7)
	s.expectNext(c, ". 1:1(0) ack 1", "the answer to a segment beyond the window (RCV.NXT unchanged)")
	s.sendData(c, "P. 1:7(6) ack 1", "inside")
	s.readExpect(fd, "inside")
}

// oldDuplicate: RFC9293 §3.10.7.4. A segment entirely before RCV.NXT is an old duplicate:
// ACKed again, not delivered again.
func oldDuplicate(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendData(c, "P. 1:5(4) ack 1", "once")
	s.readExpect(fd, "once")
	s.expect(c, ". 1:1(0) ack 5")
	s.sendData(c, "P. 1:5(4) ack 1", "once") // the old duplicate
	s.expect(c, ". 1:1(0) ack 5")
	s.sendData(c, "P. 5:10(5) ack 1", "twice")
	s.readExpect(fd, "twice")
}

// badChecksum: RFC9293 MUST-3. A bad checksum drops the segment. The proof is positive:
// the good segment with the same sequence number and other bytes draws a bare ACK of exactly it,
// without a D-SACK, and the application reads the good bytes.
func badChecksum(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendSegment(c, probe.Segment{Flags: tcp.FlagPSH | tcp.FlagACK, Payload: []byte("BAD!!"), BadChecksum: true})
	s.sendData(c, "P. 1:6(5) ack 1", "good!")
	f := s.expectMatch(c, probe.Any, "the target's next segment")
	if f.TCP.Flags != tcp.FlagACK || f.TCP.Ack != c.State().ISS.Add(6) || len(f.TCP.Options.SACK) != 0 {
		s.Fatalf("first reply %v: want a bare ACK of %d without SACK blocks", &f, uint32(c.State().ISS.Add(6)))
	}
	s.readExpect(fd, "good!")
}

// checksumsGenerated: RFC9293 MUST-2. Every segment of an exchange (handshake, data
// both ways, close) carries a right checksum.
func checksumsGenerated(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.checkEachSegment(c, fd, checksumWrong)
}

// checksumWrong says what is wrong with f's checksum, if anything, for
// checkEachSegment.
func checksumWrong(f *probe.Frame) string {
	if !f.ChecksumOK {
		return "a wrong checksum"
	}
	return ""
}

// windowUnsigned: RFC9293 MUST-1. A window field of 65535 without scaling has the top
// bit set; read as signed it would be negative and the target would not send.
func windowUnsigned(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{Window: 65535, SYNOptions: synOpts("mss 1460")})
	s.writeAsync(fd, pattern(2000, 'u'))
	s.expectMatch(c, data, "data into a window of 65535")
}

// windowRespected: RFC9293 §3.8.6. With our window at 1000 octets and 5000 to send,
// nothing goes beyond SND.UNA+SND.WND.
func windowRespected(t *T) {
	s := newSession(t)
	const win = 1000
	c, fd := s.established(probe.ConnConfig{Window: win, SYNOptions: synOpts("mss 1460")})
	st := c.State()
	s.writeAsync(fd, pattern(5000, 'w'))
	s.expectMatch(c, data, "data")
	time.Sleep(300 * time.Millisecond)
	for _, f := range s.targetFrames(c) {
		if len(f.TCP.Payload) > 0 && f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload))).GreaterThan(st.RcvNxt.Add(win)) {
			s.Fatalf("segment %v goes beyond the window of %d octets", &f, win)
		}
	}
}

// closeWindow makes the target write n octets (more than our window),
// takes what fits and acknowledges it with a zero window. It returns the
// time of that ACK: what the target sends after it is its probing.
func (s *session) closeWindow(c *probe.Conn, fd agent.FD, n int) time.Time {
	s.writeAsync(fd, pattern(n, 'z'))
	s.expectMatch(c, data, "data")
	time.Sleep(100 * time.Millisecond) // the rest of the first window
	s.send(c, ". 1:1(0) ack %d win 0", rcvNxt(c))
	s.Logf("zero window after %d octets", c.State().Received)
	return time.Now()
}

// after matches a TCP segment that arrived after t.
func after(t time.Time) probe.Match {
	return probe.Func("after the zero window", func(f *probe.Frame) bool { return f.IsTCP() && f.Time.After(t) })
}

// zeroWindowProbe: RFC9293 MUST-35, MUST-36. After our zero window the target probes
// (at most one octet); when the window reopens the data follows.
func zeroWindowProbe(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1000"), Window: 1000})
	t0 := s.closeWindow(c, fd, 3000)
	f := s.expectMatch(c, after(t0), "a zero-window probe")
	if len(f.TCP.Payload) > 1 || f.TCP.Flags.Has(tcp.FlagRST|tcp.FlagFIN) {
		s.Fatalf("into a zero window the target sent %v, want a probe (at most one octet)", &f)
	}
	// Reopen: the rest comes.
	for c.State().Received < 3000 {
		s.send(c, ". 1:1(0) ack %d win 1000", rcvNxt(c))
		if _, err := c.Expect(data); err != nil {
			s.Fatalf("after the window reopened: %d of 3000 octets, then %v", c.State().Received, err)
		}
	}
}

// zeroWindowIndefinite: RFC9293 MUST-37. Probes answered with a zero window keep the
// connection open for as long as it takes (6 s here), with no RST or FIN.
func zeroWindowIndefinite(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1000"), Window: 1000, Timeout: 10 * time.Second})
	t0 := s.closeWindow(c, fd, 3000)
	deadline := time.Now().Add(6 * time.Second)
	probes := 0
	for time.Now().Before(deadline) {
		f, err := c.Expect(after(t0))
		if err != nil {
			s.Fatalf("after %d probes: %v", probes, err)
		}
		if f.TCP.Flags.Has(tcp.FlagRST) || f.TCP.Flags.Has(tcp.FlagFIN) || len(f.TCP.Payload) > 1 {
			s.Fatalf("into a zero window the target sent %v", &f)
		}
		probes++
		s.send(c, ". 1:1(0) ack %d win 0", rcvNxt(c))
	}
	s.Logf("%d zero-window probes in 6 s, each answered", probes)
	s.send(c, ". 1:1(0) ack %d win 1000", rcvNxt(c))
	s.expectMatch(c, data, "data once the window opens")
}

// fillWindowTime bounds fillWindow: a target that acknowledges each small
// segment only when its delayed-ACK timer fires (lwIP: 250 ms) would not
// close a 64 KiB window within a case's time.
const fillWindowTime = 10 * time.Second

// fillWindow sends data of up to 500 octets a segment until the target's
// window closes, limit segments went or fillWindowTime passed, and returns
// the target's last ACK (a zero window in it if the window closed). A
// target that stops acknowledging in-window data (lwIP past its SO_RCVBUF)
// ends the filling with its window open.
func (s *session) fillWindow(c *probe.Conn, limit int) probe.Frame {
	var last probe.Frame
	start := time.Now()
	for range limit {
		n := min(500, c.State().SndWnd)
		if n == 0 || time.Since(start) > fillWindowTime {
			break
		}
		at := sndNxt(c)
		s.send(c, "P. %d:%d(%d) ack 1", at, at+int64(n), n)
		f, err := c.Expect(ackOf(c.State().ISS.Add(tcp.Size(at + int64(n)))))
		if err != nil {
			s.Logf("no ACK of %d with the window open: %v", at+int64(n), err)
			break
		}
		last = f
		if last.TCP.Window == 0 {
			break
		}
	}
	return last
}

// zeroWindowRST: RFC9293 MUST-66. With the target's receive window filled to zero, a
// RST at RCV.NXT is still processed: a later segment for the connection draws a RST.
func zeroWindowRST(t *T) {
	s := newSession(t)
	c, _ := s.establishedWith(probe.ConnConfig{}, func(lfd agent.FD) { s.setopt(lfd, "SO_RCVBUF", 4096) })
	if s.fillWindow(c, 200).TCP.Window != 0 {
		s.Skipf("the target's window did not close (SO_RCVBUF 4096 not honoured)")
	}
	s.Logf("the target's window is zero; RST at RCV.NXT")
	at := sndNxt(c)
	s.send(c, "R %d:%d(0)", at, at)
	s.send(c, ". %d:%d(0) ack 1", at, at)
	s.expectMatch(c, rst, "RST for an ACK after the connection was reset")
}

// windowShrink: RFC9293 MUST-34. Our window's right edge moves left; the target copes
// and delivers all data, unchanged, once the window reopens.
func windowShrink(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1000"), Window: 8000})
	const n = 20000
	s.writeAsync(fd, pattern(n, 's'))
	first := s.expectMatch(c, data, "data")
	// Acknowledge the first segment with a window whose right edge is
	// left of the one advertised before.
	s.send(c, ". 1:1(0) ack %d win 100", 1+len(first.TCP.Payload))
	time.Sleep(500 * time.Millisecond)
	for c.State().Received < n {
		s.send(c, ". 1:1(0) ack %d win 8000", rcvNxt(c))
		if _, err := c.Expect(data); err != nil {
			s.Fatalf("after the window shrank: %d of %d octets, then %v", c.State().Received, n, err)
		}
	}
	if got := c.Received(); !bytes.Equal(got, pattern(n, 's')) {
		s.Fatalf("the data after the shrink differs")
	}
}

// receiverSWS: RFC9293 MUST-39. With the target's window at zero, a read of 10 octets
// (far below one MSS) does not reopen it to a silly 10.
func receiverSWS(t *T) {
	s := newSession(t)
	c, fd := s.establishedWith(probe.ConnConfig{SYNOptions: synOpts("mss 536")}, func(lfd agent.FD) { s.setopt(lfd, "SO_RCVBUF", 8192) })
	if s.fillWindow(c, 400).TCP.Window != 0 {
		s.Skipf("the target's window did not close")
	}
	// The application reads 10 octets: far less than an MSS. The window
	// must stay closed.
	s.read(fd, 10)
	at := sndNxt(c) - 1 // a window probe
	s.send(c, ". %d:%d(0) ack 1", at, at)
	f := s.expectMatch(c, probe.Flags(tcp.FlagACK), "ACK to a window probe")
	if w := int(f.TCP.Window) << c.State().SndWScale; w > 0 && w < 536 {
		s.Fatalf("after a 10-octet read the target advertises %d octets: a silly window", w)
	}
}

// senderSWS: RFC9293 MUST-38, SHLD-7 (Nagle). While a small segment is unacknowledged,
// further small writes are held, then sent together.
func senderSWS(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.write(fd, "first")
	first := s.expectData(c, "P. 1:6(5) ack 1", "first")
	for range 9 {
		s.write(fd, "0123456789")
	}
	// Nothing new while the first is unacknowledged (a retransmission of it
	// is fine).
	later := probe.And(data, probe.Not(probe.Seq(first.TCP.Seq)))
	s.none(c, 150*time.Millisecond, later, "a small segment while data was unacknowledged")
	s.send(c, ". 1:1(0) ack 6")
	f := s.expectMatch(c, later, "the held data")
	if len(f.TCP.Payload) < 90 {
		s.Fatalf("held data sent in pieces: %v", &f)
	}
}

// noDelay: RFC9293 MUST-17. With TCP_NODELAY the second small write goes out before
// the first is acknowledged.
func noDelay(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.setopt(fd, "TCP_NODELAY", 1)
	s.write(fd, "one")
	first := s.expectData(c, "P. 1:4(3) ack 1", "one")
	s.write(fd, "two")
	f := s.expectData(c, "P. 4:7(3) ack 1", "two") // before any ACK
	if f.Time.Sub(first.Time) > 150*time.Millisecond {
		s.Fatalf("the second write waited %v", f.Time.Sub(first.Time))
	}
}

// noBuffering: RFC9293 MUST-60. One octet written on an idle connection is sent at once.
func noBuffering(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	start := time.Now()
	s.write(fd, "x")
	f := s.expectData(c, "P. 1:2(1) ack 1", "x")
	if d := f.Time.Sub(start); d > 500*time.Millisecond {
		s.Fatalf("one octet on an idle connection waited %v", d)
	}
}

// delayedACK: RFC9293 MUST-40. Each small segment is acknowledged within 0.5 s.
func delayedACK(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	for i := range 4 {
		time.Sleep(100 * time.Millisecond)
		at := 1 + 3*i
		s.sendData(c, fmt.Sprintf("P. %d:%d(3) ack 1", at, at+3), "abc")
		sent := time.Now()
		for _, g := range s.probe.Frames() {
			if g.Dir == probe.Out && g.IsTCP() && g.TCP.Seq == c.State().ISS.Add(tcp.Size(at)) && len(g.TCP.Payload) == 3 {
				sent = g.Time
			}
		}
		f := s.expect(c, ". 1:1(0) ack %d", at+3)
		if d := f.Time.Sub(sent); d >= 500*time.Millisecond {
			s.Fatalf("segment %d acknowledged after %v", i+1, d)
		}
	}
	s.read(fd, 12)
}

// ackEverySecond: RFC9293 SHLD-19. Six full-sized segments, 10 ms apart,
// draw at least three ACKs well before any delayed-ACK timer. They are
// spaced because a burst that the target finds queued may rightly draw a
// single ACK: "if the TCP endpoint is processing a series of queued
// segments, it MUST process them all before sending any ACK segments"
// (MUST-59), which is how a receiver reading its link in batches (tcpstack,
// Linux with GRO) acknowledges a burst.
func ackEverySecond(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	n := sendSize(c)
	for i := range 6 {
		if i > 0 {
			time.Sleep(ackSpacing)
		}
		s.send(c, ". %d:%d(%d) ack 1", 1+i*n, 1+(i+1)*n, n)
	}
	s.expect(c, ". 1:1(0) ack %d", 1+6*n)
	acks := 0
	for _, f := range s.targetFrames(c) {
		if f.TCP.Ack.GreaterThan(c.State().ISS.Add(1)) {
			acks++
		}
	}
	if acks < 3 {
		s.Fatalf("%d ACKs for six full-sized segments sent %v apart, want at least 3 (one for every second segment)", acks, ackSpacing)
	}
	s.read(fd, 6*n)
}

// ackSpacing separates the segments of ackEverySecond: long enough for the
// target to handle each before the next arrives, short against the 40-500
// ms delayed-ACK timers, so that only acknowledging every second segment
// yields three ACKs.
const ackSpacing = 10 * time.Millisecond

// pshLast: RFC9293 MUST-61. The segment ending the data of one write carries PSH.
func pshLast(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	frames := s.bulkFromTarget(c, fd, 5000)
	last := frames[len(frames)-1]
	for _, f := range frames {
		if f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload))) == c.State().RcvNxt {
			last = f
		}
	}
	if !last.TCP.Flags.Has(tcp.FlagPSH) {
		s.Fatalf("the segment ending the write has no PSH: %v", &last)
	}
}

// urgentToTarget: RFC9293 MUST-30, MUST-62. Eight octets with the urgent pointer after
// the eighth: acknowledged, and the data around it delivered (the last urgent octet may be
// taken out of band).
func urgentToTarget(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendData(c, "P.U 1:9(8) ack 1 urg 8", "abcdefgh")
	s.expect(c, ". 1:1(0) ack 9")
	s.sendData(c, "P. 9:12(3) ack 1", "XYZ")
	s.expect(c, ". 1:1(0) ack 12")
	// The urgent octet may be taken out of band (the BSD reading); the
	// rest arrives in order.
	got := s.read(fd, 10)
	if !bytes.HasPrefix(got, []byte("abcdefg")) {
		s.Fatalf("read %q", got)
	}
}

// urgentLong: RFC9293 MUST-31. The urgent pointer of three segments points past the first
// two: urgent data longer than a segment is taken.
func urgentLong(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	n := min(sendSize(c), 1000)
	for i := range 3 {
		s.send(c, ".U %d:%d(%d) ack 1 urg %d", 1+i*n, 1+(i+1)*n, n, 3*n-i*n)
	}
	s.expect(c, ". 1:1(0) ack %d", 1+3*n)
	s.read(fd, 3*n-1)
}

// urgentFromTarget: RFC9293 MUST-62, RFC6093 §3. A send with MSG_OOB puts the urgent
// pointer on the octet after the urgent one.
func urgentFromTarget(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.write(fd, "abc")
	s.expectData(c, "P. 1:4(3) ack 1", "abc")
	s.send(c, ". 1:1(0) ack 4")
	if _, err := s.agent.SendOOB(s.ctx, fd, []byte("!")); err != nil {
		s.agentFailed("send urgent data", err)
	}
	f := s.expectMatch(c, probe.HasFlags(tcp.FlagURG), "a segment with URG")
	end := f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload)))
	if f.TCP.Seq.Add(tcp.Size(f.TCP.Urgent)) != end {
		s.Fatalf("segment %v: urgent pointer %d points to seq %d, want %d (the octet after the urgent one)",
			&f, f.TCP.Urgent, uint32(f.TCP.Seq.Add(tcp.Size(f.TCP.Urgent))), uint32(end))
	}
}

func init() {
	register(suite.Case{ID: "data/sack-blocks-reported", Title: "out-of-order data is reported in SACK blocks, the most recent first",
		Level: suite.FEATURE, Requirements: []string{"RFC2018 §4"}}, sackReported)
}

// sackReported: RFC2018 §4. Two separate out-of-order segments draw duplicate
// ACKs whose first SACK block is the segment that arrived last.
func sackReported(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	if !c.State().SACK {
		s.Unsupported("SACK not negotiated: the target does not offer it")
	}
	s.send(c, ". 201:301(100) ack 1")
	f := s.expectMatch(c, probe.Flags(tcp.FlagACK), "duplicate ACK for the first out-of-order segment")
	if !s.matchLine(c, ". 1:1(0) ack 1 <%s>", withTS(c, "sack 201:301")).Match(&f) {
		s.Fatalf("ACK %v: want a SACK block 201:301 (relative)", &f)
	}
	s.send(c, ". 401:501(100) ack 1")
	g := s.expectMatch(c, probe.Flags(tcp.FlagACK), "duplicate ACK for the second")
	if !s.matchLine(c, ". 1:1(0) ack 1 <%s>", withTS(c, "sack 401:501 201:301")).Match(&g) {
		s.Fatalf("ACK %v: want the block of the latest segment (401:501, relative) first, then the earlier one", &g)
	}
}
