package tcpdump

import (
	"strconv"

	"github.com/gopacket/gopacket/layers"
)

// IEEE 802.2 LLC frames and what they carry, as print-llc.c, print-stp.c,
// print-udld.c and print-dtp.c print them without -e: spanning tree BPDUs
// (SAP 0x42, or Cisco's PVST+ in SNAP) and Cisco's SNAP protocols UDLD and
// DTP. Other LLC frames get gopacket's summary.

// llc prints an LLC frame; data is its captured bytes, length its length
// (bounded by the 802.3 length field); src and dst are the MAC addresses
// of the frame, or nil.
func (p *Printer) llc(b []byte, data []byte, length int, src, dst []byte) []byte {
	if len(data) < 3 || length < 3 {
		return p.other(b, layers.LayerTypeLLC, data, length)
	}
	dsapField, ssapField := data[0], data[1]
	dsap, ssap := dsapField&^1, ssapField&^1
	control := uint16(data[2])
	hdrLen := 3
	isU := control&3 == 3
	if !isU {
		if len(data) < 4 || length < 4 {
			return appendTrunc(b, "llc")
		}
		control, hdrLen = uint16(data[2])|uint16(data[3])<<8, 4
	}
	if dsapField == 0xff && ssapField == 0xff { // Novell's raw 802.3: IPX
		if p.LinkHeader {
			b = append(b, "IPX 802.3: "...)
		}
		return p.ipxPrint(b, data)
	}
	if p.LinkHeader {
		// IEEE 802.2 section 3.3: the I/G bit of the DSAP, the C/R bit
		// of the SSAP, and the control field (one byte for U frames).
		b = append(b, "LLC, dsap "...)
		b = append(b, tokStr(llcSAPs, dsap, "Unknown")...)
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(dsap), 2)
		b = append(b, [2]string{") Individual", ") Group"}[dsapField&1]...)
		b = append(b, ", ssap "...)
		b = append(b, tokStr(llcSAPs, ssap, "Unknown")...)
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(ssap), 2)
		b = append(b, [2]string{") Command", ") Response"}[ssapField&1]...)
		b = append(b, ", ctrl 0x"...)
		b = appendHex(b, uint64(control), 2*hdrLen-4)
		b = append(b, ": "...)
	}
	rest, n := data[hdrLen:], length-hdrLen
	if control == 0x03 { // UI
		switch {
		case dsap == 0xaa && ssap == 0xaa: // SNAP (RFC 1042)
			if out, ok := p.snap(b, rest, n, src, dst); ok || p.LinkHeader {
				return out
			}
			return p.other(b, layers.LayerTypeLLC, data, length)
		case dsap == 0x42 && ssap == 0x42: // IEEE 802.1D spanning tree
			return stpPrint(b, rest, n, p.Verbose)
		case dsap == 0x06 && ssap == 0x06: // IP
			d := p.decodeAs(p.decoder(p.depth), 0x0800, rest)
			return p.ip4(b, d, rest, n)
		case dsap == 0xfe && ssap == 0xfe: // OSI
			if out, ok := p.isoclnsPrint(b, rest, n); ok || p.LinkHeader {
				return out
			}
			return p.other(b, layers.LayerTypeLLC, data, length)
		case dsap == 0xe0 && ssap == 0xe0: // IPX
			if p.LinkHeader {
				b = append(b, "IPX 802.2: "...)
			}
			return p.ipxPrint(b, rest)
		}
	}
	// Other LLC frames: the saps and the frame's kind (IEEE 802.2
	// section 5.4), as llc_print does.
	sapName := func(b []byte, sap uint8, unknown string) []byte {
		return appendTokHex(b, llcSAPs, sap, unknown, 2, "")
	}
	flagName := func(b []byte, v uint16) []byte {
		switch v {
		case 0:
			return append(b, "Command"...)
		case 1:
			return append(b, "Response"...)
		case 0x10, 0x100:
			return append(b, "Poll"...)
		case 0x11, 0x101:
			return append(b, "Final"...)
		}
		return append(b, '?')
	}
	switch {
	case p.LinkHeader: // the saps are in the LLC header above
	case src != nil && dst != nil:
		b = AppendMAC(b, src)
		b = append(b, ' ')
		if ssap != dsap {
			b = sapName(b, ssap, "Unknown SSAP 0x")
			b = append(b, ' ')
		}
		b = append(b, "> "...)
		b = AppendMAC(b, dst)
		b = append(b, ' ')
		b = sapName(b, dsap, "Unknown DSAP 0x")
		b = append(b, ' ')
	default:
		if ssap != dsap {
			b = sapName(b, ssap, "Unknown SSAP 0x")
			b = append(b, " > "...)
		}
		b = sapName(b, dsap, "Unknown DSAP 0x")
		b = append(b, ' ')
	}
	if isU {
		b = append(b, "Unnumbered, "...)
		cmd := control & 0xef
		b = appendTokHex(b, llcCommands, cmd, "", 2, "")
		b = append(b, ", Flags ["...)
		b = flagName(b, uint16(ssapField&1)|control&0x10)
		b = append(b, "], length "...)
		b = appendInt(b, length)
		if control&^0x10 == 0xaf && n > 0 { // XID
			if len(rest) < 1 {
				return appendTrunc(b, "llc")
			}
			if rest[0] == 0x81 {
				if len(rest) < 3 || n < 3 {
					return appendTrunc(b, "llc")
				}
				b = append(b, ": "...)
				b = appendHex(b, uint64(rest[1]), 2)
				b = append(b, ' ')
				b = appendHex(b, uint64(rest[2]), 2)
			}
		}
		return b
	}
	if control&1 == 1 {
		b = append(b, "Supervisory, "...)
		b = append(b, [...]string{"Receiver Ready", "Receiver not Ready", "Reject", "?"}[control>>2&3]...)
	} else {
		b = append(b, "Information, send seq "...)
		b = appendUint(b, uint64(control>>1&0x7f))
	}
	// Supervisory and information frames both carry the receive sequence
	// number and the poll/final bit.
	b = append(b, ", rcv seq "...)
	b = appendUint(b, uint64(control>>9&0x7f))
	b = append(b, ", Flags ["...)
	b = flagName(b, uint16(ssapField&1)|control&0x100)
	b = append(b, "], length "...)
	return appendInt(b, length)
}

