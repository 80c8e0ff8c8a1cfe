package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// MPLS and the tunnels over UDP that carry Ethernet frames, as tcpdump
// prints them without -v: MPLS label stacks (print-mpls.c), VXLAN
// (print-vxlan.c) and Geneve (print-geneve.c).

// mplsPrint prints an MPLS label stack (RFC 3032 section 2.1: label 20
// bits, traffic class 3, bottom of stack 1, TTL 8) and the packet under it
// when tcpdump can tell what it is: IPv4 or IPv6 by the reserved labels of
// RFC 3032 section 2.1 (0 and 3, 2) or by the first byte's version.
func (p *Printer) mplsPrint(b []byte, data []byte, length int) []byte {
	const proto = "mpls"
	b = append(b, "MPLS"...)
	var entry uint32
	for {
		if out, ok := checkLen(b, proto, data, length, 4); !ok {
			return out
		}
		entry = be32(data)
		b = append(b, " (label "...)
		b = appendUint(b, uint64(entry>>12))
		b = append(b, ", tc "...)
		b = appendUint(b, uint64(entry>>9&7))
		if entry&0x100 != 0 {
			b = append(b, ", [S]"...)
		}
		b = append(b, ", ttl "...)
		b = appendUint(b, uint64(entry&0xff))
		b = append(b, ')')
		data, length = data[4:], length-4
		if entry&0x100 != 0 {
			break
		}
	}
	var first gopacket.LayerType
	switch entry >> 12 {
	case 0, 3: // IPv4 explicit and implicit null
		first = layers.LayerTypeIPv4
	case 2: // IPv6 explicit null
		first = layers.LayerTypeIPv6
	default:
		if length < 1 {
			return b
		}
		if len(data) < 1 {
			return appendTrunc(b, proto)
		}
		switch c := data[0]; {
		case c >= 0x45 && c <= 0x4f:
			first = layers.LayerTypeIPv4
		case c >= 0x60 && c <= 0x6f:
			first = layers.LayerTypeIPv6
		default:
			// OSI, or unknown: tcpdump prints IS-IS and CLNP, or a hex
			// dump under the line.
			return b
		}
	}
	b = append(b, ' ')
	out, _ := p.inner(b, first, data, length)
	return out
}

// vxlanPrint prints a VXLAN header (RFC 7348 section 5: flags, 24-bit VNI)
// and the Ethernet frame inside. tcpdump puts the inner frame on a line of
// its own; without -v the printer keeps one line per packet and puts a
// space there.
func vxlanPrint(p *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const proto = "vxlan"
	b = append(b, "VXLAN"...)
	if length < 8 {
		return append(b, " (invalid)"...), true
	}
	if len(data) < 1 {
		return appendTrunc(b, proto), true
	}
	b = append(b, ", flags ["...)
	if data[0]&0x08 != 0 {
		b = append(b, 'I')
	} else {
		b = append(b, "invalid"...)
	}
	b = append(b, "] (0x"...)
	b = appendHex(b, uint64(data[0]), 2)
	b = append(b, "), "...)
	if len(data) < 7 {
		return appendTrunc(b, proto), true
	}
	b = append(b, "vni "...)
	b = appendUint(b, uint64(data[4])<<16|uint64(data[5])<<8|uint64(data[6]))
	// tcpdump starts the inner frame's line here; the printer does so
	// with -v only, where a packet's text may span lines.
	if p.Verbose > 0 {
		b = append(b, '\n')
	} else {
		b = append(b, ' ')
	}
	if len(data) < 8 {
		return appendTrunc(b, proto), true
	}
	out, _ := p.inner(b, layers.LayerTypeEthernet, data[8:], length-8)
	return out, true
}

var geneveFlags = []bitName{{0x80, "O"}, {0x40, "C"}, {0x20, "R1"}, {0x10, "R2"}, {0x08, "R3"},
	{0x04, "R4"}, {0x02, "R5"}, {0x01, "R6"}}

// genevePrint prints a Geneve header (RFC 8926 section 3.4: version,
// options length in 4-byte words, flags, protocol type, 24-bit VNI) and
// the packet inside.
func genevePrint(p *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const proto = "geneve"
	b = append(b, "Geneve"...)
	if length < 8 {
		return appendInvalidLength(b, "length", length, 8), true
	}
	if len(data) < 8 {
		return appendTrunc(b, proto), true
	}
	if v := data[0] >> 6; v != 0 {
		b = append(b, " ERROR: unknown-version "...)
		return appendUint(b, uint64(v)), true
	}
	prot := be16(data[2:])
	b = append(b, ", Flags ["...)
	b = appendBits(b, geneveFlags, uint32(data[1]), "", "none")
	b = append(b, "], vni 0x"...)
	b = appendHex(b, uint64(be32(data[4:])>>8), 1)
	if data[7] != 0 {
		b = append(b, ", rsvd 0x"...)
		b = appendHex(b, uint64(data[7]), 1)
	}
	b = p.greProto(b, prot)
	optLen := int(data[0]&0x3f) * 4
	data, length = data[8:], length-8
	if length < optLen {
		b = append(b, " truncated-geneve - "...)
		b = appendInt(b, optLen-length)
		return append(b, " bytes missing"...), true
	}
	if len(data) < optLen {
		return appendTrunc(b, proto), true
	}
	if optLen > 0 {
		b = append(b, ", options ["...)
		b = appendInt(b, optLen)
		b = append(b, " bytes]"...)
	}
	data, length = data[optLen:], length-optLen
	b = append(b, ": "...)
	switch prot {
	case 0x0800:
		out, _ := p.inner(b, layers.LayerTypeIPv4, data, length)
		return out, true
	case 0x86dd:
		out, _ := p.inner(b, layers.LayerTypeIPv6, data, length)
		return out, true
	case 0x6558:
		out, _ := p.inner(b, layers.LayerTypeEthernet, data, length)
		return out, true
	case 0x8847, 0x8848:
		return p.mplsPrint(b, data, length), true
	case 0x0806, 0x8035, 0x88f7, 0x88cc, 0x9000, 0x886f:
		nd := p.nested()
		if nd == nil {
			return b, false
		}
		defer p.unnest()
		nd.Decode(layers.LayerTypeARP, data)
		return p.etherPayload(b, nd, prot, data, length, nil), true
	}
	if tcpdumpEtherTypes[prot] {
		return b, false // a protocol tcpdump prints here and this package does not
	}
	b = append(b, "geneve-proto-0x"...)
	return appendHex(b, uint64(prot), 1), true
}

// tcpdumpEtherTypes are the other ethertypes tcpdump's ethertype_print
// decodes (print-ether.c); for the rest Geneve prints "geneve-proto-0x...".
var tcpdumpEtherTypes = map[uint16]bool{0x0806: true, 0x8035: true, 0x6003: true, 0x809b: true, 0x80f3: true,
	0x8137: true, 0xfefe: true, 0x8863: true, 0x8864: true, 0x3c12: true, 0x3c13: true, 0x888e: true, 0x8899: true,
	0x880b: true, 0x8808: true, 0x8809: true, 0x8902: true, 0xabcd: true, 0x88cc: true, 0x894f: true, 0x9000: true,
	0x88ca: true, 0x886f: true, 0x0707: true, 0x8947: true, 0x1111: true, 0x88a2: true, 0x88f7: true}

// mplsUDPPrint prints MPLS in UDP (RFC 7510).
func mplsUDPPrint(p *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	return p.mplsPrint(b, data, length), true
}
