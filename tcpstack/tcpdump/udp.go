package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// udpPrint prints a UDP datagram as tcpdump's udp_print does, without its
// application decoders: every datagram is "UDP, length N".
func (p *Printer) udpPrint(b []byte, d *Decoder, data []byte, length int, ip *ipHeader) []byte {
	if len(data) < 4 {
		if ip.direct {
			b = AppendAddr(b, ip.src)
			b = append(b, " > "...)
			b = AppendAddr(b, ip.dst)
			b = append(b, ": "...)
		}
		return append(b, " [|udp]"...)
	}
	udp := &d.UDP
	var sport, dport uint16
	decoded := (d.Has(layers.LayerTypeUDP) && sameStart(udp.Contents, data)) || (len(data) >= 8 && udp.DecodeFromBytes(data, gopacket.NilDecodeFeedback) == nil)
	if decoded {
		sport, dport = uint16(udp.SrcPort), uint16(udp.DstPort)
	} else {
		sport, dport = be16(data[0:2]), be16(data[2:4])
	}
	if length < 8 {
		b = appendEndpoints(b, ip, sport, dport)
		b = append(b, "truncated-udp "...)
		return appendInt(b, length)
	}
	if len(data) < 6 {
		b = appendEndpoints(b, ip, sport, dport)
		return append(b, " [|udp]"...)
	}
	ulen := int(be16(data[4:6]))
	if decoded {
		ulen = int(udp.Length)
	}
	if ulen == 0 && length > 65535 {
		ulen = length
	}
	if ulen < 8 {
		b = appendEndpoints(b, ip, sport, dport)
		b = append(b, "truncated-udplength "...)
		return appendInt(b, ulen)
	}
	ulen -= 8
	length -= 8
	if ulen < length {
		length = ulen
	}
	b = appendEndpoints(b, ip, sport, dport)
	if len(data) < 8 {
		return append(b, " [|udp]"...)
	}
	if p.Verbose > 0 && !ip.fragmented && (ip.v6 || p.Verbose > 1) {
		b = appendUDPCksum(b, ip, data, length+8)
	}
	if app := udpAppFor(sport, dport, data[8:]); app != nil {
		if out, ok := app(p, b, data[8:], length, sport, dport); ok {
			return out
		}
	}
	if ulen > length && !ip.fragmented {
		b = append(b, "UDP, bad length "...)
		b = appendInt(b, ulen)
		b = append(b, " > "...)
		return appendInt(b, length)
	}
	b = append(b, "UDP, length "...)
	return appendInt(b, ulen)
}
