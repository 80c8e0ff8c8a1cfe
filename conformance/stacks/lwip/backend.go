//go:build linux && cgo

package lwip

/*
#include <stdint.h>
#include <string.h>
#include "lwip/opt.h"
#include "lwip/sockets.h"

static void tr_sin(struct sockaddr_in *sin, uint32_t addr, uint16_t port) {
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = addr;
}

static int tr_bind(int s, uint32_t addr, uint16_t port) {
	struct sockaddr_in sin;
	tr_sin(&sin, addr, port);
	return lwip_bind(s, (struct sockaddr *)&sin, sizeof sin);
}

static int tr_connect(int s, uint32_t addr, uint16_t port) {
	struct sockaddr_in sin;
	tr_sin(&sin, addr, port);
	return lwip_connect(s, (struct sockaddr *)&sin, sizeof sin);
}

static void tr_from(struct sockaddr_in *sin, uint32_t *addr, uint16_t *port) {
	*addr = sin->sin_addr.s_addr;
	*port = ntohs(sin->sin_port);
}

static int tr_accept(int s, uint32_t *addr, uint16_t *port) {
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int r = lwip_accept(s, (struct sockaddr *)&sin, &len);
	if (r >= 0) {
		tr_from(&sin, addr, port);
	}
	return r;
}

static int tr_getsockname(int s, uint32_t *addr, uint16_t *port) {
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int r = lwip_getsockname(s, (struct sockaddr *)&sin, &len);
	if (r == 0) {
		tr_from(&sin, addr, port);
	}
	return r;
}

static int tr_setint(int s, int level, int opt, int v) {
	return lwip_setsockopt(s, level, opt, &v, sizeof v);
}

static int tr_getint(int s, int level, int opt, int *v) {
	socklen_t len = sizeof *v;
	return lwip_getsockopt(s, level, opt, v, &len);
}

static int tr_setlinger(int s, int on, int secs) {
	struct linger l;
	l.l_onoff = on;
	l.l_linger = secs;
	return lwip_setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

static int tr_getlinger(int s, int *on, int *secs) {
	struct linger l;
	socklen_t len = sizeof l;
	int r = lwip_getsockopt(s, SOL_SOCKET, SO_LINGER, &l, &len);
	*on = l.l_onoff;
	*secs = l.l_linger;
	return r;
}

static int tr_poll1(int s, short events, int ms, short *revents) {
	struct pollfd p;
	int n;
	p.fd = s;
	p.events = events;
	p.revents = 0;
	n = lwip_poll(&p, 1, ms);
	*revents = p.revents;
	return n;
}

static int tr_nonblock(int s) { return lwip_fcntl(s, F_SETFL, O_NONBLOCK); }

static int tr_inq(int s, int *n) {
	return lwip_ioctl(s, FIONREAD, n);
}
*/
import "C"

import (
	"context"
	"errors"

	"net/netip"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"tcpregress.dev/conformance/agent"
)

// Backend returns the agent backend over lwIP's socket API. Its sockets are
// lwIP's descriptors, always non-blocking inside (lwip_fcntl O_NONBLOCK);
// blocking ops wait with lwip_poll, as the kernel backend waits with
// poll(2). Options are passed to lwip_setsockopt and lwip_getsockopt with
// Linux's numbers (Debian builds lwIP against the system's socket headers);
// what lwIP refuses with ENOPROTOOPT is unsupported. tcp_info, send_oob and
// set_ip_options are unsupported: lwIP's socket API has no TCP_INFO, no
// urgent data to send and no IP_OPTIONS.
func (s *Stack) Backend() agent.Backend {
	return &backend{nonblock: map[agent.FD]bool{}}
}

type backend struct {
	mu       sync.Mutex
	nonblock map[agent.FD]bool
}

// options lists what lwIP 2.1's lwip_setsockopt takes for a TCP socket in
// Debian's configuration (sockets.c, lwip_setsockopt_impl).
var options = []string{
	"SO_RCVBUF", "SO_LINGER", "SO_KEEPALIVE", "SO_REUSEADDR", "TCP_NODELAY",
	"TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "IP_TOS", "IP_TTL", "SO_ERROR", "SIOCINQ",
}

