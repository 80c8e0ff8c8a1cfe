package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ICMP for IPv4 (RFC 792).

// ICMPv4MinLen is the length of the ICMP header every message has: type,
// code, checksum and the 4-octet rest of header.
const ICMPv4MinLen = 8

// ICMPv4Type is the type of an ICMP message.
type ICMPv4Type uint8

// ICMP message types (RFC 792; RFC 1256 for router discovery).
const (
	ICMPv4EchoReply      ICMPv4Type = 0
	ICMPv4DstUnreachable ICMPv4Type = 3
	ICMPv4SourceQuench   ICMPv4Type = 4 // deprecated by RFC 6633
	ICMPv4Redirect       ICMPv4Type = 5
	ICMPv4Echo           ICMPv4Type = 8
	ICMPv4RouterAdvert   ICMPv4Type = 9
	ICMPv4RouterSolicit  ICMPv4Type = 10
	ICMPv4TimeExceeded   ICMPv4Type = 11
	ICMPv4ParamProblem   ICMPv4Type = 12
	ICMPv4Timestamp      ICMPv4Type = 13
	ICMPv4TimestampReply ICMPv4Type = 14
	ICMPv4InfoRequest    ICMPv4Type = 15
	ICMPv4InfoReply      ICMPv4Type = 16
)

// IsError reports whether messages of type t are errors that quote the
// datagram that caused them: destination unreachable, source quench,
// redirect, time exceeded and parameter problem.
func (t ICMPv4Type) IsError() bool {
	switch t {
	case ICMPv4DstUnreachable, ICMPv4SourceQuench, ICMPv4Redirect, ICMPv4TimeExceeded, ICMPv4ParamProblem:
		return true
	}
	return false
}

// String returns the type's name as tcpdump prints it ("echo request",
// "echo reply", ...) or "type-#N".
func (t ICMPv4Type) String() string { return enumString(icmpv4TypeNames[:], t, "type-#") }

var icmpv4TypeNames = [...]string{
	ICMPv4EchoReply:      "echo reply",
	ICMPv4DstUnreachable: "destination unreachable",
	ICMPv4SourceQuench:   "source quench",
	ICMPv4Redirect:       "redirect",
	ICMPv4Echo:           "echo request",
	ICMPv4RouterAdvert:   "router advertisement",
	ICMPv4RouterSolicit:  "router solicitation",
	ICMPv4TimeExceeded:   "time exceeded",
	ICMPv4ParamProblem:   "parameter problem",
	ICMPv4Timestamp:      "time stamp request",
	ICMPv4TimestampReply: "time stamp reply",
	ICMPv4InfoRequest:    "information request",
	ICMPv4InfoReply:      "information reply",
}

// Codes of destination unreachable (RFC 792, RFC 1122 §3.2.2.1, RFC 1812
// §5.2.7.1).
const (
	ICMPv4NetUnreachable         = 0
	ICMPv4HostUnreachable        = 1
	ICMPv4ProtocolUnreachable    = 2
	ICMPv4PortUnreachable        = 3
	ICMPv4FragmentationNeeded    = 4 // with the next-hop MTU (RFC 1191 §4)
	ICMPv4SourceRouteFailed      = 5
	ICMPv4NetUnknown             = 6
	ICMPv4HostUnknown            = 7
	ICMPv4SourceHostIsolated     = 8
	ICMPv4NetProhibited          = 9
	ICMPv4HostProhibited         = 10
	ICMPv4NetUnreachableForTOS   = 11
	ICMPv4HostUnreachableForTOS  = 12
	ICMPv4CommProhibited         = 13
	ICMPv4HostPrecedenceViolated = 14
	ICMPv4PrecedenceCutoff       = 15
)

// Codes of time exceeded (RFC 792).
const (
	ICMPv4TTLExceeded        = 0
	ICMPv4ReassemblyExceeded = 1
)

// ICMPv4 is a view of an ICMP message, from the type octet to the end of
// the IP payload.
type ICMPv4 []byte

// ParseICMPv4 checks that b holds the 8-octet ICMP header and returns its
// view. It does not verify the checksum (see IsChecksumValid).
func ParseICMPv4(b []byte) (ICMPv4, error) {
	if len(b) < ICMPv4MinLen {
		return nil, errShort("ICMP message", ICMPv4MinLen, len(b))
	}
	return ICMPv4(b), nil
}

