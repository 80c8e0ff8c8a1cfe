package main

import (
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap"
)

// printer writes the one-line description of a packet in tcpdump's -nn
// grammar (tcpdump 4.99) for the link layers, ARP, IPv4, IPv6, TCP, UDP, ICMP
// and ICMPv6, and a short summary of gopacket's layers for anything else.
//
// The fields come from gopacket layers decoded by a DecodingLayerParser
// (decoder). Where gopacket refuses a damaged header, the printer reads the
// bytes itself, as far as tcpdump would, to mark the damage the way tcpdump
// does ("[|tcp]", "truncated-ip - N bytes missing!", "[bad hdr length ...]").
//
// A printer is not safe for concurrent use; it keeps the TCP sequence number
// state of every connection it has seen (tcpdump's relative numbers).
type printer struct {
	eflag bool // -e: link-level header
	sflag bool // -S: absolute sequence numbers

	decs    [maxDepth]*decoder // one per encapsulation depth
	depth   int
	tcpISN  map[tcpConvKey]tcpISNs
	ifNames map[uint32]string // SLL2 interface names, looked up once
}

// maxDepth bounds nested packets (IP in IP, Ethernet in IPv6).
const maxDepth = 4

func newPrinter(eflag, sflag bool) *printer {
	p := &printer{eflag: eflag, sflag: sflag, tcpISN: make(map[tcpConvKey]tcpISNs)}
	for i := range p.decs {
		p.decs[i] = newDecoder()
	}
	return p
}

// appendPacket appends the description of one packet (without time stamp or
// newline). data is the captured bytes, wire the length on the wire.
func (p *printer) appendPacket(b []byte, lt pcap.LinkType, data []byte, wire int) []byte {
	p.depth = 0
	first, ok := firstLayer(lt, data)
	if lt == linkTypeIPoIB {
		return p.ipoib(b, data, wire)
	}
	if !ok {
		return p.appendUnknownLink(b, lt, data, wire)
	}
	d := p.decs[0]
	d.decode(first, data)
	switch first {
	case layers.LayerTypeEthernet:
		return p.ether(b, d, data, wire)
	case layers.LayerTypeLinuxSLL:
		return p.sll(b, d, data, wire)
	case layers.LayerTypeLinuxSLL2:
		return p.sll2(b, d, data, wire)
	case layers.LayerTypeLoopback:
		return p.null(b, d, data, wire)
	}
	// Raw IP.
	if p.eflag && lt == pcap.LinkTypeRaw {
		b = append(b, "ip: "...)
	}
	if first == layers.LayerTypeIPv6 {
		return p.ip6(b, d, data, wire)
	}
	if lt == pcap.LinkTypeRaw {
		if len(data) == 0 {
			return append(b, " [|ip]"...)
		}
		if v := data[0] >> 4; v != 4 {
			b = append(b, "unknown ip "...)
			return appendUint(b, uint64(v))
		}
	}
	return p.ip4(b, d, data, wire)
}

// nested returns a fresh decoder for a packet inside the current one, or nil
// when nesting is too deep.
func (p *printer) nested() *decoder {
	if p.depth+1 >= maxDepth {
		return nil
	}
	p.depth++
	return p.decs[p.depth]
}

func (p *printer) unnest() { p.depth-- }

// ---- Ethernet ----

