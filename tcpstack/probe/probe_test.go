package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/tcp"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The pipe bench: the probe on one stack, our own stack as the target on
// the other end of an in-memory link. It needs no root; the kernel tests
// (kernel_linux_test.go) do the same against Linux.

var (
	probePrefix  = netip.MustParsePrefix("198.18.0.3/24")
	targetPrefix = netip.MustParsePrefix("198.18.0.2/24")
	targetISS    = tcp.Value(5000)
)

func target(port uint16) netip.AddrPort { return netip.AddrPortFrom(targetPrefix.Addr(), port) }

func pipeBench(t *testing.T, cfg Config) (*Probe, *tcpstack.Stack) {
	t.Helper()
	la, lb := pipe.New(net.HardwareAddr{2, 0, 0, 0, 0, 3}, net.HardwareAddr{2, 0, 0, 0, 0, 2}, pipe.Faults{})
	ps, err := tcpstack.New(tcpstack.Config{Link: la, Addr: probePrefix})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tcpstack.New(tcpstack.Config{Link: lb, Addr: targetPrefix, TCP: tcp.Config{ISN: tcp.FixedISN(targetISS)}})
	if err != nil {
		ps.Close()
		t.Fatal(err)
	}
	p := New(ps, cfg)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("probe record:\n%s", p.Dump())
		}
		p.Close()
		ts.Close()
		ps.Close()
	})
	return p, ts
}

// echo serves port on s: every connection gets back what it sent.
func echo(t *testing.T, s *tcpstack.Stack, port string) {
	t.Helper()
	ln, err := s.Listen("tcp", ":"+port)
	if err != nil {
		t.Fatal(err)
	}
	acceptEach(t, ln, func(c net.Conn) { go func() { io.Copy(c, c); c.Close() }() })
}

// dialEcho connects a probe, with cfg, to an echo server on port 7 of a
// pipeBench target.
func dialEcho(t *testing.T, cfg ConnConfig) (*Probe, *Conn) {
	t.Helper()
	p, ts := pipeBench(t, Config{})
	echo(t, ts, "7")
	c, err := p.Dial(target(7), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

// acceptEach hands every connection ln accepts to serve, in its accepting
// goroutine, until the test's cleanup closes ln and waits for that
// goroutine to end.
func acceptEach(t *testing.T, ln net.Listener, serve func(net.Conn)) {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
		}
	}()
}

// TestPipeDialReset: a SYN to a closed port draws an RST, and Dial says so
// with an error wrapping ErrReset, then forgets the connection (the port
// can be dialled again).
func TestPipeDialReset(t *testing.T) {
	p, ts := pipeBench(t, Config{})
	_, err := p.Dial(target(9), ConnConfig{LocalPort: 41000})
	if !errors.Is(err, ErrReset) || !strings.Contains(err.Error(), "probe: dial "+target(9).String()+": ") {
		t.Fatalf("dial to a closed port: %v", err)
	}
	echo(t, ts, "9")
	c, err := p.Dial(target(9), ConnConfig{LocalPort: 41000})
	if err != nil {
		t.Fatalf("dial again from the same port: %v", err)
	}
	c.Close()
}

