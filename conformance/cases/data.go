package cases

import (
	"bytes"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Data: delivery, reassembly, the window both ways, SWS avoidance, ACK
// generation, PUSH and urgent data (RFC9293 §3.8, §3.9.1.2, §3.10.7.4).

func init() {
	reg := func(id, title string, lvl suite.Level, req []string, run func(*T)) {
		register(suite.Case{ID: id, Title: title, Level: lvl, Requirements: req}, run)
	}
	reg("data/in-order", "in-order segments are delivered in order and acknowledged", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, inOrder)
	reg("data/out-of-order-reassembly", "segments sent 1-3-2-4-5 are reassembled; filling the hole acknowledges everything queued", suite.MUST,
		[]string{"RFC9293 MUST-58", "RFC9293 SHLD-31", "RFC9293 MUST-59"}, outOfOrder)
	reg("data/overlapping-segments", "overlapping segments deliver each octet once", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, overlapping)
	reg("data/beyond-window-dropped", "a segment beyond the receive window is dropped and answered with an ACK", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, beyondWindow)
	reg("data/old-duplicate-reacked", "an old duplicate segment is acknowledged again and not delivered twice", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, oldDuplicate)
	reg("data/bad-checksum-dropped", "a segment with a wrong checksum is dropped", suite.MUST,
		[]string{"RFC9293 MUST-3"}, badChecksum)
	reg("data/checksums-generated", "every segment the target sends has a right checksum", suite.MUST,
		[]string{"RFC9293 MUST-2"}, checksumsGenerated)
	reg("data/window-unsigned", "a window of 65535 without scaling (top bit set) is a large window, not a negative one", suite.MUST,
		[]string{"RFC9293 MUST-1"}, windowUnsigned)
	reg("data/window-respected", "the target sends no more than the window we advertise", suite.MUST,
		[]string{"RFC9293 §3.8.6", "RFC9293 §3.10.7.4"}, windowRespected)
	reg("data/zero-window-probe", "a zero window is probed and reopened", suite.MUST,
		[]string{"RFC9293 MUST-35", "RFC9293 MUST-36", "RFC9293 SHLD-29"}, zeroWindowProbe)
	reg("data/zero-window-indefinite", "a zero window answered with ACKs may stay closed for ever: the target keeps probing", suite.MUST,
		[]string{"RFC9293 MUST-37", "RFC9293 SHLD-30"}, zeroWindowIndefinite)
	reg("data/zero-window-rst-processed", "with the target's receive window at zero, a RST at RCV.NXT is still processed", suite.MUST,
		[]string{"RFC9293 MUST-66"}, zeroWindowRST)
	reg("data/window-shrink-survived", "a window moved left (shrunk) does not break the transfer", suite.MUST,
		[]string{"RFC9293 MUST-34"}, windowShrink)
	reg("data/receiver-sws", "the target does not reopen its window in small steps", suite.MUST,
		[]string{"RFC9293 MUST-39"}, receiverSWS)
	reg("data/sender-sws-nagle", "with an unacknowledged segment, small writes are held and sent together", suite.MUST,
		[]string{"RFC9293 MUST-38", "RFC9293 SHLD-7"}, senderSWS)
	reg("data/nodelay", "with TCP_NODELAY small writes go out at once, unacknowledged data or not", suite.MUST,
		[]string{"RFC9293 MUST-17"}, noDelay)
	reg("data/no-indefinite-buffering", "a small write on an idle connection is sent without waiting", suite.MUST,
		[]string{"RFC9293 MUST-60"}, noBuffering)
	reg("data/delayed-ack-bound", "data is acknowledged within 500 ms", suite.MUST,
		[]string{"RFC9293 MUST-40", "RFC9293 SHLD-18"}, delayedACK)
	reg("data/ack-every-second-segment", "at least every second full-sized segment is acknowledged", suite.SHOULD,
		[]string{"RFC9293 SHLD-19", "RFC5681 §4.2"}, ackEverySecond)
	reg("data/psh-last-segment", "the last segment of a write carries PSH", suite.MUST,
		[]string{"RFC9293 MUST-61"}, pshLast)
	reg("data/urgent-to-target", "urgent data sent to the target leaves the connection working and acknowledged", suite.MUST,
		[]string{"RFC9293 MUST-30", "RFC9293 MUST-62"}, urgentToTarget)
	reg("data/urgent-long", "an urgent pointer beyond the segment (long urgent data) is accepted", suite.MUST,
		[]string{"RFC9293 MUST-31"}, urgentLong)
	reg("data/urgent-from-target", "the target's urgent pointer points to the octet after the urgent data", suite.MUST,
		[]string{"RFC9293 MUST-30", "RFC9293 MUST-62", "RFC6093 §3"}, urgentFromTarget)
}

// inOrder: RFC9293 §3.10.7.4 (seventh, segment text). Three segments in order are
// delivered in order and acknowledged together.
func inOrder(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	var all []byte
	for i := range 3 {
		d := pattern(100, byte('a'+i))
		all = append(all, d...)
		b.sendData(c, d)
	}
	b.readExpect(fd, all)
	b.expect(c, ackOf(c.State().SndNxt), "ACK of all data")
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
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	seg := func(i int) { // segment i of five, 100 octets each
		b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(tcp.Size(100 * i)), Payload: pattern(100, byte('a'+i))})
	}
	seg(0)
	b.expect(c, ackOf(st.SndNxt.Add(100)), "ACK of segment 1")
	seg(2)
	b.expect(c, ackOf(st.SndNxt.Add(100)), "duplicate ACK for segment 3 (beyond the hole)")
	seg(1)
	if f := b.expect(c, probe.HasFlags(fACK), "first ACK once the hole is filled"); f.TCP.Ack != st.SndNxt.Add(300) {
		b.Fatalf("the first ACK after the hole was filled acknowledges %d octets, not the 300 of segments 1-3: the queued segment 3 was not processed before the ACK was sent (MUST-59)", rel(f.TCP.Ack, st.SndNxt))
	}
	seg(3)
	seg(4)
	b.expect(c, ackOf(st.SndNxt.Add(500)), "ACK of all five")
	var want []byte
	for i := range 5 {
		want = append(want, pattern(100, byte('a'+i))...)
	}
	b.readExpect(fd, want)
}

