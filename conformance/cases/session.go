// Package cases holds the conformance cases, one file per area, each case
// registered with the suite from init(). A case reads like the exchange on
// the wire: the calls the target's application makes through the agent, and
// the segments the probe sends and expects, written as packetdrill-like
// lines (see probe.ParseLine):
//
//	c, fd := s.established(probe.ConnConfig{})
//	s.sendData(c, "P. 1:5(4) ack 1", "ping")
//	s.readExpect(fd, "ping")
//	s.expect(c, ". 1:1(0) ack 5")
//
// Numbers are relative, as packetdrill shows them: the sequence numbers of
// what we send, and the acknowledgments of what the target sends, count
// from our ISS; the others from the target's IRS. Expectations come from
// what the target itself sent (its MSS, window scale, window and options),
// never from the constants of one operating system. A probe.Segment
// literal is left only for what a line cannot say: a bad checksum, IP
// options, reserved bits, padding, a segment before the target's IRS is
// known with an absolute acknowledgment, or one from or to another address.
//
// A case gets a session (newSession): the suite's T, the case's port, the
// probe and the agent, with the calls every case makes, which end the case
// on failure; and the fixtures that bring the target into the state a case
// starts from (established, establishedActive, synSent, synReceived,
// synReceivedActive, finWait1, finWait2, timeWait, closeWait).
//
// The body of every case is a function of T, the suite's T, so that the
// exchanges also run from a plain Go test (see cases_linux_test.go) before
// and beside the runner.
package cases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"tcpregress.dev/conformance/agent"
	"tcpregress.dev/conformance/suite"
	"tcpregress.dev/tcpstack/probe"
	"tcpregress.dev/tcpstack/tcp"
)

// T is what a case sees: the suite's T.
type T = suite.T

// entry is one registered case with its body.
type entry struct {
	c   suite.Case
	run func(*T)
}

// registered lists the cases of this package in registration order.
var registered []entry

// register adds a case to the suite: Area comes from the ID's prefix.
func register(c suite.Case, run func(*T)) {
	if i := strings.IndexByte(c.ID, '/'); i > 0 && c.Area == "" {
		c.Area = c.ID[:i]
	}
	c.Run = run
	registered = append(registered, entry{c: c, run: run})
	suite.Register(c)
}

// registerCase registers a case with the run's default timeout.
func registerCase(id, title string, level suite.Level, requirements []string, run func(*T)) {
	register(suite.Case{ID: id, Title: title, Level: level, Requirements: requirements}, run)
}

// wait is how long a case waits for a segment the target should send at once.
const wait = 3 * time.Second

// session is one case's exchange with the target: the suite's T, the
// case's port (the same number on both sides), the probe that sends and
// receives the segments, and the agent that makes the target's application
// act. Its agent calls end the case on failure (ERROR: the bench failed, or
// UNSUPPORTED for an option the target lacks); its probe calls end it with
// FAIL when the target does not answer as required.
type session struct {
	*T
	port   uint16
	probe  *probe.Probe
	agent  *agent.Client
	ctx    context.Context
	target netip.Addr // the target's address on the test link
}

func newSession(t *T) *session {
	return &session{T: t, port: t.Port(), probe: t.Probe(), agent: t.Agent(), ctx: t.Context(), target: t.Target().Addr}
}

// targetAt is the target's endpoint on port.
func (s *session) targetAt(port uint16) netip.AddrPort { return netip.AddrPortFrom(s.target, port) }

// probeAt is the probe's endpoint on port.
func (s *session) probeAt(port uint16) netip.AddrPort {
	return netip.AddrPortFrom(s.probe.Addr(), port)
}

// The agent: the target's application.

// agentFailed ends the case for a failed agent call: UNSUPPORTED for what
// the target's agent cannot do, ERROR otherwise.
func (s *session) agentFailed(what string, err error) {
	if errors.Is(err, agent.ErrUnsupported) {
		s.Unsupported("target cannot %s: %v", what, err)
	}
	s.Brokenf("agent: %s: %v", what, err)
}

func (s *session) socket() agent.FD {
	fd, err := s.agent.Socket(s.ctx)
	if err != nil {
		s.agentFailed("socket", err)
	}
	return fd
}

func (s *session) bind(fd agent.FD, at netip.AddrPort) {
	if err := s.agent.Bind(s.ctx, fd, at); err != nil {
		s.agentFailed("bind", err)
	}
}

