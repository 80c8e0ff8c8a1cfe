package tcpdump

// SCTP (RFC 9260) as tcpdump's print-sctp.c prints it without -v: the
// ports, then every chunk's number and type, with the fields of DATA, INIT,
// INIT ACK and SACK chunks.

var sctpChunks = map[uint32]string{0: "DATA", 1: "INIT", 2: "INIT ACK", 3: "SACK", 4: "HB REQ", 5: "HB ACK",
	6: "ABORT", 7: "SHUTDOWN", 8: "SHUTDOWN ACK", 9: "OP ERR", 10: "COOKIE ECHO", 11: "COOKIE ACK",
	12: "ECN ECHO", 13: "ECN CWR", 14: "SHUTDOWN COMPLETE", 0xc0: "FOR CUM TSN", 0xc1: "REL CTRL",
	0xc2: "REL CTRL ACK"}

var sctpPPIDs = map[uint32]string{1: "ISDN Q.921", 2: "M2UA", 3: "M3UA", 4: "SUA", 5: "M2PA", 6: "V5.2",
	7: "H.248", 8: "BICC", 9: "TALI", 10: "DUA", 11: "ASAP", 12: "ENRP", 13: "H.323", 14: "Q.IPC",
	15: "SIMCO", 16: "DDPSC", 17: "DDPSSC", 18: "S1AP", 19: "RUA", 20: "HNBAP", 21: "ForCES HP",
	22: "ForCES MP", 23: "ForCES LP", 24: "SBc-AP", 25: "NBAP", 27: "X2AP"}

// sctpForCES names the ForCES channels' ports (RFC 5811).
var sctpForCES = map[uint16]string{6704: "ForCES HP", 6705: "ForCES MP", 6706: "ForCES LP"}