// overlapping: RFC9293 §3.10.7.4. Segments overlapping each other deliver each octet
// once, in order.
func overlapping(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	all := pattern(300, 'k')
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt, Payload: all[:150]})
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(100), Payload: all[100:250]})
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(50), Payload: all[50:300]})
	b.readExpect(fd, all)
	b.expect(c, ackOf(st.SndNxt.Add(300)), "ACK of the 300 octets")
}

// beyondWindow: RFC9293 §3.10.7.4 (first, sequence number). A segment beyond
// RCV.NXT+RCV.WND is not acceptable: an ACK of RCV.NXT answers it, nothing is delivered.
func beyondWindow(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(tcp.Size(st.SndWnd + 10000)), Payload: []byte("outside")})
	f := b.expect(c, probe.Flags(fACK), "ACK for a segment beyond the window")
	if f.TCP.Ack != st.SndNxt {
		b.Fatalf("ACK %v: want ack %d (RCV.NXT unchanged)", &f, uint32(st.SndNxt))
	}
	b.sendData(c, []byte("inside"))
	b.readExpect(fd, []byte("inside"))
}

// oldDuplicate: RFC9293 §3.10.7.4. A segment entirely before RCV.NXT is an old duplicate:
// ACKed again, not delivered again.
func oldDuplicate(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.sendData(c, []byte("once"))
	b.readExpect(fd, []byte("once"))
	b.expect(c, ackOf(st.SndNxt.Add(4)), "ACK of the data")
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt, Payload: []byte("once")})
	b.expect(c, ackOf(st.SndNxt.Add(4)), "ACK for the old duplicate")
	b.sendData(c, []byte("twice"))
	b.readExpect(fd, []byte("twice"))
}

// badChecksum: RFC9293 MUST-3. A bad checksum drops the segment. The proof is positive:
// the good segment with the same sequence number and other bytes draws a bare ACK of exactly it,
// without a D-SACK, and the application reads the good bytes.
func badChecksum(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fPSH | fACK, Payload: []byte("BAD!!"), BadChecksum: true})
	b.sendData(c, []byte("good!"))
	f := b.expect(c, probe.Any, "the target's next segment")
	if f.TCP.Flags != fACK || f.TCP.Ack != st.SndNxt.Add(5) || len(f.TCP.Options.SACK) != 0 {
		b.Fatalf("first reply %v: want a bare ACK of %d without SACK blocks", &f, uint32(st.SndNxt.Add(5)))
	}
	b.readExpect(fd, []byte("good!"))
}