var (
	llcSAPs = map[uint8]string{0x00: "Null", 0xff: "Global", 0x02: "802.1B I", 0x03: "802.1B G", 0x06: "IP",
		0x04: "SNA", 0x0e: "ProWay NM", 0x42: "STP", 0x4e: "RS511", 0x7e: "ISO8208", 0x8e: "ProWay",
		0xaa: "SNAP", 0xe0: "IPX", 0xf0: "NetBeui", 0xfe: "OSI"}
	llcCommands = map[uint16]string{0x03: "ui", 0xe3: "test", 0xaf: "xid", 0x63: "ua", 0x43: "disc", 0x0f: "dm",
		0x6f: "sabme", 0x87: "frmr"}
)

// snap prints a SNAP header (RFC 1042) and what follows as tcpdump's
// snap_print does: the Cisco protocols the printer knows, and tcpdump's
// line for a protocol it does not decode (without the hex dump it prints
// under it). ok is false for the ones tcpdump decodes and the printer does
// not (Ethernet types other than IP and ARP, bridged frames).
func (p *Printer) snap(b []byte, data []byte, length int, src, dst []byte) ([]byte, bool) {
	if len(data) < 5 || length < 5 {
		return appendTrunc(b, "snap"), true
	}
	oui := uint32(data[0])<<16 | uint32(data[1])<<8 | uint32(data[2])
	pid := be16(data[3:])
	data, length = data[5:], length-5
	if p.LinkHeader {
		b = append(b, "oui "...)
		b = append(b, tokStr(ouiNames, oui, "Unknown")...)
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(oui), 6)
		b = append(b, "), "...)
		if oui == 0 {
			b = append(b, "ethertype "...)
			b = append(b, etherTypeName(pid)...)
		} else {
			b = append(b, "pid "...)
			switch oui {
			case 0x00000c:
				b = append(b, tokStr(snapCiscoPIDs, pid, "Unknown")...)
			case 0x0080c2:
				b = append(b, tokStr(snapBridgedPIDs, pid, "Unknown")...)
			default:
				b = append(b, "Unknown"...)
			}
		}
		b = append(b, " (0x"...)
		b = appendHex(b, uint64(pid), 4)
		b = append(b, "), length "...)
		b = appendUint(b, uint64(uint32(length)))
		b = append(b, ": "...)
	}
	var pidName string
	switch oui {
	case 0x000000, 0x0000f8, 0x080007: // Ethernet types
		switch pid {
		case 0x0800, 0x86dd, 0x0806:
			d := p.decodeAs(p.decoder(p.depth), pid, data)
			return p.etherPayload(b, d, pid, data, length, nil), true
		}
		return b, false
	case 0x0080c2: // bridged (RFC 2684)
		switch pid {
		case 0x0001, 0x0007, 0x0003, 0x0009, 0x0004, 0x000a, 0x000e:
			return b, false
		}
		pidName = snapBridgedPIDs[pid]
	case 0x00000c:
		switch pid {
		case 0x010b, 0x010c: // PVST+, VLAN bridge
			return stpPrint(b, data, length, p.Verbose), true
		case 0x0111:
			return udldPrint(b, data, length, p.Verbose), true
		case 0x2004:
			return dtpPrint(b, data, length, p.Verbose), true
		case 0x2000:
			return cdpPrint(b, data, length), true
		case 0x2003: // VTP
			return b, false
		}
		pidName = snapCiscoPIDs[pid]
	}
	if p.LinkHeader {
		return b, false // the header is printed; tcpdump dumps the rest
	}
	if src != nil && dst != nil {
		b = AppendMAC(b, src)
		b = append(b, " > "...)
		b = AppendMAC(b, dst)
		b = append(b, ' ')
	}
	b = append(b, "SNAP, oui "...)
	b = append(b, tokStr(ouiNames, oui, "Unknown")...)
	b = append(b, " (0x"...)
	b = appendHex(b, uint64(oui), 6)
	b = append(b, "), pid "...)
	if pidName == "" {
		pidName = "Unknown"
	}
	b = append(b, pidName...)
	b = append(b, " (0x"...)
	b = appendHex(b, uint64(pid), 4)
	b = append(b, "), length "...)
	b = appendUint(b, uint64(uint32(length)))
	return append(b, ": "...), true
}

