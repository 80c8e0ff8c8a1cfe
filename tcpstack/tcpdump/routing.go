package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The routing and tunnelling protocols carried directly in IP, as tcpdump
// prints them without -v: PIM (print-pim.c), EIGRP (print-eigrp.c), OSPFv2
// (print-ospf.c), OSPFv3 (print-ospf6.c) and GRE (print-gre.c).

// appendTrunc appends tcpdump's truncation marker for a protocol: " [|pim]".
func appendTrunc(b []byte, proto string) []byte {
	b = append(b, " [|"...)
	b = append(b, proto...)
	return append(b, ']')
}

// appendShortHeader appends tcpdump's marker for a header longer, by its
// own length field, than what was captured of it:
// " [remaining caplen(12) < header length(20)] [|ip]".
func appendShortHeader(b []byte, caplen, hlen int, proto string) []byte {
	b = append(b, " [remaining caplen("...)
	b = appendInt(b, caplen)
	b = append(b, ") < header length("...)
	b = appendInt(b, hlen)
	b = append(b, ")]"...)
	return appendTrunc(b, proto)
}

// checkLen reports whether the next n bytes are there, by the packet's
// length and in the capture. When they are not, it returns b ended as
// tcpdump ends such a packet: appendInvalid's marks when the length is
// short, the truncation marker when only the capture is.
func checkLen(b []byte, proto string, data []byte, length, n int) ([]byte, bool) {
	if length < n {
		return appendInvalid(b, proto, data, length), false
	}
	if len(data) < n {
		return appendTrunc(b, proto), false
	}
	return b, true
}

// appendInvalid appends tcpdump's " (invalid)" for a packet whose length is
// too short for what it says, and the truncation marker after it when the
// capture does not hold those length bytes either (nd_print_invalid, then
// the check of the remaining bytes).
func appendInvalid(b []byte, proto string, data []byte, length int) []byte {
	b = append(b, " (invalid)"...)
	if len(data) < length {
		return appendTrunc(b, proto)
	}
	return b
}

var pimv2Types = map[uint32]string{0: "Hello", 1: "Register", 2: "Register Stop", 3: "Join / Prune",
	4: "Bootstrap", 5: "Assert", 6: "Graft", 7: "Graft Acknowledgement", 8: "Candidate RP Advertisement",
	9: "Prune Refresh", 10: "DF Election", 11: "ECMP Redirect"}

// pimPrint prints a PIM message (RFC 7761 section 4.9: version in the high
// nibble of the first byte, type in the low one).
func pimPrint(b []byte, data []byte, length int) []byte {
	if len(data) < 1 {
		return appendTrunc(b, "pim")
	}
	ver, typ := data[0]>>4, uint32(data[0]&0x0f)
	b = append(b, "PIMv"...)
	b = appendUint(b, uint64(ver))
	if ver == 2 {
		b = append(b, ", "...)
		b = append(b, tokStr(pimv2Types, typ, "Unknown Type")...)
	}
	b = append(b, ", length "...)
	return appendInt(b, length)
}

var eigrpOpcodes = map[uint32]string{1: "Update", 3: "Query", 4: "Reply", 5: "Hello", 6: "IPX SAP", 7: "Probe"}

// eigrpPrint prints an EIGRP packet's opcode (RFC 7868 section 6.4: a
// 20-byte common header, version 2).
func eigrpPrint(b []byte, data []byte, length int) []byte {
	if len(data) < 20 {
		return appendTrunc(b, "eigrp")
	}
	if data[0] != 2 {
		b = append(b, "EIGRP version "...)
		b = appendUint(b, uint64(data[0]))
		return append(b, " packet not supported"...)
	}
	b = append(b, "EIGRP "...)
	b = appendTok(b, eigrpOpcodes, uint32(data[1]), "unknown (", ")")
	b = append(b, ", length: "...)
	return appendInt(b, length)
}

var ospfTypes = map[uint32]string{1: "Hello", 2: "Database Description", 3: "LS-Request", 4: "LS-Update", 5: "LS-Ack"}

