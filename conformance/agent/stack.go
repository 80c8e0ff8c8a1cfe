//go:build cgo

package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack"
	"tcpregress.dev/tcpstack/tcp"
)

// StackBackend returns the backend over s, this project's userland stack:
// sockets are Go objects behind fake fds. It has SO_REUSEADDR (kept, with
// no effect: tcpstack binds regardless), SO_ERROR and SIOCINQ (read-only),
// TCP_NODELAY, SO_KEEPALIVE,
// TCP_KEEPIDLE/INTVL/CNT, SO_LINGER (0 means reset on close; other values
// keep the orderly close), TCP_USER_TIMEOUT and, read-only, TCP_MAXSEG;
// every other option, and send_oob, is unsupported. Options set before
// connect or accept are applied to the connection once it exists; those set
// on a listener are applied to the connections it accepts.
//
// (It needs cgo only because tcpstack's links do, through pcap; the
// backend itself uses no C.)
func StackBackend(s *tcpstack.Stack) Backend {
	return &stackBackend{s: s}
}

// stackOptions are the options StackBackend supports.
var stackOptions = []string{
	"SO_LINGER", "SO_KEEPALIVE", "TCP_NODELAY", "TCP_MAXSEG",
	"TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT",
	"SO_RCVBUF", "IP_TTL", "IP_TOS", "SO_REUSEADDR", "SO_ERROR", "SIOCINQ", ipOptionsName,
}

type stackBackend struct {
	s     *tcpstack.Stack
	socks FDTable[*stackSock]
}

// stackSock is one fake socket. Only its control connection uses it, one
// request at a time, so its fields need no lock.
type stackSock struct {
	port uint16
	ln   *tcpstack.Listener
	conn *tcpstack.Conn
	// opts holds the values set, applied to conn (now or once it exists).
	opts map[string]int
	// route is the source route set with set_ip_options, for connect.
	route []byte
	// nonblock is O_NONBLOCK (set_nonblock).
	nonblock bool
	// dial is a non-blocking connect under way; connErr the error it
	// ended with, until SO_ERROR reads it.
	dial    *stackDial
	connErr error
}

// stackDial is a non-blocking connect: its goroutine sets conn and err,
// then closes done; cancel ends the handshake (close in SYN-SENT). opened
// is the connection from the moment it exists (before its SYN), for the
// handshake's state while the goroutine runs.
type stackDial struct {
	done   chan struct{}
	cancel context.CancelFunc
	opened atomic.Pointer[tcpstack.Conn]
	conn   *tcpstack.Conn
	err    error
}

// Test hooks, when set: stackDialHook is called by a non-blocking
// connect's goroutine after the handshake ended and before it reports the
// result; stackSettleHook by settle before it waits for that goroutine.
var stackDialHook, stackSettleHook func()

// settle takes in the result of a non-blocking connect that has ended. A
// handshake that has ended (the connection established, or gone) while
// the goroutine has still to return counts as ended: settle waits for the
// goroutine, whose remaining work is applying the socket's options, so
// that poll and SO_ERROR report what the wire has already shown (an
// ESTABLISHED connection is writable the moment its ACK went out).
func (s *stackSock) settle() {
	if s.dial == nil {
		return
	}
	select {
	case <-s.dial.done:
	default:
		c := s.dial.opened.Load()
		if c == nil {
			return
		}
		if st := c.Info().State; st == tcp.StateSynSent || st == tcp.StateSynReceived {
			return
		}
		if stackSettleHook != nil {
			stackSettleHook()
		}
		<-s.dial.done
	}
	s.conn, s.connErr = s.dial.conn, s.dial.err
	s.dial = nil
}

// nonblockWait is the wait of a call on a non-blocking socket: none.
const nonblockWait = time.Nanosecond

func (b *stackBackend) Hello() Hello {
	return StackHello("tcpstack", "", stackOptions)
}

// sock is fd's socket, with the result of a non-blocking connect that has
// ended taken in.
func (b *stackBackend) sock(fd FD) (*stackSock, error) {
	s, err := b.socks.Get(fd)
	if err != nil {
		return nil, err
	}
	s.settle()
	return s, nil
}

func (b *stackBackend) Socket() (FD, error) {
	return b.socks.Add(&stackSock{opts: map[string]int{}}), nil
}

