//go:build linux

package pcap

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// waker is an eventfd that Close, BreakLoop and context cancellation write to
// so that a waiting reader wakes at once.
type waker struct {
	efd int
	// pending is set before each write, so that a reader woken by the
	// runtime's poller (which does not say which descriptor was ready)
	// reads the eventfd only when there is something to take.
	pending atomic.Bool
}

func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	return &waker{efd: fd}, nil
}

func (w *waker) fd() int { return w.efd }

func (w *waker) wake() {
	w.pending.Store(true)
	var one = [8]byte{1}
	unix.Write(w.efd, one[:])
}

func (w *waker) drain() {
	var buf [8]byte
	unix.Read(w.efd, buf[:])
}

func (w *waker) close() { unix.Close(w.efd) }
