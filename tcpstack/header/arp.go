package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ARP for IPv4 over Ethernet (RFC 826).

// ARPLen is the length of an ARP packet for IPv4 over Ethernet.
const ARPLen = 28

// arpHardwareEthernet is ar$hrd for Ethernet (RFC 826, "ares_hrd$Ethernet").
const arpHardwareEthernet = 1

// ARPOp is the opcode of an ARP packet (ar$op).
type ARPOp uint16

// ARP opcodes (RFC 826).
const (
	ARPRequest ARPOp = 1
	ARPReply   ARPOp = 2
)

// String returns "request", "reply" or "op N".
func (o ARPOp) String() string { return enumString(arpOpNames[:], o, "op ") }

var arpOpNames = [...]string{
	ARPRequest: "request",
	ARPReply:   "reply",
}

// ARP is a view of an ARP packet for IPv4 over Ethernet (RFC 826): hardware
// type 1, protocol type 0x0800, address lengths 6 and 4.
type ARP []byte

// ParseARP checks that b holds an ARP packet for IPv4 over Ethernet and
// returns its view. Other hardware or protocol types are reported with
// ErrUnsupported. Bytes after the 28 of the packet (Ethernet padding) are
// allowed.
func ParseARP(b []byte) (ARP, error) {
	if len(b) < ARPLen {
		return nil, errShort("ARP packet", ARPLen, len(b))
	}
	a := ARP(b)
	if a.HardwareType() != arpHardwareEthernet || a.ProtocolType() != EtherTypeIPv4 || b[4] != 6 || b[5] != 4 {
		return nil, fmt.Errorf("%w: ARP hardware type %d, protocol type %v, address lengths %d and %d: only Ethernet and IPv4 (1, 0x0800, 6, 4) are decoded",
			ErrUnsupported, a.HardwareType(), a.ProtocolType(), b[4], b[5])
	}
	return a, nil
}

// HardwareType returns ar$hrd (1 for Ethernet).
func (a ARP) HardwareType() uint16 { return binary.BigEndian.Uint16(a[0:]) }

// ProtocolType returns ar$pro (0x0800 for IPv4).
func (a ARP) ProtocolType() EtherType { return EtherType(binary.BigEndian.Uint16(a[2:])) }

// Op returns the opcode.
func (a ARP) Op() ARPOp { return ARPOp(binary.BigEndian.Uint16(a[6:])) }

// SenderMAC returns the sender hardware address (ar$sha).
func (a ARP) SenderMAC() MAC { return MAC(a[8:14]) }

// SenderIP returns the sender protocol address (ar$spa).
func (a ARP) SenderIP() netip.Addr { return netip.AddrFrom4([4]byte(a[14:18])) }

// TargetMAC returns the target hardware address (ar$tha), zero in most
// requests.
func (a ARP) TargetMAC() MAC { return MAC(a[18:24]) }

// TargetIP returns the target protocol address (ar$tpa).
func (a ARP) TargetIP() netip.Addr { return netip.AddrFrom4([4]byte(a[24:28])) }

// ARPFields are the fields of an ARP packet to build. A field without a
// comment holds what the view's accessor of the same name returns.
type ARPFields struct {
	Op ARPOp
	// SenderMAC and SenderIP are the sender's addresses; TargetMAC and
	// TargetIP the target's (TargetMAC is zero in a request). The IP
	// addresses must be IPv4.
	SenderMAC MAC
	SenderIP  netip.Addr
	TargetMAC MAC
	TargetIP  netip.Addr
}

// Encode writes the packet f describes into a[:ARPLen].
func (a ARP) Encode(f *ARPFields) {
	_ = a[ARPLen-1]
	binary.BigEndian.PutUint16(a[0:], arpHardwareEthernet)
	binary.BigEndian.PutUint16(a[2:], uint16(EtherTypeIPv4))
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], uint16(f.Op))
	copy(a[8:14], f.SenderMAC[:])
	s := f.SenderIP.As4()
	copy(a[14:18], s[:])
	copy(a[18:24], f.TargetMAC[:])
	t := f.TargetIP.As4()
	copy(a[24:28], t[:])
}

// AppendARP appends the packet f describes to b.
func AppendARP(b []byte, f *ARPFields) []byte {
	b, p := grow(b, ARPLen)
	ARP(p).Encode(f)
	return b
}
