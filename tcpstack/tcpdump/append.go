package tcpdump

import "strconv"

// Append-style formatting of addresses and numbers into a reused buffer: the
// per-packet path allocates nothing.

const hexDigits = "0123456789abcdef"

// appendUint appends n in decimal.
func appendUint(b []byte, n uint64) []byte { return strconv.AppendUint(b, n, 10) }

// appendInt appends n in decimal.
func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// appendIPv4 appends a dotted quad; ip must have 4 bytes.
func appendIPv4(b []byte, ip []byte) []byte {
	for i := 0; i < 4; i++ {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendUint(b, uint64(ip[i]))
	}
	return b
}

// appendIPv6 appends an IPv6 address as tcpdump's addrtostr6 (and inet_ntop)
// writes it: the longest run of two or more zero words (the first if tied)
// becomes "::", and ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 part dotted.
// ip must have 16 bytes.
func appendIPv6(b []byte, ip []byte) []byte {
	var w [8]uint16
	for i := range w {
		w[i] = uint16(ip[2*i])<<8 | uint16(ip[2*i+1])
	}
	bestBase, bestLen, curBase, curLen := -1, 0, -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				b = append(b, ':')
			}
			continue
		}
		if i != 0 {
			b = append(b, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			return appendIPv4(b, ip[12:16])
		}
		b = strconv.AppendUint(b, uint64(w[i]), 16)
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		b = append(b, ':')
	}
	return b
}

// AppendAddr appends an IP address as tcpdump prints it: a 4-byte address
// dotted, a 16-byte one as inet_ntop writes it (see appendIPv6), any other
// length as colon-separated hex bytes.
func AppendAddr(b []byte, ip []byte) []byte {
	if len(ip) == 16 {
		return appendIPv6(b, ip)
	}
	if len(ip) == 4 {
		return appendIPv4(b, ip)
	}
	return appendHexBytes(b, ip, ':')
}

// AppendMAC appends a hardware address of any length as tcpdump prints it:
// aa:bb:cc:dd:ee:ff.
func AppendMAC(b []byte, mac []byte) []byte {
	return appendHexBytes(b, mac, ':')
}

// appendHexBytes appends each byte as two hex digits, separated by sep unless
// sep is 0.
func appendHexBytes(b []byte, p []byte, sep byte) []byte {
	for i, c := range p {
		if i > 0 && sep != 0 {
			b = append(b, sep)
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// appendHex appends v in lower-case hex with at least width digits.
func appendHex(b []byte, v uint64, width int) []byte {
	var buf [16]byte
	i := len(buf)
	for v > 0 || i > len(buf)-width {
		i--
		buf[i] = hexDigits[v&15]
		v >>= 4
	}
	return append(b, buf[i:]...)
}

// code is the type of the protocol fields tcpdump names through a table.
type code interface{ ~uint8 | ~uint16 | ~uint32 }

// tokStr returns names[v], or def for a value without a name (tcpdump's
// tok2str with a default that does not show the value).
func tokStr[K code](names map[K]string, v K, def string) string {
	if name, ok := names[v]; ok {
		return name
	}
	return def
}

// appendTok appends names[v] or, for a value without a name, pre, v in
// decimal and post (tcpdump's tok2str with a "%u" default).
func appendTok[K code](b []byte, names map[K]string, v K, pre, post string) []byte {
	if name, ok := names[v]; ok {
		return append(b, name...)
	}
	b = append(b, pre...)
	b = appendUint(b, uint64(v))
	return append(b, post...)
}

// appendTokHex appends names[v] or, for a value without a name, pre, v in
// hex with at least width digits and post (tcpdump's tok2str with a "%x"
// or "%02x" default).
func appendTokHex[K code](b []byte, names map[K]string, v K, pre string, width int, post string) []byte {
	if name, ok := names[v]; ok {
		return append(b, name...)
	}
	b = append(b, pre...)
	b = appendHex(b, uint64(v), width)
	return append(b, post...)
}

func be16(p []byte) uint16 { return uint16(p[0])<<8 | uint16(p[1]) }

func be32(p []byte) uint32 {
	return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
}

// sameStart reports whether two slices start at the same byte.
func sameStart(a, b []byte) bool {
	return len(a) > 0 && len(b) > 0 && &a[0] == &b[0]
}
