package tcpdump

import "github.com/gopacket/gopacket/layers"

// arp prints an ARP or RARP packet as tcpdump's arp_print does.
func (p *Printer) arp(b []byte, d *Decoder, data []byte, length int) []byte {
	if len(data) < 8 {
		return append(b, " [|arp]"...)
	}
	hrd, pro, op := be16(data[0:2]), be16(data[2:4]), be16(data[6:8])
	if hrd == 19 {
		// ATM ARP (RFC 2225) has its own layout.
		if len(data) < 12 {
			return append(b, " [|arp]"...)
		}
		tpa := 12 + int(data[4]&0x3f) + int(data[5]&0x3f) + int(data[8]) + int(data[9]&0x3f) + int(data[10]&0x3f)
		if len(data) < tpa+int(data[11]) {
			return append(b, " [|arp]"...)
		}
		if !p.LinkHeader {
			b = append(b, "ARP, "...)
		}
		b = append(b, "ATM, length "...)
		return appendInt(b, length)
	}
	hln, pln := int(data[4]), int(data[5])
	if len(data) < 8+2*hln+2*pln {
		return append(b, " [|arp]"...)
	}
	var sha, spa, tha, tpa []byte
	if d.Has(layers.LayerTypeARP) && sameStart(d.ARP.Contents, data) {
		a := &d.ARP
		sha, spa, tha, tpa = a.SourceHwAddress, a.SourceProtAddress, a.DstHwAddress, a.DstProtAddress
	} else {
		sha = data[8 : 8+hln]
		spa = data[8+hln : 8+hln+pln]
		tha = data[8+hln+pln : 8+2*hln+pln]
		tpa = data[8+2*hln+pln : 8+2*hln+2*pln]
	}
	if !p.LinkHeader {
		b = append(b, "ARP, "...)
	}
	ipv4 := (pro == 0x0800 || pro == 0x1000) && pln == 4
	if !ipv4 || hln == 0 || p.Verbose > 0 {
		b = append(b, arpHardwareName(hrd)...)
		if arpHardwareName(hrd) == "" {
			b = append(b, "Unknown Hardware ("...)
			b = appendUint(b, uint64(hrd))
			b = append(b, ')')
		}
		b = append(b, " (len "...)
		b = appendInt(b, hln)
		b = append(b, "), "...)
		if name := etherTypeName(pro); name != "Unknown" {
			b = append(b, name...)
		} else {
			b = append(b, "Unknown Protocol (0x"...)
			b = appendHex(b, uint64(pro), 4)
			b = append(b, ')')
		}
		b = append(b, " (len "...)
		b = appendInt(b, pln)
		b = append(b, ')')
		if p.Verbose == 0 {
			b = append(b, ", length "...)
			return appendInt(b, length)
		}
		b = append(b, ", "...)
	}
	// protoAddr prints a protocol address; with -v tcpdump goes on for
	// other protocols than IPv4, and says so.
	protoAddr := func(b []byte, a []byte) []byte {
		switch {
		case pro != 0x0800 && pro != 0x1000:
			return append(b, "<wrong proto type>"...)
		case pln != 4:
			return append(b, "<wrong len>"...)
		}
		return appendIPv4(b, a)
	}
	// The operation's name, then its addresses (tcpdump's arpop_values).
	b = appendTok(b, arpOps, op, "Unknown (", ")")
	b = append(b, ' ')
	switch op {
	case 1:
		b = append(b, "who-has "...)
		b = protoAddr(b, tpa)
		if !allZero(tha) {
			b = append(b, " ("...)
			b = arpHW(b, hrd, tha)
			b = append(b, ')')
		}
		b = append(b, " tell "...)
		b = protoAddr(b, spa)
	case 2:
		b = protoAddr(b, spa)
		b = append(b, " is-at "...)
		b = arpHW(b, hrd, sha)
	case 3, 8: // RARP (RFC 903) and InARP (RFC 2390) requests
		b = append(b, "who-is "...)
		b = arpHW(b, hrd, tha)
		b = append(b, " tell "...)
		b = arpHW(b, hrd, sha)
	case 4: // RARP reply
		b = arpHW(b, hrd, tha)
		b = append(b, " at "...)
		b = protoAddr(b, tpa)
	case 9: // InARP reply
		b = arpHW(b, hrd, sha)
		b = append(b, " at "...)
		b = protoAddr(b, spa)
	default: // NACK Reply (10) and unknown operations: no addresses, no length
		if p.Verbose > 0 {
			b = appendDump(b, data) // tcpdump's default printer
		}
		return b
	}
	b = append(b, ", length "...)
	return appendInt(b, length)
}

// arpOps are the names of ARP operations (RFC 826, RFC 903 for reverse,
// RFC 2390 for inverse ARP, RFC 1577 for the ATM NACK).
var arpOps = map[uint16]string{1: "Request", 2: "Reply", 3: "Reverse Request", 4: "Reverse Reply",
	8: "Inverse Request", 9: "Inverse Reply", 10: "NACK Reply"}

func arpHardwareName(h uint16) string {
	switch h {
	case 1:
		return "Ethernet"
	case 6:
		return "TokenRing"
	case 7:
		return "ArcNet"
	case 15:
		return "FrameRelay"
	case 19:
		return "ATM"
	case 23:
		return "Strip"
	case 24:
		return "IEEE 1394"
	case 32:
		return "InfiniBand"
	}
	return ""
}

// arpHW appends an ARP hardware address: a Frame Relay one as its Q.922
// DLCI (RFC 2390), others as a MAC address.
func arpHW(b []byte, hrd uint16, addr []byte) []byte {
	if hrd != 15 {
		return AppendMAC(b, addr)
	}
	_, dlci, _, ok, short := q922(addr, len(addr))
	switch {
	case short:
		return append(b, "<Truncated>"...)
	case !ok:
		return append(b, "<Invalid DLCI>"...)
	}
	b = append(b, "DLCI "...)
	return appendUint(b, uint64(dlci))
}

func allZero(p []byte) bool {
	for _, c := range p {
		if c != 0 {
			return false
		}
	}
	return true
}
