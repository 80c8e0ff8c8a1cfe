package cases

import (
	"errors"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
)

// Reset and attack resistance: RST acceptability (RFC9293 §3.10.7,
// RFC5961 §3), SYN and ACK checks in synchronized states (RFC5961 §4, §5),
// resets in LISTEN and SYN-SENT, TIME-WAIT assassination (RFC1337).

func init() {
	reg := func(id, title string, lvl suite.Level, req []string, run func(*T)) {
		register(suite.Case{ID: id, Title: title, Level: lvl, Requirements: req}, run)
	}
	reg("reset/rst-at-rcv-nxt", "a RST exactly at RCV.NXT resets the connection and the application is told", suite.MUST,
		[]string{"RFC5961 §3.2", "RFC9293 MUST-12", "RFC9293 §3.10.7.4"}, rstAtRcvNxt)
	reg("reset/rst-in-window-challenge-ack", "a RST in the window but not at RCV.NXT draws a challenge ACK; the connection lives", suite.MUST,
		[]string{"RFC5961 §3.2"}, rstChallenge)
	reg("reset/rst-out-of-window-ignored", "a RST outside the window is dropped", suite.MUST,
		[]string{"RFC5961 §3.2", "RFC9293 §3.10.7.4"}, rstOutOfWindow)
	reg("reset/syn-in-established-challenge-ack", "a SYN in ESTABLISHED draws a challenge ACK; the connection lives", suite.MUST,
		[]string{"RFC5961 §4.2", "RFC9293 §3.10.7.4"}, synChallenge)
	reg("reset/ack-of-unsent-data-ignored", "a segment acknowledging data never sent is dropped", suite.MUST,
		[]string{"RFC5961 §5.2", "RFC9293 §3.10.7.4"}, ackUnsent)
	reg("reset/ack-too-old-dropped", "a segment whose ACK is below SND.UNA - MAX.SND.WND is dropped and answered with an ACK", suite.MUST,
		[]string{"RFC5961 §5.2", "RFC9293 §3.10.7.4"}, ackTooOld)
	reg("reset/rst-in-listen-ignored", "a RST to a listener is ignored", suite.MUST,
		[]string{"RFC9293 §3.10.7.2"}, rstInListen)
	reg("reset/ack-in-listen-rst", "an ACK to a listener draws <SEQ=SEG.ACK><CTL=RST>", suite.MUST,
		[]string{"RFC9293 §3.10.7.2"}, ackInListen)
	reg("reset/ack-closed-port-rst", "an ACK to a closed port draws <SEQ=SEG.ACK><CTL=RST>", suite.MUST,
		[]string{"RFC9293 §3.10.7.1"}, ackClosedPort)
	reg("reset/syn-sent-rst-without-ack-ignored", "in SYN-SENT a RST without ACK is dropped", suite.MUST,
		[]string{"RFC9293 §3.10.7.3", "RFC5961 §3.2"}, func(t *T) { synSentRST(t, false) })
	reg("reset/syn-sent-rst-bad-ack-ignored", "in SYN-SENT a RST whose ACK is not acceptable is dropped", suite.MUST,
		[]string{"RFC9293 §3.10.7.3"}, func(t *T) { synSentRST(t, true) })
	reg("reset/syn-sent-rst-good-ack-refuses", "in SYN-SENT a RST acknowledging the SYN refuses the connection", suite.MUST,
		[]string{"RFC9293 §3.10.7.3", "RFC9293 MUST-12"}, synSentRSTGood)
	reg("reset/syn-sent-bad-ack-reset", "in SYN-SENT a SYN-ACK acknowledging something else draws <SEQ=SEG.ACK><CTL=RST>", suite.MUST,
		[]string{"RFC9293 §3.10.7.3"}, synSentBadAck)
	reg("reset/time-wait-assassination", "a RST in TIME-WAIT does not end TIME-WAIT early", suite.SHOULD,
		[]string{"RFC1337 §3 (fix F1)", "RFC9293 MUST-13"}, timeWaitAssassination)
}

// errno returns the agent errno of err, or "".
func errno(err error) string {
	var ae *agent.Error
	if errors.As(err, &ae) {
		return ae.Errno
	}
	return ""
}

