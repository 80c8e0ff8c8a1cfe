package tcpdump

// DNS (RFC 1035) and multicast DNS (RFC 6762) as tcpdump's print-domain.c
// prints them without -v: a query's id, flags, counts and questions, a
// response's id, flags, rcode, counts and answers, then the length.

var dnsTypes = map[uint16]string{1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB", 8: "MG", 9: "MR",
	10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX", 16: "TXT", 17: "RP", 18: "AFSDB",
	19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP", 23: "NSAP_PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS",
	28: "AAAA", 29: "LOC", 30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX",
	37: "CERT", 38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS", 44: "SSHFP", 45: "IPSECKEY",
	46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID", 103: "UNSPEC",
	104: "UNSPECA", 249: "TKEY", 250: "TSIG", 251: "IXFR", 252: "AXFR", 253: "MAILB", 254: "MAILA", 255: "ANY",
	256: "URI"}

var dnsClasses = map[uint16]string{1: "IN", 3: "CHAOS", 4: "HS", 255: "ANY"}

var (
	dnsOpcodes = [16]string{"", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA",
		" updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"}
	dnsRcodes = []string{"", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet",
		" NXRRSet", " NotAuth", " NotZone", " Resp11", " Resp12", " Resp13", " Resp14", " NoChange", " BadVers",
		"Resp17", " Resp18", " Resp19", " Resp20", "Resp21", " Resp22", " BadCookie"}
)

// dnsMsg is a DNS message as the printer walks it: msg holds the captured
// bytes from the message's first byte (compression pointers count from
// there) to the end of what tcpdump may read.
type dnsMsg struct {
	msg     []byte
	verbose int // tcpdump's -v level
}

func (m *dnsMsg) has(at, n int) bool { return at >= 0 && at+n <= len(m.msg) }

// skipName returns the offset after the domain name at at (RFC 1035
// section 4.1.4), or -1 when it is cut short or malformed.
func (m *dnsMsg) skipName(at int) int {
	if !m.has(at, 1) {
		return -1
	}
	i := m.msg[at]
	at++
	for i != 0 {
		switch i & 0xc0 {
		case 0xc0:
			return at + 1
		case 0x40: // extended label type (RFC 2673 bit-string labels)
			if i&^0xc0 != 1 || !m.has(at, 1) {
				return -1
			}
			bitlen := int(m.msg[at])
			if bitlen == 0 {
				bitlen = 256
			}
			at += 1 + (bitlen+7)/8
		case 0x80:
			return -1
		default:
			at += int(i)
		}
		if !m.has(at, 1) {
			return -1
		}
		i = m.msg[at]
		at++
	}
	return at
}

// labelLen is tcpdump's labellen: the length of the label at at, or -1
// (with tcpdump's complaint appended) for a bad one.
func (m *dnsMsg) labelLen(b []byte, at int) ([]byte, int) {
	if !m.has(at, 1) {
		return b, -1
	}
	i := m.msg[at]
	switch i & 0xc0 {
	case 0x40:
		if elt := i &^ 0xc0; elt != 1 {
			b = append(b, "<ELT "...)
			b = appendInt(b, int(elt))
			return append(b, '>'), -1
		}
		if !m.has(at+1, 1) {
			return b, -1
		}
		bitlen := int(m.msg[at+1])
		if bitlen == 0 {
			bitlen = 256
		}
		return b, (bitlen+7)/8 + 1
	case 0xc0, 0x00:
		return b, int(i)
	}
	return append(b, "<BAD LABEL TYPE>"...), -1
}

// label returns the first byte of the label at at and the label's length
// (labelLen); l is -1 when printing must stop.
func (m *dnsMsg) label(b []byte, at int) (out []byte, first byte, l int) {
	if b, l = m.labelLen(b, at); l < 0 {
		return b, 0, -1
	}
	return b, m.msg[at], l
}

