package tcpdump

// mobilityMinLen are the shortest headers of the Mobility Header's message
// types (RFC 6275 section 6.1): BRR, HoTI, CoTI, HoT, CoT, BU, BA, BE.
var (
	mobilityMinLen = [...]int{8, 16, 16, 24, 24, 12, 12, 24}
	mobilityTypes  = [...]string{"BRR", "HoTI", "CoTI", "HoT", "CoT", "BU", "BA", "BE"}
)

// mobilityPrint prints an IPv6 Mobility Header (RFC 6275 section 6.1) as
// tcpdump's mobility_print does: the message type and its sequence number,
// status, lifetime, flags or nonce; with -v the Home/Care-of cookies and
// tokens and the mobility options (section 6.2).
func (p *Printer) mobilityPrint(b []byte, data []byte) []byte {
	const trunc = "mobility"
	if len(data) < 2 {
		return appendTrunc(b, trunc)
	}
	mhlen := (int(data[1]) + 1) * 8
	if len(data) < 3 {
		return appendTrunc(b, trunc)
	}
	typ := data[2]
	if int(typ) < len(mobilityMinLen) && mhlen < mobilityMinLen[typ] {
		b = append(b, "(header length "...)
		b = appendInt(b, mhlen)
		b = append(b, " is too small for type "...)
		b = appendUint(b, uint64(typ))
		b = append(b, ')')
		return appendTrunc(b, trunc)
	}
	b = append(b, "mobility: "...)
	if int(typ) < len(mobilityTypes) {
		b = append(b, mobilityTypes[typ]...)
	} else {
		b = append(b, "type-#"...)
		b = appendUint(b, uint64(typ))
	}
	need := func(n int) bool { return len(data) >= n }
	cookie := func(b []byte, what, kind string, off int) []byte {
		b = append(b, ' ')
		b = append(b, what...)
		b = append(b, kind...)
		b = appendHex(b, uint64(be32(data[off:])), 8)
		b = append(b, ':')
		return appendHex(b, uint64(be32(data[off+4:])), 8)
	}
	// field appends label and the width-byte number at off, or the
	// truncation marker (ok false) when it was not captured.
	field := func(b []byte, label string, off, width int) ([]byte, bool) {
		if !need(off + width) {
			return appendTrunc(b, trunc), false
		}
		v := uint64(data[off])
		if width == 2 {
			v = uint64(be16(data[off:]))
		}
		b = append(b, label...)
		return appendUint(b, v), true
	}
	// lifetime appends a binding's lifetime, in units of 4 seconds.
	lifetime := func(b []byte) ([]byte, bool) {
		if !need(12) {
			return appendTrunc(b, trunc), false
		}
		b = append(b, " lifetime="...)
		return appendUint(b, uint64(be16(data[10:12]))<<2), true
	}
	var ok bool
	hlen := 8
	switch typ {
	case 0: // binding refresh request
	case 1, 2: // home and care-of test init
		if p.Verbose > 0 {
			if !need(16) {
				return appendTrunc(b, trunc)
			}
			b = cookie(b, [2]string{"Home", "Care-of"}[typ-1], " Init Cookie=", 8)
		}
		hlen = 16
	case 3, 4: // home and care-of test
		if !need(8) {
			return appendTrunc(b, trunc)
		}
		b = append(b, " nonce id=0x"...)
		b = appendHex(b, uint64(be16(data[6:8])), 1)
		if p.Verbose > 0 {
			who := [2]string{"Home", "Care-of"}[typ-3]
			if !need(16) {
				return appendTrunc(b, trunc)
			}
			b = cookie(b, who, " Init Cookie=", 8)
			if !need(24) {
				return appendTrunc(b, trunc)
			}
			b = cookie(b, who, " Keygen Token=", 16)
		}
		hlen = 24
	case 5: // binding update
		if b, ok = field(b, " seq#=", 6, 2); !ok {
			return b
		}
		if !need(10) {
			return appendTrunc(b, trunc)
		}
		if bits := data[8] >> 4; bits != 0 {
			b = append(b, ' ')
			b = appendBits(b, []bitName{{8, "A"}, {4, "H"}, {2, "L"}, {1, "K"}}, uint32(bits), "", "")
		}
		if b, ok = lifetime(b); !ok {
			return b
		}
		hlen = 12
	case 6: // binding acknowledgement
		if b, ok = field(b, " status=", 6, 1); !ok {
			return b
		}
		if !need(8) {
			return appendTrunc(b, trunc)
		}
		if data[7]&0x80 != 0 {
			b = append(b, " K"...)
		}
		if b, ok = field(b, " seq#=", 8, 2); !ok {
			return b
		}
		if b, ok = lifetime(b); !ok {
			return b
		}
		hlen = 12
	case 7: // binding error
		if b, ok = field(b, " status=", 6, 1); !ok {
			return b
		}
		if !need(24) {
			return appendTrunc(b, trunc)
		}
		b = append(b, " homeaddr "...)
		b = appendIPv6(b, data[8:24])
		hlen = 24
	default:
		b = append(b, " len="...)
		return appendUint(b, uint64(data[1]))
	}
	if p.Verbose > 0 {
		return appendMobilityOptions(b, data, hlen, mhlen)
	}
	return b
}