// sctpPrint prints an SCTP packet: the common header (RFC 9260 section
// 3.1) and its chunks (section 3.2: type, flags, length, padded to 4
// bytes). A ForCES message in a DATA chunk (RFC 5811) is not decoded:
// tcpdump prints its type on a line of its own.
func sctpPrint(b []byte, data []byte, length int, hdr *ipHeader) []byte {
	const proto = "sctp"
	if length < 12 {
		b = append(b, "truncated-sctp - "...)
		b = appendInt(b, 12-length)
		return append(b, " bytes missing!"...)
	}
	if len(data) < 12 {
		return appendTrunc(b, proto)
	}
	sport, dport := be16(data), be16(data[2:])
	b = AppendAddr(b, hdr.src)
	b = append(b, '.')
	b = appendUint(b, uint64(sport))
	b = append(b, " > "...)
	b = AppendAddr(b, hdr.dst)
	b = append(b, '.')
	b = appendUint(b, uint64(dport))
	b = append(b, ": sctp"...)
	for _, port := range [2]uint16{sport, dport} {
		if name := sctpForCES[port]; name != "" {
			b = append(b, '[')
			b = append(b, name...)
			b = append(b, ']')
		}
	}
	data, remain := data[12:], length-12
	sep := " ("
	bogus := func(b []byte, n int) []byte {
		b = append(b, "bogus chunk length "...)
		b = appendInt(b, n)
		return append(b, ']')
	}
	for count := 1; remain != 0; count++ {
		if remain < 4 {
			b = append(b, sep...)
			b = appendInt(b, count)
			return append(b, ") [chunk descriptor cut off at end of packet]"...)
		}
		if len(data) < 4 {
			return appendTrunc(b, proto)
		}
		clen := int(be16(data[2:]))
		if clen < 4 {
			b = append(b, sep...)
			b = appendInt(b, count)
			b = append(b, ") [Bad chunk length "...)
			b = appendInt(b, clen)
			return append(b, ", < size of chunk descriptor]"...)
		}
		align := (4 - clen%4) % 4
		if remain < align {
			b = append(b, sep...)
			b = appendInt(b, count)
			b = append(b, ") [Bad chunk length "...)
			b = appendInt(b, clen)
			return append(b, ", > remaining data in packet]"...)
		}
		if len(data) < clen {
			return appendTrunc(b, proto)
		}
		id, flags := uint32(data[0]), data[1]
		body := data[4:clen]
		b = append(b, sep...)
		b = appendInt(b, count)
		b = append(b, ") ["...)
		b = appendTokHex(b, sctpChunks, id, "Unknown chunk type: 0x", 1, "")
		b = append(b, "] "...)
		switch id {
		case 0: // DATA (section 3.3.1)
			if flags&4 != 0 {
				b = append(b, "(U)"...)
			}
			if flags&2 != 0 {
				b = append(b, "(B)"...)
			}
			if flags&1 != 0 {
				b = append(b, "(E)"...)
			}
			if flags&7 != 0 {
				b = append(b, ' ')
			}
			if len(body) < 12 {
				return bogus(b, clen)
			}
			ppid := be32(body[8:])
			b = append(b, "[TSN: "...)
			b = appendUint(b, uint64(be32(body)))
			b = append(b, "] [SID: "...)
			b = appendUint(b, uint64(be16(body[4:])))
			b = append(b, "] [SSEQ "...)
			b = appendUint(b, uint64(be16(body[6:])))
			b = append(b, "] [PPID "...)
			b = appendTokHex(b, sctpPPIDs, ppid, "0x", 1, "")
			b = append(b, "] "...)
			if len(body) == 12 {
				return bogus(b, clen)
			}
		case 1, 2: // INIT, INIT ACK (sections 3.3.2, 3.3.3)
			if len(body) < 16 {
				return bogus(b, clen)
			}
			b = append(b, "[init tag: "...)
			b = appendUint(b, uint64(be32(body)))
			b = append(b, "] [rwnd: "...)
			b = appendUint(b, uint64(be32(body[4:])))
			b = append(b, "] [OS: "...)
			b = appendUint(b, uint64(be16(body[8:])))
			b = append(b, "] [MIS: "...)
			b = appendUint(b, uint64(be16(body[10:])))
			b = append(b, "] [init TSN: "...)
			b = appendUint(b, uint64(be32(body[12:])))
			b = append(b, "] "...)
		case 3: // SACK (section 3.3.4)
			if len(body) < 12 {
				return bogus(b, clen)
			}
			cum, gaps, dups := be32(body), int(be16(body[8:])), int(be16(body[10:]))
			b = append(b, "[cum ack "...)
			b = appendUint(b, uint64(cum))
			b = append(b, "] [a_rwnd "...)
			b = appendUint(b, uint64(be32(body[4:])))
			b = append(b, "] [#gap acks "...)
			b = appendInt(b, gaps)
			b = append(b, "] [#dup tsns "...)
			b = appendInt(b, dups)
			b = append(b, "] "...)
			// tcpdump prints each gap block and duplicate TSN on a line
			// of its own; the printer keeps them on the packet's line.
			rest := body[12:]
			for i := 0; len(rest) != 0 && i < gaps; i++ {
				if len(rest) < 4 {
					return bogus(b, clen)
				}
				b = append(b, " [gap ack block #"...)
				b = appendInt(b, i+1)
				b = append(b, ": start = "...)
				b = appendUint(b, uint64(cum+uint32(be16(rest))))
				b = append(b, ", end = "...)
				b = appendUint(b, uint64(cum+uint32(be16(rest[2:]))))
				b = append(b, "] "...)
				rest = rest[4:]
			}
			for i := 0; len(rest) != 0 && i < dups; i++ {
				if len(rest) < 4 {
					return bogus(b, clen)
				}
				b = append(b, " [dup TSN #"...)
				b = appendInt(b, i+1)
				b = append(b, ": "...)
				b = appendUint(b, uint64(be32(rest)))
				b = append(b, "] "...)
				rest = rest[4:]
			}
		}
		data, remain = data[clen:], remain-clen
		sep = ", ("
		if align != 0 {
			if len(data) < align {
				return appendTrunc(b, proto)
			}
			data, remain = data[align:], remain-align
		}
	}
	return b
}
