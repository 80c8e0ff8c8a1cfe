//go:build linux

package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"tcpregress.dev/tcpstack/syncbuf"
)

// serveSrv runs srv (its Backend the kernel's unless set) on a loopback
// listener until the test ends, logging into the returned buffer.
func serveSrv(t *testing.T, srv *Server) (string, *syncbuf.Buffer) {
	t.Helper()
	if srv.Backend == nil {
		srv.Backend = KernelBackend()
	}
	logs := &syncbuf.Buffer{}
	srv.Logger = zerolog.New(logs)
	ln := must(net.Listen("tcp4", "127.0.0.1:0"))(t)
	return serveOn(t, ln, srv), logs
}

// rawDial opens a control connection without the handshake.
func rawDial(t *testing.T, addr string) *raw {
	t.Helper()
	c := must(net.Dial("tcp4", addr))(t)
	t.Cleanup(func() { c.Close() })
	return &raw{c: c, r: bufio.NewReader(c)}
}

// closed waits for the agent to close r's connection, reading what comes
// before; it fails the test after 5 s.
func (r *raw) closed(t *testing.T) {
	t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := r.r.ReadBytes('\n'); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the agent did not close the connection")
			}
			return
		}
	}
}

func jsonBytes(b []byte) string { j, _ := json.Marshal(b); return string(j) }

func TestHandshake(t *testing.T) {
	secret := []byte("a secret of some thirty-two bytes")
	addr, logs := serveSrv(t, &Server{Secret: secret, Limits: Limits{AuthFailDelay: 200 * time.Millisecond}})
	ctx := testCtx(t)

	c := must(Dial(ctx, addr, secret))(t)
	h := must(c.Hello(ctx))(t)
	if h.Version != ProtocolVersion || h.Stack != "kernel" || h.MaxLine != DefaultMaxLine || h.MaxSockets != DefaultMaxSockets ||
		len(h.TestAddrs) != 1 || h.TestAddrs[0].String() != "127.0.0.1" || len(h.AllowPeers) != 1 || h.AllowPeers[0].String() != "127.0.0.1/32" {
		t.Errorf("hello: %+v", h)
	}
	c.Disconnect()

	// The tester has no secret, or another one: each side finds out.
	for _, s := range [][]byte{nil, []byte("another secret, also long enough")} {
		_, err := Dial(ctx, addr, s)
		if !errors.Is(err, ErrAuth) {
			t.Errorf("dial with secret %q: %v, want ErrAuth", s, err)
		} else {
			t.Log(err)
		}
	}
	// A tester that answers the agent's challenge with a wrong proof is
	// refused after the delay, logged with its address, and closed.
	r := rawDial(t, addr)
	m := r.rt(t, `{"id": 1, "op": "hello", "version": 2, "nonce": `+jsonBytes(make([]byte, nonceSize))+`}`)
	if m["ok"] != true || m["auth"] != true || m["nonce"] == nil || m["proof"] != nil || m["os"] != nil {
		t.Fatalf("hello with a secret: %v; want a challenge, and no proof and nothing about the host before the tester's proof", m)
	}
	start := time.Now()
	m = r.rt(t, `{"id": 2, "op": "auth", "proof": `+jsonBytes(make([]byte, 32))+`}`)
	if m["ok"] != false || m["errno"] != "EACCES" || !strings.Contains(m["error"].(string), "authentication failed") {
		t.Errorf("a wrong proof: %v", m)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("a wrong proof was answered after %v, before the fixed delay", d)
	}
	r.closed(t)
	if l := logs.String(); !strings.Contains(l, `"tester":"`+r.c.LocalAddr().String()+`","message":"agent: authentication failed"`) {
		t.Errorf("no log line of the failed authentication with the tester's address:\n%s", l)
	}

	// A requests before the handshake is refused and the connection closed.
	r = rawDial(t, addr)
	if m := r.rt(t, `{"id": 3, "op": "socket"}`); m["errno"] != "EPROTO" || !strings.Contains(m["error"].(string), `op "socket" before the handshake`) {
		t.Errorf("socket before the handshake: %v", m)
	}
	r.closed(t)

	// An agent without a secret cannot prove anything to a tester that has one.
	addr2, _ := serveSrv(t, &Server{})
	if _, err := Dial(ctx, addr2, secret); !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "the agent has no secret") {
		t.Errorf("an agent without a secret, a tester with one: %v", err)
	}
}

