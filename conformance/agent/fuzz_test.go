//go:build linux && cgo

package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/link/pipe"
)

// FuzzRequest feeds arbitrary bytes to what decodes a control
// connection's requests: the bounded line reader, the id of an overlong
// line, the handshake, and the requests of an authenticated connection,
// served by the tcpstack backend over an in-memory link (so that every op
// runs for real, reaching nothing outside the process). Nothing may panic,
// every line gets an answer with its id, and a failed answer has an errno.
func FuzzRequest(f *testing.F) {
	nonce, _ := json.Marshal(make([]byte, nonceSize))
	for _, s := range []string{
		`{"id": 1, "op": "hello", "version": 2, "nonce": ` + string(nonce) + `}`,
		`{"id": 2, "op": "auth", "proof": "AAAA"}`,
		`{"id": 3, "op": "socket"}`,
		`{"id": 4, "op": "bind", "fd": 1, "addr": "198.18.0.2:80"}`,
		`{"id": 5, "op": "listen", "fd": 1, "backlog": 4}`,
		`{"id": 6, "op": "accept", "fd": 1, "timeout_ms": 5}`,
		`{"id": 7, "op": "connect", "fd": 1, "addr": "198.18.0.3:80", "timeout_ms": 5}`,
		`{"id": 8, "op": "setsockopt", "fd": 1, "name": "TCP_NODELAY", "value": 1}`,
		`{"id": 9, "op": "getsockopt", "fd": 1, "name": "SO_ERROR"}`,
		`{"id": 10, "op": "read", "fd": 1, "size": 10, "timeout_ms": 5}`,
		`{"id": 11, "op": "write", "fd": 1, "data": "aGVsbG8=", "flags": ["MSG_MORE"]}`,
		`{"id": 12, "op": "shutdown", "fd": 1, "how": "wr"}`,
		`{"id": 13, "op": "poll", "fd": 1, "events": ["POLLIN"], "timeout_ms": 5}`,
		`{"id": 14, "op": "set_ip_options", "fd": 1, "data": "AQEBAA=="}`,
		`{"id": 15, "op": "close", "fd": 1}`,
		`{"id": 16, "op": "tcp_info", "fd": 1}`,
		"{\"id\": 17, \"op\": \"socket\"}\n{\"id\": 18, \"op\": \"bind\", \"fd\": 1, \"addr\": \"0.0.0.0:0\"}\n",
		`{"id": 99999999999999999999}`, `[1,2]`, "\x00\xff\n\n", `{"op": {"id": 3}}`,
	} {
		f.Add([]byte(s))
	}
	la, lb := pipe.New(net.HardwareAddr{2, 0, 0, 0, 0, 2}, net.HardwareAddr{2, 0, 0, 0, 0, 3}, pipe.Faults{})
	target, err := tcpstack.New(tcpstack.Config{Link: la, Addr: netip.MustParsePrefix("198.18.0.2/24")})
	if err != nil {
		f.Fatal(err)
	}
	defer target.Close()
	peer, err := tcpstack.New(tcpstack.Config{Link: lb, Addr: netip.MustParsePrefix("198.18.0.3/24")})
	if err != nil {
		f.Fatal(err)
	}
	defer peer.Close()
	srv := &Server{Backend: StackBackend(target), Secret: NewSecret(),
		AllowPeers: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")}, TestAddrs: []netip.Addr{target.Addr()},
		Limits: Limits{MaxSockets: 8, AuthFailDelay: time.Millisecond}}
	sv := &serving{Server: srv, lim: srv.Limits.withDefaults(), test: srv.TestAddrs}
	sv.conns = newConns(sv.lim)

	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 256
		lr := newLineReader(bytes.NewReader(in), max)
		var lines [][]byte
		for {
			l, err := lr.next()
			if err == errLineTooLong {
				if len(l) > tooLongPrefix {
					t.Fatalf("kept %d bytes of an overlong line", len(l))
				}
				peekID(l)
				continue
			}
			if err != nil {
				if err != io.EOF {
					t.Fatal(err)
				}
				break
			}
			if len(l) > max || bytes.IndexByte(l, '\n') >= 0 {
				t.Fatalf("line of %d bytes: %q", len(l), l)
			}
			lines = append(lines, append([]byte(nil), l...))
		}
		if len(lines) == 0 {
			lines = [][]byte{in}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		check := func(line []byte, r *Response) {
			if r == nil {
				t.Fatalf("%q: no answer", line)
			}
			if !r.OK && r.Errno == "" {
				t.Fatalf("%q: a failure without an errno: %+v", line, r)
			}
			var req struct{ ID int64 }
			if json.Unmarshal(line, &req) == nil && r.ID != req.ID {
				t.Fatalf("%q: answered id %d", line, r.ID)
			}
		}
		// Before the handshake, and on an authenticated connection.
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		hs := &session{sv: sv, c: a, b: sv.Backend, fds: map[FD]bool{}, bound: map[FD]bool{},
			scope: scope{peer: netip.MustParseAddr("198.18.0.3"), allow: srv.AllowPeers, test: sv.test}}
		ready := &session{sv: sv, c: b, b: sv.Backend, fds: map[FD]bool{}, bound: map[FD]bool{}, stage: stageReady,
			scope: scope{peer: netip.MustParseAddr("198.18.0.3"), allow: srv.AllowPeers, test: sv.test}}
		for _, l := range lines {
			if hs.stage != stageReady {
				r, _ := hs.handshake(ctx, l)
				check(l, r)
			}
			check(l, ready.handle(ctx, l))
		}
		if hs.admitted {
			sv.conns.release()
		}
		sv.conns.leave(a)
		for fd := range ready.fds {
			if err := ready.b.Close(fd); err != nil && !errors.Is(err, net.ErrClosed) {
				t.Logf("close %d: %v", fd, err)
			}
		}
	})
}
