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
	return p.handlePPP(b, prot, data, length, proto)
}

// handlePPP prints what a PPP frame of protocol prot carries (tcpdump's
// handle_ppp); ok is false for what the printer does not decode. proto
// names the truncation marker.
func (p *Printer) handlePPP(b []byte, prot uint32, data []byte, length int, proto string) ([]byte, bool) {
	if prot&0xff00 == 0x7e00 {
		// An HDLC escape: the frame still holds its escapes, from the
		// low byte of the protocol on (RFC 1662 section 4.2).
		return p.pppUnescape(b, byte(prot), data, length, proto), true
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
		b = append(b, tokStr(pppCodes, uint32(data[0]), "Unknown Opcode")...)
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
	b = appendPPPType(b, prot)
	return append(b, ' '), true
}

var (
	pppoeCodes = map[uint32]string{0x09: "PADI", 0x07: "PADO", 0x19: "PADR", 0x65: "PADS", 0xa7: "PADT", 0: ""}
	pppoeTags  = map[uint32]string{0: "EOL", 0x0101: "Service-Name", 0x0102: "AC-Name", 0x0103: "Host-Uniq",
		0x0104: "AC-Cookie", 0x0105: "Vendor-Specific", 0x0110: "Relay-Session-ID", 0x0120: "PPP-Max-Payload",
		0x0201: "Service-Name-Error", 0x0202: "AC-System-Error", 0x0203: "Generic-Error"}
)

// pppoePrint prints a PPPoE packet (RFC 2516 section 4: version and type,
// code, session id, length): a discovery packet's code and tags, or a
// session packet's PPP frame, as print-pppoe.c does.
func (p *Printer) pppoePrint(b []byte, data []byte, length int) []byte {
	const proto = "pppoe"
	if length < 6 {
		b = append(b, " (length "...)
		b = appendInt(b, length)
		return append(b, " < 6) (invalid)"...)
	}
	length -= 6
	if len(data) < 6 {
		return appendTrunc(b, proto)
	}
	if v := data[0] >> 4; v != 1 {
		b = append(b, " [ver "...)
		b = appendUint(b, uint64(v))
		b = append(b, ']')
	}
	if t := data[0] & 0x0f; t != 1 {
		b = append(b, " [type "...)
		b = appendUint(b, uint64(t))
		b = append(b, ']')
	}
	code, session, plen := uint32(data[1]), be16(data[2:]), int(be16(data[4:]))
	b = append(b, "PPPoE "...)
	b = appendTokHex(b, pppoeCodes, code, "PAD-", 1, "")
	if code == 0x09 && plen > 1484-6 {
		b = append(b, " [len "...)
		b = appendInt(b, plen)
		b = append(b, "!]"...)
	}
	if plen > length {
		b = append(b, " [len "...)
		b = appendInt(b, plen)
		b = append(b, " > "...)
		b = appendInt(b, length)
		b = append(b, "!]"...)
		plen = length
	}
	if session != 0 {
		b = append(b, " [ses 0x"...)
		b = appendHex(b, uint64(session), 1)
		b = append(b, ']')
	}
	data = data[6:]
	if code == 0 {
		// Session data: a PPP frame (RFC 2516 section 6).
		b = append(b, ' ')
		out, _ := p.pppPrint(b, data, plen)
		return out
	}
	// Discovery tags (RFC 2516 appendix A): type, length, value.
	tag := uint32(0xffff)
	for off := 0; tag != 0 && off < plen; {
		if len(data) < off+4 {
			return appendTrunc(b, proto)
		}
		tag = uint32(be16(data[off:]))
		n := int(be16(data[off+2:]))
		off += 4
		if n > 0 && len(data) < off+n {
			return appendTrunc(b, proto)
		}
		b = append(b, " ["...)
		b = appendTokHex(b, pppoeTags, tag, "TAG-0x", 1, "")
		if n > 0 {
			v := data[off : off+n]
			shown := v[:min(len(v), 79)] // tcpdump's MAXTAGPRINT
			ascii := 0
			for _, c := range shown {
				if isPrint(c) {
					ascii++
				}
			}
			if ascii > len(shown)-ascii {
				b = append(b, " \""...)
				for _, c := range shown {
					if !isPrint(c) {
						c = '.'
					}
					b = append(b, c)
				}
				b = append(b, '"')
			} else {
				b = append(b, " 0x"...)
				for _, c := range v {
					b = append(b, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
				}
			}
		}
		b = append(b, ']')
		off += n
	}
	return b
}

// pppUnescape prints a PPP frame that still holds its HDLC control escapes
// (RFC 1662 section 4.2: 0x7d, then the byte XOR 0x20) from first, the
// byte before data, on, as tcpdump's ppp_hdlc does: it removes the escapes
// from the captured bytes and guesses the frame's start (a one-byte IP or
// IPv6 protocol, address and control, or a protocol).
func (p *Printer) pppUnescape(b []byte, first byte, data []byte, length int, proto string) []byte {
	if length == 0 {
		return b
	}
	u := make([]byte, 0, len(data)+1)
	esc := append([]byte{first}, data...)
	for i := 0; i < len(esc); i++ {
		c := esc[i]
		if c == 0x7d {
			if i+1 >= len(esc) {
				break
			}
			i++
			c = esc[i] ^ 0x20
		}
		u = append(u, c)
	}
	if len(u) < 1 {
		return appendTrunc(b, proto)
	}
	switch u[0] {
	case 0x21:
		out, _ := p.inner(b, layers.LayerTypeIPv4, u[1:], len(u)-1)
		return out
	case 0x57:
		out, _ := p.inner(b, layers.LayerTypeIPv6, u[1:], len(u)-1)
		return out
	}
	if len(u) < 2 {
		return appendTrunc(b, proto)
	}
	prot, rest := uint32(be16(u)), u[2:]
	if prot == 0xff03 {
		if len(u) < 4 {
			return appendTrunc(b, proto)
		}
		prot, rest = uint32(be16(u[2:])), u[4:]
	}
	if prot&0xff00 == 0x7e00 {
		b = append(b, "(protocol 0x"...)
		b = appendHex(b, uint64(prot), 4)
		return append(b, " invalid)"...)
	}
	out, _ := p.handlePPP(b, prot, rest, len(rest), proto)
	return out
}

// Link types of PPP in HDLC-like framing and of Cisco HDLC.
const (
	linkTypePPPSerial layers.LinkType = 50
	linkTypeCHDLC     layers.LinkType = 104
)

// pppHDLCPrint prints a frame of link type PPP_SERIAL (RFC 1662 framing:
// address 0xff, control 0x03, protocol), or a Cisco HDLC frame that such a
// link also carries, as tcpdump's ppp_hdlc_if_print does.
func (p *Printer) pppHDLCPrint(b []byte, data []byte, length int) []byte {
	const proto = "ppp_hdlc"
	if len(data) < 2 {
		return appendTrunc(b, proto)
	}
	switch data[0] {
	case 0x0f, 0x8f:
		return p.chdlcPrint(b, data, length)
	}
	if len(data) < 4 {
		return appendTrunc(b, proto)
	}
	if p.LinkHeader {
		b = appendHex(b, uint64(data[0]), 2)
		b = append(b, ' ')
		b = appendHex(b, uint64(data[1]), 2)
		b = append(b, ' ')
		b = appendInt(b, length)
		b = append(b, ' ')
	}
	if data[0] != 0xff {
		b = append(b, "unknown addr "...)
		b = appendHex(b, uint64(data[2]), 2)
		b = append(b, "; ctrl "...)
		return appendHex(b, uint64(data[3]), 2)
	}
	prot := uint32(be16(data[2:]))
	b = appendPPPType(b, prot)
	b = append(b, ": "...)
	out, _ := p.handlePPP(b, prot, data[4:], length-4, proto)
	return out
}

// chdlcCasts names Cisco HDLC's address byte.
var chdlcCasts = map[uint8]string{0x0f: "unicast", 0x8f: "bcast"}

// chdlcPrint prints a Cisco HDLC frame (address 0x0f unicast or 0x8f
// broadcast, control, an ethertype) as print-chdlc.c does: IP, IPv6, SLARP
// and MPLS inside.
func (p *Printer) chdlcPrint(b []byte, data []byte, length int) []byte {
	const proto = "chdlc"
	if length < 4 || len(data) < 4 {
		return appendTrunc(b, proto)
	}
	typ := be16(data[2:])
	if p.LinkHeader {
		b = appendTokHex(b, chdlcCasts, data[0], "0x", 2, "")
		b = append(b, ", "...)
		b = appendEtherType(b, typ)
		b = append(b, ", length "...)
		b = appendInt(b, length)
		b = append(b, ": "...)
	}
	data, length = data[4:], length-4
	switch typ {
	case 0x0800:
		out, _ := p.inner(b, layers.LayerTypeIPv4, data, length)
		return out
	case 0x86dd:
		out, _ := p.inner(b, layers.LayerTypeIPv6, data, length)
		return out
	case 0x8035:
		return slarpPrint(b, data, length)
	case 0x8847, 0x8848:
		return p.mplsPrint(b, data, length)
	case 0xfefe: // OSI, maybe after a padding byte
		if length < 2 {
			return appendTrunc(b, "chdlc")
		}
		if len(data) >= 2 && (data[1] == 0x81 || data[1] == 0x82 || data[1] == 0x83) {
			data, length = data[1:], length-1
		}
		if out, ok := p.isoclnsPrint(b, data, length); ok {
			return out
		}
	}
	if !p.LinkHeader {
		b = append(b, "unknown CHDLC protocol (0x"...)
		b = appendHex(b, uint64(typ), 4)
		b = append(b, ')')
	}
	return b
}

// slarpPrint prints a Cisco SLARP message: a request, a reply with an
// address and mask, or a keepalive with its sequence numbers and the
// optional uptime in milliseconds.
func slarpPrint(b []byte, data []byte, length int) []byte {
	const proto = "chdlc_slarp"
	b = append(b, "SLARP (length: "...)
	b = appendInt(b, length)
	b = append(b, "), "...)
	if length < 14 || len(data) < 14 {
		return appendTrunc(b, proto)
	}
	switch code := be32(data); code {
	case 0:
		b = append(b, "request"...)
	case 1:
		b = append(b, "reply "...)
		b = AppendAddr(b, data[4:8])
		b = append(b, '/')
		b = AppendAddr(b, data[8:12])
	case 2:
		b = append(b, "keepalive: mineseen=0x"...)
		b = appendHex(b, uint64(be32(data[4:])), 8)
		b = append(b, ", yourseen=0x"...)
		b = appendHex(b, uint64(be32(data[8:])), 8)
		b = append(b, ", reliability=0x"...)
		b = appendHex(b, uint64(be16(data[12:])), 4)
		if length >= 18 {
			if len(data) < 18 {
				return appendTrunc(b, proto)
			}
			sec := be32(data[14:]) / 1000
			mins := sec / 60
			sec -= mins * 60
			hrs := mins / 60
			mins -= hrs * 60
			days := hrs / 24
			hrs -= days * 24
			b = append(b, ", link uptime="...)
			b = appendUint(b, uint64(days))
			b = append(b, 'd')
			b = appendUint(b, uint64(hrs))
			b = append(b, 'h')
			b = appendUint(b, uint64(mins))
			b = append(b, 'm')
			b = appendUint(b, uint64(sec))
			b = append(b, 's')
		}
	default:
		b = append(b, "0x"...)
		b = appendHex(b, uint64(code), 2)
		b = append(b, " unknown"...)
	}
	return b
}

// appendPPPType appends tcpdump's name of a PPP protocol (ppptype2str) or
// "unknown PPP protocol (0x1234)".
func appendPPPType(b []byte, prot uint32) []byte {
	return appendTokHex(b, pppTypes, prot, "unknown PPP protocol (0x", 4, ")")
}
