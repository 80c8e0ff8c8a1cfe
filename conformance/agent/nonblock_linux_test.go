package agent

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tcpregress.dev/tcpstack/netns"
)

// checkNonblock drives the ops drill needs (set_nonblock, poll, SO_ERROR,
// SIOCINQ, write flags) on a backend: a non-blocking connect to kl, whose
// peer the test reads and writes with the kernel's sockets. sendFlags
// reports whether the backend has MSG_MORE.
func checkNonblock(t *testing.T, ctx context.Context, c *Client, kl net.Listener, sendFlags bool) {
	t.Helper()
	fd := must(c.Socket(ctx))(t)
	noErr(t, c.SetNonblock(ctx, fd, true))
	if err := c.Connect(ctx, fd, kl.Addr().(*net.TCPAddr).AddrPort(), 0); !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("non-blocking connect: %v, want EINPROGRESS", err)
	}
	if ev := must(c.Poll(ctx, fd, PollOut, 5*time.Second))(t); ev&PollOut == 0 {
		t.Fatalf("poll after connect: %v, want POLLOUT", ev.Names())
	}
	if v := must(c.GetSockopt(ctx, fd, "SO_ERROR"))(t); v != 0 {
		t.Errorf("SO_ERROR = %d, want 0", v)
	}
	kc := must(kl.Accept())(t)
	defer kc.Close()
	if _, err := c.Read(ctx, fd, 10, 0); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("non-blocking read of nothing: %v, want EAGAIN", err)
	}
	if ev := must(c.Poll(ctx, fd, PollIn, 0))(t); ev != 0 {
		t.Errorf("poll with nothing to read: %v, want none", ev.Names())
	}
	if _, err := kc.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	if ev := must(c.Poll(ctx, fd, PollIn, 5*time.Second))(t); ev&PollIn == 0 {
		t.Errorf("poll after data: %v, want POLLIN", ev.Names())
	}
	if v := must(c.GetSockopt(ctx, fd, "SIOCINQ"))(t); v != 2 {
		t.Errorf("SIOCINQ = %d, want 2", v)
	}
	if d := must(c.Read(ctx, fd, 10, 0))(t); string(d) != "hi" {
		t.Errorf("read %q", d)
	}
	_, err := c.Send(ctx, fd, []byte("a"), "MSG_MORE")
	switch {
	case sendFlags && err != nil:
		t.Errorf("send MSG_MORE: %v", err)
	case !sendFlags && !errors.Is(err, ErrUnsupported):
		t.Errorf("send MSG_MORE: %v, want unsupported", err)
	}
	if _, err := c.Send(ctx, fd, []byte("a"), "MSG_BOGUS"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("send MSG_BOGUS: %v, want EINVAL", err)
	}
	noErr(t, c.SetNonblock(ctx, fd, false))
	if _, err := c.Read(ctx, fd, 10, 50*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("blocking read that times out: %v, want EAGAIN", err)
	}
	noErr(t, c.Close(ctx, fd))

	// A refused non-blocking connect: SO_ERROR is ECONNREFUSED.
	fd2 := must(c.Socket(ctx))(t)
	noErr(t, c.SetNonblock(ctx, fd2, true))
	closed := netip.AddrPortFrom(kl.Addr().(*net.TCPAddr).AddrPort().Addr(), 1)
	if err := c.Connect(ctx, fd2, closed, 0); !errors.Is(err, syscall.EINPROGRESS) && !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("non-blocking connect to a closed port: %v", err)
	} else if err != nil && errors.Is(err, syscall.EINPROGRESS) {
		must(c.Poll(ctx, fd2, PollOut, 5*time.Second))(t)
		if v := must(c.GetSockopt(ctx, fd2, "SO_ERROR"))(t); v != int(syscall.ECONNREFUSED) {
			t.Errorf("SO_ERROR = %d, want ECONNREFUSED", v)
		}
	}
	if _, err := c.Do(ctx, Request{Op: "poll", FD: fd2, Events: []string{"POLLBOGUS"}}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("poll with an unknown event: %v, want EINVAL", err)
	}
}

// kernelPeer is a client of a kernel backend and a kernel listener on
// loopback for its sockets to connect to, closed when the test ends.
func kernelPeer(t *testing.T) (net.Listener, *Client, context.Context) {
	kl := must(net.Listen("tcp4", "127.0.0.1:0"))(t)
	t.Cleanup(func() { kl.Close() })
	return kl, dial(t, serve(t, KernelBackend())), testCtx(t)
}

