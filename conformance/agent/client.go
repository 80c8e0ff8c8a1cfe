package agent

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClientClosed is returned by calls on a Client that was disconnected,
// or whose control connection broke (a call cancelled by its context breaks
// it, as the request may still be running on the agent).
var ErrClientClosed = errors.New("agent: client closed")

// Client is the tester's end of a control connection. Calls are sent one at
// a time, in order; multiple goroutines may call its methods
// simultaneously (they are serialised). A call whose context ends before
// the agent answers returns the context's error and disconnects the client:
// the agent then closes every socket of the connection.
//
// Calls that take a timeout send it to the agent; a zero timeout is taken
// from the context's deadline when it has one (nine tenths of the time left,
// so that the agent's answer comes first).
type Client struct {
	observe atomic.Pointer[func(Call)]

	mu     sync.Mutex
	c      net.Conn
	r      *lineReader
	nextID int64
	broken error
	chunk  int // the most bytes of data one write request carries
}

// HandshakeTimeout bounds the handshake of [Dial] and [NewClient] when
// their context has no deadline.
const HandshakeTimeout = 10 * time.Second

// maxResponse bounds a response line: a read of 16 MiB in base64 and room.
const maxResponse = 32 << 20

// Dial connects to the agent at addr ("HOST:PORT") and makes the handshake
// (see [NewClient]).
func Dial(ctx context.Context, addr string, secret []byte) (*Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("agent: dial: %w", err)
	}
	return NewClient(ctx, c, secret)
}

// NewClient makes the handshake on an established control connection and
// returns the Client over it. With a secret, the agent must prove it knows
// the secret and the client proves it in turn (an agent without one fails
// with [ErrAuth]); without one, the agent must not ask for it. An agent of
// another protocol version fails with [ErrVersion]. The handshake takes at
// most [HandshakeTimeout] when ctx has no deadline. On an error c is closed.
func NewClient(ctx context.Context, c net.Conn, secret []byte) (*Client, error) {
	cl := &Client{c: c, r: newLineReader(c, maxResponse)}
	cl.r.stop = true
	if err := cl.handshake(ctx, secret); err != nil {
		cl.Disconnect()
		return nil, fmt.Errorf("agent at %v: %w", c.RemoteAddr(), err)
	}
	return cl, nil
}

// handshake runs hello and, when the agent asks for it, auth.
func (c *Client) handshake(ctx context.Context, secret []byte) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, HandshakeTimeout)
		defer cancel()
	}
	timedOut := func(err error) error {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer to the handshake in time (a hung agent, or not an agent at this address?): %w", err)
		}
		return err
	}
	nonce := newNonce()
	r, err := c.Do(ctx, Request{Op: "hello", Version: ProtocolVersion, Nonce: nonce})
	var ae *Error
	if errors.As(err, &ae) && ae.Errno == "EPROTO" {
		return fmt.Errorf("%w: %w", ErrVersion, err)
	}
	if err != nil {
		return timedOut(err)
	}
	switch {
	case r.Version == 0:
		return fmt.Errorf("%w: the agent speaks protocol version 1 (its hello has no version); this tester speaks version %d, which authenticates: use the same tcpregress release on both sides", ErrVersion, ProtocolVersion)
	case r.Version != ProtocolVersion:
		return fmt.Errorf("%w: the agent speaks protocol version %d, this tester version %d: use the same tcpregress release on both sides", ErrVersion, r.Version, ProtocolVersion)
	case len(r.Nonce) != nonceSize:
		return fmt.Errorf("bad hello answer: a nonce of %d bytes, want %d", len(r.Nonce), nonceSize)
	}
	if !r.Auth {
		if len(secret) > 0 {
			return fmt.Errorf("%w: the agent has no secret, so it cannot prove it knows the one this tester was given: start the agent with the same --secret-file or %s", ErrAuth, SecretEnv)
		}
		c.ready(r)
		return nil
	}
	if len(secret) == 0 {
		return fmt.Errorf("%w: the agent asks for authentication: give the tester the agent's secret (--secret-file FILE or %s)", ErrAuth, SecretEnv)
	}
	r2, err := c.Do(ctx, Request{Op: "auth", Proof: proof(secret, testerLabel, r.Nonce, nonce)})
	if errors.As(err, &ae) && ae.Errno == "EACCES" {
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	if err != nil {
		return timedOut(err)
	}
	if !hmac.Equal(r2.Proof, proof(secret, agentLabel, nonce, r.Nonce)) {
		return fmt.Errorf("%w: the agent accepted this tester's proof but its own does not match the secret: it is not the agent it claims to be", ErrAuth)
	}
	c.ready(r2)
	return nil
}

