package probe

import (
	"errors"
	"fmt"
	"net/netip"

	hdr "tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
)

// Segment is a TCP segment to send, with the IPv4 header around it. Every
// field is sent as written, legal or not; the zero value of a field means
// zero on the wire, with the exceptions documented on the field (IP.TTL,
// IP.Src) and the filling rules of [Conn.Send], which [Segment.Keep] turns
// off field by field.
type Segment struct {
	SrcPort, DstPort uint16
	Seq, Ack         tcp.Value
	// Flags may hold any combination, illegal ones included (SYN|FIN,
	// SYN|RST, none at all).
	Flags tcp.Flags
	// Reserved is written into the four reserved bits of the header
	// (RFC9293 §3.1: "must be zero" when sent; receivers ignore them).
	Reserved uint8
	Window   uint16
	Urgent   uint16
	// Options are the option bytes exactly as they go on the wire, in any
	// order, alignment and length: build them with [Options] from [MSS],
	// [WScale], [SACKPermitted], [SACK], [Timestamps], [NOP], [EOL],
	// [RawOption] and [BadLenOption]. At most 40 bytes, after padding.
	Options []byte
	// Padding says how Options are filled up to a 32-bit boundary.
	Padding Padding
	// DataOffset, when not zero, is written into the data offset field
	// instead of the real header length in 32-bit words (1 to 15; values
	// below 5 or beyond the segment make it malformed on purpose).
	DataOffset uint8
	Payload    []byte
	// BadChecksum sends a wrong TCP checksum (RFC9293 MUST-3: the receiver
	// must drop the segment).
	BadChecksum bool
	// IP holds the fields of the IPv4 header.
	IP IPFields
	// Keep lists the fields [Conn.Send] must send as written even when they
	// are zero. Probe.Send ignores it: it never fills anything.
	Keep Fields
}

// IPFields are the IPv4 header fields of a Segment (RFC 791).
type IPFields struct {
	// Src is the source address; zero means the probe's (stack's) address.
	Src netip.Addr
	// Dst is the destination; required by Probe.Send, filled by Conn.Send.
	Dst netip.Addr
	// TTL is the time to live; zero means 64. (A TTL of 0 cannot be sent.)
	TTL uint8
	TOS uint8
	ID  uint16
	// DF sets the Don't Fragment bit.
	DF bool
	// Options are IPv4 option bytes, such as [IPOptionNOP], [IPOptionEOL]
	// or [IPOptionRecordRoute]; they are padded with zeros (end of option
	// list) to 32 bits and the header length is adjusted. At most 40 bytes.
	Options []byte
	// BadChecksum sends a wrong IPv4 header checksum.
	BadChecksum bool
}

// Fields names fields of a Segment that [Conn.Send] fills from the
// connection's state when they are zero. A field listed in Segment.Keep is
// sent as written.
type Fields uint8

// The fillable fields.
const (
	// FieldPorts: SrcPort and DstPort from the connection's endpoints.
	FieldPorts Fields = 1 << iota
	// FieldSeq: Seq from SND.NXT.
	FieldSeq
	// FieldAck: Ack from RCV.NXT, when the ACK flag is set.
	FieldAck
	// FieldWindow: Window from ConnConfig.Window.
	FieldWindow
	// FieldOptions: a Timestamps option (NOP, NOP, TS) added in front of
	// Options once timestamps are negotiated, on every segment but RSTs,
	// when Options hold none.
	FieldOptions
	// FieldAddrs: IP.Dst (and IP.Src) from the connection's endpoints.
	FieldAddrs

	// FieldsAll sends the segment exactly as written.
	FieldsAll = FieldPorts | FieldSeq | FieldAck | FieldWindow | FieldOptions | FieldAddrs
)

// Padding says how TCP options are filled to a 32-bit boundary.
type Padding uint8

// Paddings.
const (
	// PadZero fills with zero octets, which read as End of Option List
	// (RFC9293 §3.1, MUST-69).
	PadZero Padding = iota
	// PadNOP fills with No-Operation octets.
	PadNOP
	// PadNone adds nothing: with options that are not a multiple of 4
	// bytes, the data offset is rounded up and so claims the first payload
	// octets (or octets past the segment) as options.
	PadNone
)

// Option helpers. Each returns the bytes of one option; [Options] joins them.

// Options concatenates options in the order given.
func Options(opts ...[]byte) []byte {
	var b []byte
	for _, o := range opts {
		b = append(b, o...)
	}
	return b
}

// MSS is the Maximum Segment Size option (kind 2, RFC9293 §3.7.1).
func MSS(mss uint16) []byte { return hdr.AppendTCPMSS(nil, mss) }

// WScale is the Window Scale option (kind 3, RFC7323 §2.2).
func WScale(shift uint8) []byte { return hdr.AppendTCPWScale(nil, shift) }

// SACKPermitted is the SACK-Permitted option (kind 4, RFC2018 §2).
func SACKPermitted() []byte { return hdr.AppendTCPSACKPermitted(nil) }

// SACK is a SACK option with the blocks given (kind 5, RFC2018 §3); more
// than four blocks do not fit in a header and make the option's length
// octet wrap, which is also a way to send a broken one.
func SACK(blocks ...tcp.SACKBlock) []byte {
	hb := make([]hdr.TCPSACKBlock, len(blocks))
	for i, blk := range blocks {
		hb[i] = hdr.TCPSACKBlock{Left: uint32(blk.Left), Right: uint32(blk.Right)}
	}
	return hdr.AppendTCPSACK(nil, hb...)
}

