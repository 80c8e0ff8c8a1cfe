// Sequence-number arithmetic.
//
// Read before editing: RFC9293 §3.4 (sequence numbers: "all arithmetic dealing
// with sequence numbers must be performed modulo 2**32"), RFC1982 §3.2 (serial
// number comparison, which is what LessThan implements).

package tcp

// Value is a TCP sequence (or acknowledgment) number. Values live on a circle
// of 2^32 numbers, so they are compared only with the modular methods below,
// never with < on the raw uint32 (RFC9293 §3.4).
type Value uint32

// Size is a distance in sequence space, such as SEG.LEN or a window.
type Size uint32

// LessThan reports whether v comes before w, modulo 2^32 (RFC1982 §3.2).
func (v Value) LessThan(w Value) bool { return int32(v-w) < 0 }

// LessThanEq reports whether v is before or equal to w, modulo 2^32.
func (v Value) LessThanEq(w Value) bool { return v == w || v.LessThan(w) }

// GreaterThan reports whether v comes after w, modulo 2^32.
func (v Value) GreaterThan(w Value) bool { return w.LessThan(v) }

// GreaterThanEq reports whether v is after or equal to w, modulo 2^32.
func (v Value) GreaterThanEq(w Value) bool { return w.LessThanEq(v) }

// InRange reports whether first <= v < end, modulo 2^32. An empty range
// (first == end) contains nothing.
func (v Value) InRange(first, end Value) bool { return uint32(v-first) < uint32(end-first) }

// InWindow reports whether v lies in the window of size bytes starting at
// first: first <= v < first+size. A zero-sized window contains nothing.
func (v Value) InWindow(first Value, size Size) bool { return uint32(v-first) < uint32(size) }

// Add returns v advanced by s, modulo 2^32.
func (v Value) Add(s Size) Value { return v + Value(s) }

// Sub returns v moved back by s, modulo 2^32.
func (v Value) Sub(s Size) Value { return v - Value(s) }

// Size returns the distance from v forward to w, that is w - v modulo 2^32.
// It is meaningful only when v.LessThanEq(w).
func (v Value) Size(w Value) Size { return Size(w - v) }

// maxSeq returns the later of a and b.
func maxSeq(a, b Value) Value {
	if a.LessThan(b) {
		return b
	}
	return a
}

// minSeq returns the earlier of a and b.
func minSeq(a, b Value) Value {
	if a.LessThan(b) {
		return a
	}
	return b
}

// seqRange is the half-open range [start, end) of sequence space.
type seqRange struct {
	start, end Value
}

// size returns the number of sequence numbers in r.
func (r seqRange) size() Size { return r.start.Size(r.end) }

// contains reports whether v is in r.
func (r seqRange) contains(v Value) bool { return v.InRange(r.start, r.end) }