// rstAtRcvNxt: RFC5961 §3.2, RFC9293 MUST-12. A RST at RCV.NXT resets: the application
// reads ECONNRESET and the 4-tuple is closed.
func rstAtRcvNxt(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	if err := c.Reset(); err != nil {
		b.Brokenf("probe: %v", err)
	}
	d, err := b.a.Read(b.ctx, fd, 10, wait)
	if errno(err) != "ECONNRESET" {
		b.Fatalf("the application's read after the RST: %q, %v; want ECONNRESET", d, err)
	}
	b.send(c, probe.Segment{Flags: fACK | fPSH, Payload: []byte("x")})
	b.expect(c, rst, "RST for a segment of the reset connection")
}

// rstChallenge: RFC5961 §3.2. A RST in the window but not at RCV.NXT draws
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection lives.
func rstChallenge(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fRST, Seq: st.SndNxt.Add(100)})
	f := b.expect(c, probe.Flags(fACK), "challenge ACK")
	if f.TCP.Seq != st.RcvNxt || f.TCP.Ack != st.SndNxt {
		b.Fatalf("challenge ACK %v: want seq %d ack %d", &f, uint32(st.RcvNxt), uint32(st.SndNxt))
	}
	b.sendData(c, []byte("still here"))
	b.readExpect(fd, []byte("still here"))
}

// rstOutOfWindow: RFC5961 §3.2, RFC9293 §3.10.7.4. A RST half the sequence space
// away is dropped: the next data is ACKed and read.
func rstOutOfWindow(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fRST, Seq: st.SndNxt.Add(1 << 31)})
	b.sendData(c, []byte("alive"))
	f := b.expect(c, probe.TCP, "the target's next segment")
	if f.TCP.Flags.Has(fRST) || f.TCP.Ack != st.SndNxt.Add(5) {
		b.Fatalf("after an out-of-window RST the target sent %v, want an ACK of our data", &f)
	}
	b.readExpect(fd, []byte("alive"))
}

// synChallenge: RFC5961 §4.2. A SYN in ESTABLISHED draws a challenge ACK; the
// connection lives.
func synChallenge(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fSYN, Seq: st.SndNxt.Add(10), Options: probe.MSS(1460)})
	f := b.expect(c, probe.TCP, "the answer to a SYN in ESTABLISHED")
	if f.TCP.Flags != fACK || f.TCP.Ack != st.SndNxt || f.TCP.Seq != st.RcvNxt {
		b.Fatalf("answer %v: want a challenge ACK seq %d ack %d", &f, uint32(st.RcvNxt), uint32(st.SndNxt))
	}
	b.sendData(c, []byte("alive"))
	b.readExpect(fd, []byte("alive"))
}

// ackUnsent: RFC5961 §5.2, RFC9293 §3.10.7.4. A segment acknowledging data never sent is
// dropped: its data is not delivered, the same octets sent properly are.
func ackUnsent(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.send(c, probe.Segment{Flags: fACK | fPSH, Ack: st.RcvNxt.Add(100000), Payload: []byte("BAD"), Keep: probe.FieldAck})
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt, Payload: []byte("good")})
	b.readExpect(fd, []byte("good"))
	b.expect(c, ackOf(st.SndNxt.Add(4)), "ACK of the good data")
}

// ackTooOld: RFC5961 §5.2 (RFC9293 §3.10.7.4, fifth step). The ACK value is acceptable
// only in (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT; below that range the segment is
// discarded and an ACK sent back. (RFC793 took such an ACK as a duplicate and processed
// the segment's data: reset/ack-of-unsent-data-ignored checks only the upper bound,
// which RFC793 had already.) 1.5 GiB below SND.UNA is below it whatever the window:
// a scaled window is at most 2^30.
func ackTooOld(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	st := c.State()
	b.sendData(c, []byte("first"))
	b.readExpect(fd, []byte("first"))
	b.expect(c, ackOf(st.SndNxt.Add(5)), "ACK of the first data")
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(5), Ack: st.RcvNxt.Sub(3 << 29), Payload: []byte("BAD"), Keep: probe.FieldAck})
	f := b.expect(c, probe.Flags(fACK), "ACK for the segment with a too old ACK")
	if f.TCP.Ack != st.SndNxt.Add(5) {
		b.Fatalf("ACK %v: the segment whose ACK is below SND.UNA - MAX.SND.WND was accepted", &f)
	}
	b.send(c, probe.Segment{Flags: fACK | fPSH, Seq: st.SndNxt.Add(5), Payload: []byte("good")})
	b.readExpect(fd, []byte("good"))
}

