//go:build linux

package gvisor

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"tcpregress.dev/conformance/agent"
)

// options are the option names the backend supports, each mapped as the
// sentry's setsockopt maps it (pkg/sentry/socket/netstack/netstack.go).
var options = []string{
	"SO_RCVBUF", "SO_SNDBUF", "SO_LINGER", "SO_KEEPALIVE", "SO_REUSEADDR",
	"TCP_NODELAY", "TCP_MAXSEG", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT",
	"TCP_USER_TIMEOUT", "IP_TOS", "IP_TTL", "SO_ERROR", "SIOCINQ",
}

// Backend returns the agent backend over g: sockets are tcpip.Endpoints
// behind fake fds, driven as gVisor's sentry drives them for a blocking
// socket (try the call; on ErrWouldBlock wait on the endpoint's waiter
// queue). Every op but send_oob (netstack has no urgent data) and
// set_ip_options (no IP_OPTIONS on TCP endpoints) is served, set_nonblock
// and poll included.
func (g *Stack) Backend() agent.Backend {
	return &backend{g: g}
}

type backend struct {
	g     *Stack
	socks agent.FDTable[*sock]
}

// sock is one endpoint and its waiter queue.
type sock struct {
	ep tcpip.Endpoint
	wq *waiter.Queue
	// nonblock is O_NONBLOCK (set_nonblock).
	nonblock atomic.Bool
}

// newSock makes a socket of ep as the sentry's socket.New does for every
// stream socket it makes, accepted ones included
// (pkg/sentry/socket/netstack/netstack.go): Nagle's algorithm on, as
// Linux's default (netstack's own default, without the stack option
// TCPDelayEnabled, is off).
func newSock(ep tcpip.Endpoint, wq *waiter.Queue) *sock {
	ep.SocketOptions().SetDelayOption(true)
	return &sock{ep: ep, wq: wq}
}

func (b *backend) Hello() agent.Hello {
	return agent.StackHello("gvisor", "gvisor.dev/gvisor "+Version(), options)
}

func (b *backend) sock(fd agent.FD) (*sock, error) { return b.socks.Get(fd) }

// errno turns a netstack error into the errno the sentry returns for it
// (pkg/syserr/netstack.go, TranslateNetstackError).
func errno(e tcpip.Error) error {
	if e == nil {
		return nil
	}
	return fmt.Errorf("%w (netstack: %s)", errnoOf(e), e)
}

// errnoOf is the errno of a netstack error.
func errnoOf(e tcpip.Error) syscall.Errno {
	var n syscall.Errno
	switch e.(type) {
	case *tcpip.ErrConnectionRefused:
		n = syscall.ECONNREFUSED
	case *tcpip.ErrConnectionReset:
		n = syscall.ECONNRESET
	case *tcpip.ErrConnectionAborted:
		n = syscall.ECONNABORTED
	case *tcpip.ErrTimeout:
		n = syscall.ETIMEDOUT
	case *tcpip.ErrClosedForSend, *tcpip.ErrAborted:
		n = syscall.EPIPE
	case *tcpip.ErrNotConnected:
		n = syscall.ENOTCONN
	case *tcpip.ErrAlreadyConnected:
		n = syscall.EISCONN
	case *tcpip.ErrAlreadyConnecting:
		n = syscall.EALREADY
	case *tcpip.ErrConnectStarted:
		n = syscall.EINPROGRESS
	case *tcpip.ErrPortInUse:
		n = syscall.EADDRINUSE
	case *tcpip.ErrBadLocalAddress:
		n = syscall.EADDRNOTAVAIL
	case *tcpip.ErrNoPortAvailable:
		n = syscall.EADDRNOTAVAIL // TCP's answer in the sentry's connect
	case *tcpip.ErrWouldBlock:
		n = syscall.EAGAIN
	case *tcpip.ErrNetworkUnreachable:
		n = syscall.ENETUNREACH
	case *tcpip.ErrHostUnreachable:
		n = syscall.EHOSTUNREACH
	case *tcpip.ErrHostDown:
		n = syscall.EHOSTDOWN
	case *tcpip.ErrNoBufferSpace:
		n = syscall.ENOBUFS
	case *tcpip.ErrMessageTooLong:
		n = syscall.EMSGSIZE
	case *tcpip.ErrNotSupported:
		n = syscall.EOPNOTSUPP
	case *tcpip.ErrUnknownProtocolOption:
		n = syscall.ENOPROTOOPT
	case *tcpip.ErrNotPermitted:
		n = syscall.EPERM
	case *tcpip.ErrDestinationRequired:
		n = syscall.EDESTADDRREQ
	default: // ErrInvalidEndpointState, ErrInvalidOptionValue, ErrAlreadyBound, ...
		n = syscall.EINVAL
	}
	return n
}

