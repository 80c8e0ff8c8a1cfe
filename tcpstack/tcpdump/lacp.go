package tcpdump

// IEEE 802.3 slow protocols (LACP, Marker, OAM; print-slow.c) and IEEE
// 802.1X EAPOL (print-eap.c), as tcpdump prints them without -v.

var slowProtocols = map[uint32]string{1: "LACP", 2: "MARKER", 3: "OAM"}

// slowPrint prints a slow protocol PDU's subtype, version and length
// (IEEE 802.3 annex 43B: subtype 1 LACP, 2 Marker, 3 OAM; LACP and Marker
// carry version 1 in the second byte).
func slowPrint(b []byte, data []byte, length int) []byte {
	const proto = "slow"
	if length < 1 {
		return append(b, " (packet is too short)"...)
	}
	if len(data) < 1 {
		return appendTrunc(b, proto)
	}
	subtype := uint32(data[0])
	version := -1
	switch subtype {
	case 1, 2:
		if length < 2 {
			return append(b, " (packet is too short)"...)
		}
		if len(data) < 2 {
			return appendTrunc(b, proto)
		}
		if data[1] != 1 {
			b = append(b, slowProtocols[subtype]...)
			b = append(b, " version "...)
			b = appendUint(b, uint64(data[1]))
			return append(b, " packet not supported"...)
		}
		version = 1
	}
	b = appendTok(b, slowProtocols, subtype, "unknown (", ")")
	if version >= 0 {
		b = append(b, 'v')
		b = appendInt(b, version)
	}
	b = append(b, ", length "...)
	return appendInt(b, length)
}

var eapolTypes = map[uint32]string{0: "EAP packet", 1: "EAPOL start", 2: "EAPOL logoff", 3: "EAPOL key",
	4: "Encapsulated ASF alert"}

// eapolPrint prints an EAPOL frame's type, version and body length (IEEE
// 802.1X-2020 section 11.3: version, type, 2-byte length).
func eapolPrint(b []byte, data []byte) []byte {
	if len(data) < 4 {
		return appendTrunc(b, "eap")
	}
	typ := uint32(data[1])
	b = append(b, tokStr(eapolTypes, typ, "unknown")...)
	b = append(b, " ("...)
	b = appendUint(b, uint64(typ))
	b = append(b, ") v"...)
	b = appendUint(b, uint64(data[0]))
	b = append(b, ", len "...)
	return appendUint(b, uint64(be16(data[2:])))
}