func TestKernelNonblockPoll(t *testing.T) {
	kl, c, ctx := kernelPeer(t)
	checkNonblock(t, ctx, c, kl, true)

	// A non-blocking write writes what fits.
	fd := must(c.Socket(ctx))(t)
	noErr(t, c.SetSockopt(ctx, fd, "SO_SNDBUF", 4096))
	noErr(t, c.Connect(ctx, fd, kl.Addr().(*net.TCPAddr).AddrPort(), 5*time.Second))
	kc := must(kl.Accept())(t)
	defer kc.Close()
	noErr(t, c.SetNonblock(ctx, fd, true))
	big := make([]byte, 1<<20)
	if n := must(c.Write(ctx, fd, big))(t); n <= 0 || n >= len(big) {
		t.Errorf("non-blocking write of %d: %d, want part of it", len(big), n)
	}
	for {
		if _, err := c.Write(ctx, fd, big); err != nil {
			if !errors.Is(err, syscall.EAGAIN) {
				t.Errorf("non-blocking write with a full buffer: %v, want EAGAIN", err)
			}
			break
		}
	}
	// TCP_INQ: a read says how much is left.
	noErr(t, c.SetNonblock(ctx, fd, false))
	noErr(t, c.SetSockopt(ctx, fd, "TCP_INQ", 1))
	if _, err := kc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	must(c.Poll(ctx, fd, PollIn, 5*time.Second))(t)
	d, inq, err := c.ReadInq(ctx, fd, 3, time.Second)
	if err != nil || string(d) != "hel" || inq == nil || *inq != 2 {
		t.Errorf("read with TCP_INQ: %q, inq %v, %v; want \"hel\", 2", d, inq, err)
	}
	info := must(c.TCPInfo(ctx, fd))(t)
	if info.Fields["snd_cwnd"] != int64(info.SndCwnd) || info.Fields["snd_mss"] == 0 {
		t.Errorf("tcp_info fields %v", info.Fields)
	}
}

