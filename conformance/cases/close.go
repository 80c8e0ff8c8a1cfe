package cases

import (
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
)

// Close: the closing sequences of RFC9293 §3.6 (Figures 12 and 13), half
// close, and the aborts (§3.10.5).

func init() {
	reg := func(id, title string, lvl suite.Level, req []string, run func(*T)) {
		register(suite.Case{ID: id, Title: title, Level: lvl, Requirements: req}, run)
	}
	reg("close/active-close-time-wait", "the target's close goes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; a retransmitted FIN is acknowledged again", suite.MUST,
		[]string{"RFC9293 §3.6", "RFC9293 MUST-13 (partial: TIME-WAIT held, not its length)"}, activeClose)
	reg("close/fin-wait-2-receives-data", "after the target's FIN, our data is still delivered (half close)", suite.MUST,
		[]string{"RFC9293 §3.6", "RFC9293 MAY-1", "RFC9293 §3.10.7.4"}, finWait2Data)
	reg("close/passive-close", "our FIN: CLOSE-WAIT, end of file for the application, the target's data still flows, then LAST-ACK", suite.MUST,
		[]string{"RFC9293 §3.6", "RFC9293 §3.10.7.4"}, passiveClose)
	reg("close/simultaneous-close", "FINs crossing: CLOSING, then TIME-WAIT", suite.MUST,
		[]string{"RFC9293 §3.6 (Figure 13)"}, simultaneousClose)
	reg("close/fin-retransmitted", "an unacknowledged FIN is retransmitted", suite.MUST,
		[]string{"RFC9293 §3.8.1", "RFC9293 MUST-19"}, finRetransmitted)
	reg("close/unread-data-rst", "closing with unread data resets the connection", suite.SHOULD,
		[]string{"RFC9293 SHLD-3", "RFC2525 §2.17"}, unreadDataRST)
	reg("close/linger-zero-rst", "SO_LINGER 0 then close aborts with a RST", suite.FEATURE,
		[]string{"RFC9293 §3.10.5"}, lingerZero)
	reg("close/fin-with-data", "a FIN carrying data delivers the data, then end of file", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, finWithData)
}

// targetFIN makes the target shut down its sending side and returns its FIN.
func (b *bench) targetFIN(c *probe.Conn, fd agent.FD) probe.Frame {
	b.shutdown(fd, "wr")
	return b.expect(c, probe.HasFlags(fFIN|fACK), "the target's FIN")
}

// activeClose: RFC9293 §3.6 Figure 12. The target closes first: FIN-WAIT-1, our ACK (FIN-WAIT-2),
// our FIN (TIME-WAIT, ACKed); our FIN again is ACKed again, since TIME-WAIT holds (MUST-13).
func activeClose(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.targetFIN(c, fd) // FIN-WAIT-1
	b.ack(c)           // FIN-WAIT-2
	if err := c.SendFIN(); err != nil {
		b.Brokenf("probe: %v", err)
	}
	ackFIN := c.State().SndNxt
	b.expect(c, ackOf(ackFIN), "ACK of our FIN (TIME-WAIT)")
	// Our FIN again, as if the ACK had been lost.
	b.send(c, probe.Segment{Flags: fFIN | fACK, Seq: ackFIN.Sub(1)})
	f := b.expect(c, probe.HasFlags(fACK), "the target's answer to a retransmitted FIN")
	if f.TCP.Flags.Has(fRST) || f.TCP.Ack != ackFIN {
		b.Fatalf("retransmitted FIN answered with %v; in TIME-WAIT it is acknowledged (ack %d)", &f, uint32(ackFIN))
	}
	b.close(fd)
}

func finWait2Data(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.targetFIN(c, fd)
	b.ack(c)
	b.sendData(c, []byte("after your FIN"))
	b.readExpect(fd, []byte("after your FIN"))
	b.expect(c, ackOf(c.State().SndNxt), "ACK of our data in FIN-WAIT-2")
}

