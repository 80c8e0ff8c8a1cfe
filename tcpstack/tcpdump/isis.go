package tcpdump

// IS-IS (ISO/IEC 10589) as tcpdump's isis_print prints it without -v: the
// PDU type and the brief fields of its fixed header.

var isisPDUTypes = map[uint8]string{15: "L1 Lan IIH", 16: "L2 Lan IIH", 17: "p2p IIH", 18: "L1 LSP",
	20: "L2 LSP", 24: "L1 CSNP", 25: "L2 CSNP", 26: "L1 PSNP", 27: "L2 PSNP"}

// nlpidNames are tcpdump's names of NLPIDs (ISO/IEC TR 9577).
var nlpidNames = map[uint8]string{0x00: "NULL", 0x08: "Q.933", 0x09: "LMI", 0x80: "SNAP", 0x81: "CLNP",
	0x82: "ES-IS", 0x83: "IS-IS", 0x84: "CONS", 0x85: "IDRP", 0xc1: "ISIS_SPB", 0xb1: "FRF.15", 0xcc: "IPv4",
	0xcf: "PPP", 0x8a: "X25 ES-IS", 0x8e: "IPv6"}

// isoclnsPrint prints an OSI network-layer PDU that starts with its NLPID
// (ISO/IEC TR 9577), as tcpdump's isoclns_print does, for the NLPIDs the
// printer knows (IS-IS); ok is false for the others. With -e the NLPID
// comes first.
func (p *Printer) isoclnsPrint(b []byte, data []byte, length int) (out []byte, ok bool) {
	if len(data) < 1 {
		return appendTrunc(b, "isoclns"), true
	}
	if p.LinkHeader {
		b = append(b, "OSI NLPID "...)
		b = append(b, tokStr(nlpidNames, data[0], "Unknown")...)
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(data[0]), 2)
		b = append(b, "): "...)
	}
	if data[0] != 0x83 {
		return b, false
	}
	return p.isisPrint(b, data, length), true
}

// isisPrint prints an IS-IS PDU (ISO/IEC 10589 section 9): the common
// header (section 9.5) checked as tcpdump checks it, then the PDU type
// and, by type, the source, LAN or LSP ID, priority, sequence number and
// lifetime.
func (p *Printer) isisPrint(b []byte, data []byte, length int) []byte {
	const common = 8
	if len(data) < common || length < common {
		return appendTrunc(b, "isis")
	}
	if !p.LinkHeader {
		b = append(b, "IS-IS"...)
	}
	fixedLen, version, idLen, typ, pduVersion, maxArea := int(data[1]), data[2], data[3], data[4], data[5], data[7]
	if version != 1 {
		b = append(b, "version "...)
		b = appendUint(b, uint64(version))
		return append(b, " packet not supported"...)
	}
	if idLen != 6 && idLen != 0 {
		b = append(b, "system ID length of "...)
		b = appendUint(b, uint64(idLen))
		return append(b, " is not supported"...)
	}
	if pduVersion != 1 {
		b = append(b, "version "...)
		b = appendUint(b, uint64(pduVersion))
		return append(b, " packet not supported"...)
	}
	if length < fixedLen {
		b = append(b, "fixed header length "...)
		b = appendInt(b, fixedLen)
		b = append(b, " > packet length "...)
		return appendInt(b, length)
	}
	if fixedLen < common {
		b = append(b, "fixed header length "...)
		b = appendInt(b, fixedLen)
		return append(b, " < minimum header size 8"...)
	}
	if maxArea == 255 {
		return append(b, "bad packet -- 255 areas"...)
	}
	if !p.LinkHeader {
		b = append(b, ", "...)
	}
	b = appendTok(b, isisPDUTypes, typ, "unknown PDU-Type ", "")
	var hdr int // the fixed header after the common one
	switch typ {
	case 15, 16:
		hdr = 19
	case 17:
		hdr = 12
	case 18, 20:
		hdr = 19
	case 24, 25:
		hdr = 25
	case 26, 27:
		hdr = 9
	default:
		b = append(b, ", length "...)
		return appendInt(b, length)
	}
	if fixedLen != common+hdr {
		if typ == 26 || typ == 27 {
			b = append(b, "- bogus fixed header length "...)
		} else {
			b = append(b, ", bogus fixed header length "...)
		}
		b = appendInt(b, fixedLen)
		b = append(b, " should be "...)
		if typ == 18 || typ == 20 {
			return appendInt(b, hdr) // sic: tcpdump leaves the common header out here
		}
		return appendInt(b, common+hdr)
	}
	if len(data) < common+hdr || length < common+hdr {
		return appendTrunc(b, "isis")
	}
	h := data[common:]
	switch typ {
	case 15, 16:
		b = append(b, ", src-id "...)
		b = appendISISID(b, h[1:7])
		b = append(b, ", lan-id "...)
		b = appendISISID(b, h[12:19])
		b = append(b, ", prio "...)
		b = appendUint(b, uint64(h[11]))
	case 17:
		b = append(b, ", src-id "...)
		b = appendISISID(b, h[1:7])
	case 18, 20:
		b = append(b, ", lsp-id "...)
		b = appendISISID(b, h[4:12])
		b = append(b, ", seq 0x"...)
		b = appendHex(b, uint64(be32(h[12:16])), 8)
		b = append(b, ", lifetime "...)
		life := appendUint(nil, uint64(be16(h[2:4])))
		for i := len(life); i < 5; i++ {
			b = append(b, ' ')
		}
		b = append(b, life...)
		b = append(b, 's')
	default: // CSNP, PSNP
		b = append(b, ", src-id "...)
		b = appendISISID(b, h[2:9])
	}
	b = append(b, ", length "...)
	return appendInt(b, length)
}

// appendISISID appends a system ID (6 bytes: "1111.2222.3333"), node ID
// (7: ".01" after it) or LSP ID (8: "-00" after that), as tcpdump's
// isis_print_id does.
func appendISISID(b []byte, id []byte) []byte {
	for i := 0; i < 6; i++ {
		b = appendHex(b, uint64(id[i]), 2)
		if i == 1 || i == 3 {
			b = append(b, '.')
		}
	}
	if len(id) >= 7 {
		b = append(b, '.')
		b = appendHex(b, uint64(id[6]), 2)
	}
	if len(id) == 8 {
		b = append(b, '-')
		b = appendHex(b, uint64(id[7]), 2)
	}
	return b
}
