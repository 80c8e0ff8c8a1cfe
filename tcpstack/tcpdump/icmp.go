package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// icmpPrint prints an ICMP message as tcpdump's icmp_print does without -v.
// Like tcpdump it builds the description first, so a message cut short
// prints only the truncation marker.
func (p *Printer) icmpPrint(b []byte, d *Decoder, data []byte, plen int, ip *ipHeader) []byte {
	const trunc = " [|icmp]"
	if len(data) < 2 {
		return append(b, trunc...)
	}
	typ, code := data[0], data[1]
	id, seq := uint16(0), uint16(0)
	icmp := &d.ICMPv4
	if (d.Has(layers.LayerTypeICMPv4) && sameStart(icmp.Contents, data)) || icmp.DecodeFromBytes(data, gopacket.NilDecodeFeedback) == nil {
		typ, code = icmp.TypeCode.Type(), icmp.TypeCode.Code()
		id, seq = icmp.Id, icmp.Seq
	} else if len(data) >= 8 {
		id, seq = be16(data[4:6]), be16(data[6:8])
	}
	// need reports whether n bytes were captured.
	need := func(n int) bool { return len(data) >= n }
	start := len(b)
	b = append(b, "ICMP "...)
	quotedDst := func(b []byte) []byte { return appendIPv4(b, data[24:28]) }
	switch typ {
	case 0, 8:
		if !need(8) {
			return append(b[:start], trunc...)
		}
		if typ == 8 {
			b = append(b, "echo request, id "...)
		} else {
			b = append(b, "echo reply, id "...)
		}
		b = appendUint(b, uint64(id))
		b = append(b, ", seq "...)
		b = appendUint(b, uint64(seq))
	case 3:
		if !need(28) {
			return append(b[:start], trunc...)
		}
		switch code {
		case 2:
			b = quotedDst(b)
			b = append(b, " protocol "...)
			b = appendUint(b, uint64(data[8+9]))
			b = append(b, " unreachable"...)
		case 3:
			hl := int(data[8]&0x0f) * 4
			if !need(8 + hl + 4) {
				return append(b[:start], trunc...)
			}
			b = quotedDst(b)
			b = appendQuotedPort(b, data[8+9], be16(data[8+hl+2:]))
			b = append(b, " unreachable"...)
		case 4:
			b = quotedDst(b)
			b = append(b, " unreachable - need to frag"...)
			if mtu := be16(data[6:8]); mtu != 0 {
				b = append(b, " (mtu "...)
				b = appendUint(b, uint64(mtu))
				b = append(b, ')')
			}
		default:
			prefix, suffix := icmpUnreachText(code)
			b = append(b, prefix...)
			b = quotedDst(b)
			b = append(b, suffix...)
			if suffix == "" {
				b = append(b, " unreachable - #"...)
				b = appendUint(b, uint64(code))
			}
		}
	case 5:
		if !need(28) {
			return append(b[:start], trunc...)
		}
		if code <= 3 {
			// Codes 0-3: for the net, the host, the TOS and net, the TOS
			// and host (RFC 792).
			if code >= 2 {
				b = append(b, "redirect-tos "...)
			} else {
				b = append(b, "redirect "...)
			}
			b = quotedDst(b)
			if code%2 == 0 {
				b = append(b, " to net "...)
			} else {
				b = append(b, " to host "...)
			}
		} else {
			b = append(b, "redirect-#"...)
			b = appendUint(b, uint64(code))
			b = append(b, ' ')
			b = quotedDst(b)
			b = append(b, " to "...)
		}
		b = appendIPv4(b, data[4:8])
	case 9:
		if !need(8) {
			return append(b[:start], trunc...)
		}
		b = append(b, "router advertisement lifetime "...)
		lt := int(be16(data[6:8]))
		switch {
		case lt < 60:
			b = appendInt(b, lt)
		case lt < 3600:
			b = appendInt(b, lt/60)
			b = append(b, ':')
			b = append2(b, lt%60)
		default:
			b = appendInt(b, lt/3600)
			b = append(b, ':')
			b = append2(b, lt%3600/60)
			b = append(b, ':')
			b = append2(b, lt%60)
		}
		num := int(data[4])
		b = append(b, ' ')
		b = appendInt(b, num)
		b = append(b, ':')
		if size := data[5]; size != 2 {
			b = append(b, " [size "...)
			b = appendUint(b, uint64(size))
			b = append(b, ']')
			break
		}
		for i := 0; i < num; i++ {
			o := 8 + 8*i
			if !need(o + 8) {
				return append(b[:start], trunc...)
			}
			b = append(b, " {"...)
			b = appendIPv4(b, data[o:o+4])
			b = append(b, ' ')
			b = appendUint(b, uint64(be32(data[o+4:])))
			b = append(b, '}')
		}
	case 11:
		if !need(28) {
			return append(b[:start], trunc...)
		}
		b = appendTok(b, icmpTimeExceededCodes, code, "time exceeded-#", "")
	case 12:
		if code != 0 {
			b = append(b, "parameter problem - code "...)
			b = appendUint(b, uint64(code))
		} else {
			if !need(5) {
				return append(b[:start], trunc...)
			}
			b = append(b, "parameter problem - octet "...)
			b = appendUint(b, uint64(data[4]))
		}
	case 18:
		if !need(12) {
			return append(b[:start], trunc...)
		}
		b = append(b, "address mask is 0x"...)
		b = appendHex(b, uint64(be32(data[8:12])), 8)
	case 13:
		if !need(8) {
			return append(b[:start], trunc...)
		}
		b = append(b, "time stamp query id "...)
		b = appendUint(b, uint64(id))
		b = append(b, " seq "...)
		b = appendUint(b, uint64(seq))
	case 14:
		if !need(20) {
			return append(b[:start], trunc...)
		}
		b = append(b, "time stamp reply id "...)
		b = appendUint(b, uint64(id))
		b = append(b, " seq "...)
		b = appendUint(b, uint64(seq))
		b = append(b, ": org "...)
		b = appendICMPTime(b, be32(data[8:12]))
		b = append(b, ", recv "...)
		b = appendICMPTime(b, be32(data[12:16]))
		b = append(b, ", xmit "...)
		b = appendICMPTime(b, be32(data[16:20]))
	default:
		b = appendTok(b, icmpTypes, typ, "type-#", "")
	}
	b = append(b, ", length "...)
	b = appendInt(b, plen)
	if p.Verbose == 0 {
		return b
	}
	if !ip.fragmented && len(data) >= plen {
		if sum := foldSum(sum16(0, data[:plen])); sum != 0 {
			if len(data) < 4 {
				return append(b, trunc...)
			}
			b = append(b, " (wrong icmp cksum "...)
			b = appendCksumFix(b, be16(data[2:4]), sum)
			b = append(b, ')')
		}
	}
	switch typ {
	case 3, 4, 5, 11, 12:
		// tcpdump -v prints the datagram an error quotes (RFC 792) under
		// the line, cut to the length its header gives.
		b = append(b, "\n\t"...)
		if len(data) < 12 {
			return append(b, trunc...)
		}
		quoted := data[8:]
		qlen := int(be16(quoted[2:4]))
		if out, ok := p.inner(b, layers.LayerTypeIPv4, quoted[:min(qlen, len(quoted))], qlen); ok {
			return out
		}
	}
	return b
}