// appendChars appends up to n bytes from at as tcpdump's nd_printn does
// (control characters as ^X, bytes above 127 as M-x), stopping at the end
// of the captured bytes; ok is false when it stopped early.
func (m *dnsMsg) appendChars(b []byte, at, n int) ([]byte, bool) {
	for ; n > 0 && at < len(m.msg); n, at = n-1, at+1 {
		b = appendCharEscaped(b, m.msg[at])
	}
	return b, n == 0
}

// appendCharsToNUL appends the bytes of p up to the first NUL, escaped, as
// tcpdump's nd_printjnp does.
func appendCharsToNUL(b []byte, p []byte) []byte {
	for _, c := range p {
		if c == 0 {
			break
		}
		b = appendCharEscaped(b, c)
	}
	return b
}

// appendCharEscaped appends a byte as tcpdump's fn_print_char does.
func appendCharEscaped(b []byte, c byte) []byte {
	if c >= 0x80 {
		c &= 0x7f
		b = append(b, "M-"...)
	}
	if c < 0x20 || c == 0x7f {
		c ^= 0x40
		b = append(b, '^')
	}
	return append(b, c)
}

// appendName prints the domain name at at as tcpdump's fqdn_print does
// and returns the offset after it in the record, or -1 when printing must
// stop.
func (m *dnsMsg) appendName(b []byte, at int) ([]byte, int) {
	const maxName = 255
	b, i, l := m.label(b, at)
	if l < 0 {
		return b, -1
	}
	maxOffset := at
	at++
	compress := false
	rp := -1
	if i&0xc0 != 0xc0 {
		rp = at + l
	}
	if i == 0 {
		return append(b, '.'), rp
	}
	chars := 0
	for i != 0 && at < len(m.msg) {
		switch i & 0xc0 {
		case 0xc0:
			if !compress {
				rp = at + 1
				compress = true
			}
			if !m.has(at, 1) {
				return b, -1
			}
			off := (int(i)<<8 | int(m.msg[at])) & 0x3fff
			if off >= maxOffset {
				return append(b, "<BAD PTR>"...), -1
			}
			maxOffset = off
			at = off
			if b, i, l = m.label(b, at); l < 0 {
				return b, -1
			}
			at++
			continue
		case 0x40:
			if i&^0xc0 != 1 {
				b = append(b, "<ELT "...)
				b = appendInt(b, int(i&^0xc0))
				return append(b, '>'), -1
			}
			var ok bool
			if b, ok = m.appendBitLabel(b, at); !ok {
				return b, -1
			}
		case 0x80:
			return append(b, "<BAD LABEL TYPE>"...), -1
		default:
			var ok bool
			if chars+l <= maxName {
				b, ok = m.appendChars(b, at, l)
			} else if chars < maxName {
				b, ok = m.appendChars(b, at, maxName-chars)
			} else {
				ok = true
			}
			if !ok {
				return b, -1
			}
			chars += l
		}
		at += l
		if chars <= maxName {
			b = append(b, '.')
		}
		chars++
		if b, i, l = m.label(b, at); l < 0 {
			return b, -1
		}
		at++
		if !compress {
			rp += l + 1
		}
	}
	if chars > maxName {
		b = append(b, "<DOMAIN NAME TOO LONG>"...)
	}
	return b, rp
}

// appendBitLabel prints a bit-string label (RFC 2673) as tcpdump's
// blabel_print does.
func (m *dnsMsg) appendBitLabel(b []byte, at int) ([]byte, bool) {
	if !m.has(at, 1) {
		return b, false
	}
	bitlen := int(m.msg[at])
	if bitlen == 0 {
		bitlen = 256
	}
	lim := at + 1 + (bitlen+3)/4
	b = append(b, `\[x`...)
	p, bits := at+1, bitlen
	for ; p < lim && bits > 7; bits, p = bits-8, p+1 {
		if !m.has(p, 1) {
			return b, false
		}
		b = appendHex(b, uint64(m.msg[p]), 2)
	}
	if bits > 4 {
		if !m.has(p, 1) {
			return b, false
		}
		b = appendHex(b, uint64(m.msg[p]&(0xff<<(8-bits))), 2)
	} else if bits > 0 {
		if !m.has(p, 1) {
			return b, false
		}
		b = appendHex(b, uint64((m.msg[p]>>4)&0x0f&(0x0f<<(4-bits))), 1)
	}
	b = append(b, '/')
	b = appendInt(b, bitlen)
	return append(b, ']'), true
}