func (b *backend) Hello() agent.Hello {
	return agent.StackHello("lwip", "lwIP "+Version(), options)
}

// lw runs an lwIP call and turns its failure into its errno.
func lw(f func() (C.int, error)) error { return call(f()) }

// call turns a failed lwIP call's errno into an error.
func call(r C.int, err error) error {
	if r >= 0 {
		return nil
	}
	var en syscall.Errno
	if errors.As(err, &en) && en != 0 {
		return en
	}
	return syscall.EIO
}

func (b *backend) Socket() (agent.FD, error) {
	r, err := C.lwip_socket(C.AF_INET, C.SOCK_STREAM, C.IPPROTO_TCP)
	if err := call(r, err); err != nil {
		return 0, err
	}
	if err := lw(func() (C.int, error) { r, err := C.tr_nonblock(r); return r, err }); err != nil {
		C.lwip_close(r)
		return 0, err
	}
	return agent.FD(r), nil
}

func nbo(a netip.Addr) C.uint32_t {
	b := a.As4()
	return C.uint32_t(*(*uint32)(unsafe.Pointer(&b[0])))
}

func fromNBO(a C.uint32_t, port C.uint16_t) netip.AddrPort {
	v := uint32(a)
	b := *(*[4]byte)(unsafe.Pointer(&v))
	return netip.AddrPortFrom(netip.AddrFrom4(b), uint16(port))
}

func (b *backend) Bind(fd agent.FD, ap netip.AddrPort) (netip.AddrPort, error) {
	if err := lw(func() (C.int, error) {
		r, err := C.tr_bind(C.int(fd), nbo(ap.Addr()), C.uint16_t(ap.Port()))
		return r, err
	}); err != nil {
		return netip.AddrPort{}, err
	}
	var a C.uint32_t
	var p C.uint16_t
	if err := lw(func() (C.int, error) { r, err := C.tr_getsockname(C.int(fd), &a, &p); return r, err }); err != nil {
		return netip.AddrPort{}, err
	}
	return fromNBO(a, p), nil
}

func (b *backend) Listen(fd agent.FD, backlog int) error {
	return lw(func() (C.int, error) { r, err := C.lwip_listen(C.int(fd), C.int(backlog)); return r, err })
}

func (b *backend) isNonblock(fd agent.FD) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.nonblock[fd]
}

// wait polls fd for events with lwip_poll until deadline (zero: none) or
// ctx ends; it returns onTimeout when the deadline passes.
func wait(ctx context.Context, fd agent.FD, events C.short, deadline time.Time, onTimeout syscall.Errno) error {
	return agent.WaitReady(ctx, deadline, onTimeout, func(ms int) (bool, error) {
		var rev C.short
		r, err := C.tr_poll1(C.int(fd), events, C.int(ms), &rev)
		return r > 0, call(r, err)
	})
}

func again(err error) bool { return err == syscall.EAGAIN || err == syscall.EINTR }

func (b *backend) Accept(ctx context.Context, fd agent.FD, timeout time.Duration) (agent.FD, netip.AddrPort, error) {
	deadline := agent.Deadline(timeout)
	for {
		var a C.uint32_t
		var p C.uint16_t
		r, cerr := C.tr_accept(C.int(fd), &a, &p)
		err := call(r, cerr)
		if err == nil {
			if err := lw(func() (C.int, error) { r, err := C.tr_nonblock(r); return r, err }); err != nil {
				C.lwip_close(r)
				return 0, netip.AddrPort{}, err
			}
			return agent.FD(r), fromNBO(a, p), nil
		}
		if !again(err) || b.isNonblock(fd) {
			return 0, netip.AddrPort{}, err
		}
		if err := wait(ctx, fd, C.POLLIN, deadline, syscall.EAGAIN); err != nil {
			return 0, netip.AddrPort{}, err
		}
	}
}

func (b *backend) Connect(ctx context.Context, fd agent.FD, ap netip.AddrPort, timeout time.Duration) error {
	err := lw(func() (C.int, error) {
		r, err := C.tr_connect(C.int(fd), nbo(ap.Addr()), C.uint16_t(ap.Port()))
		return r, err
	})
	return agent.FinishConnect(err, b.isNonblock(fd),
		func() error { return wait(ctx, fd, C.POLLOUT, agent.Deadline(timeout), syscall.ETIMEDOUT) },
		func() (int, error) {
			var soerr C.int
			err := lw(func() (C.int, error) {
				r, err := C.tr_getint(C.int(fd), C.SOL_SOCKET, C.SO_ERROR, &soerr)
				return r, err
			})
			return int(soerr), err
		})
}

