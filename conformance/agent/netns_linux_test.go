package agent

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/netns"
)

// nsBackend makes the sockets of b inside ns (a socket stays in the
// namespace it was made in; accepted ones belong to their listener's).
type nsBackend struct {
	Backend
	ns *netns.Namespace
}

func (b nsBackend) Socket() (FD, error) {
	var fd FD
	err := b.ns.Do(func() error {
		var err error
		fd, err = b.Backend.Socket()
		return err
	})
	return fd, err
}

// listenIn listens on addr (TCP, IPv4) inside ns.
func listenIn(t *testing.T, ns *netns.Namespace, addr netip.AddrPort) net.Listener {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp4", addr.String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ln
}

// dialFrom connects to addr (TCP, IPv4) from inside ns.
func dialFrom(t *testing.T, ns *netns.Namespace, addr string, timeout time.Duration) net.Conn {
	t.Helper()
	var c net.Conn
	if err := ns.Do(func() (err error) {
		c, err = net.DialTimeout("tcp4", addr, timeout)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// exchange sends out from the agent's socket fd to the kernel's end of its
// connection, kc, and back from kc, each side reading what the other wrote
// within timeout (which stays kc's deadline).
func exchange(t *testing.T, ctx context.Context, c *Client, fd FD, kc net.Conn, out, back string, timeout time.Duration) {
	t.Helper()
	if n := must(c.Write(ctx, fd, []byte(out)))(t); n != len(out) {
		t.Errorf("agent wrote %d of %d bytes", n, len(out))
	}
	buf := make([]byte, len(out)+16)
	kc.SetDeadline(time.Now().Add(timeout))
	n := must(io.ReadAtLeast(kc, buf, len(out)))(t)
	if string(buf[:n]) != out {
		t.Errorf("kernel read %q, want %q", buf[:n], out)
	}
	must(kc.Write([]byte(back)))(t)
	if d := must(c.Read(ctx, fd, 100, timeout))(t); string(d) != back {
		t.Errorf("agent read %q, want %q", d, back)
	}
}

// The kernel backend in side B of a namespace pair, its listener opened in
// B and served from outside, driven by a client that reaches it from side A.
func TestKernelInNamespace(t *testing.T) {
	p := netns.NewTestPair(t, netns.Config{})
	a, b := p.A.Addr.Addr(), p.B.Addr.Addr()
	ln := listenIn(t, p.B.NS, netip.AddrPortFrom(b, 0))
	secret := NewSecret()
	agentAddr := serveOn(t, ln, &Server{Backend: nsBackend{Backend: KernelBackend(), ns: p.B.NS}, Secret: secret,
		AllowPeers: []netip.Prefix{p.Net}})
	ctx := testCtx(t)
	c := must(NewClient(ctx, dialFrom(t, p.A.NS, agentAddr, 3*time.Second), secret))(t)
	t.Cleanup(func() { c.Disconnect() })

	// The agent connects to a kernel listener on side A.
	peerLn := listenIn(t, p.A.NS, netip.AddrPortFrom(a, 0))
	defer peerLn.Close()
	peerAddr := peerLn.Addr().(*net.TCPAddr).AddrPort()
	fd := must(c.Socket(ctx))(t)
	local := must(c.BindAddr(ctx, fd, netip.AddrPortFrom(b, 0)))(t)
	noErr(t, c.Connect(ctx, fd, peerAddr, 3*time.Second))
	pc := must(peerLn.Accept())(t)
	defer pc.Close()
	if got := pc.RemoteAddr().(*net.TCPAddr).AddrPort(); got != local {
		t.Errorf("peer sees %v, agent bound %v", got, local)
	}
	exchange(t, ctx, c, fd, pc, "from B", "from A", 3*time.Second)
	info := must(c.TCPInfo(ctx, fd))(t)
	if info.State != "ESTABLISHED" || info.SndMSS != 1448 && info.SndMSS != 1460 {
		t.Errorf("tcp_info %+v", info)
	}
	// SO_LINGER 0: close resets the connection.
	noErr(t, c.SetSockopt(ctx, fd, "SO_LINGER", 0))
	noErr(t, c.Close(ctx, fd))
	pc.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := pc.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("peer read after SO_LINGER 0 close: %v, want ECONNRESET", err)
	}

	// A closed port on side A: ECONNREFUSED from the other namespace.
	fd2 := must(c.Socket(ctx))(t)
	if err := c.Connect(ctx, fd2, netip.AddrPortFrom(a, 1), 3*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
	}

	// Side A connects to a listener the agent made in B.
	lfd := must(c.Socket(ctx))(t)
	la := must(c.BindAddr(ctx, lfd, netip.AddrPortFrom(b, 0)))(t)
	noErr(t, c.Listen(ctx, lfd, 4))
	dc := dialFrom(t, p.A.NS, la.String(), 3*time.Second)
	defer dc.Close()
	afd, peer := func() (FD, netip.AddrPort) {
		fd, peer, err := c.Accept(ctx, lfd, 3*time.Second)
		noErr(t, err)
		return fd, peer
	}()
	if peer != dc.LocalAddr().(*net.TCPAddr).AddrPort() {
		t.Errorf("accept peer %v, want %v", peer, dc.LocalAddr())
	}
	dc.Close()
	if d := must(c.Read(ctx, afd, 10, 3*time.Second))(t); len(d) != 0 {
		t.Errorf("read %q, want EOF", d)
	}
	// Unanswered connect: a SYN to an address nobody has times out.
	fd3 := must(c.Socket(ctx))(t)
	err := c.Connect(ctx, fd3, netip.AddrPortFrom(p.UnusedAddr(5).Addr(), 80), 300*time.Millisecond)
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Errorf("connect to nobody: %v, want ETIMEDOUT", err)
	}
}
