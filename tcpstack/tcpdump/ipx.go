package tcpdump

// ipxPrint prints an IPX packet (Novell's IPX specification) as tcpdump's
// ipx_print does: the addresses and sockets, then by destination socket the
// SAP and RIP messages, the other sockets' names and lengths, and EIGRP.
// With -e the "IPX" is left to the caller.
func (p *Printer) ipxPrint(b []byte, data []byte) []byte {
	const header = 30
	if !p.LinkHeader {
		b = append(b, "IPX "...)
	}
	if len(data) < 30 {
		return appendTrunc(b, "ipx")
	}
	b = appendIPXAddr(b, data[18:28])
	b = append(b, '.')
	b = appendHex(b, uint64(be16(data[28:30])), 4)
	b = append(b, " > "...)
	b = appendIPXAddr(b, data[6:16])
	b = append(b, '.')
	b = appendHex(b, uint64(be16(data[16:18])), 4)
	b = append(b, ": "...)
	length := int(be16(data[2:4])) // the IPX header's own length
	if length < header {
		return appendInvalidLength(b[:len(b)-1], "length", length, header)
	}
	payload, n := data[header:], length-header
	switch skt := be16(data[16:18]); skt {
	case 0x0451:
		b = append(b, "ipx-ncp "...)
		return appendInt(b, n)
	case 0x0452:
		return ipxSAP(b, payload, n)
	case 0x0453:
		return ipxRIP(b, payload, n)
	case 0x0455:
		b = append(b, "ipx-netbios "...)
		return appendInt(b, n)
	case 0x0456:
		b = append(b, "ipx-diags "...)
		return appendInt(b, n)
	case 0x0553:
		b = append(b, "ipx-nwlink-dgm "...)
		return appendInt(b, n)
	case 0x85be:
		return eigrpPrint(b, payload, n)
	default:
		b = append(b, "ipx-#"...)
		b = appendHex(b, uint64(skt), 1)
		b = append(b, ' ')
		return appendInt(b, n)
	}
}

// appendIPXAddr appends an IPX network and node: "0a8808aa.00:00:00:00:00:01".
func appendIPXAddr(b []byte, a []byte) []byte {
	b = appendHex(b, uint64(be32(a[0:4])), 8)
	b = append(b, '.')
	return AppendMAC(b, a[4:10])
}

// ipxSAP prints a Service Advertising Protocol message: a request's service
// type, or a response's services (up to 8) with names and addresses.
func ipxSAP(b []byte, p []byte, n int) []byte {
	cmd, p, n, b, ok := ipxCommand(b, p, n)
	if !ok {
		return b
	}
	switch cmd {
	case 1, 3:
		if cmd == 1 {
			b = append(b, "ipx-sap-req "...)
		} else {
			b = append(b, "ipx-sap-nearest-req "...)
		}
		if len(p) < 2 {
			return appendTrunc(b, "ipx")
		}
		return appendHex(b, uint64(be16(p)), 4)
	case 2, 4:
		if cmd == 2 {
			b = append(b, "ipx-sap-resp"...)
		} else {
			b = append(b, "ipx-sap-nearest-resp"...)
		}
		for i := 0; i < 8 && n != 0; i++ {
			if len(p) < 2 {
				return appendTrunc(b, "ipx")
			}
			if n < 2 {
				return append(b, " (invalid)"...)
			}
			b = append(b, ' ')
			b = appendHex(b, uint64(be16(p)), 4)
			b = append(b, " '"...)
			p, n = p[2:], n-2
			if n < 48 {
				return append(b, "' (invalid)"...)
			}
			for j := 0; j < 48; j++ {
				if j >= len(p) {
					return appendTrunc(b, "ipx")
				}
				if p[j] == 0 {
					break
				}
				b = appendCharEscaped(b, p[j])
			}
			b = append(b, '\'')
			p, n = p[min(48, len(p)):], n-48
			if len(p) < 10 {
				return appendTrunc(b, "ipx")
			}
			if n < 10 {
				return append(b, " (invalid)"...)
			}
			b = append(b, " addr "...)
			b = appendIPXAddr(b, p[:10])
			p, n = p[10:], n-10
			if len(p) < 4 {
				return appendTrunc(b, "ipx")
			}
			if n < 4 {
				return append(b, " (invalid)"...)
			}
			p, n = p[4:], n-4
		}
		return b
	}
	b = append(b, "ipx-sap-?"...)
	return appendHex(b, uint64(cmd), 1)
}

// ipxRIP prints an IPX RIP message: a request's network, or a response's
// networks (up to 50) with hops and ticks.
func ipxRIP(b []byte, p []byte, n int) []byte {
	cmd, p, n, b, ok := ipxCommand(b, p, n)
	if !ok {
		return b
	}
	entry := func(b []byte) []byte {
		b = append(b, ' ')
		b = appendHex(b, uint64(be32(p)), 8)
		b = append(b, '/')
		b = appendUint(b, uint64(be16(p[4:])))
		b = append(b, '.')
		return appendUint(b, uint64(be16(p[6:])))
	}
	switch cmd {
	case 1:
		b = append(b, "ipx-rip-req"...)
		if n != 0 {
			if n < 8 {
				return append(b, " (invalid)"...)
			}
			if len(p) < 8 {
				return appendTrunc(b, "ipx")
			}
			b = entry(b)
		}
		return b
	case 2:
		b = append(b, "ipx-rip-resp"...)
		for i := 0; i < 50 && n != 0; i++ {
			if n < 8 {
				return append(b, " (invalid)"...)
			}
			if len(p) < 8 {
				return appendTrunc(b, "ipx")
			}
			b = entry(b)
			p, n = p[8:], n-8
		}
		return b
	}
	b = append(b, "ipx-rip-?"...)
	return appendHex(b, uint64(cmd), 1)
}

// ipxCommand reads the command that starts a SAP or RIP message of n bytes
// (p holds what was captured) and returns the rest; ok is false when b
// ends with a truncation or invalid marker instead.
func ipxCommand(b []byte, p []byte, n int) (cmd uint16, rest []byte, rn int, out []byte, ok bool) {
	if len(p) < 2 {
		return 0, nil, 0, appendTrunc(b, "ipx"), false
	}
	if n < 2 {
		return 0, nil, 0, append(b, " (invalid)"...), false
	}
	return be16(p), p[2:], n - 2, b, true
}