// ouiNames are tcpdump's names of organisations (oui.c).
var ouiNames = map[uint32]string{0x000000: "Ethernet", 0x00000c: "Cisco", 0x00005e: "IANA", 0x000081: "Nortel Networks SONMP",
	0x0000f8: "Cisco bridged", 0x0080c2: "Ethernet bridged", 0x00a03e: "ATM Forum", 0x00e02f: "DOCSIS Spanning Tree",
	0x080007: "Appletalk", 0x009069: "Juniper", 0x080009: "Hewlett-Packard", 0x00120f: "IEEE 802.3 Private",
	0x0012bb: "ANSI/TIA", 0x001b21: "DCBX", 0x002320: "Nicira Networks", 0x5c16c7: "Big Switch Networks",
	0xb0d2f5: "Vello Systems", 0x002481: "HP", 0x0004ea: "HP-Labs",
	0x748771: "Infoblox Inc", 0xa42305: "Open Networking Lab", 0x00049f: "Freescale", 0x0015ad: "Netronome",
	0x001018: "Broadcom", 0x00e004: "PMC-Sierra", 0xd0f0db: "Ericsson"}

var (
	snapCiscoPIDs   = map[uint16]string{0x2000: "CDP", 0x2003: "VTP", 0x2004: "DTP", 0x0111: "UDLD", 0x010b: "PVST", 0x010c: "VLAN Bridge"}
	snapBridgedPIDs = map[uint16]string{0x0001: "Ethernet + FCS", 0x0007: "Ethernet w/o FCS", 0x0002: "802.4 + FCS",
		0x0008: "802.4 w/o FCS", 0x0003: "Token Ring + FCS", 0x0009: "Token Ring w/o FCS", 0x0004: "FDDI + FCS",
		0x000a: "FDDI w/o FCS", 0x0005: "802.6 + FCS", 0x000b: "802.6 w/o FCS", 0x000e: "BPDU"}
)

