package tcpdump

var (
	dccpTypes      = []string{"DCCP-Request", "DCCP-Response", "DCCP-Data", "DCCP-Ack", "DCCP-DataAck", "DCCP-CloseReq", "DCCP-Close", "DCCP-Reset", "DCCP-Sync", "DCCP-SyncAck"}
	dccpResetCodes = []string{"unspecified", "closed", "aborted", "no_connection", "packet_error", "option_error", "mandatory_error", "connection_refused", "bad_service_code", "too_busy", "bad_init_cookie", "aggression_penalty"}
)

// dccpPrint prints a DCCP packet (RFC 4340 section 5) as tcpdump's
// dccp_print does: the addresses and ports, the packet type with its
// service code, reset code or acknowledgement number; with -v the CCVal,
// checksum coverage and checksum (section 9) before the type.
func (p *Printer) dccpPrint(b []byte, data []byte, length int, ip *ipHeader) []byte {
	const trunc = "dccp"
	if len(data) < 12 {
		return appendTrunc(b, trunc)
	}
	if length < 12 {
		b = append(b, "truncated-dccp - "...)
		b = appendInt(b, 12-length)
		return append(b, " bytes missing!"...)
	}
	ext := data[8]&1 != 0 // extended (48-bit) sequence numbers
	basic := 12
	if ext {
		basic = 16
	}
	if length < basic {
		b = append(b, "truncated-dccp - "...)
		b = appendInt(b, basic-length)
		return append(b, " bytes missing!"...)
	}
	if len(data) < basic {
		return appendTrunc(b, trunc)
	}
	b = AppendAddr(b, ip.src)
	b = append(b, '.')
	b = appendUint(b, uint64(be16(data[0:2])))
	b = append(b, " > "...)
	b = AppendAddr(b, ip.dst)
	b = append(b, '.')
	b = appendUint(b, uint64(be16(data[2:4])))
	b = append(b, ": DCCP"...)
	if p.Verbose > 0 {
		b = append(b, " (CCVal "...)
		b = appendUint(b, uint64(data[5]>>4))
		b = append(b, ", CsCov "...)
		b = appendUint(b, uint64(data[5]&0xf))
		if len(data) >= length {
			// The checksum covers the header and CsCov-1 words of
			// data, or all of it for CsCov 0 (section 9.2).
			cov := length
			if cs := int(data[5] & 0xf); cs != 0 {
				cov = min((int(data[4])+cs-1)*4, length)
			}
			b = append(b, ", "...)
			b = appendCksumVerdict(b, be16(data[6:8]), foldSum(sum16(pseudoSum(ip, 33, length), data[:cov])))
		}
		b = append(b, ')')
	}
	b = append(b, ' ')
	typ := int(data[8] >> 1 & 0xf)
	name := "unknown-type-"
	if typ < len(dccpTypes) {
		name = dccpTypes[typ]
	}
	// The bytes each type's header has after the generic header.
	more := [...]int{4, 12, 0, 8, 8, 8, 8, 12, 8, 8}
	if typ < len(more) {
		if need := basic + more[typ]; length < need {
			b = append(b, "truncated-"...)
			b = append(b, name...)
			b = append(b, " - "...)
			b = appendInt(b, need-length)
			return append(b, " bytes missing!"...)
		}
	}
	b = append(b, name...)
	rest := data[basic:]
	switch typ {
	case 0, 1: // request, response: the service code
		off := 0
		if typ == 1 {
			off = 8
		}
		if len(rest) < off+4 {
			return appendTrunc(b, trunc)
		}
		b = append(b, " (service="...)
		b = appendUint(b, uint64(be32(rest[off:])))
		b = append(b, ')')
	case 7: // reset: the code
		if len(rest) < 9 {
			return appendTrunc(b, trunc)
		}
		b = append(b, " (code="...)
		if c := int(rest[8]); c < len(dccpResetCodes) {
			b = append(b, dccpResetCodes[c]...)
		} else {
			b = append(b, "invalid"...)
		}
		b = append(b, ')')
	default:
		if typ >= len(dccpTypes) {
			b = appendUint(b, uint64(typ))
		}
	}
	b = append(b, ' ')
	if typ == 0 || typ == 2 {
		return b
	}
	// The acknowledgement number (section 5.3): 24 or 48 bits.
	if ext {
		if len(rest) < 8 {
			return appendTrunc(b, trunc)
		}
		b = append(b, "(ack="...)
		b = appendUint(b, uint64(be16(rest[2:4]))<<32|uint64(be32(rest[4:8])))
	} else {
		if len(rest) < 4 {
			return appendTrunc(b, trunc)
		}
		b = append(b, "(ack="...)
		b = appendUint(b, uint64(rest[1])<<16|uint64(be16(rest[2:4])))
	}
	return append(b, ") "...)
}
