package header

import (
	"encoding/binary"
	"fmt"
)

// IPv6 extension headers (RFC 8200 §4).

// IPv6FragmentLen is the length of a Fragment header (RFC 8200 §4.5).
const IPv6FragmentLen = 8

// isIPv6ExtHeader reports whether p names an extension header that
// ExtHeaders walks through. ESP (RFC 4303) is left as an upper layer: what
// follows it is encrypted.
func isIPv6ExtHeader(p IPProtocol) bool {
	switch p {
	case IPProtocolHopByHop, IPProtocolRouting, IPProtocolFragment, IPProtocolDestOpts, IPProtocolAH:
		return true
	}
	return false
}

// IPv6ExtHeader is one extension header of a packet.
type IPv6ExtHeader struct {
	// Protocol says which header it is: IPProtocolHopByHop, Routing,
	// Fragment, DestOpts or AH.
	Protocol IPProtocol
	// Offset is where the header starts, from the start of the IPv6
	// header.
	Offset int
	// Raw is the whole header, from its Next Header octet.
	Raw []byte
}

// NextHeader returns the type of the header that follows.
func (x IPv6ExtHeader) NextHeader() IPProtocol { return IPProtocol(x.Raw[0]) }

// Options returns an iterator over the options of a Hop-by-Hop or
// Destination Options header (RFC 8200 §4.2); the options' offsets count
// from the start of the IPv6 header. For other headers it yields nothing.
func (x IPv6ExtHeader) Options() IPv6OptionIter {
	if x.Protocol != IPProtocolHopByHop && x.Protocol != IPProtocolDestOpts {
		return IPv6OptionIter{optionWalk: optionWalk{done: true}}
	}
	return IPv6OptionIter{optionWalk: optionWalk{b: x.Raw[2:]}, base: x.Offset + 2}
}

// Routing returns the header as a Routing header view, which is only
// meaningful when Protocol is IPProtocolRouting.
func (x IPv6ExtHeader) Routing() IPv6Routing { return IPv6Routing(x.Raw) }

// Fragment returns the header as a Fragment header view, which is only
// meaningful when Protocol is IPProtocolFragment.
func (x IPv6ExtHeader) Fragment() IPv6Fragment { return IPv6Fragment(x.Raw) }

// IPv6ChainError reports a malformed chain of extension headers.
type IPv6ChainError struct {
	// Pointer is the offset from the start of the IPv6 header of the octet
	// at fault, as an ICMPv6 Parameter Problem message would carry it (RFC
	// 4443 §3.4): the Next Header field that names a misplaced header, or
	// the start of a header that does not fit.
	Pointer int
	// Reason says what is wrong.
	Reason string
	// Err is ErrTruncated or ErrMalformed.
	Err error
}

// Error returns the reason, the pointer and the kind of error.
func (e *IPv6ChainError) Error() string {
	return fmt.Sprintf("%v: IPv6 %s (at offset %d)", e.Err, e.Reason, e.Pointer)
}

// Unwrap returns ErrTruncated or ErrMalformed.
func (e *IPv6ChainError) Unwrap() error { return e.Err }

// IPv6ExtIter walks the extension headers of an IPv6 packet in order
// (RFC 8200 §4.1). It stops at the first header that is not one of
// Hop-by-Hop Options, Routing, Fragment, Destination Options or
// Authentication (the upper layer, ESP or No Next Header), and after a
// Fragment header whose offset is not zero: the rest of such a fragment is
// data, not headers.
type IPv6ExtIter struct {
	pkt   []byte     // the packet, up to the end of its payload
	cur   IPProtocol // the type of the current header, pkt[nhOff:off]
	next  IPProtocol // the type of the header at off
	nhOff int        // the offset of the Next Header field holding next
	off   int
	err   error
	done  bool
}

// ExtHeaders returns an iterator over the extension headers of h. The walk
// is bounded by the payload length (and the end of the view).
func (h IPv6) ExtHeaders() IPv6ExtIter {
	return IPv6ExtIter{pkt: h[:h.end()], next: h.NextHeader(), nhOff: 6, off: IPv6Len}
}

