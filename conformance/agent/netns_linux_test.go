package agent

import (
	"bytes"
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

// The kernel backend in side B of a namespace pair, its listener opened in
// B and served from outside, driven by a client that reaches it from side A.
func TestKernelInNamespace(t *testing.T) {
	p := netns.NewTestPair(t, netns.Config{})
	a, b := p.A.Addr.Addr(), p.B.Addr.Addr()
	var ln net.Listener
	if err := p.B.NS.Do(func() (err error) {
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(b, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	agentAddr := serveOn(t, ln, nsBackend{Backend: KernelBackend(), ns: p.B.NS})
	var ctl net.Conn
	if err := p.A.NS.Do(func() (err error) {
		ctl, err = net.DialTimeout("tcp4", agentAddr, 3*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := NewClient(ctl)
	t.Cleanup(func() { c.Disconnect() })
	ctx := testCtx(t)

	// The agent connects to a kernel listener on side A.
	var peerLn net.Listener
	if err := p.A.NS.Do(func() (err error) {
		peerLn, err = net.Listen("tcp4", netip.AddrPortFrom(a, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
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
	if n := must(c.Write(ctx, fd, []byte("from B")))(t); n != 6 {
		t.Errorf("wrote %d", n)
	}
	buf := make([]byte, 16)
	pc.SetReadDeadline(time.Now().Add(3 * time.Second))
	n := must(io.ReadAtLeast(pc, buf, 6))(t)
	if string(buf[:n]) != "from B" {
		t.Errorf("peer read %q", buf[:n])
	}
	must(pc.Write([]byte("from A")))(t)
	if d := must(c.Read(ctx, fd, 100, 3*time.Second))(t); !bytes.Equal(d, []byte("from A")) {
		t.Errorf("agent read %q", d)
	}
	info := must(c.TCPInfo(ctx, fd))(t)
	if info.State != "ESTABLISHED" || info.SndMSS != 1448 && info.SndMSS != 1460 {
		t.Errorf("tcp_info %+v", info)
	}
	// SO_LINGER 0: close resets the connection.
	noErr(t, c.SetSockopt(ctx, fd, "SO_LINGER", 0))
	noErr(t, c.Close(ctx, fd))
	pc.SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := pc.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
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
	var dc net.Conn
	if err := p.A.NS.Do(func() (err error) {
		dc, err = net.DialTimeout("tcp4", la.String(), 3*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
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
