package header

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// The Internet checksum (RFC 1071) of IPv4, ICMP, ICMPv6 and TCP.

// Sum adds b to the running one's-complement sum as 16-bit big-endian
// words (RFC 1071 §4.1); an odd trailing byte is padded with zero. It adds 64
// bits at a time with end-around carry, which RFC 1071 §2(B) shows gives the
// same sum ("the sum of 16-bit integers can be computed in either byte
// order"; wider words fold to the same 16 bits). The result is folded to
// 16 bits, so callers may keep adding.
//
// b must start at an even offset of the data the checksum covers; to sum
// data in pieces, split it at even offsets.
func Sum(sum uint32, b []byte) uint32 {
	acc, carry := uint64(sum), uint64(0)
	for len(b) >= 32 {
		acc, carry = bits.Add64(acc, binary.BigEndian.Uint64(b[0:8]), carry)
		acc, carry = bits.Add64(acc, binary.BigEndian.Uint64(b[8:16]), carry)
		acc, carry = bits.Add64(acc, binary.BigEndian.Uint64(b[16:24]), carry)
		acc, carry = bits.Add64(acc, binary.BigEndian.Uint64(b[24:32]), carry)
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, carry = bits.Add64(acc, binary.BigEndian.Uint64(b[:8]), carry)
		b = b[8:]
	}
	acc, carry = bits.Add64(acc, carry, 0)
	acc += carry
	if len(b) >= 4 {
		acc, carry = bits.Add64(acc, uint64(binary.BigEndian.Uint32(b[:4])), 0)
		acc += carry
		b = b[4:]
	}
	if len(b) >= 2 {
		acc, carry = bits.Add64(acc, uint64(binary.BigEndian.Uint16(b[:2])), 0)
		acc += carry
		b = b[2:]
	}
	if len(b) == 1 {
		acc, carry = bits.Add64(acc, uint64(b[0])<<8, 0)
		acc += carry
	}
	// Fold 64 bits to 16: each step adds the high half to the low half.
	acc = acc>>32 + acc&0xffffffff
	acc = acc>>32 + acc&0xffffffff
	acc = acc>>16 + acc&0xffff
	acc = acc>>16 + acc&0xffff
	return uint32(acc)
}

// Checksum returns the Internet checksum of b, starting from the partial sum
// initial: the one's complement of the one's-complement sum. Over data that
// includes a correct checksum it is 0.
func Checksum(b []byte, initial uint32) uint16 {
	return ^uint16(Sum(initial, b))
}

// fold reduces a sum of 16-bit words to 16 bits with end-around carry.
func fold(s uint32) uint32 {
	s = s>>16 + s&0xffff
	return s>>16 + s&0xffff
}

// PseudoHeaderSum returns the one's-complement sum of the pseudo-header
// that the checksums of TCP, UDP and ICMPv6 cover: for IPv4 (RFC 9293
// §3.1) the source and destination addresses, a zero octet, the protocol
// and the 16-bit length of the transport header and data; for IPv6 (RFC
// 8200 §8.1) the addresses, the 32-bit upper-layer packet length, three
// zero octets and the next header value. Add the transport bytes to it with
// Sum.
//
// dst is the final destination: with an IPv4 source route option or an
// IPv6 Routing header that has segments left, that is not the destination
// field of the IP header (RFC 8200 §8.1: "the address of the final
// destination").
//
// IPv4-mapped IPv6 addresses count as IPv4: the IPv4 pseudo-header is used
// when both addresses are IPv4 once unmapped, the IPv6 one otherwise.
func PseudoHeaderSum(proto IPProtocol, src, dst netip.Addr, length int) uint32 {
	src, dst = src.Unmap(), dst.Unmap()
	var sum uint32
	if src.Is4() && dst.Is4() {
		s, d := src.As4(), dst.As4()
		sum = uint32(s[0])<<8 | uint32(s[1])
		sum += uint32(s[2])<<8 | uint32(s[3])
		sum += uint32(d[0])<<8 | uint32(d[1])
		sum += uint32(d[2])<<8 | uint32(d[3])
	} else {
		s, d := src.As16(), dst.As16()
		sum = Sum(Sum(0, s[:]), d[:])
	}
	n := uint32(length)
	return fold(sum + uint32(proto) + n>>16 + n&0xffff)
}

// UpdateChecksum returns the checksum check of some data after one of its
// 16-bit words (at an even offset) changed from old to new, without
// summing the data again: RFC 1624 §3, equation 3, HC' = ~(~HC + ~m + m').
func UpdateChecksum(check, old, new uint16) uint16 {
	return ^uint16(fold(uint32(^check) + uint32(^old) + uint32(new)))
}

// UpdateChecksumBytes is UpdateChecksum for a longer field, such as an
// address: old and new are its bytes before and after the change, of the
// same length, starting at an even offset of the data the checksum covers.
func UpdateChecksumBytes(check uint16, old, new []byte) uint16 {
	return ^uint16(fold(uint32(^check) + uint32(^uint16(Sum(0, old))) + Sum(0, new)))
}
