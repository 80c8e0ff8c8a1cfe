package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ICMP for IPv6 (RFC 4443).

// ICMPv6MinLen is the length of the ICMPv6 header every message defined
// has: type, code, checksum and a 4-octet word (unused, MTU, pointer,
// identifier and sequence number, reserved or flags).
const ICMPv6MinLen = 8

// ICMPv6Type is the type of an ICMPv6 message.
type ICMPv6Type uint8

// ICMPv6 message types (RFC 4443 §2.1; RFC 4861 §4 for Neighbor Discovery).
const (
	ICMPv6DstUnreachable  ICMPv6Type = 1
	ICMPv6PacketTooBig    ICMPv6Type = 2
	ICMPv6TimeExceeded    ICMPv6Type = 3
	ICMPv6ParamProblem    ICMPv6Type = 4
	ICMPv6EchoRequest     ICMPv6Type = 128
	ICMPv6EchoReply       ICMPv6Type = 129
	ICMPv6RouterSolicit   ICMPv6Type = 133
	ICMPv6RouterAdvert    ICMPv6Type = 134
	ICMPv6NeighborSolicit ICMPv6Type = 135
	ICMPv6NeighborAdvert  ICMPv6Type = 136
	ICMPv6Redirect        ICMPv6Type = 137
)

// IsError reports whether t is an error message type: the high-order bit
// of the type is zero (RFC 4443 §2.1). Error messages quote the invoking
// packet.
func (t ICMPv6Type) IsError() bool { return t < 128 }

// String returns the type's name as tcpdump prints it ("echo request",
// "neighbor solicitation", ...) or "type-#N".
func (t ICMPv6Type) String() string { return enumString(icmpv6TypeNames[:], t, "type-#") }

var icmpv6TypeNames = [...]string{
	ICMPv6DstUnreachable:  "destination unreachable",
	ICMPv6PacketTooBig:    "packet too big",
	ICMPv6TimeExceeded:    "time exceeded in-transit",
	ICMPv6ParamProblem:    "parameter problem",
	ICMPv6EchoRequest:     "echo request",
	ICMPv6EchoReply:       "echo reply",
	ICMPv6RouterSolicit:   "router solicitation",
	ICMPv6RouterAdvert:    "router advertisement",
	ICMPv6NeighborSolicit: "neighbor solicitation",
	ICMPv6NeighborAdvert:  "neighbor advertisement",
	ICMPv6Redirect:        "redirect",
}

// Codes of destination unreachable (RFC 4443 §3.1).
const (
	ICMPv6NoRoute             = 0
	ICMPv6AdminProhibited     = 1
	ICMPv6BeyondScope         = 2
	ICMPv6AddressUnreachable  = 3
	ICMPv6PortUnreachable     = 4
	ICMPv6SourcePolicyFailed  = 5
	ICMPv6RejectRoute         = 6
	ICMPv6SourceRoutingHeader = 7 // RFC 6550 §20.17
)

// Codes of time exceeded (RFC 4443 §3.3).
const (
	ICMPv6HopLimitExceeded   = 0
	ICMPv6ReassemblyExceeded = 1
)

// Codes of parameter problem (RFC 4443 §3.4; RFC 7112 §5 for code 3).
const (
	ICMPv6ErroneousHeader       = 0
	ICMPv6UnrecognizedNext      = 1
	ICMPv6UnrecognizedOption    = 2
	ICMPv6IncompleteHeaderChain = 3
)

// ICMPv6 is a view of an ICMPv6 message, from the type octet to the end of
// the upper-layer payload (the checksum covers exactly that).
type ICMPv6 []byte

// ParseICMPv6 checks that b holds the 8-octet ICMPv6 header and returns
// its view. It does not verify the checksum (see IsChecksumValid).
func ParseICMPv6(b []byte) (ICMPv6, error) {
	if len(b) < ICMPv6MinLen {
		return nil, errShort("ICMPv6 message", ICMPv6MinLen, len(b))
	}
	return ICMPv6(b), nil
}

// Type returns the message type.
func (m ICMPv6) Type() ICMPv6Type { return ICMPv6Type(m[0]) }

// Code returns the message code.
func (m ICMPv6) Code() uint8 { return m[1] }

// Checksum returns the checksum field.
func (m ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(m[2:]) }

