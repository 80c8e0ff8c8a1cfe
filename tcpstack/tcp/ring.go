// A bounded byte ring used for the send and receive buffers.
//
// Read before editing: RFC9293 §3.8.6 (the window is what the buffer can
// hold), RFC9293 §3.10.7.4 seventh step (RCV.NXT+RCV.WND should not be
// reduced, so the receive ring must always have room up to the advertised edge).

package tcp

import (
	"math/bits"
	"sync"
)

// ring is a bounded circular byte buffer. The committed bytes are
// [head, head+n); bytes past n may be written ahead with writeAt (out-of-order
// data) and become part of the buffer with commit.
//
// Its memory follows its contents, so that an idle connection holds none: no
// buffer until the first byte is written, then one just big enough (a power
// of two from 2 KiB), grown as bytes accumulate, and handed back to a shared
// pool as soon as the ring holds nothing — no committed byte and none written
// ahead. The next buffer is taken as big as the previous one's peak use, so a
// bulk transfer that drains its ring now and then does not grow it from 2 KiB
// every time. The capacity (Cap, Free: what the window may offer) is fixed
// and independent of the buffer held.
type ring struct {
	box  *[]byte // the pooled buffer; nil while the ring holds nothing
	buf  []byte  // *box; its length is a power of two
	size int     // capacity
	head int     // index in buf of the first committed byte
	n    int     // committed bytes
	hi   int     // bytes from head that may hold data: n, then those written ahead
	peak int     // largest hi since the buffer was taken
	hint int     // peak of the previous buffer: the least the next one is taken
}

func newRing(size int) ring { return ring{size: size} }

// Len returns the number of committed bytes.
func (r *ring) Len() int { return r.n }

// Cap returns the capacity.
func (r *ring) Cap() int { return r.size }

// Free returns the room left after the committed bytes.
func (r *ring) Free() int { return r.size - r.n }

// allocated returns the size of the buffer held (0 when none).
func (r *ring) allocated() int { return len(r.buf) }

// Write appends as much of p as fits and returns how much that was.
func (r *ring) Write(p []byte) int {
	k := min(len(p), r.Free())
	r.writeAt(r.n, p[:k])
	r.n += k
	return k
}

// writeAt copies p to offset off from head without committing it. The caller
// guarantees off+len(p) <= Cap.
func (r *ring) writeAt(off int, p []byte) {
	if len(p) == 0 {
		return
	}
	end := off + len(p)
	r.reserve(end)
	start := (r.head + off) & (len(r.buf) - 1)
	k := copy(r.buf[start:], p)
	copy(r.buf, p[k:])
	r.hi = max(r.hi, end)
	r.peak = max(r.peak, r.hi)
}

// commit makes k more bytes, written ahead with writeAt, part of the buffer.
func (r *ring) commit(k int) {
	r.n += k
	if r.n > r.hi {
		// Committing bytes never written is the caller's bug; keep the
		// ring consistent (the bytes are whatever the buffer holds).
		r.reserve(r.n)
		r.hi = r.n
	}
}

// Read copies committed bytes into p, consumes them, and returns the count.
func (r *ring) Read(p []byte) int {
	k := min(len(p), r.n)
	if k == 0 {
		return 0
	}
	r.copyOut(p[:k], 0)
	r.Discard(k)
	return k
}

// Discard drops the first k committed bytes.
func (r *ring) Discard(k int) {
	k = min(k, r.n)
	if k == 0 {
		return
	}
	// head moves even when the ring empties: out-of-order bytes may be
	// waiting at offsets from it.
	r.head = (r.head + k) & (len(r.buf) - 1)
	r.n -= k
	r.hi -= k
	if r.hi == 0 {
		r.release()
	}
}

// Peek returns k bytes starting off bytes after head. When they are contiguous
// in the ring it returns a sub-slice of the ring; otherwise it copies them into
// scratch (which must hold k bytes) and returns that. Either way the result is
// valid only until the ring is next written, discarded from or reset.
func (r *ring) Peek(off, k int, scratch []byte) []byte {
	if k == 0 {
		return nil
	}
	start := (r.head + off) & (len(r.buf) - 1)
	if start+k <= len(r.buf) {
		return r.buf[start : start+k]
	}
	r.copyOut(scratch[:k], off)
	return scratch[:k]
}

// Reset empties the ring and releases its memory.
func (r *ring) Reset() {
	r.release()
	r.n, r.hi, r.hint = 0, 0, 0
}

// copyOut copies len(dst) bytes starting off bytes after head into dst.
func (r *ring) copyOut(dst []byte, off int) {
	start := (r.head + off) & (len(r.buf) - 1)
	c := copy(dst, r.buf[start:])
	copy(dst[c:], r.buf[:len(dst)-c])
}

// reserve makes the buffer hold at least need bytes from head, taking one
// or moving to a bigger one.
func (r *ring) reserve(need int) {
	if need <= len(r.buf) {
		return
	}
	nb := getRingBuf(max(need, r.hint))
	if r.box != nil {
		// Bytes from head, committed and ahead, go to the start of the new
		// buffer in order.
		r.copyOut((*nb)[:r.hi], 0)
		putRingBuf(r.box)
	}
	r.box, r.buf, r.head = nb, *nb, 0
}

// release hands the buffer back to the pool. The ring holds nothing.
func (r *ring) release() {
	if r.box == nil {
		return
	}
	r.hint = r.peak
	putRingBuf(r.box)
	r.box, r.buf, r.head, r.peak = nil, nil, 0, 0
}

// Buffers are pooled by size class, powers of two from 2 KiB (one full-size
// segment) to 1 GiB (the largest capacity, RFC7323 §2.3). A Payload that
// aliases a buffer is valid only until emit returns (see Output), so a buffer
// released later can be reused by any connection.
const (
	ringMinShift = 11
	ringMaxShift = 30
)

var ringPools [ringMaxShift + 1]sync.Pool // class k: *[]byte of length 1<<k

// ringClass returns the class of the smallest buffer holding n bytes.
func ringClass(n int) int {
	return max(bits.Len(uint(max(n, 1)-1)), ringMinShift)
}

func getRingBuf(n int) *[]byte {
	k := ringClass(n)
	if b, ok := ringPools[k].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 1<<k)
	return &b
}

func putRingBuf(b *[]byte) {
	ringPools[bits.Len(uint(len(*b)))-1].Put(b)
}
