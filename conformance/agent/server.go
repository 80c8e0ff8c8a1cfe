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
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// maxLine bounds a request line.
const maxLine = 64 << 20

// maxRead bounds a read request's size.
const maxRead = 16 << 20

// maxIPOptions is the room for options in an IPv4 header (RFC 791: a
// header of at most 60 octets, 20 of them fixed).
const maxIPOptions = 40

// Serve answers control connections on ln with b until ctx ends or ln fails,
// one goroutine per connection; a connection's sockets are closed when it
// ends. Serve closes ln, and when it returns every connection has been
// closed and every goroutine it started has ended. It returns nil after ctx
// ends, or the listener's error.
func Serve(ctx context.Context, ln net.Listener, b Backend) error {
	return (&Server{Backend: b}).Serve(ctx, ln)
}

// Server is Serve with a logger.
type Server struct {
	Backend Backend
	// Logger gets a line per control connection (info) and per request
	// (debug). Silent when zero.
	Logger zerolog.Logger
}

// Serve is the package's Serve with s's settings.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
		}()
	}
}

// session is one control connection.
type session struct {
	b   Backend
	fds map[FD]bool
	log zerolog.Logger
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	log := s.Logger.With().Str("tester", c.RemoteAddr().String()).Logger()
	log.Info().Msg("agent: control connection")
	sess := &session{b: s.Backend, fds: map[FD]bool{}, log: log}
	lines := make(chan []byte)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the reader: ends the session when the tester goes
		defer wg.Done()
		defer cancel()
		defer close(lines)
		sc := bufio.NewScanner(c)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine)
		for sc.Scan() {
			line := append([]byte(nil), sc.Bytes()...)
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
		if err := sc.Err(); err != nil && ctx.Err() == nil {
			log.Warn().Err(err).Msg("agent: reading requests")
		}
	}()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	w := bufio.NewWriter(c)
	enc := json.NewEncoder(w)
	for line := range lines {
		if len(line) == 0 {
			continue
		}
		resp := sess.handle(ctx, line)
		if err := enc.Encode(resp); err == nil {
			err = w.Flush()
		}
		if ctx.Err() != nil {
			break
		}
	}
	cancel()
	for range lines { // let the reader end
	}
	wg.Wait()
	stop()
	c.Close()
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
		h := s.b.Hello()
		resp.OS, resp.Kernel, resp.Stack, resp.StackVersion, resp.Options = h.OS, h.Kernel, h.Stack, h.StackVersion, h.Options
		return nil
	case "socket":
		fd, err := s.b.Socket()
		if err != nil {
			return err
		}
		s.fds[fd] = true
		resp.FD = fd
		return nil
	case "bind", "listen", "accept", "connect", "setsockopt", "getsockopt",
		"set_ip_options", "read", "write", "send_oob", "shutdown", "close", "tcp_info",
		"set_nonblock", "poll":
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
		got, err := s.b.Bind(req.FD, ap)
		if err != nil {
			return err
		}
		resp.Addr = got.String()
	case "listen":
		return s.b.Listen(req.FD, req.Backlog)
	case "accept":
		fd, peer, err := s.b.Accept(ctx, req.FD, timeout(req))
		if err != nil {
			return err
		}
		s.fds[fd] = true
		resp.FD, resp.Addr = fd, peer.String()
	case "connect":
		ap, err := parseAddr(req.Addr)
		if err != nil {
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
	case "read":
		size := req.Size
		if size == 0 {
			size = 65536
		}
		if size < 0 || size > maxRead {
			return badRequest("size %d: want 1..%d", size, maxRead)
		}
		data, err := s.b.Read(ctx, req.FD, size, timeout(req))
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
		return s.b.Close(req.FD)
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
