package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// TCP (RFC 9293 §3.1).

// Sizes of TCP headers.
const (
	// TCPMinLen is the length of a TCP header without options.
	TCPMinLen = 20
	// TCPMaxLen is the longest TCP header: a data offset of 15 words.
	TCPMaxLen = 60
	// TCPMaxOptionsLen is the room for options in a TCP header.
	TCPMaxOptionsLen = TCPMaxLen - TCPMinLen
)

// TCPFlags are the control bits of a TCP header, its fourteenth octet:
// each constant is the bit's value on the wire (RFC 9293 §3.1; RFC 3168
// §6.1 for ECE and CWR).
type TCPFlags uint8

// The control bits.
const (
	TCPFlagFIN TCPFlags = 0x01
	TCPFlagSYN TCPFlags = 0x02
	TCPFlagRST TCPFlags = 0x04
	TCPFlagPSH TCPFlags = 0x08
	TCPFlagACK TCPFlags = 0x10
	TCPFlagURG TCPFlags = 0x20
	TCPFlagECE TCPFlags = 0x40
	TCPFlagCWR TCPFlags = 0x80
)

// Has reports whether every bit of g is set in f.
func (f TCPFlags) Has(g TCPFlags) bool { return f&g == g }

// String renders f as tcpdump does between the brackets of "Flags [...]":
// one letter per bit in wire order, F S R P . U E W (the dot is ACK), and
// "none" for no bit: "S", "S.", "P.", "F.", "R", ".", "none".
func (f TCPFlags) String() string {
	return f.letters("FSRP.UEW", [8]TCPFlags{1, 2, 4, 8, 16, 32, 64, 128})
}

// PacketdrillString renders f as packetdrill scripts write it: the letters
// of String in packetdrill's order, S F R P U E W and the dot for ACK last
// ("S.", "FP.", "U."), and "none" for no bit.
func (f TCPFlags) PacketdrillString() string {
	return f.letters("SFRPUEW.", [8]TCPFlags{TCPFlagSYN, TCPFlagFIN, TCPFlagRST, TCPFlagPSH, TCPFlagURG, TCPFlagECE, TCPFlagCWR, TCPFlagACK})
}

func (f TCPFlags) letters(letters string, bits [8]TCPFlags) string {
	if f == 0 {
		return "none"
	}
	var b [8]byte
	n := 0
	for i, bit := range bits {
		if f&bit != 0 {
			b[n] = letters[i]
			n++
		}
	}
	return string(b[:n])
}

// TCP is a view of a TCP segment: header and payload. Its length is the
// segment's (the IP payload), which the checksum covers.
type TCP []byte

// ParseTCP checks that b holds a TCP header (RFC 9293 §3.1): at least 20
// bytes, a data offset of at least 5 words and within b. It checks neither
// the checksum (see IsChecksumValid; it needs the IP addresses) nor the
// options (see Options): RFC 9293 MUST-7 keeps a segment whose options are
// malformed.
func ParseTCP(b []byte) (TCP, error) {
	if len(b) < TCPMinLen {
		return nil, errShort("TCP header", TCPMinLen, len(b))
	}
	t := TCP(b)
	if hl := t.HeaderLen(); hl < TCPMinLen {
		return nil, fmt.Errorf("%w: TCP data offset %d words, the minimum is 5", ErrMalformed, hl/4)
	} else if hl > len(b) {
		return nil, fmt.Errorf("%w: TCP data offset %d bytes with %d bytes present", ErrTruncated, hl, len(b))
	}
	return t, nil
}

// SrcPort returns the source port.
func (t TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(t[0:]) }

// DstPort returns the destination port.
func (t TCP) DstPort() uint16 { return binary.BigEndian.Uint16(t[2:]) }

// Seq returns the sequence number.
func (t TCP) Seq() uint32 { return binary.BigEndian.Uint32(t[4:]) }

// Ack returns the acknowledgment number.
func (t TCP) Ack() uint32 { return binary.BigEndian.Uint32(t[8:]) }

// HeaderLen returns the header length in bytes: the data offset field
// times 4.
func (t TCP) HeaderLen() int { return int(t[12]>>4) * 4 }

// Reserved returns the four reserved bits after the data offset (RFC 9293
// §3.1: zero when sent, ignored when received).
func (t TCP) Reserved() uint8 { return t[12] & 0x0f }

// Flags returns the control bits.
func (t TCP) Flags() TCPFlags { return TCPFlags(t[13]) }

// Window returns the window field, unscaled (RFC 7323 §2.3).
func (t TCP) Window() uint16 { return binary.BigEndian.Uint16(t[14:]) }

// Checksum returns the checksum field.
func (t TCP) Checksum() uint16 { return binary.BigEndian.Uint16(t[16:]) }

// Urgent returns the urgent pointer field: the offset from the sequence
// number of the octet following the urgent data (RFC 9293 §3.1).
func (t TCP) Urgent() uint16 { return binary.BigEndian.Uint16(t[18:]) }