// Next advances to the next extension header and reports whether there is
// one. It returns false at the upper layer (see Upper) or at a malformed
// header (see Err).
func (it *IPv6ExtIter) Next() bool {
	if it.done {
		return false
	}
	p := it.next
	if !isIPv6ExtHeader(p) {
		it.done = true
		return false
	}
	// RFC 8200 §4: "The same action should be taken if a node encounters
	// a Next Header value of zero in any header other than an IPv6
	// header"; §4.3: the Hop-by-Hop Options header "MUST immediately
	// follow the IPv6 header".
	if p == IPProtocolHopByHop && it.off != IPv6Len {
		return it.fail(it.nhOff, ErrMalformed, "Hop-by-Hop Options header not right after the IPv6 header")
	}
	rest := it.pkt[it.off:]
	if len(rest) < 2 {
		return it.fail(it.off, ErrTruncated, fmt.Sprintf("%v header needs at least 2 bytes, have %d", p, len(rest)))
	}
	var n int
	switch p {
	case IPProtocolFragment:
		n = IPv6FragmentLen // RFC 8200 §4.5: its second octet is reserved
	case IPProtocolAH:
		n = (int(rest[1]) + 2) * 4 // RFC 4302 §2.2: in 4-octet units, minus 2
	default:
		n = (int(rest[1]) + 1) * 8 // RFC 8200 §4.3-4.6: in 8-octet units, not counting the first 8
	}
	if n > len(rest) {
		return it.fail(it.off, ErrTruncated, fmt.Sprintf("%v header of %d bytes with %d left in the payload", p, n, len(rest)))
	}
	it.cur, it.next = p, IPProtocol(rest[0])
	it.nhOff = it.off
	it.off += n
	if p == IPProtocolFragment && IPv6Fragment(rest).FragOffset() != 0 {
		it.done = true // RFC 8200 §4.5: the rest is fragment data
	}
	return true
}

func (it *IPv6ExtIter) fail(ptr int, err error, reason string) bool {
	it.done = true
	it.err = &IPv6ChainError{Pointer: ptr, Reason: reason, Err: err}
	return false
}

// Header returns the current extension header.
func (it *IPv6ExtIter) Header() IPv6ExtHeader {
	return IPv6ExtHeader{Protocol: it.cur, Offset: it.nhOff, Raw: it.pkt[it.nhOff:it.off]}
}

// Err returns the *IPv6ChainError that stopped the walk, or nil.
func (it *IPv6ExtIter) Err() error { return it.err }

// Upper returns the protocol that follows the extension headers walked so
// far and where it starts, from the start of the IPv6 header. Once Next has
// returned false with a nil Err, it is the upper-layer protocol (or ESP, or
// IPProtocolNoNext).
func (it *IPv6ExtIter) Upper() (IPProtocol, int) { return it.next, it.off }

// IPv6UpperLayer is where the upper-layer protocol of an IPv6 packet
// starts.
type IPv6UpperLayer struct {
	// Protocol is the last Next Header value of the chain: the upper-layer
	// protocol, ESP, or IPProtocolNoNext.
	Protocol IPProtocol
	// Offset is where the upper-layer header starts, from the start of the
	// IPv6 header. For a fragment other than the first (Fragment is set and
	// its offset is not zero), the bytes there are fragment data.
	Offset int
	// Fragment is the packet's (first) Fragment header, nil if it has none.
	Fragment IPv6Fragment
}

// UpperLayer walks the extension headers of h and returns where the upper
// layer starts, or an *IPv6ChainError for a malformed chain. The options of
// Hop-by-Hop and Destination Options headers are not looked at: walk them
// with ExtHeaders to apply their action bits.
func (h IPv6) UpperLayer() (IPv6UpperLayer, error) {
	var u IPv6UpperLayer
	it := h.ExtHeaders()
	for it.Next() {
		if x := it.Header(); x.Protocol == IPProtocolFragment && u.Fragment == nil {
			u.Fragment = x.Fragment()
		}
	}
	if err := it.Err(); err != nil {
		return IPv6UpperLayer{}, err
	}
	u.Protocol, u.Offset = it.Upper()
	return u, nil
}

// Hop-by-Hop and Destination Options (RFC 8200 §4.2).

// IPv6OptionType is the type octet of a Hop-by-Hop or Destination option:
// two action bits, the may-change bit, and five more bits.
type IPv6OptionType uint8

// IPv6 option types.
const (
	IPv6OptionPad1        IPv6OptionType = 0    // one octet of padding
	IPv6OptionPadN        IPv6OptionType = 1    // N octets of padding
	IPv6OptionRouterAlert IPv6OptionType = 5    // Router Alert (RFC 2711)
	IPv6OptionJumbo       IPv6OptionType = 0xc2 // Jumbo Payload (RFC 2675)
)

// IPv6OptionAction is what a node that does not recognise an option must
// do, from the option type's two high-order bits (RFC 8200 §4.2).
type IPv6OptionAction uint8