// checksumsGenerated: RFC9293 MUST-2. Every segment of an exchange (handshake, data
// both ways, close) carries a right checksum.
func checksumsGenerated(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.exchange(c, fd)
	for _, f := range b.targetFrames(c) {
		if !f.ChecksumOK {
			b.Fatalf("segment with a wrong checksum: %v", &f)
		}
	}
}

// windowUnsigned: RFC9293 MUST-1. A window field of 65535 without scaling has the top
// bit set; read as signed it would be negative and the target would not send.
func windowUnsigned(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{Window: 65535, SYNOptions: probe.MSS(1460)})
	go b.a.Write(b.ctx, fd, pattern(2000, 'u'))
	b.expect(c, data, "data into a window of 65535")
}

// windowRespected: RFC9293 §3.8.6. With our window at 1000 octets and 5000 to send,
// nothing goes beyond SND.UNA+SND.WND.
func windowRespected(t *T) {
	b := newBench(t)
	const win = 1000
	c, fd := b.open(probe.ConnConfig{Window: win, SYNOptions: probe.MSS(1460)})
	st := c.State()
	go b.a.Write(b.ctx, fd, pattern(5000, 'w'))
	b.expect(c, data, "data")
	time.Sleep(300 * time.Millisecond)
	for _, f := range b.targetFrames(c) {
		if len(f.TCP.Payload) > 0 && f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload))).GreaterThan(st.RcvNxt.Add(win)) {
			b.Fatalf("segment %v goes beyond the window of %d octets", &f, win)
		}
	}
}

// closeWindow makes the target write n octets (more than our window),
// takes what fits and acknowledges it with a zero window. It returns the
// time of that ACK: what the target sends after it is its probing.
func (b *bench) closeWindow(c *probe.Conn, fd agent.FD, n int) time.Time {
	go b.a.Write(b.ctx, fd, pattern(n, 'z'))
	b.expect(c, data, "data")
	time.Sleep(100 * time.Millisecond) // the rest of the first window
	b.send(c, probe.Segment{Flags: fACK, Window: 0, Keep: probe.FieldWindow})
	b.Logf("zero window after %d octets", c.State().Received)
	return time.Now()
}

// after matches a TCP segment that arrived after t.
func after(t time.Time) probe.Match {
	return probe.Func("after the zero window", func(f *probe.Frame) bool { return f.IsTCP() && f.Time.After(t) })
}

// zeroWindowProbe: RFC9293 MUST-35, MUST-36. After our zero window the target probes
// (at most one octet); when the window reopens the data follows.
func zeroWindowProbe(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.MSS(1000), Window: 1000})
	t0 := b.closeWindow(c, fd, 3000)
	f := b.expect(c, after(t0), "a zero-window probe")
	if len(f.TCP.Payload) > 1 || f.TCP.Flags.Has(fRST|fFIN) {
		b.Fatalf("into a zero window the target sent %v, want a probe (at most one octet)", &f)
	}
	// Reopen: the rest comes.
	for c.State().Received < 3000 {
		b.send(c, probe.Segment{Flags: fACK, Window: 1000})
		if _, err := c.Expect(data); err != nil {
			b.Fatalf("after the window reopened: %d of 3000 octets, then %v", c.State().Received, err)
		}
	}
}

// zeroWindowIndefinite: RFC9293 MUST-37. Probes answered with a zero window keep the
// connection open for as long as it takes (6 s here), with no RST or FIN.
func zeroWindowIndefinite(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.MSS(1000), Window: 1000, Timeout: 10 * time.Second})
	t0 := b.closeWindow(c, fd, 3000)
	deadline := time.Now().Add(6 * time.Second)
	probes := 0
	for time.Now().Before(deadline) {
		f, err := c.Expect(after(t0))
		if err != nil {
			b.Fatalf("after %d probes: %v", probes, err)
		}
		if f.TCP.Flags.Has(fRST) || f.TCP.Flags.Has(fFIN) || len(f.TCP.Payload) > 1 {
			b.Fatalf("into a zero window the target sent %v", &f)
		}
		probes++
		b.send(c, probe.Segment{Flags: fACK, Window: 0, Keep: probe.FieldWindow})
	}
	b.Logf("%d zero-window probes in 6 s, each answered", probes)
	b.send(c, probe.Segment{Flags: fACK, Window: 1000})
	b.expect(c, data, "data once the window opens")
}

