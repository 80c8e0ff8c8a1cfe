package agent

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// CheckResult is one check of [Check]: its name, whether the agent passed,
// and what was seen. Optional is set for a check of an op the MUST cases
// do not need (an agent may answer it unsupported: then Passed is true and
// Detail says so).
type CheckResult struct {
	Name     string
	Optional bool
	Passed   bool
	Detail   string
}

// MinimumOps are the ops an agent must serve for the suite's MUST cases to
// run: every other op (setsockopt and getsockopt names, set_ip_options,
// send_oob, tcp_info, set_nonblock, poll, send flags) may answer
// unsupported, which turns the cases that need it UNSUPPORTED.
var MinimumOps = []string{"hello", "socket", "bind", "listen", "accept", "connect", "read", "write", "shutdown", "close"}

// Check is a conformance test of an agent implementation: it drives the
// agent behind c through the protocol (hello, errors for an unknown op and
// a foreign fd, a listener, a connection the target's stack makes to its
// own address at addr, data both ways, a read timeout, half-close and
// EOF, options and the optional ops) and reports each check. The target's
// stack must reach its own address (the kernel and gVisor do through
// loopback; lwIP through LWIP_NETIF_LOOPBACK). The agents of this project
// pass it (agent and harness tests); someone porting the agent to a device
// runs it to know the port before running the suite.
func Check(ctx context.Context, c *Client, addr netip.Addr) []CheckResult {
	var out []CheckResult
	add := func(name string, optional bool, err error, detail string, args ...any) {
		r := CheckResult{Name: name, Optional: optional, Passed: err == nil, Detail: fmt.Sprintf(detail, args...)}
		if err != nil {
			r.Detail = err.Error()
			if optional && errors.Is(err, ErrUnsupported) {
				r.Passed, r.Detail = true, "unsupported: "+err.Error()
			}
		}
		out = append(out, r)
	}
	want := func(got error, errno string) error {
		if Errno(got) != errno {
			return fmt.Errorf("answered %v, want errno %s", got, errno)
		}
		return nil
	}

	h, err := c.Hello(ctx)
	if err == nil && (h.OS == "" || h.Stack == "") {
		err = fmt.Errorf("hello %+v: want os and stack", h)
	}
	add("hello", false, err, "stack %s %s, os %s, options %v", h.Stack, h.StackVersion, h.OS, h.Options)

	_, err = c.Do(ctx, Request{Op: "no-such-op"})
	add("unknown op answers ENOSYS", false, want(err, "ENOSYS"), "ENOSYS")
	add("a foreign fd answers EBADF", false, want(c.Close(ctx, 99999), "EBADF"), "EBADF")
	_, err = c.GetSockopt(ctx, 99999, "SO_NO_SUCH_OPTION")
	if Errno(err) != "EBADF" && !errors.Is(err, ErrUnsupported) {
		err = fmt.Errorf("getsockopt of an unknown name: %v, want unsupported or EBADF", err)
	} else {
		err = nil
	}
	add("an unknown option is unsupported", false, err, "ok")

	// A listener, and a connection to it from the same stack.
	port := uint16(20000 + rand.IntN(20000))
	lfd, err := c.Socket(ctx)
	if err == nil {
		err = c.Bind(ctx, lfd, netip.AddrPortFrom(addr, port))
	}
	if err == nil {
		err = c.Listen(ctx, lfd, 4)
	}
	add("socket, bind, listen", false, err, "listening on %s:%d", addr, port)
	if err != nil {
		return out
	}
	defer c.Close(ctx, lfd)
	_, _, err = c.Accept(ctx, lfd, 100*time.Millisecond)
	add("accept times out with EAGAIN", false, want(err, "EAGAIN"), "EAGAIN")

	cfd, err := c.Socket(ctx)
	if err == nil {
		err = c.Connect(ctx, cfd, netip.AddrPortFrom(addr, port), 5*time.Second)
	}
	var afd FD
	var peer netip.AddrPort
	if err == nil {
		afd, peer, err = c.Accept(ctx, lfd, 5*time.Second)
	}
	add("connect and accept", false, err, "accepted from %v", peer)
	if err != nil {
		return out
	}
	defer c.Close(ctx, cfd)
	defer c.Close(ctx, afd)

	err = checkExchange(ctx, c, cfd, afd, []byte("ping"))
	if err == nil {
		err = checkExchange(ctx, c, afd, cfd, []byte("pong"))
	}
	add("write and read both ways", false, err, "ping, pong")
	_, err = c.Read(ctx, afd, 16, 100*time.Millisecond)
	add("read times out with EAGAIN", false, want(err, "EAGAIN"), "EAGAIN")
	err = c.Shutdown(ctx, cfd, "wr")
	if err == nil {
		var d []byte
		if d, err = c.Read(ctx, afd, 16, 5*time.Second); err == nil && len(d) != 0 {
			err = fmt.Errorf("read after the peer's shutdown gave %q, want EOF (empty data)", d)
		}
	}
	add("shutdown wr, then EOF", false, err, "EOF")

	// Optional ops.
	if slices.Contains(h.Options, "TCP_NODELAY") {
		err = c.SetSockopt(ctx, afd, "TCP_NODELAY", 1)
		var v int
		if err == nil {
			v, err = c.GetSockopt(ctx, afd, "TCP_NODELAY")
		}
		if err == nil && v == 0 {
			err = errors.New("TCP_NODELAY set to 1 reads back 0")
		}
		add("setsockopt and getsockopt TCP_NODELAY", true, err, "reads back %d", v)
	}
	_, err = c.TCPInfo(ctx, afd)
	add("tcp_info", true, err, "ok")
	_, err = c.SendOOB(ctx, afd, []byte("!"))
	add("send_oob", true, err, "ok")
	return out
}

// checkExchange writes data on from and reads it on to.
func checkExchange(ctx context.Context, c *Client, from, to FD, data []byte) error {
	if _, err := c.Write(ctx, from, data); err != nil {
		return err
	}
	var got []byte
	for len(got) < len(data) {
		d, err := c.Read(ctx, to, len(data)-len(got), 5*time.Second)
		if err != nil {
			return fmt.Errorf("read %q, then %w", got, err)
		}
		if len(d) == 0 {
			return fmt.Errorf("EOF after %q", got)
		}
		got = append(got, d...)
	}
	if string(got) != string(data) {
		return fmt.Errorf("read %q, wrote %q", got, data)
	}
	return nil
}
