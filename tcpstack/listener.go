package tcpstack

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

// Listener accepts connections for one port of a [Stack]. It implements
// net.Listener, with SetDeadline, so net/http can serve over it.
type Listener struct {
	s    *Stack
	tcb  *tcp.Listener
	addr netip.AddrPort

	// Guarded by s.mu.
	ttl     uint8   // of its connections' segments; 0: defaultTTL
	pending int     // connections held and not accepted, SYN-RECEIVED included
	queue   []*Conn // established, waiting for Accept
	closed  bool
	// cookieAt is when the listener last answered a SYN with a cookie;
	// ACKs that match no connection are checked for one until the
	// cookies sent then have expired.
	cookieAt time.Time

	readyCh  chan struct{}
	deadline deadline
}

// Listen announces on the stack's address. network is "tcp" or "tcp4";
// address is ":PORT" or "IP:PORT" with the stack's own IP (port 0 picks a
// free one).
func (s *Stack) Listen(network, address string) (*Listener, error) {
	return s.ListenTCPOptions(network, address, ListenOptions{})
}

// ListenOptions are the settings of a listener that its connections take
// from their SYN on: what setsockopt(2) on a listening socket does.
type ListenOptions struct {
	// RecvBuffer is the receive buffer (SO_RCVBUF) of the connections
	// accepted, which bounds their windows and the window scale of their
	// SYN-ACKs. Zero: the stack's tcp.Config.RecvBuffer.
	RecvBuffer int
	// TTL is the IP time-to-live of the connections' segments, SYN-ACK
	// included (IP_TTL; RFC9293 MUST-49). Zero: 64.
	TTL uint8
}

// ListenTCPOptions is Listen with the options of o.
func (s *Stack) ListenTCPOptions(network, address string, o ListenOptions) (*Listener, error) {
	if network != "tcp" && network != "tcp4" {
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("invalid port %q", portStr)}
	}
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil || (!ip.IsUnspecified() && ip.Unmap() != s.addr) {
			return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("address %s is not this stack's (%s)", host, s.addr)}
		}
	}
	s.mu.Lock()
	defer s.unlock()
	if s.closed {
		return nil, ErrStackClosed
	}
	if port == 0 {
		p, err := s.listenPort()
		if err != nil {
			return nil, &net.OpError{Op: "listen", Net: network, Err: err}
		}
		port = uint64(p)
	}
	local := netip.AddrPortFrom(s.addr, uint16(port))
	if _, busy := s.listeners[uint16(port)]; busy {
		return nil, &net.OpError{Op: "listen", Net: network, Addr: net.TCPAddrFromAddrPort(local), Err: errAddrInUse}
	}
	cfg := s.cfg.TCP
	if o.RecvBuffer > 0 {
		cfg.RecvBuffer = o.RecvBuffer
	}
	tl, err := tcp.NewListener(cfg, local)
	if err != nil {
		return nil, err
	}
	tl.SetSYNCookies(s.cookies)
	l := &Listener{s: s, tcb: tl, addr: local, readyCh: make(chan struct{}, 1), ttl: o.TTL}
	s.listeners[uint16(port)] = l
	return l, nil
}

// ready queues an established connection for Accept. s.mu is held.
func (l *Listener) ready(c *Conn) {
	if l.closed {
		return
	}
	l.queue = append(l.queue, c)
	signal(l.readyCh)
}

// dropPending forgets a connection that ended before it was accepted.
// s.mu is held.
func (l *Listener) dropPending(c *Conn) {
	l.pending--
	for i, q := range l.queue {
		if q == c {
			l.queue = append(l.queue[:i], l.queue[i+1:]...)
			break
		}
	}
}

// terminate closes the listener from the stack's side. s.mu is held.
func (l *Listener) terminate() {
	l.closed = true
	signal(l.readyCh)
}

// Accept waits for and returns the next connection, a *Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptTCP is Accept returning the *Conn.
func (l *Listener) AcceptTCP() (*Conn, error) {
	for {
		l.s.mu.Lock()
		if l.closed {
			l.s.unlock()
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue = l.queue[1:]
			l.pending--
			c.lis = nil
			l.s.unlock()
			return c, nil
		}
		l.s.unlock()
		if err := l.wait(); err != nil {
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: err}
		}
	}
}

func (l *Listener) wait() error {
	var timer <-chan time.Time
	if t := l.deadline.get(); !t.IsZero() {
		d := time.Until(t)
		if d <= 0 {
			return errDeadline
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		timer = tm.C
	}
	select {
	case <-l.readyCh:
		return nil
	case <-timer:
		return errDeadline
	case <-l.s.done:
		return net.ErrClosed
	}
}

// Close stops listening. Connections not yet accepted are reset; accepted
// ones are not affected.
func (l *Listener) Close() error {
	l.s.mu.Lock()
	defer l.s.unlock()
	if l.closed {
		return &net.OpError{Op: "close", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	}
	l.closed = true
	if l.s.listeners[l.addr.Port()] == l {
		delete(l.s.listeners, l.addr.Port())
	}
	now := l.s.now()
	for _, c := range l.s.conns {
		if c.lis == l {
			c.tcb.Abort()
			l.s.flush(c, now)
			l.s.remove(c)
			c.terminate(net.ErrClosed)
		}
	}
	l.queue = nil
	signal(l.readyCh)
	return nil
}

// Addr returns the listening address, a *net.TCPAddr.
func (l *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(l.addr) }

// SetDeadline sets the deadline for Accept calls, also those blocked now.
func (l *Listener) SetDeadline(t time.Time) error {
	l.deadline.set(t)
	signal(l.readyCh)
	return nil
}

// SetReadBuffer sets the receive buffer (SO_RCVBUF) of the connections
// that arrive from now on; see [ListenOptions].RecvBuffer. Zero restores the
// stack's default.
func (l *Listener) SetReadBuffer(n int) error {
	if n < 0 {
		return &net.OpError{Op: "set", Net: "tcp", Addr: l.Addr(), Err: syscall.EINVAL}
	}
	l.s.mu.Lock()
	defer l.s.unlock()
	l.tcb.SetRecvBuffer(n)
	return nil
}

// SetTTL sets the IP time-to-live (IP_TTL) of the connections that arrive
// from now on, SYN-ACK included; see [ListenOptions].TTL. ttl must be 1 to
// 255.
func (l *Listener) SetTTL(ttl int) error {
	if ttl < 1 || ttl > 255 {
		return &net.OpError{Op: "set", Net: "tcp", Addr: l.Addr(), Err: syscall.EINVAL}
	}
	l.s.mu.Lock()
	defer l.s.unlock()
	l.ttl = uint8(ttl)
	return nil
}
