package tcpstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"tcpregress.dev/tcpstack/link/pipe"
	"tcpregress.dev/tcpstack/tcp"
)

// testSeed is the seed of a test's random faults: TEST_SEED when set (to
// replay a failure), the clock otherwise; it is logged either way.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TEST_SEED"); s != "" {
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("TEST_SEED=%q: %v", s, err)
		}
	}
	t.Logf("TEST_SEED=%d", seed)
	return seed
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var (
	macA  = net.HardwareAddr{2, 0, 0, 0, 0, 1}
	macB  = net.HardwareAddr{2, 0, 0, 0, 0, 2}
	addrA = netip.MustParsePrefix("198.18.0.1/24")
	addrB = netip.MustParsePrefix("198.18.0.2/24")
)

// stackPair returns two stacks joined by an in-memory link; both close in
// t.Cleanup.
func stackPair(t *testing.T, f pipe.Faults, tune func(*Config)) (a, b *Stack) {
	t.Helper()
	a, b, _ = stackPairLinks(t, f, tune)
	return a, b
}

// stackPairLinks is stackPair that also returns a's end of the link: what
// is written there reaches b as if a third host on the wire had sent it.
func stackPairLinks(t *testing.T, f pipe.Faults, tune func(*Config)) (a, b *Stack, la *pipe.Endpoint) {
	t.Helper()
	la, lb := pipe.New(macA, macB, f)
	ca := Config{Link: la, Addr: addrA}
	cb := Config{Link: lb, Addr: addrB}
	if tune != nil {
		tune(&ca)
		tune(&cb)
	}
	var err error
	if a, err = New(ca); err != nil {
		t.Fatal(err)
	}
	if b, err = New(cb); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
	return a, b, la
}

func listen(t *testing.T, s *Stack, port int) *Listener {
	t.Helper()
	l, err := s.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// acceptOne accepts one connection on l in the background, hands it to serve
// and closes it after.
func acceptOne(l net.Listener, serve func(c net.Conn)) {
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
}

// echoServer serves a listener (ours or the kernel's): each connection gets back what it
// sent, then the server closes its side.
func echoServer(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			io.Copy(c, c)
			c.Close()
		}()
	}
}

func TestPipeEcho(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 7)
	acceptOne(l, func(c net.Conn) { io.Copy(c, c) })
	c, err := a.Dial("tcp", "198.18.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.LocalAddr().(*net.TCPAddr).IP.String() != "198.18.0.1" || c.RemoteAddr().String() != "198.18.0.2:7" {
		t.Errorf("addresses %v -> %v", c.LocalAddr(), c.RemoteAddr())
	}
	for _, msg := range []string{"hello", strings.Repeat("x", 5000), "bye"} {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes: %v", len(msg), err)
		}
	}
	if n, err := c.Write(nil); n != 0 || err != nil {
		t.Errorf("zero-length write: %d, %v", n, err)
	}
	info := c.(*Conn).Info()
	if info.State != tcp.StateEstablished || !info.SACK || !info.Timestamps || !info.WindowScale {
		t.Errorf("Info after echo: %+v", info)
	}
}

// halfCloser is a TCP connection whose sending side closes alone: ours
// (*Conn) or the kernel's (*net.TCPConn).
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// randomData returns n bytes from a generator seeded with seed.
func randomData(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// sendAndCheck writes data to c and then closes c's sending side, while it
// reads from c until the peer's FIN: what comes back must be data again
// (SHA-256), as an echo server (echoServer) or transfer's accepting side
// sends it.
func sendAndCheck(t testing.TB, c halfCloser, data []byte) {
	t.Helper()
	want := sha256.Sum256(data)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.CloseWrite()
		}
		errc <- err
	}()
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		t.Fatalf("reading: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("writing: %v", err)
	}
	if !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("SHA-256 of what came back differs from what was sent")
	}
}