// The actions of RFC 8200 §4.2.
const (
	// IPv6OptionSkip (00): skip over the option and continue processing
	// the header.
	IPv6OptionSkip IPv6OptionAction = 0
	// IPv6OptionDiscard (01): discard the packet.
	IPv6OptionDiscard IPv6OptionAction = 1
	// IPv6OptionDiscardICMP (10): discard the packet and, whatever its
	// destination, send an ICMPv6 Parameter Problem, code 2, pointing to
	// the unrecognised option type.
	IPv6OptionDiscardICMP IPv6OptionAction = 2
	// IPv6OptionDiscardICMPUnicast (11): discard the packet and, only if
	// its destination was not a multicast address, send that Parameter
	// Problem.
	IPv6OptionDiscardICMPUnicast IPv6OptionAction = 3
)

// Action returns what to do with the packet if the option is not
// recognised.
func (t IPv6OptionType) Action() IPv6OptionAction { return IPv6OptionAction(t >> 6) }

// MayChange reports whether the option's data may change en route (the
// third-highest bit); such data counts as zero in an Authentication header's
// integrity value (RFC 8200 §4.2).
func (t IPv6OptionType) MayChange() bool { return t&0x20 != 0 }

// IPv6Option is one option of a Hop-by-Hop or Destination Options header.
type IPv6Option struct {
	// Type is the option type, with its action and may-change bits.
	Type IPv6OptionType
	// Data is the option data; nil for Pad1, which has no length octet.
	Data []byte
	// Offset is where the option's type octet is: from the start of the
	// IPv6 header when the iterator came from IPv6ExtHeader.Options, from
	// the start of the options area for IPv6Options.Iter. An ICMPv6
	// Parameter Problem about the option points there.
	Offset int
}

// Len returns the option's length on the wire: 1 for Pad1, else 2 plus its
// data.
func (o IPv6Option) Len() int {
	if o.Type == IPv6OptionPad1 {
		return 1
	}
	return 2 + len(o.Data)
}

// IPv6Options is the options area of a Hop-by-Hop or Destination Options
// header: the header after its Next Header and length octets.
type IPv6Options []byte

// Iter returns an iterator over the options, with offsets counted from the
// start of o.
func (o IPv6Options) Iter() IPv6OptionIter { return IPv6OptionIter{optionWalk: optionWalk{b: o}} }

// IPv6OptionIter iterates over the options of a Hop-by-Hop or Destination
// Options header, padding (Pad1, PadN) included.
type IPv6OptionIter struct {
	optionWalk
	base int // where b starts, for Offset
}

// Next advances to the next option and reports whether there is one. It
// returns false at the end of the header or at an option that runs past it
// (then Err says so).
func (it *IPv6OptionIter) Next() bool {
	if !it.more() {
		return false
	}
	t := IPv6OptionType(it.b[it.off])
	if t == IPv6OptionPad1 {
		return it.step(1)
	}
	if it.off+2 > len(it.b) {
		return it.fail(fmt.Errorf("%w: IPv6 option type %d at offset %d has no length octet", ErrMalformed, t, it.base+it.off))
	}
	n := int(it.b[it.off+1])
	if it.off+2+n > len(it.b) {
		return it.fail(fmt.Errorf("%w: IPv6 option type %d at offset %d with %d bytes of data runs past its header", ErrMalformed, t, it.base+it.off, n))
	}
	return it.step(2 + n)
}

// Option returns the current option.
func (it *IPv6OptionIter) Option() IPv6Option {
	o := IPv6Option{Type: IPv6OptionType(it.b[it.start]), Offset: it.base + it.start}
	if o.Type != IPv6OptionPad1 {
		o.Data = it.b[it.start+2 : it.off]
	}
	return o
}

// Err returns the error that stopped the iteration, or nil.
func (it *IPv6OptionIter) Err() error { return it.err }

