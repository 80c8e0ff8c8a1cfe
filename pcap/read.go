package pcap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/gopacket/gopacket"
	"golang.org/x/sys/unix"
)

// Reads never block inside libpcap on a live handle: the pcap_t is in
// non-blocking mode and the reader waits on libpcap's selectable descriptor
// together with the handle's wake-up descriptor, which Close, BreakLoop and
// context cancellation write to: on Linux in the runtime's network poller
// (netpoll_linux.go), elsewhere in poll(2). Close never takes a lock a
// reader holds; the last of them to leave frees the pcap_t.

// ReadPacketData returns the next packet in a new slice the caller owns.
// It waits for a packet on a live handle (see [Handle.SetReadDeadline] and
// [Handle.ReadPacketContext] to bound the wait) and returns [io.EOF] after
// the last packet of a file, [ErrClosed] once the handle is closed.
func (h *Handle) ReadPacketData() ([]byte, gopacket.CaptureInfo, error) {
	return h.ReadPacketContext(nil)
}

// ReadPacketContext is [Handle.ReadPacketData] that also returns ctx.Err()
// when ctx is cancelled while it waits. A nil ctx never cancels.
func (h *Handle) ReadPacketContext(ctx context.Context) (out []byte, ci gopacket.CaptureInfo, err error) {
	err = h.withNext(ctx, func(data []byte, c gopacket.CaptureInfo) error {
		out = make([]byte, len(data))
		copy(out, data)
		ci = c
		return nil
	})
	return out, ci, err
}

// ZeroCopyReadPacketData returns the next packet without copying it. The
// returned bytes belong to libpcap: they stay valid only until the next read
// of any kind on this handle, or Close, whichever comes first. Copy them to
// keep them.
func (h *Handle) ZeroCopyReadPacketData() (data []byte, ci gopacket.CaptureInfo, err error) {
	err = h.withNext(nil, func(d []byte, c gopacket.CaptureInfo) error {
		data, ci = d, c
		return nil
	})
	return data, ci, err
}

// ReadPacketDataInto copies the next packet into buf and returns its capture
// info; ci.CaptureLength is the packet's captured length. If buf is too
// small, the first len(buf) bytes are copied and the error wraps
// [io.ErrShortBuffer]; the packet is consumed either way.
func (h *Handle) ReadPacketDataInto(buf []byte) (ci gopacket.CaptureInfo, err error) {
	err = h.withNext(nil, func(data []byte, c gopacket.CaptureInfo) error {
		ci = c
		if n := copy(buf, data); n < len(data) {
			return fmt.Errorf("pcap: packet of %d bytes does not fit a %d-byte buffer: %w", len(data), len(buf), io.ErrShortBuffer)
		}
		return nil
	})
	return ci, err
}

// withNext waits for the next packet as ReadPacketData does and calls f with
// its bytes (libpcap's memory) and capture info while it still holds the
// handle and the read lock, so that no other read reuses the bytes before f
// returns. It returns the read's error or f's.
func (h *Handle) withNext(ctx context.Context, f func(data []byte, ci gopacket.CaptureInfo) error) error {
	if err := h.use(); err != nil {
		return err
	}
	defer h.release()
	h.readMu.Lock()
	defer h.readMu.Unlock()
	data, err := h.next(ctx, true)
	if err != nil {
		return err
	}
	return f(data, h.captureInfo(&h.rec))
}

