package header

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// The fixed parts and options of Neighbor Discovery messages (RFC 4861 §4).
// Each view is the whole ICMPv6 message, so its offsets are those of the
// RFC's figures.
//
// The ParseNDPX functions check what RFC 4861 asks of the message itself
// (§6.1 and §7.1: the code is 0, the message is long enough, the target is
// not multicast, every option has a non-zero length). The checks that need
// the IP header are the caller's: the hop limit is 255, the checksum is
// right, and the rules on the source and destination addresses.

// Lengths of the fixed parts of Neighbor Discovery messages, ICMPv6 header
// included.
const (
	NDPRouterSolicitLen   = 8
	NDPRouterAdvertLen    = 16
	NDPNeighborSolicitLen = 24
	NDPNeighborAdvertLen  = 24
	NDPRedirectLen        = 40
)

// parseNDP checks the parts every Neighbor Discovery message shares.
func parseNDP(m ICMPv6, t ICMPv6Type, minLen int) error {
	if len(m) < minLen {
		return fmt.Errorf("%w: ICMPv6 %v needs %d bytes, have %d", ErrTruncated, t, minLen, len(m))
	}
	if m.Type() != t {
		return fmt.Errorf("%w: ICMPv6 %v is not a %v", ErrMalformed, m.Type(), t)
	}
	if m.Code() != 0 {
		return fmt.Errorf("%w: ICMPv6 %v with code %d, must be 0", ErrMalformed, t, m.Code())
	}
	// RFC 4861 §6.1, §7.1: "All included options have a length that is
	// greater than zero."
	it := NDPOptions(m[minLen:]).Iter()
	for it.Next() {
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("ICMPv6 %v: %w", t, err)
	}
	return nil
}

// parseNDPTarget is parseNDP for the Neighbor Solicitation and
// Advertisement, which also check that their target address (octets 8 to
// 24) is not a multicast address (RFC 4861 §7.1.1, §7.1.2).
func parseNDPTarget(m ICMPv6, t ICMPv6Type, minLen int) error {
	if err := parseNDP(m, t, minLen); err != nil {
		return err
	}
	if a := netip.AddrFrom16([16]byte(m[8:24])); a.IsMulticast() {
		return fmt.Errorf("%w: ICMPv6 %v for multicast target %v", ErrMalformed, t, a)
	}
	return nil
}

// NDPRouterSolicit is a view of a Router Solicitation (RFC 4861 §4.1).
type NDPRouterSolicit []byte

// ParseNDPRouterSolicit checks m as a Router Solicitation (RFC 4861
// §6.1.1).
func ParseNDPRouterSolicit(m ICMPv6) (NDPRouterSolicit, error) {
	if err := parseNDP(m, ICMPv6RouterSolicit, NDPRouterSolicitLen); err != nil {
		return nil, err
	}
	return NDPRouterSolicit(m), nil
}

// Options returns the options.
func (m NDPRouterSolicit) Options() NDPOptions { return NDPOptions(m[NDPRouterSolicitLen:]) }

// NDPRouterAdvert is a view of a Router Advertisement (RFC 4861 §4.2).
type NDPRouterAdvert []byte

// ParseNDPRouterAdvert checks m as a Router Advertisement (RFC 4861
// §6.1.2).
func ParseNDPRouterAdvert(m ICMPv6) (NDPRouterAdvert, error) {
	if err := parseNDP(m, ICMPv6RouterAdvert, NDPRouterAdvertLen); err != nil {
		return nil, err
	}
	return NDPRouterAdvert(m), nil
}

// CurHopLimit returns the hop limit hosts should use, 0 if unspecified.
func (m NDPRouterAdvert) CurHopLimit() uint8 { return m[4] }

// Managed reports whether the M flag (addresses from DHCPv6) is set.
func (m NDPRouterAdvert) Managed() bool { return m[5]&0x80 != 0 }

// Other reports whether the O flag (other configuration from DHCPv6) is
// set.
func (m NDPRouterAdvert) Other() bool { return m[5]&0x40 != 0 }

// RouterLifetime returns the router lifetime in seconds; 0 means the
// router is not a default router.
func (m NDPRouterAdvert) RouterLifetime() uint16 { return binary.BigEndian.Uint16(m[6:]) }

