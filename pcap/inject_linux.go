//go:build linux

package pcap

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxBatch is the most frames one sendmmsg(2) carries (the kernel's UIO_MAXIOV
// caps vlen at 1024).
const maxBatch = 1024

// mmsghdr is struct mmsghdr of <sys/socket.h>.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// batchTx is the reusable scratch of WritePacketBatch.
type batchTx struct {
	iov  []unix.Iovec
	msgs []mmsghdr
}

// writeBatch sends frames with sendmmsg(2) on libpcap's packet socket, the
// descriptor pcap_inject itself sends on (pcap-linux.c's pcap_inject_linux is
// a send(2) on it). h is in use and h.txMu is held.
func (h *Handle) writeBatch(frames [][]byte) (int, error) {
	if h.fd < 0 {
		return h.injectEach(frames)
	}
	// An empty frame ends the batch: the ones before it go out.
	var bad error
	for i, f := range frames {
		if len(f) == 0 {
			frames, bad = frames[:i], fmt.Errorf("pcap: inject on %s: frame %d is empty", h.source, i)
			break
		}
	}
	sent := 0
	for sent < len(frames) {
		chunk := frames[sent:min(len(frames), sent+maxBatch)]
		t := &h.tx
		if cap(t.msgs) < len(chunk) {
			t.iov = make([]unix.Iovec, len(chunk), maxBatch)
			t.msgs = make([]mmsghdr, len(chunk), maxBatch)
		}
		t.iov, t.msgs = t.iov[:len(chunk)], t.msgs[:len(chunk)]
		for i, f := range chunk {
			t.iov[i] = unix.Iovec{Base: &f[0]}
			t.iov[i].SetLen(len(f))
			t.msgs[i] = mmsghdr{hdr: unix.Msghdr{Iov: &t.iov[i], Iovlen: 1}}
		}
		k, err := sendmmsg(h.fd, t.msgs)
		for i := range chunk {
			t.iov[i].Base = nil // do not keep the caller's frames reachable
		}
		if err != nil {
			if errors.Is(err, unix.EAGAIN) {
				// libpcap's socket is non-blocking once SetNonblock or a
				// poll-based read set it: wait until it drains.
				if err := waitWritable(h.fd); err != nil {
					return sent, fmt.Errorf("pcap: inject on %s: %w", h.source, err)
				}
				continue
			}
			return sent, fmt.Errorf("pcap: inject on %s: sendmmsg: %w", h.source, err)
		}
		for i := 0; i < k; i++ {
			if int(t.msgs[i].n) != len(chunk[i]) {
				return sent + i, fmt.Errorf("pcap: inject on %s: sent %d of %d bytes", h.source, t.msgs[i].n, len(chunk[i]))
			}
		}
		sent += k
	}
	return sent, bad
}

func sendmmsg(fd int, msgs []mmsghdr) (int, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), uintptr(len(msgs)), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}

// waitWritable waits up to a second for room in fd's send buffer.
func waitWritable(fd int) error {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		n, err := unix.Poll(pfd, 1000)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("send buffer still full after 1s")
		}
		return nil
	}
}
