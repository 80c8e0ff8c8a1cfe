package cases

import (
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Close: the closing sequences of RFC9293 §3.6 (Figures 12 and 13), half
// close, and the aborts (§3.10.5).

func init() {
	registerCase("close/active-close-time-wait", "the target's close goes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; a retransmitted FIN is acknowledged again", suite.MUST,
		[]string{"RFC9293 §3.6", "RFC9293 MUST-13 (partial: TIME-WAIT held, not its length)"}, activeClose)
	registerCase("close/fin-wait-2-receives-data", "after the target's FIN, our data is still delivered (half close)", suite.MUST,
		[]string{"RFC9293 §3.6", "RFC9293 MAY-1", "RFC9293 §3.10.7.4"}, finWait2Data)
	registerCase("close/passive-close", "our FIN: CLOSE-WAIT, end of file for the application, the target's data still flows, then LAST-ACK", suite.MUST,
		[]string{"RFC9293 §3.6", "RFC9293 §3.10.7.4"}, passiveClose)
	registerCase("close/simultaneous-close", "FINs crossing: CLOSING, then TIME-WAIT", suite.MUST,
		[]string{"RFC9293 §3.6 (Figure 13)"}, simultaneousClose)
	registerCase("close/fin-retransmitted", "an unacknowledged FIN is retransmitted", suite.MUST,
		[]string{"RFC9293 §3.8.1", "RFC9293 MUST-19"}, finRetransmitted)
	registerCase("close/unread-data-rst", "closing with unread data resets the connection", suite.SHOULD,
		[]string{"RFC9293 SHLD-3", "RFC2525 §2.17"}, unreadDataRST)
	registerCase("close/linger-zero-rst", "SO_LINGER 0 then close aborts with a RST", suite.FEATURE,
		[]string{"RFC9293 §3.10.5"}, lingerZero)
	registerCase("close/fin-with-data", "a FIN carrying data delivers the data, then end of file", suite.MUST,
		[]string{"RFC9293 §3.10.7.4"}, finWithData)
}

// activeClose: RFC9293 §3.6 Figure 12. The target closes first: FIN-WAIT-1, our ACK (FIN-WAIT-2),
// our FIN (TIME-WAIT, ACKed); our FIN again is ACKed again, since TIME-WAIT holds (MUST-13).
func activeClose(t *T) {
	s := newSession(t)
	c, fd := s.timeWait(probe.ConnConfig{})
	s.send(c, "F. 1:1(0) ack 2") // our FIN again, as if the ACK had been lost
	s.expectNext(c, ". 2:2(0) ack 2", "the answer to a retransmitted FIN in TIME-WAIT (its ACK)")
	s.close(fd)
}

// finWait2Data: RFC9293 §3.6, MAY-1. After the target's FIN, in FIN-WAIT-2,
// our data is still delivered (half close).
func finWait2Data(t *T) {
	s := newSession(t)
	c, fd := s.finWait2(probe.ConnConfig{})
	s.sendData(c, "P. 1:15(14) ack 2", "after your FIN")
	s.readExpect(fd, "after your FIN")
	s.expect(c, ". 2:2(0) ack 15")
}

// passiveClose: RFC9293 §3.6. Our FIN puts the target in CLOSE-WAIT (its application
// reads end of file, its data still flows), its close in LAST-ACK, our ACK in CLOSED.
func passiveClose(t *T) {
	s := newSession(t)
	c, fd := s.closeWait(probe.ConnConfig{})
	s.readEOF(fd, "our FIN")
	s.write(fd, "still talking")
	s.expectData(c, "P. 1:14(13) ack 2", "still talking")
	s.send(c, ". 2:2(0) ack 14")
	s.close(fd)
	s.expect(c, "F. 14:14(0) ack 2") // LAST-ACK
	s.send(c, ". 2:2(0) ack 15")
	// CLOSED: a new segment on the 4-tuple draws a reset.
	time.Sleep(100 * time.Millisecond)
	s.send(c, "P. 2:6(4) ack 15")
	s.expectMatch(c, rst, "RST once the connection is closed")
}

// simultaneousClose: RFC9293 §3.6 Figure 13. The FINs cross; the target goes
// FIN-WAIT-1 → CLOSING → TIME-WAIT.
func simultaneousClose(t *T) {
	s := newSession(t)
	c, fd, _ := s.finWait1(probe.ConnConfig{})
	s.send(c, "F. 1:1(0) ack 1") // our FIN does not acknowledge theirs: both in FIN-WAIT-1
	f := s.expectMatch(c, ackOf(c.State().ISS.Add(2)), "ACK of our FIN (CLOSING)")
	if f.TCP.Flags.Has(tcp.FlagRST) {
		s.Fatalf("reset in CLOSING: %v", &f)
	}
	s.send(c, ". 2:2(0) ack 2")
	// TIME-WAIT: our FIN again is acknowledged.
	s.send(c, "F. 1:1(0) ack 2")
	s.expectNext(c, ". 2:2(0) ack 2", "the answer to a retransmitted FIN in TIME-WAIT (its ACK)")
	s.close(fd)
}

// finRetransmitted: RFC9293 §3.8.1. The FIN occupies sequence space and is
// retransmitted like data until acknowledged.
func finRetransmitted(t *T) {
	s := newSession(t)
	c, _, _ := s.finWait1(probe.ConnConfig{Timeout: 5 * time.Second})
	s.expect(c, "F. 1:1(0) ack 1") // the FIN retransmitted
	s.send(c, ". 1:1(0) ack 2")
}

// unreadDataRST: RFC9293 SHLD-3, RFC2525 §2.17. Closing with data unread sends RST,
// telling the peer the data was lost.
func unreadDataRST(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.send(c, "P. 1:11(10) ack 1")
	s.expect(c, ". 1:1(0) ack 11")
	s.closeResets(c, fd, "close with unread data")
}

// lingerZero: RFC9293 §3.10.5 (ABORT). SO_LINGER 0 makes close an abort: a RST, no FIN.
func lingerZero(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.setopt(fd, "SO_LINGER", 0)
	s.closeResets(c, fd, "close with SO_LINGER 0")
}

// closeResets closes fd and fails unless the target's first segment after
// it is a RST, not a FIN.
func (s *session) closeResets(c *probe.Conn, fd agent.FD, what string) {
	s.close(fd)
	f := s.expectMatch(c, probe.Or(rst, probe.HasFlags(tcp.FlagFIN)), "the target's close")
	if !f.TCP.Flags.Has(tcp.FlagRST) {
		s.Fatalf("%s sent %v, want a RST", what, &f)
	}
}

// finWithData: RFC9293 §3.10.7.4 (eighth, the FIN bit). Data and FIN in one segment:
// both acknowledged, the data read, then end of file.
func finWithData(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	s.sendData(c, "FP. 1:4(3) ack 1", "bye")
	s.expect(c, ". 1:1(0) ack 5")
	s.readExpect(fd, "bye")
	s.readEOF(fd, "the FIN")
}
