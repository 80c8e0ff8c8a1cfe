// The TCP segment on the wire: parsing, layout, checksum.
//
// Read before editing: RFC9293 §3.1 (header format; MUST-2 and MUST-3 checksum
// with pseudo-header), RFC9293 §3.1 "Rsrvd" (reserved bits zero when sent,
// ignored when received), RFC3168 §6.1 (ECE and CWR bits), RFC8200 §8.1 (IPv6
// pseudo-header), RFC1071 (computing the Internet checksum).

package tcp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	hdr "tcpregress.dev/tcpstack/header"
)

// Flags are the TCP control bits (RFC9293 §3.1, RFC3168 §6.1): the bits of
// header.TCPFlags, which String renders in packetdrill's order.
type Flags uint8

// The control bits, in header order from the least significant bit.
const (
	FlagFIN = Flags(hdr.TCPFlagFIN)
	FlagSYN = Flags(hdr.TCPFlagSYN)
	FlagRST = Flags(hdr.TCPFlagRST)
	FlagPSH = Flags(hdr.TCPFlagPSH)
	FlagACK = Flags(hdr.TCPFlagACK)
	FlagURG = Flags(hdr.TCPFlagURG)
	FlagECE = Flags(hdr.TCPFlagECE)
	FlagCWR = Flags(hdr.TCPFlagCWR)
)

// Has reports whether every bit of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// String renders f the way packetdrill does: "S", "S.", "P.", "F.", "R", "."
// (a dot is ACK), with U for URG, E for ECE and W for CWR, and "none" for no
// bit (header.TCPFlags.PacketdrillString). tcpdump's order is
// header.TCPFlags.String.
func (f Flags) String() string { return hdr.TCPFlags(f).PacketdrillString() }

// HeaderLen is the length of a TCP header without options.
const HeaderLen = hdr.TCPMinLen

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

// String renders the segment like a packetdrill line with absolute numbers,
// after its ports: "80>40000 S. 100:100(0) ack 7 win 65535 <mss
// 1460,sackOK,TS val 1 ecr 0,wscale 7>".
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
	t, err := hdr.ParseTCP(b)
	if err != nil {
		return Segment{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	s := Segment{
		SrcPort: t.SrcPort(),
		DstPort: t.DstPort(),
		Seq:     Value(t.Seq()),
		Ack:     Value(t.Ack()),
		// The reserved bits are ignored when received (RFC9293 §3.1).
		Flags:  Flags(t.Flags()),
		Window: t.Window(),
		Urgent: t.Urgent(),
	}
	parseOptions(t.Options(), &s.Options)
	if p := t.Payload(); len(p) > 0 {
		s.Payload = p
	}
	return s, nil
}

// AppendTo appends the segment's wire form to dst and returns the extended
// slice. The checksum field is left zero; fill it with PutChecksum once the IP
// addresses are known (RFC9293 MUST-2). Options are laid out as appendOptions
// describes; SACK blocks that do not fit in 40 bytes are dropped. The
// reserved bits are sent as zero (RFC9293 §3.1).
func (s *Segment) AppendTo(dst []byte) []byte {
	start := len(dst)
	dst = hdr.AppendTCP(dst, &hdr.TCPFields{
		SrcPort: s.SrcPort,
		DstPort: s.DstPort,
		Seq:     uint32(s.Seq),
		Ack:     uint32(s.Ack),
		Flags:   hdr.TCPFlags(s.Flags),
		Window:  s.Window,
		Urgent:  s.Urgent,
	})
	// The options go straight after the fixed header (a multiple of 4
	// bytes, needing no padding), and the data offset then counts them.
	dst = appendOptions(dst, &s.Options)
	hdr.TCP(dst[start:]).SetDataOffset(uint8((len(dst) - start) / 4))
	return append(dst, s.Payload...)
}

// Marshal returns the segment's wire form with a zero checksum field.
func (s *Segment) Marshal() []byte {
	return s.AppendTo(make([]byte, 0, HeaderLen+s.Options.Len()+len(s.Payload)))
}

// Checksum computes the TCP checksum of the segment bytes tcp sent from src to
// dst, over the IPv4 (RFC9293 §3.1) or IPv6 (RFC8200 §8.1) pseudo-header and
// the segment with its checksum field taken as zero (header.TCP's
// ComputeChecksum). src and dst must be of the same family; IPv4-mapped IPv6
// addresses count as IPv4. Bytes too short to hold the checksum field are
// summed whole.
func Checksum(src, dst netip.Addr, tcp []byte) uint16 {
	if len(tcp) < 18 {
		return hdr.Checksum(tcp, hdr.PseudoHeaderSum(hdr.IPProtocolTCP, src, dst, len(tcp)))
	}
	return hdr.TCP(tcp).ComputeChecksum(src, dst)
}

// PutChecksum computes the checksum of tcp (see Checksum) and stores it in the
// checksum field. tcp must hold at least the fixed header.
func PutChecksum(src, dst netip.Addr, tcp []byte) {
	t := hdr.TCP(tcp)
	t.SetChecksum(t.ComputeChecksum(src, dst))
}

// VerifyChecksum reports whether the checksum field of tcp matches its
// contents (RFC9293 MUST-3: a segment failing it is discarded by the caller).
// A field of 0xffff where 0 is computed passes, as both are zero in one's
// complement (RFC1624 §3).
func VerifyChecksum(src, dst netip.Addr, tcp []byte) bool {
	return len(tcp) >= HeaderLen && hdr.TCP(tcp).IsChecksumValid(src, dst)
}
