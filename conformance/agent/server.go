package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// maxRead bounds a read request's size.
const maxRead = 16 << 20

// maxIPOptions is the room for options in an IPv4 header (RFC 791: a
// header of at most 60 octets, 20 of them fixed).
const maxIPOptions = 40

// Serve answers control connections on ln with b until ctx ends or ln fails,
// one goroutine per connection; a connection's sockets are closed when it
// ends. Serve closes ln, and when it returns every connection has been
// closed and every goroutine it started has ended. It returns nil after ctx
// ends, or the listener's error. Without a secret, ln must be on loopback
// (use a [Server] with a Secret otherwise).
func Serve(ctx context.Context, ln net.Listener, b Backend) error {
	return (&Server{Backend: b}).Serve(ctx, ln)
}

// Server is Serve with a logger, authentication, scope and limits.
type Server struct {
	Backend Backend
	// Logger gets a line per control connection (info), per refused
	// handshake, refused call and breached limit (warn), and per request
	// (debug). Silent when zero.
	Logger zerolog.Logger
	// Secret is the pre-shared secret both sides of a control connection
	// prove they know in its handshake (see the package doc). Without one,
	// Serve refuses a listener that is not on loopback.
	Secret []byte
	// AllowPeers are the prefixes connect may reach besides the control
	// connection's peer (the tester's address).
	AllowPeers []netip.Prefix
	// TestAddrs are the local addresses bind may use; 0.0.0.0 among them
	// allows binding the unspecified address (every address). When empty:
	// the listener's address, unless it is unspecified.
	TestAddrs []netip.Addr
	// Limits bound each control connection and how many there are.
	Limits Limits
	// AllowSysctl lets testers set the host's net.* sysctls (the sysctl
	// op: tcpregress drill applies the settings of packetdrill's scripts).
	// Off by default: they change the whole host's TCP.
	AllowSysctl bool
}

// Check returns the error Serve returns at once for a listener on addr:
// one off loopback without a secret, or a secret too short.
func (s *Server) Check(addr net.Addr) error {
	if len(s.Secret) == 0 && !isLoopback(addr) {
		return fmt.Errorf("agent: refusing to listen on %v without a secret: whoever reaches it could drive the target's sockets; give a secret (--secret-file FILE or %s) or listen on loopback", addr, SecretEnv)
	}
	if len(s.Secret) > 0 {
		if err := checkSecret(s.Secret, "the server's Secret"); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	return nil
}

// serving is one Serve call's settings and state.
type serving struct {
	*Server
	lim   Limits
	test  []netip.Addr
	conns *conns
}

// Serve is the package's Serve with s's settings.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := s.Check(ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	sv := &serving{Server: s, lim: s.Limits.withDefaults(), test: s.TestAddrs}
	if len(sv.test) == 0 {
		if a := addrOf(ln.Addr()); a.IsValid() && !a.IsUnspecified() {
			sv.test = []netip.Addr{a}
		}
	}
	sv.conns = newConns(sv.lim)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Out of descriptors and the like: wait a little and go on,
			// as net/http does.
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				s.Logger.Warn().Err(err).Msg("agent: accept")
				select {
				case <-time.After(50 * time.Millisecond):
				case <-ctx.Done():
				}
				continue
			}
			return fmt.Errorf("agent: accept: %w", err)
		}
		if ev := sv.conns.arrive(c); ev != nil {
			s.Logger.Warn().Str("tester", ev.RemoteAddr().String()).Int("max", sv.conns.maxPending).
				Msg("agent: too many control connections in their handshake: closed the oldest")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sv.serveConn(ctx, c)
		}()
	}
}

// session is one control connection.
type session struct {
	sv    *serving
	c     net.Conn
	b     Backend
	fds   map[FD]bool
	bound map[FD]bool // bound through the agent, or accepted
	scope scope
	log   zerolog.Logger

	// the handshake
	stage       stage
	nonce       []byte // the agent's
	testerNonce []byte
	admitted    bool // counted among the authenticated connections
}

// stage is where a control connection is in its handshake.
type stage int

const (
	stageHello stage = iota // waiting for hello
	stageAuth               // waiting for auth
	stageReady              // authenticated: serving requests
)

// line is what the reader of a control connection passes on: a request
// line, the beginning of an overlong one (errLineTooLong), or the error
// that ended the reading.
type line struct {
	b   []byte
	err error
}