// ReachableTime returns the reachable time in milliseconds, 0 if
// unspecified.
func (m NDPRouterAdvert) ReachableTime() uint32 { return binary.BigEndian.Uint32(m[8:]) }

// RetransTimer returns the retransmission timer in milliseconds, 0 if
// unspecified.
func (m NDPRouterAdvert) RetransTimer() uint32 { return binary.BigEndian.Uint32(m[12:]) }

// Options returns the options.
func (m NDPRouterAdvert) Options() NDPOptions { return NDPOptions(m[NDPRouterAdvertLen:]) }

// NDPNeighborSolicit is a view of a Neighbor Solicitation (RFC 4861 §4.3).
type NDPNeighborSolicit []byte

// ParseNDPNeighborSolicit checks m as a Neighbor Solicitation (RFC 4861
// §7.1.1): besides the common checks, the target is not a multicast
// address.
func ParseNDPNeighborSolicit(m ICMPv6) (NDPNeighborSolicit, error) {
	if err := parseNDPTarget(m, ICMPv6NeighborSolicit, NDPNeighborSolicitLen); err != nil {
		return nil, err
	}
	return NDPNeighborSolicit(m), nil
}

// Target returns the target address: the address whose link-layer address
// is sought.
func (m NDPNeighborSolicit) Target() netip.Addr { return netip.AddrFrom16([16]byte(m[8:24])) }

// Options returns the options.
func (m NDPNeighborSolicit) Options() NDPOptions { return NDPOptions(m[NDPNeighborSolicitLen:]) }

// NDPNeighborAdvert is a view of a Neighbor Advertisement (RFC 4861 §4.4).
type NDPNeighborAdvert []byte

// Flags of a Neighbor Advertisement, in its fifth octet.
const (
	ndpFlagRouter    = 0x80
	ndpFlagSolicited = 0x40
	ndpFlagOverride  = 0x20
)

// ParseNDPNeighborAdvert checks m as a Neighbor Advertisement (RFC 4861
// §7.1.2): besides the common checks, the target is not a multicast
// address. (That the Solicited flag is zero when the destination is a
// multicast address is the caller's to check.)
func ParseNDPNeighborAdvert(m ICMPv6) (NDPNeighborAdvert, error) {
	if err := parseNDPTarget(m, ICMPv6NeighborAdvert, NDPNeighborAdvertLen); err != nil {
		return nil, err
	}
	return NDPNeighborAdvert(m), nil
}

// Router reports whether the R flag is set: the sender is a router.
func (m NDPNeighborAdvert) Router() bool { return m[4]&ndpFlagRouter != 0 }

// Solicited reports whether the S flag is set: the advertisement answers a
// solicitation.
func (m NDPNeighborAdvert) Solicited() bool { return m[4]&ndpFlagSolicited != 0 }

// Override reports whether the O flag is set: the advertisement should
// override a cached link-layer address.
func (m NDPNeighborAdvert) Override() bool { return m[4]&ndpFlagOverride != 0 }

// Target returns the target address: the address whose link-layer address
// is advertised.
func (m NDPNeighborAdvert) Target() netip.Addr { return netip.AddrFrom16([16]byte(m[8:24])) }

// Options returns the options.
func (m NDPNeighborAdvert) Options() NDPOptions { return NDPOptions(m[NDPNeighborAdvertLen:]) }

// NDPRedirect is a view of a Redirect message (RFC 4861 §4.5).
type NDPRedirect []byte

// ParseNDPRedirect checks m as a Redirect (RFC 4861 §8.1): besides the
// common checks, the destination is not multicast and the target is
// link-local or the destination itself.
func ParseNDPRedirect(m ICMPv6) (NDPRedirect, error) {
	if err := parseNDP(m, ICMPv6Redirect, NDPRedirectLen); err != nil {
		return nil, err
	}
	r := NDPRedirect(m)
	if d := r.Destination(); d.IsMulticast() {
		return nil, fmt.Errorf("%w: ICMPv6 redirect for multicast destination %v", ErrMalformed, d)
	}
	if t := r.Target(); !t.IsLinkLocalUnicast() && t != r.Destination() {
		return nil, fmt.Errorf("%w: ICMPv6 redirect to target %v, neither link-local nor the destination", ErrMalformed, t)
	}
	return r, nil
}

// Target returns the better first hop for the destination.
func (m NDPRedirect) Target() netip.Addr { return netip.AddrFrom16([16]byte(m[8:24])) }