// Type returns the message type.
func (m ICMPv4) Type() ICMPv4Type { return ICMPv4Type(m[0]) }

// Code returns the message code.
func (m ICMPv4) Code() uint8 { return m[1] }

// Checksum returns the checksum field.
func (m ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(m[2:]) }

// Rest returns the 4-octet word after the checksum, whose meaning depends
// on the type.
func (m ICMPv4) Rest() uint32 { return binary.BigEndian.Uint32(m[4:]) }

// ID returns the identifier of an echo, timestamp or information message.
func (m ICMPv4) ID() uint16 { return binary.BigEndian.Uint16(m[4:]) }

// Seq returns the sequence number of an echo, timestamp or information
// message.
func (m ICMPv4) Seq() uint16 { return binary.BigEndian.Uint16(m[6:]) }

// MTU returns the next-hop MTU of a destination unreachable message with
// code fragmentation needed (RFC 1191 §4: the low-order 16 bits of the
// rest of header); zero from a router that predates RFC 1191.
func (m ICMPv4) MTU() uint16 { return binary.BigEndian.Uint16(m[6:]) }

// Pointer returns the pointer of a parameter problem message: the octet of
// the quoted header where the error was detected.
func (m ICMPv4) Pointer() uint8 { return m[4] }

// Gateway returns the gateway address of a redirect message.
func (m ICMPv4) Gateway() netip.Addr { return netip.AddrFrom4([4]byte(m[4:8])) }

// Payload returns the message after the 8-octet header: the data of an
// echo, the quoted datagram of an error.
func (m ICMPv4) Payload() []byte { return m[ICMPv4MinLen:] }

// Quote returns the IP header quoted by an error message (RFC 792: "the
// internet header plus the first 64 bits of the original datagram's
// data"), checked with ParseIPv4Header; its Payload is the part of the
// original datagram's payload that was quoted. It fails for messages that
// are not errors and for a quote too short or malformed.
func (m ICMPv4) Quote() (IPv4, error) {
	if !m.Type().IsError() {
		return nil, fmt.Errorf("%w: ICMP %v quotes no datagram", ErrMalformed, m.Type())
	}
	q, err := ParseIPv4Header(m[ICMPv4MinLen:])
	if err != nil {
		return nil, fmt.Errorf("ICMP %v quote: %w", m.Type(), err)
	}
	return q, nil
}

// ComputeChecksum returns the checksum the message should carry: that of
// the whole message with the checksum field taken as zero (RFC 792).
func (m ICMPv4) ComputeChecksum() uint16 { return Checksum(m[4:], Sum(0, m[:2])) }

// IsChecksumValid reports whether the checksum field is right.
func (m ICMPv4) IsChecksumValid() bool { return Checksum(m, 0) == 0 }

// SetChecksum sets the checksum field.
func (m ICMPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(m[2:], c) }

// ICMPv4Fields are the fields of an ICMP message to build. A field without
// a comment holds what the view's accessor of the same name returns.
type ICMPv4Fields struct {
	Type ICMPv4Type
	Code uint8
	// Rest is the 4-octet rest of header: for echo, timestamp and
	// information messages the identifier in the high 16 bits and the
	// sequence number in the low 16; for fragmentation needed the next-hop
	// MTU in the low 16 bits (RFC 1191 §4); for parameter problem the
	// pointer in the high 8 bits; for redirect the gateway address; zero
	// ("unused") for the other errors.
	Rest uint32
	// Payload is the data of an echo, or the quoted datagram of an error.
	Payload []byte
}

// Len returns the length of the message f describes.
func (f *ICMPv4Fields) Len() int { return ICMPv4MinLen + len(f.Payload) }

// Encode writes the message f describes, checksum included, into
// m[:f.Len()].
func (m ICMPv4) Encode(f *ICMPv4Fields) {
	_ = m[f.Len()-1]
	m[0], m[1], m[2], m[3] = byte(f.Type), f.Code, 0, 0
	binary.BigEndian.PutUint32(m[4:], f.Rest)
	copy(m[ICMPv4MinLen:], f.Payload)
	m = m[:f.Len()]
	m.SetChecksum(Checksum(m, 0))
}

// AppendICMPv4 appends the message f describes to b.
func AppendICMPv4(b []byte, f *ICMPv4Fields) []byte {
	b, m := grow(b, f.Len())
	ICMPv4(m).Encode(f)
	return b
}
