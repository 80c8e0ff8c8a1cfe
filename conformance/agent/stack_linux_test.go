//go:build cgo

package agent

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pcap"
	"tcpregress.dev/tcpstack/netns"
	"tcpregress.dev/tcpstack/tcp"
)

// StackBackend with our stack on side A of a namespace pair (whose kernel
// has no address) against the kernel on side B; the agent is served on
// loopback.
// stackPair makes a namespace pair with our stack on side A (at us, an
// address A's kernel does not own) and returns it, the stack and B's
// kernel address.
func stackPair(t *testing.T) (p *netns.Pair, s *tcpstack.Stack, us netip.Prefix, peer netip.Addr) {
	t.Helper()
	p = netns.NewTestPair(t, netns.Config{NoAddrA: true})
	us, peer = p.UnusedAddr(0), p.B.Addr.Addr()
	link, err := pcap.Open(p.A.Veth, us.Addr(), pcap.Options{Namespace: p.A.NS.Name})
	if err != nil {
		t.Fatal(err)
	}
	s, err = tcpstack.New(tcpstack.Config{Link: link, Addr: us})
	if err != nil {
		link.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return p, s, us, peer
}

func TestStackBackendAgainstKernel(t *testing.T) {
	p, s, us, peer := stackPair(t)
	c := dial(t, serveStack(t, s, p))
	ctx := testCtx(t)

	h := must(c.Hello(ctx))(t)
	if h.Stack != "tcpstack" || len(h.Options) == 0 {
		t.Errorf("hello %+v", h)
	}

	// Connect from a bound port to a kernel listener on side B.
	kl := listenIn(t, p.B.NS, netip.AddrPortFrom(peer, 0))
	defer kl.Close()
	fd := must(c.Socket(ctx))(t)
	bound := must(c.BindAddr(ctx, fd, netip.AddrPortFrom(netip.IPv4Unspecified(), 40123)))(t)
	if bound != netip.AddrPortFrom(us.Addr(), 40123) {
		t.Errorf("bound %v", bound)
	}
	if err := c.SetIPOptions(ctx, fd, []byte{1, 1, 1, 0}); !errors.Is(err, ErrUnsupported) || Errno(err) != "ENOPROTOOPT" {
		t.Errorf("set_ip_options on tcpstack: %v, want unsupported ENOPROTOOPT", err)
	}
	noErr(t, c.SetSockopt(ctx, fd, "TCP_NODELAY", 1))
	noErr(t, c.SetSockopt(ctx, fd, "SO_KEEPALIVE", 1))
	noErr(t, c.SetSockopt(ctx, fd, "TCP_KEEPIDLE", 30))
	noErr(t, c.SetSockopt(ctx, fd, "TCP_USER_TIMEOUT", 5000))
	noErr(t, c.Connect(ctx, fd, kl.Addr().(*net.TCPAddr).AddrPort(), 5*time.Second))
	kc := must(kl.Accept())(t)
	defer kc.Close()
	if got := kc.RemoteAddr().(*net.TCPAddr).AddrPort(); got != bound {
		t.Errorf("kernel sees %v, want the bound %v", got, bound)
	}
	if v := must(c.GetSockopt(ctx, fd, "TCP_KEEPIDLE"))(t); v != 30 {
		t.Errorf("TCP_KEEPIDLE = %d", v)
	}
	if v := must(c.GetSockopt(ctx, fd, "TCP_MAXSEG"))(t); v <= 0 || v > 1460 {
		t.Errorf("TCP_MAXSEG = %d", v)
	}
	exchange(t, ctx, c, fd, kc, "ping", "pong", 5*time.Second)
	if _, err := c.Read(ctx, fd, 16, 50*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("read timeout: %v, want EAGAIN", err)
	}
	info := must(c.TCPInfo(ctx, fd))(t)
	if info.State != "ESTABLISHED" || info.SndMSS <= 0 || info.SndCwnd <= 0 || info.RTOUs <= 0 {
		t.Errorf("tcp_info %+v", info)
	}
	// Urgent data: the stack sends it with URG and the urgent pointer; the
	// kernel (SO_OOBINLINE off) takes the last urgent byte out of band.
	if n, err := c.SendOOB(ctx, fd, []byte("!")); err != nil || n != 1 {
		t.Errorf("send_oob: %d, %v", n, err)
	}
	noErr(t, c.SetSockopt(ctx, fd, "IP_TOS", 16))
	if v, err := c.GetSockopt(ctx, fd, "IP_TOS"); err != nil || v != 16 {
		t.Errorf("IP_TOS read back: %d, %v; want 16", v, err)
	}
	if err := c.SetSockopt(ctx, fd, "TCP_MAXSEG", 536); !errors.Is(err, ErrUnsupported) || !errors.Is(err, syscall.ENOPROTOOPT) {
		t.Errorf("TCP_MAXSEG: %v, want unsupported ENOPROTOOPT (read-only in tcpstack)", err)
	}
	noErr(t, c.Shutdown(ctx, fd, "wr"))
	buf := make([]byte, 16)
	if _, err := kc.Read(buf); err != io.EOF {
		t.Errorf("kernel read after shutdown wr: %v, want EOF", err)
	}
	kc.Close()
	if d := must(c.Read(ctx, fd, 16, 5*time.Second))(t); len(d) != 0 {
		t.Errorf("read %q, want EOF", d)
	}
	noErr(t, c.Close(ctx, fd))

	// A closed port: the kernel's RST is ECONNREFUSED.
	fd2 := must(c.Socket(ctx))(t)
	if err := c.Connect(ctx, fd2, netip.AddrPortFrom(peer, 1), 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
	}

	// The kernel on B connects to a listener of the stack; SO_LINGER 0
	// set on the listener makes the accepted connection's close a reset.
	lfd := must(c.Socket(ctx))(t)
	noErr(t, c.Bind(ctx, lfd, netip.AddrPortFrom(us.Addr(), 40200)))
	noErr(t, c.Listen(ctx, lfd, 8))
	noErr(t, c.SetSockopt(ctx, lfd, "SO_LINGER", 0))
	if st := must(c.TCPInfo(ctx, lfd))(t); st.State != "LISTEN" {
		t.Errorf("listener state %q", st.State)
	}
	if _, _, err := c.Accept(ctx, lfd, 50*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("accept timeout: %v, want EAGAIN", err)
	}
	dc := dialFrom(t, p.B.NS, netip.AddrPortFrom(us.Addr(), 40200).String(), 5*time.Second)
	defer dc.Close()
	afd, from, err := c.Accept(ctx, lfd, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if from != dc.LocalAddr().(*net.TCPAddr).AddrPort() {
		t.Errorf("accepted from %v, want %v", from, dc.LocalAddr())
	}
	noErr(t, c.Close(ctx, afd))
	dc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := dc.Read(buf); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("kernel read after a linger-0 close: %v, want ECONNRESET", err)
	}
}

func TestStackBackendNonblockPoll(t *testing.T) {
	p, s, _, peer := stackPair(t)
	c := dial(t, serveStack(t, s, p))
	kl := listenIn(t, p.B.NS, netip.AddrPortFrom(peer, 0))
	defer kl.Close()
	checkNonblock(t, testCtx(t), c, kl, false)
}

// heldConnect makes a non-blocking connect of a StackBackend socket to the
// kernel, which accepts it (kc): the handshake has completed, but the
// connect's goroutine is held before it reports it until free is called or
// the socket is settled; everything ends in t.Cleanup.
func heldConnect(t *testing.T) (b Backend, fd FD, kc net.Conn, free func()) {
	t.Helper()
	p, s, _, peer := stackPair(t)
	kl := listenIn(t, p.B.NS, netip.AddrPortFrom(peer, 0))
	t.Cleanup(func() { kl.Close() })
	release := make(chan struct{})
	var once sync.Once
	free = func() { once.Do(func() { close(release) }) }
	stackDialHook, stackSettleHook = func() { <-release }, free
	t.Cleanup(func() { stackDialHook, stackSettleHook = nil, nil; free() })
	b = StackBackend(s)
	fd = must(b.Socket())(t)
	noErr(t, b.SetNonblock(fd, true))
	if err := b.Connect(testCtx(t), fd, kl.Addr().(*net.TCPAddr).AddrPort(), 0); !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("non-blocking connect: %v, want EINPROGRESS", err)
	}
	kc = must(kl.Accept())(t) // the kernel has our ACK: we are ESTABLISHED
	t.Cleanup(func() { kc.Close() })
	return b, fd, kc, free
}

