//go:build linux

package pcap

import "golang.org/x/sys/unix"

// waker is an eventfd that Close, BreakLoop and context cancellation write to
// so that a reader waiting in poll wakes at once.
type waker struct{ efd int }

func newWaker() (*waker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, err
	}
	return &waker{efd: fd}, nil
}

func (w *waker) fd() int { return w.efd }

func (w *waker) wake() {
	var one = [8]byte{1}
	unix.Write(w.efd, one[:])
}

func (w *waker) drain() {
	var buf [8]byte
	unix.Read(w.efd, buf[:])
}

func (w *waker) close() { unix.Close(w.efd) }
