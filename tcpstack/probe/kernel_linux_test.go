//go:build linux && cgo

package probe

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tcpstack"
	pcaplink "tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

// The probe against the Linux kernel: a stack and its probe on side A of a
// veth pair (whose kernel has no IPv4 address, so it stays out of the way),
// kernel sockets on side B, every namespace made and removed by the test.
// Expectations come from what Linux sends, and each absence is shown by a
// later reply, not by a timeout.

type kernelBench struct {
	pair *netns.Pair
	p    *Probe
	peer netip.Addr // the kernel's address
}

func newKernelBench(t *testing.T) *kernelBench {
	t.Helper()
	pair := netns.NewTestPair(t, netns.Config{NoAddrA: true})
	addr := pair.UnusedAddr(0)
	link, err := pcaplink.Open(pair.A.Veth, addr.Addr(), pcaplink.Options{Namespace: pair.A.NS.Name})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tcpstack.New(tcpstack.Config{Link: link, Addr: addr})
	if err != nil {
		link.Close()
		t.Fatal(err)
	}
	p := New(s, Config{})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("probe record:\n%s", p.Dump())
		}
		p.Close()
		s.Close()
	})
	return &kernelBench{pair: pair, p: p, peer: pair.B.Addr.Addr()}
}

func (kb *kernelBench) peerPort(port uint16) netip.AddrPort { return netip.AddrPortFrom(kb.peer, port) }

// listen opens a kernel listener on side B; its connections arrive on the
// returned channel.
func (kb *kernelBench) listen(t *testing.T, port uint16) <-chan *net.TCPConn {
	t.Helper()
	_, conns := kb.listenLn(t, port)
	return conns
}

