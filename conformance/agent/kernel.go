//go:build linux || darwin || freebsd

package agent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// KernelBackend returns the backend over the host kernel's sockets (pure Go,
// golang.org/x/sys/unix). Sockets are non-blocking; accept, connect, read
// and write wait with poll(2).
func KernelBackend() Backend { return &kernelBackend{} }

// kernelBackend keeps which fds the tester made non-blocking (the sockets
// themselves always are, for poll).
type kernelBackend struct {
	nonblock sync.Map // FD → true
	pipes    sync.Map // FD → true: the ends of Pipe's pipes (Linux)
}

func (b *kernelBackend) isNonblock(fd FD) bool {
	_, ok := b.nonblock.Load(fd)
	return ok
}

func (b *kernelBackend) SetNonblock(fd FD, on bool) error {
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil {
		return err
	}
	if on {
		b.nonblock.Store(fd, true)
	} else {
		b.nonblock.Delete(fd)
	}
	return nil
}

// Poll is poll(2) on fd, in slices so that a cancelled context is noticed.
func (b *kernelBackend) Poll(ctx context.Context, fd FD, events PollEvents, timeout time.Duration) (PollEvents, error) {
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: int16(events)}}
	ready, err := PollSliced(ctx, deadline, func(ms int) (bool, error) {
		n, err := unix.Poll(fds, ms)
		return n > 0, err
	})
	if err != nil || !ready {
		return 0, err
	}
	if fds[0].Revents&unix.POLLNVAL != 0 {
		return 0, unix.EBADF
	}
	return PollEvents(uint16(fds[0].Revents)), nil
}

// Send is Write with the flags of send(2) (sendFlagBits maps them).
func (b *kernelBackend) Send(ctx context.Context, fd FD, data []byte, flags SendFlags) (int, error) {
	var f int
	for _, n := range sendFlagNames {
		if flags&n.bit == 0 {
			continue
		}
		bit, ok := sendFlagBits[n.bit]
		if !ok {
			return 0, Unsupported(unix.EOPNOTSUPP, "send flag %s: not on %s", n.name, runtime.GOOS)
		}
		f |= bit
	}
	return b.write(ctx, fd, data, f)
}

func (b *kernelBackend) Hello() Hello {
	h := Hello{OS: runtimeGOOS(), Kernel: kernelRelease(), Stack: "kernel"}
	for _, n := range optionNames {
		if o, ok := sockopts[n]; ok && o.opt >= 0 {
			h.Options = append(h.Options, n)
		}
	}
	// IP options are set with their own op, set_ip_options; hello lists
	// them with the options so that a tester can tell.
	h.Options = append(h.Options, ipOptionsName)
	return h
}

func (b *kernelBackend) Socket() (FD, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_TCP)
	if err != nil {
		return 0, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return 0, err
	}
	return FD(fd), nil
}

func sockaddr(ap netip.AddrPort) *unix.SockaddrInet4 {
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
}

func addrPort(sa unix.Sockaddr) netip.AddrPort {
	if s, ok := sa.(*unix.SockaddrInet4); ok {
		return netip.AddrPortFrom(netip.AddrFrom4(s.Addr), uint16(s.Port))
	}
	return netip.AddrPort{}
}

func (b *kernelBackend) Bind(fd FD, ap netip.AddrPort) (netip.AddrPort, error) {
	if err := unix.Bind(int(fd), sockaddr(ap)); err != nil {
		return netip.AddrPort{}, err
	}
	sa, err := unix.Getsockname(int(fd))
	if err != nil {
		return netip.AddrPort{}, err
	}
	return addrPort(sa), nil
}

func (b *kernelBackend) Listen(fd FD, backlog int) error {
	return unix.Listen(int(fd), backlog)
}

// wait polls fd for events until deadline (zero: none) or ctx ends. It
// returns the errno to report on a timeout.
func wait(ctx context.Context, fd FD, events int16, deadline time.Time, timeoutErr syscall.Errno) error {
	return WaitReady(ctx, deadline, timeoutErr, func(ms int) (bool, error) {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: events}}, ms)
		return n > 0, err
	})
}

func retry(err error) bool { return err == unix.EAGAIN || err == unix.EINTR }