// appendMobilityOptions prints the options between hlen and mhlen (RFC
// 6275 section 6.2) as tcpdump -v does.
func appendMobilityOptions(b []byte, data []byte, hlen, mhlen int) []byte {
	const trunc = "mobility"
	n := mhlen - hlen
	opts := data[min(hlen, len(data)):]
	for i := 0; i < n; {
		if i >= len(opts) {
			return appendTrunc(b, trunc)
		}
		optlen := 1
		if opts[i] != 0 {
			if i+1 >= n || i+1 >= len(opts) {
				return appendTrunc(b, trunc)
			}
			optlen = int(opts[i+1]) + 2
		}
		if i+optlen > n || i+optlen >= len(opts) {
			return appendTrunc(b, trunc)
		}
		o, left := opts[i:], n-i
		short := func(b []byte, what string, need int) ([]byte, bool) {
			if left < need {
				b = append(b, '(')
				b = append(b, what...)
				b = append(b, ": trunc)"...)
				return appendTrunc(b, trunc), true
			}
			if len(o) < need {
				return appendTrunc(b, trunc), true
			}
			return b, false
		}
		var stop bool
		switch o[0] {
		case 0:
			b = append(b, "(pad1)"...)
		case 1:
			if b, stop = short(b, "padn", 2); !stop {
				b = append(b, "(padn)"...)
			}
		case 2:
			if b, stop = short(b, "refresh", 4); !stop {
				b = append(b, "(refresh: "...)
				b = appendUint(b, uint64(be16(o[2:4]))<<2)
				b = append(b, ')')
			}
		case 3:
			if b, stop = short(b, "altcoa", 18); !stop {
				b = append(b, "(alt-CoA: "...)
				b = appendIPv6(b, o[2:18])
				b = append(b, ')')
			}
		case 4:
			if b, stop = short(b, "ni", 6); !stop {
				b = append(b, "(ni: ho=0x"...)
				b = appendHex(b, uint64(be16(o[2:4])), 4)
				b = append(b, " co=0x"...)
				b = appendHex(b, uint64(be16(o[4:6])), 4)
				b = append(b, ')')
			}
		case 5:
			if b, stop = short(b, "auth", 12); !stop {
				b = append(b, "(auth)"...)
			}
		default: // at least 2 bytes: checked above
			b = append(b, "(type-0x"...)
			b = appendHex(b, uint64(o[0]), 2)
			b = append(b, ": len="...)
			b = appendUint(b, uint64(o[1]))
			b = append(b, ')')
		}
		if stop {
			return b
		}
		i += optlen
	}
	return b
}
