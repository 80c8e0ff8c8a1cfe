package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// IPv4 (RFC 791 §3.1).

// Sizes of IPv4 headers.
const (
	// IPv4MinLen is the length of an IPv4 header without options.
	IPv4MinLen = 20
	// IPv4MaxLen is the longest IPv4 header: an IHL of 15 words.
	IPv4MaxLen = 60
	// IPv4MaxOptionsLen is the room for options in an IPv4 header.
	IPv4MaxOptionsLen = IPv4MaxLen - IPv4MinLen
)

// Bits of the flags and fragment offset word (RFC 791 §3.1).
const (
	ipv4FlagDF         = 0x4000
	ipv4FlagMF         = 0x2000
	ipv4FragOffsetMask = 0x1fff
)

// IPv4 is a view of an IPv4 packet, from the version field on.
//
// The view may be longer than the packet (an Ethernet frame's padding):
// Payload ends where the total length field says.
type IPv4 []byte

// ParseIPv4 checks that b holds an IPv4 header and the whole packet its
// total length announces (RFC 791 §3.1): at least 20 bytes, version 4, an
// IHL of at least 5 words, a header within b, a total length no shorter than
// the header and no longer than b. It does not verify the header checksum
// (see IsChecksumValid) or the options (see Options).
func ParseIPv4(b []byte) (IPv4, error) {
	h, err := ParseIPv4Header(b)
	if err != nil {
		return nil, err
	}
	if tl := h.TotalLen(); tl < h.HeaderLen() {
		return nil, fmt.Errorf("%w: IPv4 total length %d is shorter than the %d-byte header", ErrMalformed, tl, h.HeaderLen())
	} else if tl > len(b) {
		return nil, fmt.Errorf("%w: IPv4 total length %d with %d bytes present", ErrTruncated, tl, len(b))
	}
	return h, nil
}

// ParseIPv4Header checks only the header: it is ParseIPv4 without the
// total length checks. It is for a packet quoted by an ICMP error (RFC 792:
// "the internet header plus the first 64 bits of the original datagram's
// data"), whose total length is that of the original datagram. Payload
// returns what is present of the payload.
func ParseIPv4Header(b []byte) (IPv4, error) {
	if len(b) < IPv4MinLen {
		return nil, errShort("IPv4 header", IPv4MinLen, len(b))
	}
	h := IPv4(b)
	if v := h.Version(); v != 4 {
		return nil, fmt.Errorf("%w: IP version %d in an IPv4 header", ErrMalformed, v)
	}
	if hl := h.HeaderLen(); hl < IPv4MinLen {
		return nil, fmt.Errorf("%w: IPv4 IHL %d words, the minimum is 5", ErrMalformed, hl/4)
	} else if hl > len(b) {
		return nil, fmt.Errorf("%w: IPv4 header length %d with %d bytes present", ErrTruncated, hl, len(b))
	}
	return h, nil
}

// Version returns the version field (4).
func (h IPv4) Version() uint8 { return h[0] >> 4 }

// HeaderLen returns the header length in bytes: the IHL field times 4.
func (h IPv4) HeaderLen() int { return int(h[0]&0x0f) * 4 }

// TOS returns the type of service octet: the DSCP and ECN fields (RFC 2474
// §3, RFC 3168 §5).
func (h IPv4) TOS() uint8 { return h[1] }

// DSCP returns the differentiated services codepoint, the TOS octet's upper
// six bits (RFC 2474 §3).
func (h IPv4) DSCP() uint8 { return h[1] >> 2 }

// ECN returns the ECN field, the TOS octet's lower two bits (RFC 3168 §5):
// 0 not ECN-capable, 1 ECT(1), 2 ECT(0), 3 CE.
func (h IPv4) ECN() uint8 { return h[1] & 0x03 }

// TotalLen returns the total length field: header and data, in bytes.
func (h IPv4) TotalLen() int { return int(binary.BigEndian.Uint16(h[2:])) }

// ID returns the identification field.
func (h IPv4) ID() uint16 { return binary.BigEndian.Uint16(h[4:]) }

// DF reports whether the Don't Fragment flag is set.
func (h IPv4) DF() bool { return binary.BigEndian.Uint16(h[6:])&ipv4FlagDF != 0 }

// MF reports whether the More Fragments flag is set.
func (h IPv4) MF() bool { return binary.BigEndian.Uint16(h[6:])&ipv4FlagMF != 0 }

// FragOffset returns the fragment offset in bytes (the field counts units
// of 8 octets).
func (h IPv4) FragOffset() int { return int(binary.BigEndian.Uint16(h[6:])&ipv4FragOffsetMask) * 8 }