// ready takes the agent's limits from the answer that ended the handshake.
func (c *Client) ready(r *Response) {
	c.chunk = 48 << 10
	if r.MaxLine > 0 {
		// base64 makes 4 bytes of 3; leave room for the other fields.
		c.chunk = min(max((r.MaxLine-512)/4*3, 1), 4<<20)
	}
}

// Disconnect closes the control connection; the agent closes the sockets it
// made for it. (Close is the socket call.)
func (c *Client) Disconnect() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil
	}
	c.broken = ErrClientClosed
	return c.c.Close()
}

// Do sends req (its ID is set) and returns the agent's response; a response
// with ok false is returned as an *Error. It is the escape hatch for
// requests the typed methods do not make. An answer that is not a JSON
// response, or one with id 0 (the agent's word on the whole connection,
// such as an idle timeout), breaks the client.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	obs := c.observe.Load()
	if obs == nil {
		return c.do(ctx, &req)
	}
	start := time.Now()
	resp, err := c.do(ctx, &req)
	(*obs)(Call{Request: req, Response: resp, Err: err, Start: start, End: time.Now()})
	return resp, err
}

// Observe makes the client call f after each of its calls returns, with
// the request, the answer and when the call began and ended (from the
// caller's goroutine, so f must be safe for concurrent use when the
// client's methods are called concurrently). A nil f stops it.
func (c *Client) Observe(f func(Call)) {
	if f == nil {
		c.observe.Store(nil)
		return
	}
	c.observe.Store(&f)
}

func (c *Client) do(ctx context.Context, req *Request) (*Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return nil, c.broken
	}
	c.nextID++
	req.ID = c.nextID
	line, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("agent: %s: %w", req.Op, err)
	}
	line = append(line, '\n')
	type result struct {
		resp *Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		if _, err := c.c.Write(line); err != nil {
			done <- result{err: err}
			return
		}
		for {
			b, err := c.r.next()
			if err == errLineTooLong {
				done <- result{err: fmt.Errorf("bad response: a line longer than %d bytes, beginning %s", maxResponse, quote(b))}
				return
			}
			if err != nil {
				done <- result{err: err}
				return
			}
			var resp Response
			if err := json.Unmarshal(b, &resp); err != nil {
				done <- result{err: fmt.Errorf("bad response (is this an agent of this release?): %v: %s", err, quote(b))}
				return
			}
			if resp.ID == 0 && !resp.OK {
				done <- result{resp: &resp, err: &Error{Op: req.Op, Errno: resp.Errno, Msg: "the agent ended the control connection: " + resp.Error}}
				return
			}
			if resp.ID != req.ID {
				continue // an answer to an earlier, abandoned request
			}
			done <- result{resp: &resp}
			return
		}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		c.c.Close()
		<-done
		c.broken = fmt.Errorf("agent: %s: call cancelled: %w", req.Op, ErrClientClosed)
		return nil, fmt.Errorf("agent: %s: %w", req.Op, ctx.Err())
	}
	if res.err != nil {
		c.c.Close()
		c.broken = fmt.Errorf("agent: control connection: %v: %w", res.err, ErrClientClosed)
		var ae *Error
		if errors.As(res.err, &ae) {
			return res.resp, ae
		}
		if errors.Is(res.err, io.EOF) {
			res.err = fmt.Errorf("the agent closed the control connection: %w", res.err)
		}
		return nil, fmt.Errorf("agent: %s: %w", req.Op, res.err)
	}
	if !res.resp.OK {
		return res.resp, &Error{Op: req.Op, Errno: res.resp.Errno, Msg: res.resp.Error, Unsupported: res.resp.Unsupported}
	}
	return res.resp, nil
}

