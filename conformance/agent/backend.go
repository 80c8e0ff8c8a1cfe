package agent

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
)

// Backend makes the socket calls of the protocol. fds are the backend's own
// (kernel descriptors or fake ones); the server checks that a control
// connection only uses the fds it made. Errors should wrap a syscall.Errno
// (the server sends its name) or come from [Unsupported]. A timeout of 0
// means none; ctx ends when the control connection or the server does, and
// blocked calls must then return promptly.
//
// The server calls a Backend from one goroutine per control connection, so
// its methods must be safe for concurrent use on different fds.
type Backend interface {
	Hello() Hello
	Socket() (FD, error)
	Bind(fd FD, addr netip.AddrPort) (netip.AddrPort, error)
	Listen(fd FD, backlog int) error
	Accept(ctx context.Context, fd FD, timeout time.Duration) (FD, netip.AddrPort, error)
	Connect(ctx context.Context, fd FD, addr netip.AddrPort, timeout time.Duration) error
	SetSockopt(fd FD, name string, value int) error
	GetSockopt(fd FD, name string) (int, error)
	// SetIPOptions sets the IPv4 options of fd's datagrams as
	// setsockopt(IPPROTO_IP, IP_OPTIONS) does (at most 40 bytes; empty
	// clears them). A backend without it returns an [Unsupported] error.
	SetIPOptions(fd FD, opts []byte) error
	// Read returns an empty slice and no error at EOF.
	Read(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, error)
	Write(ctx context.Context, fd FD, data []byte) (int, error)
	SendOOB(fd FD, data []byte) (int, error)
	// Shutdown takes "rd", "wr" or "rdwr".
	Shutdown(fd FD, how string) error
	Close(fd FD) error
	TCPInfo(fd FD) (TCPInfo, error)
	// SetNonblock sets fd's O_NONBLOCK (off for new and accepted sockets):
	// accept and read then answer EAGAIN instead of waiting, connect
	// EINPROGRESS (the handshake goes on; poll for POLLOUT and read
	// SO_ERROR), write and send write what fits at once and answer EAGAIN
	// when nothing does.
	SetNonblock(fd FD, on bool) error
	// Poll waits until one of events (or an error or hang-up) is ready on
	// fd, or timeout passes (0: answer at once; negative: no limit) and
	// returns the events ready (none on a timeout).
	Poll(ctx context.Context, fd FD, events PollEvents, timeout time.Duration) (PollEvents, error)
	// Send is Write with send(2)'s flags.
	Send(ctx context.Context, fd FD, data []byte, flags SendFlags) (int, error)
}

// InqReader is a Backend whose reads can also say how many bytes are left
// to read, as Linux's TCP_CM_INQ control message does once TCP_INQ is set
// on the socket (read's "inq"). It is optional: backends without it leave
// "inq" out.
type InqReader interface {
	// ReadInq is Read, and the TCP_CM_INQ value when the read carried one
	// (nil otherwise).
	ReadInq(ctx context.Context, fd FD, size int, timeout time.Duration) ([]byte, *int, error)
}

// Epoller is a Backend with epoll (Linux's kernel backend): the
// epoll_create, epoll_ctl and epoll_wait ops. It is optional: backends
// without it answer those ops unsupported.
type Epoller interface {
	EpollCreate() (FD, error)
	// EpollCtl takes "EPOLL_CTL_ADD", "EPOLL_CTL_MOD" or "EPOLL_CTL_DEL".
	EpollCtl(epfd FD, op string, fd FD, events EpollEvents) error
	// EpollWait waits up to timeout (0: not at all; negative: no limit)
	// for at most max events.
	EpollWait(ctx context.Context, epfd FD, max int, timeout time.Duration) ([]EpollReady, error)
}

// NullBuffer is a Backend that can pass a NULL buffer to read(2) and
// write(2), for scripts that check the EFAULT a bad pointer gets (the
// Linux kernel backend). Optional: others answer unsupported.
type NullBuffer interface {
	// NullIO calls read (write false) or write with a NULL buffer of size
	// bytes and returns the call's result.
	NullIO(fd FD, write bool, size int) (int, error)
}

// Splicer is a Backend with pipes and splice(2) (Linux's kernel backend):
// the pipe and splice ops. It is optional: backends without it answer
// those ops unsupported.
type Splicer interface {
	// Pipe makes a pipe and returns its read and write ends, fds of the
	// connection like sockets (close closes them).
	Pipe() (r, w FD, err error)
	// Splice moves up to size bytes from in to out, one of them a pipe,
	// with no offsets (packetdrill's NULL off_in and off_out). Unless in
	// or out was set non-blocking it waits, as splice(2) on blocking fds
	// does, up to timeout (0: until ctx ends; then EAGAIN).
	Splice(ctx context.Context, in, out FD, size int, flags SpliceFlags, timeout time.Duration) (int, error)
}

