package header

import "fmt"

// The type-length-value layout IPv4 options and TCP options share (RFC
// 791 §3.1, RFC 9293 §3.1): kinds 0 (End of Option List) and 1 (No
// Operation) are single octets, the others have a length octet counting
// the kind and itself. IPv6 and Neighbor Discovery options count their
// lengths otherwise (RFC 8200 §4.2, RFC 4861 §4.6): their iterators read
// lengths by their own rules and share optionWalk with these.

// tlvAt reads the option at b[off:] (off < len(b)). It returns the
// option's data and where the next one starts; ok is false for a kind
// without its length octet, a length below 2, or one past the end of b.
func tlvAt(b []byte, off int) (data []byte, next int, ok bool) {
	if b[off] <= 1 {
		return nil, off + 1, true
	}
	if off+1 >= len(b) {
		return nil, 0, false
	}
	n := int(b[off+1])
	if n < 2 || off+n > len(b) {
		return nil, 0, false
	}
	return b[off+2 : off+n], off + n, true
}

// tlvError describes the malformed option at b[off:].
func tlvError(b []byte, off int, proto string) error {
	k := b[off]
	if off+1 >= len(b) {
		return fmt.Errorf("%w: %s option kind %d at offset %d has no length octet", ErrMalformed, proto, k, off)
	}
	if n := int(b[off+1]); n < 2 {
		return fmt.Errorf("%w: %s option kind %d at offset %d has length %d, below 2", ErrMalformed, proto, k, off, n)
	} else {
		return fmt.Errorf("%w: %s option kind %d at offset %d has length %d, past the %d-byte options area", ErrMalformed, proto, k, off, n, len(b))
	}
}

// tlvLen returns the length on the wire of the option of kind k with data:
// 1 for kinds 0 and 1, else 2+len(data).
func tlvLen(k byte, data []byte) int {
	if k <= 1 {
		return 1
	}
	return 2 + len(data)
}

// appendTLV appends the option of kind k: a single octet for kinds 0 and 1
// (data is ignored), else the kind, a length octet of 2+len(data) and
// data.
func appendTLV(b []byte, k byte, data []byte) []byte {
	if k <= 1 {
		return append(b, k)
	}
	return append(append(b, k, byte(2+len(data))), data...)
}

// optionWalk is the walk every option iterator makes (IPv4 and TCP
// options, IPv6 Hop-by-Hop and Destination options, Neighbor Discovery
// options): one option after the other until the end of the area or a
// malformed option. Each reads an option's length by the rule of its
// format and calls step or fail.
type optionWalk struct {
	b          []byte
	start, off int // the current option is b[start:off]
	err        error
	done       bool
}

// more reports whether an option starts at off; if none does, the walk is
// over.
func (w *optionWalk) more() bool {
	if w.done || w.off >= len(w.b) {
		w.done = true
		return false
	}
	return true
}

// step makes the n octets at off the current option and reports true.
func (w *optionWalk) step(n int) bool {
	w.start, w.off = w.off, w.off+n
	return true
}

// fail ends the walk at a malformed option, err saying why, and reports
// false.
func (w *optionWalk) fail(err error) bool {
	w.done, w.err = true, err
	return false
}

// tlvIter is the walk of IPv4OptionIter and TCPOptionIter: every option
// in turn, EOL (kind 0) reported and ending the walk, what follows it
// being padding.
type tlvIter struct{ optionWalk }

// next advances to the next option and reports whether there is one. At a
// malformed option it sets err, naming proto ("IPv4", "TCP"), and stops.
func (it *tlvIter) next(proto string) bool {
	if !it.more() {
		return false
	}
	_, next, ok := tlvAt(it.b, it.off)
	if !ok {
		return it.fail(tlvError(it.b, it.off, proto))
	}
	it.done = it.b[it.off] == 0
	return it.step(next - it.off)
}

// kind returns the current option's kind octet.
func (it *tlvIter) kind() byte { return it.b[it.start] }

// data returns the current option's data: nil for a single-octet option.
func (it *tlvIter) data() []byte {
	if it.off-it.start > 1 {
		return it.b[it.start+2 : it.off]
	}
	return nil
}
