package tcpdump

import (
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Printer prints packets one line each in tcpdump's -nn grammar. Set the
// options before the first call; the zero value prints like tcpdump -nn.
//
// A Printer keeps state from packet to packet: the sequence numbers of every
// TCP connection it has seen (for relative numbers), the previous time
// stamp (for the delta formats), and its decoders. It is not safe for
// concurrent use.
type Printer struct {
	// LinkHeader prints the link-level header: MAC addresses, ethertype,
	// VLAN tags, SLL packet type, loopback family (tcpdump -e).
	LinkHeader bool
	// Absolute prints absolute TCP sequence and acknowledgement numbers
	// (tcpdump -S) instead of numbers relative to each connection's first
	// ones.
	Absolute bool
	// Time is the format of the time stamp that Append puts first.
	Time TimeFormat
	// Nano prints time stamps with nanoseconds (9 digits) instead of
	// microseconds (tcpdump --nano).
	Nano bool
	// Location is the time zone of TimeOfDay and TimeDate; nil means
	// time.Local.
	Location *time.Location
	// Verbose is tcpdump's -v level: 1 for -v, 2 for -vv. From 1 on the
	// printer adds what tcpdump -v adds: the IPv4 and IPv6 header fields,
	// the TCP, UDP and ICMP checksums, ARP's hardware and protocol types,
	// and the line break with four spaces that follows an IPv4 header, so
	// that a packet's text may span more than one line.
	Verbose int
	// SnapLen is the snapshot length of the capture the packets come from.
	// When it is not zero, Append complains, as tcpdump does, about a
	// record whose captured length exceeds it.
	SnapLen int

	stamp   stamper
	decs    [maxDepth]*Decoder // one per encapsulation depth
	depth   int
	tcpISN  map[tcpConvKey]tcpISNs
	ifNames map[uint32]string // SLL2 interface names, looked up once
}

// maxDepth bounds nested packets (IP in IP, Ethernet in IPv6).
const maxDepth = 4

// maxSnapLen is libpcap's (and tcpdump's) largest snapshot length.
const maxSnapLen = 262144

// Format returns the line of one packet; see [Printer.Append].
func (p *Printer) Format(data []byte, lt layers.LinkType, ci gopacket.CaptureInfo) string {
	return string(p.Append(make([]byte, 0, 128), data, lt, ci))
}

// Append appends to dst the line tcpdump prints for one packet, without the
// newline, and returns the extended buffer: the time stamp (see
// [Printer.Time]) and the packet's description ([Printer.AppendPacket]).
// data is the packet's captured bytes, starting with the link-level header
// of link type lt, and ci its record header. For a record header that
// cannot be right (a captured length of 0 or above the wire length, the
// snapshot length or 262144) the line is tcpdump's complaint instead:
// "[Invalid header: len(60) < caplen(74)]".
//
// For the protocols it prints itself (not gopacket's summaries), once the
// printer has seen a packet's connection, Append allocates nothing when dst
// has room.
func (p *Printer) Append(dst, data []byte, lt layers.LinkType, ci gopacket.CaptureInfo) []byte {
	dst, ok := p.AppendStamp(dst, ci)
	if !ok {
		return dst
	}
	return p.AppendPacket(dst, data, lt, ci.Length)
}

// AppendStamp appends what comes before the packet's description in its
// line: the time stamp with the space after it (nothing for TimeNone). It
// reports false when the record header cannot be right; then it appends
// tcpdump's complaint instead, which is the whole line. [Printer.Append] is
// AppendStamp and then, if it reported true, [Printer.AppendPacket].
func (p *Printer) AppendStamp(dst []byte, ci gopacket.CaptureInfo) ([]byte, bool) {
	if b, bad := appendInvalidHeader(dst, ci, p.SnapLen); bad {
		return b, false
	}
	loc := p.Location
	if loc == nil {
		loc = time.Local
	}
	return p.stamp.append(dst, ci.Timestamp, p.Time, p.Nano, loc), true
}

// AppendPacket appends the description of one packet, without time stamp or
// newline: "IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win
// 65535, options [mss 1460], length 0". data is the captured bytes starting
// with the link-level header of link type lt, length the packet's length
// on the wire (len(data) when it was captured whole).
//
// Ethernet (with 802.1Q tags), Linux SLL and SLL2, BSD loopback (NULL,
// LOOP), raw IP and IP over InfiniBand links, ARP, IPv4, IPv6, TCP, UDP, ICMP
// and ICMPv6 print as tcpdump prints them, damage included ("[|tcp]",
// "truncated-ip - 4 bytes missing!", "[bad hdr length 16 - too short, <
// 20]"). Other protocols that gopacket decodes get a summary of its layers;
// a link type gopacket does not know gets "link-type NAME, length N". Like
// tcpdump, a Linux SLL2 packet is shown with the name its interface index
// has on this host ("?" if none).
func (p *Printer) AppendPacket(dst, data []byte, lt layers.LinkType, length int) []byte {
	p.depth = 0
	first, ok := firstLayer(lt, data)
	if lt == linkTypeIPoIB {
		return p.ipoib(dst, data, length)
	}
	switch lt {
	case linkTypePPP:
		if len(data) < 4 {
			return appendTrunc(dst, "ppp")
		}
		if b, ok := p.pppPrint(dst, data, length); ok {
			return b
		}
	case linkTypeARCNET, linkTypeARCNETLinux:
		if b, ok := p.arcnetPrint(dst, data, length, lt == linkTypeARCNETLinux); ok {
			return b
		}
	case linkTypeJuniperEther:
		return p.juniperEtherPrint(dst, data, length)
	case linkTypePPPSerial:
		return p.pppHDLCPrint(dst, data, length)
	case linkTypeCHDLC:
		return p.chdlcPrint(dst, data, length)
	case linkTypeDot11Radiotap:
		if b, ok := p.radiotapPrint(dst, data, length); ok {
			return b
		}
	case linkTypeDot11:
		if b, ok := p.dot11Print(dst, data, length, false, 0); ok {
			return b
		}
	}
	if lt == linkTypeFrameRelay {
		if b, ok := p.frPrint(dst, data, length); ok {
			return b
		}
	}
	if !ok {
		return p.appendUnknownLink(dst, lt, data, length)
	}
	d := p.decoder(0)
	d.Decode(first, data)
	switch first {
	case layers.LayerTypeEthernet:
		return p.ether(dst, d, data, length)
	case layers.LayerTypeLinuxSLL:
		return p.sll(dst, d, data, length)
	case layers.LayerTypeLinuxSLL2:
		return p.sll2(dst, d, data, length)
	case layers.LayerTypeLoopback:
		return p.null(dst, d, data, length)
	}
	// Raw IP.
	if p.LinkHeader && (lt == layers.LinkTypeRaw || lt == layers.LinkTypeIPv4 || lt == layers.LinkTypeIPv6 || lt == 12) {
		dst = append(dst, "ip: "...)
	}
	if first == layers.LayerTypeIPv6 {
		return p.ip6(dst, d, data, length)
	}
	if lt == layers.LinkTypeRaw {
		if len(data) == 0 {
			return append(dst, " [|ip]"...)
		}
		if v := data[0] >> 4; v != 4 {
			dst = append(dst, "unknown ip "...)
			return appendUint(dst, uint64(v))
		}
	}
	return p.ip4(dst, d, data, length)
}

// AppendTCP appends the description of an IP packet from src to dst that
// carries the TCP segment seg (header and payload), as [Printer.AppendPacket]
// prints it without [Printer.LinkHeader]: "IP 198.18.0.1.40000 >
// 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460], length
// 0" ("IP6" for IPv6 addresses). It is for programs that have a segment
// without its IP header, such as a TCP engine's log; the packet is taken to
// be whole, not fragmented, with no IPv6 extension headers. Like
// AppendPacket, it prints sequence numbers relative to the connection's
// first ones unless [Printer.Absolute] is set.
func (p *Printer) AppendTCP(b []byte, src, dst netip.Addr, seg []byte) []byte {
	src, dst = src.Unmap(), dst.Unmap()
	hdr := ipHeader{direct: true}
	var s4, d4 [4]byte
	var s16, d16 [16]byte
	if src.Is4() && dst.Is4() {
		s4, d4 = src.As4(), dst.As4()
		hdr.src, hdr.dst = s4[:], d4[:]
	} else {
		s16, d16 = src.As16(), dst.As16()
		hdr.src, hdr.dst, hdr.v6 = s16[:], d16[:], true
	}
	if hdr.v6 {
		b = append(b, "IP6 "...)
	} else {
		b = append(b, "IP "...)
	}
	return p.tcpPrint(b, seg, len(seg), &hdr)
}

// decoder returns the decoder of encapsulation depth i.
func (p *Printer) decoder(i int) *Decoder {
	if p.decs[i] == nil {
		p.decs[i] = NewDecoder()
	}
	return p.decs[i]
}

// nested returns a fresh decoder for a packet inside the current one, or nil
// when nesting is too deep.
func (p *Printer) nested() *Decoder {
	if p.depth+1 >= maxDepth {
		return nil
	}
	p.depth++
	return p.decoder(p.depth)
}

func (p *Printer) unnest() { p.depth-- }

// ---- Ethernet ----

// ether prints an Ethernet frame: with -e its addresses, ethertype and
// length, and any 802.1Q tags; then the payload.
func (p *Printer) ether(b []byte, d *Decoder, data []byte, length int) []byte {
	if !d.Has(layers.LayerTypeEthernet) {
		return append(b, " [|ether]"...)
	}
	e := &d.Ethernet
	if p.LinkHeader {
		b = appendEtherAddrs(b, e.SrcMAC, e.DstMAC)
	}
	typ := be16(data[12:14])
	rest := data[14:]
	wire := length
	length -= 14
	if typ <= 1500 {
		if p.LinkHeader {
			// The length field bounds the frame when it is shorter.
			b = append(b, "802.3, length "...)
			b = appendInt(b, min(int(typ), length))
			b = append(b, ": "...)
		}
		return p.lengthLLC(b, typ, rest, length, e.SrcMAC, e.DstMAC)
	}
	if p.LinkHeader {
		b = appendEtherType(b, typ)
		b = append(b, ", length "...)
		b = appendInt(b, length+14)
		b = append(b, ": "...)
	}
	if typ == 0x8870 {
		// Alteon jumbo frames: an LLC header follows the type
		// (draft-ietf-isis-ext-eth-01).
		if len(rest) < 3 {
			return append(b, " [|llc]"...)
		}
		return p.llc(b, rest, length, e.SrcMAC, e.DstMAC)
	}
	// 802.1Q, QinQ tags.
	for isVLAN(typ) {
		if len(rest) < 4 || length < 4 {
			return append(b, " [|vlan]"...)
		}
		b, typ = p.vlanTag(b, rest)
		rest, length = rest[4:], length-4
		if typ <= 1500 {
			if p.LinkHeader {
				b = append(b, "802.3"...)
			}
			return p.lengthLLC(b, typ, rest, length, e.SrcMAC, e.DstMAC)
		}
	}
	return p.etherPayload(b, d, typ, rest, length, func(b []byte) []byte {
		// tcpdump shows the header of a frame whose ethertype it does not
		// know even without -e.
		if !p.LinkHeader {
			b = appendEtherAddrs(b, e.SrcMAC, e.DstMAC)
			b = appendEtherType(b, typ)
			b = append(b, ", length "...)
			b = appendInt(b, wire)
			b = append(b, ": "...)
		}
		return b
	})
}

// lengthLLC prints the LLC frame after an 802.3 length field: the length
// bounds it, padding is not part of it.
func (p *Printer) lengthLLC(b []byte, typ uint16, rest []byte, length int, src, dst []byte) []byte {
	llc := rest[:min(int(typ), len(rest))]
	if len(llc) < 3 {
		return append(b, " [|llc]"...)
	}
	return p.llc(b, llc, min(int(typ), length), src, dst)
}

// etherPayload prints what follows an ethertype (Ethernet, SLL, VLAN).
// unknown prints a prefix for types the printer describes with gopacket only.
func (p *Printer) etherPayload(b []byte, d *Decoder, typ uint16, rest []byte, length int, unknown func([]byte) []byte) []byte {
	switch typ {
	case 0x0800:
		return p.ip4(b, d, rest, length)
	case 0x86dd:
		return p.ip6(b, d, rest, length)
	case 0x0806, 0x8035:
		return p.arp(b, d, rest, length)
	case 0x88f7:
		return ptpPrint(b, rest, length)
	case 0x88cc:
		return lldpPrint(b, rest, length)
	case 0x9000:
		return loopbackPrint(b, rest, length)
	case 0x886f:
		return msnlbPrint(b, rest)
	case 0x8847, 0x8848:
		return p.mplsPrint(b, rest, length)
	case 0x8863, 0x8864:
		return p.pppoePrint(b, rest, length)
	case 0x8809:
		return slowPrint(b, rest, length)
	case 0x888e:
		return eapolPrint(b, rest)
	case 0x88a2:
		return p.aoePrint(b, rest, length)
	case 0x8137:
		return p.ipxPrint(b, rest)
	case 0x880b: // PPP (print-ether.c's ethertype_print)
		if length == 0 {
			return b
		}
		b = append(b, ": "...)
		out, _ := p.pppPrint(b, rest, length)
		return out
	}
	if unknown != nil {
		b = unknown(b)
	}
	return p.other(b, layers.EthernetType(typ), rest, length)
}

func isVLAN(t uint16) bool { return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200 }

func appendEtherAddrs(b []byte, src, dst []byte) []byte {
	b = AppendMAC(b, src)
	b = append(b, " > "...)
	b = AppendMAC(b, dst)
	return append(b, ", "...)
}

// appendEtherType appends "ethertype IPv4 (0x0800)".
func appendEtherType(b []byte, t uint16) []byte {
	b = append(b, "ethertype "...)
	b = append(b, etherTypeName(t)...)
	b = append(b, " (0x"...)
	b = appendHex(b, uint64(t), 4)
	return append(b, ')')
}

// appendVLANTag appends an 802.1Q tag control field: "vlan 100, p 0[, DEI]".
func appendVLANTag(b []byte, tci uint16) []byte {
	b = append(b, "vlan "...)
	b = appendUint(b, uint64(tci&0x0fff))
	b = append(b, ", p "...)
	b = appendUint(b, uint64(tci>>13))
	if tci&0x1000 != 0 {
		b = append(b, ", DEI"...)
	}
	return b
}

// etherTypeName is tcpdump's name for an ethertype.
func etherTypeName(t uint16) string {
	switch t {
	case 0x0800:
		return "IPv4"
	case 0x0806:
		return "ARP"
	case 0x86dd:
		return "IPv6"
	case 0x8100:
		return "802.1Q"
	case 0x88a8:
		return "802.1Q-QinQ"
	case 0x9100:
		return "802.1Q-9100"
	case 0x9200:
		return "802.1Q-9200"
	case 0x8035:
		return "Reverse ARP"
	case 0x0200:
		return "PUP"
	case 0x809b:
		return "Appletalk"
	case 0x80f3:
		return "Appletalk ARP"
	case 0x8137:
		return "IPX"
	case 0x88a2:
		return "AoE"
	case 0xfefe:
		return "OSI"
	case 0x8847:
		return "MPLS unicast"
	case 0x8848:
		return "MPLS multicast"
	case 0x8863:
		return "PPPoE D"
	case 0x8864:
		return "PPPoE S"
	case 0x888e:
		return "EAPOL"
	case 0x88cc:
		return "LLDP"
	case 0x8809:
		return "Slow Protocols"
	case 0x88f7:
		return "PTP"
	case 0x88e5:
		return "MACsec"
	case 0x8902:
		return "CFM"
	case 0x9000:
		return "Loopback"
	case 0x6558:
		return "TEB"
	case 0x1000:
		return "Trail"
	case 0x0600:
		return "NS"
	case 0x22f3:
		return "TRILL"
	case 0x8808:
		return "MAC control"
	case 0x88bb:
		return "LWAPP"
	case 0x886f:
		return "MS NLB heartbeat"
	case 0x8892:
		return "PROFINET"
	case 0x893a:
		return "IEEE1905.1"
	case 0x88e7:
		return "PBB"
	case 0x0842:
		return "Wake-on-LAN"
	case 0x6003:
		return "DECnet"
	case 0x6004:
		return "LAT"
	case 0x8038:
		return "DEC LanBridge"
	case 0x894f:
		return "NSH"
	case 0x8870:
		return "Jumbo"
	case 0x880b:
		return "PPP"
	}
	return "Unknown"
}

// ---- Linux cooked captures ----

// sllPacketType is tcpdump's name for an SLL packet type.
func sllPacketType(t uint16) string {
	switch t {
	case 0:
		return "In"
	case 1:
		return "B"
	case 2:
		return "M"
	case 3:
		return "P"
	case 4:
		return "Out"
	}
	return "?"
}

// appendPacketType appends the packet type right-aligned in three columns
// and a space, as tcpdump does.
func appendPacketType(b []byte, t uint16) []byte {
	name := sllPacketType(t)
	for i := len(name); i < 3; i++ {
		b = append(b, ' ')
	}
	b = append(b, name...)
	return append(b, ' ')
}

// sll prints a Linux "cooked" v1 frame.
func (p *Printer) sll(b []byte, d *Decoder, data []byte, length int) []byte {
	if len(data) < 16 {
		return append(b, " [|sll]"...)
	}
	typ := be16(data[14:16])
	if p.LinkHeader {
		b = appendPacketType(b, be16(data[0:2]))
		b = appendCookedHeader(b, data[6:14], int(be16(data[4:6])), typ, length)
	}
	return p.cookedPayload(b, d, typ, data[16:], length-16)
}

// appendCookedHeader appends, for -e, the end of a cooked header: the
// link-layer address (the first n bytes of addr, when n is 1 to 8), the
// protocol ("802.3" for a length) and the frame's length.
func appendCookedHeader(b []byte, addr []byte, n int, typ uint16, length int) []byte {
	if n > 0 && n <= 8 {
		b = AppendMAC(b, addr[:n])
		b = append(b, ' ')
	}
	if typ > 1500 {
		b = appendEtherType(b, typ)
	} else {
		b = append(b, "802.3"...)
	}
	b = append(b, ", length "...)
	b = appendInt(b, length)
	return append(b, ": "...)
}

// sll2 prints a Linux "cooked" v2 frame.
func (p *Printer) sll2(b []byte, d *Decoder, data []byte, length int) []byte {
	if len(data) < 20 {
		return append(b, " [|sll2]"...)
	}
	typ := be16(data[0:2])
	// Like tcpdump, the interface's name on this host, padded to 5 columns,
	// and the packet type padded to 3, even without -e.
	ifindex := be32(data[4:8])
	name := p.ifName(ifindex)
	b = append(b, name...)
	for i := len(name); i < 5; i++ {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	pt := sllPacketType(uint16(data[10]))
	b = append(b, pt...)
	for i := len(pt); i < 3; i++ {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	if p.LinkHeader {
		b = append(b, "ifindex "...)
		b = appendUint(b, uint64(ifindex))
		b = append(b, ' ')
		b = appendCookedHeader(b, data[12:20], int(data[11]), typ, length)
	}
	return p.cookedPayload(b, d, typ, data[20:], length-20)
}

// ifName returns the name of the interface with this index on this host,
// as tcpdump shows it for SLL2 captures, or "?".
func (p *Printer) ifName(index uint32) string {
	if name, ok := p.ifNames[index]; ok {
		return name
	}
	name := "?"
	if ifc, err := net.InterfaceByIndex(int(index)); err == nil && ifc.Name != "" {
		name = ifc.Name
	}
	if p.ifNames == nil {
		p.ifNames = make(map[uint32]string)
	}
	p.ifNames[index] = name
	return name
}

// vlanTag prints an 802.1Q tag (the 4 bytes at the start of rest) with -e:
// its TCI and, unless it is a length, the ethertype that follows. It returns
// that ethertype.
func (p *Printer) vlanTag(b []byte, rest []byte) ([]byte, uint16) {
	typ := be16(rest[2:])
	if p.LinkHeader {
		b = appendVLANTag(b, be16(rest))
		b = append(b, ", "...)
		if typ > 1500 {
			b = appendEtherType(b, typ)
			b = append(b, ", "...)
		}
	}
	return b, typ
}

func (p *Printer) cookedPayload(b []byte, d *Decoder, typ uint16, rest []byte, length int) []byte {
	for isVLAN(typ) {
		if len(rest) < 4 {
			return append(b, " [|vlan]"...)
		}
		b, typ = p.vlanTag(b, rest)
		rest, length = rest[4:], length-4
	}
	if typ <= 1500 {
		return p.llc(b, rest, length, nil, nil)
	}
	return p.etherPayload(b, d, typ, rest, length, func(b []byte) []byte {
		if !p.LinkHeader {
			b = appendEtherType(b, typ)
			b = append(b, ", length "...)
			b = appendInt(b, length)
			b = append(b, ": "...)
		}
		return b
	})
}

// ---- IP over InfiniBand ----

// ipoib prints an IP-over-InfiniBand frame as tcpdump does: with -e its
// ethertype, then the payload.
func (p *Printer) ipoib(b []byte, data []byte, length int) []byte {
	if len(data) < 44 || length < 44 {
		return append(b, " [|ipoib]"...)
	}
	typ := be16(data[40:42])
	hdr := func(b []byte) []byte {
		b = append(b, ", "...)
		b = appendEtherType(b, typ)
		b = append(b, ", length "...)
		b = appendInt(b, length)
		return append(b, ": "...)
	}
	if p.LinkHeader {
		b = hdr(append(b, "IPOIB"...))
	}
	d := p.decoder(0)
	if first, off, ok := skipLink(linkTypeIPoIB, data); ok {
		d.Decode(first, data[off:])
	} else {
		d.Decoded = d.Decoded[:0]
	}
	return p.etherPayload(b, d, typ, data[44:], length-44, func(b []byte) []byte {
		if !p.LinkHeader {
			b = hdr(b)
		}
		return b
	})
}

// ---- BSD loopback ----

// null prints a DLT_NULL or DLT_LOOP frame: a 4-byte address family.
func (p *Printer) null(b []byte, d *Decoder, data []byte, length int) []byte {
	if len(data) < 4 {
		return append(b, " [|null]"...)
	}
	fam := uint32(d.Loopback.Family)
	if !d.Has(layers.LayerTypeLoopback) {
		// gopacket guesses the byte order from the value; so does tcpdump.
		fam = be32(data)
		if fam&0xffff0000 != 0 {
			fam = uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
		}
	}
	if p.LinkHeader {
		b = appendAF(b, fam, length)
	}
	rest := data[4:]
	switch fam {
	case 2:
		return p.ip4(b, d, rest, length-4)
	case 10, 24, 28, 30:
		return p.ip6(b, d, rest, length-4)
	}
	if !p.LinkHeader {
		b = appendAF(b, fam, length)
	}
	return p.other(b, layers.ProtocolFamily(fam), rest, length-4)
}

// appendAF appends a DLT_NULL header as tcpdump shows it: "AF name (n),
// length L: ".
func appendAF(b []byte, fam uint32, length int) []byte {
	b = append(b, "AF "...)
	b = append(b, afName(fam)...)
	b = append(b, " ("...)
	b = appendUint(b, uint64(fam))
	b = append(b, "), length "...)
	b = appendInt(b, length)
	return append(b, ": "...)
}

func afName(f uint32) string {
	switch f {
	case 2:
		return "IPv4"
	case 10, 24, 28, 30:
		return "IPv6"
	case 7:
		return "OSI"
	case 16:
		return "Appletalk"
	case 23:
		return "IPX"
	}
	return "Unknown"
}

// ---- other link types ----

// appendUnknownLink describes a packet of a link type the printer has no
// tcpdump grammar for, with gopacket's layers.
func (p *Printer) appendUnknownLink(b []byte, lt layers.LinkType, data []byte, wire int) []byte {
	pkt := gopacket.NewPacket(data, lt, gopacket.NoCopy)
	ls := pkt.Layers()
	if len(ls) == 0 || ls[0].LayerType() == gopacket.LayerTypeDecodeFailure {
		// A link type gopacket cannot decode either.
		b = append(b, "link-type "...)
		b = appendLinkTypeName(b, lt)
		b = append(b, ", length "...)
		return appendInt(b, wire)
	}
	return appendSummary(b, ls, pkt.ErrorLayer(), wire)
}

// appendInvalidHeader appends tcpdump's complaint about an impossible
// record header and reports whether there was one; tcpdump prints it
// instead of the time stamp and the packet.
func appendInvalidHeader(b []byte, ci gopacket.CaptureInfo, snaplen int) ([]byte, bool) {
	bad := false
	sep := func() {
		if !bad {
			b = append(b, "[Invalid header:"...)
			bad = true
		} else {
			b = append(b, ',')
		}
	}
	if ci.CaptureLength == 0 {
		sep()
		b = append(b, " caplen==0"...)
	}
	if ci.Length == 0 {
		sep()
		b = append(b, " len==0"...)
	} else if ci.Length < ci.CaptureLength {
		sep()
		b = append(b, " len("...)
		b = appendInt(b, ci.Length)
		b = append(b, ") < caplen("...)
		b = appendInt(b, ci.CaptureLength)
		b = append(b, ')')
	}
	if ci.CaptureLength > maxSnapLen {
		sep()
		b = append(b, " caplen("...)
		b = appendInt(b, ci.CaptureLength)
		b = append(b, ") > 262144"...)
	}
	if snaplen > 0 && ci.CaptureLength > snaplen {
		sep()
		b = append(b, " caplen("...)
		b = appendInt(b, ci.CaptureLength)
		b = append(b, ") > snapshot_length("...)
		b = appendInt(b, snaplen)
		b = append(b, ')')
	}
	if bad {
		b = append(b, ']')
	}
	return b, bad
}