// appendQuestion prints a question (RFC 1035 section 4.1.2) and returns
// the offset after it, or -1.
func (m *dnsMsg) appendQuestion(b []byte, at int, mdns bool) ([]byte, int) {
	np := at
	at = m.skipName(at)
	if at < 0 || !m.has(at, 4) {
		return b, -1
	}
	typ := be16(m.msg[at:])
	b = append(b, ' ')
	b = appendDNSType(b, typ)
	class := be16(m.msg[at+2:])
	qclass := class
	if mdns {
		qclass &^= 0x8000
	}
	if qclass != 1 {
		b = append(b, ' ')
		b = appendDNSClass(b, qclass)
	}
	if mdns {
		if class&0x8000 != 0 {
			b = append(b, " (QU)"...)
		} else {
			b = append(b, " (QM)"...)
		}
	}
	b = append(b, "? "...)
	b, end := m.appendName(b, np)
	if end < 0 {
		return b, -1
	}
	return b, end + 4
}

func appendDNSType(b []byte, t uint16) []byte {
	return appendTok(b, dnsTypes, t, "Type", "")
}

func appendDNSClass(b []byte, c uint16) []byte {
	return appendTok(b, dnsClasses, c, "(Class ", ")")
}

// appendRDataName appends a space and the domain name that follows skip
// bytes of fixed fields in the RDATA at at (MX's preference, SRV's
// priority, weight and port); ok is false when the fields or the name are
// cut.
func (m *dnsMsg) appendRDataName(b []byte, at, skip int) (out []byte, ok bool) {
	b = append(b, ' ')
	if !m.has(at, skip) {
		return b, false
	}
	b, end := m.appendName(b, at+skip)
	return b, end >= 0
}

// appendRR prints a resource record (RFC 1035 section 4.1.3) as tcpdump's
// ns_rprint does (with -v, its name too) and returns the offset after it; -1 when
// printing must stop; ok is false for a record the printer does not print
// (EDNS options).
func (m *dnsMsg) appendRR(b []byte, at int, mdns bool) (out []byte, next int, ok bool) {
	if m.verbose > 0 { // -v prints the record's name
		b = append(b, ' ')
		if b, at = m.appendName(b, at); at < 0 {
			return b, -1, true
		}
	} else {
		at = m.skipName(at)
	}
	if at < 0 || !m.has(at, 10) {
		return b, len(m.msg), true // tcpdump returns the end of the bytes
	}
	typ := be16(m.msg[at:])
	class := be16(m.msg[at+2:])
	rclass := class
	if mdns {
		rclass &^= 0x8000
	}
	if rclass != 1 && typ != 41 {
		b = append(b, ' ')
		b = appendDNSClass(b, rclass)
	}
	if mdns && class&0x8000 != 0 {
		b = append(b, " (Cache flush)"...)
	}
	optFlags := be16(m.msg[at+6:])
	rdlen := int(be16(m.msg[at+8:]))
	at += 10
	rp := at + rdlen
	b = append(b, ' ')
	b = appendDNSType(b, typ)
	if rp > len(m.msg) {
		return b, -1, true
	}
	switch typ {
	case 1: // A
		if !m.has(at, 4) {
			return b, -1, true
		}
		b = append(b, ' ')
		b = appendIPv4(b, m.msg[at:at+4])
	case 2, 5, 12, 39: // NS, CNAME, PTR, DNAME
		var ok bool
		if b, ok = m.appendRDataName(b, at, 0); !ok {
			return b, -1, true
		}
	case 15: // MX
		var ok bool
		if b, ok = m.appendRDataName(b, at, 2); !ok {
			return b, -1, true
		}
		b = append(b, ' ')
		b = appendUint(b, uint64(be16(m.msg[at:])))
	case 16: // TXT
		for at < rp {
			b = append(b, ` "`...)
			if !m.has(at, 1) {
				return b, -1, true
			}
			n := int(m.msg[at])
			var ok bool
			if b, ok = m.appendChars(b, at+1, n); !ok {
				return b, -1, true
			}
			at += 1 + n
			b = append(b, '"')
		}
	case 33: // SRV
		var ok bool
		if b, ok = m.appendRDataName(b, at, 6); !ok {
			return b, -1, true
		}
		b = append(b, ':')
		b = appendUint(b, uint64(be16(m.msg[at+4:])))
		b = append(b, ' ')
		b = appendUint(b, uint64(be16(m.msg[at:])))
		b = append(b, ' ')
		b = appendUint(b, uint64(be16(m.msg[at+2:])))
	case 28: // AAAA
		if !m.has(at, 16) {
			return b, -1, true
		}
		b = append(b, ' ')
		b = appendIPv6(b, m.msg[at:at+16])
	case 41: // OPT (RFC 6891 section 6.1.2)
		b = append(b, " UDPsize="...)
		b = appendUint(b, uint64(rclass))
		if optFlags&0x8000 != 0 {
			b = append(b, " DO"...)
		}
		if at < rp {
			return b, -1, false
		}
	case 38, 104, 256: // A6, UNSPECA, URI: not printed here
		return b, -1, false
	}
	return b, rp, true
}