func (b *backend) Socket() (agent.FD, error) {
	wq := &waiter.Queue{}
	ep, e := b.g.s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, wq)
	if e != nil {
		return 0, errno(e)
	}
	return b.socks.Add(newSock(ep, wq)), nil
}

func fullAddr(ap netip.AddrPort) tcpip.FullAddress {
	a := tcpip.FullAddress{Port: ap.Port()}
	if !ap.Addr().IsUnspecified() {
		a.Addr = tcpip.AddrFrom4(ap.Addr().As4())
	}
	return a
}

func addrPort(a tcpip.FullAddress) netip.AddrPort {
	if a.Addr.Len() != 4 {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), a.Port)
	}
	return netip.AddrPortFrom(netip.AddrFrom4(a.Addr.As4()), a.Port)
}

func (b *backend) Bind(fd agent.FD, ap netip.AddrPort) (netip.AddrPort, error) {
	s, err := b.sock(fd)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if e := s.ep.Bind(fullAddr(ap)); e != nil {
		return netip.AddrPort{}, errno(e)
	}
	a, e := s.ep.GetLocalAddress()
	if e != nil {
		return netip.AddrPort{}, errno(e)
	}
	return addrPort(a), nil
}

func (b *backend) Listen(fd agent.FD, backlog int) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	return errno(s.ep.Listen(backlog))
}

// block runs try until it does not answer ErrWouldBlock, waiting for mask
// on s's queue in between, until deadline (zero: none; then it returns
// onTimeout) or ctx ends. The entry is registered before the first try, so
// no event between a try and the wait is lost.
func block(ctx context.Context, s *sock, mask waiter.EventMask, deadline time.Time, onTimeout syscall.Errno, try func() tcpip.Error) error {
	e, ch := waiter.NewChannelEntry(mask)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	for {
		err := try()
		if _, ok := err.(*tcpip.ErrWouldBlock); !ok || s.nonblock.Load() {
			return errno(err)
		}
		select {
		case <-ch:
		case <-timer:
			return onTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *backend) Accept(ctx context.Context, fd agent.FD, timeout time.Duration) (agent.FD, netip.AddrPort, error) {
	s, err := b.sock(fd)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	var (
		ns   *sock
		peer tcpip.FullAddress
	)
	err = block(ctx, s, waiter.ReadableEvents, agent.Deadline(timeout), syscall.EAGAIN, func() tcpip.Error {
		ep, wq, e := s.ep.Accept(&peer)
		if e == nil {
			ns = newSock(ep, wq)
		}
		return e
	})
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	return b.socks.Add(ns), addrPort(peer), nil
}

// Connect does what the sentry's blocking connect does: connect, wait until
// the endpoint is writable (or failed), connect again for the result.
func (b *backend) Connect(ctx context.Context, fd agent.FD, ap netip.AddrPort, timeout time.Duration) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	e, ch := waiter.NewChannelEntry(waiter.WritableEvents | waiter.EventErr | waiter.EventHUp)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	addr := fullAddr(ap)
	switch err := s.ep.Connect(addr); err.(type) {
	case nil:
		return nil
	case *tcpip.ErrConnectStarted, *tcpip.ErrAlreadyConnecting:
		if s.nonblock.Load() {
			return errno(err) // EINPROGRESS, EALREADY
		}
	default:
		return errno(err)
	}
	var timer <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ch:
	case <-timer:
		return syscall.ETIMEDOUT
	case <-ctx.Done():
		return ctx.Err()
	}
	return errno(s.ep.Connect(addr))
}