// transfer moves size bytes each way between c and the connection ln
// accepts, one way after the other: the accepting side reads until c's FIN,
// checks the SHA-256 of what it read, and sends the same bytes back, which
// c checks in turn. ln and c may be ours or the kernel's.
func transfer(t testing.TB, ln net.Listener, c halfCloser, size int) {
	t.Helper()
	data := randomData(size, 7)
	srv := make(chan error, 1)
	go func() { srv <- checkAndSendBack(ln, data) }()
	defer func() {
		c.Close() // so that the accepting side is not left waiting for a FIN
		if err := <-srv; err != nil {
			t.Errorf("accepting side: %v", err)
		}
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Minute))
	sendAndCheck(t, c, data)
}

// checkAndSendBack is transfer's accepting side.
func checkAndSendBack(ln net.Listener, data []byte) error {
	c, err := ln.Accept()
	if err != nil {
		return err
	}
	defer c.Close()
	h := sha256.New()
	if _, err := io.Copy(h, c); err != nil {
		return fmt.Errorf("reading: %w", err)
	}
	if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
		return errors.New("SHA-256 of what it read differs from what was sent")
	}
	if _, err := c.Write(data); err != nil {
		return fmt.Errorf("sending back: %w", err)
	}
	return nil
}

// answerAfterFIN is the accepting side of a half-close test: it reads to
// the peer's FIN, then, its own side still open, answers "re: " and what it
// read.
func answerAfterFIN(c net.Conn) error {
	q, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	_, err = c.Write(append([]byte("re: "), q...))
	return err
}

// askAfterHalfClose sends q on c and closes c's sending side; the peer
// (answerAfterFIN) must answer "re: " and q on the half-closed connection.
func askAfterHalfClose(t testing.TB, c halfCloser, q string) {
	t.Helper()
	if _, err := c.Write([]byte(q)); err != nil {
		t.Fatalf("writing %q: %v", q, err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(c); err != nil || string(got) != "re: "+q {
		t.Fatalf("answer to %q after half-close: %q, %v", q, got, err)
	}
}

// resetAfterFirstByte is the accepting side of a reset test, for
// acceptOne: once the peer's first byte has come it sets SO_LINGER 0, so
// that acceptOne's Close aborts the connection. Resetting before that byte
// could race the peer's connect and fail its Dial instead (Go reads
// SO_ERROR after the handshake).
func resetAfterFirstByte(c net.Conn) {
	c.Read(make([]byte, 1))
	c.(interface{ SetLinger(int) error }).SetLinger(0)
}

// expectReset sends c's peer (resetAfterFirstByte) its first byte and
// expects the reset: c's read fails with ECONNRESET.
func expectReset(t testing.TB, c net.Conn, what string) {
	t.Helper()
	c.Write([]byte{1})
	readReset(t, c, what)
}

// readReset expects c's next read to fail with ECONNRESET.
func readReset(t testing.TB, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("%s: read %v, want ECONNRESET", what, err)
	}
}

// dial connects from a to b's port on the pipe pair of stackPair.
func dial(t testing.TB, a *Stack, port int) *Conn {
	t.Helper()
	c, err := a.DialTCP(context.Background(), "tcp", fmt.Sprintf("198.18.0.2:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPipeTransfer(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	transfer(t, listen(t, b, 9000), dial(t, a, 9000), 8<<20)
}

func TestPipeTransferWithFaults(t *testing.T) {
	seed := testSeed(t)
	f := pipe.Faults{Loss: 0.03, Duplicate: 0.01, Reorder: 0.03, Corrupt: 0.005, Delay: time.Millisecond, Jitter: time.Millisecond, Seed: seed}
	a, b := stackPair(t, f, func(c *Config) {
		c.TCP.RTOMin = 50 * time.Millisecond
		c.TCP.InitialRTO = 200 * time.Millisecond
		// TR_DEBUG=1 logs both stacks at trace level, to replay a failure
		// together with TEST_SEED.
		if os.Getenv("TR_DEBUG") != "" {
			c.Logger = zerolog.New(os.Stderr).Level(zerolog.TraceLevel).With().Str("stack", c.Addr.Addr().String()).Logger()
		}
	})
	transfer(t, listen(t, b, 9000), dial(t, a, 9000), 2<<20)
}

func TestPipeRefusedAndReset(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	_, err := a.Dial("tcp", "198.18.0.2:81")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial to a closed port: %v", err)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Errorf("error is not a dial *net.OpError: %#v", err)
	}
	// A reset by the peer (SetLinger(0) + Close) surfaces as ECONNRESET.
	acceptOne(listen(t, b, 80), resetAfterFirstByte)
	expectReset(t, dial(t, a, 80), "after the peer's reset")
	// The reset may also come before any data, at once after the
	// handshake: our dial still succeeds (its connection was established)
	// and the first read reports the reset.
	acceptOne(listen(t, b, 82), func(c net.Conn) { c.(interface{ SetLinger(int) error }).SetLinger(0) })
	readReset(t, dial(t, a, 82), "after the peer's reset before any data")
}

func TestPipeHalfClose(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	done := make(chan error, 1)
	acceptOne(listen(t, b, 80), func(c net.Conn) { done <- answerAfterFIN(c) })
	c := dial(t, a, 80)
	askAfterHalfClose(t, c, "question")
	if _, err := c.Write([]byte("more")); err == nil {
		t.Error("write after CloseWrite succeeded")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPipeDeadlinesAndClose(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := a.Dial("tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	srv := <-accepted
	defer srv.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline: %v", err)
	}
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("deadline error is not a timeout net.Error: %#v", err)
	}
	// A blocked read returns net.ErrClosed when the conn is closed.
	c.SetReadDeadline(time.Time{})
	rerr := make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 1))
		rerr <- err
	}()
	time.Sleep(10 * time.Millisecond)
	c.Close()
	if err := <-rerr; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("blocked read after Close: %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	if err := c.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	// The server sees the orderly close.
	srv.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := srv.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("server read after the client's Close: %v", err)
	}
	// Accept honours its deadline.
	l.SetDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := l.Accept(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Accept past the deadline: %v", err)
	}
}