// Destination returns the address that is redirected.
func (m NDPRedirect) Destination() netip.Addr { return netip.AddrFrom16([16]byte(m[24:40])) }

// Options returns the options.
func (m NDPRedirect) Options() NDPOptions { return NDPOptions(m[NDPRedirectLen:]) }

// Neighbor Discovery options (RFC 4861 §4.6).

// NDPOptionType is the type of a Neighbor Discovery option.
type NDPOptionType uint8

// Neighbor Discovery option types (RFC 4861 §4.6; RFC 3971 §5.3.2 for the
// nonce).
const (
	NDPOptionSourceLinkLayerAddr NDPOptionType = 1
	NDPOptionTargetLinkLayerAddr NDPOptionType = 2
	NDPOptionPrefixInfo          NDPOptionType = 3
	NDPOptionRedirectedHeader    NDPOptionType = 4
	NDPOptionMTU                 NDPOptionType = 5
	NDPOptionNonce               NDPOptionType = 14
)

// NDPOptions is the options area of a Neighbor Discovery message.
type NDPOptions []byte

// Iter returns an iterator over the options.
func (o NDPOptions) Iter() NDPOptionIter { return NDPOptionIter{optionWalk{b: o}} }

// NDPOption is one Neighbor Discovery option.
type NDPOption struct {
	// Type is the option's type.
	Type NDPOptionType
	// Data is the option after its type and length octets, padding
	// included.
	Data []byte
	// Offset is where the option starts in the options area.
	Offset int
}

// Len returns the option's length on the wire, a multiple of 8.
func (o NDPOption) Len() int { return 2 + len(o.Data) }

// LinkLayerAddr returns the address of a Source or Target Link-Layer
// Address option for Ethernet (RFC 4861 §4.6.1, RFC 2464 §8: length 1, the
// 6-octet address).
func (o NDPOption) LinkLayerAddr() (MAC, bool) {
	if (o.Type != NDPOptionSourceLinkLayerAddr && o.Type != NDPOptionTargetLinkLayerAddr) || len(o.Data) != 6 {
		return MAC{}, false
	}
	return MAC(o.Data), true
}

// MTU returns the MTU of an MTU option (RFC 4861 §4.6.4).
func (o NDPOption) MTU() (uint32, bool) {
	if o.Type != NDPOptionMTU || len(o.Data) != 6 {
		return 0, false
	}
	return binary.BigEndian.Uint32(o.Data[2:]), true
}

// NDPPrefixInfo is the content of a Prefix Information option (RFC 4861
// §4.6.2).
type NDPPrefixInfo struct {
	// Prefix is the prefix and its length.
	Prefix netip.Prefix
	// OnLink is the L flag, Autonomous the A flag (address
	// autoconfiguration, RFC 4862).
	OnLink, Autonomous bool
	// ValidLifetime and PreferredLifetime are in seconds; all ones means
	// infinity.
	ValidLifetime, PreferredLifetime uint32
}

// PrefixInfo returns the content of a Prefix Information option (length
// 4), and false for other options or a prefix length above 128.
func (o NDPOption) PrefixInfo() (NDPPrefixInfo, bool) {
	if o.Type != NDPOptionPrefixInfo || len(o.Data) != 30 || o.Data[0] > 128 {
		return NDPPrefixInfo{}, false
	}
	d := o.Data
	return NDPPrefixInfo{
		Prefix:            netip.PrefixFrom(netip.AddrFrom16([16]byte(d[14:30])), int(d[0])),
		OnLink:            d[1]&0x80 != 0,
		Autonomous:        d[1]&0x40 != 0,
		ValidLifetime:     binary.BigEndian.Uint32(d[2:]),
		PreferredLifetime: binary.BigEndian.Uint32(d[6:]),
	}, true
}

// NDPOptionIter iterates over Neighbor Discovery options.
type NDPOptionIter struct{ optionWalk }

