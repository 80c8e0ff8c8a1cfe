package tcpdump

// IPsec: the Authentication Header (RFC 4302) and the Encapsulating
// Security Payload (RFC 4303), in IP and in UDP (RFC 3948), as print-ah.c,
// print-esp.c and print-isakmp.c print them without keys.

// ahPrint prints an authentication header and returns the number of bytes
// it spans (RFC 4302 section 2.2: its length field counts 4-byte words
// minus 2); ok is false when it is cut short.
func ahPrint(b []byte, data []byte) (out []byte, n int, ok bool) {
	const proto = "ah"
	b = append(b, "AH"...)
	if len(data) < 2 {
		return appendTrunc(b, proto), 0, false
	}
	n = (int(data[1]) + 2) * 4
	b = append(b, '(')
	if len(data) < 4 {
		return appendTrunc(b, proto), 0, false
	}
	if rsv := be16(data[2:]); rsv != 0 {
		b = append(b, "reserved=0x"...)
		b = appendHex(b, uint64(rsv), 1)
		b = append(b, "[MustBeZero],"...)
	}
	if len(data) < 8 {
		return appendTrunc(b, proto), 0, false
	}
	b = append(b, "spi=0x"...)
	b = appendHex(b, uint64(be32(data[4:])), 8)
	b = append(b, ',')
	if len(data) < 12 {
		return appendTrunc(b, proto), 0, false
	}
	b = append(b, "seq=0x"...)
	b = appendHex(b, uint64(be32(data[8:])), 1)
	b = append(b, ",icv=0x"...)
	for i := 12; i < n; i++ {
		if i >= len(data) {
			return appendTrunc(b, proto), 0, false
		}
		b = appendHex(b, uint64(data[i]), 2)
	}
	return append(b, "): "...), n, true
}

// espPrint prints the SPI and sequence number of an ESP packet.
func espPrint(b []byte, data []byte, length int) []byte {
	if len(data) <= 8 {
		return appendTrunc(b, "esp")
	}
	b = append(b, "ESP(spi=0x"...)
	b = appendHex(b, uint64(be32(data)), 8)
	b = append(b, ",seq=0x"...)
	b = appendHex(b, uint64(be32(data[4:])), 1)
	b = append(b, "), length "...)
	return appendInt(b, length)
}

// natTPrint prints a datagram of UDP port 4500 (RFC 3948 section 2): a
// NAT keepalive, or ESP in UDP. IKE in UDP (a zero marker) is not printed
// here.
func natTPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	if length == 1 && len(data) >= 1 && data[0] == 0xff {
		return append(b, "isakmp-nat-keep-alive"...), true
	}
	if length < 4 {
		return appendTrunc(b, "isakmp_rfc3948"), true
	}
	if len(data) < 4 {
		return appendTrunc(b, "isakmp_rfc3948"), true
	}
	if be32(data) == 0 {
		return b, false
	}
	b = append(b, "UDP-encap: "...)
	return espPrint(b, data, length), true
}
