package tcpdump

// cdpLimits are the value lengths print-cdp.c accepts for the CDP TLVs
// that have limits: minimum, maximum (-1 for none).
var cdpLimits = map[uint16][2]int{0x04: {4, 4}, 0x0a: {2, 2}, 0x0b: {1, 1}, 0x0e: {3, 3}, 0x0f: {2, 3},
	0x10: {1, 3}, 0x11: {4, 4}, 0x12: {1, 1}, 0x13: {1, 1}, 0x16: {4, -1}, 0x17: {1, -1}}

// cdpNames are the names of the CDP TLV types (print-cdp.c's cdptlvs).
var cdpNames = map[uint16]string{0x01: "Device-ID", 0x02: "Address", 0x03: "Port-ID", 0x04: "Capability",
	0x05: "Version String", 0x06: "Platform", 0x07: "Prefixes", 0x08: "Protocol-Hello option",
	0x09: "VTP Management Domain", 0x0a: "Native VLAN ID", 0x0b: "Duplex", 0x0e: "ATA-186 VoIP VLAN assignment",
	0x0f: "ATA-186 VoIP VLAN request", 0x10: "power consumption", 0x11: "MTU", 0x12: "AVVID trust bitmap",
	0x13: "AVVID untrusted ports CoS", 0x14: "System Name", 0x15: "System Object ID (not decoded)",
	0x16: "Management Addresses", 0x17: "Physical Location"}

// cdpPrint prints a Cisco Discovery Protocol message (a 4-byte header of
// version, TTL and checksum, then type-length-value fields whose length
// counts their 4-byte header) as print-cdp.c does without -v: version, TTL
// and the device ID. tcpdump dumps the other fields in hex on the lines
// below and ends with the length; like everywhere a hex dump follows, the
// printer prints the first line only.
func cdpPrint(b []byte, data []byte, length int) []byte {
	const proto = "cdp"
	// tooShort appends " (packet length 3 < 4) (invalid)".
	tooShort := func(b []byte, what string, data []byte, length int) []byte {
		b = append(b, " ("...)
		b = append(b, what...)
		b = appendInt(b, length)
		b = append(b, " < 4)"...)
		return appendInvalid(b, proto, data, length)
	}
	orig := length
	if length < 4 {
		return tooShort(b, "packet length ", data, length)
	}
	if len(data) < 2 {
		return appendTrunc(b, proto)
	}
	b = append(b, "CDPv"...)
	b = appendUint(b, uint64(data[0]))
	b = append(b, ", ttl: "...)
	b = appendUint(b, uint64(data[1]))
	b = append(b, 's')
	if len(data) < 4 {
		return appendTrunc(b, proto)
	}
	data, length = data[4:], length-4
	for length > 0 {
		if length < 4 {
			return tooShort(b, "remaining packet length ", data, length)
		}
		if len(data) < 4 {
			return appendTrunc(b, proto)
		}
		typ, n := be16(data), int(be16(data[2:]))
		name, known := cdpNames[typ]
		if typ > 0x17 || !known {
			name = "unknown field type"
		}
		if n < 4 {
			b = append(b, ", "...)
			b = append(b, name...)
			b = append(b, " TLV length "...)
			b = appendInt(b, n)
			b = append(b, " too short"...)
			return appendInvalid(b, proto, data, length)
		}
		if n > length {
			b = append(b, " (TLV length "...)
			b = appendInt(b, n)
			b = append(b, " > "...)
			b = appendInt(b, length)
			b = append(b, ')')
			return appendInvalid(b, proto, data, length)
		}
		data, length, n = data[4:], length-4, n-4
		if typ == 1 {
			b = append(b, ", Device-ID "...)
		}
		covered := false
		if typ <= 0x17 {
			lim, limited := cdpLimits[typ]
			if limited && (n < lim[0] || (lim[1] > 0 && n > lim[1])) {
				b = append(b, " (malformed TLV)"...)
			} else if typ == 1 {
				b = append(b, '\'')
				for i := 0; i < n; i++ {
					if i >= len(data) {
						return appendTrunc(b, proto)
					}
					b = appendCharEscaped(b, data[i])
				}
				b = append(b, '\'')
				covered = true
			}
		}
		if len(data) < n {
			return appendTrunc(b, proto)
		}
		if !covered {
			return b // tcpdump dumps the field in hex on the next lines
		}
		data, length = data[n:], length-n
	}
	b = append(b, ", length "...)
	return appendInt(b, orig)
}
