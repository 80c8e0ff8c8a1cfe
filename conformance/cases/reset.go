package cases

import (
	"errors"
	"fmt"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Reset and attack resistance: RST acceptability (RFC9293 §3.10.7,
// RFC5961 §3), SYN and ACK checks in synchronized states (RFC5961 §4, §5),
// resets in LISTEN and SYN-SENT, TIME-WAIT assassination (RFC1337).

func init() {
	registerCase("reset/rst-at-rcv-nxt", "a RST exactly at RCV.NXT resets the connection and the application is told", suite.MUST,
		[]string{"RFC5961 §3.2", "RFC9293 MUST-12", "RFC9293 §3.10.7.4"}, rstAtRcvNxt)
	registerCase("reset/rst-in-window-challenge-ack", "a RST in the window but not at RCV.NXT draws a challenge ACK; the connection lives", suite.MUST,
		[]string{"RFC5961 §3.2"}, rstChallenge)
	registerCase("reset/rst-out-of-window-ignored", "a RST outside the window is dropped", suite.MUST,
		[]string{"RFC5961 §3.2", "RFC9293 §3.10.7.4"}, rstOutOfWindow)
	registerCase("reset/syn-in-established-challenge-ack", "a SYN in ESTABLISHED draws a challenge ACK; the connection lives", suite.MUST,
		[]string{"RFC5961 §4.2", "RFC9293 §3.10.7.4"}, synChallenge)
	registerCase("reset/ack-of-unsent-data-ignored", "a segment acknowledging data never sent is dropped", suite.MUST,
		[]string{"RFC5961 §5.2", "RFC9293 §3.10.7.4"}, ackUnsent)
	registerCase("reset/ack-too-old-dropped", "a segment whose ACK is below SND.UNA - MAX.SND.WND is dropped and answered with an ACK", suite.MUST,
		[]string{"RFC5961 §5.2", "RFC9293 §3.10.7.4"}, ackTooOld)
	registerCase("reset/rst-in-listen-ignored", "a RST to a listener is ignored", suite.MUST,
		[]string{"RFC9293 §3.10.7.2"}, rstInListen)
	registerCase("reset/ack-in-listen-rst", "an ACK to a listener draws <SEQ=SEG.ACK><CTL=RST>", suite.MUST,
		[]string{"RFC9293 §3.10.7.2"}, ackInListen)
	registerCase("reset/ack-closed-port-rst", "an ACK to a closed port draws <SEQ=SEG.ACK><CTL=RST>", suite.MUST,
		[]string{"RFC9293 §3.10.7.1"}, ackClosedPort)
	registerCase("reset/syn-sent-rst-without-ack-ignored", "in SYN-SENT a RST without ACK is dropped", suite.MUST,
		[]string{"RFC9293 §3.10.7.3", "RFC5961 §3.2"}, func(t *T) { synSentRST(t, false) })
	registerCase("reset/syn-sent-rst-bad-ack-ignored", "in SYN-SENT a RST whose ACK is not acceptable is dropped", suite.MUST,
		[]string{"RFC9293 §3.10.7.3"}, func(t *T) { synSentRST(t, true) })
	registerCase("reset/syn-sent-rst-good-ack-refuses", "in SYN-SENT a RST acknowledging the SYN refuses the connection", suite.MUST,
		[]string{"RFC9293 §3.10.7.3", "RFC9293 MUST-12"}, synSentRSTGood)
	registerCase("reset/syn-sent-bad-ack-reset", "in SYN-SENT a SYN-ACK acknowledging something else draws <SEQ=SEG.ACK><CTL=RST>", suite.MUST,
		[]string{"RFC9293 §3.10.7.3"}, synSentBadAck)
	registerCase("reset/time-wait-assassination", "a RST in TIME-WAIT does not end TIME-WAIT early", suite.SHOULD,
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
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.send(c, "R 1:1(0)")
	d, err := s.agent.Read(s.ctx, fd, 10, wait)
	if errno(err) != "ECONNRESET" {
		s.Fatalf("the application's read after the RST: %q, %v; want ECONNRESET", d, err)
	}
	s.send(c, "P. 1:2(1) ack 1")
	s.expectMatch(c, rst, "RST for a segment of the reset connection")
}

// rstChallenge: RFC5961 §3.2. A RST in the window but not at RCV.NXT draws
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection lives.
func rstChallenge(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.send(c, "R 101:101(0)")
	s.expectNext(c, ". 1:1(0) ack 1", "the answer to a RST in the window but not at RCV.NXT (a challenge ACK)")
	s.sendData(c, "P. 1:11(10) ack 1", "still here")
	s.readExpect(fd, "still here")
}

// rstOutOfWindow: RFC5961 §3.2, RFC9293 §3.10.7.4. A RST half the sequence space
// away is dropped: the next data is ACKed and read.
func rstOutOfWindow(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.send(c, "R %d:%d(0)", 1+1<<31, 1+1<<31)
	s.sendData(c, "P. 1:6(5) ack 1", "alive")
	s.expectNext(c, ". 1:1(0) ack 6", "the answer to data after an out-of-window RST (its ACK)")
	s.readExpect(fd, "alive")
}

// synChallenge: RFC5961 §4.2. A SYN in ESTABLISHED draws a challenge ACK; the
// connection lives.
func synChallenge(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.send(c, "S 11:11(0) <%s>", withTS(c, "mss 1460"))
	s.expectNext(c, ". 1:1(0) ack 1", "the answer to a SYN in ESTABLISHED (a challenge ACK)")
	s.sendData(c, "P. 1:6(5) ack 1", "alive")
	s.readExpect(fd, "alive")
}

// ackUnsent: RFC5961 §5.2, RFC9293 §3.10.7.4. A segment acknowledging data never sent is
// dropped: its data is not delivered, the same octets sent properly are.
func ackUnsent(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendData(c, "P. 1:4(3) ack 100001", "BAD")
	s.sendData(c, "P. 1:5(4) ack 1", "good")
	s.readExpect(fd, "good")
	s.expect(c, ". 1:1(0) ack 5")
}

// ackTooOld: RFC5961 §5.2 (RFC9293 §3.10.7.4, fifth step). The ACK value is acceptable
// only in (SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT; below that range the segment is
// discarded and an ACK sent back. (RFC793 took such an ACK as a duplicate and processed
// the segment's data: reset/ack-of-unsent-data-ignored checks only the upper bound,
// which RFC793 had already.) 1.5 GiB below SND.UNA is below it whatever the window:
// a scaled window is at most 2^30.
func ackTooOld(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendData(c, "P. 1:6(5) ack 1", "first")
	s.readExpect(fd, "first")
	s.expect(c, ". 1:1(0) ack 6")
	s.sendData(c, fmt.Sprintf("P. 6:9(3) ack %d", 1-3<<29), "BAD")
	if f := s.expectMatch(c, probe.Flags(tcp.FlagACK), "ACK for the segment with a too old ACK"); !s.matchLine(c, ". 1:1(0) ack 6").Match(&f) {
		s.Fatalf("ACK %v: the segment whose ACK is below SND.UNA - MAX.SND.WND was accepted", &f)
	}
	s.sendData(c, "P. 6:10(4) ack 1", "good")
	s.readExpect(fd, "good")
}

// rstInListen: RFC9293 §3.10.7.2. RSTs to a listener are ignored: it still accepts.
// (Raw segments: the listener has no connection, so no IRS for a line to count
// the RST's acknowledgment from.)
func rstInListen(t *T) {
	s := newSession(t)
	lfd := s.listen(s.port)
	s.sendRaw(probe.Segment{SrcPort: s.port, DstPort: s.port, Seq: 12345, Flags: tcp.FlagRST, IP: probe.IPFields{Dst: s.target}})
	s.sendRaw(probe.Segment{SrcPort: s.port, DstPort: s.port, Seq: 12345, Ack: 999, Flags: tcp.FlagRST | tcp.FlagACK, IP: probe.IPFields{Dst: s.target}})
	c, err := s.probe.Dial(s.targetAt(s.port), probe.ConnConfig{LocalPort: s.port})
	if err != nil {
		s.Fatalf("after RSTs the listener does not answer: %v", err)
	}
	fd := s.accept(lfd)
	s.sendData(c, "P. 1:3(2) ack 1", "ok")
	s.readExpect(fd, "ok")
}

// ackInListen: RFC9293 §3.10.7.2. An ACK to a listener draws <SEQ=SEG.ACK><CTL=RST>.
// (Absolute numbers: no connection, no IRS.)
func ackInListen(t *T) {
	s := newSession(t)
	s.listen(s.port)
	const ack = 777777
	s.sendRaw(probe.Segment{SrcPort: s.port, DstPort: s.port, Seq: 4242, Ack: ack, Flags: tcp.FlagACK, Window: 1000, IP: probe.IPFields{Dst: s.target}})
	f, err := s.probe.Expect(wait, probe.And(probe.From(s.targetAt(s.port)), rst))
	if err != nil {
		s.Fatalf("no RST for an ACK to a listener: %v", err)
	}
	if f.TCP.Seq != ack || f.TCP.Flags.Has(tcp.FlagACK) {
		s.Fatalf("reset %v: want [R] seq %d", &f, ack)
	}
}

// ackClosedPort: RFC9293 §3.10.7.1. An ACK to a closed port draws <SEQ=SEG.ACK><CTL=RST>.
// (Absolute numbers: no connection, no IRS.)
func ackClosedPort(t *T) {
	s := newSession(t)
	const ack = 555555
	s.sendRaw(probe.Segment{SrcPort: s.port, DstPort: s.port, Seq: 4242, Ack: ack, Flags: tcp.FlagACK | tcp.FlagPSH, Window: 1000, Payload: []byte("x"), IP: probe.IPFields{Dst: s.target}})
	f, err := s.probe.Expect(wait, probe.And(probe.From(s.targetAt(s.port)), rst))
	if err != nil {
		s.Fatalf("no RST for an ACK to a closed port: %v", err)
	}
	if f.TCP.Seq != ack || f.TCP.Flags.Has(tcp.FlagACK) {
		s.Fatalf("reset %v: want [R] seq %d", &f, ack)
	}
}

// synSentRST: the target connects; a RST without ACK (or with an ACK that
// does not cover its SYN) is dropped, so a SYN-ACK then opens the
// connection.
func synSentRST(t *T, withBadAck bool) {
	s := newSession(t)
	c, _, done, _ := s.synSent(probe.ConnConfig{}, nil)
	if withBadAck {
		s.send(c, "R. 0:0(0) ack 1000")
	} else {
		s.send(c, "R 0:0(0)")
	}
	s.send(c, "S. 0:0(0) ack 1 <mss 1460>")
	if err := <-done; err != nil {
		s.Fatalf("connect after the unacceptable RST: %v (the RST was taken)", err)
	}
}

// synSentRSTGood: RFC9293 §3.10.7.3. A RST acknowledging the SYN refuses the connection:
// "If the ACK was acceptable, then signal to the user "error: connection reset"". The
// BSD socket API's name for it is ECONNREFUSED (Linux, BSD, gVisor); lwIP reports it as
// ECONNRESET, the RFC's own words: either is the refusal.
func synSentRSTGood(t *T) {
	s := newSession(t)
	c, _, done, _ := s.synSent(probe.ConnConfig{}, nil)
	s.send(c, "R. 0:0(0) ack 1 win 0")
	select {
	case err := <-done:
		if e := errno(err); e != "ECONNREFUSED" && e != "ECONNRESET" {
			s.Fatalf("connect returned %v, want ECONNREFUSED (or ECONNRESET)", err)
		}
	case <-time.After(4 * time.Second):
		s.Fatalf("connect still pending after a RST acknowledging the SYN")
	}
}

// synSentBadAck: RFC9293 §3.10.7.3. A SYN-ACK acknowledging something not sent draws
// <SEQ=SEG.ACK><CTL=RST>.
func synSentBadAck(t *T) {
	s := newSession(t)
	c, _, _, _ := s.synSent(probe.ConnConfig{}, nil)
	s.send(c, "S. 0:0(0) ack 5000 win 65535 <mss 1460>")
	f := s.expectMatch(c, rst, "RST for an unacceptable SYN-ACK")
	if !s.matchLine(c, "R 5000:5000(0)").Match(&f) {
		s.Fatalf("reset %v: want \"R 5000:5000(0)\" (SEQ=SEG.ACK)", &f)
	}
}

// timeWaitAssassination: RFC1337 §3. An acceptable RST in TIME-WAIT must not end it: our
// retransmitted FIN is still acknowledged, not answered with a RST.
func timeWaitAssassination(t *T) {
	s := newSession(t)
	c, fd := s.timeWait(probe.ConnConfig{})
	s.close(fd)
	s.send(c, "R 2:2(0)") // an old duplicate RST, acceptable by sequence number
	s.send(c, "F. 1:1(0) ack 2")
	s.expectNext(c, ". 2:2(0) ack 2", "after a RST in TIME-WAIT, the answer to a retransmitted FIN (TIME-WAIT must outlive the RST)")
}

func init() {
	register(suite.Case{ID: "reset/syn-received-bad-ack-rst", Title: "in SYN-RECEIVED an ACK of something not sent draws <SEQ=SEG.ACK><CTL=RST>",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.10.7.4"}}, synRcvdBadAck)
}

// synRcvdBadAck: RFC9293 §3.10.7.4 (fifth, the ACK field, SYN-RECEIVED). An ACK
// that does not acknowledge the SYN-ACK is answered with <SEQ=SEG.ACK><CTL=RST>,
// and the listener still accepts the proper handshake afterwards.
func synRcvdBadAck(t *T) {
	s := newSession(t)
	c, lfd, _ := s.synReceived(probe.ConnConfig{})
	s.send(c, ". 1:1(0) ack 5000")
	f := s.expectMatch(c, rst, "RST for an unacceptable ACK in SYN-RECEIVED")
	if !s.matchLine(c, "R 5000:5000(0)").Match(&f) {
		s.Fatalf("reset %v: want \"R 5000:5000(0)\" (SEQ=SEG.ACK)", &f)
	}
	s.send(c, ". 1:1(0) ack 1")
	fd := s.accept(lfd)
	s.send(c, "P. 1:4(3) ack 1")
	s.read(fd, 3)
}