// rstInListen: RFC9293 §3.10.7.2. RSTs to a listener are ignored: it still accepts.
func rstInListen(t *T) {
	b := newBench(t)
	lfd := b.listen(b.port)
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 12345, Flags: fRST, IP: probe.IPFields{Dst: b.addr}})
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 12345, Ack: 999, Flags: fRST | fACK, IP: probe.IPFields{Dst: b.addr}})
	c, err := b.p.Dial(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Fatalf("after RSTs the listener does not answer: %v", err)
	}
	fd := b.accept(lfd)
	b.sendData(c, []byte("ok"))
	b.readExpect(fd, []byte("ok"))
}

// ackInListen: RFC9293 §3.10.7.2. An ACK to a listener draws <SEQ=SEG.ACK><CTL=RST>.
func ackInListen(t *T) {
	b := newBench(t)
	b.listen(b.port)
	const ack = 777777
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 4242, Ack: ack, Flags: fACK, Window: 1000, IP: probe.IPFields{Dst: b.addr}})
	f, err := b.p.Expect(wait, probe.And(probe.From(b.at(b.port)), rst))
	if err != nil {
		b.Fatalf("no RST for an ACK to a listener: %v", err)
	}
	if f.TCP.Seq != ack || f.TCP.Flags.Has(fACK) {
		b.Fatalf("reset %v: want [R] seq %d", &f, ack)
	}
}

// ackClosedPort: RFC9293 §3.10.7.1. An ACK to a closed port draws <SEQ=SEG.ACK><CTL=RST>.
func ackClosedPort(t *T) {
	b := newBench(t)
	const ack = 555555
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 4242, Ack: ack, Flags: fACK | fPSH, Window: 1000, Payload: []byte("x"), IP: probe.IPFields{Dst: b.addr}})
	f, err := b.p.Expect(wait, probe.And(probe.From(b.at(b.port)), rst))
	if err != nil {
		b.Fatalf("no RST for an ACK to a closed port: %v", err)
	}
	if f.TCP.Seq != ack || f.TCP.Flags.Has(fACK) {
		b.Fatalf("reset %v: want [R] seq %d", &f, ack)
	}
}

// synSentRST: the target connects; a RST without ACK (or with an ACK that
// does not cover its SYN) is dropped, so a SYN-ACK then opens the
// connection.
func synSentRST(t *T, withBadAck bool) {
	b := newBench(t)
	c, err := b.p.NewConn(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Brokenf("probe: %v", err)
	}
	_, done := b.connecting(b.port, nil)
	syn := b.expect(c, probe.Flags(fSYN), "the target's SYN")
	if withBadAck {
		b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1, Ack: syn.TCP.Seq.Add(1000), Flags: fRST | fACK, IP: probe.IPFields{Dst: b.addr}})
	} else {
		b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1, Flags: fRST, IP: probe.IPFields{Dst: b.addr}})
	}
	b.sendLine(c, "S. 0:0(0) ack 1 <mss 1460>")
	if err := <-done; err != nil {
		b.Fatalf("connect after the unacceptable RST: %v (the RST was taken)", err)
	}
}

// synSentRSTGood: RFC9293 §3.10.7.3. A RST acknowledging the SYN refuses the connection.
func synSentRSTGood(t *T) {
	b := newBench(t)
	c, err := b.p.NewConn(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Brokenf("probe: %v", err)
	}
	_, done := b.connecting(b.port, nil)
	syn := b.expect(c, probe.Flags(fSYN), "the target's SYN")
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 0, Ack: syn.TCP.Seq.Add(1), Flags: fRST | fACK, IP: probe.IPFields{Dst: b.addr}, Keep: probe.FieldsAll})
	select {
	case err := <-done:
		if errno(err) != "ECONNREFUSED" {
			b.Fatalf("connect returned %v, want ECONNREFUSED", err)
		}
	case <-time.After(4 * time.Second):
		b.Fatalf("connect still pending after a RST acknowledging the SYN")
	}
}