// zeroWindowRST: RFC9293 MUST-66. With the target's receive window filled to zero, a
// RST at RCV.NXT is still processed: a later segment for the connection draws a RST.
func zeroWindowRST(t *T) {
	b := newBench(t)
	lfd := b.listen(b.port)
	b.setopt(lfd, "SO_RCVBUF", 4096)
	c, err := b.p.Dial(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Fatalf("handshake: %v", err)
	}
	b.accept(lfd)
	closed := false
	for i := 0; i < 200 && !closed; i++ {
		st := c.State()
		n := min(500, st.SndWnd)
		if n == 0 {
			closed = true
			break
		}
		b.sendData(c, pattern(n, 'f'))
		f, err := c.Expect(ackOf(st.SndNxt.Add(tcp.Size(n))))
		if err != nil {
			b.Fatalf("filling the target's window: %v", err)
		}
		closed = f.TCP.Window == 0
	}
	if !closed {
		b.Skipf("the target's window did not close (SO_RCVBUF 4096 not honoured)")
	}
	b.Logf("the target's window is zero; RST at RCV.NXT")
	if err := c.Reset(); err != nil {
		b.Brokenf("probe: %v", err)
	}
	b.send(c, probe.Segment{Flags: fACK})
	b.expect(c, rst, "RST for an ACK after the connection was reset")
}

// windowShrink: RFC9293 MUST-34. Our window's right edge moves left; the target copes
// and delivers all data, unchanged, once the window reopens.
func windowShrink(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{SYNOptions: probe.MSS(1000), Window: 8000})
	const n = 20000
	go b.a.Write(b.ctx, fd, pattern(n, 's'))
	first := b.expect(c, data, "data")
	// Acknowledge the first segment with a window whose right edge is
	// left of the one advertised before.
	b.send(c, probe.Segment{Flags: fACK, Ack: first.TCP.Seq.Add(tcp.Size(len(first.TCP.Payload))), Window: 100, Keep: probe.FieldWindow})
	time.Sleep(500 * time.Millisecond)
	for c.State().Received < n {
		b.send(c, probe.Segment{Flags: fACK, Window: 8000})
		if _, err := c.Expect(data); err != nil {
			b.Fatalf("after the window shrank: %d of %d octets, then %v", c.State().Received, n, err)
		}
	}
	if got := c.Received(); !bytes.Equal(got, pattern(n, 's')) {
		b.Fatalf("the data after the shrink differs")
	}
}

// receiverSWS: RFC9293 MUST-39. With the target's window at zero, a read of 10 octets
// (far below one MSS) does not reopen it to a silly 10.
func receiverSWS(t *T) {
	b := newBench(t)
	lfd := b.listen(b.port)
	b.setopt(lfd, "SO_RCVBUF", 8192)
	c, err := b.p.Dial(b.at(b.port), probe.ConnConfig{LocalPort: b.port, SYNOptions: probe.MSS(536)})
	if err != nil {
		b.Fatalf("handshake: %v", err)
	}
	fd := b.accept(lfd)
	var last probe.Frame
	for i := 0; i < 400; i++ {
		st := c.State()
		n := min(500, st.SndWnd)
		if n == 0 {
			break
		}
		b.sendData(c, pattern(n, 'r'))
		last = b.expect(c, ackOf(st.SndNxt.Add(tcp.Size(n))), "ACK")
	}
	if last.TCP.Window != 0 {
		b.Skipf("the target's window did not close")
	}
	// The application reads 10 octets: far less than an MSS. The window
	// must stay closed.
	b.read(fd, 10)
	b.send(c, probe.Segment{Flags: fACK, Seq: c.State().SndNxt.Sub(1), Keep: probe.FieldSeq})
	f := b.expect(c, probe.Flags(fACK), "ACK to a window probe")
	if w := int(f.TCP.Window) << c.State().SndWScale; w > 0 && w < 536 {
		b.Fatalf("after a 10-octet read the target advertises %d octets: a silly window", w)
	}
}