// quote shows the beginning of a bad line from the agent.
func quote(b []byte) string {
	if len(b) > 80 {
		return strconv.Quote(string(b[:80])) + "..."
	}
	return strconv.Quote(string(b))
}

func timeoutMS(ctx context.Context, d time.Duration) int64 {
	if d <= 0 {
		if dl, ok := ctx.Deadline(); ok {
			// Leave the agent time to answer before the context ends.
			d = time.Until(dl) * 9 / 10
			if d <= 0 {
				d = time.Millisecond
			}
		}
	}
	if d <= 0 {
		return 0
	}
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	return ms
}

// Hello asks the agent what it runs on, and its protocol version, limits
// and scope.
func (c *Client) Hello(ctx context.Context) (Hello, error) {
	r, err := c.Do(ctx, Request{Op: "hello"})
	if err != nil {
		return Hello{}, err
	}
	return Hello{OS: r.OS, Kernel: r.Kernel, Stack: r.Stack, StackVersion: r.StackVersion, Options: r.Options, Version: r.Version,
		MaxLine: r.MaxLine, MaxSockets: r.MaxSockets, AllowPeers: r.AllowPeers, TestAddrs: r.TestAddrs}, nil
}

// Socket makes a TCP/IPv4 socket.
func (c *Client) Socket(ctx context.Context) (FD, error) {
	r, err := c.Do(ctx, Request{Op: "socket"})
	if err != nil {
		return 0, err
	}
	return r.FD, nil
}

// Bind binds fd to addr (port 0: any).
func (c *Client) Bind(ctx context.Context, fd FD, addr netip.AddrPort) error {
	_, err := c.BindAddr(ctx, fd, addr)
	return err
}

// BindAddr is Bind returning the address bound.
func (c *Client) BindAddr(ctx context.Context, fd FD, addr netip.AddrPort) (netip.AddrPort, error) {
	r, err := c.Do(ctx, Request{Op: "bind", FD: fd, Addr: addr.String()})
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap, err := netip.ParseAddrPort(r.Addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("agent: bind: bad address %q in response", r.Addr)
	}
	return ap, nil
}

// Listen makes fd listen.
func (c *Client) Listen(ctx context.Context, fd FD, backlog int) error {
	_, err := c.Do(ctx, Request{Op: "listen", FD: fd, Backlog: backlog})
	return err
}

// Accept waits up to timeout for a connection on fd and returns its socket
// and peer. Running out of time fails with EAGAIN.
func (c *Client) Accept(ctx context.Context, fd FD, timeout time.Duration) (FD, netip.AddrPort, error) {
	r, err := c.Do(ctx, Request{Op: "accept", FD: fd, TimeoutMS: timeoutMS(ctx, timeout)})
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	peer, _ := netip.ParseAddrPort(r.Addr)
	return r.FD, peer, nil
}

// Connect connects fd to addr, waiting up to timeout (ETIMEDOUT after it).
func (c *Client) Connect(ctx context.Context, fd FD, addr netip.AddrPort, timeout time.Duration) error {
	_, err := c.Do(ctx, Request{Op: "connect", FD: fd, Addr: addr.String(), TimeoutMS: timeoutMS(ctx, timeout)})
	return err
}

// SetSockopt sets option name (see the package doc) of fd.
func (c *Client) SetSockopt(ctx context.Context, fd FD, name string, value int) error {
	_, err := c.Do(ctx, Request{Op: "setsockopt", FD: fd, Name: name, Value: &value})
	return err
}

// SetIPOptions sets the IPv4 options of fd's datagrams (IP_OPTIONS; see
// the package doc), such as a loose source route before a connect. An
// agent whose platform or stack lacks them answers unsupported.
func (c *Client) SetIPOptions(ctx context.Context, fd FD, opts []byte) error {
	_, err := c.Do(ctx, Request{Op: "set_ip_options", FD: fd, Data: opts})
	return err
}

// GetSockopt reads option name of fd.
func (c *Client) GetSockopt(ctx context.Context, fd FD, name string) (int, error) {
	r, err := c.Do(ctx, Request{Op: "getsockopt", FD: fd, Name: name})
	if err != nil {
		return 0, err
	}
	if r.Value == nil {
		return 0, fmt.Errorf("agent: getsockopt %s: no value in response", name)
	}
	return *r.Value, nil
}