// listenLn is listen that also returns the listener. The channel holds 4
// connections; those accepted and not taken when the test ends are closed,
// even when more than 4 are left.
func (kb *kernelBench) listenLn(t *testing.T, port uint16) (*net.TCPListener, <-chan *net.TCPConn) {
	t.Helper()
	var ln net.Listener
	err := kb.pair.B.NS.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", kb.peerPort(port).String())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *net.TCPConn, 4)
	stop := make(chan struct{})
	// Cleanups run last first: stop makes the accepting goroutine close
	// what it cannot hand over, acceptEach's cleanup ends it, then this
	// closes what it accepted and nobody took.
	t.Cleanup(func() {
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	acceptEach(t, ln, func(c net.Conn) {
		select {
		case conns <- c.(*net.TCPConn):
		case <-stop:
			c.Close()
		}
	})
	t.Cleanup(func() { close(stop) })
	return ln.(*net.TCPListener), conns
}

// accepted returns the kernel's side of a connection the probe opened.
func accepted(t *testing.T, conns <-chan *net.TCPConn) *net.TCPConn {
	t.Helper()
	select {
	case c := <-conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("the kernel accepted no connection")
		return nil
	}
}

// dial opens a connection from the probe to a Linux listener on port and
// returns both sides.
func (kb *kernelBench) dial(t *testing.T, port uint16) (*Conn, *net.TCPConn) {
	t.Helper()
	conns := kb.listen(t, port)
	c, err := kb.p.Dial(kb.peerPort(port), ConnConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return c, accepted(t, conns)
}

// unacked returns TCP_INFO's count of the kernel socket's unacknowledged
// segments; for a listener, the number of connections in its accept queue.
func unacked(t *testing.T, c syscall.Conn) uint32 {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var info *unix.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatal(ierr)
	}
	return info.Unacked
}

// TestKernelListenUntaken: a test that leaves more accepted connections
// than listen's channel holds (4) untaken still ends; its cleanup used to
// wait for the accepting goroutine, blocked handing over the fifth.
func TestKernelListenUntaken(t *testing.T) {
	kb := newKernelBench(t)
	t.Run("untaken", func(t *testing.T) {
		ln, _ := kb.listenLn(t, 7100)
		for range 5 {
			if _, err := kb.p.Dial(kb.peerPort(7100), ConnConfig{}); err != nil {
				t.Fatal(err)
			}
		}
		// The accepting goroutine has taken all 5 from the kernel's
		// accept queue (unacked): it holds the fifth, the channel full.
		if !testenv.Eventually(10*time.Second, func() bool { return unacked(t, ln) == 0 }) {
			t.Fatalf("the kernel's accept queue still holds %d connections", unacked(t, ln))
		}
	})
}

// TestKernelHandshake opens a connection to a Linux listener and checks the
// options of its SYN-ACK, then reads the exchange back with tcpdump.
func TestKernelHandshake(t *testing.T) {
	kb := newKernelBench(t)
	c, _ := kb.dial(t, 5001)
	var synAck Frame
	for _, f := range kb.p.Frames() {
		if f.Dir == In && f.TCP.Flags == tcp.FlagSYN|tcp.FlagACK {
			synAck = f
		}
	}
	o := synAck.TCP.Options
	st := c.State()
	if !o.HasMSS || o.MSS != 1460 || !o.SACKPermitted || !o.HasTimestamps || o.TSEcr != st.OurOptions.TSVal || !o.HasWScale {
		t.Errorf("Linux's SYN-ACK options: %v", &o)
	}
	// The echo is our SYN's TSval: 1 ms after the connection was made, or
	// more when the machine is slow to send it.
	m, err := c.MatchLine(fmt.Sprintf("S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr %d,nop,wscale *>", st.OurOptions.TSVal))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(&synAck) {
		t.Errorf("SYN-ACK %v does not match %v", &synAck, m)
	}
	if !st.SACK || !st.Timestamps || !st.WindowScale || st.SndWScale != o.WScale {
		t.Errorf("negotiated: %+v", st)
	}

	path := filepath.Join(t.TempDir(), "handshake.pcap")
	if err := kb.p.WritePcap(path); err != nil {
		t.Fatal(err)
	}
	lines := runTcpdump(t, path)
	syn := fmt.Sprintf("IP %s.%d > %s.5001: Flags [S], seq %d,", kb.p.Addr(), c.LocalAddr().Port(), kb.peer, uint32(st.ISS))
	if len(lines) != 3 || !strings.HasPrefix(lines[0], syn) {
		t.Fatalf("tcpdump -r:\n%s\nwant first %s...", strings.Join(lines, "\n"), syn)
	}
	for i, f := range kb.p.Frames() {
		if lines[i] != f.String() {
			t.Errorf("frame %d:\n tcpdump %s\n    ours %s", i, lines[i], f.String())
		}
	}
}

// TestKernelData moves data both ways and checks the ACKs on each side.
func TestKernelData(t *testing.T) {
	kb := newKernelBench(t)
	c, kc := kb.dial(t, 5001)

	// Linux to the probe; our ACK clears the kernel's unacknowledged count.
	msg := []byte("hello from linux")
	if _, err := kc.Write(msg); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ExpectData(len(msg)); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("data from Linux: %q, %v", got, err)
	}
	if err := c.Ack(); err != nil {
		t.Fatal(err)
	}
	if !testenv.Eventually(3*time.Second, func() bool { return unacked(t, kc) == 0 }) {
		t.Fatalf("Linux still has %d unacknowledged segment(s) after our ACK", unacked(t, kc))
	}

	// The probe to Linux: the kernel acknowledges exactly our data.
	data := bytes.Repeat([]byte("0123456789"), 100)
	if err := c.SendData(data); err != nil {
		t.Fatal(err)
	}
	st := c.State()
	f, err := c.Expect(And(HasFlags(tcp.FlagACK), Ack(st.SndNxt)))
	if err != nil {
		t.Fatal(err)
	}
	if f.TCP.Seq != st.RcvNxt || len(f.TCP.Payload) != 0 {
		t.Errorf("Linux's ACK %v: want seq %d and no data", &f, uint32(st.RcvNxt))
	}
	if got := readFull(t, kc, len(data)); !bytes.Equal(got, data) {
		t.Errorf("Linux read %q", got)
	}
	if st := c.State(); st.SndUna != st.SndNxt || st.SndWnd == 0 {
		t.Errorf("state after the ACK: %+v", st)
	}
}

// TestKernelClosedPort: a SYN to a port nobody listens on draws
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC9293 §3.10.7.1).
func TestKernelClosedPort(t *testing.T) {
	kb := newKernelBench(t)
	syn := Segment{SrcPort: 40000, DstPort: 5002, Seq: 1000, Flags: tcp.FlagSYN, Window: 65535,
		Options: MSS(1460), IP: IPFields{Dst: kb.peer, DF: true}}
	if err := kb.p.Send(syn); err != nil {
		t.Fatal(err)
	}
	f, err := kb.p.Expect(3*time.Second, And(From(kb.peerPort(5002)), HasFlags(tcp.FlagRST)))
	if err != nil {
		t.Fatal(err)
	}
	if f.TCP.Flags != tcp.FlagRST|tcp.FlagACK || f.TCP.Ack != 1001 || f.TCP.Seq != 0 || !f.ChecksumOK {
		t.Errorf("reset %v: want [R.], seq 0, ack 1001", &f)
	}
}

