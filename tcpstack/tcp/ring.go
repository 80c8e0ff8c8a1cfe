// A bounded byte ring used for the send and receive buffers.
//
// Read before editing: RFC9293 §3.8.6 (the window is what the buffer can
// hold), RFC9293 §3.10.7.4 seventh step (RCV.NXT+RCV.WND should not be
// reduced, so the receive ring must always have room up to the advertised edge).

package tcp

// ring is a fixed-capacity circular byte buffer. The committed bytes are
// [head, head+n); bytes past n may be written ahead with writeAt (out-of-order
// data) and become part of the buffer with commit. The memory is allocated on
// first write, so idle connections cost nothing.
type ring struct {
	buf  []byte
	size int // capacity
	head int // index of the first committed byte
	n    int // committed bytes
}

func newRing(size int) ring { return ring{size: size} }

// Len returns the number of committed bytes.
func (r *ring) Len() int { return r.n }

// Cap returns the capacity.
func (r *ring) Cap() int { return r.size }

// Free returns the room left after the committed bytes.
func (r *ring) Free() int { return r.size - r.n }

func (r *ring) alloc() {
	if r.buf == nil && r.size > 0 {
		r.buf = make([]byte, r.size)
	}
}

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
	r.alloc()
	start := (r.head + off) % r.size
	k := copy(r.buf[start:], p)
	copy(r.buf, p[k:])
}

// commit makes k more bytes, written ahead with writeAt, part of the buffer.
func (r *ring) commit(k int) { r.n += k }

// Read copies committed bytes into p, consumes them, and returns the count.
func (r *ring) Read(p []byte) int {
	k := min(len(p), r.n)
	if k == 0 {
		return 0
	}
	c := copy(p[:k], r.buf[r.head:])
	copy(p[c:k], r.buf)
	r.Discard(k)
	return k
}

// Discard drops the first k committed bytes.
func (r *ring) Discard(k int) {
	k = min(k, r.n)
	if k == 0 {
		return
	}
	// head is not reset when the ring empties: out-of-order bytes may be
	// waiting at offsets from it.
	r.head = (r.head + k) % r.size
	r.n -= k
}

// Peek returns k bytes starting off bytes after head. When they are contiguous
// in the ring it returns a sub-slice of the ring; otherwise it copies them into
// scratch (which must hold k bytes) and returns that. Either way the result is
// valid only until the ring is next written.
func (r *ring) Peek(off, k int, scratch []byte) []byte {
	if k == 0 {
		return nil
	}
	start := (r.head + off) % r.size
	if start+k <= r.size {
		return r.buf[start : start+k]
	}
	c := copy(scratch[:k], r.buf[start:])
	copy(scratch[c:k], r.buf)
	return scratch[:k]
}

// Reset empties the ring and releases its memory.
func (r *ring) Reset() {
	r.buf, r.head, r.n = nil, 0, 0
}
