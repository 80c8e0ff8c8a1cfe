// Package cases holds the conformance cases, one file per area, each case
// registered with the suite from init(). A case reads like the exchange:
// the calls the target's agent makes, the segments the probe sends and the
// segments it expects, with expectations taken from what the target itself
// sent (its MSS, window scale, window and options), never from the constants
// of one operating system.
//
// The body of every case is a function of T, the part of suite.T a case
// uses, so that the exchanges also run from a plain Go test (see
// cases_linux_test.go) before and beside the runner.
package cases

import (
	"bytes"
	"context"
	"errors"
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

// Short names for the flags.
const (
	fFIN = tcp.FlagFIN
	fSYN = tcp.FlagSYN
	fRST = tcp.FlagRST
	fPSH = tcp.FlagPSH
	fACK = tcp.FlagACK
	fURG = tcp.FlagURG
)

// wait is how long a case waits for a segment the target should send at once.
const wait = 3 * time.Second

// bench wraps T with the calls every case makes: agent calls that end the
// case on failure (ERROR: the bench failed, or UNSUPPORTED for an option the
// target lacks) and probe calls that end it with FAIL when the target does
// not answer as required.
type bench struct {
	*T
	port uint16 // the case's port, on both sides
	p    *probe.Probe
	a    *agent.Client
	ctx  context.Context
	addr netip.Addr
}

func newBench(t *T) *bench {
	return &bench{T: t, port: t.Port(), p: t.Probe(), a: t.Agent(), ctx: t.Context(), addr: t.Target().Addr}
}

// at is the target's endpoint on port.
func (b *bench) at(port uint16) netip.AddrPort { return netip.AddrPortFrom(b.addr, port) }

// agentErr ends the case for a failed agent call.
func (b *bench) agentErr(what string, err error) {
	if errors.Is(err, agent.ErrUnsupported) {
		b.Unsupported("target cannot %s: %v", what, err)
	}
	b.Brokenf("agent: %s: %v", what, err)
}

func (b *bench) socket() agent.FD {
	fd, err := b.a.Socket(b.ctx)
	if err != nil {
		b.agentErr("socket", err)
	}
	return fd
}

// listen makes the target listen on port.
func (b *bench) listen(port uint16) agent.FD {
	fd := b.socket()
	if err := b.a.Bind(b.ctx, fd, b.at(port)); err != nil {
		b.agentErr("bind", err)
	}
	if err := b.a.Listen(b.ctx, fd, 16); err != nil {
		b.agentErr("listen", err)
	}
	return fd
}

func (b *bench) accept(lfd agent.FD) agent.FD {
	fd, _, err := b.a.Accept(b.ctx, lfd, wait)
	if err != nil {
		b.Fatalf("the target accepted no connection: %v", err)
	}
	return fd
}

// setopt sets a socket option; an option the target lacks makes the case
// UNSUPPORTED, since its premise cannot be set up.
func (b *bench) setopt(fd agent.FD, name string, v int) {
	if err := b.a.SetSockopt(b.ctx, fd, name, v); err != nil {
		if errors.Is(err, agent.ErrUnsupported) {
			b.Unsupported("the target's agent cannot set %s: %v", name, err)
		}
		b.Brokenf("agent: setsockopt %s=%d: %v", name, v, err)
	}
}

func (b *bench) write(fd agent.FD, data []byte) {
	if n, err := b.a.Write(b.ctx, fd, data); err != nil || n != len(data) {
		b.Brokenf("agent: write %d bytes: wrote %d, %v", len(data), n, err)
	}
}

// read reads exactly n bytes from the target's socket; EOF or a timeout
// fails the case (the data was not delivered).
func (b *bench) read(fd agent.FD, n int) []byte {
	var got []byte
	for len(got) < n {
		d, err := b.a.Read(b.ctx, fd, n-len(got), wait)
		if err != nil {
			b.Fatalf("the target's application read %d of %d bytes (%q), then: %v", len(got), n, got, err)
		}
		if len(d) == 0 {
			b.Fatalf("the target's application read %d of %d bytes (%q), then EOF", len(got), n, got)
		}
		got = append(got, d...)
	}
	return got
}

// readExpect reads len(want) bytes and fails unless they are want.
func (b *bench) readExpect(fd agent.FD, want []byte) {
	if got := b.read(fd, len(want)); !bytes.Equal(got, want) {
		b.Fatalf("the target's application read %q, want %q", got, want)
	}
}

// readErr is one read that may fail, for cases that check the errno.
func (b *bench) readErr(fd agent.FD, n int, timeout time.Duration) ([]byte, error) {
	return b.a.Read(b.ctx, fd, n, timeout)
}

func (b *bench) close(fd agent.FD) {
	if err := b.a.Close(b.ctx, fd); err != nil {
		b.Brokenf("agent: close: %v", err)
	}
}

func (b *bench) shutdown(fd agent.FD, how string) {
	if err := b.a.Shutdown(b.ctx, fd, how); err != nil {
		b.Brokenf("agent: shutdown %s: %v", how, err)
	}
}

// open makes the target listen on the case's port and the probe open a
// connection to it from the same port number; it returns the probe's Conn
// and the target's accepted socket.
func (b *bench) open(cfg probe.ConnConfig) (*probe.Conn, agent.FD) {
	lfd := b.listen(b.port)
	if cfg.LocalPort == 0 {
		cfg.LocalPort = b.port
	}
	c, err := b.p.Dial(b.at(b.port), cfg)
	if err != nil {
		b.Fatalf("handshake with the target's listener: %v", err)
	}
	fd := b.accept(lfd)
	b.close(lfd)
	return c, fd
}

// connecting makes a target socket bound to the case's port, calls before
// on it (socket options), and starts a connect to the probe's port in the
// background; the result arrives on the channel.
func (b *bench) connecting(probePort uint16, before func(fd agent.FD)) (agent.FD, <-chan error) {
	return b.connectingWithin(probePort, 5*time.Second, before)
}

// connectingWithin is connecting with the connect's timeout: the agent
// answers ETIMEDOUT after it if the target's connect is still pending (the
// attempt goes on until the control connection closes).
func (b *bench) connectingWithin(probePort uint16, timeout time.Duration, before func(fd agent.FD)) (agent.FD, <-chan error) {
	fd := b.socket()
	if before != nil {
		before(fd)
	}
	if err := b.a.Bind(b.ctx, fd, b.at(b.port)); err != nil {
		b.agentErr("bind", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- b.a.Connect(b.ctx, fd, netip.AddrPortFrom(b.p.Addr(), probePort), timeout)
	}()
	return fd, done
}

// connectingTo is connecting to a given probe port from a given target port.
func (b *bench) connectingFrom(targetPort, probePort uint16, before func(fd agent.FD)) (agent.FD, <-chan error) {
	fd := b.socket()
	if before != nil {
		before(fd)
	}
	if err := b.a.Bind(b.ctx, fd, b.at(targetPort)); err != nil {
		b.agentErr("bind", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- b.a.Connect(b.ctx, fd, netip.AddrPortFrom(b.p.Addr(), probePort), 5*time.Second)
	}()
	return fd, done
}

// dialed makes the target connect to the probe, which accepts with cfg.
func (b *bench) dialed(cfg probe.ConnConfig, before func(fd agent.FD)) (*probe.Conn, agent.FD) {
	l := b.p.Listen(b.port, cfg)
	fd, done := b.connecting(b.port, before)
	c, err := l.Accept()
	if err != nil {
		b.Fatalf("the target's active open: %v", err)
	}
	if err := <-done; err != nil {
		b.Fatalf("the target's connect: %v", err)
	}
	return c, fd
}

// expect waits for the next segment of c matching m.
func (b *bench) expect(c *probe.Conn, m probe.Match, what string) probe.Frame {
	f, err := c.Expect(m)
	if err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	b.Logf("%s: %v", what, &f)
	return f
}

func (b *bench) expectLine(c *probe.Conn, line string) probe.Frame {
	f, err := c.ExpectLine(line)
	if err != nil {
		b.Fatalf("expected %q: %v", line, err)
	}
	b.Logf("got %v", &f)
	return f
}

// none shows that no segment matching m comes within d.
func (b *bench) none(c *probe.Conn, d time.Duration, m probe.Match, what string) {
	if err := c.ExpectNone(d, m); err != nil {
		b.Fatalf("%s: %v", what, err)
	}
}

func (b *bench) send(c *probe.Conn, seg probe.Segment) {
	if err := c.Send(seg); err != nil {
		b.Brokenf("probe: send: %v", err)
	}
}

func (b *bench) sendLine(c *probe.Conn, line string) {
	if err := c.SendLine(line); err != nil {
		b.Brokenf("probe: send %q: %v", line, err)
	}
}

func (b *bench) sendData(c *probe.Conn, data []byte) {
	if err := c.SendData(data); err != nil {
		b.Brokenf("probe: send data: %v", err)
	}
}

func (b *bench) ack(c *probe.Conn) {
	if err := c.Ack(); err != nil {
		b.Brokenf("probe: ack: %v", err)
	}
}

func (b *bench) raw(seg probe.Segment) {
	if err := b.p.Send(seg); err != nil {
		b.Brokenf("probe: send: %v", err)
	}
}

// ackOf matches an ACK (any other flags) of exactly v.
func ackOf(v tcp.Value) probe.Match { return probe.And(probe.HasFlags(fACK), probe.Ack(v)) }

// bareAckOf matches a pure ACK without data of v.
func bareAckOf(v tcp.Value) probe.Match {
	return probe.And(probe.Flags(fACK), probe.Ack(v), probe.Len(0))
}

// data matches a segment with payload.
var data = probe.And(probe.HasFlags(fACK), probe.HasPayload)

// rst matches a reset, whatever its other flags.
var rst = probe.HasFlags(fRST)

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
func (b *bench) synOf(c *probe.Conn) probe.Frame {
	for _, f := range b.p.Frames() {
		if f.Dir == probe.In && f.IsTCP() && f.TCP.Flags.Has(fSYN) && f.Src() == c.RemoteAddr() && f.Dst() == c.LocalAddr() {
			return f
		}
	}
	b.Brokenf("no SYN from the target in the record")
	return probe.Frame{}
}

// rel is v relative to base, for messages.
func rel(v, base tcp.Value) int64 { return int64(int32(uint32(v) - uint32(base))) }

func fmtDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(time.Millisecond).String()
	}
	return strings.Join(parts, ", ")
}