// IsFragment reports whether the packet is a fragment: More Fragments set
// or a non-zero fragment offset (RFC 791 §3.2).
func (h IPv4) IsFragment() bool {
	return binary.BigEndian.Uint16(h[6:])&(ipv4FlagMF|ipv4FragOffsetMask) != 0
}

// TTL returns the time to live.
func (h IPv4) TTL() uint8 { return h[8] }

// Protocol returns the protocol of the payload.
func (h IPv4) Protocol() IPProtocol { return IPProtocol(h[9]) }

// Checksum returns the header checksum field.
func (h IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(h[10:]) }

// Src returns the source address.
func (h IPv4) Src() netip.Addr { return netip.AddrFrom4([4]byte(h[12:16])) }

// Dst returns the destination address.
func (h IPv4) Dst() netip.Addr { return netip.AddrFrom4([4]byte(h[16:20])) }

// Options returns the option bytes, padding included: the header after its
// first 20 bytes.
func (h IPv4) Options() IPv4Options { return IPv4Options(h[IPv4MinLen:h.HeaderLen()]) }

// Payload returns the bytes after the header, up to the total length (or
// the end of the view, if that comes first).
func (h IPv4) Payload() []byte {
	hl, end := h.HeaderLen(), min(h.TotalLen(), len(h))
	if end < hl {
		end = hl
	}
	return h[hl:end]
}

// ComputeChecksum returns the checksum the header should carry: that of
// the header (options included) with the checksum field taken as zero (RFC
// 791 §3.1).
func (h IPv4) ComputeChecksum() uint16 {
	hl := h.HeaderLen()
	return Checksum(h[12:hl], Sum(0, h[:10]))
}

// IsChecksumValid reports whether the header checksum is right: the
// checksum over the header, its field included, is zero (RFC 1071).
func (h IPv4) IsChecksumValid() bool { return Checksum(h[:h.HeaderLen()], 0) == 0 }

// SetTOS sets the type of service octet.
func (h IPv4) SetTOS(tos uint8) { h[1] = tos }

// SetTotalLen sets the total length field.
func (h IPv4) SetTotalLen(n int) { binary.BigEndian.PutUint16(h[2:], uint16(n)) }

// SetID sets the identification field.
func (h IPv4) SetID(id uint16) { binary.BigEndian.PutUint16(h[4:], id) }

// SetTTL sets the time to live.
func (h IPv4) SetTTL(ttl uint8) { h[8] = ttl }

// SetChecksum sets the header checksum field.
func (h IPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(h[10:], c) }

// SetSrc sets the source address, which must be IPv4.
func (h IPv4) SetSrc(a netip.Addr) { s := a.As4(); copy(h[12:16], s[:]) }

// SetDst sets the destination address, which must be IPv4.
func (h IPv4) SetDst(a netip.Addr) { d := a.As4(); copy(h[16:20], d[:]) }

// IPv4Fields are the fields of an IPv4 header to build. The version, IHL,
// total length and checksum are computed. A field without a comment holds
// what the view's accessor of the same name returns.
type IPv4Fields struct {
	TOS uint8
	ID  uint16
	// DF and MF are the Don't Fragment and More Fragments flags.
	DF, MF bool
	// FragOffset is the fragment offset in bytes, a multiple of 8.
	FragOffset int
	TTL        uint8
	Protocol   IPProtocol
	// Src and Dst must be IPv4 addresses.
	Src, Dst netip.Addr
	// Options are the option bytes, at most 40; they are padded with zero
	// octets (End of Option List) to a multiple of 4 (RFC 791 §3.1,
	// "Padding").
	Options []byte
	// PayloadLen is the length of what follows the header: the total length
	// is the header's length plus PayloadLen.
	PayloadLen int
}

// HeaderLen returns the length of the header f describes: 20 plus the
// options padded to a multiple of 4.
func (f *IPv4Fields) HeaderLen() int { return IPv4MinLen + (len(f.Options)+3)&^3 }

