package tcpstack

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

// Conn is a TCP connection of a [Stack]. It implements net.Conn exactly as
// *net.TCPConn does: deadlines, io.EOF after the peer's FIN, errors that wrap
// syscall.ECONNRESET, ETIMEDOUT or os.ErrDeadlineExceeded in a *net.OpError,
// net.ErrClosed after Close. Multiple goroutines may invoke methods on a Conn
// simultaneously.
type Conn struct {
	s      *Stack
	tcb    *tcp.Conn
	local  netip.AddrPort
	remote netip.AddrPort
	lis    *Listener // the listener that accepted it, until it is accepted
	tos    uint8
	ttl    uint8        // IP TTL of its segments (guarded by s.mu)
	route  *sourceRoute // the return source route, if any (guarded by s.mu)
	// appRoute marks route as the application's (DialOptions.SourceRoute),
	// which a received route does not replace (RFC9293 MUST-52).
	appRoute bool

	// Guarded by s.mu.
	gone       bool      // removed from the stack
	scheduled  time.Time // the timer entry that matters
	err        error     // why the connection ended, once it has
	closedByMe bool      // Close was called
	rdClosed   bool      // CloseRead was called
	softErr    error     // the last ICMP soft error
	linger0    bool      // SetLinger(0): Close resets
	wasEstab   bool      // the handshake completed
	deferred   bool      // in s.deferred: output waits for the end of the batch

	rdDeadline, wrDeadline deadline
	readable               chan struct{} // signalled on readable, closed or deadline changes
	writable               chan struct{}
	established            chan struct{} // closed once established or ended
	estOnce                sync.Once
}

// deadline is an absolute time, zero meaning none (net.Conn semantics).
type deadline struct {
	mu sync.Mutex
	t  time.Time
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.t = t
	d.mu.Unlock()
}

func (d *deadline) get() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.t
}

