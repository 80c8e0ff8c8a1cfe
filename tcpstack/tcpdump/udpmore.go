package tcpdump

// Babel, sFlow and LDP, as tcpdump prints them without -v.

// babelTLVNames are the names tcpdump prints without -v for Babel's TLV
// types (RFC 8966 section 4.6, RFC 8967, and the source-specific drafts).
var babelTLVNames = map[uint8]string{1: "padN", 2: "ack-req", 3: "ack", 4: "hello", 5: "ihu", 6: "router-id",
	7: "nh", 8: "update", 9: "route-request", 10: "seqno-request", 11: "tspc", 12: "hmac", 13: "ss-update",
	14: "ss-request", 15: "ss-mh-request", 16: "mac", 17: "pc", 18: "challenge_request", 19: "challenge_reply"}

// babelPrint prints a Babel packet (RFC 8966 section 4.2) as tcpdump's
// babel_print does without -v: the version, the body length and the name
// of each TLV, the update TLVs' flags, and after " |" the trailer's TLVs
// (RFC 8967 section 4.1).
func babelPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const trunc = "babel"
	b = append(b, "babel"...)
	if len(data) < 4 {
		return appendTrunc(b, trunc), true
	}
	if data[0] != 42 {
		return append(b, " invalid header"...), true
	}
	b = append(b, ' ')
	b = appendUint(b, uint64(data[1]))
	if data[1] != 2 {
		return append(b, " unknown version"...), true
	}
	if length < 4 {
		return append(b, " (invalid)"...), true
	}
	bodyLen := int(be16(data[2:4]))
	b = append(b, " ("...)
	b = appendInt(b, bodyLen)
	b = append(b, ')')
	data, length = data[4:], length-4
	if length < bodyLen {
		return append(b, " (invalid)"...), true
	}
	b, ok := babelTLVs(b, data, bodyLen, length)
	if !ok || length == bodyLen {
		return b, true
	}
	b = append(b, " |"...)
	b, _ = babelTLVs(b, data[min(bodyLen, len(data)):], length-bodyLen, length-bodyLen)
	return b, true
}

// babelTLVs prints the names of the TLVs in n bytes (data holds what was
// captured of them; remain bytes are left in the packet); ok is false when
// it printed a truncation or invalid marker.
func babelTLVs(b []byte, data []byte, n, remain int) ([]byte, bool) {
	for i := 0; i < n; {
		fits := func(l int) bool { return i+l <= n && i+l <= remain }
		if !fits(1) {
			return append(b, " (invalid)"...), false
		}
		if i >= len(data) {
			return appendTrunc(b, "babel"), false
		}
		typ := data[i]
		if typ == 0 {
			b = append(b, " pad1"...)
			i++
			continue
		}
		if !fits(2) {
			return append(b, " (invalid)"...), false
		}
		if i+2 > len(data) {
			return appendTrunc(b, "babel"), false
		}
		l := int(data[i+1])
		if !fits(2 + l) {
			return append(b, " (invalid)"...), false
		}
		if i+2+l > len(data) {
			return appendTrunc(b, "babel"), false
		}
		b = append(b, ' ')
		b = append(b, tokStr(babelTLVNames, typ, "unknown")...)
		if typ == 8 { // update: its flags (RFC 8966 section 4.6.9)
			if l < 10 {
				return append(b, " (invalid)"...), false
			}
			f := data[i+3]
			if f&0x80 != 0 {
				b = append(b, "/prefix"...)
			}
			if f&0x40 != 0 {
				b = append(b, "/id"...)
			}
			if f&0x3f != 0 {
				b = append(b, "/unknown"...)
			}
		}
		i += 2 + l
	}
	return b, true
}

// sflowPrint prints an sFlow version 5 datagram's header (sFlow version 5
// specification, section 5) as tcpdump's sflow_print does without -v: the
// agent's address and ID.
func sflowPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const trunc = "sflow"
	if len(data) < 8 {
		return appendTrunc(b, trunc), true
	}
	version, ipVersion := be32(data[0:4]), be32(data[4:8])
	if (ipVersion == 1 && length < 28) || (ipVersion == 2 && length < 40) {
		b = append(b, "sFlowv"...)
		b = appendUint(b, uint64(version))
		return appendInvalidLength(b, "length", length, 28), true
	}
	if len(data) < 28 {
		return appendTrunc(b, trunc), true
	}
	if version != 5 {
		b = append(b, "sFlow version "...)
		b = appendUint(b, uint64(version))
		return append(b, " packet not supported"...), true
	}
	b = append(b, "sFlowv5, "...)
	if ipVersion == 1 {
		b = append(b, "IPv4 agent "...)
		b = appendIPv4(b, data[8:12])
		b = append(b, ", agent-id "...)
		b = appendUint(b, uint64(be32(data[12:16])))
	} else {
		b = append(b, "IPv6 agent "...)
		b = appendIPv6(b, data[8:24])
		b = append(b, ", agent-id "...)
		b = appendUint(b, uint64(be32(data[24:28])))
	}
	b = append(b, ", length "...)
	return appendInt(b, length), true
}

// ldpPrint prints an LDP PDU's header (RFC 5036 section 3.1) as tcpdump's
// ldp_print does without -v: the LSR ID, label space and PDU length of the
// first PDU, or nothing for a payload too short to hold a message.
func ldpPrint(b []byte, data []byte, length int) []byte {
	const common, msgHeader = 10, 8
	if length <= common+msgHeader {
		return b
	}
	if len(data) < common {
		return appendTrunc(b, "ldp")
	}
	if v := be16(data[0:2]); v != 1 {
		b = append(b, "LDP version "...)
		b = appendUint(b, uint64(v))
		return append(b, " packet not supported"...)
	}
	pduLen := be16(data[2:4])
	if pduLen < common-4 {
		b = append(b, "LDP, pdu-length: "...)
		b = appendUint(b, uint64(pduLen))
		return append(b, " (too short, < 6)"...)
	}
	b = append(b, "LDP, Label-Space-ID: "...)
	b = appendIPv4(b, data[4:8])
	b = append(b, ':')
	b = appendUint(b, uint64(be16(data[8:10])))
	b = append(b, ", pdu-length: "...)
	return appendUint(b, uint64(pduLen))
}

func ldpPrintUDP(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	return ldpPrint(b, data, length), true
}