// ospfPrint prints an OSPFv2 packet's version, type and length (RFC 2328
// appendix A.3.1). Like tcpdump, the length leaves out a cryptographic
// (MD5, authentication type 2) trailer of 16 bytes (appendix D.3).
func ospfPrint(b []byte, data []byte, length int) []byte {
	if len(data) < 16 {
		return appendTrunc(b, "ospf2")
	}
	if be16(data[14:16]) == 2 {
		// tcpdump takes the trailer off the captured bytes too.
		length -= 16
		data = data[:len(data)-min(16, len(data))]
		if len(data) < 2 {
			return appendTrunc(b, "ospf2")
		}
	}
	b = appendOSPFType(b, data, "unknown LS-type ", "")
	b = append(b, ", length "...)
	return appendUint(b, uint64(uint32(length)))
}

// ospf6Print prints an OSPFv3 packet's version, type and length (RFC 5340
// appendix A.3.1).
func ospf6Print(b []byte, data []byte, length int) []byte {
	if len(data) < 2 {
		return appendTrunc(b, "ospf3")
	}
	b = appendOSPFType(b, data, "unknown packet type (", ")")
	b = append(b, ", length "...)
	return appendInt(b, length)
}

// appendOSPFType appends the version and the packet type that start the
// common header of both OSPF versions (RFC 2328 appendix A.3.1, RFC 5340
// appendix A.3.1), "OSPFv2, Hello"; a type without a name is printed
// between pre and post, which tcpdump words differently for each version.
func appendOSPFType(b []byte, data []byte, pre, post string) []byte {
	b = append(b, "OSPFv"...)
	b = appendUint(b, uint64(data[0]))
	b = append(b, ", "...)
	return appendTok(b, ospfTypes, uint32(data[1]), pre, post)
}

// GRE header flags (RFC 1701 section 2.1, RFC 2637 section 4.1 for
// version 1, PPTP's enhanced GRE).
const (
	greCP = 0x8000 // checksum present
	greRP = 0x4000 // routing present
	greKP = 0x2000 // key present
	greSP = 0x1000 // sequence number present
	greAP = 0x0080 // acknowledgement present (version 1)
)