func newConn(s *Stack, tcb *tcp.Conn, lis *Listener) *Conn {
	return &Conn{
		s:           s,
		tcb:         tcb,
		local:       tcb.LocalAddr(),
		remote:      tcb.RemoteAddr(),
		lis:         lis,
		ttl:         defaultTTL,
		readable:    make(chan struct{}, 1),
		writable:    make(chan struct{}, 1),
		established: make(chan struct{}),
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// handleEvents reacts to what the engine reports. s.mu is held.
func (c *Conn) handleEvents(ev tcp.Event) {
	if ev&tcp.EventEstablished != 0 {
		c.wasEstab = true
		c.estOnce.Do(func() { close(c.established) })
		if c.lis != nil {
			c.lis.ready(c)
		}
	}
	if ev&(tcp.EventReadable|tcp.EventUrgent) != 0 {
		signal(c.readable)
	}
	if ev&(tcp.EventWritable|tcp.EventSendDone) != 0 {
		signal(c.writable)
	}
	if ev&tcp.EventClosed != 0 {
		err := c.tcb.Err()
		if err == nil {
			err = io.EOF
		}
		c.s.remove(c)
		c.terminate(err)
	}
}

// terminate marks the connection ended and wakes every waiter. s.mu is held.
func (c *Conn) terminate(err error) {
	if c.err == nil {
		c.err = err
	}
	c.gone = true
	if c.lis != nil {
		c.lis.dropPending(c)
		c.lis = nil
	}
	c.estOnce.Do(func() { close(c.established) })
	signal(c.readable)
	signal(c.writable)
}

// Read reads data from the connection, waiting for it until the read
// deadline. It returns io.EOF once the peer has closed its side and
// everything before the FIN was read.
func (c *Conn) Read(b []byte) (int, error) {
	for {
		c.s.mu.Lock()
		if c.closedByMe {
			c.s.unlock()
			return 0, opError("read", c.local, c.remote, net.ErrClosed)
		}
		if len(b) == 0 {
			c.s.unlock()
			return 0, nil
		}
		n, err := c.tcb.Read(b)
		if n > 0 {
			// Reading opened the window: let the engine send a window update.
			c.s.flush(c, c.s.now())
			c.s.unlock()
			return n, nil
		}
		if c.rdClosed {
			c.s.unlock()
			return 0, io.EOF
		}
		switch {
		case err == io.EOF:
			c.s.unlock()
			return 0, io.EOF
		case errors.Is(err, tcp.ErrWouldBlock):
		case err != nil:
			c.s.unlock()
			return 0, opError("read", c.local, c.remote, c.endErr(err))
		case c.gone:
			e := c.err
			c.s.unlock()
			if e == io.EOF {
				return 0, io.EOF
			}
			return 0, opError("read", c.local, c.remote, c.endErr(e))
		}
		c.s.unlock()
		if err := c.wait(c.readable, &c.rdDeadline); err != nil {
			return 0, opError("read", c.local, c.remote, err)
		}
	}
}

// endErr maps the engine's ending error to what a kernel socket reports.
func (c *Conn) endErr(err error) error {
	switch {
	case errors.Is(err, tcp.ErrClosed), err == nil:
		if c.err != nil && c.err != io.EOF {
			return c.err
		}
		return net.ErrClosed
	case errors.Is(err, ErrStackClosed):
		return net.ErrClosed
	}
	if errors.Is(err, syscall.ETIMEDOUT) && c.softErr != nil {
		// Like Linux, report the ICMP error that explains a timeout.
		return c.softErr
	}
	return err
}

// wait blocks until ch is signalled, the deadline passes or the stack
// closes.
func (c *Conn) wait(ch chan struct{}, dl *deadline) error {
	t := dl.get()
	var timer <-chan time.Time
	if !t.IsZero() {
		d := time.Until(t)
		if d <= 0 {
			return os.ErrDeadlineExceeded
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		timer = tm.C
	}
	select {
	case <-ch:
		return nil
	case <-timer:
		return os.ErrDeadlineExceeded
	case <-c.s.done:
		return net.ErrClosed
	}
}

// Write writes b to the connection, waiting for buffer space until the
// write deadline. It returns len(b) unless an error ends the write early.
func (c *Conn) Write(b []byte) (int, error) {
	return c.write(b, false)
}

// WriteUrgent is Write for urgent data (send(2) with MSG_OOB): the octets
// go inline, and the urgent pointer of the segments carrying them points to
// the octet after the last one written (RFC9293 §3.8.5, MUST-30, MUST-31,
// MUST-62; see [tcp.Conn.WriteUrgent]). b must not be empty. New
// applications should not use urgent data (RFC9293 SHLD-13); it exists for
// test benches and old protocols.
func (c *Conn) WriteUrgent(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, opError("write", c.local, c.remote, syscall.EINVAL)
	}
	return c.write(b, true)
}

func (c *Conn) write(b []byte, urgent bool) (int, error) {
	tcbWrite := c.tcb.Write
	if urgent {
		tcbWrite = c.tcb.WriteUrgent
	}
	written := 0
	for {
		c.s.mu.Lock()
		if c.closedByMe {
			c.s.unlock()
			return written, opError("write", c.local, c.remote, net.ErrClosed)
		}
		if written == len(b) && len(b) > 0 {
			c.s.unlock()
			return written, nil
		}
		n, err := tcbWrite(b[written:])
		written += n
		if n > 0 {
			c.s.flush(c, c.s.now())
		}
		switch {
		case written == len(b) && (err == nil || errors.Is(err, tcp.ErrWouldBlock)):
			c.s.unlock()
			return written, nil
		case errors.Is(err, tcp.ErrWouldBlock):
		case errors.Is(err, tcp.ErrClosing):
			c.s.unlock()
			return written, opError("write", c.local, c.remote, syscall.EPIPE)
		case err != nil:
			c.s.unlock()
			return written, opError("write", c.local, c.remote, c.endErr(err))
		}
		c.s.unlock()
		if err := c.wait(c.writable, &c.wrDeadline); err != nil {
			return written, opError("write", c.local, c.remote, err)
		}
	}
}

// Close closes the connection: our FIN is sent once the queued data has
// been, and the stack finishes the close (FIN-WAIT, TIME-WAIT) without the
// caller. With unread received data, or after SetLinger(0), the connection
// is reset instead (RFC9293 §3.6). Blocked Read and Write calls return
// net.ErrClosed.
func (c *Conn) Close() error {
	c.s.mu.Lock()
	defer c.s.unlock()
	if c.closedByMe {
		return opError("close", c.local, c.remote, net.ErrClosed)
	}
	c.closedByMe = true
	if !c.gone {
		if c.linger0 {
			c.tcb.Abort()
		} else {
			c.tcb.Close()
		}
		c.s.flush(c, c.s.now())
	}
	signal(c.readable)
	signal(c.writable)
	return nil
}

// CloseWrite shuts down the sending side: a FIN follows the queued data.
// Reads continue until the peer closes.
func (c *Conn) CloseWrite() error {
	c.s.mu.Lock()
	defer c.s.unlock()
	if c.closedByMe {
		return opError("close", c.local, c.remote, net.ErrClosed)
	}
	if c.gone {
		return opError("close", c.local, c.remote, c.endErr(c.err))
	}
	if err := c.tcb.CloseWrite(); err != nil && !errors.Is(err, tcp.ErrClosing) {
		return opError("close", c.local, c.remote, c.endErr(err))
	}
	c.s.flush(c, c.s.now())
	return nil
}

// CloseRead shuts down the receiving side: later reads return io.EOF.
// Data that arrives is still acknowledged and discarded, as Linux does.
func (c *Conn) CloseRead() error {
	c.s.mu.Lock()
	defer c.s.unlock()
	if c.closedByMe {
		return opError("close", c.local, c.remote, net.ErrClosed)
	}
	c.rdClosed = true
	signal(c.readable)
	return nil
}

// LocalAddr returns the local address, a *net.TCPAddr.
func (c *Conn) LocalAddr() net.Addr { return net.TCPAddrFromAddrPort(c.local) }

// RemoteAddr returns the peer's address, a *net.TCPAddr.
func (c *Conn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the deadline for Read calls, also those blocked now.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rdDeadline.set(t)
	signal(c.readable)
	return nil
}

// SetWriteDeadline sets the deadline for Write calls, also those blocked now.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wrDeadline.set(t)
	signal(c.writable)
	return nil
}

// SetNoDelay turns the Nagle algorithm off (true, the default of Go's net
// package is the same) or on.
func (c *Conn) SetNoDelay(noDelay bool) error {
	return c.setopt(func(now time.Time) { c.tcb.SetNoDelay(noDelay) })
}

// SetKeepAlive turns keep-alive probes on or off.
func (c *Conn) SetKeepAlive(on bool) error {
	return c.setopt(func(now time.Time) { c.tcb.SetKeepAlive(on, 0, 0, 0, now) })
}

// SetKeepAlivePeriod sets the idle time before the first probe and the
// interval between probes, and turns keep-alives on.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	return c.setopt(func(now time.Time) { c.tcb.SetKeepAlive(true, d, d, 0, now) })
}