func (b *backend) Read(ctx context.Context, fd agent.FD, size int, timeout time.Duration) ([]byte, error) {
	deadline := agent.Deadline(timeout)
	buf := make([]byte, max(size, 1))
	for {
		r, cerr := C.lwip_recv(C.int(fd), unsafe.Pointer(&buf[0]), C.size_t(size), 0)
		err := call(C.int(r), cerr)
		if err == nil {
			return buf[:r], nil
		}
		if !again(err) || b.isNonblock(fd) {
			return nil, err
		}
		if err := wait(ctx, fd, C.POLLIN, deadline, syscall.EAGAIN); err != nil {
			return nil, err
		}
	}
}

func (b *backend) Write(ctx context.Context, fd agent.FD, data []byte) (int, error) {
	return b.Send(ctx, fd, data, 0)
}

// Send writes data; MSG_MORE is lwIP's (TCP_WRITE_FLAG_MORE), MSG_EOR and
// MSG_ZEROCOPY are unsupported.
func (b *backend) Send(ctx context.Context, fd agent.FD, data []byte, flags agent.SendFlags) (int, error) {
	if flags&^agent.MsgMore != 0 {
		return 0, agent.Unsupported(syscall.EOPNOTSUPP, "MSG_EOR, MSG_ZEROCOPY: not in lwIP's socket API")
	}
	var cflags C.int
	if flags&agent.MsgMore != 0 {
		cflags = C.MSG_MORE
	}
	nonblock := b.isNonblock(fd)
	written := 0
	for written < len(data) || len(data) == 0 {
		var p unsafe.Pointer
		if len(data) > 0 {
			p = unsafe.Pointer(&data[written])
		}
		r, cerr := C.lwip_send(C.int(fd), p, C.size_t(len(data)-written), cflags)
		err := call(C.int(r), cerr)
		if err == nil {
			written += int(r)
			if len(data) == 0 {
				break
			}
			continue
		}
		if nonblock && err == syscall.EAGAIN && written > 0 {
			return written, nil
		}
		if !again(err) || nonblock {
			return written, err
		}
		if err := wait(ctx, fd, C.POLLOUT, time.Time{}, syscall.EAGAIN); err != nil {
			return written, err
		}
	}
	return written, nil
}

func (b *backend) SendOOB(agent.FD, []byte) (int, error) {
	return 0, agent.Unsupported(syscall.EOPNOTSUPP, "lwIP sends no urgent data (no MSG_OOB)")
}

func (b *backend) SetIPOptions(agent.FD, []byte) error {
	return agent.Unsupported(syscall.ENOPROTOOPT, "lwIP's socket API has no IP_OPTIONS")
}

func (b *backend) TCPInfo(agent.FD) (agent.TCPInfo, error) {
	return agent.TCPInfo{}, agent.Unsupported(syscall.EOPNOTSUPP, "lwIP's socket API has no TCP_INFO")
}

func (b *backend) Shutdown(fd agent.FD, how string) error {
	h := map[string]C.int{"rd": C.SHUT_RD, "wr": C.SHUT_WR, "rdwr": C.SHUT_RDWR}[how]
	return lw(func() (C.int, error) { r, err := C.lwip_shutdown(C.int(fd), h); return r, err })
}

func (b *backend) Close(fd agent.FD) error {
	b.mu.Lock()
	delete(b.nonblock, fd)
	b.mu.Unlock()
	return lw(func() (C.int, error) { r, err := C.lwip_close(C.int(fd)); return r, err })
}