// Encode writes the header f describes into h[:f.HeaderLen()], checksum
// included. It panics if the options exceed 40 bytes.
func (h IPv4) Encode(f *IPv4Fields) {
	if len(f.Options) > IPv4MaxOptionsLen {
		panic(fmt.Sprintf("header: %d bytes of IPv4 options, at most %d fit", len(f.Options), IPv4MaxOptionsLen))
	}
	hl := f.HeaderLen()
	_ = h[hl-1]
	h[0] = 4<<4 | byte(hl/4)
	h[1] = f.TOS
	binary.BigEndian.PutUint16(h[2:], uint16(hl+f.PayloadLen))
	binary.BigEndian.PutUint16(h[4:], f.ID)
	ff := uint16(f.FragOffset/8) & ipv4FragOffsetMask
	if f.DF {
		ff |= ipv4FlagDF
	}
	if f.MF {
		ff |= ipv4FlagMF
	}
	binary.BigEndian.PutUint16(h[6:], ff)
	h[8] = f.TTL
	h[9] = byte(f.Protocol)
	h[10], h[11] = 0, 0
	s, d := f.Src.As4(), f.Dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	n := copy(h[IPv4MinLen:hl], f.Options)
	clear(h[IPv4MinLen+n : hl])
	binary.BigEndian.PutUint16(h[10:], Checksum(h[:hl], 0))
}

// AppendIPv4 appends the header f describes to b; the payload is the
// caller's to append.
func AppendIPv4(b []byte, f *IPv4Fields) []byte {
	b, h := grow(b, f.HeaderLen())
	IPv4(h).Encode(f)
	return b
}

// IPv4 options (RFC 791 §3.1).

// IPv4OptionType is the type octet of an IPv4 option: the copied flag, the
// option class (2 bits) and the option number (5 bits).
type IPv4OptionType uint8

// IPv4 option types.
const (
	IPv4OptionEOL         IPv4OptionType = 0   // End of Option List
	IPv4OptionNOP         IPv4OptionType = 1   // No Operation
	IPv4OptionRecordRoute IPv4OptionType = 7   // Record Route
	IPv4OptionTimestamp   IPv4OptionType = 68  // Internet Timestamp
	IPv4OptionSecurity    IPv4OptionType = 130 // Security (RFC 1108)
	IPv4OptionLSRR        IPv4OptionType = 131 // Loose Source and Record Route
	IPv4OptionStreamID    IPv4OptionType = 136 // Stream Identifier
	IPv4OptionSSRR        IPv4OptionType = 137 // Strict Source and Record Route
	IPv4OptionRouterAlert IPv4OptionType = 148 // Router Alert (RFC 2113)
)

// Copied reports whether the option is copied into every fragment.
func (t IPv4OptionType) Copied() bool { return t&0x80 != 0 }

// Class returns the option class: 0 control, 2 debugging and measurement.
func (t IPv4OptionType) Class() uint8 { return uint8(t>>5) & 0x03 }

// Number returns the option number, the low 5 bits.
func (t IPv4OptionType) Number() uint8 { return uint8(t) & 0x1f }

// String returns the option's name as tcpdump prints it ("EOL", "NOP",
// "RR", "TS", "LSRR", "SSRR", ...) or "opt-N".
func (t IPv4OptionType) String() string { return enumString(ipv4OptionNames[:], t, "opt-") }

var ipv4OptionNames = [...]string{
	IPv4OptionEOL:         "EOL",
	IPv4OptionNOP:         "NOP",
	IPv4OptionRecordRoute: "RR",
	IPv4OptionTimestamp:   "TS",
	IPv4OptionSecurity:    "security",
	IPv4OptionLSRR:        "LSRR",
	IPv4OptionStreamID:    "SID",
	IPv4OptionSSRR:        "SSRR",
	IPv4OptionRouterAlert: "RA",
}

// IPv4Options is the options area of an IPv4 header.
type IPv4Options []byte

// Iter returns an iterator over the options.
func (o IPv4Options) Iter() IPv4OptionIter { return IPv4OptionIter{tlvIter{optionWalk{b: o}}} }

// IPv4Option is one IPv4 option.
type IPv4Option struct {
	// Type is the option's type octet.
	Type IPv4OptionType
	// Data is the option after its type and length octets; nil for EOL
	// and NOP, which are a single octet.
	Data []byte
	// Offset is where the option starts in the options area.
	Offset int
}

// Len returns the option's length on the wire: 1 for EOL and NOP, else its
// length octet.
func (o IPv4Option) Len() int { return tlvLen(byte(o.Type), o.Data) }

// IPv4OptionIter iterates over IPv4 options. EOL is reported, and ends the
// iteration: what follows it is padding.
type IPv4OptionIter struct{ w tlvIter }

// Next advances to the next option and reports whether there is one. It
// returns false at the end of the options, after EOL, or at a malformed
// option (then Err says why).
func (it *IPv4OptionIter) Next() bool { return it.w.next("IPv4") }

// Option returns the current option.
func (it *IPv4OptionIter) Option() IPv4Option {
	return IPv4Option{Type: IPv4OptionType(it.w.kind()), Data: it.w.data(), Offset: it.w.start}
}