func (sv *serving) serveConn(ctx context.Context, c net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	log := sv.Logger.With().Str("tester", c.RemoteAddr().String()).Logger()
	log.Info().Msg("agent: control connection")
	sess := &session{sv: sv, c: c, b: sv.Backend, fds: map[FD]bool{}, bound: map[FD]bool{}, log: log,
		scope: scope{peer: addrOf(c.RemoteAddr()), allow: sv.AllowPeers, test: sv.test}}
	c.SetReadDeadline(time.Now().Add(sv.lim.HandshakeTimeout))
	lines := make(chan line)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the reader: ends the session when the tester goes
		defer wg.Done()
		var err error
		defer func() {
			// A timeout is the main loop's to report before the
			// connection closes.
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				cancel()
			}
		}()
		defer close(lines)
		lr := newLineReader(c, sv.lim.MaxLine)
		for {
			var b []byte
			b, err = lr.next()
			if err == nil || err == errLineTooLong {
				b = append([]byte(nil), b...)
			}
			select {
			case lines <- line{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil && err != errLineTooLong {
				return
			}
		}
	}()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	w := bufio.NewWriter(c)
	enc := json.NewEncoder(w)
	send := func(resp *Response) error {
		c.SetWriteDeadline(time.Now().Add(sv.lim.IdleTimeout))
		err := enc.Encode(resp)
		if err == nil {
			err = w.Flush()
		}
		return err
	}
	for l := range lines {
		if l.err != nil && l.err != errLineTooLong {
			if errors.Is(l.err, os.ErrDeadlineExceeded) {
				send(sess.timedOut())
			} else if l.err != io.EOF && ctx.Err() == nil {
				log.Warn().Err(l.err).Msg("agent: reading requests")
			}
			break
		}
		if l.err == nil && len(l.b) == 0 {
			continue
		}
		if sess.stage == stageReady {
			c.SetReadDeadline(time.Time{}) // no idle timeout while a request runs
		}
		var resp *Response
		end := false
		switch {
		case l.err == errLineTooLong:
			resp = sess.tooLong(l.b)
			end = sess.stage != stageReady
		case sess.stage != stageReady:
			sv.conns.spoke(c)
			resp, end = sess.handshake(ctx, l.b)
		default:
			resp = sess.handle(ctx, l.b)
		}
		if err := send(resp); err != nil {
			if ctx.Err() == nil {
				log.Warn().Err(err).Msg("agent: writing an answer (the tester does not read them): closing")
			}
			break
		}
		if end || ctx.Err() != nil {
			break
		}
		if sess.stage == stageReady {
			c.SetReadDeadline(time.Now().Add(sv.lim.IdleTimeout))
		}
	}
	cancel()
	for range lines { // let the reader end
	}
	wg.Wait()
	stop()
	c.Close()
	if sess.admitted {
		sv.conns.release()
	} else {
		sv.conns.leave(c)
	}
	for fd := range sess.fds {
		sess.b.Close(fd)
	}
	log.Info().Int("sockets", len(sess.fds)).Msg("agent: control connection ended")
}

func (s *session) handle(ctx context.Context, line []byte) *Response {
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		var id struct{ ID int64 }
		json.Unmarshal(line, &id)
		return &Response{ID: id.ID, Errno: "EINVAL", Error: "bad request: " + err.Error()}
	}
	start := time.Now()
	resp := &Response{ID: req.ID}
	if err := s.do(ctx, &req, resp); err != nil {
		errorResponse(resp, fmt.Errorf("%s: %w", req.Op, err))
	} else {
		resp.OK = true
	}
	s.log.Debug().Int64("id", req.ID).Str("op", req.Op).Int("fd", int(req.FD)).
		Bool("ok", resp.OK).Str("errno", resp.Errno).Dur("took", time.Since(start)).Msg("agent: request")
	return resp
}

// badRequest is an error with errno EINVAL for a malformed field.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), syscall.EINVAL)
}

// refused logs a call the agent's scope refuses, and returns err.
func (s *session) refused(err error) error {
	if err != nil {
		s.log.Warn().Err(err).Msg("agent: call refused")
	}
	return err
}

func (s *session) fd(req *Request) error {
	if !s.fds[req.FD] {
		return fmt.Errorf("fd %d is not a socket of this connection: %w", req.FD, syscall.EBADF)
	}
	return nil
}

func parseAddr(a string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(a)
	if err != nil || !ap.Addr().Is4() {
		return netip.AddrPort{}, badRequest("addr %q: want IPv4 IP:PORT", a)
	}
	return ap, nil
}

func timeout(req *Request) time.Duration {
	if req.TimeoutMS <= 0 {
		return 0
	}
	return time.Duration(req.TimeoutMS) * time.Millisecond
}