// TestKernelBadChecksum: a data segment with a wrong checksum is dropped
// (RFC9293 MUST-3). The proof is positive: a good segment with the same
// sequence number and other bytes follows, and Linux's next segment is the
// ACK of exactly that data, without a D-SACK (which would report a
// duplicate), and its application reads the good bytes.
func TestKernelBadChecksum(t *testing.T) {
	kb := newKernelBench(t)
	c, kc := kb.dial(t, 5001)
	st := c.State()
	bad := Segment{Flags: tcp.FlagPSH | tcp.FlagACK, Payload: []byte("BAD!!"), BadChecksum: true}
	if err := c.Send(bad); err != nil {
		t.Fatal(err)
	}
	if c.State().SndNxt != st.SndNxt {
		t.Fatal("a segment with a bad checksum moved SND.NXT")
	}
	if err := c.SendData([]byte("good!")); err != nil {
		t.Fatal(err)
	}
	f, err := c.Expect(Any) // the next segment from Linux, whatever it is
	if err != nil {
		t.Fatal(err)
	}
	if f.TCP.Flags != tcp.FlagACK || f.TCP.Ack != st.SndNxt.Add(5) || len(f.TCP.Options.SACK) != 0 {
		t.Errorf("Linux's first reply %v: want a bare ACK of %d without SACK blocks", &f, uint32(st.SndNxt.Add(5)))
	}
	if got := readFull(t, kc, 5); string(got) != "good!" {
		t.Errorf("Linux delivered %q", got)
	}
}

// TestKernelChallengeACK: a RST inside the window but not at RCV.NXT draws
// a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC5961 §3.2), and
// the connection lives on.
func TestKernelChallengeACK(t *testing.T) {
	kb := newKernelBench(t)
	c, kc := kb.dial(t, 5001)
	st := c.State()
	if err := c.Send(Segment{Flags: tcp.FlagRST, Seq: st.SndNxt.Add(100)}); err != nil {
		t.Fatal(err)
	}
	f, err := c.Expect(Flags(tcp.FlagACK))
	if err != nil {
		t.Fatal(err)
	}
	if f.TCP.Seq != st.RcvNxt || f.TCP.Ack != st.SndNxt {
		t.Errorf("challenge ACK %v: want seq %d ack %d", &f, uint32(st.RcvNxt), uint32(st.SndNxt))
	}
	if err := c.SendData([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	if got := readFull(t, kc, 10); string(got) != "still here" {
		t.Errorf("Linux delivered %q", got)
	}
	if _, err := c.Expect(And(HasFlags(tcp.FlagACK), Ack(st.SndNxt.Add(10)))); err != nil {
		t.Error(err)
	}
}

// TestKernelPassiveOpen: Linux connects to the probe, which checks the
// options of its SYN and exchanges data.
func TestKernelPassiveOpen(t *testing.T) {
	kb := newKernelBench(t)
	c, kc := acceptDialed(t, kb.p.Listen(6000, ConnConfig{}), func() (net.Conn, error) {
		var kc net.Conn
		err := kb.pair.B.NS.Do(func() error {
			var err error
			kc, err = net.DialTimeout("tcp4", netip.AddrPortFrom(kb.p.Addr(), 6000).String(), 5*time.Second)
			return err
		})
		return kc, err
	})
	st := c.State()
	o := st.PeerOptions
	if !o.HasMSS || o.MSS != 1460 || !o.SACKPermitted || !o.HasTimestamps || !o.HasWScale {
		t.Errorf("Linux's SYN options: %v", &o)
	}
	if !st.SACK || !st.Timestamps || !st.WindowScale {
		t.Errorf("negotiated: %+v", st)
	}
	var syn Frame
	for _, f := range kb.p.Frames() {
		if f.Dir == In && f.TCP.Flags == tcp.FlagSYN {
			syn = f
		}
	}
	if m, _ := c.MatchLine("S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,nop,wscale *>"); !m.Match(&syn) {
		t.Errorf("SYN %v does not match %v", &syn, m)
	}
	exchangeData(t, c, kc, "hi", "hello")
	// The kernel acknowledged both: its ACK covers our data, ours its.
	if _, err := c.Expect(And(HasFlags(tcp.FlagACK), Ack(c.State().SndNxt))); err != nil {
		t.Error(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	kc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := kc.Read(make([]byte, 1)); !isReset(err) {
		t.Errorf("after Close the kernel read %v, want a reset", err)
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "reset") || errorsIsErrno(err, syscall.ECONNRESET))
}

func errorsIsErrno(err error, e syscall.Errno) bool {
	for err != nil {
		if x, ok := err.(syscall.Errno); ok {
			return x == e
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
