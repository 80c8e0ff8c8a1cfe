package cases

import (
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
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
func (b *bench) keepalive(fd agent.FD, count int) {
	b.setopt(fd, "TCP_KEEPIDLE", 1)
	b.setopt(fd, "TCP_KEEPINTVL", 1)
	b.setopt(fd, "TCP_KEEPCNT", count)
	b.setopt(fd, "SO_KEEPALIVE", 1)
}

// kaProbe matches a keep-alive probe: an ACK at SND.NXT-1 with at most one
// octet (RFC9293 §3.8.4), or any zero-length ACK not acknowledging new data.
func kaProbe(c *probe.Conn) probe.Match {
	return probe.Func("keep-alive probe", func(f *probe.Frame) bool {
		st := c.State()
		return f.IsTCP() && f.TCP.Flags == fACK && len(f.TCP.Payload) <= 1 && f.TCP.Seq == st.RcvNxt.Sub(1)
	})
}

// keepaliveOff: RFC9293 MUST-25 (partial). An idle connection sends nothing for 3 s.
func keepaliveOff(t *T) {
	b := newBench(t)
	c, _ := b.open(probe.ConnConfig{})
	b.none(c, 3*time.Second, probe.TCP, "a segment on an idle connection without keep-alive")
}

// keepaliveProbe: RFC9293 MUST-24, MUST-26, MUST-27. With a 1 s idle time the first
// probe comes after about 1 s, the next 1 s after our ACK of it.
func keepaliveProbe(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{Timeout: 4 * time.Second})
	b.keepalive(fd, 5)
	start := time.Now()
	f := b.expect(c, kaProbe(c), "the first keep-alive probe")
	if d := f.Time.Sub(start); d < 800*time.Millisecond {
		b.Fatalf("keep-alive probe after %v of idle time, configured 1 s", d)
	}
	b.ack(c)
	g := b.expect(c, kaProbe(c), "the second keep-alive probe")
	if d := g.Time.Sub(f.Time); d < 800*time.Millisecond {
		b.Fatalf("second probe %v after the first, configured 1 s", d)
	}
	b.ack(c)
}

// keepaliveBusy: RFC9293 MUST-26. Data every 250 ms for 3 s: no probe; once idle, one.
func keepaliveBusy(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{Timeout: 4 * time.Second})
	b.keepalive(fd, 5)
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		b.sendData(c, []byte("busy"))
		b.read(fd, 4)
		time.Sleep(250 * time.Millisecond)
	}
	for _, f := range b.targetFrames(c) {
		if kaProbe(c).Match(&f) && len(f.TCP.Payload) <= 1 && f.Time.After(start) {
			// A probe repeats an old octet: SEG.SEQ = SND.NXT-1.
			b.Fatalf("keep-alive probe while busy: %v", &f)
		}
	}
	b.expect(c, kaProbe(c), "a probe once idle")
}

// keepaliveLost: RFC9293 MUST-29. The first probe goes unanswered; the second is ACKed
// and the connection still carries data.
func keepaliveLost(t *T) {
	b := newBench(t)
	c, fd := b.open(probe.ConnConfig{Timeout: 4 * time.Second})
	b.keepalive(fd, 3)
	b.expect(c, kaProbe(c), "the first keep-alive probe (left unanswered)")
	b.expect(c, kaProbe(c), "the second keep-alive probe")
	b.ack(c)
	time.Sleep(200 * time.Millisecond)
	b.sendData(c, []byte("alive"))
	b.readExpect(fd, []byte("alive"))
}
