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

// Retransmission: the timer and its backoff, fast retransmit, SACK-based
// recovery, and giving up (RFC9293 §3.8.1, §3.8.3; RFC6298; RFC5681;
// RFC6675).

func init() {
	register(suite.Case{ID: "retransmission/rto-backoff", Title: "unacknowledged data is retransmitted, the same octets, with the interval doubling",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-19", "RFC6298 §5.5"}, Timeout: 40 * time.Second}, rtoBackoff)
	register(suite.Case{ID: "retransmission/fast-retransmit", Title: "three duplicate ACKs make the target resend the missing segment before its timer",
		Level: suite.SHOULD, Requirements: []string{"RFC5681 §3.2", "RFC9293 MUST-19"}}, fastRetransmit)
	register(suite.Case{ID: "retransmission/sack-recovery", Title: "with SACK, only the hole is resent, not the octets reported received",
		Level: suite.FEATURE, Requirements: []string{"RFC2018 §3", "RFC6675 §5"}}, sackRecovery)
	register(suite.Case{ID: "retransmission/user-timeout-give-up", Title: "with TCP_USER_TIMEOUT the connection is given up and the application told",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-21", "RFC9293 MUST-12", "RFC5482 §3"}, Timeout: 20 * time.Second}, userTimeout)
	register(suite.Case{ID: "retransmission/syn-user-timeout", Title: "an unanswered SYN is given up on the same user timeout",
		Level: suite.MUST, Requirements: []string{"RFC9293 MUST-22", "RFC9293 MUST-21"}, Timeout: 20 * time.Second}, synUserTimeout)
}

// unacked makes the target send data and returns the first transmission.
func (s *session) unacked(c *probe.Conn, fd agent.FD, n int) probe.Frame {
	s.write(fd, string(pattern(n, 'R')))
	return s.expectMatch(c, data, "data")
}

// rtoBackoff: RFC9293 MUST-19, RFC6298 §5.5. Unacknowledged data is resent, the same
// octets, each retransmission timeout twice the last.
func rtoBackoff(t *T) {
	s := newSession(t)
	// An RTO that starts near RFC6298's old 3 s (lwIP: 2.5 s) and doubles
	// reaches 10 s at the third resend.
	c, fd := s.established(probe.ConnConfig{Timeout: 15 * time.Second})
	first := s.unacked(c, fd, 100)
	m := probe.And(data, probe.Seq(first.TCP.Seq))
	times := []time.Time{first.Time}
	for len(times) < 4 {
		f, err := c.Expect(m)
		if err != nil {
			s.Fatalf("retransmission %d: %v", len(times), err)
		}
		if !bytes.Equal(f.TCP.Payload, first.TCP.Payload) {
			s.Fatalf("retransmission %v carries other octets than the original", &f)
		}
		times = append(times, f.Time)
	}
	gaps := intervals(times)
	// The first resend may be a tail loss probe (RFC8985 §7), due before the
	// RTO; the timer's backoff shows from the second gap on.
	s.growing(gaps[1:], "retransmission")
}

// flight makes the target send k full segments and returns them.
func (s *session) flight(c *probe.Conn, fd agent.FD, k int) []probe.Frame {
	s.writeAsync(fd, pattern(k*peerMSSOf(c), 'F'))
	var segs []probe.Frame
	seen := map[tcp.Value]bool{}
	for len(segs) < k {
		f := s.expectMatch(c, data, "data")
		if !seen[f.TCP.Seq] {
			seen[f.TCP.Seq] = true
			segs = append(segs, f)
		}
	}
	return segs
}

// peerMSSOf is what the target may put in one segment to us: our MSS less
// options, bounded for the flight to fit an initial window.
func peerMSSOf(c *probe.Conn) int {
	n := 1000
	if o := c.State().OurOptions; o.HasMSS && int(o.MSS) < n {
		n = int(o.MSS)
	}
	return n
}

// fastRetransmit: RFC5681 §3.2. Three duplicate ACKs (no SACK) make the target resend the
// missing segment before its retransmission timer.
func fastRetransmit(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1000,nop,wscale 7")})
	// Four segments: RFC5681 §3.1's initial window for an MSS of 1000 is
	// min(4*SMSS, max(2*SMSS, 4380)) = 4000 octets (lwIP sends no more).
	segs := s.flight(c, fd, 4)
	hole := segs[1]
	first := rel(segs[0].TCP.Seq, c.State().IRS) + int64(len(segs[0].TCP.Payload))
	for range 4 {
		s.send(c, ". 1:1(0) ack %d", first) // duplicate ACKs of the first segment
	}
	sent := time.Now()
	f := s.expectMatch(c, probe.And(data, probe.Seq(hole.TCP.Seq)), "retransmission of the missing segment")
	info, err := s.agent.TCPInfo(s.ctx, fd)
	if err == nil && info.RTOUs > 0 && f.Time.Sub(sent) > time.Duration(info.RTOUs)*time.Microsecond {
		s.Fatalf("the hole was resent after %v, not before the RTO (%v)", f.Time.Sub(sent), time.Duration(info.RTOUs)*time.Microsecond)
	}
	if err != nil {
		s.Logf("no TCP_INFO (%v): resent after %v", err, f.Time.Sub(sent))
	}
}

// sackRecovery: RFC2018 §3, RFC6675 §5. Duplicate ACKs with SACK blocks for segments
// 3-5: the target resends segment 2 only.
func sackRecovery(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{SYNOptions: synOpts("mss 1000,sackOK,nop,wscale 7")})
	if !c.State().SACK {
		s.Unsupported("SACK not negotiated: the target does not offer it")
	}
	segs := s.flight(c, fd, 5)
	irs := c.State().IRS
	end := func(f probe.Frame) int64 { return rel(f.TCP.Seq, irs) + int64(len(f.TCP.Payload)) }
	una := end(segs[0])
	for i := 2; i < 5; i++ {
		s.send(c, ". 1:1(0) ack %d <%s>", una, withTS(c, fmt.Sprintf("nop,nop,sack %d:%d", rel(segs[2].TCP.Seq, irs), end(segs[i]))))
	}
	s.expectMatch(c, probe.And(data, probe.Seq(segs[1].TCP.Seq)), "retransmission of the hole")
	s.send(c, ". 1:1(0) ack %d", end(segs[4]))
	time.Sleep(200 * time.Millisecond)
	for _, f := range s.targetFrames(c) {
		if len(f.TCP.Payload) > 0 && f.Time.After(segs[4].Time) && f.TCP.Seq.InRange(segs[2].TCP.Seq, irs.Add(tcp.Size(end(segs[4])))) {
			s.Fatalf("the target resent SACKed octets: %v", &f)
		}
	}
}

// userTimeout: RFC9293 MUST-21, RFC5482. With TCP_USER_TIMEOUT 1.5 s and no ACKs, the
// target gives up: ETIMEDOUT for the application, and the 4-tuple is closed.
func userTimeout(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{Timeout: 8 * time.Second})
	s.setopt(fd, "TCP_USER_TIMEOUT", 1500)
	start := time.Now()
	s.unacked(c, fd, 100)
	var err error
	for time.Since(start) < 10*time.Second {
		_, err = s.agent.Read(s.ctx, fd, 10, time.Second)
		if errno(err) == "EAGAIN" {
			continue
		}
		break
	}
	if errno(err) != "ETIMEDOUT" {
		s.Fatalf("after %v the application's read returned %v, want ETIMEDOUT", time.Since(start), err)
	}
	s.Logf("given up after %v", time.Since(start))
	// The connection is gone: a segment for it draws a reset.
	s.send(c, ". 1:1(0) ack 101")
	s.expectMatch(c, rst, "RST for a segment of the abandoned connection")
}

// synUserTimeout: RFC9293 MUST-22. The user timeout bounds an unanswered SYN too.
func synUserTimeout(t *T) {
	s := newSession(t)
	c := s.newConn(probe.ConnConfig{Timeout: 8 * time.Second})
	start := time.Now()
	fd := s.socket()
	s.setopt(fd, "TCP_USER_TIMEOUT", 2000)
	s.bind(fd, s.targetAt(s.port))
	err := s.agent.Connect(s.ctx, fd, c.LocalAddr(), 8*time.Second)
	if errno(err) != "ETIMEDOUT" {
		s.Fatalf("connect to a silent peer with a 2 s user timeout returned %v after %v, want ETIMEDOUT", err, time.Since(start))
	}
	if d := time.Since(start); d > 6*time.Second {
		s.Fatalf("connect gave up after %v with a 2 s user timeout", d)
	}
}
