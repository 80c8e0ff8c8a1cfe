//go:build linux

package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"tcpregress.dev/pcap/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs Serve with b on a loopback listener until the test ends.
func serve(t *testing.T, b Backend) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, &Server{Backend: b})
}

// serveOn runs srv on ln until the test ends.
func serveOn(t *testing.T, ln net.Listener, srv *Server) string {
	t.Helper()
	stop := startServe(ln, srv)
	t.Cleanup(func() {
		if err := stop(5 * time.Second); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// startServe runs srv on ln. stop ends Serve's context and returns
// Serve's error, or one of its own if Serve has not returned within wait.
func startServe(ln net.Listener, srv *Server) (stop func(wait time.Duration) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	return func(wait time.Duration) error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(wait):
			return errors.New("did not return after its context ended")
		}
	}
}

func dial(t *testing.T, addr string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Disconnect() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// must returns v, failing the test on err: must(f())(t).
func must[V any](v V, err error) func(t *testing.T) V {
	return func(t *testing.T) V {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestKernelLoopbackRoundTrip(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	ctx := testCtx(t)

	h := must(c.Hello(ctx))(t)
	if h.OS != "linux" || h.Stack != "kernel" || h.Kernel == "" || len(h.Options) == 0 {
		t.Fatalf("hello: %+v", h)
	}

	ln := must(c.Socket(ctx))(t)
	noErr(t, c.SetSockopt(ctx, ln, "SO_REUSEADDR", 1))
	bound := must(c.BindAddr(ctx, ln, netip.MustParseAddrPort("127.0.0.1:0")))(t)
	if bound.Port() == 0 {
		t.Fatalf("bound to %v", bound)
	}
	noErr(t, c.Listen(ctx, ln, 8))

	cl := must(c.Socket(ctx))(t)
	noErr(t, c.SetSockopt(ctx, cl, "TCP_NODELAY", 1))
	if v := must(c.GetSockopt(ctx, cl, "TCP_NODELAY"))(t); v != 1 {
		t.Errorf("TCP_NODELAY = %d, want 1", v)
	}
	noErr(t, c.Connect(ctx, cl, bound, 3*time.Second))
	srv, peer, err := c.Accept(ctx, ln, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if peer.Addr() != bound.Addr() || peer.Port() == 0 {
		t.Errorf("peer %v", peer)
	}

	if n := must(c.Write(ctx, cl, []byte("hello")))(t); n != 5 {
		t.Errorf("wrote %d", n)
	}
	if d := must(c.Read(ctx, srv, 100, 3*time.Second))(t); string(d) != "hello" {
		t.Errorf("read %q", d)
	}
	// A big write is sent in full while the other side reads.
	big := make([]byte, 4<<20)
	for i := range big {
		big[i] = byte(i)
	}
	if n := must(c.Write(ctx, cl, big[:200000]))(t); n != 200000 {
		t.Errorf("wrote %d", n)
	}
	got := 0
	for got < 200000 {
		d := must(c.Read(ctx, srv, 65536, 3*time.Second))(t)
		if len(d) == 0 {
			t.Fatal("early EOF")
		}
		got += len(d)
	}

	noErr(t, c.SetSockopt(ctx, srv, "SO_LINGER", 5))
	if v := must(c.GetSockopt(ctx, srv, "SO_LINGER"))(t); v != 5 {
		t.Errorf("SO_LINGER = %d, want 5", v)
	}
	noErr(t, c.SetSockopt(ctx, srv, "SO_LINGER", -1))
	if v := must(c.GetSockopt(ctx, srv, "SO_LINGER"))(t); v != -1 {
		t.Errorf("SO_LINGER = %d, want -1 (off)", v)
	}

	info := must(c.TCPInfo(ctx, cl))(t)
	if info.State != "ESTABLISHED" || info.SndMSS <= 0 || info.SndCwnd <= 0 || info.RTOUs <= 0 {
		t.Errorf("tcp_info %+v", info)
	}
	if li := must(c.TCPInfo(ctx, ln))(t); li.State != "LISTEN" {
		t.Errorf("listener state %q", li.State)
	}

	// Urgent data: the byte arrives out of band, so the in-band read does
	// not see it (SO_OOBINLINE is off).
	if n := must(c.SendOOB(ctx, cl, []byte("!")))(t); n != 1 {
		t.Errorf("send_oob %d", n)
	}

	noErr(t, c.Shutdown(ctx, cl, "wr"))
	if d := must(c.Read(ctx, srv, 100, 3*time.Second))(t); len(d) != 0 {
		t.Errorf("read %q after the peer's FIN, want EOF", d)
	}
	if st := must(c.TCPInfo(ctx, srv))(t); st.State != "CLOSE-WAIT" {
		t.Errorf("state after FIN %q, want CLOSE-WAIT", st.State)
	}
	// Writing to a connection the peer reset: EPIPE or ECONNRESET, an
	// error and not a signal.
	noErr(t, c.SetSockopt(ctx, srv, "SO_LINGER", 0))
	noErr(t, c.Close(ctx, srv))
	var werr error
	for range 50 {
		if _, werr = c.Write(ctx, cl, []byte("x")); werr != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if e := Errno(werr); e != "EPIPE" && e != "ECONNRESET" {
		t.Errorf("write after the peer's reset: %v, want EPIPE or ECONNRESET", werr)
	}
	for _, fd := range []FD{cl, ln} {
		noErr(t, c.Close(ctx, fd))
	}
	if err := c.Close(ctx, cl); !errors.Is(err, syscall.EBADF) {
		t.Errorf("second close: %v, want EBADF", err)
	}
}

func TestKernelErrnos(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	ctx := testCtx(t)

	// A closed port: ECONNREFUSED, by name, matching the Errno.
	probe := must(net.Listen("tcp4", "127.0.0.1:0"))(t)
	closed := probe.Addr().(*net.TCPAddr).AddrPort()
	probe.Close()
	fd := must(c.Socket(ctx))(t)
	err := c.Connect(ctx, fd, closed, 3*time.Second)
	var ae *Error
	if !errors.As(err, &ae) || ae.Errno != "ECONNREFUSED" || ae.Op != "connect" || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("connect to a closed port: %#v", err)
	}
	if errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, ErrUnsupported) {
		t.Errorf("%v matches ETIMEDOUT or ErrUnsupported", err)
	}

	// A read that times out: EAGAIN.
	ln := must(c.Socket(ctx))(t)
	a := must(c.BindAddr(ctx, ln, netip.MustParseAddrPort("127.0.0.1:0")))(t)
	noErr(t, c.Listen(ctx, ln, 1))
	if _, _, err := c.Accept(ctx, ln, 50*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("accept timeout: %v, want EAGAIN", err)
	}
	cl := must(c.Socket(ctx))(t)
	noErr(t, c.Connect(ctx, cl, a, time.Second))
	start := time.Now()
	_, err = c.Read(ctx, cl, 10, 100*time.Millisecond)
	if !errors.As(err, &ae) || ae.Errno != "EAGAIN" || !errors.Is(err, syscall.EAGAIN) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read timeout: %#v, want EAGAIN", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 2*time.Second {
		t.Errorf("read timeout took %v", d)
	}

	// Unknown and unsupported options.
	for _, name := range []string{"SO_BOGUS", "TCP_FASTOPEN"} {
		err := c.SetSockopt(ctx, cl, name, 1)
		if !errors.As(err, &ae) || !ae.Unsupported || ae.Errno != "ENOPROTOOPT" || !errors.Is(err, ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("setsockopt %s: %#v, want unsupported ENOPROTOOPT", name, err)
		}
	}
	// A bad address.
	if err := c.Bind(ctx, cl, netip.AddrPort{}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("bind to no address: %v, want EINVAL", err)
	}
	// The connection still works after all that.
	if _, err := c.Hello(ctx); err != nil {
		t.Fatal(err)
	}
}

// raw speaks the protocol by hand.
type raw struct {
	c net.Conn
	r *bufio.Reader
}

func (r *raw) rt(t *testing.T, line string) map[string]any {
	t.Helper()
	r.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	l, err := r.r.ReadBytes('\n')
	if err != nil {
		t.Fatalf("after %s: %v", line, err)
	}
	var m map[string]any
	if err := json.Unmarshal(l, &m); err != nil {
		t.Fatalf("response %s: %v", l, err)
	}
	return m
}

// hello makes the handshake with an agent without a secret.
func (r *raw) hello(t *testing.T) {
	t.Helper()
	nonce, _ := json.Marshal(make([]byte, nonceSize))
	if m := r.rt(t, `{"id": 1, "op": "hello", "version": 2, "nonce": `+string(nonce)+`}`); m["ok"] != true || m["version"] != 2.0 {
		t.Fatalf("handshake: %v", m)
	}
}

func TestMalformedRequests(t *testing.T) {
	addr := serve(t, KernelBackend())
	c := must(net.Dial("tcp4", addr))(t)
	defer c.Close()
	r := &raw{c: c, r: bufio.NewReader(c)}
	r.hello(t)

	for _, tc := range []struct {
		line, errno string
		id          float64
		msg         string
	}{
		{`this is not json`, "EINVAL", 0, "bad request"},
		{`{"id": 4, "op": "read", "fd": "x"}`, "EINVAL", 4, "bad request"},
		{`[1,2,3]`, "EINVAL", 0, "bad request"},
		{`{"id": 5, "op": "frobnicate"}`, "ENOSYS", 5, `unknown op "frobnicate"`},
		{`{"id": 6}`, "ENOSYS", 6, "unknown op"},
		{`{"id": 7, "op": "close", "fd": 1}`, "EBADF", 7, "not a socket of this connection"},
		{`{"id": 8, "op": "read", "fd": 12345, "size": 10}`, "EBADF", 8, "fd 12345"},
		{`{"id": 9, "op": "close"}`, "EBADF", 9, "fd 0"},
	} {
		m := r.rt(t, tc.line)
		if m["ok"] != false || m["errno"] != tc.errno || m["id"] != tc.id || !strings.Contains(m["error"].(string), tc.msg) {
			t.Errorf("%s → %v, want errno %s id %v error containing %q", tc.line, m, tc.errno, tc.id, tc.msg)
		}
	}
	// Field errors on a real socket.
	fd := r.rt(t, `{"id": 10, "op": "socket"}`)["fd"].(float64)
	for _, tc := range []struct{ line, errno string }{
		{`{"id": 11, "op": "shutdown", "fd": FD, "how": "sideways"}`, "EINVAL"},
		{`{"id": 12, "op": "connect", "fd": FD, "addr": "[::1]:80"}`, "EINVAL"},
		{`{"id": 13, "op": "setsockopt", "fd": FD, "name": "TCP_NODELAY"}`, "EINVAL"},
		{`{"id": 14, "op": "read", "fd": FD, "size": -1}`, "EINVAL"},
		{`{"id": 15, "op": "read", "fd": FD, "size": 10, "timeout_ms": 10}`, "ENOTCONN"},
	} {
		line := strings.ReplaceAll(tc.line, "FD", strings.TrimSuffix(strings.TrimSuffix(jsonNum(fd), ".0"), ".00"))
		m := r.rt(t, line)
		if m["ok"] != false || m["errno"] != tc.errno {
			t.Errorf("%s → %v, want errno %s", line, m, tc.errno)
		}
	}
	// The server is still there, and the empty read answer has data "".
	if m := r.rt(t, `{"id": 20, "op": "hello"}`); m["ok"] != true || m["stack"] != "kernel" {
		t.Errorf("hello after errors: %v", m)
	}
	// A second client is unaffected, and sees its own fds only.
	c2 := dial(t, addr)
	if err := c2.Close(testCtx(t), FD(fd)); !errors.Is(err, syscall.EBADF) {
		t.Errorf("closing another connection's fd: %v, want EBADF", err)
	}
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }

// A connection's sockets are closed when it ends.
func TestSocketsClosedWithConnection(t *testing.T) {
	addr := serve(t, KernelBackend())
	ctx := testCtx(t)
	c := dial(t, addr)
	ln := must(c.Socket(ctx))(t)
	a := must(c.BindAddr(ctx, ln, netip.MustParseAddrPort("127.0.0.1:0")))(t)
	noErr(t, c.Listen(ctx, ln, 1))
	if _, err := net.DialTimeout("tcp4", a.String(), time.Second); err != nil {
		t.Fatalf("listener not there: %v", err)
	}
	c.Disconnect()
	if _, err := c.Hello(ctx); !errors.Is(err, ErrClientClosed) {
		t.Errorf("call after Disconnect: %v", err)
	}
	if !testenv.Eventually(3*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp4", a.String(), time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	}) {
		t.Fatal("the listener outlived its control connection")
	}
}

// Serve returns promptly when its context ends, also with calls blocked,
// and leaves no goroutine behind (goleak in TestMain).
func TestServeShutdown(t *testing.T) {
	ln := must(net.Listen("tcp4", "127.0.0.1:0"))(t)
	stop := startServe(ln, &Server{Backend: KernelBackend()})
	c := dial(t, ln.Addr().String())
	cctx := testCtx(t)
	fd := must(c.Socket(cctx))(t)
	noErr(t, c.Bind(cctx, fd, netip.MustParseAddrPort("127.0.0.1:0")))
	noErr(t, c.Listen(cctx, fd, 1))
	accepted := make(chan error, 1)
	go func() { _, _, err := c.Accept(cctx, fd, 0); accepted <- err }() // blocks: no timeout
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	if err := stop(3 * time.Second); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := <-accepted; err == nil {
		t.Error("accept succeeded after shutdown")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if _, err := net.DialTimeout("tcp4", ln.Addr().String(), time.Second); err == nil {
		t.Error("listener still open after Serve returned")
	}
}

// A call cancelled by its context returns the context's error and breaks
// the client; the agent ends the blocked call.
func TestClientCancel(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	ctx := testCtx(t)
	fd := must(c.Socket(ctx))(t)
	noErr(t, c.Bind(ctx, fd, netip.MustParseAddrPort("127.0.0.1:0")))
	noErr(t, c.Listen(ctx, fd, 1))
	// (A second: the agent's answer comes a tenth of it, 100 ms, before
	// the context ends, time enough on a loaded machine.)
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	// Timeout from the context: the agent answers EAGAIN first.
	if _, _, err := c.Accept(short, fd, 0); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("accept with the context's deadline: %v, want EAGAIN", err)
	}
	short2, cancel2 := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, cancel2)
	if _, _, err := c.Accept(short2, fd, 10*time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled accept: %v", err)
	}
	if _, err := c.Hello(ctx); !errors.Is(err, ErrClientClosed) {
		t.Errorf("after a cancelled call: %v, want ErrClientClosed", err)
	}
}

// TestKernelIPOptions: set_ip_options hands its bytes to IP_OPTIONS as they
// are (read back with getsockopt on the agent's socket), empty data clears
// them, more than an IPv4 header holds is EINVAL, a malformed option the
// kernel's own EINVAL; hello lists IP_OPTIONS.
func TestKernelIPOptions(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	ctx := testCtx(t)
	if h := must(c.Hello(ctx))(t); !slices.Contains(h.Options, "IP_OPTIONS") {
		t.Errorf("hello options %v lack IP_OPTIONS", h.Options)
	}
	fd := must(c.Socket(ctx))(t)
	get := func() []byte {
		t.Helper()
		// Raw getsockopt: unix.GetsockoptString would stop at a zero byte.
		buf := make([]byte, 40)
		n := uint32(len(buf))
		if _, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.IPPROTO_IP, unix.IP_OPTIONS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0); e != 0 {
			t.Fatal(e)
		}
		return buf[:n]
	}
	// A loose source route: first hop 192.0.2.1, destination 192.0.2.2,
	// then EOL padding to 12 octets.
	lsrr := []byte{131, 11, 4, 192, 0, 2, 1, 192, 0, 2, 2, 0}
	noErr(t, c.SetIPOptions(ctx, fd, lsrr))
	if got := get(); !bytes.Equal(got, lsrr) {
		t.Errorf("IP_OPTIONS % x after set_ip_options % x", got, lsrr)
	}
	noErr(t, c.SetIPOptions(ctx, fd, nil))
	if got := get(); len(got) != 0 {
		t.Errorf("IP_OPTIONS % x after clearing them", got)
	}
	if err := c.SetIPOptions(ctx, fd, make([]byte, 44)); !errors.Is(err, syscall.EINVAL) || errors.Is(err, ErrUnsupported) {
		t.Errorf("44 bytes of options: %v, want EINVAL", err)
	}
	if err := c.SetIPOptions(ctx, fd, []byte{131, 3, 4, 0}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("a source route without addresses: %v, want the kernel's EINVAL", err)
	}
	if err := c.SetIPOptions(ctx, fd+100, lsrr); !errors.Is(err, syscall.EBADF) {
		t.Errorf("another connection's fd: %v, want EBADF", err)
	}
}

// TestClientObserve checks that an observed client reports every call, as
// the system call it stands for, with its result and times.
func TestClientObserve(t *testing.T) {
	c := dial(t, serve(t, KernelBackend()))
	ctx := testCtx(t)
	var calls []Call
	c.Observe(func(call Call) { calls = append(calls, call) })
	lfd := must(c.Socket(ctx))(t)
	noErr(t, c.Bind(ctx, lfd, netip.MustParseAddrPort("127.0.0.1:0")))
	noErr(t, c.Listen(ctx, lfd, 4))
	if _, _, err := c.Accept(ctx, lfd, 10*time.Millisecond); err == nil {
		t.Fatal("accept with no client succeeded")
	}
	noErr(t, c.SetSockopt(ctx, lfd, "SO_RCVBUF", 8192))
	noErr(t, c.Close(ctx, lfd))
	c.Observe(nil)
	c.Close(ctx, lfd+100) // not observed
	want := []string{
		"socket() = " + strconv.Itoa(int(lfd)),
		fmt.Sprintf("bind(%d, 127.0.0.1:0)", lfd),
		fmt.Sprintf("listen(%d)", lfd),
		fmt.Sprintf("accept(%d) = EAGAIN", lfd),
		fmt.Sprintf("setsockopt(%d, SO_RCVBUF, 8192)", lfd),
		fmt.Sprintf("close(%d)", lfd),
	}
	var got []string
	for i, call := range calls {
		got = append(got, call.String())
		if call.End.Before(call.Start) || i > 0 && call.Start.Before(calls[i-1].End) {
			t.Errorf("call %d (%v): times %v .. %v out of order", i, call, call.Start, call.End)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	r := Call{Request: Request{Op: "read", FD: 4}, Response: &Response{OK: true, Data: &[]byte{}}}
	w := Call{Request: Request{Op: "write", FD: 4, Data: []byte("ping")}, Response: &Response{OK: true, N: new(int)}}
	if r.String() != "read(4) = 0 (EOF)" || w.String() != `write(4, "ping") = 0` {
		t.Errorf("read and write: %q, %q", r, w)
	}
}