// next returns the next packet's bytes (libpcap's memory) with its record in
// h.rec. With wait false it returns errNone instead of waiting. The caller
// holds a reference and readMu.
func (h *Handle) next(ctx context.Context, wait bool) ([]byte, error) {
	if h.sticky != nil {
		return nil, h.sticky
	}
	var stop func() bool
	defer func() {
		if stop != nil {
			stop()
		}
	}()
	for {
		if h.closed() {
			return nil, ErrClosed
		}
		if h.inLoop && h.brk.Load() {
			return nil, ErrBreakLoop
		}
		if ctx != nil {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		h.cMu.Lock()
		data, r := cNextOne(h.c, &h.rec)
		h.cMu.Unlock()
		switch r {
		case 1:
			return data, nil
		case 0:
			if !wait {
				return nil, errNone
			}
			if h.nonblock.Load() {
				return nil, ErrWouldBlock
			}
			if ctx != nil && stop == nil && ctx.Done() != nil {
				stop = context.AfterFunc(ctx, h.wakeUp)
			}
			if err := h.wait(); err != nil {
				return nil, err
			}
		default:
			return nil, h.readFailed(r)
		}
	}
}

// errNone is next's "nothing waiting" result when it must not wait.
var errNone = errors.New("pcap: no packet waiting")

// readFailed turns a libpcap read status other than "packet" or "none yet"
// into the error every later read returns as well.
func (h *Handle) readFailed(r int) error {
	if h.closed() {
		return ErrClosed
	}
	var err error
	switch {
	case r == cErrorBreak && h.IsOffline():
		err = io.EOF
		if h.feed != nil {
			if ferr := h.feed.error(); ferr != nil {
				err = fmt.Errorf("pcap: reading %s: %w", h.source, ferr)
			}
		}
	case r == cErrorBreak:
		return ErrBreakLoop
	case h.IsOffline():
		off := cHandleOffset(h.c)
		if h.ng {
			off = -1
			if h.feed == nil {
				off = cFtell(h.c)
			}
		}
		err = readError(h.source, cGeterr(h.c), off, cHandlePackets(h.c))
		if h.feed != nil {
			if ferr := h.feed.error(); ferr != nil {
				err = fmt.Errorf("pcap: reading %s: %w", h.source, ferr)
			}
		}
	default:
		// A live handle's error (the interface went away, for example) is
		// not sticky: the caller may retry or close.
		return statusError("read", h.source, r, cGeterr(h.c))
	}
	h.sticky = err
	return err
}

// wait blocks until the handle's descriptor is readable, the handle is woken
// (Close, BreakLoop, a cancelled context) or the read deadline passes.
func (h *Handle) wait() error {
	d, required := cRequiredTimeout(h.c)
	if h.np != nil && !required {
		var dl time.Time
		if ns := h.deadline.Load(); ns != 0 {
			dl = time.Unix(0, ns)
			if !time.Now().Before(dl) {
				return os.ErrDeadlineExceeded
			}
		}
		return h.pollWait(h.np, dl)
	}
	timeout := -1
	if required {
		timeout = int(d / time.Millisecond)
		if timeout <= 0 {
			timeout = 1
		}
	}
	if h.fd < 0 && timeout < 0 {
		timeout = 10 // no descriptor to wait on: poll libpcap
	}
	if dl := h.deadline.Load(); dl != 0 {
		left := time.Until(time.Unix(0, dl))
		if left <= 0 {
			return os.ErrDeadlineExceeded
		}
		ms := int((left + time.Millisecond - 1) / time.Millisecond)
		if timeout < 0 || ms < timeout {
			timeout = ms
		}
	}
	fds := [2]unix.PollFd{
		{Fd: int32(h.wake.fd()), Events: unix.POLLIN},
		{Fd: int32(h.fd), Events: unix.POLLIN},
	}
	n := 2
	if h.fd < 0 {
		n = 1
	}
	_, err := unix.Poll(fds[:n], timeout)
	if err != nil && err != unix.EINTR {
		return &Error{Op: "poll", Source: h.source, Code: -1, Msg: err.Error()}
	}
	if fds[0].Revents != 0 {
		h.wake.drain()
	}
	return nil
}

// SetReadDeadline sets an absolute time after which reads waiting for a
// packet return [os.ErrDeadlineExceeded]. The zero time means no deadline.
func (h *Handle) SetReadDeadline(t time.Time) error {
	if h.closed() {
		return ErrClosed
	}
	if t.IsZero() {
		h.deadline.Store(0)
	} else {
		h.deadline.Store(t.UnixNano())
	}
	h.wakeUp()
	return nil
}

// SetNonblock selects non-blocking reads: when no packet is waiting, reads
// return [ErrWouldBlock] (and Dispatch returns 0) at once. Use it with
// [Handle.SelectableFD] in an event loop of your own. The handle's libpcap
// descriptor is always non-blocking underneath; this only changes whether
// reads wait.
func (h *Handle) SetNonblock(on bool) error {
	if h.closed() {
		return ErrClosed
	}
	h.nonblock.Store(on)
	return nil
}

// Nonblock reports whether reads are non-blocking.
func (h *Handle) Nonblock() bool { return h.nonblock.Load() }

// SelectableFD returns a descriptor that becomes readable when packets may be
// waiting, for use with poll, select or epoll, or -1 when the platform or
// handle has none (capture files have none). See
// [Handle.RequiredSelectTimeout].
func (h *Handle) SelectableFD() int { return h.fd }

// RequiredSelectTimeout reports the longest a poll on [Handle.SelectableFD]
// may wait before reads must be tried anyway, on platforms whose descriptor
// does not signal every packet; ok is false when no such limit applies.
func (h *Handle) RequiredSelectTimeout() (d time.Duration, ok bool) {
	if h.use() != nil {
		return 0, false
	}
	defer h.release()
	return cRequiredTimeout(h.c)
}

// captureInfo converts a C record into gopacket's form.
func (h *Handle) captureInfo(r *cRec) gopacket.CaptureInfo {
	sec, frac, caplen, length := recFields(r)
	return gopacket.CaptureInfo{
		Timestamp:     stamp(sec, frac, h.prec),
		CaptureLength: int(caplen),
		Length:        int(length),
	}
}

func stamp(sec, frac int64, p Precision) time.Time {
	if p == Nanosecond {
		return time.Unix(sec, frac).UTC()
	}
	return time.Unix(sec, frac*1000).UTC()
}

// Batch holds many packets read by one [Handle.ReadBatch] call. Its memory is
// allocated outside the Go heap once, so reading into it allocates nothing
// per packet. The bytes of packet i stay valid until the next ReadBatch into
// the same Batch, or Free.
//
// A Batch is not safe for concurrent use.
type Batch struct {
	c       *cBatch
	buf     []byte
	recs    []cRec
	n       int
	prec    Precision
	cleanup runtime.Cleanup
}

// Defaults for [NewBatch] arguments of zero or less.
const (
	DefaultBatchPackets = 1024
	DefaultBatchBytes   = 1 << 20
)

// NewBatch allocates a batch for up to maxPackets packets and bufBytes bytes
// of packet data. Zero or less picks [DefaultBatchPackets] and
// [DefaultBatchBytes]. A packet longer than the whole buffer is cut to its
// size, so keep bufBytes at least the handle's [Handle.SnapLen].
func NewBatch(maxPackets, bufBytes int) *Batch {
	if maxPackets <= 0 {
		maxPackets = DefaultBatchPackets
	}
	if bufBytes <= 0 {
		bufBytes = DefaultBatchBytes
	}
	c := cBatchNew(maxPackets, bufBytes)
	if c == nil {
		panic("pcap: NewBatch: out of memory")
	}
	b := &Batch{c: c}
	b.buf, b.recs = cBatchViews(c)
	b.cleanup = runtime.AddCleanup(b, cBatchFree, c)
	return b
}

// Len returns the number of packets the last ReadBatch delivered.
func (b *Batch) Len() int { return b.n }

// Packet returns packet i's bytes and capture info, 0 <= i < Len().
func (b *Batch) Packet(i int) ([]byte, gopacket.CaptureInfo) {
	r := &b.recs[i]
	sec, frac, caplen, length := recFields(r)
	off := int(r.off)
	return b.buf[off : off+int(caplen) : off+int(caplen)], gopacket.CaptureInfo{
		Timestamp:     stamp(sec, frac, b.prec),
		CaptureLength: int(caplen),
		Length:        int(length),
	}
}

// Data returns packet i's bytes.
func (b *Batch) Data(i int) []byte {
	r := &b.recs[i]
	off := int(r.off)
	return b.buf[off : off+int(r.caplen) : off+int(r.caplen)]
}

// Free releases the batch's memory now rather than when it is collected.
func (b *Batch) Free() {
	if b.c == nil {
		return
	}
	b.cleanup.Stop()
	cBatchFree(b.c)
	b.c, b.buf, b.recs, b.n = nil, nil, nil, 0
}

// ReadBatch fills b with the packets that are waiting, in one call into
// libpcap, and returns how many it read. It waits for at least one packet as
// ReadPacketData does (unless non-blocking). After the last packet of a file
// it returns 0 and [io.EOF]; a file error found after some packets is
// returned by the following call, so no packet is lost.
func (h *Handle) ReadBatch(b *Batch) (int, error) {
	if b == nil || b.c == nil {
		return 0, errors.New("pcap: ReadBatch: nil or freed Batch; make one with NewBatch")
	}
	b.n = 0
	if err := h.use(); err != nil {
		return 0, err
	}
	defer h.release()
	h.readMu.Lock()
	defer h.readMu.Unlock()
	if h.sticky != nil {
		return 0, h.sticky
	}
	b.prec = h.prec
	for {
		if h.closed() {
			return 0, ErrClosed
		}
		h.cMu.Lock()
		n, status := cBatchFill(h.c, b.c)
		h.cMu.Unlock()
		b.n = n
		if status != 1 && status != 0 {
			err := h.readFailed(status)
			if n > 0 && err != ErrClosed {
				return n, nil // the error stays for the next call
			}
			if n > 0 {
				return n, err
			}
			return 0, err
		}
		if n > 0 {
			if h.np != nil {
				h.np.busy(n)
			}
			return n, nil
		}
		if h.nonblock.Load() {
			return 0, ErrWouldBlock
		}
		if err := h.wait(); err != nil {
			return 0, err
		}
	}
}

// Loop calls fn for each packet until count packets have been processed
// (count <= 0: no limit), the end of a file (nil error), an error, or
// [Handle.BreakLoop] (ErrBreakLoop). The bytes passed to fn are valid only
// during the call.
func (h *Handle) Loop(count int, fn func(data []byte, ci gopacket.CaptureInfo)) error {
	if err := h.use(); err != nil {
		return err
	}
	defer h.release()
	h.readMu.Lock()
	defer h.readMu.Unlock()
	h.inLoop = true
	defer func() { h.inLoop = false }()
	for i := 0; count <= 0 || i < count; i++ {
		if h.brk.CompareAndSwap(true, false) {
			return ErrBreakLoop
		}
		data, err := h.next(nil, true)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if h.brk.CompareAndSwap(true, false) {
				return ErrBreakLoop
			}
			return err
		}
		fn(data, h.captureInfo(&h.rec))
	}
	return nil
}