func (b *kernelBackend) Accept(ctx context.Context, fd FD, timeout time.Duration) (FD, netip.AddrPort, error) {
	deadline := Deadline(timeout)
	for {
		nfd, sa, err := unix.Accept(int(fd))
		if err != nil && b.isNonblock(fd) {
			return 0, netip.AddrPort{}, err
		}
		if err == nil {
			unix.CloseOnExec(nfd)
			if err := unix.SetNonblock(nfd, true); err != nil {
				unix.Close(nfd)
				return 0, netip.AddrPort{}, err
			}
			return FD(nfd), addrPort(sa), nil
		}
		if !retry(err) && err != unix.ECONNABORTED {
			return 0, netip.AddrPort{}, err
		}
		if err := wait(ctx, fd, unix.POLLIN, deadline, unix.EAGAIN); err != nil {
			return 0, netip.AddrPort{}, err
		}
	}
}

func (b *kernelBackend) Connect(ctx context.Context, fd FD, ap netip.AddrPort, timeout time.Duration) error {
	return FinishConnect(unix.Connect(int(fd), sockaddr(ap)), b.isNonblock(fd),
		func() error { return wait(ctx, fd, unix.POLLOUT, Deadline(timeout), unix.ETIMEDOUT) },
		func() (int, error) { return unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR) })
}

func (b *kernelBackend) Read(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, error) {
	deadline := Deadline(timeout)
	buf := make([]byte, size)
	for {
		n, err := unix.Read(int(fd), buf)
		if err == nil {
			return buf[:n], nil
		}
		if !retry(err) || err == unix.EAGAIN && b.isNonblock(fd) {
			return nil, err
		}
		if err := wait(ctx, fd, unix.POLLIN, deadline, unix.EAGAIN); err != nil {
			return nil, err
		}
	}
}

func (b *kernelBackend) Write(ctx context.Context, fd FD, data []byte) (int, error) {
	return b.write(ctx, fd, data, 0)
}

// write writes data with send(2)'s flags: all of it, or on a non-blocking
// fd what fits at once.
func (b *kernelBackend) write(ctx context.Context, fd FD, data []byte, flags int) (int, error) {
	nonblock := b.isNonblock(fd)
	written := 0
	for written < len(data) || len(data) == 0 {
		var n int
		var err error
		if flags == 0 {
			n, err = unix.Write(int(fd), data[written:])
		} else {
			n, err = unix.SendmsgN(int(fd), data[written:], nil, nil, flags)
		}
		if n > 0 {
			written += n
		}
		if err == nil {
			if len(data) == 0 || nonblock {
				break
			}
			continue
		}
		if nonblock && err == unix.EAGAIN && written > 0 {
			break
		}
		if !retry(err) || nonblock && err == unix.EAGAIN {
			return written, err
		}
		if err := wait(ctx, fd, unix.POLLOUT, time.Time{}, unix.EAGAIN); err != nil {
			return written, err
		}
	}
	return written, nil
}

func (b *kernelBackend) SendOOB(fd FD, data []byte) (int, error) {
	for {
		n, err := unix.SendmsgN(int(fd), data, nil, nil, unix.MSG_OOB)
		if err != unix.EINTR {
			return n, err
		}
	}
}

func (b *kernelBackend) Shutdown(fd FD, how string) error {
	h := map[string]int{"rd": unix.SHUT_RD, "wr": unix.SHUT_WR, "rdwr": unix.SHUT_RDWR}[how]
	return unix.Shutdown(int(fd), h)
}

func (b *kernelBackend) Close(fd FD) error {
	b.nonblock.Delete(fd)
	b.pipes.Delete(fd)
	return unix.Close(int(fd))
}

// sockopt is a socket option of the platform; opt < 0 means absent.
type sockopt struct {
	level, opt int
}