func TestPipeDial(t *testing.T) {
	p, c := dialEcho(t, ConnConfig{})
	st := c.State()
	if st.IRS != targetISS || st.RcvNxt != targetISS+1 || st.SndNxt != DefaultISS+1 || st.SndUna != DefaultISS+1 {
		t.Errorf("numbers after the handshake: %+v", st)
	}
	if !st.SACK || !st.Timestamps || !st.WindowScale || st.RcvWScale != 7 || !st.PeerOptions.HasMSS {
		t.Errorf("options after the handshake: %+v", st)
	}
	if err := c.SendData([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := c.ExpectData(5)
	if err != nil || string(got) != "hello" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	if err := c.Ack(); err != nil {
		t.Fatal(err)
	}
	st = c.State()
	if st.SndUna != DefaultISS+6 || st.RcvNxt != targetISS+6 || st.Received != 5 {
		t.Errorf("after the echo: %+v", st)
	}
	// Our segments carried timestamps once negotiated, echoing TS.Recent.
	frames := p.Frames()
	last := frames[len(frames)-1]
	if last.Dir != Out || !last.TCP.Options.HasTimestamps || last.TCP.Options.TSEcr != st.TSRecent {
		t.Errorf("last frame: %v", &last)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Expect(Any); !errors.Is(err, ErrClosed) {
		t.Errorf("Expect after Close: %v", err)
	}
	frames = p.Frames()
	if last := frames[len(frames)-1]; last.TCP.Flags != tcp.FlagRST {
		t.Errorf("Close sent %v, want a RST", &last)
	}
}

func TestPipeClosedPort(t *testing.T) {
	p, _ := pipeBench(t, Config{})
	syn := Segment{SrcPort: 40000, DstPort: 9, Seq: 1000, Flags: tcp.FlagSYN, Window: 65535, IP: IPFields{Dst: target(9).Addr()}}
	if err := p.Send(syn); err != nil {
		t.Fatal(err)
	}
	// The reply is not a SYN-ACK: the error lists what came instead, and
	// leaves it for the next Expect.
	_, err := p.Expect(300*time.Millisecond, Flags(tcp.FlagSYN|tcp.FlagACK))
	var ee *ExpectError
	if !errors.As(err, &ee) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Expect SYN-ACK: %v", err)
	}
	want := "IP 198.18.0.2.9 > 198.18.0.3.40000: Flags [R.], seq 0, ack 1001, win 0, length 0"
	if len(ee.Frames) != 1 || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "no frame matching [flags [S.]]") {
		t.Fatalf("error does not show the RST:\n%v", err)
	}
	f, err := p.Expect(time.Second, And(From(target(9)), Flags(tcp.FlagRST|tcp.FlagACK), Ack(1001)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Dir != In || f.String() != want {
		t.Errorf("got %v", &f)
	}
	// Taken: it is not offered again.
	if err := p.ExpectNone(50*time.Millisecond, HasFlags(tcp.FlagRST)); err != nil {
		t.Error(err)
	}
}

func TestPipeExpectNone(t *testing.T) {
	_, c := dialEcho(t, ConnConfig{})
	if err := c.ExpectNone(50*time.Millisecond, HasPayload); err != nil {
		t.Errorf("no data sent yet: %v", err)
	}
	if err := c.SendData([]byte("x")); err != nil {
		t.Fatal(err)
	}
	err := c.ExpectNone(2*time.Second, HasPayload)
	var ue *UnexpectedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "length 1") {
		t.Errorf("echo went unseen: %v", err)
	}
}

// TestPipeExpectations checks the record of waits: what each waited for,
// whether it was an ExpectNone, and which frame (if any) it took.
func TestPipeExpectations(t *testing.T) {
	p, c := dialEcho(t, ConnConfig{Timeout: 200 * time.Millisecond})
	if err := c.ExpectNone(20*time.Millisecond, HasPayload); err != nil {
		t.Fatal(err)
	}
	if err := c.SendLine("P. 1:3(2) ack 1"); err != nil {
		t.Fatal(err)
	}
	echoed, err := c.ExpectLine("P. 1:3(2)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExpectLine("F. 3:3(0)"); err == nil {
		t.Fatal("a FIN the target never sent was seen")
	}
	frames, exps := p.Frames(), p.Expectations()
	// Dial's wait for the SYN-ACK, then the three above.
	if len(exps) != 4 {
		t.Fatalf("%d waits recorded, want 4: %+v", len(exps), exps)
	}
	none, data, fin := exps[1], exps[2], exps[3]
	if !none.None || none.Frame != -1 || !none.Met() || none.Match != "length > 0" {
		t.Errorf("ExpectNone recorded as %+v", none)
	}
	if data.None || data.Frame < 0 || !data.Met() || data.Match != `"P. 1:3(2)"` {
		t.Errorf("ExpectLine recorded as %+v", data)
	} else if f := frames[data.Frame]; f.Dir != In || f.TCP.Seq != echoed.TCP.Seq || len(f.TCP.Payload) != 2 {
		t.Errorf("the wait took frame %d, %v; want the echo %v", data.Frame, &f, &echoed)
	}
	if fin.Met() || fin.Frame != -1 || fin.Match != `"F. 3:3(0)"` || fin.End.Sub(fin.Start) < 200*time.Millisecond {
		t.Errorf("the unmet wait recorded as %+v", fin)
	}
	for i := 1; i < len(exps); i++ {
		if exps[i].Start.Before(exps[i-1].End) {
			t.Errorf("wait %d began before wait %d ended", i, i-1)
		}
	}
}

func TestPipeLines(t *testing.T) {
	p, ts := pipeBench(t, Config{})
	echo(t, ts, "7")
	c, err := p.NewConn(target(7), ConnConfig{ISS: 0xffff_fff0, Timeout: 500 * time.Millisecond}) // wraps
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct{ send, expect string }{
		{send: "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"},
		{expect: "S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 1,nop,wscale *>"},
		{send: ". 1:1(0) ack 1"},
		{send: "P. 1:21(20) ack 1"},
		{expect: "P. 1:21(20) ack 21"},
		{send: ". 21:21(0) ack 21"},
	}
	for _, s := range steps {
		if s.send != "" {
			if err := c.SendLine(s.send); err != nil {
				t.Fatal(err)
			}
		} else if _, err := c.ExpectLine(s.expect); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := string(c.Received()), string(linePayload(1, 20)); got != want {
		t.Errorf("echo %q, want %q", got, want)
	}
	if st := c.State(); st.SndNxt != tcp.Value(0xffff_fff0).Add(21) {
		t.Errorf("SND.NXT %d", st.SndNxt)
	}
	// A wrong expectation says which field differed.
	if err := c.SendLine("P. 21:26(5) ack 21"); err != nil {
		t.Fatal(err)
	}
	_, err = c.ExpectLine("P. 21:26(5) ack 27")
	if err == nil || !strings.Contains(err.Error(), "last segment on the connection: ack 10 (relative 26), want relative 27") {
		t.Errorf("error: %v", err)
	}
}

func TestPipeAccept(t *testing.T) {
	p, ts := pipeBench(t, Config{})
	c, tc := acceptDialed(t, p.Listen(8000, ConnConfig{}), func() (net.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return ts.DialContext(ctx, "tcp", netip.AddrPortFrom(p.Addr(), 8000).String())
	})
	st := c.State()
	if st.IRS != targetISS || !st.SACK || !st.Timestamps || !st.WindowScale || st.ISS != DefaultISS {
		t.Errorf("state after accept: %+v", st)
	}
	exchangeData(t, c, tc, "ping", "pong")
}

// acceptDialed accepts on l while dial, in a goroutine, connects the
// target to it, and returns both ends; the test's cleanup closes the
// target's.
func acceptDialed(t *testing.T, l *Listener, dial func() (net.Conn, error)) (*Conn, net.Conn) {
	t.Helper()
	type dialed struct {
		c   net.Conn
		err error
	}
	done := make(chan dialed, 1)
	go func() {
		c, err := dial()
		done <- dialed{c, err}
	}()
	c, err := l.Accept()
	d := <-done
	if d.c != nil {
		t.Cleanup(func() { d.c.Close() })
	}
	if err != nil {
		t.Fatal(err)
	}
	if d.err != nil {
		t.Fatal(d.err)
	}
	return c, d.c
}

// exchangeData checks data both ways on an established connection: the
// target writes fromTarget on tc, which the probe's c must receive; c sends
// toTarget, which the target must read.
func exchangeData(t *testing.T, c *Conn, tc net.Conn, fromTarget, toTarget string) {
	t.Helper()
	if _, err := tc.Write([]byte(fromTarget)); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ExpectData(len(fromTarget)); err != nil || string(got) != fromTarget {
		t.Fatalf("data from the target: %q, %v", got, err)
	}
	if err := c.SendData([]byte(toTarget)); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, tc, len(toTarget)); string(got) != toTarget {
		t.Errorf("the target read %q, want %q", got, toTarget)
	}
}

// readFull reads n bytes from the target's socket c, with a deadline.
func readFull(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatalf("the target's read: %v (got %q)", err, b)
	}
	return b
}

// TestPipeSharedPorts: with Config.Ports the stack keeps its own
// connections beside the probe's.
func TestPipeSharedPorts(t *testing.T) {
	p, ts := pipeBench(t, Config{Ports: []uint16{1}})
	echo(t, ts, "7")
	echo(t, p.Stack(), "9")
	// The stack's own listener works...
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kc, err := ts.DialContext(ctx, "tcp", netip.AddrPortFrom(p.Addr(), 9).String())
	if err != nil {
		t.Fatal(err)
	}
	kc.Write([]byte("a"))
	kc.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.ReadFull(kc, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	kc.Close()
	// ...beside the probe's Dial, whose port it claims.
	c, err := p.Dial(target(7), ConnConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, f := range p.Frames() {
		if f.TCP.SrcPort == 9 || f.TCP.DstPort == 9 {
			t.Errorf("the probe took the stack's segment %v", &f)
		}
	}
}

// echoExchange returns a probe that has sent "hello" to the echo port of a
// stack, read it back and closed the connection: a recorded exchange.
func echoExchange(t *testing.T) *Probe {
	t.Helper()
	p, c := dialEcho(t, ConnConfig{})
	if err := c.SendData([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExpectData(5); err != nil {
		t.Fatal(err)
	}
	c.Close()
	return p
}

func TestPipeWritePcap(t *testing.T) {
	p := echoExchange(t)
	path := filepath.Join(t.TempDir(), "exchange.pcap")
	if err := p.WritePcap(path); err != nil {
		t.Fatal(err)
	}
	frames := p.Frames()
	lines := runTcpdump(t, path)
	if len(lines) != len(frames) {
		t.Fatalf("tcpdump printed %d lines for %d frames:\n%s", len(lines), len(frames), strings.Join(lines, "\n"))
	}
	for i := range frames {
		if lines[i] != frames[i].String() {
			t.Errorf("frame %d:\n tcpdump %s\n    ours %s", i, lines[i], frames[i].String())
		}
	}
	if !strings.Contains(lines[0], "198.18.0.3.40000 > 198.18.0.2.7: Flags [S]") {
		t.Errorf("first line is not our SYN: %s", lines[0])
	}
}

func TestProbeClose(t *testing.T) {
	p, _ := pipeBench(t, Config{})
	errc := make(chan error, 1)
	go func() {
		_, err := p.Expect(10*time.Second, Any)
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let it block (either order is right)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("blocked Expect: %v", err)
	}
	if err := p.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Send(Segment{IP: IPFields{Dst: target(1).Addr()}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
}

// A target that floods the tester fills the record up to MaxRecord and no
// further; the waits the record cannot satisfy end at once with
// ErrFlooded, those it can still succeed.
func TestPipeFlood(t *testing.T) {
	p, ts := pipeBench(t, Config{MaxRecord: 64 << 10, Ports: []uint16{4000}})
	p.Claim(4000)
	// The target: a second probe on its stack, sending 1 KiB segments
	// at the tester's port as fast as it can.
	flood := New(ts, Config{})
	defer flood.Close()
	fc, err := flood.NewConn(netip.AddrPortFrom(probePrefix.Addr(), 4000), ConnConfig{LocalPort: 9})
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 1024)
	if err := fc.SendLineData("S 0:0(0) win 65535", nil); err != nil {
		t.Fatal(err)
	}
	first, err := p.Expect(5*time.Second, HasFlags(tcp.FlagSYN))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := fc.SendLineData(fmt.Sprintf("P %d:%d(1024) win 65535", 1+i*1024, 1+(i+1)*1024), payload); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	_, err = p.Expect(10*time.Second, HasFlags(tcp.FlagFIN))
	if !errors.Is(err, ErrFlooded) || !strings.Contains(err.Error(), "more than 65536 bytes") {
		t.Errorf("a wait on a flooded probe: %v, want ErrFlooded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the wait took %v: it should end once the record is full", d)
	}
	total := 0
	for _, f := range p.Frames() {
		if f.Dir == In {
			total += len(f.Raw)
		}
	}
	if total > 64<<10 || total < 32<<10 {
		t.Errorf("recorded %d inbound bytes, want up to MaxRecord (65536)", total)
	}
	// What the record holds can still be taken.
	if f, err := p.Expect(time.Second, HasFlags(tcp.FlagPSH)); err != nil || f.TCP.Seq <= first.TCP.Seq {
		t.Errorf("a wait the record satisfies: %v, %v", f, err)
	}
}