// Dispatch waits for packets as a read does (not in non-blocking mode), then
// calls fn for each packet already waiting, up to count (count <= 0: all of
// them), and returns how many it processed. At the end of a file it returns
// 0 and a nil error.
func (h *Handle) Dispatch(count int, fn func(data []byte, ci gopacket.CaptureInfo)) (int, error) {
	if err := h.use(); err != nil {
		return 0, err
	}
	defer h.release()
	h.readMu.Lock()
	defer h.readMu.Unlock()
	h.inLoop = true
	defer func() { h.inLoop = false }()
	n := 0
	for count <= 0 || n < count {
		if h.brk.CompareAndSwap(true, false) {
			return n, ErrBreakLoop
		}
		data, err := h.next(nil, n == 0)
		if err == errNone || err == io.EOF && n > 0 {
			break
		}
		if err == io.EOF || err == ErrWouldBlock {
			return n, nil
		}
		if err != nil {
			if h.brk.CompareAndSwap(true, false) {
				return n, ErrBreakLoop
			}
			return n, err
		}
		fn(data, h.captureInfo(&h.rec))
		n++
	}
	return n, nil
}

// BreakLoop makes a running or the next [Handle.Loop] or [Handle.Dispatch]
// return [ErrBreakLoop]; it may be called from any goroutine, including fn.
func (h *Handle) BreakLoop() {
	h.brk.Store(true)
	h.wakeUp()
}