// Err returns the error that stopped the iteration, or nil.
func (it *IPv4OptionIter) Err() error { return it.w.err }

// IPv4Route is the body of a Record Route, Loose or Strict Source and
// Record Route option (RFC 791 §3.1): a pointer, 1-based from the option's
// type octet, to the next address slot, and the slots.
type IPv4Route struct {
	// Pointer is 1-based from the option's type octet: 4 points at the
	// first slot.
	Pointer uint8
	// Addrs holds the address slots, 4 bytes each.
	Addrs []byte
}

// Route returns the pointer and addresses of an RR, LSRR or SSRR option. It
// fails for other options and for a malformed one: no pointer, a pointer
// below 4 ("The smallest legal value for the pointer is 4"), or a route
// that is not a whole number of addresses.
func (o IPv4Option) Route() (IPv4Route, error) {
	if o.Type != IPv4OptionRecordRoute && o.Type != IPv4OptionLSRR && o.Type != IPv4OptionSSRR {
		return IPv4Route{}, fmt.Errorf("%w: IPv4 option %v is not a route", ErrMalformed, o.Type)
	}
	if len(o.Data) < 1 || (len(o.Data)-1)%4 != 0 {
		return IPv4Route{}, fmt.Errorf("%w: IPv4 %v option of length %d: want 3 plus 4 per address", ErrMalformed, o.Type, o.Len())
	}
	if o.Data[0] < 4 {
		return IPv4Route{}, fmt.Errorf("%w: IPv4 %v option pointer %d, the smallest legal value is 4", ErrMalformed, o.Type, o.Data[0])
	}
	return IPv4Route{Pointer: o.Data[0], Addrs: o.Data[1:]}, nil
}

// Len returns the number of address slots.
func (r IPv4Route) Len() int { return len(r.Addrs) / 4 }

// Addr returns the address in slot i (0-based).
func (r IPv4Route) Addr(i int) netip.Addr { return netip.AddrFrom4([4]byte(r.Addrs[4*i:])) }

// Complete reports whether the pointer is past the last slot: a source
// route has been followed to its end, a recorded route is full (RFC 791
// §3.1: "If the pointer is greater than the length, the source route is
// empty (and the recorded route full)").
func (r IPv4Route) Complete() bool { return int(r.Pointer) > 3+len(r.Addrs) }

// AppendIPv4Route appends a route option of type t (RR, LSRR or SSRR) with
// the given pointer and addresses, which must be IPv4, unpadded.
func AppendIPv4Route(b []byte, t IPv4OptionType, pointer uint8, addrs ...netip.Addr) []byte {
	b = append(b, byte(t), byte(3+4*len(addrs)), pointer)
	for _, a := range addrs {
		a4 := a.As4()
		b = append(b, a4[:]...)
	}
	return b
}

// AppendIPv4Option appends an option of type t: a single octet for EOL and
// NOP (data is ignored), else the type, a length octet of 2+len(data) and
// data, unpadded.
func AppendIPv4Option(b []byte, t IPv4OptionType, data []byte) []byte {
	return appendTLV(b, byte(t), data)
}

// IPv4Timestamp is the body of an Internet Timestamp option (RFC 791
// §3.1).
type IPv4Timestamp struct {
	// Pointer is 1-based from the option's type octet; the smallest legal
	// value is 5.
	Pointer uint8
	// Overflow counts the modules that could not register a timestamp.
	Overflow uint8
	// Flag is 0 (timestamps only), 1 (address and timestamp) or 3
	// (prespecified addresses).
	Flag uint8
	// Data holds the entries, as the flag lays them out.
	Data []byte
}

// Timestamp returns the fields of an Internet Timestamp option. It fails
// for other options, for one too short to hold the pointer and flags, and
// for a pointer below 5.
func (o IPv4Option) Timestamp() (IPv4Timestamp, error) {
	if o.Type != IPv4OptionTimestamp {
		return IPv4Timestamp{}, fmt.Errorf("%w: IPv4 option %v is not a timestamp", ErrMalformed, o.Type)
	}
	if len(o.Data) < 2 {
		return IPv4Timestamp{}, fmt.Errorf("%w: IPv4 TS option of length %d, the minimum is 4", ErrMalformed, o.Len())
	}
	if o.Data[0] < 5 {
		return IPv4Timestamp{}, fmt.Errorf("%w: IPv4 TS option pointer %d, the smallest legal value is 5", ErrMalformed, o.Data[0])
	}
	return IPv4Timestamp{Pointer: o.Data[0], Overflow: o.Data[1] >> 4, Flag: o.Data[1] & 0x0f, Data: o.Data[2:]}, nil
}