// ether prints an Ethernet frame: with -e its addresses, ethertype and
// length, and any 802.1Q tags; then the payload.
func (p *printer) ether(b []byte, d *decoder, data []byte, length int) []byte {
	if !d.has(layers.LayerTypeEthernet) {
		return append(b, " [|ether]"...)
	}
	e := &d.eth
	if p.eflag {
		b = appendEtherAddrs(b, e.SrcMAC, e.DstMAC)
	}
	typ := be16(data[12:14])
	rest := data[14:]
	wire := length
	length -= 14
	if typ <= 1500 {
		if p.eflag {
			b = append(b, "802.3, length "...)
			b = appendInt(b, length+14)
			b = append(b, ": "...)
		}
		// The 802.3 length bounds the LLC frame: padding is not part of it.
		llc := rest[:min(int(typ), len(rest))]
		if len(llc) < 3 {
			return append(b, " [|llc]"...)
		}
		return p.other(b, layers.LayerTypeLLC, llc, min(int(typ), length))
	}
	if p.eflag {
		b = appendEtherType(b, typ)
		b = append(b, ", length "...)
		b = appendInt(b, length+14)
		b = append(b, ": "...)
	}
	// 802.1Q, QinQ tags.
	for isVLAN(typ) {
		if len(rest) < 4 || length < 4 {
			return append(b, " [|vlan]"...)
		}
		if p.eflag {
			b = appendVLANTag(b, be16(rest))
			b = append(b, ", "...)
		}
		typ = be16(rest[2:])
		if p.eflag && typ > 1500 {
			b = appendEtherType(b, typ)
			b = append(b, ", "...)
		}
		rest, length = rest[4:], length-4
		if typ <= 1500 {
			return p.other(b, layers.LayerTypeLLC, rest[:min(int(typ), len(rest))], min(int(typ), length))
		}
	}
	return p.etherPayload(b, d, typ, rest, length, func(b []byte) []byte {
		// tcpdump shows the header of a frame whose ethertype it does not
		// know even without -e.
		if !p.eflag {
			b = appendEtherAddrs(b, e.SrcMAC, e.DstMAC)
			b = appendEtherType(b, typ)
			b = append(b, ", length "...)
			b = appendInt(b, wire)
			b = append(b, ": "...)
		}
		return b
	})
}

// etherPayload prints what follows an ethertype (Ethernet, SLL, VLAN).
// unknown prints a prefix for types pcapcat describes with gopacket only.
func (p *printer) etherPayload(b []byte, d *decoder, typ uint16, rest []byte, length int, unknown func([]byte) []byte) []byte {
	switch typ {
	case 0x0800:
		return p.ip4(b, d, rest, length)
	case 0x86dd:
		return p.ip6(b, d, rest, length)
	case 0x0806, 0x8035:
		return p.arp(b, d, rest, length)
	}
	if unknown != nil {
		b = unknown(b)
	}
	return p.other(b, layers.EthernetType(typ), rest, length)
}

func isVLAN(t uint16) bool { return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200 }

