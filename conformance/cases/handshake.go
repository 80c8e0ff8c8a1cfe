package cases

import (
	"context"
	"strings"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Handshake: the three-way handshake in both directions, the options the
// target offers, and the odd openings (RFC9293 §3.5, §3.7.1, §3.10.7).

func init() {
	register(suite.Case{ID: "handshake/three-way", Title: "a passive open completes the three-way handshake and carries data both ways",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.5", "RFC9293 MUST-45"}}, threeWay)
	register(suite.Case{ID: "handshake/active-open", Title: "the target's active open: SYN with MSS, then data both ways",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.5", "RFC9293 MUST-14"}}, activeOpenMSS)
	register(suite.Case{ID: "handshake/synack-mss", Title: "the SYN-ACK carries an MSS option within the link's MTU",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-14", "RFC9293 MUST-67"}}, synAckMSS)
	register(suite.Case{ID: "handshake/synack-window-scale", Title: "the target answers a window scale offer with a shift of at most 14",
		Level: suite.FEATURE, Requirements: []string{"RFC7323 §2.2", "RFC7323 §2.3"}}, synAckWScale)
	register(suite.Case{ID: "handshake/synack-sack-permitted", Title: "the target answers SACK-permitted in kind",
		Level: suite.FEATURE, Requirements: []string{"RFC2018 §2"}}, synAckSACK)
	register(suite.Case{ID: "handshake/synack-timestamps", Title: "the target answers the Timestamps option, echoing our TSval",
		Level: suite.FEATURE, Requirements: []string{"RFC7323 §3.2"}}, synAckTS)
	register(suite.Case{ID: "handshake/synack-no-unoffered-options", Title: "a SYN without options draws a SYN-ACK without window scale, SACK-permitted or timestamps",
		Level: suite.MUST, Requirements: []string{"RFC7323 §2.2", "RFC7323 §3.2", "RFC2018 §2"}}, synAckNoOptions)
	register(suite.Case{ID: "handshake/syn-closed-port-rst", Title: "a SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.10.7.1"}}, synClosedPort)
	register(suite.Case{ID: "handshake/syn-with-data", Title: "data in a SYN is delivered once, after the handshake, or acknowledged only when retransmitted",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.10.7.2", "RFC9293 §3.4"}}, synWithData)
	register(suite.Case{ID: "handshake/duplicate-syn", Title: "a retransmitted SYN in SYN-RECEIVED draws the same SYN-ACK again",
		Level: suite.MUST, Requirements: []string{"RFC9293 §3.10.7.4", "RFC9293 §3.8.1"}}, duplicateSYN)
	register(suite.Case{ID: "handshake/synack-retransmit-backoff", Title: "an unanswered SYN-ACK is retransmitted with a growing interval",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-19", "RFC6298 §5.5"}, Timeout: 20 * time.Second}, synAckBackoff)
	register(suite.Case{ID: "handshake/syn-retransmit-backoff", Title: "an unanswered SYN is retransmitted with a growing interval and not given up early",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-19", "RFC9293 MUST-23 (partial: 7 s, not 3 min)", "RFC6298 §5.7"}, Timeout: 20 * time.Second}, synBackoff)
	register(suite.Case{ID: "handshake/syn-retries-three-minutes", Title: "an unanswered SYN is still retransmitted 3 minutes after the first (R2 for a SYN, the default)",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-23"}, Slow: 200 * time.Second, Timeout: synR2CaseTimeout}, synRetriesThreeMinutes)
	register(suite.Case{ID: "handshake/simultaneous-open", Title: "a SYN answering the target's SYN leads through SYN-RECEIVED to ESTABLISHED",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-10", "RFC9293 §3.5 (Figure 7)"}}, simultaneousOpen)
	register(suite.Case{ID: "handshake/syn-received-passive-reset", Title: "a RST in SYN-RECEIVED entered from LISTEN returns to LISTEN",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-11", "RFC9293 §3.10.7.4"}}, synRcvdPassiveReset)
	register(suite.Case{ID: "handshake/syn-received-active-reset", Title: "a RST in SYN-RECEIVED entered from SYN-SENT refuses the connection",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-11", "RFC9293 MUST-12", "RFC9293 §3.10.7.4"}}, synRcvdActiveReset)
	register(suite.Case{ID: "handshake/mss-absent-536", Title: "without an MSS option the target sends segments of at most 536 octets",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-15", "RFC9293 MUST-16"}}, mssAbsent)
	register(suite.Case{ID: "handshake/small-mss-honoured", Title: "the target's segments respect a small MSS we announce",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-14", "RFC9293 MUST-16"}}, smallMSS)
	register(suite.Case{ID: "handshake/listen-beside-connections", Title: "a listener keeps accepting while connections from it are open, one per remote endpoint",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-41", "RFC9293 MUST-42"}}, listenBeside)
	register(suite.Case{ID: "handshake/ttl-configurable", Title: "the TTL the application sets is the TTL of the target's segments",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-49"}}, ttlConfigurable)
	register(suite.Case{ID: "handshake/diffserv-configurable", Title: "the Differentiated Services field the application sets is that of the target's segments",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-48", "RFC2474 §3"}}, diffservConfigurable)
}

// threeWay: SYN, SYN-ACK acknowledging our ISS+1 from the address we sent
// to, ACK; then data each way.
func threeWay(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{})
	syn := s.synOf(c)
	if syn.IP.Src != s.target {
		s.Fatalf("SYN-ACK from %v, want the address the SYN went to, %v (MUST-45)", syn.IP.Src, s.target)
	}
	s.sendData(c, "P. 1:5(4) ack 1", "ping")
	s.readExpect(fd, "ping")
	s.expect(c, ". 1:1(0) ack 5")
	s.write(fd, "pong")
	s.expectData(c, "P. 1:5(4) ack 5", "pong")
}

// activeOpenMSS: the target connects; its SYN carries an MSS option.
func activeOpenMSS(t *T) {
	s := newSession(t)
	c, fd := s.establishedActive(probe.ConnConfig{}, nil)
	if !c.State().PeerOptions.HasMSS {
		f := s.synOf(c)
		s.Fatalf("the target's SYN has no MSS option: %v", &f)
	}
	s.write(fd, "hello")
	s.expectData(c, "P. 1:6(5) ack 1", "hello")
	s.sendData(c, "P. 1:6(5) ack 6", "world")
	s.readExpect(fd, "world")
}

// synAckMSS: RFC9293 MUST-14, MUST-67. The SYN-ACK's MSS is present and at most the
// link's MTU less 40.
func synAckMSS(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	o := c.State().PeerOptions
	if !o.HasMSS {
		s.Fatalf("SYN-ACK without MSS option")
	}
	// The target's MMS_R cannot exceed the link's MTU less the headers.
	if mtu := s.probe.Stack().MTU(); int(o.MSS) > mtu-40 || o.MSS == 0 {
		s.Fatalf("SYN-ACK MSS %d; the link's MTU is %d, so at most %d", o.MSS, mtu, mtu-40)
	}
}

// synAckWScale: RFC7323 §2.2, §2.3. A window scale offered is answered with a shift of
// at most 14; a target without window scaling is UNSUPPORTED.
func synAckWScale(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	st := c.State()
	if !st.PeerOptions.HasWScale {
		s.Unsupported("the target does not offer window scaling")
	}
	if st.SndWScale > 14 {
		s.Fatalf("window scale shift %d > 14", st.SndWScale)
	}
	if w := s.synOf(c).TCP.Window; w == 0 {
		s.Fatalf("SYN-ACK window 0")
	}
}

// synAckSACK: RFC2018 §2. SACK-permitted offered is answered in kind, or UNSUPPORTED.
func synAckSACK(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	if !c.State().PeerOptions.SACKPermitted {
		s.Unsupported("the target does not offer SACK")
	}
}

// synAckTS: RFC7323 §3.2. The SYN-ACK's TSecr echoes the TSval of our SYN.
func synAckTS(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	st := c.State()
	if !st.PeerOptions.HasTimestamps {
		s.Unsupported("the target does not offer timestamps")
	}
	if st.PeerOptions.TSEcr != st.OurOptions.TSVal {
		s.Fatalf("SYN-ACK TSecr %d, want our TSval %d", st.PeerOptions.TSEcr, st.OurOptions.TSVal)
	}
}

// synAckNoOptions: RFC7323 §2.2, §3.2, RFC2018 §2. Options the SYN did not offer are not
// in the SYN-ACK.
func synAckNoOptions(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{SYNOptions: []byte{}})
	o := c.State().PeerOptions
	if o.HasWScale || o.SACKPermitted || o.HasTimestamps {
		s.Fatalf("SYN-ACK to a SYN without options carries %v", &o)
	}
}

// synClosedPort: RFC9293 §3.10.7.1. A SYN to a closed port draws
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. (The sequence number of the
// reset is absolute: the target has no IRS a line could count from.)
func synClosedPort(t *T) {
	s := newSession(t)
	c := s.newConn(probe.ConnConfig{})
	s.send(c, "S 0:0(0) <mss 1460>")
	f := s.expect(c, "R. * ack 1")
	if f.TCP.Seq != 0 || len(f.TCP.Payload) != 0 {
		s.Fatalf("reset %v: want [R.] seq 0 ack %d", &f, uint32(c.State().ISS.Add(1)))
	}
}

// synWithData: RFC9293 §3.10.7.2, §3.4. Data in a SYN is delivered exactly once: with the
// SYN if the SYN-ACK acknowledges it, else after we send it again.
func synWithData(t *T) {
	s := newSession(t)
	lfd := s.listen(s.port)
	c := s.newConn(probe.ConnConfig{})
	const payload = "syn-data!!"
	s.sendData(c, "S 0:10(10) win 65535 <mss 1460>", payload)
	sa := s.expectMatch(c, probe.HasFlags(tcp.FlagSYN|tcp.FlagACK), "SYN-ACK")
	switch rel(sa.TCP.Ack, c.State().ISS) {
	case 1:
		// The data was not accepted: acknowledge the SYN and send it again.
		s.send(c, ". 1:1(0) ack 1")
		s.sendData(c, "P. 1:11(10) ack 1", payload)
	case 11:
		s.send(c, ". 11:11(0) ack 1")
	default:
		s.Fatalf("SYN-ACK %v acknowledges neither the SYN nor SYN and data", &sa)
	}
	fd := s.accept(lfd)
	s.readExpect(fd, payload)
	s.expectMatch(c, ackOf(c.State().ISS.Add(11)), "ACK of the data")
	// Exactly once: the next bytes read are the next bytes sent.
	s.sendData(c, "P. 11:15(4) ack 1", "next")
	s.readExpect(fd, "next")
}

// duplicateSYN: RFC9293 §3.8.1. A retransmitted SYN in SYN-RECEIVED draws the same
// SYN-ACK (same ISN), and the handshake completes.
func duplicateSYN(t *T) {
	s := newSession(t)
	c, lfd, _ := s.synReceived(probe.ConnConfig{})
	s.send(c, "S 0:0(0) <mss 1460>")
	s.expect(c, "S. 0:0(0) ack 1") // the same ISN again
	s.send(c, ". 1:1(0) ack 1")
	fd := s.accept(lfd)
	s.send(c, "P. 1:6(5) ack 1")
	s.read(fd, 5)
}

// transmissions waits for n transmissions of segments matching m, the
// first of which is first, and returns the gaps between them.
func (s *session) transmissions(c *probe.Conn, n int, m probe.Match, what string, first probe.Frame) []time.Duration {
	times := []time.Time{first.Time}
	for len(times) < n {
		f, err := c.Expect(m)
		if err != nil {
			s.Fatalf("%s: transmission %d: %v", what, len(times)+1, err)
		}
		times = append(times, f.Time)
	}
	return intervals(times)
}

// intervals returns the time between each of times and the next.
func intervals(times []time.Time) []time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(times); i++ {
		gaps = append(gaps, times[i].Sub(times[i-1]))
	}
	return gaps
}

// growing fails unless each gap is clearly longer than the one before
// (exponential backoff doubles; 1.5 leaves room for timer granularity).
func (s *session) growing(gaps []time.Duration, what string) {
	s.Logf("%s intervals: %s", what, fmtDurations(gaps))
	// Each gap at least 1.25 times the last: a doubling timer passes with
	// room for a late first firing on a loaded machine (gVisor's 1 s timer
	// fired at 1.38 s once, then 2 s), a fixed interval fails.
	for i := 1; i < len(gaps); i++ {
		if float64(gaps[i]) < 1.25*float64(gaps[i-1]) {
			s.Fatalf("%s intervals %s: no backoff", what, fmtDurations(gaps))
		}
	}
}

// synAckBackoff: RFC9293 MUST-19, RFC6298 §5.5. An unanswered SYN-ACK is resent with each
// interval longer than the last.
func synAckBackoff(t *T) {
	s := newSession(t)
	c, _, first := s.synReceived(probe.ConnConfig{Timeout: 8 * time.Second})
	resent := s.matchLine(c, "S. 0:0(0) ack 1")
	s.growing(s.transmissions(c, 3, resent, "SYN-ACK retransmission", first), "SYN-ACK")
}

// synBackoff: RFC9293 MUST-19, MUST-23, RFC6298 §5.5. An unanswered SYN is resent with
// growing intervals, and the connect is not given up within the case.
func synBackoff(t *T) {
	s := newSession(t)
	c, _, done, first := s.synSent(probe.ConnConfig{Timeout: 8 * time.Second}, nil)
	resent := s.matchLine(c, "S 0:0(0)")
	s.growing(s.transmissions(c, 3, resent, "SYN retransmission", first), "SYN")
	select {
	case err := <-done:
		s.Fatalf("the connect ended after %v: %v; R2 for a SYN is at least 3 minutes", time.Since(first.Time), err)
	default:
	}
}

// The times of handshake/syn-retries-three-minutes (RFC9293 MUST-23), from
// the target's first SYN.
const (
	// synR2Min is what MUST-23 asks: "R2 for a SYN segment MUST be set
	// large enough to provide retransmission of the segment for at least 3
	// minutes".
	synR2Min = 3 * time.Minute
	// synR2Slack is added to the times the case waits for a retransmission.
	synR2Slack = 10 * time.Second
	// synR2WaitMax is the latest the case waits for a retransmission at or
	// after synR2Min. A target whose last retransmission came just before
	// 3 minutes sends the next one an RTO later, and the RTO of a SYN that
	// was never answered is its upper bound by then: Linux's is 120 s
	// (TCP_RTO_MAX); RFC6298 (2.5) only says a maximum "MAY be placed on
	// RTO provided it is at least 60 seconds".
	synR2WaitMax = synR2Min + 130*time.Second
	// synR2Connect is the agent's connect timeout: longer than the case
	// waits, so that only the target ends the attempt.
	synR2Connect = synR2WaitMax + 10*time.Second
	// synR2CaseTimeout bounds the case.
	synR2CaseTimeout = synR2Connect + 20*time.Second
)

// synRetriesThreeMinutes: RFC9293 MUST-23 (§3.8.3): "R2 for a SYN segment
// MUST be set large enough to provide retransmission of the segment for at
// least 3 minutes". The target connects with its defaults (no
// TCP_USER_TIMEOUT, which would replace R2, MUST-21) to the probe, which
// never answers; the case records when each retransmission of the SYN comes.
// PASS: a retransmission of the SYN at or after 180 s from the first SYN.
// FAIL: the connect ends before one came (the target gave up), or none
// comes while the connect stays pending: after 180 s the case waits for the
// next retransmission up to twice the last interval after the last one
// (RFC6298 (5.5) doubles the timer) plus 10 s, and at most until 310 s.
// A slow case: it takes 2 to 5 minutes (about 3m20s for a target that
// retransmits up to 3 minutes and gives up soon after).
func synRetriesThreeMinutes(t *T) {
	s := newSession(t)
	c := s.newConn(probe.ConnConfig{Timeout: wait})
	// Ending ctx when the case ends also ends a connect still pending: the
	// agent client disconnects (which would otherwise wait for the call) and
	// the agent closes the socket.
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	sc := *s
	sc.ctx = ctx
	_, done := sc.connectingWithin(s.port, synR2Connect, nil)
	first := s.expect(c, "S 0:0(0)")
	resent := probe.And(probe.Tuple(c.LocalAddr(), c.RemoteAddr()), s.matchLine(c, "S 0:0(0)"))

	// The retransmissions, in order, from the probe's record.
	syns := make(chan probe.Frame)
	go func() {
		defer close(syns)
		for {
			f, err := s.probe.ExpectContext(ctx, resent)
			if err != nil {
				return
			}
			select {
			case syns <- f:
			case <-ctx.Done():
				return
			}
		}
	}()

	var times []time.Duration // of the retransmissions, from the first SYN
	waitUntil := func() time.Duration {
		// Until the retransmission after 3 minutes is due: the next one
		// comes after at most twice the last interval.
		var last, interval time.Duration
		if n := len(times); n > 0 {
			last = times[n-1]
			interval = last
			if n > 1 {
				interval -= times[n-2]
			}
		}
		return min(max(last+2*interval, synR2Min)+synR2Slack, synR2WaitMax)
	}
	timer := time.NewTimer(time.Until(first.Time.Add(waitUntil())))
	defer timer.Stop()
	for {
		select {
		case f, ok := <-syns:
			if !ok {
				s.Brokenf("probe: the record ended: %v", ctx.Err())
			}
			at := f.Time.Sub(first.Time)
			times = append(times, at)
			s.Logf("SYN retransmission %d at %v", len(times), at.Round(time.Millisecond))
			if at >= synR2Min {
				s.Logf("the SYN is still retransmitted %v after the first (retransmissions at %s)", at.Round(time.Millisecond), fmtDurations(times))
				return
			}
			timer.Reset(time.Until(first.Time.Add(waitUntil())))
		case err := <-done:
			ended := time.Since(first.Time)
			if err == nil {
				s.Brokenf("the target's connect succeeded, yet the probe answered nothing")
			}
			// A retransmission the probe saw just before the end counts.
			for _, f := range s.probe.Frames() {
				if f.Dir == probe.In && resent.Match(&f) && f.Time.Sub(first.Time) >= synR2Min {
					s.Logf("the SYN was retransmitted %v after the first, then the connect ended after %v: %v",
						f.Time.Sub(first.Time).Round(time.Millisecond), ended.Round(time.Millisecond), err)
					return
				}
			}
			s.Fatalf("the target gave up the connect %v after its first SYN (%s), having retransmitted the SYN at %s; "+
				"R2 for a SYN MUST provide retransmission of the segment for at least 3 minutes (MUST-23)",
				ended.Round(100*time.Millisecond), errText(err), listOrNone(times))
		case <-timer.C:
			s.Fatalf("no retransmission of the SYN at or after 3 minutes: the connect is still pending %v after the first SYN, "+
				"the SYN was retransmitted at %s; R2 for a SYN MUST provide retransmission of the segment for at least 3 minutes (MUST-23)",
				time.Since(first.Time).Round(100*time.Millisecond), listOrNone(times))
		}
	}
}

// errText is the errno name of an agent error, or the error's text.
func errText(err error) string {
	if e := errno(err); e != "" {
		return e
	}
	return err.Error()
}

// listOrNone is fmtDurations, or "no time" for none.
func listOrNone(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no time"
	}
	return fmtDurations(ds)
}

// simultaneousOpen: RFC9293 MUST-10, §3.5 Figure 7. Our SYN crosses the target's: it
// answers with a SYN-ACK (SYN-RECEIVED), our SYN-ACK completes, data flows.
func simultaneousOpen(t *T) {
	s := newSession(t)
	c, fd, done := s.synReceivedActive(probe.ConnConfig{})
	s.send(c, "S. 0:0(0) ack 1 <mss 1460>")
	if err := <-done; err != nil {
		s.Fatalf("connect after a simultaneous open: %v", err)
	}
	s.send(c, "P. 1:5(4) ack 1 <>")
	s.read(fd, 4)
	s.write(fd, "ok")
	s.expectData(c, "P. 1:3(2) ack 5", "ok")
}

// synRcvdPassiveReset: RFC9293 MUST-11. A RST in SYN-RECEIVED entered from LISTEN
// returns to LISTEN: the next connection is accepted, and is the only one.
func synRcvdPassiveReset(t *T) {
	s := newSession(t)
	c, lfd, _ := s.synReceived(probe.ConnConfig{})
	s.send(c, "R 1:1(0)")
	// Back in LISTEN: another opening from another port is accepted, and
	// it is the one accept returns.
	c2, err := s.probe.Dial(s.targetAt(s.port), probe.ConnConfig{})
	if err != nil {
		s.Fatalf("after the RST the listener does not answer: %v", err)
	}
	fd, peer, err := s.agent.Accept(s.ctx, lfd, wait)
	if err != nil {
		s.Fatalf("accept after the reset: %v", err)
	}
	if peer.Port() != c2.LocalAddr().Port() {
		s.Fatalf("accept returned the connection from port %d, want %d (the reset one must be gone)", peer.Port(), c2.LocalAddr().Port())
	}
	s.close(fd)
}

// synRcvdActiveReset: RFC9293 MUST-11, §3.10.7.4. A RST in SYN-RECEIVED entered from
// SYN-SENT refuses the connection: connect fails and the connection is gone.
func synRcvdActiveReset(t *T) {
	s := newSession(t)
	c, _, done := s.synReceivedActive(probe.ConnConfig{})
	s.send(c, "R 1:1(0)")
	select {
	case err := <-done:
		// RFC9293 says "connection refused"; the errno that carries it is
		// the API's business, so a reset error is taken too, and logged.
		switch errno(err) {
		case "ECONNREFUSED":
		case "ECONNRESET":
			s.Logf("connect returned ECONNRESET for a refused connection (RFC9293: \"connection refused\")")
		default:
			s.Fatalf("connect returned %v, want the connection refused", err)
		}
	case <-time.After(6 * time.Second):
		s.Fatalf("connect still pending after the RST")
	}
	// Closed, not back in LISTEN or SYN-SENT: a segment for it draws a reset.
	s.send(c, ". 1:1(0) ack 1")
	s.expectMatch(c, rst, "RST for a segment of the refused connection")
}

// bulkFromTarget makes the target write n bytes and takes them, ACKing
// each segment, returning the data frames.
func (s *session) bulkFromTarget(c *probe.Conn, fd agent.FD, n int) []probe.Frame {
	s.writeAsync(fd, pattern(n, 'a'))
	for c.State().Received < n {
		if _, err := c.Expect(data); err != nil {
			s.Fatalf("data from the target: %d of %d bytes, then %v", c.State().Received, n, err)
		}
		s.ack(c)
	}
	var frames []probe.Frame
	for _, f := range s.targetFrames(c) {
		if len(f.TCP.Payload) > 0 {
			frames = append(frames, f)
		}
	}
	return frames
}

func (s *session) maxSegment(c *probe.Conn, fd agent.FD, limit int) {
	for _, f := range s.bulkFromTarget(c, fd, 4000) {
		if len(f.TCP.Payload) > limit {
			s.Fatalf("segment %v carries %d octets, more than %d", &f, len(f.TCP.Payload), limit)
		}
	}
}

// mssAbsent: RFC9293 MUST-15. A SYN without MSS option means 536: no segment is larger.
func mssAbsent(t *T) { mssHonoured(t, "", 536) }

// smallMSS: RFC9293 MUST-16. Our MSS of 300 bounds every segment of the target.
func smallMSS(t *T) { mssHonoured(t, "mss 300", 300) }

// mssHonoured opens a connection whose SYN carries synOptions (a line's
// "<...>") and fails if the target then sends a segment of more than mss
// octets.
func mssHonoured(t *T, synOptions string, mss int) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts(synOptions)})
	s.maxSegment(c, fd, mss)
}

// listenBeside: RFC9293 MUST-41, MUST-42. Three connections from one listener, each
// accepted with its own remote port, each carrying its own data.
func listenBeside(t *T) {
	s := newSession(t)
	lfd := s.listen(s.port)
	var conns []*probe.Conn
	var fds []agent.FD
	for i := 0; i < 3; i++ {
		c, err := s.probe.Dial(s.targetAt(s.port), probe.ConnConfig{})
		if err != nil {
			s.Fatalf("connection %d to the listener: %v", i+1, err)
		}
		conns = append(conns, c)
		fd, peer, err := s.agent.Accept(s.ctx, lfd, wait)
		if err != nil {
			s.Fatalf("accept %d: %v", i+1, err)
		}
		if peer.Port() != c.LocalAddr().Port() {
			s.Fatalf("accept %d returned port %d, want %d", i+1, peer.Port(), c.LocalAddr().Port())
		}
		fds = append(fds, fd)
	}
	for i, c := range conns {
		msg := strings.Repeat(string(rune('A'+i)), 3)
		s.sendData(c, "P. 1:4(3) ack 1", msg)
		s.readExpect(fds[i], msg)
	}
}

// ttlConfigurable: RFC9293 MUST-49. IP_TTL 17 set before connect is the TTL of the SYN.
func ttlConfigurable(t *T) {
	s := newSession(t)
	const ttl = 17
	c, _ := s.establishedActive(probe.ConnConfig{}, func(fd agent.FD) { s.setopt(fd, "IP_TTL", ttl) })
	if f := s.synOf(c); f.IP.TTL != ttl {
		s.Fatalf("SYN with TTL %d, the application set %d", f.IP.TTL, ttl)
	}
}

// diffservConfigurable: RFC9293 MUST-48 (§3.9.1.9: "The application layer
// MUST be able to specify the Differentiated Services field for segments
// that are sent on a connection"). IP_TOS 0x28 (DSCP AF11, RFC2474 §3: the
// upper six bits) set before connect is the DS field of the SYN and of the
// data the target sends. The two ECN bits (RFC3168) are the stack's own and
// are not compared.
func diffservConfigurable(t *T) {
	s := newSession(t)
	const tos = 0x28
	c, fd := s.establishedActive(probe.ConnConfig{}, func(fd agent.FD) { s.setopt(fd, "IP_TOS", tos) })
	if f := s.synOf(c); f.IP.TOS&^0x03 != tos {
		s.Fatalf("SYN with DS field %#02x (DSCP %d), the application set %#02x (DSCP %d)", f.IP.TOS, f.IP.TOS>>2, tos, tos>>2)
	}
	s.write(fd, "diffserv")
	f := s.expectData(c, "P. 1:9(8) ack 1", "diffserv")
	if f.IP.TOS&^0x03 != tos {
		s.Fatalf("data segment with DS field %#02x (DSCP %d), the application set %#02x (DSCP %d)", f.IP.TOS, f.IP.TOS>>2, tos, tos>>2)
	}
}