// listen makes the target listen on port.
func (s *session) listen(port uint16) agent.FD {
	fd := s.socket()
	s.bind(fd, s.targetAt(port))
	if err := s.agent.Listen(s.ctx, fd, 16); err != nil {
		s.agentFailed("listen", err)
	}
	return fd
}

func (s *session) accept(lfd agent.FD) agent.FD {
	fd, _, err := s.agent.Accept(s.ctx, lfd, wait)
	if err != nil {
		s.Fatalf("the target accepted no connection: %v", err)
	}
	return fd
}

// setopt sets a socket option; an option the target lacks makes the case
// UNSUPPORTED, since its premise cannot be set up.
func (s *session) setopt(fd agent.FD, name string, v int) {
	if err := s.agent.SetSockopt(s.ctx, fd, name, v); err != nil {
		if errors.Is(err, agent.ErrUnsupported) {
			s.Unsupported("the target's agent cannot set %s: %v", name, err)
		}
		s.Brokenf("agent: setsockopt %s=%d: %v", name, v, err)
	}
}

func (s *session) write(fd agent.FD, data string) {
	if n, err := s.agent.Write(s.ctx, fd, []byte(data)); err != nil || n != len(data) {
		s.Brokenf("agent: write %d bytes: wrote %d, %v", len(data), n, err)
	}
}

// writeAsync starts a write of data that may block (more than the
// connection takes at once) and returns at once.
func (s *session) writeAsync(fd agent.FD, data []byte) {
	go s.agent.Write(s.ctx, fd, data)
}

// read reads exactly n bytes from the target's socket; EOF or a timeout
// fails the case (the data was not delivered).
func (s *session) read(fd agent.FD, n int) []byte {
	var got []byte
	for len(got) < n {
		d, err := s.agent.Read(s.ctx, fd, n-len(got), wait)
		if err != nil {
			s.Fatalf("the target's application read %d of %d bytes (%q), then: %v", len(got), n, got, err)
		}
		if len(d) == 0 {
			s.Fatalf("the target's application read %d of %d bytes (%q), then EOF", len(got), n, got)
		}
		got = append(got, d...)
	}
	return got
}

// readExpect reads len(want) bytes and fails unless they are want.
func (s *session) readExpect(fd agent.FD, want string) {
	if got := s.read(fd, len(want)); !bytes.Equal(got, []byte(want)) {
		s.Fatalf("the target's application read %q, want %q", got, want)
	}
}

// readEOF fails unless the target's application reads end of file.
func (s *session) readEOF(fd agent.FD, after string) {
	if d, err := s.agent.Read(s.ctx, fd, 10, wait); err != nil || len(d) != 0 {
		s.Fatalf("the application's read after %s: %q, %v; want end of file", after, d, err)
	}
}

func (s *session) close(fd agent.FD) {
	if err := s.agent.Close(s.ctx, fd); err != nil {
		s.Brokenf("agent: close: %v", err)
	}
}

func (s *session) shutdown(fd agent.FD, how string) {
	if err := s.agent.Shutdown(s.ctx, fd, how); err != nil {
		s.Brokenf("agent: shutdown %s: %v", how, err)
	}
}

// connecting makes a target socket bound to the case's port, calls before
// on it (socket options), and starts a connect to the probe's port in the
// background; the result arrives on the channel.
func (s *session) connecting(probePort uint16, before func(fd agent.FD)) (agent.FD, <-chan error) {
	return s.connectingWithin(probePort, 5*time.Second, before)
}

// connectingWithin is connecting with the connect's timeout: the agent
// answers ETIMEDOUT after it if the target's connect is still pending (the
// attempt goes on until the control connection closes).
func (s *session) connectingWithin(probePort uint16, timeout time.Duration, before func(fd agent.FD)) (agent.FD, <-chan error) {
	fd := s.socket()
	if before != nil {
		before(fd)
	}
	s.bind(fd, s.targetAt(s.port))
	done := make(chan error, 1)
	go func() {
		done <- s.agent.Connect(s.ctx, fd, s.probeAt(probePort), timeout)
	}()
	return fd, done
}

// The fixtures: the target in the state a case starts from.

// newConn makes a probe Conn from the case's port (unless cfg names one)
// to the target's, which sends nothing until told.
func (s *session) newConn(cfg probe.ConnConfig) *probe.Conn {
	if cfg.LocalPort == 0 {
		cfg.LocalPort = s.port
	}
	c, err := s.probe.NewConn(s.targetAt(s.port), cfg)
	if err != nil {
		s.Brokenf("probe: %v", err)
	}
	return c
}

