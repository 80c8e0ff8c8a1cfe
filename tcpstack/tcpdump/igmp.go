package tcpdump

// IGMP (RFC 1112, 2236, 3376; mtrace) and VRRP (RFC 3768, 5798) as
// print-igmp.c and print-vrrp.c print them without -v.

// igmpPrint prints an IGMP message; ok is false for DVMRP and PIMv1, which
// the printer does not decode.
func igmpPrint(b []byte, data []byte, length int) ([]byte, bool) {
	const proto = "igmp"
	if len(data) < 1 {
		return appendTrunc(b, proto), true
	}
	badLen := func(b []byte) []byte {
		b = append(b, " [len "...)
		b = appendInt(b, length)
		return append(b, ']')
	}
	switch t := data[0]; t {
	case 0x11:
		b = append(b, "igmp query"...)
		if length >= 12 {
			return igmpV3Query(b, data, length), true
		}
		if len(data) < 2 {
			return appendTrunc(b, proto), true
		}
		if data[1] != 0 {
			b = append(b, " v2"...)
			if data[1] != 100 {
				b = append(b, " [max resp time "...)
				b = appendUint(b, uint64(data[1]))
				b = append(b, ']')
			}
		} else {
			b = append(b, " v1"...)
		}
		if len(data) < 8 {
			return appendTrunc(b, proto), true
		}
		if be32(data[4:]) != 0 {
			b = append(b, " [gaddr "...)
			b = appendIPv4(b, data[4:8])
			b = append(b, ']')
		}
		if length != 8 {
			b = badLen(b)
		}
	case 0x12, 0x16, 0x17:
		if len(data) < 8 {
			return appendTrunc(b, proto), true
		}
		switch t {
		case 0x12:
			b = append(b, "igmp v1 report "...)
		case 0x16:
			b = append(b, "igmp v2 report "...)
		default:
			b = append(b, "igmp leave "...)
		}
		b = appendIPv4(b, data[4:8])
		if t == 0x12 && length != 8 {
			b = badLen(b)
		}
	case 0x22:
		b = append(b, "igmp v3 report"...)
		if length < 16 || length&3 != 0 {
			b = append(b, " [invalid len "...)
			b = appendInt(b, length)
			return append(b, ']'), true
		}
		if len(data) < 8 {
			return appendTrunc(b, proto), true
		}
		b = append(b, ", "...)
		b = appendUint(b, uint64(be16(data[6:])))
		b = append(b, " group record(s)"...)
	case 0x13, 0x14: // DVMRP, PIMv1
		return b, false
	case 0x1e, 0x1f:
		name := "mtrace"
		if t == 0x1e {
			name = "mresp"
		}
		if length < 8+16 {
			b = append(b, " [invalid len "...)
			b = appendInt(b, length)
			return append(b, ']'), true
		}
		if len(data) < 24 {
			return appendTrunc(b, proto), true
		}
		b = append(b, name...)
		b = append(b, ' ')
		q := data[8:24]
		b = appendUint(b, uint64(q[13])<<16|uint64(be16(q[14:])))
		b = append(b, ": "...)
		b = appendIPv4(b, q[0:4])
		b = append(b, " to "...)
		b = appendIPv4(b, q[4:8])
		b = append(b, " reply-to "...)
		b = appendIPv4(b, q[8:12])
		if q[8]&0xf0 == 0xe0 {
			b = append(b, " with-ttl "...)
			b = appendUint(b, uint64(q[12]))
		}
	default:
		b = append(b, "igmp-"...)
		b = appendUint(b, uint64(t))
	}
	return b, true
}