// Read reads up to size bytes from fd, waiting up to timeout (EAGAIN after
// it). Empty data and a nil error mean EOF.
func (c *Client) Read(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, error) {
	r, err := c.Do(ctx, Request{Op: "read", FD: fd, Size: size, TimeoutMS: timeoutMS(ctx, timeout)})
	if err != nil {
		return nil, err
	}
	if r.Data == nil {
		return []byte{}, nil
	}
	return *r.Data, nil
}

// EpollCreate makes an epoll instance on the agent (Linux kernel backend).
func (c *Client) EpollCreate(ctx context.Context) (FD, error) {
	r, err := c.Do(ctx, Request{Op: "epoll_create"})
	if err != nil {
		return 0, err
	}
	return r.FD, nil
}

// EpollCtl adds, changes or removes (op "EPOLL_CTL_ADD", ...) fd's events
// in epfd.
func (c *Client) EpollCtl(ctx context.Context, epfd FD, op string, fd FD, events EpollEvents) error {
	v := int(fd)
	_, err := c.Do(ctx, Request{Op: "epoll_ctl", FD: epfd, Name: op, Value: &v, Events: events.Names()})
	return err
}

// EpollWait waits up to timeout (0: not at all; negative: no limit) for at
// most max events of epfd.
func (c *Client) EpollWait(ctx context.Context, epfd FD, max int, timeout time.Duration) ([]EpollReady, error) {
	ms := timeout.Milliseconds()
	if timeout < 0 {
		ms = -1
	}
	r, err := c.Do(ctx, Request{Op: "epoll_wait", FD: epfd, Size: max, TimeoutMS: ms})
	if err != nil {
		return nil, err
	}
	if r.Ready == nil {
		return nil, errors.New("agent: epoll_wait: no ready in response")
	}
	return *r.Ready, nil
}

// NullIO calls read (write false) or write on fd with a NULL buffer of
// size bytes, as packetdrill's syscall_bad_arg scripts do (the Linux
// kernel backend; EFAULT is the expected answer).
func (c *Client) NullIO(ctx context.Context, fd FD, write bool, size int) (int, error) {
	op := "read"
	if write {
		op = "write"
	}
	r, err := c.Do(ctx, Request{Op: op, FD: fd, Size: size, Null: true})
	if err != nil {
		return 0, err
	}
	if r.N == nil {
		return 0, fmt.Errorf("agent: %s: no n in response", op)
	}
	return *r.N, nil
}

// Pipe makes a pipe on the agent (Linux kernel backend) and returns its
// read and write ends.
func (c *Client) Pipe(ctx context.Context) (r, w FD, err error) {
	resp, err := c.Do(ctx, Request{Op: "pipe"})
	if err != nil {
		return 0, 0, err
	}
	if len(resp.FDs) != 2 {
		return 0, 0, errors.New("agent: pipe: no fds in response")
	}
	return resp.FDs[0], resp.FDs[1], nil
}

// Splice moves up to size bytes from in to out (one of them a pipe) with
// splice(2), waiting up to timeout unless either is non-blocking, and
// returns how many it moved.
func (c *Client) Splice(ctx context.Context, in, out FD, size int, flags SpliceFlags, timeout time.Duration) (int, error) {
	v := int(out)
	r, err := c.Do(ctx, Request{Op: "splice", FD: in, Value: &v, Size: size, Flags: flags.Names(), TimeoutMS: timeoutMS(ctx, timeout)})
	if err != nil {
		return 0, err
	}
	if r.N == nil {
		return 0, errors.New("agent: splice: no n in response")
	}
	return *r.N, nil
}

// Sysctl sets a net.* sysctl of the agent's host (key in dotted form) and
// returns its old value. Agents answer unsupported (EPERM) unless they
// were started with --allow-sysctl (Server.AllowSysctl).
func (c *Client) Sysctl(ctx context.Context, key, value string) (string, error) {
	r, err := c.Do(ctx, Request{Op: "sysctl", Name: key, Text: value})
	if err != nil {
		return "", err
	}
	return r.Text, nil
}

