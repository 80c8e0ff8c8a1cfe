package tcpstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

// Dial connects to address ("IP:PORT", IPv4) over network "tcp" or "tcp4".
func (s *Stack) Dial(network, address string) (net.Conn, error) {
	return s.DialContext(context.Background(), network, address)
}

// DialContext is Dial with a context that bounds the handshake. Its
// signature fits net/http's Transport.DialContext.
func (s *Stack) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := s.DialTCP(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialTCP is DialContext returning the *Conn.
func (s *Stack) DialTCP(ctx context.Context, network, address string) (*Conn, error) {
	return s.DialTCPFrom(ctx, network, 0, address)
}

// DialTCPFrom is DialTCP from a chosen local port (0: an ephemeral one). A
// port that a connection to the same peer or a listener already uses fails
// with EADDRINUSE.
func (s *Stack) DialTCPFrom(ctx context.Context, network string, localPort uint16, address string) (*Conn, error) {
	return s.DialTCPOptions(ctx, network, address, DialOptions{LocalPort: localPort})
}

// DialOptions are the settings of an active open that must be in place
// before its first SYN goes out: what setsockopt(2) before connect(2) does.
type DialOptions struct {
	// LocalPort is the local port, as in DialTCPFrom (0: an ephemeral one).
	LocalPort uint16
	// UserTimeout is the connection's TCP_USER_TIMEOUT (see
	// [Conn.SetUserTimeout]) from the first SYN on: an attempt unanswered
	// for this long fails with ETIMEDOUT (RFC9293 MUST-21, MUST-22,
	// MUST-23). Zero leaves the default (R2SYN for the attempt); negative
	// means never.
	UserTimeout time.Duration
	// RecvBuffer is the connection's receive buffer (SO_RCVBUF), which
	// bounds its window; the window scale offered in the SYN follows it.
	// Zero: the stack's tcp.Config.RecvBuffer.
	RecvBuffer int
	// TTL is the IP time-to-live of the connection's segments, the SYN
	// included (IP_TTL; RFC9293 MUST-49). Zero: 64.
	TTL uint8
	// TOS is the IPv4 Differentiated Services field of the connection's
	// segments, the SYN included (IP_TOS; RFC9293 MUST-48).
	TOS uint8
	// SourceRoute is the application's source route (IP_OPTIONS; RFC9293
	// MUST-51): an LSRR (131) or SSRR (137) option with pointer 4 listing
	// the first hop, any further gateways and, last, a slot for the
	// destination, as setsockopt(IP_OPTIONS) takes it on Linux and the BSDs.
	// The connection's segments go to the first hop, the rest of the route
	// in their IP header; a route the peer sends does not replace it
	// (MUST-52).
	SourceRoute []byte
	// Opened, when set, is called with the connection as soon as it
	// exists, before its first SYN is sent and before DialTCPOptions
	// returns, so that a caller dialling in the background can read the
	// handshake's progress ([Conn.Info]) at once. It is called with the
	// stack locked: it must only record the connection, not call its
	// methods.
	Opened func(*Conn)
}

// DialTCPOptions is DialTCP with the options of o.
func (s *Stack) DialTCPOptions(ctx context.Context, network, address string, o DialOptions) (*Conn, error) {
	if network != "tcp" && network != "tcp4" {
		return nil, &net.OpError{Op: "dial", Net: network, Err: net.UnknownNetworkError(network)}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("address %q: %w (want IPv4:PORT; the userland stack does not resolve names)", address, err)}
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !ap.Addr().Is4() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("address %s is not IPv4", ap.Addr())}
	}
	c, err := s.dial(ctx, o, ap)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Source: net.TCPAddrFromAddrPort(netip.AddrPortFrom(s.addr, 0)), Addr: net.TCPAddrFromAddrPort(ap), Err: err}
	}
	return c, nil
}

// dialWaitHook, a test hook when set, is called by dial with the new
// connection after its SYN went out and before dial waits for the
// handshake.
var dialWaitHook func(*Conn)

// dial opens an active connection and waits for the handshake.
func (s *Stack) dial(ctx context.Context, o DialOptions, remote netip.AddrPort) (*Conn, error) {
	localPort := o.LocalPort
	// The application's source route: the SYN goes to its first hop.
	hop := remote.Addr()
	var route *sourceRoute
	if o.SourceRoute != nil {
		var err error
		if route, err = appSourceRoute(o.SourceRoute, remote.Addr()); err != nil {
			return nil, err
		}
		hop = route.hop
	}
	s.mu.Lock()
	if s.closed {
		s.unlock()
		return nil, ErrStackClosed
	}
	if !s.nextHopReachable(hop) {
		s.unlock()
		return nil, os.NewSyscallError("connect", syscall.ENETUNREACH)
	}
	var local netip.AddrPort
	var err error
	if localPort != 0 {
		local = netip.AddrPortFrom(s.addr, localPort)
		_, busy := s.conns[fourTuple{local, remote}]
		if _, listening := s.listeners[localPort]; busy || listening {
			err = os.NewSyscallError("connect", syscall.EADDRINUSE)
		}
	} else {
		// Only now: ephemeral advances the port counter and may take
		// over a connection in TIME-WAIT.
		local, err = s.ephemeral(remote)
	}
	if err != nil {
		s.unlock()
		return nil, err
	}
	now := s.now()
	cfg := s.connConfig()
	if o.RecvBuffer > 0 {
		cfg.RecvBuffer = o.RecvBuffer
	}
	tcb, err := tcp.Open(cfg, local, remote, now)
	if err != nil {
		s.unlock()
		return nil, err
	}
	if o.UserTimeout != 0 {
		tcb.SetUserTimeout(o.UserTimeout)
	}
	c := newConn(s, tcb, nil)
	if o.TTL != 0 {
		c.ttl = o.TTL
	}
	c.tos = o.TOS
	if route != nil {
		c.setRoute(route)
		c.appRoute = true
	}
	if o.Opened != nil {
		o.Opened(c)
	}
	s.conns[fourTuple{local, remote}] = c
	s.flush(c, now)
	s.unlock()
	if dialWaitHook != nil {
		dialWaitHook(c)
	}

	select {
	case <-c.established:
	case <-ctx.Done():
		s.mu.Lock()
		if c.wasEstab {
			// The handshake completed before the context ended (select
			// picks at random when both are ready): the connection is
			// ESTABLISHED and is the caller's to close with a FIN
			// (RFC 9293 §3.10.4), not to abort as one in SYN-SENT.
			s.unlock()
			break
		}
		if !c.gone {
			c.tcb.Abort()
			s.flush(c, s.now())
			s.remove(c)
		}
		c.closedByMe = true
		s.unlock()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, os.ErrDeadlineExceeded
		}
		return nil, ctx.Err()
	case <-s.done:
		return nil, ErrStackClosed
	}
	s.mu.Lock()
	defer s.unlock()
	if !c.wasEstab {
		// The handshake failed. A connection that was established and then
		// reset at once still dials successfully, as connect(2) does; its
		// first read reports the reset.
		err := c.err
		if err == io.EOF || err == nil {
			err = syscall.ECONNRESET
		}
		if errors.Is(err, syscall.ETIMEDOUT) && c.softErr != nil {
			err = c.softErr
		}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			return nil, os.NewSyscallError("connect", errno)
		}
		return nil, err
	}
	return c, nil
}