func (b *stackBackend) Bind(fd FD, ap netip.AddrPort) (netip.AddrPort, error) {
	s, err := b.sock(fd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if s.ln != nil || s.conn != nil || s.port != 0 {
		return netip.AddrPort{}, syscall.EINVAL
	}
	if a := ap.Addr(); !a.IsUnspecified() && a != b.s.Addr() {
		return netip.AddrPort{}, syscall.EADDRNOTAVAIL
	}
	s.port = ap.Port()
	return netip.AddrPortFrom(b.s.Addr(), s.port), nil
}

func (b *stackBackend) Listen(fd FD, backlog int) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	if s.conn != nil || s.ln != nil {
		return syscall.EINVAL
	}
	ln, err := b.s.ListenTCPOptions("tcp4", fmt.Sprintf(":%d", s.port), tcpstack.ListenOptions{RecvBuffer: s.opts["SO_RCVBUF"], TTL: uint8(s.opts["IP_TTL"])})
	if err != nil {
		return err
	}
	s.ln = ln
	return nil
}

func tcpAddrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	return netip.AddrPort{}
}

// timeoutErr maps a passed deadline to errno (EAGAIN or ETIMEDOUT).
func timeoutErr(err error, errno syscall.Errno) error {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (%v)", errno, err)
	}
	return err
}

// whileBlocked runs f with the deadline of timeout, moved to now when ctx
// ends.
func whileBlocked(ctx context.Context, timeout time.Duration, set func(time.Time) error, f func() error) error {
	set(Deadline(timeout))
	stop := context.AfterFunc(ctx, func() { set(time.Unix(1, 0)) })
	err := f()
	if !stop() && ctx.Err() != nil {
		err = ctx.Err()
	}
	set(time.Time{})
	return err
}

func (b *stackBackend) Accept(ctx context.Context, fd FD, timeout time.Duration) (FD, netip.AddrPort, error) {
	s, err := b.sock(fd)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	if s.ln == nil {
		return 0, netip.AddrPort{}, syscall.EINVAL
	}
	if s.nonblock {
		timeout = nonblockWait
	}
	var c *tcpstack.Conn
	err = whileBlocked(ctx, timeout, s.ln.SetDeadline, func() error {
		var err error
		c, err = s.ln.AcceptTCP()
		return err
	})
	if err != nil {
		return 0, netip.AddrPort{}, timeoutErr(err, syscall.EAGAIN)
	}
	ns := &stackSock{conn: c, opts: map[string]int{}}
	for k, v := range s.opts {
		ns.opts[k] = v
		if err := applyOpt(c, k, v, s.opts["SO_KEEPALIVE"] != 0); err != nil {
			c.Close()
			return 0, netip.AddrPort{}, err
		}
	}
	return b.socks.Add(ns), tcpAddrPort(c.RemoteAddr()), nil
}

func (b *stackBackend) Connect(ctx context.Context, fd FD, ap netip.AddrPort, timeout time.Duration) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	if s.conn != nil {
		return syscall.EISCONN
	}
	if s.dial != nil {
		return syscall.EALREADY
	}
	if s.ln != nil {
		return syscall.EINVAL
	}
	if s.nonblock {
		// The handshake goes on in a goroutine; SO_ERROR and poll tell
		// how it ended. It ends with the backend's stack, or with close.
		dctx, cancel := context.WithCancel(context.Background())
		d := &stackDial{done: make(chan struct{}), cancel: cancel}
		s.dial = d
		go func() {
			defer close(d.done)
			defer cancel()
			c, err := b.dial(dctx, s, ap, func(c *tcpstack.Conn) { d.opened.Store(c) })
			if stackDialHook != nil {
				stackDialHook()
			}
			d.conn, d.err = c, err
		}()
		return syscall.EINPROGRESS
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, err := b.dial(ctx, s, ap, nil)
	if err != nil {
		return err
	}
	s.conn = c
	return nil
}