// TestSysctlOp: the sysctl op is refused unless the server allows it,
// takes net.* keys only, and (run inside a namespace, so that the host is
// left alone) writes /proc/sys and returns the old value.
func TestSysctlOp(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	ctx := testCtx(t)
	if _, err := c.Sysctl(ctx, "net.ipv4.tcp_ecn", "1"); !errors.Is(err, ErrUnsupported) || Errno(err) != "EPERM" {
		t.Errorf("sysctl without AllowSysctl: %v, want unsupported EPERM", err)
	}
	if h := must(c.Hello(ctx))(t); slices.Contains(h.Options, "SYSCTL") {
		t.Errorf("hello lists SYSCTL without AllowSysctl: %v", h.Options)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, serveOn(t, ln, &Server{Backend: KernelBackend(), AllowSysctl: true}))
	if h := must(c2.Hello(ctx))(t); !slices.Contains(h.Options, "SYSCTL") {
		t.Errorf("hello with AllowSysctl: %v, want SYSCTL listed", h.Options)
	}
	for _, key := range []string{"kernel.panic", "net.ipv4.tcp_ecn/../../kernel", "net", "../net.ipv4"} {
		if _, err := c2.Sysctl(ctx, key, "1"); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("sysctl %q: %v, want EINVAL", key, err)
		}
	}
	if _, err := c2.Sysctl(ctx, "net.ipv4.tcp_ecn", "1\n2"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("a value with a new line: %v, want EINVAL", err)
	}
	// The write itself, inside a namespace of its own.
	ns := netns.NewTestPair(t, netns.Config{}).B.NS
	if err := ns.Do(func() error {
		old, err := setSysctl("net.ipv4.tcp_ecn", "1")
		if err != nil {
			return err
		}
		now, err := setSysctl("net.ipv4.tcp_ecn", old)
		if err != nil {
			return err
		}
		if now != "1" {
			t.Errorf("net.ipv4.tcp_ecn read back %q after setting 1", now)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestKernelEpoll: epoll_create, epoll_ctl and epoll_wait, edge-triggered.
func TestKernelEpoll(t *testing.T) {
	kl, c, ctx := kernelPeer(t)
	fd := must(c.Socket(ctx))(t)
	noErr(t, c.Connect(ctx, fd, kl.Addr().(*net.TCPAddr).AddrPort(), 5*time.Second))
	kc := must(kl.Accept())(t)
	defer kc.Close()
	ep := must(c.EpollCreate(ctx))(t)
	noErr(t, c.EpollCtl(ctx, ep, "EPOLL_CTL_ADD", fd, EpollIn|EpollET))
	if r := must(c.EpollWait(ctx, ep, 4, 0))(t); len(r) != 0 {
		t.Errorf("epoll_wait with nothing to read: %v", r)
	}
	kc.Write([]byte("x"))
	r := must(c.EpollWait(ctx, ep, 4, 5*time.Second))(t)
	if len(r) != 1 || r[0].FD != fd || !slices.Equal(r[0].Events, []string{"EPOLLIN"}) {
		t.Errorf("epoll_wait after data: %v, want fd %d EPOLLIN", r, fd)
	}
	if r := must(c.EpollWait(ctx, ep, 4, 0))(t); len(r) != 0 {
		t.Errorf("epoll_wait again (edge-triggered): %v, want none", r)
	}
	// A NULL buffer: EFAULT from the kernel, for reading (data is there)
	// and for writing.
	if _, err := c.NullIO(ctx, fd, false, 10); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("read into NULL: %v, want EFAULT", err)
	}
	if _, err := c.NullIO(ctx, fd, true, 10); !errors.Is(err, syscall.EFAULT) {
		t.Errorf("write from NULL: %v, want EFAULT", err)
	}
	if err := c.EpollCtl(ctx, ep, "EPOLL_CTL_BOGUS", fd, EpollIn); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("epoll_ctl with a bad op: %v, want EINVAL", err)
	}
	if err := c.EpollCtl(ctx, ep, "EPOLL_CTL_ADD", fd+100, EpollIn); !errors.Is(err, syscall.EBADF) {
		t.Errorf("epoll_ctl of an fd not ours: %v, want EBADF", err)
	}
	noErr(t, c.Close(ctx, ep))
}

// TestKernelPipeSplice: pipe and splice on the kernel backend, as
// packetdrill's tcp_splice_loop_test.pkt uses them: data moves from a
// socket into a pipe and from the pipe into the socket; a blocking splice
// whose only data is an urgent byte returns 0 (Linux's fix of a loop in
// tcp_splice_read), a non-blocking one EAGAIN; a blocking one with nothing
// to read waits for its timeout.
func TestKernelPipeSplice(t *testing.T) {
	kl, c, ctx := kernelPeer(t)
	fd := must(c.Socket(ctx))(t)
	noErr(t, c.Connect(ctx, fd, kl.Addr().(*net.TCPAddr).AddrPort(), 5*time.Second))
	kc := must(kl.Accept())(t)
	defer kc.Close()
	r, w, err := c.Pipe(ctx)
	if err != nil || r == w || r == fd || w == fd {
		t.Fatalf("pipe: %d, %d, %v", r, w, err)
	}
	if _, err := kc.Write([]byte("hello world")); err != nil {
		t.Fatal(err)
	}
	if n := must(c.Splice(ctx, fd, w, 5, 0, 5*time.Second))(t); n != 5 {
		t.Errorf("splice socket→pipe of 5: %d", n)
	}
	if n := must(c.Splice(ctx, fd, w, 100, SpliceMove, 5*time.Second))(t); n != 6 {
		t.Errorf("splice socket→pipe of the rest: %d, want 6", n)
	}
	if n := must(c.Splice(ctx, r, fd, 100, 0, 5*time.Second))(t); n != 11 {
		t.Errorf("splice pipe→socket: %d, want 11", n)
	}
	buf := make([]byte, 11)
	kc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(kc, buf); err != nil || string(buf) != "hello world" {
		t.Errorf("the peer read %q, %v; want \"hello world\" back", buf, err)
	}
	// An empty pipe: a blocking splice from it waits for its timeout.
	if _, err := c.Splice(ctx, r, fd, 10, 0, 30*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("blocking splice from an empty pipe: %v, want EAGAIN at its timeout", err)
	}

	// Nothing to read: a blocking splice waits for its timeout (EAGAIN).
	if _, err := c.Splice(ctx, fd, w, 10, 0, 30*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("blocking splice with nothing to read: %v, want EAGAIN at its timeout", err)
	}
	// "ab" with b urgent (MSG_OOB): a, then only the urgent byte.
	sc := must(kc.(*net.TCPConn).SyscallConn())(t)
	var sendErr error
	noErr(t, sc.Control(func(s uintptr) { sendErr = unix.Sendto(int(s), []byte("ab"), unix.MSG_OOB, nil) }))
	noErr(t, sendErr)
	must(c.Poll(ctx, fd, PollPri, 5*time.Second))(t)
	if n := must(c.Splice(ctx, fd, w, 1, 0, 5*time.Second))(t); n != 1 {
		t.Errorf("splice of the byte before the urgent one: %d, want 1", n)
	}
	noErr(t, c.SetNonblock(ctx, fd, true))
	if _, err := c.Splice(ctx, fd, w, 1, 0, 0); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("non-blocking splice of only urgent data: %v, want EAGAIN", err)
	}
	noErr(t, c.SetNonblock(ctx, fd, false))
	if n, err := c.Splice(ctx, fd, w, 1, 0, 5*time.Second); n != 0 || err != nil {
		t.Errorf("blocking splice of only urgent data: %d, %v; want 0 at once", n, err)
	}

	if _, err := c.Splice(ctx, fd, fd+100, 1, 0, 0); !errors.Is(err, syscall.EBADF) {
		t.Errorf("splice to an fd not ours: %v, want EBADF", err)
	}
	if _, err := c.Do(ctx, Request{Op: "splice", FD: fd, Value: &[]int{int(w)}[0], Flags: []string{"SPLICE_F_BOGUS"}}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("splice with an unknown flag: %v, want EINVAL", err)
	}
	noErr(t, c.Close(ctx, r))
	noErr(t, c.Close(ctx, w))
	if _, err := c.Splice(ctx, fd, w, 1, 0, 0); !errors.Is(err, syscall.EBADF) {
		t.Errorf("splice to a closed pipe: %v, want EBADF", err)
	}
}
