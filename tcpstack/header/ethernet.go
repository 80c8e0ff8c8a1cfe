package header

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// Ethernet II framing (RFC 894 for IPv4, RFC 2464 for IPv6) with IEEE
// 802.1Q VLAN tags.

// Sizes of Ethernet headers and frames.
const (
	// EthernetLen is the length of an untagged Ethernet header:
	// destination, source, EtherType.
	EthernetLen = 14
	// VLANTagLen is the length of an 802.1Q tag: its TPID (the EtherType
	// 0x8100 or 0x88a8) and the tag control information.
	VLANTagLen = 4
	// EthernetMinFrameLen is the shortest frame without its FCS: shorter
	// frames are padded with zeros before they are sent (IEEE 802.3's
	// 64-byte minimum, less the 4-byte FCS).
	EthernetMinFrameLen = 60
)

// EtherType is the type field of an Ethernet header (IEEE "EtherType"
// registry).
type EtherType uint16

// EtherTypes used by the project.
const (
	EtherTypeIPv4 EtherType = 0x0800
	EtherTypeARP  EtherType = 0x0806
	EtherTypeVLAN EtherType = 0x8100 // IEEE 802.1Q customer VLAN tag
	EtherTypeQinQ EtherType = 0x88a8 // IEEE 802.1ad service VLAN tag
	EtherTypeIPv6 EtherType = 0x86dd
)

// String returns "IPv4", "ARP", "802.1Q", "802.1ad", "IPv6" or "0x%04x".
func (t EtherType) String() string {
	if s, ok := etherTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("0x%04x", uint16(t))
}

// etherTypeNames is a map, not an enumString table: the values are too
// sparse for an array.
var etherTypeNames = map[EtherType]string{
	EtherTypeIPv4: "IPv4",
	EtherTypeARP:  "ARP",
	EtherTypeVLAN: "802.1Q",
	EtherTypeQinQ: "802.1ad",
	EtherTypeIPv6: "IPv6",
}

// isVLAN reports whether t announces a VLAN tag.
func (t EtherType) isVLAN() bool { return t == EtherTypeVLAN || t == EtherTypeQinQ }

// MAC is a 48-bit IEEE 802 MAC address. Convert from a net.HardwareAddr of
// 6 bytes with MAC(hw) and back with m.HardwareAddr().
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// String returns m as net.HardwareAddr prints it: "02:00:00:00:00:01".
func (m MAC) String() string {
	const hex = "0123456789abcdef"
	var b [17]byte
	for i, x := range m {
		if i > 0 {
			b[3*i-1] = ':'
		}
		b[3*i], b[3*i+1] = hex[x>>4], hex[x&0xf]
	}
	return string(b[:])
}

// HardwareAddr returns a copy of m as a net.HardwareAddr.
func (m MAC) HardwareAddr() net.HardwareAddr { return append(net.HardwareAddr(nil), m[:]...) }

// IsBroadcast reports whether m is ff:ff:ff:ff:ff:ff.
func (m MAC) IsBroadcast() bool { return m == BroadcastMAC }

// IsMulticast reports whether m is a group address (the I/G bit, the least
// significant bit of the first octet, is set); the broadcast address is one.
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// IPv4MulticastMAC returns the Ethernet address of IPv4 multicast group
// g: 01:00:5e followed by the low 23 bits of the group address (RFC 1112
// §6.4). g should be a multicast IPv4 address (224.0.0.0/4).
func IPv4MulticastMAC(g netip.Addr) MAC {
	a := g.As4()
	return MAC{0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]}
}

// IPv6MulticastMAC returns the Ethernet address of IPv6 multicast group g:
// 33:33 followed by the last 32 bits of the group address (RFC 2464 §7).
// g should be a multicast IPv6 address (ff00::/8).
func IPv6MulticastMAC(g netip.Addr) MAC {
	a := g.As16()
	return MAC{0x33, 0x33, a[12], a[13], a[14], a[15]}
}

// VLANTag is the tag control information of an 802.1Q tag: priority code
// point (3 bits), drop eligible indicator (1 bit) and VLAN ID (12 bits).
type VLANTag uint16

// ID returns the VLAN identifier.
func (t VLANTag) ID() uint16 { return uint16(t) & 0x0fff }

// Priority returns the priority code point (IEEE 802.1p).
func (t VLANTag) Priority() uint8 { return uint8(t >> 13) }

// DEI reports whether the drop eligible indicator is set.
func (t VLANTag) DEI() bool { return t&0x1000 != 0 }