var (
	stpProtocols  = map[uint32]string{0: "802.1d", 2: "802.1w", 3: "802.1s", 4: "802.1aq"}
	stpBPDUTypes  = map[uint32]string{0x00: "Config", 0x02: "Rapid STP", 0x80: "Topology Change"}
	stpBPDUFlags  = []bitName{{0x01, "Topology change"}, {0x02, "Proposal"}, {0x10, "Learn"}, {0x20, "Forward"}, {0x40, "Agreement"}, {0x80, "Topology change ACK"}}
	stpConfigSize = 36 // a configuration BPDU with the version 1 length of RSTP
)

// stpPrint prints a BPDU (IEEE 802.1D-2004 section 9.3, 802.1Q-2014
// section 14 for MSTP) as tcpdump's stp_print does without -v.
func stpPrint(b []byte, data []byte, length, verbose int) []byte {
	const proto = "stp"
	if length < 4 {
		return append(b, " (invalid)"...)
	}
	if len(data) < 2 {
		return appendTrunc(b, proto)
	}
	if be16(data) != 0 {
		b = append(b, "unknown STP version, length "...)
		return appendInt(b, length)
	}
	if len(data) < 3 {
		return appendTrunc(b, proto)
	}
	version := uint32(data[2])
	b = append(b, "STP "...)
	b = appendTokHex(b, stpProtocols, version, "Unknown STP protocol (0x", 2, ")")
	if _, ok := stpProtocols[version]; !ok { // stp_print stops at an unknown version
		return b
	}
	if len(data) < 4 {
		return appendTrunc(b, proto)
	}
	typ := uint32(data[3])
	b = append(b, ", "...)
	b = appendTokHex(b, stpBPDUTypes, typ, "Unknown BPDU Type (0x", 2, ")")
	config := func(b []byte) []byte {
		if len(data) < 5 {
			return appendTrunc(b, proto)
		}
		b = append(b, ", Flags ["...)
		b = appendBits(b, stpBPDUFlags, uint32(data[4]), ", ", "none")
		b = append(b, ']')
		if len(data) < 27 {
			return appendTrunc(b, proto)
		}
		b = append(b, ", bridge-id "...)
		b = appendHex(b, uint64(be16(data[17:])), 4)
		b = append(b, '.')
		b = AppendMAC(b, data[19:25])
		b = append(b, '.')
		b = appendHex(b, uint64(be16(data[25:])), 4)
		b = append(b, ", length "...)
		b = appendInt(b, length)
		if verbose == 0 {
			return b
		}
		// tcpdump -v: the timers (in 1/256 s, IEEE 802.1D section 9.3.1),
		// the root, and for RSTP the port role.
		if len(data) < 35 {
			return appendTrunc(b, proto)
		}
		for i, name := range [...]string{"\n\tmessage-age ", ", max-age ", ", hello-time ", ", forwarding-delay "} {
			b = append(b, name...)
			b = strconv.AppendFloat(b, float64(be16(data[27+2*i:]))/256, 'f', 2, 64)
			b = append(b, 's')
		}
		b = append(b, "\n\troot-id "...)
		b = appendHex(b, uint64(be16(data[5:])), 4)
		b = append(b, '.')
		b = AppendMAC(b, data[7:13])
		b = append(b, ", root-pathcost "...)
		b = appendUint(b, uint64(be32(data[13:17])))
		if version == 2 {
			b = append(b, ", port-role "...)
			b = append(b, [...]string{"Unknown", "Alternate", "Root", "Designated"}[data[4]>>2&3]...)
		}
		return b
	}
	switch typ {
	case 0x00:
		if length < stpConfigSize-1 {
			return append(b, " (invalid)"...)
		}
		return config(b)
	case 0x02:
		switch version {
		case 2:
			if length < stpConfigSize {
				return append(b, " (invalid)"...)
			}
			return config(b)
		case 3, 4:
			if length < 102 {
				return append(b, " (invalid)"...)
			}
			if len(data) < 36 {
				return appendTrunc(b, proto)
			}
			if data[35] != 0 {
				return append(b, " (invalid)"...)
			}
			if len(data) < 38 {
				return appendTrunc(b, proto)
			}
			if mstpLen := int(be16(data[36:])) + 2; length < stpConfigSize+mstpLen {
				return append(b, " (invalid)"...)
			}
			b = append(b, ", CIST Flags ["...)
			b = appendBits(b, stpBPDUFlags, uint32(data[4]), ", ", "none")
			b = append(b, "], length "...)
			b = appendInt(b, length)
			if version == 4 {
				// SPB's version 4 part is only printed with -v, but
				// checked: not here.
				return b
			}
		}
	}
	return b
}