func (s *session) do(ctx context.Context, req *Request, resp *Response) error {
	switch req.Op {
	case "hello":
		s.hello(resp)
		return nil
	case "auth":
		return fmt.Errorf("the handshake is over: %w", syscall.EPROTO)
	case "sysctl":
		if !s.sv.AllowSysctl {
			return Unsupported(syscall.EPERM, "sysctl %s: this agent does not allow sysctl changes (start it with --allow-sysctl)", req.Name)
		}
		if s.b.Hello().Stack != "kernel" {
			return Unsupported(syscall.EOPNOTSUPP, "sysctl %s: the agent drives %s, not the kernel's TCP", req.Name, s.b.Hello().Stack)
		}
		old, err := setSysctl(req.Name, req.Text)
		if err != nil {
			return err
		}
		s.log.Warn().Str("key", req.Name).Str("value", req.Text).Str("was", old).Msg("agent: sysctl set")
		resp.Text = old
		return nil
	case "epoll_create":
		ep, ok := s.b.(Epoller)
		if !ok {
			return Unsupported(syscall.EOPNOTSUPP, "epoll: not in this backend")
		}
		if err := s.checkSockets("epoll_create"); err != nil {
			return err
		}
		fd, err := ep.EpollCreate()
		if err != nil {
			return err
		}
		s.fds[fd] = true
		resp.FD = fd
		return nil
	case "pipe":
		sp, err := s.splicer()
		if err != nil {
			return err
		}
		if err := s.checkSockets("pipe"); err != nil {
			return err
		}
		if len(s.fds)+2 > s.sv.lim.MaxSockets {
			return fmt.Errorf("a pipe's two fds would exceed the agent's --max-sockets (%d) on this control connection: close some first: %w", s.sv.lim.MaxSockets, syscall.EMFILE)
		}
		r, w, err := sp.Pipe()
		if err != nil {
			return err
		}
		s.fds[r], s.fds[w] = true, true
		resp.FDs = []FD{r, w}
		return nil
	case "socket":
		if err := s.checkSockets("socket"); err != nil {
			return err
		}
		fd, err := s.b.Socket()
		if err != nil {
			return err
		}
		s.fds[fd] = true
		resp.FD = fd
		return nil
	case "bind", "listen", "accept", "connect", "setsockopt", "getsockopt",
		"set_ip_options", "read", "write", "send_oob", "shutdown", "close", "tcp_info",
		"set_nonblock", "poll", "epoll_ctl", "epoll_wait", "splice":
	default:
		return fmt.Errorf("unknown op %q: %w", req.Op, syscall.ENOSYS)
	}
	if err := s.fd(req); err != nil {
		return err
	}
	switch req.Op {
	case "bind":
		ap, err := parseAddr(req.Addr)
		if err != nil {
			return err
		}
		if err := s.refused(s.scope.checkBind(ap.Addr())); err != nil {
			return err
		}
		got, err := s.b.Bind(req.FD, ap)
		if err != nil {
			return err
		}
		s.bound[req.FD] = true
		resp.Addr = got.String()
	case "listen":
		if !s.bound[req.FD] {
			return s.refused(fmt.Errorf("fd %d is not bound, and a socket listening unbound listens on every address: bind it to a test address first: %w", req.FD, syscall.EACCES))
		}
		return s.b.Listen(req.FD, req.Backlog)
	case "accept":
		if err := s.checkSockets("accept"); err != nil {
			return err
		}
		fd, peer, err := s.b.Accept(ctx, req.FD, timeout(req))
		if err != nil {
			return err
		}
		s.fds[fd], s.bound[fd] = true, true
		resp.FD, resp.Addr = fd, peer.String()
	case "connect":
		ap, err := parseAddr(req.Addr)
		if err != nil {
			return err
		}
		if err := s.refused(s.scope.checkPeer("connect", ap.Addr())); err != nil {
			return err
		}
		return s.b.Connect(ctx, req.FD, ap, timeout(req))
	case "setsockopt":
		if req.Value == nil {
			return badRequest("setsockopt %s: no value", req.Name)
		}
		return s.b.SetSockopt(req.FD, req.Name, *req.Value)
	case "set_ip_options":
		if len(req.Data) > maxIPOptions {
			return badRequest("set_ip_options: %d bytes of options; an IPv4 header holds at most %d", len(req.Data), maxIPOptions)
		}
		return s.b.SetIPOptions(req.FD, req.Data)
	case "getsockopt":
		v, err := s.b.GetSockopt(req.FD, req.Name)
		if err != nil {
			return err
		}
		resp.Value = &v
	case "read", "write":
		if !req.Null {
			break
		}
		nb, ok := s.b.(NullBuffer)
		if !ok {
			return Unsupported(syscall.EOPNOTSUPP, "%s with a NULL buffer: not in this backend", req.Op)
		}
		if req.Size <= 0 || req.Size > maxRead {
			return badRequest("size %d: want 1..%d", req.Size, maxRead)
		}
		n, err := nb.NullIO(req.FD, req.Op == "write", req.Size)
		if err != nil {
			return err
		}
		resp.N = &n
		return nil
	}
	switch req.Op {
	case "read":
		size := req.Size
		if size == 0 {
			size = 65536
		}
		if size < 0 || size > maxRead {
			return badRequest("size %d: want 1..%d", size, maxRead)
		}
		var data []byte
		var err error
		if ir, ok := s.b.(InqReader); ok {
			var inq *int
			data, inq, err = ir.ReadInq(ctx, req.FD, size, timeout(req))
			resp.Inq = inq
		} else {
			data, err = s.b.Read(ctx, req.FD, size, timeout(req))
		}
		if err != nil {
			return err
		}
		if data == nil {
			data = []byte{}
		}
		resp.Data = &data
	case "write", "send_oob":
		f := s.b.SendOOB
		if req.Op == "write" {
			flags, err := ParseSendFlags(req.Flags)
			if err != nil {
				return err
			}
			f = func(fd FD, data []byte) (int, error) {
				if flags != 0 {
					return s.b.Send(ctx, fd, data, flags)
				}
				return s.b.Write(ctx, fd, data)
			}
		}
		n, err := f(req.FD, req.Data)
		if err != nil {
			return err
		}
		resp.N = &n
	case "shutdown":
		switch req.How {
		case "rd", "wr", "rdwr":
		default:
			return badRequest("how %q: want rd, wr or rdwr", req.How)
		}
		return s.b.Shutdown(req.FD, req.How)
	case "close":
		delete(s.fds, req.FD)
		delete(s.bound, req.FD)
		return s.b.Close(req.FD)
	case "splice":
		sp, err := s.splicer()
		if err != nil {
			return err
		}
		if req.Value == nil || !s.fds[FD(*req.Value)] {
			return fmt.Errorf("splice: value (fd_out) is not an fd of this connection: %w", syscall.EBADF)
		}
		if req.Size < 0 {
			return badRequest("splice: size %d: want 0 or more bytes", req.Size)
		}
		flags, err := ParseSpliceFlags(req.Flags)
		if err != nil {
			return err
		}
		n, err := sp.Splice(ctx, req.FD, FD(*req.Value), req.Size, flags, timeout(req))
		if err != nil {
			return err
		}
		resp.N = &n
		return nil
	case "epoll_ctl", "epoll_wait":
		ep, ok := s.b.(Epoller)
		if !ok {
			return Unsupported(syscall.EOPNOTSUPP, "epoll: not in this backend")
		}
		if req.Op == "epoll_wait" {
			d := time.Duration(req.TimeoutMS) * time.Millisecond
			if req.TimeoutMS < 0 {
				d = -1
			}
			max := req.Size
			if max <= 0 || max > 1024 {
				return badRequest("epoll_wait: size %d: want 1..1024 events", max)
			}
			ready, err := ep.EpollWait(ctx, req.FD, max, d)
			if err != nil {
				return err
			}
			if ready == nil {
				ready = []EpollReady{}
			}
			resp.Ready = &ready
			return nil
		}
		if req.Value == nil || !s.fds[FD(*req.Value)] {
			return fmt.Errorf("epoll_ctl: value (the fd to watch) is not a socket of this connection: %w", syscall.EBADF)
		}
		switch req.Name {
		case "EPOLL_CTL_ADD", "EPOLL_CTL_MOD", "EPOLL_CTL_DEL":
		default:
			return badRequest("epoll_ctl: name %q: want EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL", req.Name)
		}
		ev, err := ParseEpollEvents(req.Events)
		if err != nil {
			return err
		}
		return ep.EpollCtl(req.FD, req.Name, FD(*req.Value), ev)
	case "set_nonblock":
		if req.Value == nil || *req.Value != 0 && *req.Value != 1 {
			return badRequest("set_nonblock: want value 0 or 1")
		}
		return s.b.SetNonblock(req.FD, *req.Value == 1)
	case "poll":
		ev, err := ParsePollEvents(req.Events)
		if err != nil {
			return err
		}
		d := time.Duration(req.TimeoutMS) * time.Millisecond
		if req.TimeoutMS < 0 {
			d = -1
		}
		got, err := s.b.Poll(ctx, req.FD, ev, d)
		if err != nil {
			return err
		}
		names := got.Names()
		resp.Revents = &names
	case "tcp_info":
		info, err := s.b.TCPInfo(req.FD)
		if err != nil {
			return err
		}
		resp.Info = &info
	}
	return nil
}

// splicer is the backend's pipes and splice, or why there are none.
func (s *session) splicer() (Splicer, error) {
	sp, ok := s.b.(Splicer)
	if !ok {
		return nil, Unsupported(syscall.EOPNOTSUPP, "pipe and splice: not in this backend")
	}
	return sp, nil
}