// senderSWS: RFC9293 MUST-38, SHLD-7 (Nagle). While a small segment is unacknowledged,
// further small writes are held, then sent together.
func senderSWS(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.write(fd, []byte("first"))
	first := b.expect(c, data, "the first small segment")
	for range 9 {
		b.write(fd, []byte("0123456789"))
	}
	// Nothing new while the first is unacknowledged (a retransmission of it
	// is fine).
	b.none(c, 150*time.Millisecond, probe.And(data, probe.Not(probe.Seq(first.TCP.Seq))), "a small segment while data was unacknowledged")
	b.ack(c)
	f := b.expect(c, probe.And(data, probe.Not(probe.Seq(first.TCP.Seq))), "the held data")
	if len(f.TCP.Payload) < 90 {
		b.Fatalf("held data sent in pieces: %v", &f)
	}
}

// noDelay: RFC9293 MUST-17. With TCP_NODELAY the second small write goes out before
// the first is acknowledged.
func noDelay(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.setopt(fd, "TCP_NODELAY", 1)
	b.write(fd, []byte("one"))
	first := b.expect(c, data, "the first write")
	b.write(fd, []byte("two"))
	f := b.expect(c, probe.And(data, probe.Not(probe.Seq(first.TCP.Seq))), "the second write, before any ACK")
	if f.Time.Sub(first.Time) > 150*time.Millisecond {
		b.Fatalf("the second write waited %v", f.Time.Sub(first.Time))
	}
}

// noBuffering: RFC9293 MUST-60. One octet written on an idle connection is sent at once.
func noBuffering(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	start := time.Now()
	b.write(fd, []byte("x"))
	f := b.expect(c, data, "the small write")
	if d := f.Time.Sub(start); d > 500*time.Millisecond {
		b.Fatalf("one octet on an idle connection waited %v", d)
	}
}

// delayedACK: RFC9293 MUST-40. Each small segment is acknowledged within 0.5 s.
func delayedACK(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	for i := range 4 {
		time.Sleep(100 * time.Millisecond)
		st := c.State()
		b.sendData(c, []byte("abc"))
		f := b.expect(c, ackOf(st.SndNxt.Add(3)), "ACK")
		sent := time.Now()
		for _, g := range b.p.Frames() {
			if g.Dir == probe.Out && g.IsTCP() && g.TCP.Seq == st.SndNxt && len(g.TCP.Payload) == 3 {
				sent = g.Time
			}
		}
		if d := f.Time.Sub(sent); d >= 500*time.Millisecond {
			b.Fatalf("segment %d acknowledged after %v", i+1, d)
		}
	}
	b.read(fd, 12)
}

// ackEverySecond: RFC9293 SHLD-19. Six full-sized segments, 10 ms apart,
// draw at least three ACKs well before any delayed-ACK timer. They are
// spaced because a burst that the target finds queued may rightly draw a
// single ACK: "if the TCP endpoint is processing a series of queued
// segments, it MUST process them all before sending any ACK segments"
// (MUST-59), which is how a receiver reading its link in batches (tcpstack,
// Linux with GRO) acknowledges a burst.
func ackEverySecond(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	n := sendSize(c)
	for i := range 6 {
		if i > 0 {
			time.Sleep(ackSpacing)
		}
		b.send(c, probe.Segment{Flags: fACK, Seq: st.SndNxt.Add(tcp.Size(i * n)), Payload: pattern(n, 'e')})
	}
	b.expect(c, ackOf(st.SndNxt.Add(tcp.Size(6*n))), "ACK of all six segments")
	acks := 0
	for _, f := range b.targetFrames(c) {
		if f.TCP.Ack.GreaterThan(st.SndNxt) {
			acks++
		}
	}
	if acks < 3 {
		b.Fatalf("%d ACKs for six full-sized segments sent %v apart, want at least 3 (one for every second segment)", acks, ackSpacing)
	}
	b.read(fd, 6*n)
}