func (b *backend) Read(ctx context.Context, fd agent.FD, size int, timeout time.Duration) ([]byte, error) {
	s, err := b.sock(fd)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	var n int
	err = block(ctx, s, waiter.ReadableEvents|waiter.EventHUp|waiter.EventErr, agent.Deadline(timeout), syscall.EAGAIN, func() tcpip.Error {
		w := tcpip.SliceWriter(buf)
		r, e := s.ep.Read(&w, tcpip.ReadOptions{})
		n = r.Count
		if _, eof := e.(*tcpip.ErrClosedForReceive); eof {
			return nil
		}
		return e
	})
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

func (b *backend) Write(ctx context.Context, fd agent.FD, data []byte) (int, error) {
	return b.Send(ctx, fd, data, 0)
}

// Send writes data with MSG_MORE and MSG_EOR as netstack's WriteOptions
// More and EndOfRecord; MSG_ZEROCOPY is unsupported. A non-blocking socket
// writes what fits and answers EAGAIN when nothing does.
func (b *backend) Send(ctx context.Context, fd agent.FD, data []byte, flags agent.SendFlags) (int, error) {
	s, err := b.sock(fd)
	if err != nil {
		return 0, err
	}
	if flags&agent.MsgZeroCopy != 0 {
		return 0, agent.Unsupported(syscall.EOPNOTSUPP, "MSG_ZEROCOPY: not in gVisor's netstack")
	}
	opts := tcpip.WriteOptions{More: flags&agent.MsgMore != 0, EndOfRecord: flags&agent.MsgEOR != 0}
	r := bytes.NewReader(data)
	written := 0
	err = block(ctx, s, waiter.WritableEvents|waiter.EventHUp|waiter.EventErr, time.Time{}, syscall.EAGAIN, func() tcpip.Error {
		for r.Len() > 0 || len(data) == 0 {
			n, e := s.ep.Write(r, opts)
			written += int(n)
			if _, wb := e.(*tcpip.ErrWouldBlock); wb && written > 0 && s.nonblock.Load() {
				return nil
			}
			if e != nil || len(data) == 0 {
				return e
			}
		}
		return nil
	})
	return written, err
}

func (b *backend) SetNonblock(fd agent.FD, on bool) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	s.nonblock.Store(on)
	return nil
}

