package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// IPv6 (RFC 8200 §3).

// Sizes of IPv6 headers.
const (
	// IPv6Len is the length of the fixed IPv6 header.
	IPv6Len = 40
	// IPv6MinMTU is the smallest link MTU IPv6 allows (RFC 8200 §5).
	IPv6MinMTU = 1280
)

// IPv6 is a view of an IPv6 packet, from the version field on.
//
// The view may be longer than the packet (an Ethernet frame's padding):
// Payload ends where the payload length field says. Jumbograms (RFC 2675,
// a payload length of zero with a Jumbo Payload option) are not
// recognised: their payload reads as empty.
type IPv6 []byte

// ParseIPv6 checks that b holds an IPv6 header and the whole payload its
// payload length announces (RFC 8200 §3): at least 40 bytes, version 6, and
// 40 plus the payload length within b. Extension headers are checked when
// they are walked (ExtHeaders, UpperLayer).
func ParseIPv6(b []byte) (IPv6, error) {
	h, err := ParseIPv6Header(b)
	if err != nil {
		return nil, err
	}
	if n := IPv6Len + h.PayloadLen(); n > len(b) {
		return nil, fmt.Errorf("%w: IPv6 payload length %d with %d bytes after the header", ErrTruncated, h.PayloadLen(), len(b)-IPv6Len)
	}
	return h, nil
}

// ParseIPv6Header checks only the fixed header: it is ParseIPv6 without the
// payload length check. It is for a packet quoted by an ICMPv6 error
// (RFC 4443 §2.4 (c): "as much of invoking packet as possible"), which may
// be cut short. Payload returns what is present of the payload.
func ParseIPv6Header(b []byte) (IPv6, error) {
	if len(b) < IPv6Len {
		return nil, errShort("IPv6 header", IPv6Len, len(b))
	}
	h := IPv6(b)
	if v := h.Version(); v != 6 {
		return nil, fmt.Errorf("%w: IP version %d in an IPv6 header", ErrMalformed, v)
	}
	return h, nil
}

// Version returns the version field (6).
func (h IPv6) Version() uint8 { return h[0] >> 4 }

// TrafficClass returns the traffic class: the DSCP and ECN fields (RFC 8200
// §7, RFC 2474 §3, RFC 3168 §5).
func (h IPv6) TrafficClass() uint8 { return h[0]<<4 | h[1]>>4 }

// DSCP returns the differentiated services codepoint, the traffic class's
// upper six bits.
func (h IPv6) DSCP() uint8 { return h.TrafficClass() >> 2 }

// ECN returns the ECN field, the traffic class's lower two bits.
func (h IPv6) ECN() uint8 { return h.TrafficClass() & 0x03 }

// FlowLabel returns the 20-bit flow label (RFC 6437).
func (h IPv6) FlowLabel() uint32 { return binary.BigEndian.Uint32(h[0:]) & 0x000fffff }

// PayloadLen returns the payload length field: the bytes after the fixed
// header, extension headers included.
func (h IPv6) PayloadLen() int { return int(binary.BigEndian.Uint16(h[4:])) }

// NextHeader returns the type of the header after the fixed header: an
// extension header or the upper-layer protocol.
func (h IPv6) NextHeader() IPProtocol { return IPProtocol(h[6]) }

// HopLimit returns the hop limit.
func (h IPv6) HopLimit() uint8 { return h[7] }

// Src returns the source address.
func (h IPv6) Src() netip.Addr { return netip.AddrFrom16([16]byte(h[8:24])) }

// Dst returns the destination address.
func (h IPv6) Dst() netip.Addr { return netip.AddrFrom16([16]byte(h[24:40])) }

// Payload returns the bytes after the fixed header, up to the payload
// length (or the end of the view, if that comes first).
func (h IPv6) Payload() []byte { return h[IPv6Len:h.end()] }

// end returns where the packet ends in the view.
func (h IPv6) end() int { return min(IPv6Len+h.PayloadLen(), len(h)) }

// SetPayloadLen sets the payload length field.
func (h IPv6) SetPayloadLen(n int) { binary.BigEndian.PutUint16(h[4:], uint16(n)) }

// SetNextHeader sets the next header field.
func (h IPv6) SetNextHeader(p IPProtocol) { h[6] = byte(p) }

// SetHopLimit sets the hop limit.
func (h IPv6) SetHopLimit(n uint8) { h[7] = n }

// SetSrc sets the source address.
func (h IPv6) SetSrc(a netip.Addr) { s := a.As16(); copy(h[8:24], s[:]) }

// SetDst sets the destination address.
func (h IPv6) SetDst(a netip.Addr) { d := a.As16(); copy(h[24:40], d[:]) }

// IPv6Fields are the fields of a fixed IPv6 header to build. A field
// without a comment holds what the view's accessor of the same name returns.
type IPv6Fields struct {
	TrafficClass uint8
	// FlowLabel is the flow label; bits above the low 20 are ignored.
	FlowLabel uint32
	// PayloadLen is the length of what follows the fixed header, extension
	// headers included.
	PayloadLen int
	NextHeader IPProtocol
	HopLimit   uint8
	// Src and Dst are the addresses (an IPv4 address is written
	// IPv4-mapped).
	Src, Dst netip.Addr
}

// Encode writes the header f describes into h[:IPv6Len].
func (h IPv6) Encode(f *IPv6Fields) {
	_ = h[IPv6Len-1]
	binary.BigEndian.PutUint32(h[0:], 6<<28|uint32(f.TrafficClass)<<20|f.FlowLabel&0x000fffff)
	binary.BigEndian.PutUint16(h[4:], uint16(f.PayloadLen))
	h[6] = byte(f.NextHeader)
	h[7] = f.HopLimit
	s, d := f.Src.As16(), f.Dst.As16()
	copy(h[8:24], s[:])
	copy(h[24:40], d[:])
}

// AppendIPv6 appends the fixed header f describes to b; extension headers
// and payload are the caller's to append.
func AppendIPv6(b []byte, f *IPv6Fields) []byte {
	b, h := grow(b, IPv6Len)
	IPv6(h).Encode(f)
	return b
}

// SolicitedNodeMulticast returns the solicited-node multicast address of
// a: ff02::1:ff00:0/104 followed by the low 24 bits of a (RFC 4291
// §2.7.1), where Neighbor Solicitations for a are sent (RFC 4861 §7.2.2).
func SolicitedNodeMulticast(a netip.Addr) netip.Addr {
	s := a.As16()
	return netip.AddrFrom16([16]byte{0xff, 0x02, 10: 0, 11: 0x01, 12: 0xff, 13: s[13], 14: s[14], 15: s[15]})
}