// icmpUnreachText returns the words around the address for destination
// unreachable codes 5 and above.
func icmpUnreachText(code uint8) (prefix, suffix string) {
	switch code {
	case 0:
		return "net ", " unreachable"
	case 1:
		return "host ", " unreachable"
	case 5:
		return "", " unreachable - source route failed"
	case 6:
		return "net ", " unreachable - unknown"
	case 7:
		return "host ", " unreachable - unknown"
	case 8:
		return "", " unreachable - source host isolated"
	case 9:
		return "net ", " unreachable - admin prohibited"
	case 10:
		return "host ", " unreachable - admin prohibited"
	case 11:
		return "net ", " unreachable - tos prohibited"
	case 12:
		return "host ", " unreachable - tos prohibited"
	case 13:
		return "host ", " unreachable - admin prohibited filter"
	case 14:
		return "host ", " unreachable - host precedence violation"
	case 15:
		return "host ", " unreachable - precedence cutoff"
	}
	return "", ""
}

// appendICMPTime appends milliseconds since midnight UTC as HH:MM:SS.mmm.
func appendICMPTime(b []byte, t uint32) []byte {
	b = appendClock(b, int64(t/1000))
	b = append(b, '.')
	return appendPadded(b, uint64(t%1000), 3)
}

// icmp6Print prints an ICMPv6 message as tcpdump's icmp6_print does without
// -v. Message types whose details tcpdump prints as a hex dump (a second
// line) get their name only.
func (p *Printer) icmp6Print(b []byte, d *Decoder, data []byte, length int, ip *ipHeader) []byte {
	const trunc = " [|icmp6]"
	if length == 0 {
		return append(b, "ICMP6, length 0 (invalid)"...)
	}
	if len(data) < 1 {
		return append(b, trunc...)
	}
	typ := data[0]
	icmp := &d.ICMPv6
	if (d.Has(layers.LayerTypeICMPv6) && sameStart(icmp.Contents, data)) || icmp.DecodeFromBytes(data, gopacket.NilDecodeFeedback) == nil {
		typ = icmp.TypeCode.Type()
	}
	if p.Verbose > 0 && !ip.fragmented && len(data) >= length && len(data) >= 4 {
		// RFC 4443 section 2.3: over a pseudo-header, as UDP's.
		field := be16(data[2:4])
		if sum := foldSum(sum16(pseudoSum(ip, 58, length), data[:length])); sum != 0 {
			b = append(b, "[bad icmp6 cksum 0x"...)
			b = appendHex(b, uint64(field), 4)
			b = append(b, " -> 0x"...)
			b = appendHex(b, uint64(shouldBe(field, sum)), 4)
			b = append(b, "!] "...)
		} else {
			b = append(b, "[icmp6 sum ok] "...)
		}
	}
	b = append(b, "ICMP6, "...)
	if name := icmp6TypeName(typ); name != "" {
		b = append(b, name...)
	} else {
		b = append(b, "unknown icmp6 type ("...)
		b = appendUint(b, uint64(typ))
		b = append(b, ')')
	}
	if p.Verbose > 0 {
		switch typ {
		case 133, 134, 135, 136, 137, 145, 147:
			// tcpdump -v puts the length of these here.
			b = append(b, ", length "...)
			b = appendInt(b, length)
		}
	}
	if len(data) < 2 {
		return append(b, trunc...)
	}
	code := data[1]
	need := func(n int) bool { return len(data) >= n }
	addr := func(b []byte, off int) []byte { return appendIPv6(b, data[off:off+16]) }
	switch typ {
	case 1:
		b = append(b, ", "...)
		b = appendTok(b, icmp6UnreachCodes, code, "unknown unreach code (", ")")
		switch code {
		case 0, 1, 3:
			if !need(48) {
				return append(b, trunc...)
			}
			b = append(b, ' ')
			b = addr(b, 32)
		case 2:
			if !need(48) {
				return append(b, trunc...)
			}
			b = append(b, ' ')
			b = addr(b, 32)
			b = append(b, ", source address "...)
			b = addr(b, 16)
		case 4:
			if !need(8) {
				return append(b, trunc...)
			}
			proto, off, ok := upperLayer(data[8:])
			if !ok {
				return append(b, trunc...)
			}
			b = append(b, ", "...)
			b = addr(b, 32)
			b = appendQuotedPort(b, proto, be16(data[8+off+2:]))
			if proto != 6 && proto != 17 {
				b = append(b, " unreachable"...)
			}
		default:
			return b // tcpdump prints a hex dump on the next line
		}
	case 2:
		if !need(8) {
			return append(b, trunc...)
		}
		b = append(b, ", mtu "...)
		b = appendUint(b, uint64(be32(data[4:8])))
	case 3:
		switch code {
		case 0:
			if !need(48) {
				return append(b, trunc...)
			}
			b = append(b, " for "...)
			b = addr(b, 32)
		case 1:
			b = append(b, " (reassembly)"...)
		default:
			b = append(b, ", unknown code ("...)
			b = appendUint(b, uint64(code))
			b = append(b, ')')
		}
	case 4:
		if !need(48) {
			return append(b, trunc...)
		}
		b = appendTok(b, icmp6ParamProblemCodes, code, ", code-#", "")
		if _, ok := icmp6ParamProblemCodes[code]; ok {
			b = appendUint(b, uint64(be32(data[4:8])))
		}
	case 128, 129:
		if !need(8) {
			return append(b, trunc...)
		}
		b = append(b, ", id "...)
		b = appendUint(b, uint64(be16(data[4:6])))
		b = append(b, ", seq "...)
		b = appendUint(b, uint64(be16(data[6:8])))
	case 130:
		switch {
		case length == 24:
			b = appendMLD(b, data)
		case length >= 28:
			b = append(b, " v2"...)
			if !need(24) {
				return append(b, trunc...)
			}
			b = append(b, " [gaddr "...)
			b = addr(b, 8)
			if !need(28) {
				return append(b, trunc...)
			}
			if n := int(be16(data[26:28])); n > 0 {
				if length < 28+n*16 {
					b = append(b, " [invalid number of sources]"...)
				} else {
					b = append(b, ", "...)
					b = appendInt(b, n)
					b = append(b, " source(s)"...)
				}
			}
			b = append(b, ']')
		default:
			b = append(b, " unknown-version (len "...)
			b = appendInt(b, length)
			b = append(b, ") "...)
		}
	case 131, 132:
		b = appendMLD(b, data)
	case 135:
		if !need(24) {
			return append(b, trunc...)
		}
		b = append(b, ", who has "...)
		b = addr(b, 8)
		if p.Verbose > 0 {
			return appendNDOptions(b, data[24:], length-24)
		}
	case 136:
		if !need(24) {
			return append(b, trunc...)
		}
		b = append(b, ", tgt is "...)
		b = addr(b, 8)
		if p.Verbose > 0 { // RFC 4861 section 4.4
			b = append(b, ", Flags ["...)
			b = appendBits(b, ndNAFlags, be32(data[4:8]), ", ", "none")
			b = append(b, ']')
			return appendNDOptions(b, data[24:], length-24)
		}
	case 137:
		if !need(40) {
			return append(b, trunc...)
		}
		b = append(b, ", "...)
		b = addr(b, 24)
		b = append(b, " to "...)
		b = addr(b, 8)
	case 143:
		if length < 8 {
			b = append(b, " [invalid len "...)
			b = appendInt(b, length)
			return append(b, ']')
		}
		if !need(8) {
			return append(b, trunc...)
		}
		b = append(b, ", "...)
		b = appendUint(b, uint64(be16(data[6:8])))
		b = append(b, " group record(s)"...)
	case 144, 146:
		if !need(6) {
			return append(b, trunc...)
		}
		b = append(b, ", id 0x"...)
		b = appendHex(b, uint64(be16(data[4:6])), 4)
	case 155:
		if code&0x80 != 0 {
			b = append(b, ", (SEC) [worktodo]"...)
			break
		}
		b = append(b, ", (CLR)"...)
		b = appendTok(b, icmp6RPLCodes, code, "RPL message, unknown code ", "")
	case 138:
		if !need(16) {
			// tcpdump's router renumbering printer marks the truncation
			// and returns, so the length follows.
			b = append(b, trunc...)
			break
		}
		b = appendTok(b, icmp6RouterRenumberingCodes, code, ", code-#", "")
		b = append(b, ", seq="...)
		b = appendUint(b, uint64(be32(data[4:8])))
	case 133:
		if p.Verbose > 0 {
			return appendNDOptions(b, data[min(8, len(data)):], length-8)
		}
	case 134, 139, 140, 141, 142, 145, 147, 200, 201:
		// Details only with tcpdump -v (or printed by decoders the printer
		// does not mirror).
	default:
		b = append(b, ", length "...)
		return appendInt(b, length)
	}
	if p.Verbose > 0 {
		return b // tcpdump -v leaves the length out (or put it above)
	}
	b = append(b, ", length "...)
	return appendInt(b, length)
}