// ackSpacing separates the segments of ackEverySecond: long enough for the
// target to handle each before the next arrives, short against the 40-500
// ms delayed-ACK timers, so that only acknowledging every second segment
// yields three ACKs.
const ackSpacing = 10 * time.Millisecond

// pshLast: RFC9293 MUST-61. The segment ending the data of one write carries PSH.
func pshLast(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	frames := b.bulkFromTarget(c, fd, 5000)
	last := frames[len(frames)-1]
	for _, f := range frames {
		if f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload))) == c.State().RcvNxt {
			last = f
		}
	}
	if !last.TCP.Flags.Has(fPSH) {
		b.Fatalf("the segment ending the write has no PSH: %v", &last)
	}
}

// urgentToTarget: RFC9293 MUST-30, MUST-62. Eight octets with the urgent pointer after
// the eighth: acknowledged, and the data around it delivered (the last urgent octet may be
// taken out of band).
func urgentToTarget(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fACK | fPSH | fURG, Urgent: 8, Payload: []byte("abcdefgh")})
	b.expect(c, ackOf(st.SndNxt.Add(8)), "ACK of the urgent segment")
	b.sendData(c, []byte("XYZ"))
	b.expect(c, ackOf(st.SndNxt.Add(11)), "ACK of the data after it")
	// The urgent octet may be taken out of band (the BSD reading); the
	// rest arrives in order.
	got := b.read(fd, 10)
	if !bytes.HasPrefix(got, []byte("abcdefg")) {
		b.Fatalf("read %q", got)
	}
}

// urgentLong: RFC9293 MUST-31. The urgent pointer of three segments points past the first
// two: urgent data longer than a segment is taken.
func urgentLong(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	n := min(sendSize(c), 1000)
	for i := range 3 {
		b.send(c, probe.Segment{Flags: fACK | fURG, Seq: st.SndNxt.Add(tcp.Size(i * n)), Urgent: uint16(3*n - i*n), Payload: pattern(n, 'U')})
	}
	b.expect(c, ackOf(st.SndNxt.Add(tcp.Size(3*n))), "ACK of the long urgent data")
	b.read(fd, 3*n-1)
}

// urgentFromTarget: RFC9293 MUST-62, RFC6093 §3. A send with MSG_OOB puts the urgent
// pointer on the octet after the urgent one.
func urgentFromTarget(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.write(fd, []byte("abc"))
	if _, err := c.ExpectData(3); err != nil {
		b.Fatalf("data: %v", err)
	}
	b.ack(c)
	if _, err := b.a.SendOOB(b.ctx, fd, []byte("!")); err != nil {
		b.agentErr("send urgent data", err)
	}
	f := b.expect(c, probe.HasFlags(fURG), "a segment with URG")
	end := f.TCP.Seq.Add(tcp.Size(len(f.TCP.Payload)))
	if f.TCP.Seq.Add(tcp.Size(f.TCP.Urgent)) != end {
		b.Fatalf("segment %v: urgent pointer %d points to seq %d, want %d (the octet after the urgent one)",
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
	b := newBench(t)
	c, _ := b.open(probe.ConnConfig{})
	st := c.State()
	if !st.SACK {
		b.Unsupported("SACK not negotiated: the target does not offer it")
	}
	seg := func(off int) tcp.Value {
		at := st.SndNxt.Add(tcp.Size(off))
		b.send(c, probe.Segment{Flags: fACK, Seq: at, Payload: pattern(100, 'q')})
		return at
	}
	first := seg(200)
	f := b.expect(c, probe.Flags(fACK), "duplicate ACK for the first out-of-order segment")
	if len(f.TCP.Options.SACK) == 0 || f.TCP.Options.SACK[0] != (tcp.SACKBlock{Left: first, Right: first.Add(100)}) {
		b.Fatalf("ACK %v: want a SACK block %d-%d", &f, uint32(first), uint32(first.Add(100)))
	}
	second := seg(400)
	g := b.expect(c, probe.Flags(fACK), "duplicate ACK for the second")
	if len(g.TCP.Options.SACK) < 2 || g.TCP.Options.SACK[0].Left != second {
		b.Fatalf("ACK %v: want the block of the latest segment (%d) first, then the earlier one", &g, uint32(second))
	}
}
