package tcpdump

// What tcpdump -v adds to the line: the IP headers' fields, checksums and
// the line break with four spaces after an IPv4 header.

// sum16 adds data to a one's complement sum as 16-bit big-endian words (an
// odd last byte padded with zero), without folding (RFC 1071 section 4.1).
func sum16(sum uint32, data []byte) uint32 {
	for len(data) >= 2 {
		sum += uint32(data[0])<<8 | uint32(data[1])
		data = data[2:]
	}
	if len(data) == 1 {
		sum += uint32(data[0]) << 8
	}
	return sum
}

// foldSum folds a one's complement sum to 16 bits and complements it: 0
// for data whose checksum field is right.
func foldSum(sum uint32) uint16 {
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// shouldBe returns the checksum field that would have made the data's sum
// right, as tcpdump's in_cksum_shouldbe does: field is the value in the
// packet, computed the folded sum over the data with it.
func shouldBe(field, computed uint16) uint16 {
	s := uint32(field) + uint32(computed)
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	return uint16(s)
}

// appendCksumFix appends a wrong checksum field and the one that would be
// right as tcpdump -v writes them for IP and ICMP: "3030 (->2947)!".
func appendCksumFix(b []byte, field, sum uint16) []byte {
	b = appendHex(b, uint64(field), 1)
	b = append(b, " (->"...)
	b = appendHex(b, uint64(shouldBe(field, sum)), 1)
	return append(b, ")!"...)
}

// pseudoSum is the sum of the pseudo-header of the transport checksums
// (RFC 9293 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6) for a
// segment of length bytes of protocol proto.
func pseudoSum(ip *ipHeader, proto uint8, length int) uint32 {
	s := sum16(0, ip.src)
	s = sum16(s, ip.cksumDst())
	if ip.v6 {
		s += uint32(length>>16) + uint32(length&0xffff)
	} else {
		s += uint32(length & 0xffff)
	}
	return s + uint32(proto)
}

// cksumDst is the destination address the pseudo-header holds: the final
// destination of a source route (IPv4 LSRR/SSRR option, IPv6 routing
// header), else the header's destination.
func (ip *ipHeader) cksumDst() []byte {
	if ip.finalDst != nil {
		return ip.finalDst
	}
	return ip.dst
}

// appendTransportCksum appends tcpdump -v's ", cksum 0x1234 (correct)" or
// "(incorrect -> 0x5678)" for a TCP segment seg (whole) over ip.
func appendTCPCksum(b []byte, ip *ipHeader, seg []byte) []byte {
	b = append(b, ", "...)
	return appendCksumVerdict(b, be16(seg[16:18]), foldSum(sum16(pseudoSum(ip, 6, len(seg)), seg)))
}

// appendCksumVerdict appends "cksum 0x1234 (correct)" or "cksum 0x1234
// (incorrect -> 0x5678)" for a checksum field and the folded sum computed
// over the data with it, as tcpdump -v writes them for TCP and DCCP.
func appendCksumVerdict(b []byte, field, sum uint16) []byte {
	b = append(b, "cksum 0x"...)
	b = appendHex(b, uint64(field), 4)
	if sum != 0 {
		b = append(b, " (incorrect -> 0x"...)
		b = appendHex(b, uint64(shouldBe(field, sum)), 4)
		return append(b, ')')
	}
	return append(b, " (correct)"...)
}

// appendUDPCksum appends tcpdump -v's verdict on the checksum of a UDP
// datagram of n bytes (data holds what was captured of it): "[udp sum ok] ",
// "[bad udp cksum 0x1234 -> 0x5678!] ", "[no cksum] " (IPv4 only: RFC 768
// lets the sender leave it out), or nothing when it was not all captured.
func appendUDPCksum(b []byte, ip *ipHeader, data []byte, n int) []byte {
	field := be16(data[6:8])
	if !ip.v6 && field == 0 {
		return append(b, "[no cksum] "...)
	}
	if len(data) < n {
		return b
	}
	sum := foldSum(sum16(pseudoSum(ip, 17, n), data[:n]))
	if sum == 0 {
		return append(b, "[udp sum ok] "...)
	}
	b = append(b, "[bad udp cksum 0x"...)
	b = appendHex(b, uint64(field), 4)
	b = append(b, " -> 0x"...)
	b = appendHex(b, uint64(shouldBe(field, sum)), 4)
	return append(b, "!] "...)
}

// ipProtoNames are tcpdump's names of IP protocols in the -v header.
var ipProtoNames = map[uint8]string{
	0: "Options", 1: "ICMP", 2: "IGMP", 4: "IPIP", 6: "TCP", 8: "EGP", 9: "IGRP",
	17: "UDP", 33: "DCCP", 41: "IPv6", 43: "Routing", 44: "Fragment", 46: "RSVP",
	47: "GRE", 50: "ESP", 51: "AH", 55: "Mobile IP", 58: "ICMPv6", 62: "Mobile IP (old)",
	88: "EIGRP", 89: "OSPF", 103: "PIM", 108: "Compressed IP", 112: "VRRP", 113: "PGM",
	132: "SCTP", 135: "Mobility", 143: "Ethernet",
}

func appendIPProto(b []byte, proto uint8) []byte {
	if n, ok := ipProtoNames[proto]; ok {
		b = append(b, n...)
	} else {
		b = append(b, "unknown"...)
	}
	b = append(b, " ("...)
	b = appendUint(b, uint64(proto))
	return append(b, ')')
}

// appendIPv4Verbose appends what tcpdump -v prints after "IP " for an IPv4
// header h (hlen bytes, of which len(h) were captured): its fields in
// parentheses and the line break with four spaces. It reports false when
// an option was cut short: tcpdump then prints the addresses and stops.
func appendIPv4Verbose(b []byte, h []byte, hlen int) ([]byte, bool) {
	tos := h[1]
	b = append(b, "(tos 0x"...)
	b = appendHex(b, uint64(tos), 1)
	switch tos & 3 { // ECN, RFC 3168 section 5
	case 1:
		b = append(b, ",ECT(1)"...)
	case 2:
		b = append(b, ",ECT(0)"...)
	case 3:
		b = append(b, ",CE"...)
	}
	if h[8] >= 1 {
		b = append(b, ", ttl "...)
		b = appendUint(b, uint64(h[8]))
	}
	off := be16(h[6:8])
	b = append(b, ", id "...)
	b = appendUint(b, uint64(be16(h[4:6])))
	b = append(b, ", offset "...)
	b = appendUint(b, uint64(off&0x1fff)*8)
	b = append(b, ", flags ["...)
	if off&0xe000 == 0 {
		b = append(b, "none"...)
	} else {
		sep := ""
		for _, f := range []struct {
			bit  uint16
			name string
		}{{0x2000, "+"}, {0x4000, "DF"}, {0x8000, "rsvd"}} {
			if off&f.bit != 0 {
				b = append(b, sep...)
				b = append(b, f.name...)
				sep = ", "
			}
		}
	}
	b = append(b, "], proto "...)
	b = appendIPProto(b, h[9])
	b = append(b, ", length "...)
	b = appendUint(b, uint64(be16(h[2:4])))
	ok := true
	if hlen > 20 {
		b = append(b, ", options ("...)
		b, ok = appendIPOptions(b, h[20:min(hlen, len(h))], hlen-20)
		if !ok {
			b = append(b, " [truncated-option]"...)
		}
		b = append(b, ')')
	}
	if hlen <= len(h) {
		if sum := foldSum(sum16(0, h[:hlen])); sum != 0 {
			b = append(b, ", bad cksum "...)
			b = appendCksumFix(b, be16(h[10:12]), sum)
		}
	}
	return append(b, ")\n    "...), ok
}

// appendIPOptions appends IPv4 options (RFC 791 section 3.1) as tcpdump's
// ip_optprint does; opts are the captured bytes of the n bytes of options.
// It reports false when an option runs past the captured bytes.
func appendIPOptions(b []byte, opts []byte, n int) ([]byte, bool) {
	for i := 0; i < n; {
		if i > 0 {
			b = append(b, ',')
		}
		if i >= len(opts) {
			return b, false
		}
		code := opts[i]
		switch code {
		case 0:
			b = append(b, "EOL"...)
		case 1:
			b = append(b, "NOP"...)
		case 68:
			b = append(b, "timestamp"...)
		case 130:
			b = append(b, "security"...)
		case 7:
			b = append(b, "RR"...)
		case 137:
			b = append(b, "SSRR"...)
		case 131:
			b = append(b, "LSRR"...)
		case 148:
			b = append(b, "RA"...)
		case 82:
			b = append(b, "traceroute"...)
		default:
			b = append(b, "unknown "...)
			b = appendUint(b, uint64(code))
		}
		olen := 1
		if code > 1 {
			if i+1 >= len(opts) {
				return b, false
			}
			olen = int(opts[i+1])
			if olen < 2 {
				b = append(b, " [bad length "...)
				b = appendInt(b, olen)
				return append(b, ']'), true
			}
		}
		if olen > n-i {
			b = append(b, " [bad length "...)
			b = appendInt(b, olen)
			return append(b, ']'), true
		}
		if i+olen > len(opts) {
			return b, false
		}
		o := opts[i : i+olen]
		switch code {
		case 0:
			return b, true
		case 68:
			var ok bool
			if b, ok = appendIPTimestamp(b, o); !ok {
				return b, false
			}
		case 7, 131, 137:
			b = appendIPRoute(b, o)
		case 148:
			if olen < 4 {
				b = append(b, " [bad length "...)
				b = appendInt(b, olen)
				b = append(b, ']')
			} else if v := be16(o[2:4]); v != 0 {
				b = append(b, " value "...)
				b = appendUint(b, uint64(v))
			}
		}
		i += olen
	}
	return b, true
}

// appendIPRoute prints the addresses of a record route or source route
// option (RFC 791 section 3.1), a comma after those already passed.
func appendIPRoute(b []byte, o []byte) []byte {
	n := len(o)
	if n < 3 {
		b = append(b, " [bad length "...)
		b = appendInt(b, n)
		return append(b, ']')
	}
	if (n+1)&3 != 0 {
		b = append(b, " [bad length "...)
		b = appendInt(b, n)
		b = append(b, ']')
	}
	ptr := int(o[2]) - 1
	if ptr < 3 || (ptr+1)&3 != 0 || ptr > n+1 {
		b = append(b, " [bad ptr "...)
		b = appendUint(b, uint64(o[2]))
		b = append(b, ']')
	}
	for i := 3; i+4 <= n; i += 4 {
		b = append(b, ' ')
		b = appendIPv4(b, o[i:i+4])
		if ptr > i {
			b = append(b, ',')
		}
	}
	return b
}

// appendIPTimestamp prints an IPv4 timestamp option (RFC 791 section 3.1).
// It reports false when a hop runs past the option.
func appendIPTimestamp(b []byte, o []byte) ([]byte, bool) {
	n := len(o)
	if n < 4 {
		b = append(b, "[bad length "...)
		b = appendInt(b, n)
		return append(b, ']'), true
	}
	b = append(b, " TS{"...)
	hop := 8
	if o[3]&0xf == 0 {
		hop = 4
	}
	if (n-4)&(hop-1) != 0 {
		b = append(b, "[bad length "...)
		b = appendInt(b, n)
		b = append(b, ']')
	}
	ptr := int(o[2]) - 1
	if ptr < 4 || (ptr-4)&(hop-1) != 0 || ptr > n+1 {
		b = append(b, "[bad ptr "...)
		b = appendUint(b, uint64(o[2]))
		b = append(b, ']')
	}
	i := 0
	switch o[3] & 0xf {
	case 0:
		b = append(b, "TSONLY"...)
	case 1:
		b = append(b, "TS+ADDR"...)
	case 3:
		b = append(b, "PRESPEC"...)
	default:
		b = append(b, "[bad ts type "...)
		b = appendUint(b, uint64(o[3]&0xf))
		b = append(b, ']')
		goto done
	}
	for i = 4; i < n; i += hop {
		if i+hop > n {
			return b, false
		}
		if ptr == i {
			b = append(b, " ^ "...)
		} else {
			b = append(b, ' ')
		}
		b = appendUint(b, uint64(be32(o[i+hop-4:])))
		b = append(b, '@')
		if hop == 8 {
			b = appendIPv4(b, o[i:i+4])
		}
	}
done:
	if ptr == i {
		b = append(b, " ^ "...)
	}
	if o[3]>>4 != 0 {
		b = append(b, " ["...)
		b = appendUint(b, uint64(o[3]>>4))
		return append(b, " hops not recorded]} "...), true
	}
	return append(b, '}'), true
}

// appendIPv6Verbose appends tcpdump -v's parenthesised IPv6 header fields
// and the space after them.
func appendIPv6Verbose(b []byte, h []byte) []byte {
	flow := be32(h[0:4])
	b = append(b, '(')
	if flow&0x0ff00000 != 0 {
		b = append(b, "class 0x"...)
		b = appendHex(b, uint64(flow&0x0ff00000>>20), 2)
		b = append(b, ", "...)
	}
	if flow&0xfffff != 0 {
		b = append(b, "flowlabel 0x"...)
		b = appendHex(b, uint64(flow&0xfffff), 5)
		b = append(b, ", "...)
	}
	b = append(b, "hlim "...)
	b = appendUint(b, uint64(h[7]))
	b = append(b, ", next-header "...)
	b = appendIPProto(b, h[6])
	b = append(b, " payload length: "...)
	b = appendUint(b, uint64(be16(h[4:6])))
	return append(b, ") "...)
}

// ipv4FinalDst returns the last address of a loose or strict source route
// option (RFC 791 section 3.1) among an IPv4 header's options, the final
// destination the transport checksums cover, or nil.
func ipv4FinalDst(opts []byte) []byte {
	for len(opts) > 0 {
		code := opts[0]
		if code == 0 {
			return nil
		}
		n := 1
		if code != 1 {
			if len(opts) < 2 || opts[1] < 2 {
				return nil
			}
			n = int(opts[1])
		}
		if n > len(opts) {
			return nil
		}
		if (code == 131 || code == 137) && n >= 7 {
			return opts[n-4 : n]
		}
		opts = opts[n:]
	}
	return nil
}

// appendDump appends data as the hex dump tcpdump prints under a packet it
// cannot decode further (its default printer): lines of 16 bytes after a
// newline and a tab, "0x0010:", the bytes in pairs and as characters
// (printable ones, else "."). The printer adds it with -v only, where a
// packet's text may span lines.
func appendDump(b []byte, data []byte) []byte {
	for off := 0; off < len(data); off += 16 {
		line := data[off:min(off+16, len(data))]
		b = append(b, "\n\t0x"...)
		b = appendHex(b, uint64(off), 4)
		b = append(b, ": "...)
		start := len(b)
		for i := 0; i < len(line); i += 2 {
			b = append(b, ' ')
			b = appendHex(b, uint64(line[i]), 2)
			if i+1 < len(line) {
				b = appendHex(b, uint64(line[i+1]), 2)
			}
		}
		for len(b)-start < 40 {
			b = append(b, ' ')
		}
		b = append(b, "  "...)
		for _, c := range line {
			if c < 0x21 || c > 0x7e {
				c = '.'
			}
			b = append(b, c)
		}
	}
	return b
}