var (
	udldCodes = map[uint32]string{0: "Reserved", 1: "Probe message", 2: "Echo message", 3: "Flush message"}
	udldFlags = []bitName{{1 << 0, "RT"}, {1 << 1, "RSY"}, {1 << 2, "MBZ-2"}, {1 << 3, "MBZ-3"}, {1 << 4, "MBZ-4"},
		{1 << 5, "MBZ-5"}, {1 << 6, "MBZ-6"}, {1 << 7, "MBZ-7"}}
)

// udldPrint prints the header of a UDLD message (RFC 5171 section 4), and
// with -v its TLVs.
func udldPrint(b []byte, data []byte, length, verbose int) []byte {
	const proto = "udld"
	if length < 4 {
		return appendInvalid(b, proto, data, length)
	}
	if len(data) < 2 {
		return appendTrunc(b, proto)
	}
	code := uint32(data[0] & 0x1f)
	b = append(b, "UDLDv"...)
	b = appendUint(b, uint64(data[0]>>5))
	b = append(b, ", Code "...)
	b = append(b, tokStr(udldCodes, code, "Reserved")...)
	b = append(b, " ("...)
	b = appendHex(b, uint64(code), 1)
	b = append(b, "), Flags ["...)
	b = appendBits(b, udldFlags, uint32(data[1]), ", ", "none")
	b = append(b, "] (0x"...)
	b = appendHex(b, uint64(data[1]), 2)
	b = append(b, "), length "...)
	b = appendInt(b, length)
	if verbose > 0 {
		return udldTLVs(b, data, length)
	}
	if len(data) < length {
		return appendTrunc(b, proto)
	}
	return b
}

var udldTLVNames = map[uint16]string{1: "Device-ID TLV", 2: "Port-ID TLV", 3: "Echo TLV", 4: "Message Interval TLV",
	5: "Timeout Interval TLV", 6: "Device Name TLV", 7: "Sequence Number TLV"}