// toResponse fills the error fields of r from err.
func errorResponse(r *Response, err error) {
	r.OK = false
	r.Error = err.Error()
	r.Unsupported = errors.Is(err, ErrUnsupported)
	var en syscall.Errno
	switch {
	case errors.As(err, &en):
		r.Errno = ErrnoName(en)
	case errors.Is(err, os.ErrDeadlineExceeded):
		r.Errno = "EAGAIN"
	case errors.Is(err, context.DeadlineExceeded):
		r.Errno = "ETIMEDOUT"
	case errors.Is(err, context.Canceled):
		r.Errno = "ECANCELED"
	case errors.Is(err, io.ErrUnexpectedEOF):
		r.Errno = "EIO"
	case r.Unsupported:
		r.Errno = "ENOPROTOOPT"
	default:
		r.Errno = "EIO"
	}
}

// The helpers below serve the backends that wrap a socket API (this
// package's, and those in tcpregress.dev/conformance/stacks): they make the
// protocol's blocking calls out of non-blocking sockets the same way.

// Deadline is the deadline of a call's timeout: none (the zero time) for a
// timeout of 0 or less.
func Deadline(timeout time.Duration) time.Time {
	if timeout <= 0 {
		return time.Time{}
	}
	return time.Now().Add(timeout)
}

// PollSlice is the longest single wait of [PollSliced], so that a
// cancelled context is noticed.
const PollSlice = 50 * time.Millisecond

// PollSliced calls poll, which waits up to ms milliseconds for an fd (a
// poll(2), epoll_wait(2) or lwip_poll) and says whether something is
// ready, with at most [PollSlice] at a time, until something is ready
// (true), the deadline passes (false; the zero deadline is none) or ctx
// ends (its error). poll's EINTR counts as nothing ready; any other error
// ends the wait.
func PollSliced(ctx context.Context, deadline time.Time, poll func(ms int) (bool, error)) (bool, error) {
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		slice := PollSlice
		if !deadline.IsZero() {
			slice = max(0, min(slice, time.Until(deadline)))
		}
		ready, err := poll(int((slice + time.Millisecond - 1) / time.Millisecond))
		if err != nil && err != syscall.EINTR {
			return false, err
		}
		if ready && err == nil {
			return true, nil
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return false, nil
		}
	}
}

// WaitReady is [PollSliced] for a blocking call that waits for its fd: it
// returns onTimeout (EAGAIN for a read's timeout, ETIMEDOUT for connect's)
// when the deadline passes first.
func WaitReady(ctx context.Context, deadline time.Time, onTimeout syscall.Errno, poll func(ms int) (bool, error)) error {
	ready, err := PollSliced(ctx, deadline, poll)
	if err == nil && !ready {
		return onTimeout
	}
	return err
}

// FinishConnect makes connect's result out of what connect(2) on a
// non-blocking socket returned (err): a blocking socket (nonblock false)
// whose connect is under way (EINPROGRESS, EALREADY, EINTR) waits until the
// socket is writable (writable, which returns ETIMEDOUT at the call's
// timeout), then reports SO_ERROR (soError); a non-blocking one returns
// err as it is, as does every other result.
func FinishConnect(err error, nonblock bool, writable func() error, soError func() (int, error)) error {
	switch err {
	case nil:
		return nil
	case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
		if nonblock {
			return err
		}
	default:
		return err
	}
	if err := writable(); err != nil {
		return err
	}
	soerr, err := soError()
	if err != nil {
		return err
	}
	if soerr != 0 {
		return syscall.Errno(soerr)
	}
	return nil
}

// FDTable holds the sockets of a backend whose fds are its own numbers
// (Go objects behind fake fds): [StackBackend], gVisor's. The zero value
// is empty and hands out 3 first, as a process's first socket. It is safe
// for concurrent use.
type FDTable[S any] struct {
	mu    sync.Mutex
	socks map[FD]S
	next  FD
}

// Add gives s the next fd.
func (t *FDTable[S]) Add(s S) FD {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.socks == nil {
		t.socks, t.next = map[FD]S{}, 3
	}
	fd := t.next
	t.next++
	t.socks[fd] = s
	return fd
}

// Get returns fd's socket, or EBADF.
func (t *FDTable[S]) Get(fd FD) (S, error) { return t.look(fd, false) }

// Remove takes fd out of the table and returns its socket, or EBADF.
func (t *FDTable[S]) Remove(fd FD) (S, error) { return t.look(fd, true) }

func (t *FDTable[S]) look(fd FD, remove bool) (S, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.socks[fd]
	if !ok {
		return s, syscall.EBADF
	}
	if remove {
		delete(t.socks, fd)
	}
	return s, nil
}
