package tcpdump

import "github.com/gopacket/gopacket/layers"

// PPP (RFC 1661) as tcpdump's print-ppp.c prints it: on DLT_PPP links and
// in PPTP's enhanced GRE. IP and IPv6 inside, and the control protocols'
// code, identifier and length (LCP, IPCP, IPV6CP, CCP, ...). ok is false
// for what the printer does not decode (HDLC escapes, multilink, CHAP,
// PAP, BAP, IPX, OSI, MPLS).

const linkTypePPP layers.LinkType = 9

var pppTypes = map[uint32]string{0x0021: "IP", 0x0023: "OSI", 0x0025: "NS", 0x0027: "DECNET", 0x0029: "APPLE",
	0x002b: "IPX", 0x002d: "VJC IP", 0x002f: "VJNC IP", 0x0031: "BRPDU", 0x0033: "STII", 0x0035: "VINES",
	0x0281: "MPLS", 0x0283: "MPLS", 0x00fd: "Compressed", 0x003d: "MLPPP", 0x0057: "IP6", 0x0201: "HELLO",
	0x0231: "LUXCOM", 0x0233: "SNS", 0x8021: "IPCP", 0x8023: "OSICP", 0x8025: "NSCP", 0x8027: "DECNETCP",
	0x8029: "APPLECP", 0x802b: "IPXCP", 0x8033: "STIICP", 0x8035: "VINESCP", 0x8057: "IP6CP", 0x8281: "MPLSCP",
	0xc021: "LCP", 0xc023: "PAP", 0xc025: "LQM", 0xc223: "CHAP", 0xc227: "EAP", 0xc027: "SPAP", 0xc123: "Old-SPAP",
	0xc02b: "BACP", 0xc02d: "BAP", 0xc03d: "MLPPP-CP", 0x80fd: "CCP"}

var pppCodes = map[uint32]string{0: "Vendor-Extension", 1: "Conf-Request", 2: "Conf-Ack", 3: "Conf-Nack",
	4: "Conf-Reject", 5: "Term-Request", 6: "Term-Ack", 7: "Code-Reject", 8: "Prot-Reject", 9: "Echo-Request",
	10: "Echo-Reply", 11: "Disc-Req", 12: "Ident", 13: "Time-Rem", 14: "Reset-Req", 15: "Reset-Ack"}

// pppPrint prints a PPP frame, data starting at the address and control
// fields if present (RFC 1662 section 3.1) or at the protocol field.
func (p *Printer) pppPrint(b []byte, data []byte, length int) ([]byte, bool) {
	const proto = "ppp"
	olen := length
	if length < 2 || len(data) < 2 {
		return appendTrunc(b, proto), true
	}
	switch be16(data) {
	case 0x0003, 0x0103: // pppd's in and out
		if p.LinkHeader {
			if data[0] == 0 {
				b = append(b, "In  "...)
			} else {
				b = append(b, "Out "...)
			}
		}
		data, length = data[2:], length-2
	case 0xff03:
		data, length = data[2:], length-2
	}
	if length < 2 || len(data) < 1 {
		return appendTrunc(b, proto), true
	}
	var prot uint32
	if data[0]%2 == 1 { // protocol field compression
		prot = uint32(data[0])
		data, length = data[1:], length-1
	} else {
		if len(data) < 2 {
			return appendTrunc(b, proto), true
		}
		prot = uint32(be16(data))
		data, length = data[2:], length-2
	}
	if prot&0xff00 == 0x7e00 {
		return b, false // an HDLC escape: tcpdump unescapes the frame
	}
	if p.LinkHeader {
		name, ok := pppTypes[prot]
		if !ok {
			name = "unknown"
		}
		b = append(b, name...)
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(prot), 4)
		b = append(b, "), length "...)
		b = appendInt(b, olen)
		if !ok {
			return b, true
		}
		b = append(b, ": "...)
	}
	switch prot {
	case 0xc021, 0x8021, 0x8023, 0x8281, 0x8057, 0x80fd, 0xc02b: // control protocols
		b = append(b, pppTypes[prot]...)
		b = append(b, ", "...)
		if length < 4 || len(data) < 2 {
			// handle_ctrl_proto's own marker: "[|LCP]".
			b = append(b, "[|"...)
			b = append(b, pppTypes[prot]...)
			return append(b, ']'), true
		}
		if name, ok := pppCodes[uint32(data[0])]; ok {
			b = append(b, name...)
		} else {
			b = append(b, "Unknown Opcode"...)
		}
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(data[0]), 2)
		b = append(b, "), id "...)
		b = appendUint(b, uint64(data[1]))
		b = append(b, ", length "...)
		return appendInt(b, length+2), true
	case 0x0800, 0x002f, 0x0021:
		if out, ok := p.inner(b, layers.LayerTypeIPv4, data, length); ok {
			return out, true
		}
	case 0x86dd, 0x0057:
		if out, ok := p.inner(b, layers.LayerTypeIPv6, data, length); ok {
			return out, true
		}
	case 0x00fd:
		return append(b, "compressed PPP data"...), true
	case 0x0281, 0x0283:
		return p.mplsPrint(b, data, length), true
	case 0x003d, 0xc223, 0xc023, 0xc02d, 0x8137, 0x002b, 0x0023:
		return b, false
	}
	// Other protocols: tcpdump names them and dumps the bytes in hex on
	// the following lines.
	if name, ok := pppTypes[prot]; ok {
		b = append(b, name...)
	} else {
		b = append(b, "unknown PPP protocol (0x"...)
		b = appendHex(b, uint64(prot), 4)
		b = append(b, ')')
	}
	return append(b, ' '), true
}