// dial connects s to ap with its options. It reads s's options only, so a
// non-blocking connect's goroutine may call it (the control connection
// changes nothing of s until the dial is settled). opened, if not nil, is
// given the connection before its SYN goes out (tcpstack.DialOptions.Opened).
func (b *stackBackend) dial(ctx context.Context, s *stackSock, ap netip.AddrPort, opened func(*tcpstack.Conn)) (*tcpstack.Conn, error) {
	o := tcpstack.DialOptions{LocalPort: s.port, RecvBuffer: s.opts["SO_RCVBUF"], TTL: uint8(s.opts["IP_TTL"]),
		TOS: uint8(s.opts["IP_TOS"]), SourceRoute: s.route, Opened: opened}
	if v := s.opts["TCP_USER_TIMEOUT"]; v > 0 {
		o.UserTimeout = time.Duration(v) * time.Millisecond
	}
	c, err := b.s.DialTCPOptions(ctx, "tcp4", ap.String(), o)
	if err != nil {
		return nil, timeoutErr(err, syscall.ETIMEDOUT)
	}
	for k, v := range s.opts {
		if err := applyOpt(c, k, v, s.opts["SO_KEEPALIVE"] != 0); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func optUnsupported(name string) error {
	return Unsupported(syscall.ENOPROTOOPT, "option %s: not in tcpstack", name)
}

// applyOpt sets an option on a connection.
// keepAlive is whether SO_KEEPALIVE is on: on Linux the keep-alive timers
// do not turn probes on by themselves.
func applyOpt(c *tcpstack.Conn, name string, v int, keepAlive bool) error {
	switch name {
	case "TCP_NODELAY":
		return c.SetNoDelay(v != 0)
	case "SO_KEEPALIVE":
		return c.SetKeepAlive(v != 0)
	case "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT":
		cfg := net.KeepAliveConfig{Enable: keepAlive}
		switch name {
		case "TCP_KEEPIDLE":
			cfg.Idle = time.Duration(v) * time.Second
		case "TCP_KEEPINTVL":
			cfg.Interval = time.Duration(v) * time.Second
		case "TCP_KEEPCNT":
			cfg.Count = v
		}
		// tcpstack keeps the parameters that are not above zero.
		if cfg.Idle == 0 {
			cfg.Idle = -1
		}
		if cfg.Interval == 0 {
			cfg.Interval = -1
		}
		if cfg.Count == 0 {
			cfg.Count = -1
		}
		return c.SetKeepAliveConfig(cfg)
	case "SO_LINGER":
		if v < 0 {
			v = -1
		}
		return c.SetLinger(v)
	case "TCP_USER_TIMEOUT":
		return c.SetUserTimeout(time.Duration(v) * time.Millisecond)
	case "IP_TTL":
		return c.SetTTL(v)
	case "IP_TOS":
		return c.SetTOS(v)
	case "SO_RCVBUF":
		return nil // fixed at the SYN
	case "SO_REUSEADDR":
		return nil // no effect in tcpstack
	}
	return optUnsupported(name)
}

func (b *stackBackend) SetSockopt(fd FD, name string, value int) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	switch name {
	case "TCP_NODELAY", "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL",
		"TCP_KEEPCNT", "SO_LINGER", "TCP_USER_TIMEOUT", "SO_RCVBUF", "IP_TTL", "IP_TOS":
	case "SO_REUSEADDR":
		// tcpstack binds a port whatever connections linger on it: the
		// option is kept and read back, and changes nothing.
		if value != 0 && value != 1 {
			return syscall.EINVAL
		}
		s.opts[name] = value
		return nil
	case "TCP_MAXSEG":
		return Unsupported(syscall.ENOPROTOOPT, "option TCP_MAXSEG: read-only in tcpstack")
	default:
		return optUnsupported(name)
	}
	if value < 0 && name != "SO_LINGER" {
		return syscall.EINVAL
	}
	if s.dial != nil {
		return Unsupported(syscall.EOPNOTSUPP, "option %s: tcpstack takes no option while a non-blocking connect is under way", name)
	}
	if s.ln != nil {
		switch name {
		case "SO_RCVBUF":
			if err := s.ln.SetReadBuffer(value); err != nil {
				return err
			}
		case "IP_TTL":
			if err := s.ln.SetTTL(value); err != nil {
				return err
			}
		}
	}
	if s.conn != nil {
		ka := s.opts["SO_KEEPALIVE"] != 0
		if name == "SO_KEEPALIVE" {
			ka = value != 0
		}
		if err := applyOpt(s.conn, name, value, ka); err != nil {
			return err
		}
	}
	s.opts[name] = value
	return nil
}

// SetIPOptions keeps a source route for connect (tcpstack.DialOptions
// SourceRoute); other IP options are unsupported.
func (b *stackBackend) SetIPOptions(fd FD, opts []byte) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	if len(opts) > 0 && opts[0] != 131 && opts[0] != 137 {
		return Unsupported(syscall.ENOPROTOOPT, "tcpstack takes a source route only (type 131 or 137 first)")
	}
	if s.conn != nil || s.ln != nil {
		return syscall.EISCONN
	}
	s.route = append([]byte(nil), opts...)
	return nil
}

