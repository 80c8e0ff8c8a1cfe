//go:build linux

package agent

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"tcpregress.dev/pcap/testenv"
)

func TestLimitSockets(t *testing.T) {
	addr, logs := serveSrv(t, &Server{Limits: Limits{MaxSockets: 3}})
	ctx := testCtx(t)
	c := dial(t, addr)
	ln := must(c.Socket(ctx))(t)
	a := must(c.BindAddr(ctx, ln, mustAP("127.0.0.1:0")))(t)
	noErr(t, c.Listen(ctx, ln, 4))
	cl := must(c.Socket(ctx))(t)
	noErr(t, c.Connect(ctx, cl, a, time.Second))
	must2(c.Accept(ctx, ln, time.Second))(t) // the third
	if _, err := c.Socket(ctx); !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "--max-sockets") {
		t.Errorf("a fourth socket: %v, want EMFILE naming --max-sockets", err)
	}
	kc := must(net.Dial("tcp4", a.String()))(t)
	defer kc.Close()
	if _, _, err := c.Accept(ctx, ln, time.Second); !errors.Is(err, syscall.EMFILE) {
		t.Errorf("accepting a fourth: %v, want EMFILE", err)
	}
	noErr(t, c.Close(ctx, cl))
	must2(c.Accept(ctx, ln, time.Second))(t) // room again
	if !strings.Contains(logs.String(), "too many sockets") {
		t.Errorf("not logged:\n%s", logs)
	}
}

func TestLimitConns(t *testing.T) {
	addr, logs := serveSrv(t, &Server{Limits: Limits{MaxConns: 2}})
	ctx := testCtx(t)
	c1 := dial(t, addr)
	dial(t, addr)
	_, err := Dial(ctx, addr, nil)
	if Errno(err) != "EUSERS" || !strings.Contains(err.Error(), "--max-conns") {
		t.Errorf("a third control connection: %v, want EUSERS naming --max-conns", err)
	}
	// Half-open connections and connections in their handshake do not
	// count.
	for range 5 {
		rawDial(t, addr)
	}
	c1.Disconnect()
	// The agent counts c1 out once it has seen it go.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := Dial(ctx, addr, nil)
		if err == nil {
			c.Disconnect()
			break
		}
		if Errno(err) != "EUSERS" || time.Now().After(deadline) {
			t.Fatalf("after one ended: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "too many control connections") {
		t.Errorf("not logged:\n%s", logs)
	}
}

func TestLimitLine(t *testing.T) {
	addr, logs := serveSrv(t, &Server{Limits: Limits{MaxLine: 8 << 10}})
	ctx := testCtx(t)
	r := rawDial(t, addr)
	r.hello(t)
	// An overlong request answers EMSGSIZE under its id; the connection
	// carries on.
	line := `{"id": 77, "op": "write", "fd": 3, "data": "` + strings.Repeat("A", 100<<10) + `"}`
	if m := r.rt(t, line); m["errno"] != "EMSGSIZE" || m["id"] != 77.0 || !strings.Contains(m["error"].(string), "--max-line") {
		t.Errorf("an overlong line: %v", m)
	}
	if m := r.rt(t, `{"id": 78, "op": "hello"}`); m["ok"] != true {
		t.Errorf("after an overlong line: %v", m)
	}
	if !strings.Contains(logs.String(), "request line too long") {
		t.Errorf("not logged:\n%s", logs)
	}

	// The client splits a big write into lines that fit.
	c := dial(t, addr)
	ln := must(c.Socket(ctx))(t)
	a := must(c.BindAddr(ctx, ln, mustAP("127.0.0.1:0")))(t)
	noErr(t, c.Listen(ctx, ln, 1))
	kc := must(net.Dial("tcp4", a.String()))(t)
	defer kc.Close()
	fd, _ := must2(c.Accept(ctx, ln, time.Second))(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	got := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(io.LimitReader(kc, int64(len(data)))); got <- b }()
	if n, err := c.Write(ctx, fd, data); n != len(data) || err != nil {
		t.Errorf("write of %d bytes with an 8 KiB line limit: %d, %v", len(data), n, err)
	}
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("the peer read %d bytes, not the %d written", len(b), len(data))
	}
}