// Next advances to the next option and reports whether there is one. It
// returns false at the end of the options or at a malformed option (then
// Err says why): one of length zero, which RFC 4861 §4.6 says makes the
// whole message be discarded, or one that runs past the message.
func (it *NDPOptionIter) Next() bool {
	if !it.more() {
		return false
	}
	if it.off+2 > len(it.b) {
		return it.fail(fmt.Errorf("%w: ND option at offset %d has no length octet", ErrMalformed, it.off))
	}
	t, n := NDPOptionType(it.b[it.off]), int(it.b[it.off+1])*8
	if n == 0 {
		return it.fail(fmt.Errorf("%w: ND option type %d at offset %d has length zero", ErrMalformed, t, it.off))
	}
	if it.off+n > len(it.b) {
		return it.fail(fmt.Errorf("%w: ND option type %d at offset %d of %d bytes runs past the message", ErrMalformed, t, it.off, n))
	}
	return it.step(n)
}

// Option returns the current option.
func (it *NDPOptionIter) Option() NDPOption {
	return NDPOption{Type: NDPOptionType(it.b[it.start]), Data: it.b[it.start+2 : it.off], Offset: it.start}
}

// Err returns the error that stopped the iteration, or nil.
func (it *NDPOptionIter) Err() error { return it.err }

// AppendNDPOption appends an option of type t holding data, padded with
// zeros to a multiple of 8 octets. It panics if the option would exceed
// 2040 bytes, the most its length octet can say.
func AppendNDPOption(b []byte, t NDPOptionType, data []byte) []byte {
	n := (2 + len(data) + 7) &^ 7
	if n > 255*8 {
		panic(fmt.Sprintf("header: ND option of %d bytes, at most 2040 fit", n))
	}
	b, o := grow(b, n)
	o[0], o[1] = byte(t), byte(n/8)
	clear(o[2+copy(o[2:], data):])
	return b
}

// AppendNDPLinkLayerAddr appends a Source or Target Link-Layer Address
// option (t) for the Ethernet address mac.
func AppendNDPLinkLayerAddr(b []byte, t NDPOptionType, mac MAC) []byte {
	return append(append(b, byte(t), 1), mac[:]...)
}

// NDPNeighborSolicitFields are the fields of a Neighbor Solicitation to
// build.
type NDPNeighborSolicitFields struct {
	// Target is the address whose link-layer address is sought.
	Target netip.Addr
	// Options are the option bytes, such as a Source Link-Layer Address
	// option from AppendNDPLinkLayerAddr (which RFC 4861 §4.3 forbids when
	// the source address is unspecified).
	Options []byte
}

// AppendNDPNeighborSolicit appends a Neighbor Solicitation from src to dst,
// checksum included.
func AppendNDPNeighborSolicit(b []byte, src, dst netip.Addr, f *NDPNeighborSolicitFields) []byte {
	return appendNDP(b, src, dst, ICMPv6NeighborSolicit, 0, f.Target, f.Options)
}

// NDPNeighborAdvertFields are the fields of a Neighbor Advertisement to
// build.
type NDPNeighborAdvertFields struct {
	// Target is the address whose link-layer address is advertised.
	Target netip.Addr
	// Router, Solicited and Override are the R, S and O flags.
	Router, Solicited, Override bool
	// Options are the option bytes, such as a Target Link-Layer Address
	// option from AppendNDPLinkLayerAddr.
	Options []byte
}

// AppendNDPNeighborAdvert appends a Neighbor Advertisement from src to dst,
// checksum included.
func AppendNDPNeighborAdvert(b []byte, src, dst netip.Addr, f *NDPNeighborAdvertFields) []byte {
	var flags byte
	if f.Router {
		flags |= ndpFlagRouter
	}
	if f.Solicited {
		flags |= ndpFlagSolicited
	}
	if f.Override {
		flags |= ndpFlagOverride
	}
	return appendNDP(b, src, dst, ICMPv6NeighborAdvert, flags, f.Target, f.Options)
}

// appendNDP appends a solicitation or advertisement: header, flags octet,
// three reserved octets, target, options.
func appendNDP(b []byte, src, dst netip.Addr, t ICMPv6Type, flags byte, target netip.Addr, opts []byte) []byte {
	b, m := grow(b, NDPNeighborSolicitLen+len(opts))
	m[0], m[1], m[2], m[3] = byte(t), 0, 0, 0
	m[4], m[5], m[6], m[7] = flags, 0, 0, 0
	a := target.As16()
	copy(m[8:24], a[:])
	copy(m[24:], opts)
	ICMPv6(m).SetChecksum(ICMPv6(m).ComputeChecksum(src, dst))
	return b
}