func (b *stackBackend) GetSockopt(fd FD, name string) (int, error) {
	s, err := b.sock(fd)
	if err != nil {
		return 0, err
	}
	switch name {
	case "SO_ERROR":
		err := s.connErr
		s.connErr = nil
		if err == nil {
			return 0, nil
		}
		var en syscall.Errno
		if errors.As(err, &en) {
			return int(en), nil
		}
		return int(syscall.EIO), nil
	case "SIOCINQ":
		if s.conn == nil {
			return 0, syscall.EINVAL
		}
		return s.conn.Info().RecvQueued, nil
	case "TCP_MAXSEG":
		if s.conn == nil {
			return 0, syscall.ENOTCONN
		}
		return s.conn.Info().SndMSS, nil
	case "SO_LINGER":
		if v, ok := s.opts[name]; ok {
			return v, nil
		}
		return -1, nil
	case "TCP_NODELAY":
		if v, ok := s.opts[name]; ok {
			return v, nil
		}
		return 1, nil // tcpstack's default, as Go's net
	case "IP_TTL":
		if v, ok := s.opts[name]; ok {
			return v, nil
		}
		return 64, nil // tcpstack's default
	case "SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT", "IP_TOS", "SO_REUSEADDR":
		// tcpstack does not report these; answer what was set.
		return s.opts[name], nil
	}
	return 0, optUnsupported(name)
}

func (b *stackBackend) conn(fd FD) (*tcpstack.Conn, error) {
	s, err := b.sock(fd)
	if err != nil {
		return nil, err
	}
	if s.conn == nil {
		return nil, syscall.ENOTCONN
	}
	return s.conn, nil
}

func (b *stackBackend) Read(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, error) {
	c, err := b.conn(fd)
	if err != nil {
		return nil, err
	}
	if s, _ := b.sock(fd); s != nil && s.nonblock {
		timeout = nonblockWait
	}
	buf := make([]byte, size)
	var n int
	err = whileBlocked(ctx, timeout, c.SetReadDeadline, func() error {
		var err error
		n, err = c.Read(buf)
		return err
	})
	if errors.Is(err, io.EOF) {
		return []byte{}, nil
	}
	if err != nil && n == 0 {
		return nil, timeoutErr(err, syscall.EAGAIN)
	}
	return buf[:n], nil
}

func (b *stackBackend) Write(ctx context.Context, fd FD, data []byte) (int, error) {
	c, err := b.conn(fd)
	if err != nil {
		return 0, err
	}
	var timeout time.Duration
	nonblock := false
	if s, _ := b.sock(fd); s != nil && s.nonblock {
		timeout, nonblock = nonblockWait, true
	}
	var n int
	err = whileBlocked(ctx, timeout, c.SetWriteDeadline, func() error {
		var err error
		n, err = c.Write(data)
		return err
	})
	if nonblock && err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if n > 0 {
			return n, nil
		}
		return 0, syscall.EAGAIN
	}
	return n, err
}

func (b *stackBackend) SetNonblock(fd FD, on bool) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	s.nonblock = on
	return nil
}

// Send has no flags in tcpstack: it answers unsupported for any.
func (b *stackBackend) Send(ctx context.Context, fd FD, data []byte, flags SendFlags) (int, error) {
	if flags != 0 {
		return 0, Unsupported(syscall.EOPNOTSUPP, "send flags (MSG_MORE, MSG_EOR, MSG_ZEROCOPY): not in tcpstack")
	}
	return b.Write(ctx, fd, data)
}

// stackPollTick is how often Poll looks at a tcpstack connection again:
// the stack has no readiness callbacks.
const stackPollTick = time.Millisecond

// Poll reads readiness from the connection's state: POLLIN when data or
// the peer's FIN is there, POLLOUT when the send queue is empty (tcpstack
// has no send-buffer watermark), POLLHUP and POLLERR once the connection
// is gone; a non-blocking connect is POLLOUT (and POLLERR when it failed)
// once it has ended. Listeners are unsupported.
func (b *stackBackend) Poll(ctx context.Context, fd FD, events PollEvents, timeout time.Duration) (PollEvents, error) {
	var deadline <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(stackPollTick)
	defer tick.Stop()
	for {
		s, err := b.sock(fd)
		if err != nil {
			return 0, err
		}
		if s.ln != nil {
			return 0, Unsupported(syscall.EOPNOTSUPP, "poll on a listener: not in tcpstack")
		}
		var ready PollEvents
		switch {
		case s.dial != nil:
		case s.conn == nil && s.connErr != nil:
			ready = PollOut | PollErr | PollHup
		case s.conn == nil:
			ready = PollOut | PollHup
		default:
			in := s.conn.Info()
			switch in.State {
			case tcp.StateEstablished, tcp.StateCloseWait:
				if in.SendQueued == 0 {
					ready |= PollOut
				}
			case tcp.StateClosed:
				ready |= PollHup | PollErr
			}
			if in.RecvQueued > 0 || in.State != tcp.StateEstablished && in.State != tcp.StateSynSent && in.State != tcp.StateSynReceived &&
				in.State != tcp.StateFinWait1 && in.State != tcp.StateFinWait2 {
				ready |= PollIn
			}
		}
		if got := ready & (events | PollErr | PollHup); got != 0 {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-deadline:
			return 0, nil
		case <-tick.C:
		}
		if timeout == 0 {
			return 0, nil
		}
	}
}