// igmpV3Query prints the rest of an IGMPv3 query (RFC 3376 section 4.1).
func igmpV3Query(b []byte, data []byte, length int) []byte {
	const proto = "igmp"
	b = append(b, " v3"...)
	if length&3 != 0 {
		b = append(b, " [invalid len "...)
		b = appendInt(b, length)
		return append(b, ']')
	}
	if len(data) < 2 {
		return appendTrunc(b, proto)
	}
	mrc := int(data[1])
	mrt := mrc
	if mrc >= 128 { // RFC 3376 section 4.1.1: exponent and mantissa
		mrt = (mrc&0x0f | 0x10) << ((mrc&0x70)>>4 + 3)
	}
	if mrc != 100 {
		b = append(b, " [max resp time "...)
		if mrt < 600 {
			b = appendInt(b, mrt/10)
			b = append(b, '.')
			b = appendInt(b, mrt%10)
			b = append(b, 's')
		} else {
			b = appendRelTime(b, uint32(mrt/10))
		}
		b = append(b, ']')
	}
	if len(data) < 8 {
		return appendTrunc(b, proto)
	}
	if be32(data[4:]) == 0 {
		return b
	}
	b = append(b, " [gaddr "...)
	b = appendIPv4(b, data[4:8])
	if len(data) < 12 {
		return appendTrunc(b, proto)
	}
	if n := int(be16(data[10:])); n > 0 {
		if length < 12+n*4 {
			b = append(b, " [invalid number of sources]"...)
		} else {
			b = append(b, ", "...)
			b = appendInt(b, n)
			b = append(b, " source(s)"...)
		}
	}
	return append(b, ']')
}

// appendRelTime appends a number of seconds as tcpdump's
// unsigned_relts_print does: "1h2m3s".
func appendRelTime(b []byte, secs uint32) []byte {
	if secs == 0 {
		return append(b, "0s"...)
	}
	units := [...]struct {
		secs uint32
		name byte
	}{{31536000, 'y'}, {604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}
	for _, u := range units {
		if secs >= u.secs {
			b = appendUint(b, uint64(secs/u.secs))
			b = append(b, u.name)
			secs %= u.secs
		}
	}
	return b
}

// vrrpPrint prints a VRRP message (RFC 3768 section 5.1, RFC 5798 section
// 5.1).
func vrrpPrint(b []byte, data []byte, length int, hdr *ipHeader) []byte {
	const proto = "vrrp"
	b = append(b, "VRRP"...)
	if len(data) < 1 {
		return appendTrunc(b, proto)
	}
	version, typ := data[0]>>4, data[0]&0x0f
	b = append(b, 'v')
	b = appendUint(b, uint64(version))
	b = append(b, ", "...)
	if typ == 1 {
		b = append(b, "Advertisement"...)
	} else {
		b = append(b, "unknown type ("...)
		b = appendUint(b, uint64(typ))
		b = append(b, ')')
	}
	if hdr.ttl != 255 {
		b = append(b, ", (ttl "...)
		b = appendInt(b, hdr.ttl)
		b = append(b, ')')
	}
	if version < 2 || version > 3 || typ != 1 {
		return b
	}
	if len(data) < 3 {
		return appendTrunc(b, proto)
	}
	b = append(b, ", vrid "...)
	b = appendUint(b, uint64(data[1]))
	b = append(b, ", prio "...)
	b = appendUint(b, uint64(data[2]))
	if len(data) < 5 || (version == 3 && len(data) < 6) {
		return appendTrunc(b, proto)
	}
	if version == 2 {
		b = append(b, ", authtype "...)
		switch data[4] {
		case 0:
			b = append(b, "none"...)
		case 1:
			b = append(b, "simple"...)
		case 2:
			b = append(b, "ah"...)
		default:
			b = append(b, '#')
			b = appendUint(b, uint64(data[4]))
		}
		if len(data) < 6 {
			return appendTrunc(b, proto)
		}
		b = append(b, ", intvl "...)
		b = appendUint(b, uint64(data[5]))
		b = append(b, "s, length "...)
	} else {
		b = append(b, ", intvl "...)
		b = appendUint(b, uint64(data[4]&0x0f)<<8|uint64(data[5]))
		b = append(b, "cs, length "...)
	}
	return appendInt(b, length)
}