// established is the target's passive open: it listens on the case's port,
// the probe connects from the same port number (with cfg's options), the
// target's application accepts, and the listener is closed. Both sides are
// in ESTABLISHED, nothing sent yet: our next sequence number is 1, the
// target's 1.
func (s *session) established(cfg probe.ConnConfig) (*probe.Conn, agent.FD) {
	return s.establishedWith(cfg, nil)
}

// establishedWith is established with onListener called on the listening
// socket before the probe connects (socket options the accepted socket
// inherits, such as SO_RCVBUF).
func (s *session) establishedWith(cfg probe.ConnConfig, onListener func(lfd agent.FD)) (*probe.Conn, agent.FD) {
	lfd := s.listen(s.port)
	if onListener != nil {
		onListener(lfd)
	}
	if cfg.LocalPort == 0 {
		cfg.LocalPort = s.port
	}
	c, err := s.probe.Dial(s.targetAt(s.port), cfg)
	if err != nil {
		s.Fatalf("handshake with the target's listener: %v", err)
	}
	fd := s.accept(lfd)
	s.close(lfd)
	return c, fd
}

// establishedActive is the target's active open: the probe listens on the
// case's port, the target's application connects to it (after before, if
// not nil, on its socket) and the probe accepts with cfg's options.
func (s *session) establishedActive(cfg probe.ConnConfig, before func(fd agent.FD)) (*probe.Conn, agent.FD) {
	l := s.probe.Listen(s.port, cfg)
	fd, done := s.connecting(s.port, before)
	c, err := l.Accept()
	if err != nil {
		s.Fatalf("the target's active open: %v", err)
	}
	if err := <-done; err != nil {
		s.Fatalf("the target's connect: %v", err)
	}
	return c, fd
}

// synSent puts the target in SYN-SENT: its application connects (after
// before, if not nil) to the probe, which answers nothing; it returns the
// probe's Conn, which has seen the target's SYN ("S 0:0(0)"), the target's
// socket, the channel the connect's result arrives on, and the SYN.
func (s *session) synSent(cfg probe.ConnConfig, before func(fd agent.FD)) (*probe.Conn, agent.FD, <-chan error, probe.Frame) {
	c := s.newConn(cfg)
	fd, done := s.connecting(s.port, before)
	syn := s.expect(c, "S 0:0(0)")
	return c, fd, done, syn
}

// synReceived is a listener with a queued SYN: the target listens on the
// case's port, the probe sends a SYN and takes the SYN-ACK, and does not
// complete the handshake. It returns the probe's Conn, the listening
// socket and the SYN-ACK.
func (s *session) synReceived(cfg probe.ConnConfig) (*probe.Conn, agent.FD, probe.Frame) {
	lfd := s.listen(s.port)
	c := s.newConn(cfg)
	s.send(c, "S 0:0(0) <mss 1460>")
	synAck := s.expect(c, "S. 0:0(0) ack 1")
	return c, lfd, synAck
}

// synReceivedActive is SYN-RECEIVED entered from SYN-SENT, the
// simultaneous open (RFC9293 §3.5, Figure 7): synSent, then our SYN
// crosses the target's and the target answers with a SYN-ACK ("S. 0:0(0)
// ack 1"), left unanswered. It returns the probe's Conn, the target's
// socket and the channel its connect's result arrives on.
func (s *session) synReceivedActive(cfg probe.ConnConfig) (*probe.Conn, agent.FD, <-chan error) {
	c, fd, done, _ := s.synSent(cfg, nil)
	s.send(c, "S 0:0(0) <mss 1460>")
	s.expect(c, "S. 0:0(0) ack 1")
	return c, fd, done
}

// finWait1 is established, then the target shuts down its sending side:
// its FIN ("F. 1:1(0) ack 1", FIN-WAIT-1) is returned, not acknowledged.
func (s *session) finWait1(cfg probe.ConnConfig) (*probe.Conn, agent.FD, probe.Frame) {
	c, fd := s.established(cfg)
	s.shutdown(fd, "wr")
	fin := s.expect(c, "F. 1:1(0) ack 1")
	return c, fd, fin
}