func (b *stackBackend) SendOOB(fd FD, data []byte) (int, error) {
	c, err := b.conn(fd)
	if err != nil {
		return 0, err
	}
	return c.WriteUrgent(data)
}

func (b *stackBackend) Shutdown(fd FD, how string) error {
	c, err := b.conn(fd)
	if err != nil {
		return err
	}
	if how == "rd" || how == "rdwr" {
		if err := c.CloseRead(); err != nil {
			return err
		}
	}
	if how == "wr" || how == "rdwr" {
		return c.CloseWrite()
	}
	return nil
}

func (b *stackBackend) Close(fd FD) error {
	s, err := b.socks.Remove(fd)
	if err != nil {
		return err
	}
	// A connect whose handshake has completed is taken in first, so that
	// its connection is closed with a FIN (RFC 9293 §3.10.4), not aborted.
	s.settle()
	switch {
	case s.dial != nil:
		d := s.dial
		select {
		case <-d.done:
		default:
			// Closed in SYN-SENT: RFC 9293 §3.10.4 "Delete the TCB"; the
			// SYN-ACK that comes later finds no connection and is reset
			// (§3.10.7.1), as Linux does. Should the handshake complete
			// meanwhile, the dial returns the connection and it is closed
			// below.
			d.cancel()
		}
		go func() { // close what the connect made, if it had
			<-d.done
			if d.conn != nil {
				d.conn.Close()
			}
		}()
	case s.conn != nil:
		s.conn.Close()
	case s.ln != nil:
		s.ln.Close()
	}
	return nil
}

func (b *stackBackend) TCPInfo(fd FD) (TCPInfo, error) {
	s, err := b.sock(fd)
	if err != nil {
		return TCPInfo{}, err
	}
	switch {
	case s.ln != nil:
		return TCPInfo{State: "LISTEN"}, nil
	case s.conn == nil:
		return TCPInfo{State: "CLOSED"}, nil
	}
	in := s.conn.Info()
	ti := TCPInfo{
		State:       in.State.String(),
		RTTUs:       in.RTT.Microseconds(),
		RTOUs:       in.RTO.Microseconds(),
		SndMSS:      in.SndMSS,
		RcvMSS:      in.RcvMSS,
		Retransmits: in.Retransmits,
	}
	if in.SndMSS > 0 {
		ti.SndCwnd = in.Cwnd / in.SndMSS
	}
	if in.Timestamps {
		ti.Options |= TCPIOptTimestamps
	}
	if in.SACK {
		ti.Options |= TCPIOptSACK
	}
	if in.WindowScale {
		ti.Options |= TCPIOptWScale
	}
	ti.Fields = map[string]int64{
		"rtt": in.RTT.Microseconds(), "rttvar": in.RTTVar.Microseconds(), "rto": in.RTO.Microseconds(),
		"snd_mss": int64(in.SndMSS), "rcv_mss": int64(in.RcvMSS), "snd_cwnd": int64(ti.SndCwnd),
		"retransmits": int64(in.Retransmits), "total_retrans": int64(in.TotalRetransmits),
		"snd_wnd": int64(in.SndWnd), "rcv_wnd": int64(in.RcvWnd), "notsent_bytes": int64(in.SendQueued),
		"ca_state": 0,
	}
	if in.SndMSS > 0 {
		ti.Fields["snd_ssthresh"] = int64(in.Ssthresh / in.SndMSS)
		ti.Fields["unacked"] = int64((in.Unacked + in.SndMSS - 1) / in.SndMSS)
	}
	if in.InRecovery {
		ti.Fields["ca_state"] = 3 // TCP_CA_Recovery
	}
	return ti, nil
}
