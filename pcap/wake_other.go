//go:build !linux

package pcap

import "golang.org/x/sys/unix"

// waker is a self-pipe that Close, BreakLoop and context cancellation write
// to so that a reader waiting in poll wakes at once (platforms without
// eventfd).
type waker struct{ r, w int }

func newWaker() (*waker, error) {
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return nil, err
	}
	for _, fd := range p {
		unix.CloseOnExec(fd)
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, err
		}
	}
	return &waker{r: p[0], w: p[1]}, nil
}

func (w *waker) fd() int { return w.r }

func (w *waker) wake() { unix.Write(w.w, []byte{1}) }

func (w *waker) drain() {
	var buf [64]byte
	for {
		if n, err := unix.Read(w.r, buf[:]); n <= 0 || err != nil {
			return
		}
	}
}

func (w *waker) close() {
	unix.Close(w.r)
	unix.Close(w.w)
}