var ndNAFlags = []bitName{{0x80000000, "router"}, {0x40000000, "solicited"}, {0x20000000, "override"}}

var ndOptionNames = map[uint8]string{1: "source link-address", 2: "destination link-address", 3: "prefix info",
	4: "redirected header", 5: "mtu", 6: "nonce", 7: "advertisement interval", 8: "homeagent information",
	24: "route info", 25: "rdnss", 31: "dnssl", 38: "pref64"}

// appendNDOptions appends Neighbor Discovery options (RFC 4861 section 4.6)
// as tcpdump -v does, one a line: the link-layer addresses and the MTU; it
// stops at options it does not decode.
func appendNDOptions(b []byte, opts []byte, n int) []byte {
	for len(opts) > 0 && n > 0 {
		if len(opts) < 2 {
			return append(b, " [|icmp6]"...)
		}
		typ, olen := opts[0], int(opts[1])*8
		if olen == 0 || olen > len(opts) {
			return append(b, " [|icmp6]"...)
		}
		b = append(b, "\n\t  "...)
		b = append(b, tokStr(ndOptionNames, typ, "unknown")...)
		b = append(b, " option ("...)
		b = appendUint(b, uint64(typ))
		b = append(b, "), length "...)
		b = appendInt(b, olen)
		b = append(b, " ("...)
		b = appendInt(b, olen/8)
		b = append(b, "): "...)
		switch typ {
		case 1, 2:
			b = appendHexBytes(b, opts[2:olen], ':')
		case 5:
			b = append(b, ' ')
			b = appendUint(b, uint64(be32(opts[4:8])))
			if olen != 8 {
				b = append(b, "bad option length"...)
			}
		default:
			return b
		}
		opts, n = opts[olen:], n-olen
	}
	return b
}