// Poll waits on the endpoint's waiter queue for events (whose bits are
// poll(2)'s, as netstack's waiter.EventMask), reading Readiness as the
// sentry's poll does.
func (b *backend) Poll(ctx context.Context, fd agent.FD, events agent.PollEvents, timeout time.Duration) (agent.PollEvents, error) {
	s, err := b.sock(fd)
	if err != nil {
		return 0, err
	}
	mask := waiter.EventMask(events) | waiter.EventErr | waiter.EventHUp
	e, ch := waiter.NewChannelEntry(mask)
	s.wq.EventRegister(&e)
	defer s.wq.EventUnregister(&e)
	var timer <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timer = t.C
	}
	for {
		if r := s.ep.Readiness(mask); r != 0 {
			return agent.PollEvents(r), nil
		}
		select {
		case <-ch:
		case <-timer:
			return 0, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (b *backend) SendOOB(agent.FD, []byte) (int, error) {
	return 0, agent.Unsupported(syscall.EOPNOTSUPP, "gVisor's netstack has no urgent data (MSG_OOB)")
}

func (b *backend) SetIPOptions(agent.FD, []byte) error {
	return agent.Unsupported(syscall.ENOPROTOOPT, "gVisor's netstack takes no IP_OPTIONS on TCP sockets")
}

func (b *backend) Shutdown(fd agent.FD, how string) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	flags := map[string]tcpip.ShutdownFlags{"rd": tcpip.ShutdownRead, "wr": tcpip.ShutdownWrite,
		"rdwr": tcpip.ShutdownRead | tcpip.ShutdownWrite}[how]
	return errno(s.ep.Shutdown(flags))
}

func (b *backend) Close(fd agent.FD) error {
	s, err := b.socks.Remove(fd)
	if err != nil {
		return err
	}
	s.ep.Close()
	return nil
}

func unsupportedOpt(name string) error {
	return agent.Unsupported(syscall.ENOPROTOOPT, "option %s: not in the gvisor backend", name)
}

func (b *backend) SetSockopt(fd agent.FD, name string, v int) error {
	s, err := b.sock(fd)
	if err != nil {
		return err
	}
	ops := s.ep.SocketOptions()
	switch name {
	case "SO_RCVBUF":
		ops.SetReceiveBufferSize(int64(v), true)
	case "SO_SNDBUF":
		ops.SetSendBufferSize(int64(v), true)
	case "SO_LINGER":
		l := tcpip.LingerOption{}
		if v >= 0 {
			l = tcpip.LingerOption{Enabled: true, Timeout: time.Duration(v) * time.Second}
		}
		ops.SetLinger(l)
	case "SO_KEEPALIVE":
		ops.SetKeepAlive(v != 0)
	case "SO_REUSEADDR":
		ops.SetReuseAddress(v != 0)
	case "TCP_NODELAY":
		ops.SetDelayOption(v == 0)
	case "TCP_MAXSEG":
		return errno(s.ep.SetSockOptInt(tcpip.MaxSegOption, v))
	case "TCP_KEEPIDLE":
		return setDuration[tcpip.KeepaliveIdleOption](s.ep, v, 1, time.Second)
	case "TCP_KEEPINTVL":
		return setDuration[tcpip.KeepaliveIntervalOption](s.ep, v, 1, time.Second)
	case "TCP_KEEPCNT":
		return errno(s.ep.SetSockOptInt(tcpip.KeepaliveCountOption, v))
	case "TCP_USER_TIMEOUT":
		return setDuration[tcpip.TCPUserTimeoutOption](s.ep, v, 0, time.Millisecond)
	case "IP_TOS":
		return errno(s.ep.SetSockOptInt(tcpip.IPv4TOSOption, v))
	case "IP_TTL":
		return errno(s.ep.SetSockOptInt(tcpip.IPv4TTLOption, v))
	default:
		return unsupportedOpt(name)
	}
	return nil
}

// durationOpt is a netstack socket option that holds a duration
// (keepalive idle time and interval, user timeout), which the protocol
// carries as a number of seconds or milliseconds.
type durationOpt[O ~int64] interface {
	*O
	tcpip.SettableSocketOption
	tcpip.GettableSocketOption
}

// setDuration sets ep's option O to v units; less than min is EINVAL, as
// in the sentry's setsockopt.
func setDuration[O ~int64, P durationOpt[O]](ep tcpip.Endpoint, v, min int, unit time.Duration) error {
	if v < min {
		return syscall.EINVAL
	}
	o := O(time.Duration(v) * unit)
	return errno(ep.SetSockOpt(P(&o)))
}

// getDuration reads ep's option O in units.
func getDuration[O ~int64, P durationOpt[O]](ep tcpip.Endpoint, unit time.Duration) (int, error) {
	var o O
	e := ep.GetSockOpt(P(&o))
	return int(time.Duration(o) / unit), errno(e)
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

func (b *backend) GetSockopt(fd agent.FD, name string) (int, error) {
	s, err := b.sock(fd)
	if err != nil {
		return 0, err
	}
	ops := s.ep.SocketOptions()
	getInt := func(o tcpip.SockOptInt) (int, error) {
		v, e := s.ep.GetSockOptInt(o)
		return v, errno(e)
	}
	switch name {
	case "SO_ERROR":
		if e := s.ep.LastError(); e != nil {
			return int(errnoOf(e)), nil
		}
		return 0, nil
	case "SIOCINQ":
		return getInt(tcpip.ReceiveQueueSizeOption)
	case "SO_RCVBUF":
		return int(ops.GetReceiveBufferSize()), nil
	case "SO_SNDBUF":
		return int(ops.GetSendBufferSize()), nil
	case "SO_LINGER":
		l := ops.GetLinger()
		if !l.Enabled {
			return -1, nil
		}
		return int(l.Timeout / time.Second), nil
	case "SO_KEEPALIVE":
		return boolInt(ops.GetKeepAlive()), nil
	case "SO_REUSEADDR":
		return boolInt(ops.GetReuseAddress()), nil
	case "TCP_NODELAY":
		return boolInt(!ops.GetDelayOption()), nil
	case "TCP_MAXSEG":
		return getInt(tcpip.MaxSegOption)
	case "TCP_KEEPIDLE":
		return getDuration[tcpip.KeepaliveIdleOption](s.ep, time.Second)
	case "TCP_KEEPINTVL":
		return getDuration[tcpip.KeepaliveIntervalOption](s.ep, time.Second)
	case "TCP_KEEPCNT":
		return getInt(tcpip.KeepaliveCountOption)
	case "TCP_USER_TIMEOUT":
		return getDuration[tcpip.TCPUserTimeoutOption](s.ep, time.Millisecond)
	case "IP_TOS":
		return getInt(tcpip.IPv4TOSOption)
	case "IP_TTL":
		return getInt(tcpip.IPv4TTLOption)
	}
	return 0, unsupportedOpt(name)
}

// stateNames are RFC 9293's names of netstack's states.
var stateNames = map[tcp.EndpointState]string{
	tcp.StateEstablished: "ESTABLISHED", tcp.StateSynSent: "SYN-SENT", tcp.StateSynRecv: "SYN-RECEIVED",
	tcp.StateFinWait1: "FIN-WAIT-1", tcp.StateFinWait2: "FIN-WAIT-2", tcp.StateTimeWait: "TIME-WAIT",
	tcp.StateClose: "CLOSED", tcp.StateCloseWait: "CLOSE-WAIT", tcp.StateLastAck: "LAST-ACK",
	tcp.StateListen: "LISTEN", tcp.StateClosing: "CLOSING", tcp.StateInitial: "CLOSED",
	tcp.StateBound: "CLOSED", tcp.StateConnecting: "SYN-SENT", tcp.StateError: "CLOSED",
}

// TCPInfo fills what netstack's TCPInfoOption has (state, RTT, RTO,
// cwnd) and the send MSS; netstack keeps no TCPI_OPT_ bits there.
func (b *backend) TCPInfo(fd agent.FD) (agent.TCPInfo, error) {
	s, err := b.sock(fd)
	if err != nil {
		return agent.TCPInfo{}, err
	}
	var o tcpip.TCPInfoOption
	if e := s.ep.GetSockOpt(&o); e != nil {
		return agent.TCPInfo{}, errno(e)
	}
	ti := agent.TCPInfo{
		State:   stateNames[tcp.EndpointState(o.State)],
		RTTUs:   o.RTT.Microseconds(),
		RTOUs:   o.RTO.Microseconds(),
		SndCwnd: int(o.SndCwnd),
	}
	if mss, e := s.ep.GetSockOptInt(tcpip.MaxSegOption); e == nil {
		ti.SndMSS = mss
	}
	if ti.State == "" {
		ti.State = "CLOSED"
	}
	return ti, nil
}
