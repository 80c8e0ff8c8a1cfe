package pcap

import (
	"errors"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// feeder streams an io.Reader into a pipe whose other end libpcap reads as a
// stdio stream. Stopping it closes the writing end, which ends a read blocked
// inside libpcap with end-of-file.
type feeder struct {
	w    *os.File
	once sync.Once
	mu   sync.Mutex
	err  error // the reader's error, other than io.EOF
}

// startFeeder returns the reading end of the pipe (a blocking descriptor the
// caller hands to libpcap and then closes) and starts copying prefix and then
// r into the writing end.
func startFeeder(prefix []byte, r io.Reader) (int, *feeder, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, nil, err
	}
	// The writing end is non-blocking so that Go's poller can interrupt a
	// pending write when the feeder stops; the reading end stays blocking
	// for libpcap.
	if err := unix.SetNonblock(p[1], true); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		return -1, nil, err
	}
	f := &feeder{w: os.NewFile(uintptr(p[1]), "pcap-feed")}
	go f.run(prefix, r)
	return p[0], f, nil
}

func (f *feeder) run(prefix []byte, r io.Reader) {
	defer f.stop()
	if _, err := f.w.Write(prefix); err != nil {
		return
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := f.w.Write(buf[:n]); werr != nil {
				return // libpcap stopped reading: the handle is closed
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				f.mu.Lock()
				f.err = err
				f.mu.Unlock()
			}
			return
		}
	}
}

func (f *feeder) stop() { f.once.Do(func() { f.w.Close() }) }

func (f *feeder) error() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}