// Old and new on either side: each says which versions met.
func TestVersionMismatch(t *testing.T) {
	addr, _ := serveSrv(t, &Server{})
	for _, tc := range []struct{ line, want string }{
		{`{"id": 1, "op": "hello"}`, "the tester speaks protocol version 1"},
		{`{"id": 1, "op": "hello", "version": 3, "nonce": ` + jsonBytes(make([]byte, nonceSize)) + `}`, "the tester speaks protocol version 3, this agent version 2"},
		{`{"id": 1, "op": "hello", "version": 2, "nonce": "AAAA"}`, "a nonce of 3 bytes"},
		{`GET / HTTP/1.1`, "bad handshake"},
	} {
		r := rawDial(t, addr)
		m := r.rt(t, tc.line)
		if m["ok"] != false || !strings.Contains(m["error"].(string), tc.want) {
			t.Errorf("%s → %v, want an error saying %q", tc.line, m, tc.want)
		}
		r.closed(t)
	}

	// A version 1 agent answers hello without a version.
	ln := must(net.Listen("tcp4", "127.0.0.1:0"))(t)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		bufio.NewReader(c).ReadBytes('\n')
		c.Write([]byte(`{"id":1,"ok":true,"os":"linux","kernel":"6.1","stack":"kernel","options":["TCP_NODELAY"]}` + "\n"))
		c.Read(make([]byte, 1))
	}()
	_, err := Dial(testCtx(t), ln.Addr().String(), nil)
	if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), "the agent speaks protocol version 1") {
		t.Errorf("a version 1 agent: %v", err)
	}
}

// connect goes to the tester's address and the --allow-peer prefixes only,
// bind to the test addresses only, listen on a bound socket only.
func TestScope(t *testing.T) {
	addr, logs := serveSrv(t, &Server{})
	ctx := testCtx(t)
	c := dial(t, addr)
	fd := must(c.Socket(ctx))(t)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"bind 127.0.0.2", c.Bind(ctx, fd, mustAP("127.0.0.2:0")), "start it with --test-addr 127.0.0.2"},
		{"bind 0.0.0.0", c.Bind(ctx, fd, mustAP("0.0.0.0:0")), "every address"},
		{"listen unbound", c.Listen(ctx, fd, 1), "bind it to a test address first"},
		{"connect 127.0.0.2", c.Connect(ctx, fd, mustAP("127.0.0.2:1"), time.Second), "start it with --allow-peer 127.0.0.2/32"},
	} {
		if !errors.Is(tc.err, syscall.EACCES) || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: %v, want EACCES saying %q", tc.name, tc.err, tc.want)
		}
	}
	if !strings.Contains(logs.String(), "agent: call refused") {
		t.Errorf("refused calls not logged:\n%s", logs)
	}
	// The tester's own address is in scope: a closed port refuses.
	if err := c.Connect(ctx, fd, mustAP("127.0.0.1:1"), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect to the tester's address: %v, want ECONNREFUSED", err)
	}

	// --allow-peer and --test-addr widen it.
	addr2, _ := serveSrv(t, &Server{AllowPeers: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		TestAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.3"), netip.IPv4Unspecified()}})
	c2 := dial(t, addr2)
	fd2 := must(c2.Socket(ctx))(t)
	noErr(t, c2.Bind(ctx, fd2, mustAP("127.0.0.3:0")))
	fd3 := must(c2.Socket(ctx))(t)
	noErr(t, c2.Bind(ctx, fd3, mustAP("0.0.0.0:0")))
	noErr(t, c2.Listen(ctx, fd3, 1))
	if err := c2.Bind(ctx, must(c2.Socket(ctx))(t), mustAP("127.0.0.1:0")); !errors.Is(err, syscall.EACCES) {
		t.Errorf("bind to the listener's address when --test-addr names others: %v, want EACCES", err)
	}
	if err := c2.Connect(ctx, fd2, mustAP("127.0.0.2:1"), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect inside --allow-peer: %v, want ECONNREFUSED", err)
	}
}

func mustAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, []byte("0123456789abcdef0123\n"), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("tiny\n"), 0o600)

	t.Setenv(SecretEnv, "")
	os.Unsetenv(SecretEnv)
	if s, err := LoadSecret(""); s != nil || err != nil {
		t.Errorf("no file, no environment: %q, %v", s, err)
	}
	if s, err := LoadSecret(good); string(s) != "0123456789abcdef0123" || err != nil {
		t.Errorf("a file: %q, %v", s, err)
	}
	for _, f := range []string{short, filepath.Join(dir, "missing")} {
		if _, err := LoadSecret(f); err == nil {
			t.Errorf("%s accepted", f)
		} else {
			t.Log(err)
		}
	}
	t.Setenv(SecretEnv, "from the environment, long enough")
	if s, err := LoadSecret(""); string(s) != "from the environment, long enough" || err != nil {
		t.Errorf("the environment: %q, %v", s, err)
	}
	if _, err := LoadSecret(good); err == nil || !strings.Contains(err.Error(), "use one") {
		t.Errorf("a file and the environment: %v", err)
	}
}