// grePrint prints a GRE packet as tcpdump's gre_print does: the version,
// the optional fields it shows without -v, the length, and the payload
// (IPv4, IPv6, or Ethernet for transparent bridging; "gre-proto-0x..."
// for what it does not decode).
func (p *Printer) grePrint(b []byte, data []byte, length int) []byte {
	const proto = "gre"
	if len(data) < 2 || length < 2 {
		return appendTrunc(b, proto)
	}
	flags := be16(data)
	vers := flags & 7
	b = append(b, "GREv"...)
	b = appendUint(b, uint64(vers))
	if vers > 1 {
		return append(b, " ERROR: unknown-version"...)
	}
	rest, n := data[2:], length-2
	// take consumes k bytes of header, reporting false when they are not
	// there (captured or on the wire).
	take := func(k int) ([]byte, bool) {
		if len(rest) < k || n < k {
			return nil, false
		}
		f := rest[:k]
		rest, n = rest[k:], n-k
		return f, true
	}
	f, ok := take(2)
	if !ok {
		return appendTrunc(b, proto)
	}
	prot := be16(f)
	if vers == 1 {
		if flags&greKP != 0 {
			if f, ok = take(4); !ok {
				return appendTrunc(b, proto)
			}
			b = append(b, ", call "...)
			b = appendUint(b, uint64(be32(f)&0xffff))
		}
		if flags&greSP != 0 {
			if f, ok = take(4); !ok {
				return appendTrunc(b, proto)
			}
			b = append(b, ", seq "...)
			b = appendUint(b, uint64(be32(f)))
		}
		if flags&greAP != 0 {
			if f, ok = take(4); !ok {
				return appendTrunc(b, proto)
			}
			b = append(b, ", ack "...)
			b = appendUint(b, uint64(be32(f)))
		}
		if flags&greSP == 0 {
			b = append(b, ", no-payload"...)
		}
		b = p.greProto(b, prot)
		b = append(b, ", length "...)
		b = appendInt(b, length)
		if flags&greSP == 0 {
			return b
		}
		b = append(b, ": "...)
		if prot == 0x880b { // PPP (RFC 2637 section 4.1)
			if out, ok := p.pppPrint(b, rest, n); ok {
				return out
			}
		}
		b = append(b, "gre-proto-0x"...)
		return appendHex(b, uint64(prot), 1)
	}
	if flags&(greCP|greRP) != 0 {
		if _, ok = take(2); !ok { // checksum, shown with -v only
			return appendTrunc(b, proto)
		}
		if f, ok = take(2); !ok {
			return appendTrunc(b, proto)
		}
		b = append(b, ", off 0x"...)
		b = appendHex(b, uint64(be16(f)), 1)
	}
	if flags&greKP != 0 {
		if f, ok = take(4); !ok {
			return appendTrunc(b, proto)
		}
		b = append(b, ", key=0x"...)
		b = appendHex(b, uint64(be32(f)), 1)
	}
	if flags&greSP != 0 {
		if f, ok = take(4); !ok {
			return appendTrunc(b, proto)
		}
		b = append(b, ", seq "...)
		b = appendUint(b, uint64(be32(f)))
	}
	if flags&greRP != 0 {
		// Source route entries (RFC 1701 section 2.2.1).
		for {
			if f, ok = take(4); !ok {
				return appendTrunc(b, proto)
			}
			af, off, srelen := be16(f), int(f[2]), int(f[3])
			if af == 0 && srelen == 0 {
				break
			}
			if b, ok = appendSRE(b, af, off, srelen, rest, n); !ok {
				return appendTrunc(b, proto)
			}
			if _, ok = take(srelen); !ok {
				return appendTrunc(b, proto)
			}
		}
	}
	b = p.greProto(b, prot)
	b = append(b, ", length "...)
	b = appendInt(b, length)
	b = append(b, ": "...)
	var first gopacket.LayerType
	switch prot {
	case 0x0800:
		first = layers.LayerTypeIPv4
	case 0x86dd:
		first = layers.LayerTypeIPv6
	case 0x6558: // transparent Ethernet bridging
		first = layers.LayerTypeEthernet
	}
	if prot == 0x8847 {
		return p.mplsPrint(b, rest, n)
	}
	if first != gopacket.LayerTypeZero {
		if out, ok := p.inner(b, first, rest, n); ok {
			return out
		}
	}
	b = append(b, "gre-proto-0x"...)
	return appendHex(b, uint64(prot), 1)
}

// greProto appends, with -e, the protocol of a GRE or Geneve packet.
func (p *Printer) greProto(b []byte, prot uint16) []byte {
	if !p.LinkHeader {
		return b
	}
	b = append(b, ", proto "...)
	if name := etherTypeName(prot); name != "Unknown" {
		b = append(b, name...)
	} else {
		b = append(b, "unknown"...)
	}
	b = append(b, " (0x"...)
	b = appendHex(b, uint64(prot), 4)
	return append(b, ')')
}

// appendSRE appends a GRE source route entry of address family af (IPv4
// addresses or 2-byte AS numbers, the current one starred). It reports
// false when the entry is cut short.
func appendSRE(b []byte, af uint16, off, srelen int, data []byte, n int) ([]byte, bool) {
	size, name := 0, ""
	switch af {
	case 0x0800:
		size, name = 4, "ip"
	case 0xfffe:
		size, name = 2, "asn"
	default:
		b = append(b, ", (rtaf=0x"...)
		b = appendHex(b, uint64(af), 1)
		return append(b, ')'), true
	}
	b = append(b, ", (rtaf="...)
	b = append(b, name...)
	switch {
	case off%size != 0:
		b = append(b, ", badoffset="...)
		b = appendInt(b, off)
	case srelen%size != 0:
		b = append(b, ", badlength="...)
		b = appendInt(b, srelen)
	case off >= srelen:
		b = append(b, ", badoff/len="...)
		b = appendInt(b, off)
		b = append(b, '/')
		b = appendInt(b, srelen)
	default:
		for i := 0; i < srelen; i += size {
			if len(data) < i+size || n < i+size {
				return append(b, ')'), false
			}
			b = append(b, ' ')
			if i == off {
				b = append(b, '*')
			}
			if size == 4 {
				b = appendIPv4(b, data[i:i+4])
			} else {
				b = appendHex(b, uint64(be16(data[i:])), 1)
			}
		}
	}
	return append(b, ')'), true
}