// finWait2 is finWait1 with the target's FIN acknowledged: FIN-WAIT-2.
// Our next sequence number is 1, the target's 2.
func (s *session) finWait2(cfg probe.ConnConfig) (*probe.Conn, agent.FD) {
	c, fd, _ := s.finWait1(cfg)
	s.send(c, ". 1:1(0) ack 2")
	return c, fd
}

// timeWait is finWait2, then our FIN, which the target acknowledges:
// TIME-WAIT (the application's socket is still open, shut down for
// writing). Both next sequence numbers are 2.
func (s *session) timeWait(cfg probe.ConnConfig) (*probe.Conn, agent.FD) {
	c, fd := s.finWait2(cfg)
	s.send(c, "F. 1:1(0) ack 2")
	s.expect(c, ". 2:2(0) ack 2")
	return c, fd
}

// closeWait is established, then our FIN, which the target acknowledges:
// CLOSE-WAIT. Our next sequence number is 2, the target's 1.
func (s *session) closeWait(cfg probe.ConnConfig) (*probe.Conn, agent.FD) {
	c, fd := s.established(cfg)
	s.send(c, "F. 1:1(0) ack 1")
	s.expect(c, ". 1:1(0) ack 2")
	return c, fd
}

// The probe: segments as lines (probe.ParseLine), sent and expected.

// send sends the segment a line says, its sequence number relative to our
// ISS, its acknowledgment and SACK blocks to the target's IRS ("win"
// defaults to the Conn's window, "ack" to RCV.NXT; without "<...>" the
// Timestamps option is added once negotiated). The line is a format for
// args.
func (s *session) send(c *probe.Conn, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	if err := c.SendLine(line); err != nil {
		s.Brokenf("probe: send %q: %v", line, err)
	}
}

// sendData sends a line with payload (its LEN octets) instead of the
// pattern a line carries.
func (s *session) sendData(c *probe.Conn, line, payload string) {
	if err := c.SendLineData(line, []byte(payload)); err != nil {
		s.Brokenf("probe: send %q: %v", line, err)
	}
}

// expect waits for the next segment from the target on c that the line
// describes (sequence numbers relative to its IRS, acknowledgments and
// SACK blocks to our ISS, "*" for any value, fields left out not checked)
// and fails the case if none comes. The line is a format for args.
func (s *session) expect(c *probe.Conn, format string, args ...any) probe.Frame {
	line := fmt.Sprintf(format, args...)
	f, err := c.ExpectLine(line)
	if err != nil {
		if errors.Is(err, probe.ErrLine) {
			s.Brokenf("probe: %v", err)
		}
		s.Fatalf("expected %q: %v", line, err)
	}
	s.Logf("%s: %v", line, &f)
	return f
}

// expectData is expect, and fails unless the segment carries payload.
func (s *session) expectData(c *probe.Conn, line, payload string) probe.Frame {
	f := s.expect(c, "%s", line)
	if string(f.TCP.Payload) != payload {
		s.Fatalf("the target sent %q in %v, want %q", f.TCP.Payload, &f, payload)
	}
	return f
}

// matchLine is the expectation a line describes on c, for the waits that
// take a probe.Match.
func (s *session) matchLine(c *probe.Conn, format string, args ...any) probe.Match {
	m, err := c.MatchLine(fmt.Sprintf(format, args...))
	if err != nil {
		s.Brokenf("probe: %v", err)
	}
	return m
}

// expectNext waits for the target's next segment on c, whatever it is, and
// fails the case with why unless the line describes it: for the checks
// that are about the first answer to something.
func (s *session) expectNext(c *probe.Conn, line, why string) probe.Frame {
	m := s.matchLine(c, "%s", line)
	f := s.expectMatch(c, probe.TCP, "the target's next segment")
	if !m.Match(&f) {
		s.Fatalf("%s: the target sent %v, want %q", why, &f, line)
	}
	return f
}

// expectMatch waits for the next segment of c matching m, for what a line
// cannot say (any of several flags, a payload, a time).
func (s *session) expectMatch(c *probe.Conn, m probe.Match, what string) probe.Frame {
	f, err := c.Expect(m)
	if err != nil {
		s.Fatalf("%s: %v", what, err)
	}
	s.Logf("%s: %v", what, &f)
	return f
}

// none shows that no segment matching m comes within d.
func (s *session) none(c *probe.Conn, d time.Duration, m probe.Match, what string) {
	if err := c.ExpectNone(d, m); err != nil {
		s.Fatalf("%s: %v", what, err)
	}
}