// ReadInq is Read that also returns what the agent's TCP_CM_INQ control
// message said (the bytes left to read; Linux, with TCP_INQ set on fd), or
// nil when the read carried none.
func (c *Client) ReadInq(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, *int, error) {
	r, err := c.Do(ctx, Request{Op: "read", FD: fd, Size: size, TimeoutMS: timeoutMS(ctx, timeout)})
	if err != nil {
		return nil, nil, err
	}
	if r.Data == nil {
		return []byte{}, r.Inq, nil
	}
	return *r.Data, r.Inq, nil
}

// Write writes data to fd.
func (c *Client) Write(ctx context.Context, fd FD, data []byte) (int, error) {
	return c.write(ctx, "write", fd, data)
}

// SendOOB sends data with MSG_OOB (urgent data).
func (c *Client) SendOOB(ctx context.Context, fd FD, data []byte) (int, error) {
	return c.write(ctx, "send_oob", fd, data)
}

// Send writes data to fd with send(2)'s flags (names: "MSG_MORE",
// "MSG_EOR", "MSG_ZEROCOPY"); an agent without one answers unsupported.
func (c *Client) Send(ctx context.Context, fd FD, data []byte, flags ...string) (int, error) {
	return c.write(ctx, "write", fd, data, flags...)
}

// SetNonblock sets or clears fd's O_NONBLOCK (see the package doc).
func (c *Client) SetNonblock(ctx context.Context, fd FD, on bool) error {
	v := 0
	if on {
		v = 1
	}
	_, err := c.Do(ctx, Request{Op: "set_nonblock", FD: fd, Value: &v})
	return err
}

// Poll waits up to timeout (0: not at all; negative: no limit) for events
// on fd and returns those ready, none on a timeout.
func (c *Client) Poll(ctx context.Context, fd FD, events PollEvents, timeout time.Duration) (PollEvents, error) {
	ms := timeout.Milliseconds()
	if timeout < 0 {
		ms = -1
	}
	r, err := c.Do(ctx, Request{Op: "poll", FD: fd, Events: events.Names(), TimeoutMS: ms})
	if err != nil {
		return 0, err
	}
	if r.Revents == nil {
		return 0, errors.New("agent: poll: no revents in response")
	}
	return ParsePollEvents(*r.Revents)
}

// write sends data in requests that fit the agent's line limit and
// returns the bytes written until an error or a short write (a
// non-blocking socket). send_oob, and a write with flags (MSG_EOR ends a
// record), go in one request.
func (c *Client) write(ctx context.Context, op string, fd FD, data []byte, flags ...string) (int, error) {
	n := 0
	for {
		chunk := data[n:]
		split := op == "write" && len(flags) == 0 && c.chunk > 0
		if split && len(chunk) > c.chunk {
			chunk = chunk[:c.chunk]
		}
		r, err := c.Do(ctx, Request{Op: op, FD: fd, Data: chunk, Flags: flags})
		if err != nil {
			return n, err
		}
		if r.N == nil {
			return n, fmt.Errorf("agent: %s: no n in response", op)
		}
		n += *r.N
		if !split || n >= len(data) || *r.N < len(chunk) {
			return n, nil
		}
	}
}

// Shutdown shuts down fd: how is "rd", "wr" or "rdwr".
func (c *Client) Shutdown(ctx context.Context, fd FD, how string) error {
	_, err := c.Do(ctx, Request{Op: "shutdown", FD: fd, How: how})
	return err
}

// Close closes fd.
func (c *Client) Close(ctx context.Context, fd FD) error {
	_, err := c.Do(ctx, Request{Op: "close", FD: fd})
	return err
}

// TCPInfo returns fd's TCP_INFO (unsupported outside Linux and tcpstack).
func (c *Client) TCPInfo(ctx context.Context, fd FD) (TCPInfo, error) {
	r, err := c.Do(ctx, Request{Op: "tcp_info", FD: fd})
	if err != nil {
		return TCPInfo{}, err
	}
	if r.Info == nil {
		return TCPInfo{}, errors.New("agent: tcp_info: no info in response")
	}
	return *r.Info, nil
}