// Options returns the option bytes, padding included: the header after its
// first 20 bytes.
func (t TCP) Options() TCPOptions { return TCPOptions(t[TCPMinLen:t.HeaderLen()]) }

// Payload returns the data after the header.
func (t TCP) Payload() []byte { return t[t.HeaderLen():] }

// ComputeChecksum returns the checksum the segment should carry when sent
// from src to dst: over the IPv4 (RFC 9293 §3.1) or IPv6 (RFC 8200 §8.1)
// pseudo-header and the segment with the checksum field taken as zero. The
// addresses count as PseudoHeaderSum says.
func (t TCP) ComputeChecksum(src, dst netip.Addr) uint16 {
	sum := Sum(PseudoHeaderSum(IPProtocolTCP, src, dst, len(t)), t[:16])
	return Checksum(t[18:], sum)
}

// IsChecksumValid reports whether the checksum field is right for a
// segment from src to dst (RFC 9293 MUST-3: a segment that fails is
// dropped).
func (t TCP) IsChecksumValid(src, dst netip.Addr) bool {
	return Checksum(t, PseudoHeaderSum(IPProtocolTCP, src, dst, len(t))) == 0
}

// SetSrcPort sets the source port.
func (t TCP) SetSrcPort(p uint16) { binary.BigEndian.PutUint16(t[0:], p) }

// SetDstPort sets the destination port.
func (t TCP) SetDstPort(p uint16) { binary.BigEndian.PutUint16(t[2:], p) }

// SetSeq sets the sequence number.
func (t TCP) SetSeq(s uint32) { binary.BigEndian.PutUint32(t[4:], s) }

// SetAck sets the acknowledgment number.
func (t TCP) SetAck(a uint32) { binary.BigEndian.PutUint32(t[8:], a) }

// SetDataOffset sets the data offset field to words (0 to 15), keeping the
// reserved bits: any value, to build a malformed header on purpose.
func (t TCP) SetDataOffset(words uint8) { t[12] = words<<4 | t[12]&0x0f }

// SetReserved sets the four reserved bits.
func (t TCP) SetReserved(r uint8) { t[12] = t[12]&0xf0 | r&0x0f }

// SetFlags sets the control bits.
func (t TCP) SetFlags(f TCPFlags) { t[13] = byte(f) }

// SetWindow sets the window field.
func (t TCP) SetWindow(w uint16) { binary.BigEndian.PutUint16(t[14:], w) }

// SetChecksum sets the checksum field.
func (t TCP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(t[16:], c) }

// SetUrgent sets the urgent pointer.
func (t TCP) SetUrgent(u uint16) { binary.BigEndian.PutUint16(t[18:], u) }

// TCPFields are the fields of a TCP header to build. The data offset is
// computed; the checksum is left zero, to be set once the payload is in
// place (SetChecksum(ComputeChecksum(src, dst))). A field without a comment
// holds what the view's accessor of the same name returns.
type TCPFields struct {
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            TCPFlags
	// Reserved is written into the four reserved bits (RFC 9293 §3.1:
	// "must be zero in generated segments").
	Reserved uint8
	Window   uint16
	Urgent   uint16
	// Options are the option bytes, at most 40, such as AppendTCPOptions
	// lays out; they are padded with zero octets (End of Option List) to a
	// multiple of 4 (RFC 9293 §3.1, MUST-69).
	Options []byte
}

// HeaderLen returns the length of the header f describes: 20 plus the
// options padded to a multiple of 4.
func (f *TCPFields) HeaderLen() int { return TCPMinLen + (len(f.Options)+3)&^3 }

// Encode writes the header f describes into t[:f.HeaderLen()], with a zero
// checksum. It panics if the options exceed 40 bytes.
func (t TCP) Encode(f *TCPFields) {
	if len(f.Options) > TCPMaxOptionsLen {
		panic(fmt.Sprintf("header: %d bytes of TCP options, at most %d fit", len(f.Options), TCPMaxOptionsLen))
	}
	hl := f.HeaderLen()
	_ = t[hl-1]
	binary.BigEndian.PutUint16(t[0:], f.SrcPort)
	binary.BigEndian.PutUint16(t[2:], f.DstPort)
	binary.BigEndian.PutUint32(t[4:], f.Seq)
	binary.BigEndian.PutUint32(t[8:], f.Ack)
	t[12] = byte(hl/4)<<4 | f.Reserved&0x0f
	t[13] = byte(f.Flags)
	binary.BigEndian.PutUint16(t[14:], f.Window)
	t[16], t[17] = 0, 0
	binary.BigEndian.PutUint16(t[18:], f.Urgent)
	n := copy(t[TCPMinLen:hl], f.Options)
	clear(t[TCPMinLen+n : hl])
}

// AppendTCP appends the header f describes to b; the payload is the
// caller's to append, and then the checksum.
func AppendTCP(b []byte, f *TCPFields) []byte {
	b, t := grow(b, f.HeaderLen())
	TCP(t).Encode(f)
	return b
}
