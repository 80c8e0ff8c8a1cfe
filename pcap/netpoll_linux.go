//go:build linux

package pcap

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// poller lets a reader of a live handle wait in Go's network poller rather
// than in poll(2). An epoll instance of its own holds the handle's wake-up
// eventfd and libpcap's selectable descriptor; the runtime's poller watches
// that epoll descriptor (nested epoll), so the packet socket itself is left
// as libpcap set it up (blocking, which injection relies on).
//
// Parking the goroutine instead of blocking its thread in a system call
// matters on a busy process: the processor (P) goes at once to the next
// runnable goroutine, typically the one the reader has just woken, where a
// thread blocked in poll(2) keeps its P until the runtime's monitor takes it
// away, 20 µs to 10 ms later.
//
// While the socket is in the epoll set, every captured frame runs the
// wake-up callbacks of both epoll levels and may wake an idle thread of the
// runtime, whether the reader waits or not. So a reader that has taken a
// large batch, and will be busy with it for a while, takes the socket out
// of the set (busy) and puts it back when it waits again; one that takes a
// frame or two at a time (request and response traffic) leaves it there and
// saves those two system calls per wait. On a bulk receive over a veth this
// took the idle share of two cores from about 30% to 20% and raised
// throughput by a fifth (benchmarks/README.md).
type poller struct {
	f        *os.File
	rc       syscall.RawConn
	ep, sock int
	wake     *waker
	inSet    bool      // sock is in the epoll set
	deadline time.Time // the read deadline set on f
	expired  bool      // f's deadline fired: set it again before the next wait

	// State of one wait, in the poller so that waiting allocates nothing.
	look   func(uintptr) bool // p.lookOnce
	looked bool
	ctlErr error
	ev     [2]unix.EpollEvent
}

// busyBatch is the batch size from which a reader takes the socket out of
// the epoll set until its next wait.
const busyBatch = 8

// newPoller returns nil and no error when the runtime cannot poll the epoll
// descriptor; the handle then waits in poll(2).
func newPoller(sock int, w *waker) (*poller, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pcap: epoll_create1: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(w.fd())}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, w.fd(), &ev); err != nil {
		unix.Close(ep)
		return nil, fmt.Errorf("pcap: epoll_ctl: %w", err)
	}
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, fmt.Errorf("pcap: epoll descriptor: %w", err)
	}
	f := os.NewFile(uintptr(ep), "pcap-epoll")
	// Only a file the runtime polls has deadlines: without them the
	// RawConn below would not wait at all.
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		f.Close()
		return nil, nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil
	}
	p := &poller{f: f, rc: rc, ep: ep, sock: sock, wake: w}
	p.look = p.lookOnce
	return p, nil
}

// wait returns once the packet socket is readable or a wake-up was sent, or
// with os.ErrDeadlineExceeded at the deadline (zero: none). The handle's
// readMu is held.
func (p *poller) wait(deadline time.Time) error {
	if p.expired || !deadline.Equal(p.deadline) {
		if err := p.f.SetReadDeadline(deadline); err != nil {
			return err
		}
		p.deadline, p.expired = deadline, false
	}
	p.looked, p.ctlErr = false, nil
	err := p.rc.Read(p.look)
	if p.ctlErr != nil {
		return fmt.Errorf("epoll_ctl: %w", p.ctlErr)
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// Set it again next time: if the clock was stepped back, the same
		// deadline may lie ahead once more.
		p.expired = true
	}
	return err
}

// lookOnce is the RawConn.Read callback of wait: it reports whether the
// wait is over. RawConn.Read forgets readiness the runtime saw before it
// started, so the first call looks for what happened before: a wake-up, or
// a frame already waiting. The second call comes after the runtime's poller
// saw the epoll descriptor become readable.
func (p *poller) lookOnce(uintptr) bool {
	if p.looked {
		return true
	}
	p.looked = true
	if p.wake.pending.Load() {
		return true
	}
	if !p.inSet {
		// Adding the socket queues it at once if a frame is waiting, which
		// ends this wait.
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(p.sock)}
		switch err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_ADD, p.sock, &ev); err {
		case nil:
			p.inSet = true
			return false
		case unix.EEXIST:
			p.inSet = true // and look below: this add queued nothing
		default:
			p.ctlErr = err
			return true
		}
	}
	// Level-triggered: reports the socket if a frame is waiting.
	n, err := unix.EpollWait(p.ep, p.ev[:], 0)
	for _, e := range p.ev[:max(n, 0)] {
		if int(e.Fd) == p.wake.fd() {
			// A wake-up whose pending flag a previous wait took before
			// the write: take the count, or every later look would find
			// the eventfd readable.
			p.wake.drain()
		}
	}
	return n > 0 || err != nil && err != unix.EINTR
}

// busy tells the poller that the reader took n frames at once; see poller.
func (p *poller) busy(n int) {
	if n >= busyBatch && p.inSet {
		if err := unix.EpollCtl(p.ep, unix.EPOLL_CTL_DEL, p.sock, nil); err == nil || err == unix.ENOENT {
			p.inSet = false
		}
	}
}

func (p *poller) close() { p.f.Close() }

// pollWait is wait for handles with a poller: it maps the poller's result
// to wait's and takes the wake-up eventfd's count when a wake-up was sent.
func (h *Handle) pollWait(p *poller, deadline time.Time) error {
	err := p.wait(deadline)
	if h.wake.pending.Swap(false) {
		h.wake.drain()
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return os.ErrDeadlineExceeded
	default:
		return &Error{Op: "wait", Source: h.source, Code: -1, Msg: err.Error()}
	}
}