func (b *backend) SetNonblock(fd agent.FD, on bool) error {
	var rev C.short
	if err := lw(func() (C.int, error) { r, err := C.tr_poll1(C.int(fd), 0, 0, &rev); return r, err }); err != nil {
		return err // EBADF
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nonblock[fd] = on
	return nil
}

// Poll is lwip_poll (its bits are poll(2)'s).
func (b *backend) Poll(ctx context.Context, fd agent.FD, events agent.PollEvents, timeout time.Duration) (agent.PollEvents, error) {
	deadline := time.Time{}
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	var rev C.short
	ready, err := agent.PollSliced(ctx, deadline, func(ms int) (bool, error) {
		r, err := C.tr_poll1(C.int(fd), C.short(events), C.int(ms), &rev)
		return r > 0, call(r, err)
	})
	if err != nil || !ready {
		return 0, err
	}
	return agent.PollEvents(rev), nil
}

// sockopts are the protocol's options by level and number (Linux's, which
// Debian's lwIP was built with).
var sockopts = map[string][2]C.int{
	"SO_RCVBUF":        {C.SOL_SOCKET, C.SO_RCVBUF},
	"SO_SNDBUF":        {C.SOL_SOCKET, C.SO_SNDBUF},
	"SO_KEEPALIVE":     {C.SOL_SOCKET, C.SO_KEEPALIVE},
	"SO_REUSEADDR":     {C.SOL_SOCKET, C.SO_REUSEADDR},
	"SO_ERROR":         {C.SOL_SOCKET, C.SO_ERROR},
	"TCP_NODELAY":      {C.IPPROTO_TCP, C.TCP_NODELAY},
	"TCP_MAXSEG":       {C.IPPROTO_TCP, C.TCP_MAXSEG},
	"TCP_KEEPIDLE":     {C.IPPROTO_TCP, C.TCP_KEEPIDLE},
	"TCP_KEEPINTVL":    {C.IPPROTO_TCP, C.TCP_KEEPINTVL},
	"TCP_KEEPCNT":      {C.IPPROTO_TCP, C.TCP_KEEPCNT},
	"TCP_USER_TIMEOUT": {C.IPPROTO_TCP, unix.TCP_USER_TIMEOUT},
	"IP_TOS":           {C.IPPROTO_IP, C.IP_TOS},
	"IP_TTL":           {C.IPPROTO_IP, C.IP_TTL},
}

// optErr makes lwIP's ENOPROTOOPT (and EINVAL for an option it does not
// know at that level) the protocol's unsupported.
func optErr(name string, err error) error {
	if err == syscall.ENOPROTOOPT {
		return agent.Unsupported(syscall.ENOPROTOOPT, "option %s: not in lwIP's socket API (Debian's build)", name)
	}
	return err
}

func (b *backend) SetSockopt(fd agent.FD, name string, v int) error {
	if name == "SO_LINGER" {
		on, secs := C.int(0), C.int(0)
		if v >= 0 {
			on, secs = 1, C.int(v)
		}
		return optErr(name, lw(func() (C.int, error) { r, err := C.tr_setlinger(C.int(fd), on, secs); return r, err }))
	}
	o, ok := sockopts[name]
	if !ok || name == "SO_ERROR" {
		return agent.Unsupported(syscall.ENOPROTOOPT, "option %q: not settable on lwIP", name)
	}
	return optErr(name, lw(func() (C.int, error) { r, err := C.tr_setint(C.int(fd), o[0], o[1], C.int(v)); return r, err }))
}

func (b *backend) GetSockopt(fd agent.FD, name string) (int, error) {
	switch name {
	case "SO_LINGER":
		var on, secs C.int
		if err := lw(func() (C.int, error) { r, err := C.tr_getlinger(C.int(fd), &on, &secs); return r, err }); err != nil {
			return 0, optErr(name, err)
		}
		if on == 0 {
			return -1, nil
		}
		return int(secs), nil
	case "SIOCINQ":
		var n C.int
		if err := lw(func() (C.int, error) { r, err := C.tr_inq(C.int(fd), &n); return r, err }); err != nil {
			return 0, optErr(name, err)
		}
		return int(n), nil
	}
	o, ok := sockopts[name]
	if !ok {
		return 0, agent.Unsupported(syscall.ENOPROTOOPT, "option %q: unknown", name)
	}
	var v C.int
	if err := lw(func() (C.int, error) { r, err := C.tr_getint(C.int(fd), o[0], o[1], &v); return r, err }); err != nil {
		return 0, optErr(name, err)
	}
	return int(v), nil
}