func must2[A, B any](a A, b B, err error) func(t *testing.T) (A, B) {
	return func(t *testing.T) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

func TestLimitTimeouts(t *testing.T) {
	addr, logs := serveSrv(t, &Server{Limits: Limits{IdleTimeout: 300 * time.Millisecond, HandshakeTimeout: 300 * time.Millisecond}})
	ctx := testCtx(t)

	// Silent before the handshake: closed with a word why.
	r := rawDial(t, addr)
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if l, err := r.r.ReadString('\n'); err != nil || !strings.Contains(l, "the handshake did not end within 300ms") {
		t.Errorf("a silent connection got %q, %v", l, err)
	}
	r.closed(t)

	// Idle after it: the next call says what happened. A call that runs
	// longer than the idle timeout is not idleness.
	c := dial(t, addr)
	ln := must(c.Socket(ctx))(t)
	noErr(t, c.Bind(ctx, ln, mustAP("127.0.0.1:0")))
	noErr(t, c.Listen(ctx, ln, 1))
	if _, _, err := c.Accept(ctx, ln, 600*time.Millisecond); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("a 600 ms accept with a 300 ms idle timeout: %v, want EAGAIN", err)
	}
	if !testenv.Eventually(5*time.Second, func() bool { return strings.Contains(logs.String(), "control connection idle") }) {
		t.Fatalf("the idle connection was not closed:\n%s", logs)
	}
	_, err := c.Hello(ctx)
	if Errno(err) != "ETIMEDOUT" || !strings.Contains(err.Error(), "--idle-timeout") {
		t.Errorf("a call on a connection closed for idleness: %v", err)
	}
}

// TestFlood floods an agent with garbage lines, half-open control
// connections, oversized requests and connections that do not read their
// answers, while a well-behaved tester keeps working through it.
func TestFlood(t *testing.T) {
	secret := NewSecret()
	addr, logs := serveSrv(t, &Server{Secret: secret, Limits: Limits{AuthFailDelay: 10 * time.Millisecond}})
	ctx := testCtx(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	flood := func(fn func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				fn()
			}
		}()
	}
	var mu sync.Mutex
	var held []net.Conn
	hold := func(c net.Conn) {
		mu.Lock()
		held = append(held, c)
		mu.Unlock()
	}
	defer func() {
		close(stop)
		wg.Wait()
		for _, c := range held {
			c.Close()
		}
	}()
	// Half-open: 100 connections that say nothing (more than the 32 the
	// agent keeps in their handshake), then a new one every 10 ms in
	// place of the oldest.
	for range 100 {
		hold(must(net.Dial("tcp4", addr))(t))
	}
	flood(func() {
		time.Sleep(10 * time.Millisecond)
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			return
		}
		mu.Lock()
		held[0].Close()
		held = append(held[1:], c)
		mu.Unlock()
	})
	// Garbage lines before the handshake.
	flood(func() { spray(addr, []byte("\x00\xff garbage {\"id\": \n{]\n")) })
	// An oversized request before the handshake: 4 MiB on one line.
	big := bytes.Repeat([]byte("x"), 4<<20)
	flood(func() { spray(addr, append(big, '\n')) })
	// Wrong secrets: a tester that finds the agent's proof wrong hangs
	// up; one that goes on anyway is refused.
	flood(func() {
		if c, err := Dial(ctx, addr, []byte("not the secret, but long enough")); err == nil {
			c.Disconnect()
		}
	})
	nonce := jsonBytes(make([]byte, nonceSize))
	flood(func() {
		spray(addr, []byte(`{"id": 1, "op": "hello", "version": 2, "nonce": `+nonce+"}\n"+
			`{"id": 2, "op": "auth", "proof": `+nonce+"}\n"))
	})
	// An authenticated tester that sends garbage and oversized lines and
	// never reads the answers.
	rude := must(Dial(ctx, addr, secret))(t)
	rudeLine := append([]byte("{{{ not json\n"), big[:2<<20]...)
	flood(func() {
		rude.c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := rude.c.Write(rudeLine); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			time.Sleep(10 * time.Millisecond)
		}
	})
	defer rude.Disconnect()

	// The well-behaved tester: a fresh control connection each round,
	// a listener, a connection to it, an exchange.
	for i := range 20 {
		ctx := testCtx(t) // each round within 10 s
		c, err := Dial(ctx, addr, secret)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		ln := must(c.Socket(ctx))(t)
		a := must(c.BindAddr(ctx, ln, mustAP("127.0.0.1:0")))(t)
		noErr(t, c.Listen(ctx, ln, 1))
		cl := must(c.Socket(ctx))(t)
		noErr(t, c.Connect(ctx, cl, a, 2*time.Second))
		srv, _ := must2(c.Accept(ctx, ln, 2*time.Second))(t)
		must(c.Write(ctx, cl, []byte("ping")))(t)
		if d := must(c.Read(ctx, srv, 16, 2*time.Second))(t); string(d) != "ping" {
			t.Fatalf("round %d: read %q", i, d)
		}
		c.Disconnect()
	}
	l := logs.String()
	for _, want := range []string{"handshake refused", "authentication failed", "closed the oldest"} {
		if !strings.Contains(l, want) {
			t.Errorf("the flood left no %q in the log", want)
		}
	}
}

// spray sends data on a new control connection and reads what comes back
// until the agent closes it (or 2 s pass).
func spray(addr string, data []byte) {
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	c.Write(data)
	io.Copy(io.Discard, c)
}