// SetKeepAliveConfig sets every keep-alive parameter, as net.TCPConn's
// method of the same name does.
func (c *Conn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	return c.setopt(func(now time.Time) {
		c.tcb.SetKeepAlive(cfg.Enable, cfg.Idle, cfg.Interval, cfg.Count, now)
	})
}

// SetUserTimeout sets how long sent data may stay unacknowledged before the
// connection fails with ETIMEDOUT (TCP_USER_TIMEOUT; RFC9293 MUST-21). To
// bound the handshake of an active open too, pass it to
// [Stack.DialTCPOptions] in [DialOptions].UserTimeout.
func (c *Conn) SetUserTimeout(d time.Duration) error {
	return c.setopt(func(time.Time) { c.tcb.SetUserTimeout(d) })
}

// SetTTL sets the IP time-to-live of the connection's segments from the
// next one on (IP_TTL; RFC9293 MUST-49, RFC1122 §3.2.1.7). To set the TTL of
// an active open's SYN, use [DialOptions].TTL; of a listener's SYN-ACKs,
// [ListenOptions].TTL. ttl must be 1 to 255.
func (c *Conn) SetTTL(ttl int) error {
	if ttl < 1 || ttl > 255 {
		return opError("set", c.local, c.remote, syscall.EINVAL)
	}
	return c.setopt(func(time.Time) { c.ttl = uint8(ttl) })
}

// SetLinger with sec == 0 makes Close reset the connection instead of
// closing it in order (the SO_LINGER 0 idiom). Other values keep the orderly
// close, which always finishes in the background.
func (c *Conn) SetLinger(sec int) error {
	return c.setopt(func(time.Time) { c.linger0 = sec == 0 })
}

// SetTOS sets the IPv4 Differentiated Services field of the connection's
// segments from the next one on (IP_TOS; RFC9293 MUST-48, SHLD-21). To set
// that of an active open's SYN, use [DialOptions].TOS. tos must be 0 to 255.
func (c *Conn) SetTOS(tos int) error {
	if tos < 0 || tos > 255 {
		return opError("set", c.local, c.remote, syscall.EINVAL)
	}
	return c.setopt(func(time.Time) { c.tos = uint8(tos) })
}

func (c *Conn) setopt(fn func(now time.Time)) error {
	c.s.mu.Lock()
	defer c.s.unlock()
	if c.closedByMe {
		return opError("set", c.local, c.remote, net.ErrClosed)
	}
	now := c.s.now()
	fn(now)
	if !c.gone {
		c.s.flush(c, now)
	}
	return nil
}

// State returns the connection's RFC 9293 state.
func (c *Conn) State() tcp.State {
	c.s.mu.Lock()
	defer c.s.unlock()
	return c.tcb.State()
}

// Info returns a TCP_INFO-like snapshot: state, RTT, RTO, congestion
// window, windows, retransmissions and the options negotiated.
func (c *Conn) Info() tcp.Info {
	c.s.mu.Lock()
	defer c.s.unlock()
	return c.tcb.Info()
}
