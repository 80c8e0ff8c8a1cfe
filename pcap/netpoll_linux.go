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
// than in poll(2). An epoll instance of its own watches libpcap's selectable
// descriptor and the handle's wake-up eventfd; the runtime's poller watches
// that epoll descriptor (nested epoll), so the packet socket itself is left
// as libpcap set it up (blocking, which injection relies on).
//
// Parking the goroutine instead of blocking its thread in a system call
// matters on a busy process: the processor (P) goes at once to the next
// runnable goroutine, typically the one the reader has just woken, where a
// thread blocked in poll(2) keeps its P until the runtime's monitor takes it
// away, 20 µs to 10 ms later. On a bulk receive over a veth this took the
// idle share of two cores from about 30% to 20% and raised throughput by a
// tenth to a fifth (benchmarks/README.md).
type poller struct {
	f        *os.File
	rc       syscall.RawConn
	deadline time.Time // the read deadline set on f, guarded by the handle's readMu
}

// newPoller returns nil and no error when the runtime cannot poll the epoll
// descriptor; the handle then waits in poll(2).
func newPoller(fd, wakeFD int) (*poller, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pcap: epoll_create1: %w", err)
	}
	for _, w := range []int{fd, wakeFD} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(w)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, w, &ev); err != nil {
			unix.Close(ep)
			return nil, fmt.Errorf("pcap: epoll_ctl: %w", err)
		}
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
	return &poller{f: f, rc: rc}, nil
}

// wait returns once the packet socket or the wake-up descriptor is
// readable, or with os.ErrDeadlineExceeded at the deadline (zero: none). It
// may return early, once, for a packet that a read has taken already.
func (p *poller) wait(deadline time.Time) error {
	if !deadline.Equal(p.deadline) {
		if err := p.f.SetReadDeadline(deadline); err != nil {
			return err
		}
		p.deadline = deadline
	}
	checked := false
	var ev [2]unix.EpollEvent
	return p.rc.Read(func(ep uintptr) bool {
		if checked {
			return true // the runtime's poller saw the epoll descriptor become readable
		}
		checked = true
		// The runtime forgets readiness it saw before this call (RawConn
		// resets it), so look first: a wake-up written since the caller's
		// last check must not be lost.
		n, err := unix.EpollWait(int(ep), ev[:], 0)
		return n > 0 || err != nil && err != unix.EINTR
	})
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