// Timestamps is the Timestamps option (kind 8, RFC7323 §3.2).
func Timestamps(val, ecr uint32) []byte { return hdr.AppendTCPTimestamps(nil, val, ecr) }

// NOP is the No-Operation option (kind 1).
func NOP() []byte { return []byte{byte(hdr.TCPOptionNOP)} }

// EOL is the End of Option List option (kind 0).
func EOL() []byte { return []byte{byte(hdr.TCPOptionEOL)} }

// RawOption is an option of any kind with a right length octet (2 plus the
// data; more than 253 octets of data wrap it).
func RawOption(kind byte, data ...byte) []byte {
	return append([]byte{kind, byte(2 + len(data))}, data...)
}

// BadLenOption is an option whose length octet is length, whatever the data
// that follows (RFC9293 MUST-7: receivers must cope with illegal lengths,
// such as 0, 1, or beyond the header).
func BadLenOption(kind, length byte, data ...byte) []byte {
	return append([]byte{kind, length}, data...)
}

// IPv4 option helpers (RFC 791 §3.1).

// IPOptionEOL is the IPv4 End of Option List option.
func IPOptionEOL() []byte { return []byte{byte(hdr.IPv4OptionEOL)} }

// IPOptionNOP is the IPv4 No Operation option.
func IPOptionNOP() []byte { return []byte{byte(hdr.IPv4OptionNOP)} }

// IPOptionRecordRoute is an empty Record Route option (type 7) with room for
// slots addresses (1 to 9).
func IPOptionRecordRoute(slots int) []byte {
	slots = max(1, min(slots, 9))
	empty := make([]netip.Addr, slots)
	for i := range empty {
		empty[i] = netip.IPv4Unspecified()
	}
	return hdr.AppendIPv4Route(nil, hdr.IPv4OptionRecordRoute, 4, empty...) // the pointer at the first slot
}

// ErrBuild reports a Segment that cannot be laid out: options too long for
// the header, addresses that are not IPv4, a packet beyond 65535 bytes.
var ErrBuild = errors.New("probe: cannot build segment")

// Marshal lays out the segment as a complete IPv4 packet, checksums
// included (right ones unless BadChecksum asks otherwise). src is the
// source address used when IP.Src is zero.
func (s *Segment) Marshal(src netip.Addr) ([]byte, error) {
	if s.IP.Src.IsValid() {
		src = s.IP.Src
	}
	dst := s.IP.Dst
	if !src.Is4() || !dst.Is4() {
		return nil, fmt.Errorf("%w: addresses %v > %v are not both IPv4", ErrBuild, src, dst)
	}
	ipOpts := len(s.IP.Options)
	ipHL := ipv4MinLen + (ipOpts+3)/4*4
	if ipHL > hdr.IPv4MaxLen {
		return nil, fmt.Errorf("%w: %d bytes of IP options, at most %d fit", ErrBuild, ipOpts, hdr.IPv4MaxOptionsLen)
	}
	opts := len(s.Options)
	padded := opts
	if s.Padding != PadNone {
		padded = (opts + 3) / 4 * 4
	}
	if (opts+3)/4*4 > hdr.TCPMaxOptionsLen {
		return nil, fmt.Errorf("%w: %d bytes of TCP options, at most %d fit", ErrBuild, opts, hdr.TCPMaxOptionsLen)
	}
	tcpLen := tcp.HeaderLen + padded + len(s.Payload)
	total := ipHL + tcpLen
	if total > 0xffff {
		return nil, fmt.Errorf("%w: %d-byte packet", ErrBuild, total)
	}
	b := make([]byte, 0, total)

	// IPv4 header (RFC 791 §3.1).
	ttl := s.IP.TTL
	if ttl == 0 {
		ttl = 64
	}
	b = hdr.AppendIPv4(b, &hdr.IPv4Fields{
		TOS: s.IP.TOS, ID: s.IP.ID, DF: s.IP.DF, TTL: ttl, Protocol: hdr.IPProtocolTCP,
		Src: src, Dst: dst, Options: s.IP.Options, PayloadLen: tcpLen,
	})
	if ip := hdr.IPv4(b); s.IP.BadChecksum {
		ip.SetChecksum(ip.Checksum() ^ 0x0101) // never the same value, nor its one's-complement twin
	}

	// TCP header (RFC9293 §3.1).
	opt := hdr.TCPFields{
		SrcPort: s.SrcPort, DstPort: s.DstPort, Seq: uint32(s.Seq), Ack: uint32(s.Ack),
		Flags: hdr.TCPFlags(s.Flags), Reserved: s.Reserved, Window: s.Window, Urgent: s.Urgent,
		Options: s.Options, // padded with zeros (PadZero)
	}
	if s.Padding == PadNOP {
		var nops [hdr.TCPMaxOptionsLen]byte
		opt.Options = append(nops[:0], s.Options...)
		for len(opt.Options)%4 != 0 {
			opt.Options = append(opt.Options, byte(hdr.TCPOptionNOP))
		}
	}
	b = hdr.AppendTCP(b, &opt)
	if s.Padding == PadNone {
		// The data offset stays rounded up; the payload follows the
		// options at once, without the zero padding.
		b = b[:ipHL+tcp.HeaderLen+opts]
	}
	b = append(b, s.Payload...)
	t := hdr.TCP(b[ipHL:])
	if s.DataOffset != 0 {
		t.SetDataOffset(s.DataOffset)
	}
	csum := t.ComputeChecksum(src, dst)
	if s.BadChecksum {
		csum ^= 0x0101
	}
	t.SetChecksum(csum)
	return b, nil
}
