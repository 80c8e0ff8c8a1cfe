package cases

import (
	"fmt"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// Keep-alive (RFC9293 §3.8.4): off unless asked, after the configured idle
// time only, tolerant of lost probe ACKs. The idle time is set through the
// agent (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT); no case waits for the
// two-hour default.

func init() {
	reg := func(id, title string, lvl suite.Level, req []string, timeout time.Duration, run func(*T)) {
		register(suite.Case{ID: id, Title: title, Level: lvl, Requirements: req, Timeout: timeout}, run)
	}
	reg("keepalive/off-by-default", "an idle connection without SO_KEEPALIVE sends nothing", suite.MUST,
		[]string{"RFC9293 MUST-25 (partial: 3 s observed)"}, 0, keepaliveOff)
	reg("keepalive/probe-after-idle", "with SO_KEEPALIVE and a 1 s idle time a probe comes after the idle time, then again", suite.MUST,
		[]string{"RFC9293 MUST-24", "RFC9293 MUST-26", "RFC9293 MUST-27", "RFC9293 SHLD-12"}, 15*time.Second, keepaliveProbe)
	reg("keepalive/none-while-busy", "no keep-alive probe while data flows", suite.MUST,
		[]string{"RFC9293 MUST-26"}, 15*time.Second, keepaliveBusy)
	reg("keepalive/lost-ack-tolerated", "one unanswered keep-alive probe does not end the connection", suite.MUST,
		[]string{"RFC9293 MUST-29"}, 15*time.Second, keepaliveLost)
}

// keepalive turns keep-alive on with an idle time and interval of 1 s.
func (s *session) keepalive(fd agent.FD, count int) {
	s.setopt(fd, "TCP_KEEPIDLE", 1)
	s.setopt(fd, "TCP_KEEPINTVL", 1)
	s.setopt(fd, "TCP_KEEPCNT", count)
	s.setopt(fd, "SO_KEEPALIVE", 1)
}

// kaProbe matches a keep-alive probe: an ACK at SND.NXT-1 with at most one
// octet (RFC9293 §3.8.4: ". 0:0(0)" or ". 0:1(1)" on an idle connection
// where nothing was sent yet).
func kaProbe(c *probe.Conn) probe.Match {
	return probe.Func("keep-alive probe", func(f *probe.Frame) bool {
		st := c.State()
		return f.IsTCP() && f.TCP.Flags == tcp.FlagACK && len(f.TCP.Payload) <= 1 && f.TCP.Seq == st.RcvNxt.Sub(1)
	})
}

// keepaliveOff: RFC9293 MUST-25 (partial). An idle connection sends nothing for 3 s.
func keepaliveOff(t *T) {
	s := newSession(t)
	c, _ := s.established(probe.ConnConfig{})
	s.none(c, 3*time.Second, probe.TCP, "a segment on an idle connection without keep-alive")
}

// keepaliveProbe: RFC9293 MUST-24, MUST-26, MUST-27. With a 1 s idle time the first
// probe comes after about 1 s, the next 1 s after our ACK of it.
func keepaliveProbe(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{Timeout: 4 * time.Second})
	s.keepalive(fd, 5)
	start := time.Now()
	f := s.expectMatch(c, kaProbe(c), "the first keep-alive probe")
	if d := f.Time.Sub(start); d < 800*time.Millisecond {
		s.Fatalf("keep-alive probe after %v of idle time, configured 1 s", d)
	}
	s.send(c, ". 1:1(0) ack 1")
	g := s.expectMatch(c, kaProbe(c), "the second keep-alive probe")
	if d := g.Time.Sub(f.Time); d < 800*time.Millisecond {
		s.Fatalf("second probe %v after the first, configured 1 s", d)
	}
	s.send(c, ". 1:1(0) ack 1")
}

// keepaliveBusy: RFC9293 MUST-26. Data every 250 ms for 3 s: no probe; once idle, one.
func keepaliveBusy(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{Timeout: 4 * time.Second})
	s.keepalive(fd, 5)
	start := time.Now()
	for at := 1; time.Since(start) < 3*time.Second; at += 4 {
		s.sendData(c, fmt.Sprintf("P. %d:%d(4) ack 1", at, at+4), "busy")
		s.read(fd, 4)
		time.Sleep(250 * time.Millisecond)
	}
	for _, f := range s.targetFrames(c) {
		if kaProbe(c).Match(&f) && len(f.TCP.Payload) <= 1 && f.Time.After(start) {
			// A probe repeats an old octet: SEG.SEQ = SND.NXT-1.
			s.Fatalf("keep-alive probe while busy: %v", &f)
		}
	}
	s.expectMatch(c, kaProbe(c), "a probe once idle")
}

// keepaliveLost: RFC9293 MUST-29. The first probe goes unanswered; the second is ACKed
// and the connection still carries data.
func keepaliveLost(t *T) {
	s := newSession(t)
	c, fd := s.established(probe.ConnConfig{Timeout: 4 * time.Second})
	s.keepalive(fd, 3)
	s.expectMatch(c, kaProbe(c), "the first keep-alive probe (left unanswered)")
	s.expectMatch(c, kaProbe(c), "the second keep-alive probe")
	s.send(c, ". 1:1(0) ack 1")
	time.Sleep(200 * time.Millisecond)
	s.sendData(c, "P. 1:6(5) ack 1", "alive")
	s.readExpect(fd, "alive")
}