// udldTLVs prints what tcpdump -v adds to a UDLD message (RFC 5171 section
// 5): the checksum, and each TLV on a line of its own with its value.
func udldTLVs(b []byte, data []byte, length int) []byte {
	const proto = "udld"
	if len(data) < 4 {
		return appendTrunc(b, proto)
	}
	b = append(b, "\n\tChecksum 0x"...)
	b = appendHex(b, uint64(be16(data[2:4])), 4)
	b = append(b, " (unverified)"...)
	at, n := 4, length-4
	for n > 0 {
		if n < 4 {
			return appendInvalid(b, proto, data[min(at, len(data)):], n)
		}
		if len(data) < at+4 {
			return appendTrunc(b, proto)
		}
		typ, tlen := be16(data[at:]), int(be16(data[at+2:]))
		at, n = at+4, n-4
		b = appendTLVHead(b, tokStr(udldTLVNames, typ, "Unknown"), typ, tlen)
		if tlen <= 4 || n < tlen-4 {
			return appendInvalid(b, proto, data[min(at, len(data)):], n)
		}
		tlen -= 4
		if len(data) < at+tlen {
			return appendTrunc(b, proto)
		}
		v := data[at : at+tlen]
		switch typ {
		case 1, 2, 6:
			b = append(b, ", "...)
			b = appendCharsToNUL(b, v)
		case 3:
			b = append(b, ", "...)
			for _, c := range v {
				b = appendCharEscaped(b, c)
			}
		case 4, 5:
			if tlen != 1 {
				return appendInvalid(b, proto, data[at:], n)
			}
			b = append(b, ", "...)
			b = appendUint(b, uint64(v[0]))
			b = append(b, 's')
		case 7:
			if tlen != 4 {
				return appendInvalid(b, proto, data[at:], n)
			}
			b = append(b, ", "...)
			b = appendUint(b, uint64(be32(v)))
		}
		at, n = at+tlen, n-tlen
	}
	return b
}

// dtpPrint prints the version of a Cisco DTP message, and with -v its
// TLVs as tcpdump prints them.
func dtpPrint(b []byte, data []byte, length, verbose int) []byte {
	const proto = "dtp"
	if length < 1 {
		return append(b, "[zero packet length] (invalid)"...)
	}
	if len(data) < 1 {
		return appendTrunc(b, proto)
	}
	b = append(b, "DTPv"...)
	b = appendUint(b, uint64(data[0]))
	b = append(b, ", length "...)
	b = appendInt(b, length)
	if verbose == 0 {
		return b
	}
	at, n := 1, length-1
	for n > 0 {
		if n < 4 {
			b = append(b, '[')
			b = appendInt(b, n)
			b = append(b, " bytes remaining]"...)
			return appendInvalid(b, proto, data[min(at, len(data)):], n)
		}
		if len(data) < at+4 {
			return appendTrunc(b, proto)
		}
		typ, tlen := be16(data[at:]), int(be16(data[at+2:]))
		if typ == 0 {
			return b // tcpdump stops here: some captures end so
		}
		b = appendTLVHead(b, tokStr(dtpTLVNames, typ, "Unknown"), typ, tlen)
		if tlen < 4 || tlen > n {
			b = append(b, "[invalid TLV length "...)
			b = appendInt(b, tlen)
			b = append(b, ']')
			return appendInvalid(b, proto, data[at:], n)
		}
		if len(data) < at+tlen {
			return appendTrunc(b, proto)
		}
		v := data[at+4 : at+tlen]
		switch typ {
		case 1: // domain
			b = append(b, ", "...)
			b = appendCharsToNUL(b, v)
		case 2, 3: // status, DTP type
			if tlen != 5 {
				return appendInvalid(b, proto, data[at:], n)
			}
			b = append(b, ", 0x"...)
			b = appendHex(b, uint64(v[0]), 1)
		case 4: // neighbor
			if tlen != 10 {
				return appendInvalid(b, proto, data[at:], n)
			}
			b = append(b, ", "...)
			b = AppendMAC(b, v)
		}
		at, n = at+tlen, n-tlen
	}
	return b
}

// appendTLVHead starts the line of a TLV of Cisco's UDLD and DTP as
// tcpdump -v prints it: "Device-ID TLV (0x0001) TLV, length 15".
func appendTLVHead(b []byte, name string, typ uint16, tlen int) []byte {
	b = append(b, "\n\t"...)
	b = append(b, name...)
	b = append(b, " (0x"...)
	b = appendHex(b, uint64(typ), 4)
	b = append(b, ") TLV, length "...)
	return appendInt(b, tlen)
}

var dtpTLVNames = map[uint16]string{1: "Domain", 2: "Status", 3: "DTP type", 4: "Neighbor"}
