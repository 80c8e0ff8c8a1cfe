package tcpdump

import "github.com/gopacket/gopacket/layers"

// Juniper's capture header in front of an Ethernet frame (link type
// JUNIPER_ETHER), as print-juniper.c prints it: the magic "MGC", flags
// (direction, no layer 2 header, extensions), optional extension TLVs.

const linkTypeJuniperEther layers.LinkType = 178

// juniperHeader parses a Juniper capture header: its length, and whether
// the frame has no layer 2 header (an IP packet follows 4 more bytes).
// msg is what tcpdump prints instead of the packet when the header is
// bad: "no magic-number found!" or a truncation marker; a TLV longer than
// the extensions left (ext < need) is invalid.
func juniperHeader(data []byte) (n int, noL2 bool, msg string, ext, need int) {
	const trunc = " [|juniper_ether]"
	if len(data) < 4 {
		return 0, false, trunc, 0, 0
	}
	if uint32(data[0])<<16|uint32(data[1])<<8|uint32(data[2]) != 0x4d4743 {
		return 0, false, "no magic-number found!", 0, 0
	}
	flags := data[3]
	n = 4
	if flags&0x80 != 0 { // extensions: a 2-byte length, then TLVs
		if len(data) < 6 {
			return 0, false, trunc, 0, 0
		}
		ext = int(be16(data[4:]))
		n = 6 + ext
		if len(data) < n {
			return 0, false, trunc, 0, 0
		}
		for t := data[6:n]; ext > 2; {
			typ, l := int(t[0]), int(t[1])
			if typ == 0 || l == 0 {
				break
			}
			if ext < l+2 {
				return 0, false, "", ext, l + 2
			}
			t, ext = t[min(l+2, len(t)):], ext-l-2
		}
	}
	return n, flags&0x02 != 0, "", 0, 0
}

// juniperEtherPrint prints a JUNIPER_ETHER frame: with -e the direction,
// then the Ethernet frame, or, without a layer 2 header, the IP packet.
func (p *Printer) juniperEtherPrint(b []byte, data []byte, length int) []byte {
	if len(data) >= 4 && p.LinkHeader && be32(data)>>8 == 0x4d4743 {
		if data[3]&1 != 0 {
			b = append(b, " In "...)
		} else {
			b = append(b, "Out "...)
		}
	}
	n, noL2, msg, ext, need := juniperHeader(data)
	if msg != "" {
		return append(b, msg...)
	}
	if need > 0 {
		b = append(b, " [extension_length "...)
		b = appendInt(b, ext)
		b = append(b, " < "...)
		b = appendInt(b, need)
		return append(b, "] (invalid)"...)
	}
	if noL2 {
		if p.LinkHeader {
			b = append(b, "no-L2-hdr, "...)
		}
		if len(data) < n+5 {
			return append(b, " [|juniper_ether]"...)
		}
		data, length = data[n+4:], length-n-4
		switch c := data[0]; {
		case c >= 0x45 && c <= 0x4f:
			out, _ := p.inner(b, layers.LayerTypeIPv4, data, length)
			return out
		case c >= 0x60 && c <= 0x6f:
			out, _ := p.inner(b, layers.LayerTypeIPv6, data, length)
			return out
		}
		return append(b, "no IP-hdr found!"...)
	}
	if p.LinkHeader {
		b = append(b, "hlen "...)
		b = appendInt(b, n)
		b = append(b, ", proto 0x0000, "...)
	}
	out, _ := p.inner(b, layers.LayerTypeEthernet, data[n:], length-n)
	return out
}

// juniperHeaderLen is the link-level header tcpdump -x leaves out of a
// JUNIPER_ETHER frame: Juniper's header and the Ethernet header.
func juniperHeaderLen(data []byte) int {
	n, noL2, msg, _, need := juniperHeader(data)
	switch {
	case msg != "" || need > 0:
		return 0
	case noL2:
		return min(n+4, len(data))
	}
	return n + LinkHeaderLen(layers.LinkTypeEthernet, data[n:])
}