// synSentBadAck: RFC9293 §3.10.7.3. A SYN-ACK acknowledging something not sent draws
// <SEQ=SEG.ACK><CTL=RST>.
func synSentBadAck(t *T) {
	b := newBench(t)
	c, err := b.p.NewConn(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Brokenf("probe: %v", err)
	}
	b.connecting(b.port, nil)
	syn := b.expect(c, probe.Flags(fSYN), "the target's SYN")
	bad := syn.TCP.Seq.Add(5000)
	b.raw(probe.Segment{SrcPort: b.port, DstPort: b.port, Seq: 1000, Ack: bad, Flags: fSYN | fACK, Window: 65535, Options: probe.MSS(1460), IP: probe.IPFields{Dst: b.addr}})
	f := b.expect(c, rst, "RST for an unacceptable SYN-ACK")
	if f.TCP.Seq != bad {
		b.Fatalf("reset %v: want seq %d (SEG.ACK)", &f, uint32(bad))
	}
}

// timeWaitAssassination: RFC1337 §3. An acceptable RST in TIME-WAIT must not end it: our
// retransmitted FIN is still acknowledged, not answered with a RST.
func timeWaitAssassination(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{})
	b.targetFIN(c, fd)
	b.ack(c)
	if err := c.SendFIN(); err != nil {
		b.Brokenf("probe: %v", err)
	}
	ackFIN := c.State().SndNxt
	b.expect(c, ackOf(ackFIN), "ACK of our FIN (TIME-WAIT)")
	b.close(fd)
	// An old duplicate RST, acceptable by sequence number.
	b.send(c, probe.Segment{Flags: fRST, Seq: ackFIN})
	b.send(c, probe.Segment{Flags: fFIN | fACK, Seq: ackFIN.Sub(1)})
	f := b.expect(c, probe.TCP, "the answer to a retransmitted FIN after the RST")
	if f.TCP.Flags.Has(fRST) || f.TCP.Ack != ackFIN {
		b.Fatalf("after a RST in TIME-WAIT a retransmitted FIN drew %v: TIME-WAIT was ended by the RST", &f)
	}
}

func init() {
	register(suite.Case{ID: "reset/syn-received-bad-ack-rst", Title: "in SYN-RECEIVED an ACK of something not sent draws <SEQ=SEG.ACK><CTL=RST>",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.10.7.4"}}, synRcvdBadAck)
}

// synRcvdBadAck: RFC9293 §3.10.7.4 (fifth, the ACK field, SYN-RECEIVED). An ACK
// that does not acknowledge the SYN-ACK is answered with <SEQ=SEG.ACK><CTL=RST>,
// and the listener still accepts the proper handshake afterwards.
func synRcvdBadAck(t *T) {
	b := newBench(t)
	lfd := b.listen(b.port)
	c, err := b.p.NewConn(b.at(b.port), probe.ConnConfig{LocalPort: b.port})
	if err != nil {
		b.Brokenf("probe: %v", err)
	}
	b.sendLine(c, "S 0:0(0) <mss 1460>")
	sa := b.expect(c, probe.HasFlags(fSYN|fACK), "SYN-ACK")
	bad := sa.TCP.Seq.Add(5000)
	b.send(c, probe.Segment{Flags: fACK, Ack: bad, Keep: probe.FieldAck})
	f := b.expect(c, rst, "RST for an unacceptable ACK in SYN-RECEIVED")
	if f.TCP.Seq != bad {
		b.Fatalf("reset %v: want seq %d (SEG.ACK)", &f, uint32(bad))
	}
	b.sendLine(c, ". 1:1(0) ack 1")
	fd := b.accept(lfd)
	b.sendLine(c, "P. 1:4(3) ack 1")
	b.read(fd, 3)
}
