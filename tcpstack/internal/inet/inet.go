// Package inet computes the Internet checksum of RFC1071, shared by the
// IPv4, ICMP and TCP code of tcpstack.
package inet

import (
	"encoding/binary"
	"math/bits"
)

// Sum adds b to the running one's-complement sum as 16-bit big-endian
// words (RFC1071 §4.1); an odd trailing byte is padded with zero. It adds 64
// bits at a time with end-around carry, which RFC1071 §2(B) shows gives the
// same sum ("the sum of 16-bit integers can be computed in either byte
// order"; wider words fold to the same 16 bits). The result is folded to
// 16 bits, so callers may keep adding.
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
