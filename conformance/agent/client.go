package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
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
	r      *bufio.Reader
	nextID int64
	broken error
}

// Dial connects to the agent at addr ("HOST:PORT").
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("agent: dial: %w", err)
	}
	return NewClient(c), nil
}

// NewClient returns a Client over an established control connection.
func NewClient(c net.Conn) *Client {
	return &Client{c: c, r: bufio.NewReaderSize(c, 64<<10)}
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
// requests the typed methods do not make.
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
			b, err := c.r.ReadBytes('\n')
			if err != nil {
				done <- result{err: err}
				return
			}
			var resp Response
			if err := json.Unmarshal(b, &resp); err != nil {
				done <- result{err: fmt.Errorf("bad response: %w", err)}
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
		return nil, fmt.Errorf("agent: %s: %w", req.Op, res.err)
	}
	if !res.resp.OK {
		return res.resp, &Error{Op: req.Op, Errno: res.resp.Errno, Msg: res.resp.Error, Unsupported: res.resp.Unsupported}
	}
	return res.resp, nil
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

// Hello asks the agent what it runs on.
func (c *Client) Hello(ctx context.Context) (Hello, error) {
	r, err := c.Do(ctx, Request{Op: "hello"})
	if err != nil {
		return Hello{}, err
	}
	return Hello{OS: r.OS, Kernel: r.Kernel, Stack: r.Stack, StackVersion: r.StackVersion, Options: r.Options}, nil
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

func (c *Client) write(ctx context.Context, op string, fd FD, data []byte, flags ...string) (int, error) {
	r, err := c.Do(ctx, Request{Op: op, FD: fd, Data: data, Flags: flags})
	if err != nil {
		return 0, err
	}
	if r.N == nil {
		return 0, fmt.Errorf("agent: %s: no n in response", op)
	}
	return *r.N, nil
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