// TestStackBackendPollAfterHandshake polls a non-blocking connect with a
// zero timeout once the kernel has accepted it, while the backend's connect
// goroutine has not yet reported its result (stackDialHook holds it until
// poll is waiting for it): the connection is ESTABLISHED, so POLLOUT.
// Before poll read the handshake's state, it reported nothing until the
// goroutine had returned (drill's client.pkt failed so on a loaded machine).
func TestStackBackendPollAfterHandshake(t *testing.T) {
	b, fd, _, free := heldConnect(t)
	ctx := testCtx(t)
	if ev, err := b.Poll(ctx, fd, PollOut, 0); err != nil || ev != PollOut {
		t.Errorf("poll(POLLOUT, 0) after the handshake: %v %v, want POLLOUT", ev.Names(), err)
	}
	free()
	noErr(t, b.Close(fd))
}

// TestStackBackendCloseAfterHandshake: close of a non-blocking socket whose
// handshake has completed, while the connect's goroutine has still to
// report it, closes the ESTABLISHED connection with a FIN (RFC 9293
// §3.10.4) before it returns; it does not treat it as one in SYN-SENT.
func TestStackBackendCloseAfterHandshake(t *testing.T) {
	b, fd, kc, _ := heldConnect(t)
	sock := must(b.(*stackBackend).socks.Get(fd))(t)
	c := sock.dial.opened.Load()
	noErr(t, b.Close(fd))
	switch st := c.Info().State; st {
	case tcp.StateFinWait1, tcp.StateFinWait2, tcp.StateTimeWait:
	default:
		t.Fatalf("state %v once close returned, want FIN-WAIT-1 (our FIN sent)", st)
	}
	if n, err := kc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("the kernel read %d, %v after our close, want our FIN (EOF)", n, err)
	}
}

// serveStack serves the agent over s (on side A of p) on loopback, its
// sockets allowed to reach p's link. The stack's own address is its only
// one: binding it or 0.0.0.0 is the same.
func serveStack(t *testing.T, s *tcpstack.Stack, p *netns.Pair) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, &Server{Backend: StackBackend(s), AllowPeers: []netip.Prefix{p.Net},
		TestAddrs: []netip.Addr{s.Addr(), netip.IPv4Unspecified()}})
}