// sockopts are the options of the protocol by name. The ones whose number
// or presence differs between systems come from kernel_GOOS.go.
var sockopts = map[string]sockopt{
	"SO_RCVBUF":        {unix.SOL_SOCKET, unix.SO_RCVBUF},
	"SO_SNDBUF":        {unix.SOL_SOCKET, unix.SO_SNDBUF},
	"SO_LINGER":        soLinger,
	"SO_KEEPALIVE":     {unix.SOL_SOCKET, unix.SO_KEEPALIVE},
	"SO_REUSEADDR":     {unix.SOL_SOCKET, unix.SO_REUSEADDR},
	"TCP_NODELAY":      {unix.IPPROTO_TCP, unix.TCP_NODELAY},
	"TCP_MAXSEG":       {unix.IPPROTO_TCP, unix.TCP_MAXSEG},
	"TCP_KEEPIDLE":     tcpKeepIdle,
	"TCP_KEEPINTVL":    {unix.IPPROTO_TCP, unix.TCP_KEEPINTVL},
	"TCP_KEEPCNT":      {unix.IPPROTO_TCP, unix.TCP_KEEPCNT},
	"TCP_USER_TIMEOUT": tcpUserTimeout,
	"IP_TOS":           {unix.IPPROTO_IP, unix.IP_TOS},
	"IP_TTL":           {unix.IPPROTO_IP, unix.IP_TTL},
	"SO_ERROR":         {unix.SOL_SOCKET, unix.SO_ERROR},
	// SIOCINQ is an ioctl, not an option: the bytes ready to read.
	"SIOCINQ":           siocInq,
	"TCP_CORK":          tcpCork,
	"TCP_NOTSENT_LOWAT": tcpNotsentLowat,
	"TCP_INQ":           tcpInq,
	"SO_ZEROCOPY":       soZeroCopy,
	"IP_FREEBIND":       ipFreebind,
}

// siocInqName is the name GetSockopt answers with an ioctl.
const siocInqName = "SIOCINQ"

const soLingerName = "SO_LINGER"

func lookupOpt(name string) (sockopt, error) {
	o, ok := sockopts[name]
	if !ok {
		return sockopt{}, Unsupported(unix.ENOPROTOOPT, "option %q: unknown", name)
	}
	if o.opt < 0 {
		return sockopt{}, Unsupported(unix.ENOPROTOOPT, "option %s: not on %s", name, runtime.GOOS)
	}
	return o, nil
}

func (b *kernelBackend) SetSockopt(fd FD, name string, value int) error {
	o, err := lookupOpt(name)
	if err != nil {
		return err
	}
	if name == "SO_ERROR" || name == siocInqName {
		return Unsupported(unix.ENOPROTOOPT, "option %s: read-only", name)
	}
	if name == soLingerName {
		l := &unix.Linger{}
		if value >= 0 {
			l.Onoff, l.Linger = 1, int32(value)
		}
		return unix.SetsockoptLinger(int(fd), o.level, o.opt, l)
	}
	return unix.SetsockoptInt(int(fd), o.level, o.opt, value)
}

func (b *kernelBackend) GetSockopt(fd FD, name string) (int, error) {
	o, err := lookupOpt(name)
	if err != nil {
		return 0, err
	}
	if name == siocInqName {
		return unix.IoctlGetInt(int(fd), uint(o.opt))
	}
	if name == soLingerName {
		l, err := unix.GetsockoptLinger(int(fd), o.level, o.opt)
		if err != nil {
			return 0, err
		}
		if l.Onoff == 0 {
			return -1, nil
		}
		return int(l.Linger), nil
	}
	return unix.GetsockoptInt(int(fd), o.level, o.opt)
}

// SetIPOptions passes opts to setsockopt(IPPROTO_IP, IP_OPTIONS) as they
// are. Linux, FreeBSD and macOS take a source route the same way: the first
// address of an LSRR or SSRR option is the first hop (the datagram's
// destination, left out of the option on the wire), the last the final
// destination (Linux writes the connection's destination into that slot).
func (b *kernelBackend) SetIPOptions(fd FD, opts []byte) error {
	if err := unix.SetsockoptString(int(fd), unix.IPPROTO_IP, unix.IP_OPTIONS, string(opts)); err != nil {
		return fmt.Errorf("setsockopt IP_OPTIONS: %w", err)
	}
	return nil
}

func (b *kernelBackend) TCPInfo(fd FD) (TCPInfo, error) {
	info, err := tcpInfo(fd)
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return info, fmt.Errorf("getsockopt TCP_INFO: %w", err)
	}
	return info, err
}