// domainPrint prints a DNS message of length bytes (payload is what was
// captured of them); overTCP when it carries TCP's 2-byte length prefix
// (RFC 1035 section 4.2.2), mdns for multicast DNS. ok is false for
// messages the printer does not print.
func domainPrint(b []byte, payload []byte, length int, overTCP, mdns bool, verbose int) ([]byte, bool) {
	const proto = "domain"
	if overTCP {
		if length < 2 {
			return appendInvalidLength(b, "DNS over TCP: length", length, 2), true
		}
		length -= 2
		if len(payload) < 2 {
			return appendTrunc(b, proto), true
		}
		if prefix := int(be16(payload)); prefix != length {
			b = append(b, " [prefix length("...)
			b = appendInt(b, prefix)
			b = append(b, ") != length("...)
			b = appendInt(b, length)
			return append(b, ")] (invalid)"...), true
		}
		payload = payload[2:]
		b = append(b, ' ')
	}
	if length < 12 {
		b = append(b, "domain"...)
		return appendInvalidLength(b, "length", length, 12), true
	}
	if len(payload) < 12 {
		return appendTrunc(b, proto), true
	}
	m := dnsMsg{msg: payload, verbose: verbose}
	h := payload
	flags := be16(h[2:])
	qd, an, ns, ar := int(be16(h[4:])), int(be16(h[6:])), int(be16(h[8:])), int(be16(h[10:]))
	// The extended rcode lives in an OPT record (RFC 6891 section 6.1.3).
	rcode := int(flags & 0xf)
	func() {
		at := 12
		for i := 0; i < qd; i++ {
			if at = m.skipName(at); at < 0 {
				return
			}
			if at += 4; at >= len(m.msg) {
				return
			}
		}
		for i := 0; i < an+ns; i++ {
			if at = m.skipName(at); at < 0 {
				return
			}
			at += 8
			if at+2 > len(m.msg) {
				return
			}
			if at += 2 + int(be16(m.msg[at:])); at >= len(m.msg) {
				return
			}
		}
		for i := 0; i < ar; i++ {
			if at = m.skipName(at); at < 0 || at+2 > len(m.msg) {
				return
			}
			typ := be16(m.msg[at:])
			if at += 4; at+1 > len(m.msg) {
				return
			}
			if typ == 41 {
				rcode |= int(m.msg[at]) << 4
				return
			}
			if at += 4; at+2 > len(m.msg) {
				return
			}
			if at += 2 + int(be16(m.msg[at:])); at >= len(m.msg) {
				return
			}
		}
	}()
	b = appendUint(b, uint64(be16(h)))
	b = append(b, dnsOpcodes[flags>>11&0xf]...)
	var ok bool
	if flags&0x8000 != 0 { // a response
		if rcode < len(dnsRcodes) {
			b = append(b, dnsRcodes[rcode]...)
		} else {
			b = append(b, " Resp"...)
			b = appendInt(b, rcode&0xfff)
		}
		if flags&0x0400 != 0 {
			b = append(b, '*')
		}
		if flags&0x0080 == 0 {
			b = append(b, '-')
		}
		if flags&0x0200 != 0 {
			b = append(b, '|')
		}
		if flags&0x0020 != 0 {
			b = append(b, '$')
		}
		if qd != 1 {
			b = append(b, " ["...)
			b = appendInt(b, qd)
			b = append(b, "q]"...)
		}
		at := 12
		for i := 0; i < qd; i++ {
			if i != 0 {
				b = append(b, ',')
			}
			if at = m.skipName(at); at < 0 {
				return appendTrunc(b, proto), true
			}
			at += 4
		}
		b = append(b, ' ')
		b = appendInt(b, an)
		b = append(b, '/')
		b = appendInt(b, ns)
		b = append(b, '/')
		b = appendInt(b, ar)
		for i := 0; i < an; i++ {
			if i > 0 {
				if at >= len(m.msg) {
					break
				}
				b = append(b, ',')
			}
			if b, at, ok = m.appendRR(b, at, mdns); !ok {
				return b, false
			}
			if at < 0 {
				return appendTrunc(b, proto), true
			}
			if i == an-1 {
				an = 0
			}
		}
		if an != 0 {
			return appendTrunc(b, proto), true
		}
	} else { // a query
		if flags&0x0100 != 0 {
			b = append(b, '+')
		}
		if flags&0x0010 != 0 {
			b = append(b, '%')
		}
		if b2 := flags; b2&0x6cf != 0 {
			b = append(b, " [b2&3=0x"...)
			b = appendHex(b, uint64(b2), 1)
			b = append(b, ']')
		}
		count := func(b []byte, n int, suffix string) []byte {
			b = append(b, " ["...)
			b = appendInt(b, n)
			b = append(b, suffix...)
			return append(b, ']')
		}
		if flags>>11&0xf == 1 { // inverse query
			if qd != 0 {
				b = count(b, qd, "q")
			}
			if an != 1 {
				b = count(b, an, "a")
			}
		} else {
			if an != 0 {
				b = count(b, an, "a")
			}
			if qd != 1 {
				b = count(b, qd, "q")
			}
		}
		if ns != 0 {
			b = count(b, ns, "n")
		}
		if ar != 0 {
			b = count(b, ar, "au")
		}
		at := 12
		for i := 0; i < qd; i++ {
			if i > 0 && at >= len(m.msg) {
				break
			}
			if b, at = m.appendQuestion(b, at, mdns); at < 0 {
				return appendTrunc(b, proto), true
			}
			if i == qd-1 {
				qd = 0
			}
		}
		if qd != 0 {
			return appendTrunc(b, proto), true
		}
	}
	b = append(b, " ("...)
	b = appendInt(b, length)
	return append(b, ')'), true
}

func dnsPrintUDP(p *Printer, b []byte, payload []byte, length int, _, _ uint16) ([]byte, bool) {
	return domainPrint(b, payload, length, false, false, p.Verbose)
}

func mdnsPrintUDP(p *Printer, b []byte, payload []byte, length int, _, _ uint16) ([]byte, bool) {
	return domainPrint(b, payload, length, false, true, p.Verbose)
}
