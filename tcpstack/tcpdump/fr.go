package tcpdump

import "github.com/gopacket/gopacket/layers"

// linkTypeFrameRelay is DLT_FRELAY: frames that start with a Q.922 address.
const linkTypeFrameRelay layers.LinkType = 107

// bitName is one named bit (or group of bits) of a flags field.
type bitName struct {
	bits uint32
	name string
}

// appendBits appends the names of the bits set in v, separated by sep, or
// none when no bit is set (tcpdump's bittok2str).
func appendBits(b []byte, names []bitName, v uint32, sep, none string) []byte {
	n := 0
	for _, bn := range names {
		if bn.bits != 0 && v&bn.bits == bn.bits {
			if n > 0 {
				b = append(b, sep...)
			}
			b = append(b, bn.name...)
			n++
		}
	}
	if n == 0 {
		b = append(b, none...)
	}
	return b
}

// frNLPIDs names the NLPIDs the printer decodes (RFC 2427 section 3.1).
var frNLPIDs = map[uint16]string{0xcc: "IPv4", 0x8e: "IPv6"}

var frFlags = []bitName{{0x02000000, "C!"}, {0x00020000, "DE"}, {0x00040000, "BECN"}, {0x00080000, "FECN"}, {0x00000002, "sdlcore"}}

// q922 parses a Q.922 address (ITU-T Q.922 section 3.3, RFC 2427 section
// 2): its length (2 to 4 bytes), DLCI and flags as tcpdump packs them. ok
// is false for an invalid address, short when it is cut.
func q922(p []byte, length int) (addrLen int, dlci, flags uint32, ok, short bool) {
	if len(p) < 1 || length < 1 {
		return 0, 0, 0, false, true
	}
	if p[0]&1 != 0 {
		return 0, 0, 0, false, false
	}
	if len(p) < 2 || length < 2 {
		return 0, 0, 0, false, true
	}
	addrLen = 2
	dlci = uint32(p[0]&0xfc)<<2 | uint32(p[1]&0xf0)>>4
	flags = uint32(p[0]&0x02)<<24 | uint32(p[1]&0x0e)<<16
	if p[1]&1 != 0 {
		return addrLen, dlci, flags, true, false
	}
	q, n := p[2:], length-2
	if len(q) < 1 || n < 1 {
		return 0, 0, 0, false, true
	}
	addrLen++
	if q[0]&1 == 0 {
		dlci = dlci<<7 | uint32(q[0]>>1)
		addrLen++
		q, n = q[1:], n-1
	}
	if len(q) < 1 || n < 1 {
		return 0, 0, 0, false, true
	}
	if q[0]&1 == 0 {
		return 0, 0, 0, false, false
	}
	flags |= uint32(q[0] & 0x02)
	dlci = dlci<<6 | uint32(q[0]>>2)
	return addrLen, dlci, flags, true, false
}

// frPrint prints a Frame Relay frame as tcpdump's fr_print does, for the
// encapsulations of IP (RFC 2427 section 4: UI control, optional pad,
// NLPID 0xcc or 0x8e) and Cisco's (an ethertype after the address). ok is
// false for the encapsulations it does not decode.
func (p *Printer) frPrint(b []byte, data []byte, length int) ([]byte, bool) {
	const proto = "fr"
	if len(data) < 4 {
		return appendTrunc(b, proto), true
	}
	addrLen, dlci, flags, ok, short := q922(data, length)
	if short {
		return appendTrunc(b, proto), true
	}
	if !ok {
		return append(b, "Q.922, invalid address"...), true
	}
	if len(data) < addrLen+1 || length < addrLen+1 {
		return appendTrunc(b, proto), true
	}
	hdr := func(b []byte, hdrLen int, nlpid uint16, length int) []byte {
		if !p.LinkHeader {
			return b
		}
		b = append(b, "Q.922, hdr-len "...)
		b = appendInt(b, hdrLen)
		b = append(b, ", DLCI "...)
		b = appendUint(b, uint64(dlci))
		b = append(b, ", Flags ["...)
		b = appendBits(b, frFlags, flags, ", ", "none")
		if nlpid <= 0xff {
			b = append(b, "], NLPID "...)
			b = append(b, frNLPIDs[nlpid]...)
			b = append(b, " (0x"...)
			b = appendHex(b, uint64(nlpid), 2)
		} else {
			b = append(b, "], cisco-ethertype "...)
			b = append(b, etherTypeName(nlpid)...)
			b = append(b, " (0x"...)
			b = appendHex(b, uint64(nlpid), 4)
		}
		b = append(b, "), length "...)
		b = appendInt(b, length)
		return append(b, ": "...)
	}
	d := p.decoder(0)
	if data[addrLen] != 0x03 && dlci != 0 {
		if len(data) < addrLen+2 || length < addrLen+2 {
			return nil, false
		}
		typ := be16(data[addrLen:])
		switch typ {
		case 0x0800, 0x86dd, 0x0806:
		default:
			return nil, false
		}
		b = hdr(b, addrLen, typ, length)
		rest := data[addrLen+2:]
		return p.etherPayload(b, p.decodeAs(d, typ, rest), typ, rest, length-addrLen-2, nil), true
	}
	if len(data) < addrLen+2 || length < addrLen+2 {
		return appendTrunc(b, proto), true
	}
	hdrLen := addrLen + 2
	if data[addrLen+1] == 0 {
		if addrLen != 3 {
			b = append(b, "Pad! "...)
		}
		hdrLen++
	} else if addrLen == 3 {
		b = append(b, "No pad! "...)
	}
	if len(data) < hdrLen || length < hdrLen {
		return appendTrunc(b, proto), true
	}
	nlpid := data[hdrLen-1]
	var typ uint16
	switch nlpid {
	case 0xcc:
		typ = 0x0800
	case 0x8e:
		typ = 0x86dd
	default:
		return nil, false
	}
	b = hdr(b, addrLen, uint16(nlpid), length)
	rest := data[hdrLen:]
	return p.etherPayload(b, p.decodeAs(d, typ, rest), typ, rest, length-hdrLen, nil), true
}

// decodeAs decodes with d the payload of ethertype typ (IPv4, IPv6, ARP)
// and returns d.
func (p *Printer) decodeAs(d *Decoder, typ uint16, data []byte) *Decoder {
	switch typ {
	case 0x0800:
		d.Decode(layers.LayerTypeIPv4, data)
	case 0x86dd:
		d.Decode(layers.LayerTypeIPv6, data)
	case 0x0806, 0x8035:
		d.Decode(layers.LayerTypeARP, data)
	default:
		d.Decoded = d.Decoded[:0]
	}
	return d
}