// AppendIPv6OptionsHeader appends a Hop-by-Hop or Destination Options header
// whose Next Header is next, holding opts in order (their Offset is
// ignored; a Pad1 option is one octet), padded with Pad1 or PadN to a
// multiple of 8 octets (RFC 8200 §4.2). Alignment requirements of the
// options are the caller's, who may place padding options. It panics if the
// header would exceed 2048 bytes, the most its length octet can say.
func AppendIPv6OptionsHeader(b []byte, next IPProtocol, opts ...IPv6Option) []byte {
	start := len(b)
	b = append(b, byte(next), 0)
	for _, o := range opts {
		if o.Type == IPv6OptionPad1 {
			b = append(b, 0)
			continue
		}
		b = append(append(b, byte(o.Type), byte(len(o.Data))), o.Data...)
	}
	switch pad := (8 - (len(b)-start)%8) % 8; pad {
	case 0:
	case 1:
		b = append(b, byte(IPv6OptionPad1))
	default:
		b = append(b, byte(IPv6OptionPadN), byte(pad-2))
		b = append(b, make([]byte, pad-2)...)
	}
	n := len(b) - start
	if n > 2048 {
		panic(fmt.Sprintf("header: IPv6 options header of %d bytes, at most 2048 fit", n))
	}
	b[start+1] = byte(n/8 - 1)
	return b
}

// Routing header (RFC 8200 §4.4).

// Routing types (IANA "Routing Types").
const (
	// IPv6RoutingTypeSource is the deprecated type 0 source route (RFC
	// 5095).
	IPv6RoutingTypeSource = 0
	// IPv6RoutingTypeMobile is type 2, for Mobile IPv6 (RFC 6275 §6.4).
	IPv6RoutingTypeMobile = 2
	// IPv6RoutingTypeSegment is type 4, the Segment Routing Header (RFC
	// 8754).
	IPv6RoutingTypeSegment = 4
)

// IPv6Routing is a view of a Routing header.
type IPv6Routing []byte

// NextHeader returns the type of the header that follows.
func (r IPv6Routing) NextHeader() IPProtocol { return IPProtocol(r[0]) }

// HeaderLen returns the header's length in bytes.
func (r IPv6Routing) HeaderLen() int { return (int(r[1]) + 1) * 8 }

// Type returns the routing type. A node that does not know it must, if
// SegmentsLeft is not zero, discard the packet and send an ICMPv6 Parameter
// Problem, code 0, pointing to this field (offset 2 in the header); with no
// segments left it ignores the header (RFC 8200 §4.4).
func (r IPv6Routing) Type() uint8 { return r[2] }

// SegmentsLeft returns the number of route segments still to visit.
func (r IPv6Routing) SegmentsLeft() uint8 { return r[3] }

// Data returns the type-specific data, after the first four octets.
func (r IPv6Routing) Data() []byte { return r[4:r.HeaderLen()] }

// AppendIPv6Routing appends a Routing header whose Next Header is next,
// with the given routing type, segments left and type-specific data, padded
// with zeros to a multiple of 8 octets. It panics if the header would exceed
// 2048 bytes.
func AppendIPv6Routing(b []byte, next IPProtocol, routingType, segmentsLeft uint8, data []byte) []byte {
	n := (4 + len(data) + 7) &^ 7
	if n > 2048 {
		panic(fmt.Sprintf("header: IPv6 routing header of %d bytes, at most 2048 fit", n))
	}
	b, r := grow(b, n)
	r[0], r[1], r[2], r[3] = byte(next), byte(n/8-1), routingType, segmentsLeft
	clear(r[4+copy(r[4:], data):])
	return b
}

// Fragment header (RFC 8200 §4.5).

// IPv6Fragment is a view of a Fragment header.
type IPv6Fragment []byte

// NextHeader returns the type of the first header of the fragmentable part
// of the original packet.
func (f IPv6Fragment) NextHeader() IPProtocol { return IPProtocol(f[0]) }

// FragOffset returns the offset of the fragment's data in the fragmentable
// part of the original packet, in bytes (the field counts 8-octet units).
func (f IPv6Fragment) FragOffset() int { return int(binary.BigEndian.Uint16(f[2:]) &^ 7) }

// More reports whether the M flag is set: more fragments follow.
func (f IPv6Fragment) More() bool { return f[3]&1 != 0 }

// ID returns the identification.
func (f IPv6Fragment) ID() uint32 { return binary.BigEndian.Uint32(f[4:]) }

// AppendIPv6Fragment appends a Fragment header whose Next Header is next,
// with the fragment offset in bytes (a multiple of 8, below 65536), the M
// flag and the identification.
func AppendIPv6Fragment(b []byte, next IPProtocol, offset int, more bool, id uint32) []byte {
	b, f := grow(b, IPv6FragmentLen)
	f[0], f[1] = byte(next), 0
	w := uint16(offset) &^ 7
	if more {
		w |= 1
	}
	binary.BigEndian.PutUint16(f[2:], w)
	binary.BigEndian.PutUint32(f[4:], id)
	return b
}
