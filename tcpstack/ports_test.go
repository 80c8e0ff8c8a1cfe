package tcpstack

import (
	"bytes"
	"context"
	"hash/maphash"
	"io"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/tcp"
)

// TestEphemeralPortsCycle: RFC6056 Algorithm 3 walks all 16384 dynamic ports
// before one comes back.
func TestEphemeralPortsCycle(t *testing.T) {
	a, _ := stackPair(t, pipe.Faults{}, nil)
	remote := netip.MustParseAddrPort("198.18.0.2:80")
	a.mu.Lock()
	defer a.unlock()
	seen := make(map[uint16]bool)
	first := uint16(0)
	for i := range 16384 {
		lp, err := a.ephemeral(remote)
		if err != nil {
			t.Fatal(err)
		}
		p := lp.Port()
		if p < 49152 {
			t.Fatalf("port %d is outside the dynamic range", p)
		}
		if seen[p] {
			t.Fatalf("port %d came back after %d picks", p, i)
		}
		seen[p] = true
		if i == 0 {
			first = p
		}
	}
	if lp, _ := a.ephemeral(remote); lp.Port() != first {
		t.Errorf("pick 16385 is %d, want the first again (%d)", lp.Port(), first)
	}
}

// TestTimeWaitReuse: an active open takes over a port whose previous
// connection to the same peer is in TIME-WAIT once it may (a second, with
// timestamps: tcp.Conn.TimeWaitReusable), and the new connection works.
func TestTimeWaitReuse(t *testing.T) {
	var shift atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
	a, b := stackPair(t, pipe.Faults{}, func(c *Config) { c.now = clock })
	l := listen(t, b, 80)
	go echoServer(l)
	echo := func() *Conn {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := a.DialTCP(ctx, "tcp", "198.18.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		c.CloseWrite() // we close first: our end goes to TIME-WAIT
		if got, err := io.ReadAll(c); err != nil || string(got) != "x" {
			t.Fatalf("echo: %q, %v", got, err)
		}
		return c
	}
	old := echo()
	local := old.LocalAddr().(*net.TCPAddr).AddrPort()
	remote := netip.MustParseAddrPort("198.18.0.2:80")
	waitState := func(want tcp.State) {
		t.Helper()
		for i := 0; ; i++ {
			a.mu.Lock()
			c := a.conns[fourTuple{local, remote}]
			st := tcp.StateClosed
			if c != nil {
				st = c.tcb.State()
			}
			a.unlock()
			if st == want {
				return
			}
			if i == 500 {
				t.Fatalf("%v is %v, want %v", local, st, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitState(tcp.StateTimeWait)
	// Point the port counter at the old port: the next pick is it. Within
	// the first second of TIME-WAIT it is passed over.
	pointAt := func() {
		a.mu.Lock()
		a.nextPort = uint32(local.Port()-49152) - uint32(maphash.Comparable(a.portSeed, remote))
		a.unlock()
	}
	pointAt()
	if c := echo(); c.LocalAddr().(*net.TCPAddr).AddrPort() == local {
		t.Fatal("the TIME-WAIT port was taken over within its first second")
	}
	shift.Store(int64(2 * time.Second))
	// A dial from a port of its own leaves the TIME-WAIT connection alone,
	// although the counter points at its port.
	pointAt()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fixed, err := a.DialTCPFrom(ctx, "tcp", 40000, "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	fixed.Close()
	waitState(tcp.StateTimeWait)
	c := echo()
	if got := c.LocalAddr().(*net.TCPAddr).AddrPort(); got != local {
		t.Fatalf("new connection on %v, want the TIME-WAIT port %v", got, local)
	}
}

// TestNeighbourNotMovedByIPPacket: an IPv4 packet whose Ethernet source is
// not the neighbour's known MAC (a bit error in a header no checksum covers,
// or a forged frame) only refreshes an entry with the same MAC; ARP alone
// changes it. The faulty-pipe transfer test stalled for good when a
// corrupted source MAC redirected all traffic.
func TestNeighbourNotMovedByIPPacket(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	go echoServer(listen(t, b, 7))
	c := dial(t, a, 7)
	bogus := net.HardwareAddr{2, 0, 0, 0, 0, 0x99}
	a.mu.Lock()
	n := a.neigh[addrB.Addr()]
	if n == nil || !n.resolved || n.mac != header.MAC(macB) {
		a.unlock()
		t.Fatalf("neighbour entry %+v, want %v resolved", n, macB)
	}
	// An ICMP echo reply from B's address, from the bogus MAC.
	frame := ethernetFrame(macA, bogus, ipv4Packet(header.IPProtocolICMP, addrB.Addr(), addrA.Addr(), nil, make([]byte, 8)))
	a.input(frame, a.now())
	got := a.neigh[addrB.Addr()].mac
	a.unlock()
	if got != header.MAC(macB) {
		t.Fatalf("after an IP packet from %v the entry says %v, want %v", bogus, got, macB)
	}
	msg := []byte("still reachable")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil || !bytes.Equal(buf, msg) {
		t.Fatalf("echo after the bogus frame: %q, %v", buf, err)
	}
}

// TestListenZeroSkipsUsedPorts: Listen(":0") never picks the local port of a
// connection, as a bind to port 0 never returns a port in use.
func TestListenZeroSkipsUsedPorts(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	go echoServer(listen(t, b, 80))
	c := dial(t, a, 80)
	local := c.LocalAddr().(*net.TCPAddr).AddrPort()
	a.mu.Lock()
	a.nextPort = uint32(local.Port() - 49152) // the first candidate is the busy port
	a.unlock()
	l2, err := a.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if got := l2.Addr().(*net.TCPAddr).AddrPort().Port(); got == local.Port() || got < 49152 {
		t.Fatalf("Listen(:0) chose port %d; %d is in use by %v", got, local.Port(), c.LocalAddr())
	}
}