// ack sends a bare ACK of all the target sent so far (RCV.NXT), for the
// exchanges whose numbers depend on how the target cut its data.
func (s *session) ack(c *probe.Conn) {
	if err := c.Ack(); err != nil {
		s.Brokenf("probe: ack: %v", err)
	}
}

// sendSegment sends a segment a line cannot say (bad checksum, IP options,
// reserved bits, padding) on c, which fills the fields left zero.
func (s *session) sendSegment(c *probe.Conn, seg probe.Segment) {
	if err := c.Send(seg); err != nil {
		s.Brokenf("probe: send: %v", err)
	}
}

// sendRaw sends a segment outside any Conn, as written.
func (s *session) sendRaw(seg probe.Segment) {
	if err := s.probe.Send(seg); err != nil {
		s.Brokenf("probe: send: %v", err)
	}
}

// sndNxt is our SND.NXT on c, relative to our ISS: the sequence number of
// the next segment we send.
func sndNxt(c *probe.Conn) int64 {
	st := c.State()
	return rel(st.SndNxt, st.ISS)
}

// rcvNxt is RCV.NXT on c, relative to the target's IRS: the sequence
// number of the next octet the target sends, which our ACKs carry.
func rcvNxt(c *probe.Conn) int64 {
	st := c.State()
	return rel(st.RcvNxt, st.IRS)
}

// withTS is the options of a line with the Timestamps option the Conn adds
// by itself to lines without "<...>" once negotiated ("nop,nop,TS val *
// ecr *," in front of opts), and opts alone otherwise: a line that lists
// options gets no Timestamps option unless it says so.
func withTS(c *probe.Conn, opts string) string {
	if c.State().Timestamps {
		return "nop,nop,TS val * ecr *," + opts
	}
	return opts
}

// synOpts is the option bytes a line's "<opts>" says, for
// ConnConfig.SYNOptions: synOpts("mss 1000,nop,wscale 7").
func synOpts(opts string) []byte {
	l, err := probe.ParseLine("S 0:0(0) <" + opts + ">")
	if err != nil {
		panic(err) // a constant of the package: a bug in a case
	}
	seg, err := l.Segment(0, 0)
	if err != nil {
		panic(err)
	}
	return seg.Options
}

// ackOf matches an ACK (any other flags) of exactly v.
func ackOf(v tcp.Value) probe.Match {
	return probe.And(probe.HasFlags(tcp.FlagACK), probe.Ack(v))
}

// data matches a segment with payload.
var data = probe.And(probe.HasFlags(tcp.FlagACK), probe.HasPayload)

// rst matches a reset, whatever its other flags.
var rst = probe.HasFlags(tcp.FlagRST)

// pattern returns n bytes of recognisable data.
func pattern(n int, tag byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = tag + byte(i%26)
	}
	return out
}

// peerMSS returns the MSS the target announced, or 536 (RFC9293 MUST-15)
// when it sent none.
func peerMSS(c *probe.Conn) int {
	if o := c.State().PeerOptions; o.HasMSS {
		return int(o.MSS)
	}
	return 536
}

// sendSize is the largest payload the probe may send in one segment: the
// target's MSS less the Timestamps option when negotiated.
func sendSize(c *probe.Conn) int {
	n := peerMSS(c)
	if c.State().Timestamps {
		n -= 12
	}
	return n
}

// synOf returns the target's first SYN (or SYN-ACK) on c's 4-tuple from the
// record.
func (s *session) synOf(c *probe.Conn) probe.Frame {
	for _, f := range s.probe.Frames() {
		if f.Dir == probe.In && f.IsTCP() && f.TCP.Flags.Has(tcp.FlagSYN) && f.Src() == c.RemoteAddr() && f.Dst() == c.LocalAddr() {
			return f
		}
	}
	s.Brokenf("no SYN from the target in the record")
	return probe.Frame{}
}

// targetFrames returns the segments the target sent on c's 4-tuple, from
// the record.
func (s *session) targetFrames(c *probe.Conn) []probe.Frame {
	var out []probe.Frame
	for _, f := range s.probe.Frames() {
		if f.Dir == probe.In && f.IsTCP() && f.Src() == c.RemoteAddr() && f.Dst() == c.LocalAddr() {
			out = append(out, f)
		}
	}
	return out
}

// rel is v relative to base, for messages and lines.
func rel(v, base tcp.Value) int64 { return int64(int32(uint32(v) - uint32(base))) }

func fmtDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(parts, ", ")
}