// Names of ICMP and ICMPv6 codes, by code, as tcpdump prints them.
var (
	// icmpTypes names the ICMP types printed with nothing after the name
	// (tcpdump's icmp2str).
	icmpTypes = map[uint8]string{4: "source quench", 10: "router solicitation", 15: "information request",
		16: "information reply", 17: "address mask request"}
	icmpTimeExceededCodes  = map[uint8]string{0: "time exceeded in-transit", 1: "ip reassembly time exceeded"}
	icmp6UnreachCodes      = map[uint8]string{0: "unreachable route", 1: " unreachable prohibited", 2: "beyond scope", 3: "unreachable address", 4: "unreachable port"}
	icmp6ParamProblemCodes = map[uint8]string{0: ", erroneous - octet ", 1: ", next header - octet ", 2: ", option - octet ",
		3: ", incomplete header chain - octet "}
	icmp6RPLCodes = map[uint8]string{0: "DODAG Information Solicitation", 1: "DODAG Information Object", 2: "Destination Advertisement Object",
		3: "Destination Advertisement Object Ack"}
	icmp6RouterRenumberingCodes = map[uint8]string{0: ", command", 1: ", result", 255: ", sequence number reset"}
)

// appendQuotedPort appends the protocol and destination port of the packet a
// port unreachable quotes: " tcp port P", " udp port P" or " protocol N port P".
func appendQuotedPort(b []byte, proto uint8, dport uint16) []byte {
	switch proto {
	case 6:
		b = append(b, " tcp port "...)
	case 17:
		b = append(b, " udp port "...)
	default:
		b = append(b, " protocol "...)
		b = appendUint(b, uint64(proto))
		b = append(b, " port "...)
	}
	return appendUint(b, uint64(dport))
}