func appendEtherAddrs(b []byte, src, dst []byte) []byte {
	b = appendMAC(b, src)
	b = append(b, " > "...)
	b = appendMAC(b, dst)
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
	case 0x809b:
		return "Appletalk"
	case 0x80f3:
		return "Appletalk ARP"
	case 0x8137:
		return "IPX"
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
func (p *printer) sll(b []byte, d *decoder, data []byte, length int) []byte {
	if len(data) < 16 {
		return append(b, " [|sll]"...)
	}
	typ := be16(data[14:16])
	if p.eflag {
		b = appendPacketType(b, be16(data[0:2]))
		if n := int(be16(data[4:6])); n > 0 && n <= 8 {
			b = appendMAC(b, data[6:6+n])
			b = append(b, ' ')
		}
		if typ > 1500 {
			b = appendEtherType(b, typ)
		} else {
			b = append(b, "802.3"...)
		}
		b = append(b, ", length "...)
		b = appendInt(b, length)
		b = append(b, ": "...)
	}
	return p.cookedPayload(b, d, typ, data[16:], length-16)
}

// sll2 prints a Linux "cooked" v2 frame.
func (p *printer) sll2(b []byte, d *decoder, data []byte, length int) []byte {
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
	if p.eflag {
		b = append(b, "ifindex "...)
		b = appendUint(b, uint64(ifindex))
		b = append(b, ' ')
		if n := int(data[11]); n > 0 && n <= 8 {
			b = appendMAC(b, data[12:12+n])
			b = append(b, ' ')
		}
		if typ > 1500 {
			b = appendEtherType(b, typ)
		} else {
			b = append(b, "802.3"...)
		}
		b = append(b, ", length "...)
		b = appendInt(b, length)
		b = append(b, ": "...)
	}
	return p.cookedPayload(b, d, typ, data[20:], length-20)
}

// ifName returns the name of the interface with this index on this host,
// as tcpdump shows it for SLL2 captures, or "?".
func (p *printer) ifName(index uint32) string {
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

func (p *printer) cookedPayload(b []byte, d *decoder, typ uint16, rest []byte, length int) []byte {
	for isVLAN(typ) {
		if len(rest) < 4 {
			return append(b, " [|vlan]"...)
		}
		if p.eflag {
			b = appendVLANTag(b, be16(rest))
			b = append(b, ", "...)
		}
		typ = be16(rest[2:])
		if p.eflag && typ > 1500 {
			b = appendEtherType(b, typ)
			b = append(b, ", "...)
		}
		rest, length = rest[4:], length-4
	}
	if typ <= 1500 {
		return p.other(b, layers.LayerTypeLLC, rest, length)
	}
	return p.etherPayload(b, d, typ, rest, length, func(b []byte) []byte {
		if !p.eflag {
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
func (p *printer) ipoib(b []byte, data []byte, length int) []byte {
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
	if p.eflag {
		b = hdr(append(b, "IPOIB"...))
	}
	d := p.decs[0]
	if first, off, ok := skipLink(linkTypeIPoIB, data); ok {
		d.decode(first, data[off:])
	} else {
		d.decoded = d.decoded[:0]
	}
	return p.etherPayload(b, d, typ, data[44:], length-44, func(b []byte) []byte {
		if !p.eflag {
			b = hdr(b)
		}
		return b
	})
}

// ---- BSD loopback ----

// null prints a DLT_NULL or DLT_LOOP frame: a 4-byte address family.
func (p *printer) null(b []byte, d *decoder, data []byte, length int) []byte {
	if len(data) < 4 {
		return append(b, " [|null]"...)
	}
	fam := uint32(d.loop.Family)
	if !d.has(layers.LayerTypeLoopback) {
		// gopacket guesses the byte order from the value; so does tcpdump.
		fam = be32(data)
		if fam&0xffff0000 != 0 {
			fam = uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24
		}
	}
	if p.eflag {
		b = append(b, "AF "...)
		b = append(b, afName(fam)...)
		b = append(b, " ("...)
		b = appendUint(b, uint64(fam))
		b = append(b, "), length "...)
		b = appendInt(b, length)
		b = append(b, ": "...)
	}
	rest := data[4:]
	switch fam {
	case 2:
		return p.ip4(b, d, rest, length-4)
	case 10, 24, 28, 30:
		return p.ip6(b, d, rest, length-4)
	}
	if !p.eflag {
		b = append(b, "AF "...)
		b = append(b, afName(fam)...)
		b = append(b, " ("...)
		b = appendUint(b, uint64(fam))
		b = append(b, "), length "...)
		b = appendInt(b, length)
		b = append(b, ": "...)
	}
	return p.other(b, layers.ProtocolFamily(fam), rest, length-4)
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

// appendUnknownLink describes a packet of a link type pcapcat has no
// tcpdump grammar for, with gopacket's layers.
func (p *printer) appendUnknownLink(b []byte, lt pcap.LinkType, data []byte, wire int) []byte {
	pkt := gopacket.NewPacket(data, lt, gopacket.NoCopy)
	ls := pkt.Layers()
	if len(ls) == 0 || ls[0].LayerType() == gopacket.LayerTypeDecodeFailure {
		// A link type gopacket cannot decode either.
		b = append(b, "link-type "...)
		b = append(b, lt.String()...)
		b = append(b, ", length "...)
		return appendInt(b, wire)
	}
	return appendSummary(b, ls, pkt.ErrorLayer(), wire)
}
