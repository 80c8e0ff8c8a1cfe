// The TCP segment on the wire: parsing, layout, checksum.
//
// Read before editing: RFC9293 §3.1 (header format; MUST-2 and MUST-3 checksum
// with pseudo-header), RFC9293 §3.1 "Rsrvd" (reserved bits zero when sent,
// ignored when received), RFC3168 §6.1 (ECE and CWR bits), RFC8200 §8.1 (IPv6
// pseudo-header), RFC1071 (computing the Internet checksum).

package tcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	hdr "tcpregress.dev/tcpstack/header"
)

// Flags are the TCP control bits (RFC9293 §3.1, RFC3168 §6.1).
type Flags uint8

// The control bits, in header order from the least significant bit.
const (
	FlagFIN Flags = 1 << iota
	FlagSYN
	FlagRST
	FlagPSH
	FlagACK
	FlagURG
	FlagECE
	FlagCWR
)

// Has reports whether every bit of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// String renders f the way tcpdump and packetdrill do: "S", "S.", "P.", "F.",
// "R", "." (a dot is ACK), with U for URG, E for ECE and W for CWR.
func (f Flags) String() string {
	var b strings.Builder
	for _, x := range []struct {
		f Flags
		c byte
	}{{FlagSYN, 'S'}, {FlagFIN, 'F'}, {FlagRST, 'R'}, {FlagPSH, 'P'}, {FlagURG, 'U'}, {FlagECE, 'E'}, {FlagCWR, 'W'}, {FlagACK, '.'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// HeaderLen is the length of a TCP header without options.
const HeaderLen = 20

// Errors from Parse. They are wrapped with detail; match them with errors.Is.
var (
	// ErrMalformed reports bytes that are not a TCP segment: too short for the
	// fixed header, or a data offset pointing outside the bytes.
	ErrMalformed = errors.New("tcp: malformed segment")
)

// Segment is a parsed TCP segment. Options are parsed; Payload aliases the
// bytes given to Parse.
type Segment struct {
	SrcPort, DstPort uint16
	Seq, Ack         Value
	Flags            Flags
	// Window is the raw 16-bit window field; scaling (RFC7323 §2.3) is the
	// connection's business.
	Window uint16
	// Urgent is the raw urgent pointer field: an offset from Seq to the octet
	// following the urgent data (RFC9293 §3.1, MUST-62).
	Urgent  uint16
	Options Options
	Payload []byte
}

// Len returns SEG.LEN: the payload plus one for each of SYN and FIN, which
// occupy sequence space (RFC9293 §3.4).
func (s *Segment) Len() Size {
	n := Size(len(s.Payload))
	if s.Flags&FlagSYN != 0 {
		n++
	}
	if s.Flags&FlagFIN != 0 {
		n++
	}
	return n
}

// End returns SEG.SEQ + SEG.LEN, the sequence number after the segment.
func (s *Segment) End() Value { return s.Seq.Add(s.Len()) }

// String renders the segment like a packetdrill line, with absolute numbers:
// "S. 100:100(0) ack 7 win 65535 urg 0 <mss 1460,sackOK,TS val 1 ecr 0,wscale 7>".
func (s *Segment) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d>%d %v %d:%d(%d)", s.SrcPort, s.DstPort, s.Flags, uint32(s.Seq), uint32(s.Seq.Add(Size(len(s.Payload)))), len(s.Payload))
	if s.Flags&FlagACK != 0 {
		fmt.Fprintf(&b, " ack %d", uint32(s.Ack))
	}
	fmt.Fprintf(&b, " win %d", s.Window)
	if s.Flags&FlagURG != 0 {
		fmt.Fprintf(&b, " urg %d", s.Urgent)
	}
	if o := s.Options.String(); o != "" {
		b.WriteString(" <" + o + ">")
	}
	return b.String()
}

// String renders the options packetdrill-style, without NOPs.
func (o *Options) String() string {
	var parts []string
	if o.HasMSS {
		parts = append(parts, fmt.Sprintf("mss %d", o.MSS))
	}
	if o.SACKPermitted {
		parts = append(parts, "sackOK")
	}
	if o.HasTimestamps {
		parts = append(parts, fmt.Sprintf("TS val %d ecr %d", o.TSVal, o.TSEcr))
	}
	if o.HasWScale {
		parts = append(parts, fmt.Sprintf("wscale %d", o.WScale))
	}
	if len(o.SACK) > 0 {
		var sb strings.Builder
		sb.WriteString("sack")
		for _, blk := range o.SACK {
			fmt.Fprintf(&sb, " %d:%d", uint32(blk.Left), uint32(blk.Right))
		}
		parts = append(parts, sb.String())
	}
	return strings.Join(parts, ",")
}

// Parse decodes the TCP header and payload in b. It does not verify the
// checksum, which needs the IP addresses: callers use VerifyChecksum
// (RFC9293 MUST-3). The Payload of the result aliases b.
//
// Parse fails only when b cannot be a segment (shorter than 20 bytes, or a data
// offset below 5 words or beyond b). Malformed options never fail it: they end
// option parsing and the segment is kept (RFC9293 MUST-7).
func Parse(b []byte) (Segment, error) {
	if len(b) < HeaderLen {
		return Segment{}, fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(b), HeaderLen)
	}
	off := int(b[12]>>4) * 4
	if off < HeaderLen || off > len(b) {
		return Segment{}, fmt.Errorf("%w: data offset %d bytes with %d bytes present", ErrMalformed, off, len(b))
	}
	s := Segment{
		SrcPort: binary.BigEndian.Uint16(b[0:]),
		DstPort: binary.BigEndian.Uint16(b[2:]),
		Seq:     Value(binary.BigEndian.Uint32(b[4:])),
		Ack:     Value(binary.BigEndian.Uint32(b[8:])),
		// The reserved bits of octet 12 are ignored when received (RFC9293 §3.1).
		Flags:   Flags(b[13]),
		Window:  binary.BigEndian.Uint16(b[14:]),
		Urgent:  binary.BigEndian.Uint16(b[18:]),
		Options: parseOptions(b[HeaderLen:off]),
	}
	if off < len(b) {
		s.Payload = b[off:]
	}
	return s, nil
}

// AppendTo appends the segment's wire form to dst and returns the extended
// slice. The checksum field is left zero; fill it with PutChecksum once the IP
// addresses are known (RFC9293 MUST-2). Options are laid out as appendOptions
// describes; SACK blocks that do not fit in 40 bytes are dropped.
func (s *Segment) AppendTo(dst []byte) []byte {
	optLen := s.Options.Len()
	dst = binary.BigEndian.AppendUint16(dst, s.SrcPort)
	dst = binary.BigEndian.AppendUint16(dst, s.DstPort)
	dst = binary.BigEndian.AppendUint32(dst, uint32(s.Seq))
	dst = binary.BigEndian.AppendUint32(dst, uint32(s.Ack))
	// Reserved bits are sent as zero (RFC9293 §3.1).
	dst = append(dst, byte((HeaderLen+optLen)/4)<<4, byte(s.Flags))
	dst = binary.BigEndian.AppendUint16(dst, s.Window)
	dst = append(dst, 0, 0) // checksum, see PutChecksum
	dst = binary.BigEndian.AppendUint16(dst, s.Urgent)
	dst = appendOptions(dst, &s.Options)
	return append(dst, s.Payload...)
}

// Marshal returns the segment's wire form with a zero checksum field.
func (s *Segment) Marshal() []byte {
	return s.AppendTo(make([]byte, 0, HeaderLen+s.Options.Len()+len(s.Payload)))
}

// Checksum computes the TCP checksum of the segment bytes tcp sent from src to
// dst, over the IPv4 (RFC9293 §3.1) or IPv6 (RFC8200 §8.1) pseudo-header and
// the segment with its checksum field taken as zero. src and dst must be of
// the same family; IPv4-mapped IPv6 addresses count as IPv4.
func Checksum(src, dst netip.Addr, tcp []byte) uint16 {
	var sum uint32
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() && dst.Is4() {
		s4, d4 := src.As4(), dst.As4()
		sum = hdr.Sum(sum, s4[:])
		sum = hdr.Sum(sum, d4[:])
		sum += 6 + uint32(len(tcp)) // zero, protocol 6, TCP length
	} else {
		s16, d16 := src.As16(), dst.As16()
		sum = hdr.Sum(sum, s16[:])
		sum = hdr.Sum(sum, d16[:])
		n := uint32(len(tcp))
		sum += n>>16 + n&0xffff + 6
	}
	if len(tcp) >= 18 {
		sum = hdr.Sum(sum, tcp[:16])
		sum = hdr.Sum(sum, tcp[18:])
	} else {
		sum = hdr.Sum(sum, tcp)
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// PutChecksum computes the checksum of tcp (see Checksum) and stores it in the
// checksum field. tcp must hold at least the fixed header.
func PutChecksum(src, dst netip.Addr, tcp []byte) {
	binary.BigEndian.PutUint16(tcp[16:], Checksum(src, dst, tcp))
}

// VerifyChecksum reports whether the checksum field of tcp matches its
// contents (RFC9293 MUST-3: a segment failing it is discarded by the caller).
func VerifyChecksum(src, dst netip.Addr, tcp []byte) bool {
	if len(tcp) < HeaderLen {
		return false
	}
	return binary.BigEndian.Uint16(tcp[16:]) == Checksum(src, dst, tcp)
}