// Rest returns the 4-octet word after the checksum, whose meaning depends
// on the type.
func (m ICMPv6) Rest() uint32 { return binary.BigEndian.Uint32(m[4:]) }

// ID returns the identifier of an echo request or reply (RFC 4443 §4).
func (m ICMPv6) ID() uint16 { return binary.BigEndian.Uint16(m[4:]) }

// Seq returns the sequence number of an echo request or reply.
func (m ICMPv6) Seq() uint16 { return binary.BigEndian.Uint16(m[6:]) }

// MTU returns the MTU of a Packet Too Big message (RFC 4443 §3.2).
func (m ICMPv6) MTU() uint32 { return binary.BigEndian.Uint32(m[4:]) }

// Pointer returns the pointer of a Parameter Problem message: the offset
// in the invoking packet of the octet at fault (RFC 4443 §3.4).
func (m ICMPv6) Pointer() uint32 { return binary.BigEndian.Uint32(m[4:]) }

// Payload returns the message after the 8-octet header: the data of an
// echo, the invoking packet of an error, the rest of a Neighbor Discovery
// message.
func (m ICMPv6) Payload() []byte { return m[ICMPv6MinLen:] }

// Quote returns the invoking packet quoted by an error message ("as much
// of invoking packet as possible without the ICMPv6 packet exceeding the
// minimum IPv6 MTU", RFC 4443 §3), checked with ParseIPv6Header. It fails
// for informational messages and for a quote too short or malformed.
func (m ICMPv6) Quote() (IPv6, error) {
	if !m.Type().IsError() {
		return nil, fmt.Errorf("%w: ICMPv6 %v quotes no packet", ErrMalformed, m.Type())
	}
	q, err := ParseIPv6Header(m[ICMPv6MinLen:])
	if err != nil {
		return nil, fmt.Errorf("ICMPv6 %v quote: %w", m.Type(), err)
	}
	return q, nil
}

// ComputeChecksum returns the checksum the message should carry when sent
// from src to dst: over the IPv6 pseudo-header (RFC 8200 §8.1, RFC 4443
// §2.3) and the message with the checksum field taken as zero.
func (m ICMPv6) ComputeChecksum(src, dst netip.Addr) uint16 {
	sum := PseudoHeaderSum(IPProtocolICMPv6, src, dst, len(m))
	return Checksum(m[4:], Sum(sum, m[:2]))
}

// IsChecksumValid reports whether the checksum field is right for a
// message from src to dst.
func (m ICMPv6) IsChecksumValid(src, dst netip.Addr) bool {
	return Checksum(m, PseudoHeaderSum(IPProtocolICMPv6, src, dst, len(m))) == 0
}

// SetChecksum sets the checksum field.
func (m ICMPv6) SetChecksum(c uint16) { binary.BigEndian.PutUint16(m[2:], c) }

// ICMPv6Fields are the fields of an ICMPv6 message to build. A field
// without a comment holds what the view's accessor of the same name returns.
type ICMPv6Fields struct {
	Type ICMPv6Type
	Code uint8
	// Rest is the 4-octet word after the checksum: for echo messages the
	// identifier in the high 16 bits and the sequence number in the low
	// 16; the MTU of Packet Too Big; the pointer of Parameter Problem;
	// zero ("unused") for the other errors.
	Rest uint32
	// Payload is the data of an echo, the invoking packet of an error, or
	// the body of another message after its first 8 octets.
	Payload []byte
}

// Len returns the length of the message f describes.
func (f *ICMPv6Fields) Len() int { return ICMPv6MinLen + len(f.Payload) }

// Encode writes the message f describes into m[:f.Len()], with the
// checksum for a message from src to dst.
func (m ICMPv6) Encode(f *ICMPv6Fields, src, dst netip.Addr) {
	_ = m[f.Len()-1]
	m[0], m[1], m[2], m[3] = byte(f.Type), f.Code, 0, 0
	binary.BigEndian.PutUint32(m[4:], f.Rest)
	copy(m[ICMPv6MinLen:], f.Payload)
	m = m[:f.Len()]
	m.SetChecksum(m.ComputeChecksum(src, dst))
}

// AppendICMPv6 appends the message f describes, with the checksum for a
// message from src to dst, to b.
func AppendICMPv6(b []byte, f *ICMPv6Fields, src, dst netip.Addr) []byte {
	b, m := grow(b, f.Len())
	ICMPv6(m).Encode(f, src, dst)
	return b
}