func TestPipeHTTP(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	})}
	go srv.Serve(l)
	defer srv.Close()
	tr := &http.Transport{DialContext: a.DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for i := range 5 {
		resp, err := client.Get(fmt.Sprintf("http://198.18.0.2/p%d", i))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != fmt.Sprintf("hello /p%d", i) {
			t.Fatalf("body %q", body)
		}
	}
}

func TestPipeManyConnections(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	go echoServer(listen(t, b, 80))
	manyEchoes(t, a, netip.MustParseAddrPort("198.18.0.2:80"), 100)
}

// manyEchoes opens n connections at once from s to an echo server
// (echoServer) at dst; each sends a message of its own, half-closes, and
// must get the message back before the server's FIN.
func manyEchoes(t *testing.T, s *Stack, dst netip.AddrPort, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := s.DialTCP(ctx, "tcp", dst.String())
			if err != nil {
				errs <- fmt.Errorf("conn %d: %w", i, err)
				return
			}
			defer c.Close()
			msg := bytes.Repeat([]byte{byte(i)}, 1000+i*10)
			c.Write(msg)
			c.CloseWrite()
			if got, err := io.ReadAll(c); err != nil || !bytes.Equal(got, msg) {
				errs <- fmt.Errorf("conn %d: %d bytes back of %d, %v", i, len(got), len(msg), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestStackCloseResetsEverything: Stack.Close resets open connections (the
// peer sees ECONNRESET), unblocks callers and leaves no goroutine behind
// (goleak checks the last part for every test).
func TestStackCloseResetsEverything(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	acc := make(chan net.Conn, 1)
	go func() { c, _ := l.Accept(); acc <- c }()
	c, err := a.Dial("tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	srv := <-acc
	blocked := make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 1))
		blocked <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; !errors.Is(err, net.ErrClosed) {
		t.Errorf("read blocked across Stack.Close: %v", err)
	}
	srv.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := srv.Read(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("peer of a closed stack: %v", err)
	}
	if _, err := a.Dial("tcp", "198.18.0.2:80"); !errors.Is(err, net.ErrClosed) {
		t.Errorf("dial on a closed stack: %v", err)
	}
}

func TestDialFromPort(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	c, err := a.DialTCPFrom(t.Context(), "tcp", 4242, "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.LocalAddr().(*net.TCPAddr).Port; p != 4242 {
		t.Fatalf("local port %d, want 4242", p)
	}
	if _, err := a.DialTCPFrom(t.Context(), "tcp", 4242, "198.18.0.2:80"); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second dial from the same port to the same peer: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	la, lb := pipe.New(macA, macB, pipe.Faults{})
	defer la.Close()
	defer lb.Close()
	for name, cfg := range map[string]Config{
		"no link":    {Addr: addrA},
		"no addr":    {Link: la},
		"ipv6":       {Link: la, Addr: netip.MustParsePrefix("2001:db8::1/64")},
		"far gw":     {Link: la, Addr: addrA, Gateway: netip.MustParseAddr("198.19.0.1")},
		"tiny MTU":   {Link: la, Addr: addrA, MTU: 100},
		"bad listen": {Link: la, Addr: addrA},
	} {
		if name == "bad listen" {
			continue
		}
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// TestDialUserTimeout: a user timeout given before the SYN bounds the
// connection attempt (RFC9293 MUST-22, MUST-23): toward a peer that
// swallows every packet, the dial fails with ETIMEDOUT at 1 s, long before
// the context's deadline and R2SYN.
func TestDialUserTimeout(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	b.SetRawHandler(func([]byte, time.Time) bool { return true }) // silent peer
	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
	defer cancel()
	start := time.Now()
	_, err := a.DialTCPOptions(ctx, "tcp", "198.18.0.2:80", DialOptions{UserTimeout: time.Second})
	d := time.Since(start)
	if !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("dial: %v after %v, want ETIMEDOUT", err, d)
	}
	if d < 900*time.Millisecond || d > 3*time.Second {
		t.Fatalf("dial gave up after %v with a 1 s user timeout", d)
	}
}

// TestWriteUrgent: urgent data goes inline with URG set and the urgent
// pointer at the octet after it (RFC9293 §3.8.5, MUST-62); ordinary data
// carries no URG.
func TestWriteUrgent(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	type urg struct {
		payload string
		urgent  uint16
	}
	segs := make(chan urg, 16)
	b.SetRawHandler(func(p []byte, _ time.Time) bool {
		if _, seg, ok := tcpPacket(p); ok && len(seg.Payload) > 0 {
			u := urg{payload: string(seg.Payload)}
			if seg.Flags&tcp.FlagURG != 0 {
				u.urgent = seg.Urgent
			}
			select {
			case segs <- u:
			default:
			}
		}
		return false // the stack handles it too
	})
	l := listen(t, b, 80)
	got := make(chan string, 1)
	acceptOne(l, func(c net.Conn) {
		d, _ := io.ReadAll(c)
		got <- string(d)
	})
	c, err := a.DialTCP(t.Context(), "tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteUrgent(nil); err == nil {
		t.Error("WriteUrgent of nothing succeeded")
	}
	if _, err := c.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	if u := <-segs; u != (urg{"ab", 0}) {
		t.Fatalf("ordinary data: %+v", u)
	}
	if _, err := c.WriteUrgent([]byte("!!!")); err != nil {
		t.Fatal(err)
	}
	if u := <-segs; u != (urg{"!!!", 3}) {
		t.Fatalf("urgent data: %+v, want URG with pointer 3", u)
	}
	c.Close()
	if d := <-got; d != "ab!!!" {
		t.Fatalf("received %q", d)
	}
}

// TestSocketTTLAndRecvBuffer: IP_TTL (RFC9293 MUST-49) and SO_RCVBUF set
// before the handshake, for a dial and for a listener, apply from the SYN
// and SYN-ACK on; SetTTL changes the TTL of later segments.
func TestSocketTTLAndRecvBuffer(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	type pkt struct {
		ttl   uint8
		flags tcp.Flags
		win   uint16
		data  int
	}
	peek := func(ch chan pkt) RawHandler {
		return func(p []byte, _ time.Time) bool {
			if h, seg, ok := tcpPacket(p); ok {
				select {
				case ch <- pkt{h.TTL(), seg.Flags, seg.Window, len(seg.Payload)}:
				default:
				}
			}
			return false
		}
	}
	atA, atB := make(chan pkt, 64), make(chan pkt, 64)
	a.SetRawHandler(peek(atA))
	b.SetRawHandler(peek(atB))
	l, err := b.ListenTCPOptions("tcp", ":80", ListenOptions{RecvBuffer: 4096, TTL: 33})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acceptOne(l, func(c net.Conn) { io.Copy(io.Discard, c) })
	c, err := a.DialTCPOptions(t.Context(), "tcp", "198.18.0.2:80", DialOptions{TTL: 17, RecvBuffer: 8192})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := <-atB; p.flags != tcp.FlagSYN || p.ttl != 17 || p.win != 8192 {
		t.Fatalf("SYN %+v, want TTL 17 and window 8192", p)
	}
	if p := <-atA; p.flags != tcp.FlagSYN|tcp.FlagACK || p.ttl != 33 || p.win != 4096 {
		t.Fatalf("SYN-ACK %+v, want TTL 33 and window 4096", p)
	}
	if err := c.SetTTL(0); err == nil {
		t.Error("SetTTL(0) succeeded")
	}
	if err := c.SetTTL(99); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	for p := range atB {
		if p.data > 0 {
			if p.ttl != 99 {
				t.Fatalf("data with TTL %d after SetTTL(99)", p.ttl)
			}
			break
		}
	}
}

// TestListenerSetReadBufferAndTTL: SO_RCVBUF and IP_TTL set on a listener
// after Listen apply to the connections that arrive next.
func TestListenerSetReadBufferAndTTL(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	synAcks := make(chan [2]int, 8)
	a.SetRawHandler(func(p []byte, _ time.Time) bool {
		if h, seg, ok := tcpPacket(p); ok && seg.Flags&tcp.FlagSYN != 0 {
			synAcks <- [2]int{int(h.TTL()), int(seg.Window)}
		}
		return false
	})
	l := listen(t, b, 80)
	if err := l.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	if err := l.SetTTL(0); err == nil {
		t.Error("SetTTL(0) succeeded")
	}
	if err := l.SetTTL(33); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	c, err := a.DialTCP(t.Context(), "tcp", "198.18.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := <-synAcks; got != [2]int{33, 4096} {
		t.Fatalf("SYN-ACK TTL and window %v, want [33 4096]", got)
	}
}

// TestDialCancelAfterEstablished: a dial whose context ends after the
// handshake completed, but before dial saw it, returns the ESTABLISHED
// connection, whose close then sends a FIN (RFC 9293 §3.10.4); it does not
// abort it as a connection still in SYN-SENT. Both of dial's wake-ups are
// ready when it waits, and select picks one at random: over 32 dials the
// abort would be taken with a probability of 1-2⁻³².
func TestDialCancelAfterEstablished(t *testing.T) {
	a, b := stackPair(t, pipe.Faults{}, nil)
	l := listen(t, b, 80)
	var stop context.CancelFunc
	dialWaitHook = func(c *Conn) {
		<-c.established
		stop()
	}
	t.Cleanup(func() { dialWaitHook = nil })
	for i := range 32 {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		stop = cancel
		c, err := a.DialTCP(ctx, "tcp", "198.18.0.2:80")
		if err != nil {
			t.Fatalf("dial %d, its context ended after the handshake: %v", i, err)
		}
		p, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		if n, err := p.Read(make([]byte, 1)); n != 0 || err != io.EOF {
			t.Fatalf("dial %d: the peer read %d, %v after close, want the FIN (EOF)", i, n, err)
		}
		p.Close()
	}
}