// appendMLD appends MLDv1's "max resp delay: N addr: A", right after the
// type name as tcpdump does, when the message is captured whole.
func appendMLD(b []byte, data []byte) []byte {
	if len(data) < 24 {
		return b
	}
	b = append(b, "max resp delay: "...)
	b = appendUint(b, uint64(be16(data[4:6])))
	b = append(b, " addr: "...)
	return appendIPv6(b, data[8:24])
}

// upperLayer finds the TCP or UDP header in a quoted IPv6 packet the way
// tcpdump's get_upperlayer does: its protocol and offset, with the port
// fields captured.
func upperLayer(p []byte) (proto uint8, off int, ok bool) {
	if len(p) < 7 {
		return 0, 0, false
	}
	nh := p[6]
	off = 40
	for off < len(p) {
		switch nh {
		case 6, 17:
			if off+4 > len(p) {
				return 0, 0, false
			}
			return nh, off, true
		case 0, 60, 43:
			if off+2 > len(p) {
				return 0, 0, false
			}
			nh, off = p[off], off+(int(p[off+1])+1)*8
		case 44:
			if off+4 > len(p) || be16(p[off+2:])&0xfff8 != 0 {
				return 0, 0, false
			}
			nh, off = p[off], off+8
		case 51:
			if off+2 > len(p) {
				return 0, 0, false
			}
			nh, off = p[off], off+(int(p[off+1])+2)*4
		default:
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// icmp6TypeName is tcpdump's name for an ICMPv6 type, or "".
func icmp6TypeName(t uint8) string {
	switch t {
	case 1:
		return "destination unreachable"
	case 2:
		return "packet too big"
	case 3:
		return "time exceeded in-transit"
	case 4:
		return "parameter problem"
	case 128:
		return "echo request"
	case 129:
		return "echo reply"
	case 130:
		return "multicast listener query"
	case 131:
		return "multicast listener report"
	case 132:
		return "multicast listener done"
	case 133:
		return "router solicitation"
	case 134:
		return "router advertisement"
	case 135:
		return "neighbor solicitation"
	case 136:
		return "neighbor advertisement"
	case 137:
		return "redirect"
	case 138:
		return "router renumbering"
	case 139:
		return "who-are-you request"
	case 140:
		return "who-are-you reply"
	case 141:
		return "inverse neighbor solicitation"
	case 142:
		return "inverse neighbor advertisement"
	case 143:
		return "multicast listener report v2"
	case 144:
		return "ha discovery request"
	case 145:
		return "ha discovery reply"
	case 146:
		return "mobile router solicitation"
	case 147:
		return "mobile router advertisement"
	case 155:
		return "RPL"
	case 200:
		return "mtrace response"
	case 201:
		return "mtrace message"
	}
	return ""
}
