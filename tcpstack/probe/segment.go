package probe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

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
func MSS(mss uint16) []byte { return binary.BigEndian.AppendUint16([]byte{2, 4}, mss) }

// WScale is the Window Scale option (kind 3, RFC7323 §2.2).
func WScale(shift uint8) []byte { return []byte{3, 3, shift} }

// SACKPermitted is the SACK-Permitted option (kind 4, RFC2018 §2).
func SACKPermitted() []byte { return []byte{4, 2} }

// SACK is a SACK option with the blocks given (kind 5, RFC2018 §3); more
// than four blocks do not fit in a header and make the option's length
// octet wrap, which is also a way to send a broken one.
func SACK(blocks ...tcp.SACKBlock) []byte {
	b := []byte{5, byte(2 + 8*len(blocks))}
	for _, blk := range blocks {
		b = binary.BigEndian.AppendUint32(b, uint32(blk.Left))
		b = binary.BigEndian.AppendUint32(b, uint32(blk.Right))
	}
	return b
}

// Timestamps is the Timestamps option (kind 8, RFC7323 §3.2).
func Timestamps(val, ecr uint32) []byte {
	b := []byte{8, 10}
	b = binary.BigEndian.AppendUint32(b, val)
	return binary.BigEndian.AppendUint32(b, ecr)
}

// NOP is the No-Operation option (kind 1).
func NOP() []byte { return []byte{1} }

// EOL is the End of Option List option (kind 0).
func EOL() []byte { return []byte{0} }

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
func IPOptionEOL() []byte { return []byte{0} }

// IPOptionNOP is the IPv4 No Operation option.
func IPOptionNOP() []byte { return []byte{1} }

// IPOptionRecordRoute is an empty Record Route option (type 7) with room for
// slots addresses (1 to 9).
func IPOptionRecordRoute(slots int) []byte {
	slots = max(1, min(slots, 9))
	b := []byte{7, byte(3 + 4*slots), 4}
	return append(b, make([]byte, 4*slots)...)
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
	if ipHL > 60 {
		return nil, fmt.Errorf("%w: %d bytes of IP options, at most 40 fit", ErrBuild, ipOpts)
	}
	opts := len(s.Options)
	padded := opts
	if s.Padding != PadNone {
		padded = (opts + 3) / 4 * 4
	}
	if (opts+3)/4*4 > 40 {
		return nil, fmt.Errorf("%w: %d bytes of TCP options, at most 40 fit", ErrBuild, opts)
	}
	tcpLen := tcp.HeaderLen + padded + len(s.Payload)
	total := ipHL + tcpLen
	if total > 0xffff {
		return nil, fmt.Errorf("%w: %d-byte packet", ErrBuild, total)
	}
	b := make([]byte, total)

	// IPv4 header (RFC 791 §3.1).
	b[0] = 4<<4 | byte(ipHL/4)
	b[1] = s.IP.TOS
	binary.BigEndian.PutUint16(b[2:], uint16(total))
	binary.BigEndian.PutUint16(b[4:], s.IP.ID)
	if s.IP.DF {
		b[6] = 0x40
	}
	b[8] = s.IP.TTL
	if b[8] == 0 {
		b[8] = 64
	}
	b[9] = protoTCP
	s4, d4 := src.As4(), dst.As4()
	copy(b[12:], s4[:])
	copy(b[16:], d4[:])
	copy(b[ipv4MinLen:], s.IP.Options) // the rest stays zero: EOL padding
	csum := internetChecksum(b[:ipHL])
	if s.IP.BadChecksum {
		csum ^= 0x0101 // never the same value, nor its one's-complement twin
	}
	binary.BigEndian.PutUint16(b[10:], csum)

	// TCP header (RFC9293 §3.1).
	t := b[ipHL:]
	binary.BigEndian.PutUint16(t, s.SrcPort)
	binary.BigEndian.PutUint16(t[2:], s.DstPort)
	binary.BigEndian.PutUint32(t[4:], uint32(s.Seq))
	binary.BigEndian.PutUint32(t[8:], uint32(s.Ack))
	off := s.DataOffset
	if off == 0 {
		off = byte((tcp.HeaderLen + (opts+3)/4*4) / 4)
	}
	t[12] = off<<4 | s.Reserved&0x0f
	t[13] = byte(s.Flags)
	binary.BigEndian.PutUint16(t[14:], s.Window)
	binary.BigEndian.PutUint16(t[18:], s.Urgent)
	copy(t[tcp.HeaderLen:], s.Options)
	if s.Padding == PadNOP {
		for i := tcp.HeaderLen + opts; i < tcp.HeaderLen+padded; i++ {
			t[i] = 1
		}
	}
	copy(t[tcp.HeaderLen+padded:], s.Payload)
	tcp.PutChecksum(src, dst, t)
	if s.BadChecksum {
		t[16] ^= 0x01
		t[17] ^= 0x01
	}
	return b, nil
}