// Ethernet is a view of an Ethernet frame (without its FCS), from the
// destination address on. Up to two VLAN tags (802.1Q, or 802.1ad then
// 802.1Q) are skipped to reach the EtherType of the payload.
type Ethernet []byte

// maxVLANTags is how many stacked tags the view skips.
const maxVLANTags = 2

// ParseEthernet checks that b holds an Ethernet header, VLAN tags included,
// and returns its view.
func ParseEthernet(b []byte) (Ethernet, error) {
	if len(b) < EthernetLen {
		return nil, errShort("Ethernet header", EthernetLen, len(b))
	}
	if hl := Ethernet(b).headerLen(len(b)); hl > len(b) {
		return nil, errShort("Ethernet header with VLAN tags", hl, len(b))
	}
	return Ethernet(b), nil
}

// headerLen returns the header length, looking at tags only within the
// first n bytes.
func (e Ethernet) headerLen(n int) int {
	off := 12
	for range maxVLANTags {
		if off+2 > n || !EtherType(binary.BigEndian.Uint16(e[off:])).isVLAN() {
			break
		}
		off += VLANTagLen
	}
	return off + 2
}

// Dst returns the destination address.
func (e Ethernet) Dst() MAC { return MAC(e[0:6]) }

// Src returns the source address.
func (e Ethernet) Src() MAC { return MAC(e[6:12]) }

// HeaderLen returns the header length: 14, plus 4 for each VLAN tag.
func (e Ethernet) HeaderLen() int { return e.headerLen(len(e)) }

// EtherType returns the type of the payload: the type field after the
// VLAN tags, if any. Values below 0x0600 are IEEE 802.3 lengths, returned
// as they are.
func (e Ethernet) EtherType() EtherType {
	return EtherType(binary.BigEndian.Uint16(e[e.HeaderLen()-2:]))
}

// VLAN returns the (outer) VLAN tag, and false for an untagged frame.
func (e Ethernet) VLAN() (VLANTag, bool) {
	if !EtherType(binary.BigEndian.Uint16(e[12:])).isVLAN() {
		return 0, false
	}
	return VLANTag(binary.BigEndian.Uint16(e[14:])), true
}

// Payload returns the bytes after the header, padding included: the
// network header's length fields say where the packet ends.
func (e Ethernet) Payload() []byte { return e[e.HeaderLen():] }

// SetDst sets the destination address.
func (e Ethernet) SetDst(m MAC) { copy(e[0:6], m[:]) }

// SetSrc sets the source address.
func (e Ethernet) SetSrc(m MAC) { copy(e[6:12], m[:]) }

// EthernetFields are the fields of an Ethernet header to build. A field
// without a comment holds what the view's accessor of the same name returns.
type EthernetFields struct {
	Dst, Src MAC
	// Type is the EtherType of the payload.
	Type EtherType
	// VLAN, when HasVLAN is set, is written in an 802.1Q tag.
	VLAN    VLANTag
	HasVLAN bool
}

// HeaderLen returns the length of the header f describes: 14, or 18 with a
// VLAN tag.
func (f *EthernetFields) HeaderLen() int {
	if f.HasVLAN {
		return EthernetLen + VLANTagLen
	}
	return EthernetLen
}

// Encode writes the header f describes into e[:f.HeaderLen()].
func (e Ethernet) Encode(f *EthernetFields) {
	_ = e[f.HeaderLen()-1]
	copy(e[0:6], f.Dst[:])
	copy(e[6:12], f.Src[:])
	off := 12
	if f.HasVLAN {
		binary.BigEndian.PutUint16(e[12:], uint16(EtherTypeVLAN))
		binary.BigEndian.PutUint16(e[14:], uint16(f.VLAN))
		off += VLANTagLen
	}
	binary.BigEndian.PutUint16(e[off:], uint16(f.Type))
}

// AppendEthernet appends the header f describes to b.
func AppendEthernet(b []byte, f *EthernetFields) []byte {
	b, h := grow(b, f.HeaderLen())
	Ethernet(h).Encode(f)
	return b
}

// PadEthernet pads frame with zeros to EthernetMinFrameLen bytes, the
// shortest frame the link sends (RFC 894: "the data field ... is padded
// with octets of zero").
func PadEthernet(frame []byte) []byte {
	for len(frame) < EthernetMinFrameLen {
		frame = append(frame, 0)
	}
	return frame
}

// grow extends b by n bytes and returns it with the new bytes, which the
// caller overwrites entirely.
func grow(b []byte, n int) (all, tail []byte) {
	l := len(b)
	if cap(b)-l < n {
		nb := make([]byte, l, 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	b = b[:l+n]
	return b, b[l:]
}