// passiveClose: RFC9293 §3.6. Our FIN puts the target in CLOSE-WAIT (its application
// reads end of file, its data still flows), its close in LAST-ACK, our ACK in CLOSED.
func passiveClose(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	if err := c.SendFIN(); err != nil {
		b.Brokenf("probe: %v", err)
	}
	b.expect(c, ackOf(c.State().SndNxt), "ACK of our FIN (CLOSE-WAIT)")
	if d, err := b.a.Read(b.ctx, fd, 10, wait); err != nil || len(d) != 0 {
		b.Fatalf("the application's read after our FIN: %q, %v; want end of file", d, err)
	}
	b.write(fd, []byte("still talking"))
	if got, err := c.ExpectData(13); err != nil || string(got) != "still talking" {
		b.Fatalf("data in CLOSE-WAIT: %q, %v", got, err)
	}
	b.ack(c)
	b.close(fd)
	b.expect(c, probe.HasFlags(fFIN), "the target's FIN (LAST-ACK)")
	b.ack(c)
	// CLOSED: a new segment on the 4-tuple draws a reset.
	time.Sleep(100 * time.Millisecond)
	b.send(c, probe.Segment{Flags: fACK | fPSH, Payload: []byte("late")})
	b.expect(c, rst, "RST once the connection is closed")
}

// simultaneousClose: RFC9293 §3.6 Figure 13. The FINs cross; the target goes
// FIN-WAIT-1 → CLOSING → TIME-WAIT.
func simultaneousClose(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	fin := b.targetFIN(c, fd)
	// Our FIN does not acknowledge theirs: both are in FIN-WAIT-1.
	st := c.State()
	b.send(c, probe.Segment{Flags: fFIN | fACK, Seq: st.SndNxt, Ack: fin.TCP.Seq, Keep: probe.FieldAck})
	f := b.expect(c, ackOf(st.SndNxt.Add(1)), "ACK of our FIN (CLOSING)")
	if f.TCP.Flags.Has(fRST) {
		b.Fatalf("reset in CLOSING: %v", &f)
	}
	b.send(c, probe.Segment{Flags: fACK, Seq: st.SndNxt.Add(1), Ack: fin.TCP.Seq.Add(1)})
	// TIME-WAIT: our FIN again is acknowledged.
	b.send(c, probe.Segment{Flags: fFIN | fACK, Seq: st.SndNxt, Ack: fin.TCP.Seq.Add(1)})
	g := b.expect(c, probe.HasFlags(fACK), "the answer to a retransmitted FIN in TIME-WAIT")
	if g.TCP.Flags.Has(fRST) || g.TCP.Ack != st.SndNxt.Add(1) {
		b.Fatalf("retransmitted FIN answered with %v", &g)
	}
	b.close(fd)
}

// finRetransmitted: RFC9293 §3.8.1. The FIN occupies sequence space and is
// retransmitted like data until acknowledged.
func finRetransmitted(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{Timeout: 5 * time.Second})
	fin := b.targetFIN(c, fd)
	b.expect(c, probe.And(probe.HasFlags(fFIN), probe.Seq(fin.TCP.Seq)), "the FIN retransmitted")
	b.ack(c)
}

// unreadDataRST: RFC9293 SHLD-3, RFC2525 §2.17. Closing with data unread sends RST,
// telling the peer the data was lost.
func unreadDataRST(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.sendData(c, []byte("never read"))
	b.expect(c, ackOf(c.State().SndNxt), "ACK of the data")
	b.close(fd)
	f := b.expect(c, probe.Or(rst, probe.HasFlags(fFIN)), "the target's close")
	if !f.TCP.Flags.Has(fRST) {
		b.Fatalf("close with unread data sent %v, want a RST", &f)
	}
}

// lingerZero: RFC9293 §3.10.5 (ABORT). SO_LINGER 0 makes close an abort: a RST, no FIN.
func lingerZero(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.setopt(fd, "SO_LINGER", 0)
	b.close(fd)
	f := b.expect(c, probe.Or(rst, probe.HasFlags(fFIN)), "the target's close")
	if !f.TCP.Flags.Has(fRST) {
		b.Fatalf("close with SO_LINGER 0 sent %v, want a RST", &f)
	}
}

// finWithData: RFC9293 §3.10.7.4 (eighth, the FIN bit). Data and FIN in one segment:
// both acknowledged, the data read, then end of file.
func finWithData(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fFIN | fACK | fPSH, Payload: []byte("bye")})
	b.expect(c, ackOf(st.SndNxt.Add(4)), "ACK of the data and the FIN")
	b.readExpect(fd, []byte("bye"))
	d, err := b.a.Read(b.ctx, fd, 10, wait)
	if err != nil || len(d) != 0 {
		b.Fatalf("read after the FIN: %q, %v; want end of file", d, err)
	}
}
