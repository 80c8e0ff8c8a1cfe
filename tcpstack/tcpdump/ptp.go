package tcpdump

// PTP, the Precision Time Protocol (IEEE 1588-2008), over UDP (ports 319
// and 320) and Ethernet (ethertype 0x88f7), as print-ptp.c prints it.

var (
	ptpMsgTypes = map[uint32]string{0x0: "sync msg", 0x1: "delay req msg", 0x2: "peer delay req msg",
		0x3: "peer delay resp msg", 0x8: "follow up msg", 0x9: "delay resp msg", 0xa: "pdelay resp fup msg",
		0xb: "announce msg", 0xc: "signalling msg", 0xd: "management msg"}
	ptpControls = map[uint32]string{0: "Sync", 1: "Delay_Req", 2: "Follow_Up", 3: "Delay_Resp", 4: "Management", 5: "Other"}
	ptpFlags    = []bitName{{0x1, "l1 61"}, {0x2, "l1 59"}, {0x4, "utc reasonable"}, {0x8, "timescale"},
		{0x10, "time tracable"}, {0x20, "frequency tracable"}, {0x100, "alternate master"}, {0x200, "two step"},
		{0x400, "unicast"}, {0x1000, "profile specific 1"}, {0x2000, "profile specific 2"},
		{0x4000, "security mask"}, {0x18c0, "unknown"}}
)

func ptpPrintUDP(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	return ptpPrint(b, data, length), true
}

// be48 reads a 6-byte big-endian number.
func be48(p []byte) uint64 {
	return uint64(be16(p))<<32 | uint64(be32(p[2:]))
}

func be64(p []byte) uint64 { return uint64(be32(p))<<32 | uint64(be32(p[4:])) }

// ptpPrint prints a PTP message: tcpdump 4.99 takes the version from the
// second byte whole (a PTPv2.1 message, 0x12, is "PTPv18"), prints the
// common header of version 2 (IEEE 1588-2008 section 13.3) and the body
// of some message types.
func ptpPrint(b []byte, data []byte, length int) []byte {
	const proto = "ptp"
	if length < 34 {
		return appendInvalidLength(b, "length", length, 34)
	}
	if len(data) < 2 {
		return appendTrunc(b, proto)
	}
	vers := data[1]
	b = append(b, "PTPv"...)
	b = appendUint(b, uint64(vers))
	switch vers {
	case 1:
		return append(b, " (not implemented)"...)
	case 2:
	default:
		return b
	}
	b, ok := ptpHeader(b, data)
	if !ok {
		return appendTrunc(b, proto)
	}
	body := data[34:]
	ts := func(b []byte, name string, comma bool) ([]byte, bool) {
		b = append(b, ", "...)
		b = append(b, name...)
		b = append(b, " :"...)
		if len(body) < 6 {
			return b, false
		}
		b = append(b, ' ')
		b = appendUint(b, be48(body))
		if comma {
			b = append(b, " seconds,"...)
		} else {
			b = append(b, " seconds"...)
		}
		if len(body) < 10 {
			return b, false
		}
		b = append(b, ' ')
		b = appendUint(b, uint64(be32(body[6:])))
		b = append(b, " nanoseconds"...)
		body = body[10:]
		return b, true
	}
	portID := func(b []byte) ([]byte, bool) {
		if len(body) < 8 {
			return b, false
		}
		b = append(b, ", port identity : 0x"...)
		b = appendHex(b, be64(body), 1)
		if len(body) < 10 {
			return b, false
		}
		b = append(b, ", port id : "...)
		b = appendUint(b, uint64(be16(body[8:])))
		return b, true
	}
	switch data[0] & 0x0f {
	case 0x0, 0x1: // sync, delay request
		b, ok = ts(b, "originTimeStamp", true)
	case 0x8: // follow up
		b, ok = ts(b, "preciseOriginTimeStamp", true)
	case 0x2, 0xa: // peer delay request, peer delay response follow up
		if b, ok = ts(b, "preciseOriginTimeStamp", true); ok {
			b, ok = portID(b)
		}
	case 0x3, 0x9: // peer delay response, delay response
		if b, ok = ts(b, "receiveTimeStamp", true); ok {
			b, ok = portID(b)
		}
	case 0xb: // announce
		b, ok = ptpAnnounce(b, body, ts)
	case 0xc: // signalling
		b, ok = portID(b)
	case 0xd: // management: tcpdump reads its fields from the port identity
		if b, ok = portID(b); ok {
			for _, f := range []struct {
				name string
				hex  bool
			}{{"start boundary hops", false}, {"boundary hops", false}, {"flags", true}, {"reserved", true}} {
				b = append(b, ", , "...)
				b = append(b, f.name...)
				b = append(b, "  "...)
				if f.hex {
					b = append(b, "0x"...)
					b = appendHex(b, uint64(body[0]), 1)
				} else {
					b = appendUint(b, uint64(body[0]))
				}
			}
		}
	}
	if !ok {
		return appendTrunc(b, proto)
	}
	return b
}

// ptpHeader appends the fields of a PTPv2 common header (IEEE 1588-2008
// section 13.3), as far as they were captured; ok is false when one was
// not.
func ptpHeader(b []byte, h []byte) ([]byte, bool) {
	b = append(b, ", v1 compat : "...)
	if h[0]&0x10 != 0 {
		b = append(b, "yes"...)
	} else {
		b = append(b, "no"...)
	}
	b = append(b, ", msg type : "...)
	b = append(b, tokStr(ptpMsgTypes, uint32(h[0]&0x0f), "Reserved")...)
	// Each field with the bytes of the header it needs captured.
	steps := []struct {
		need  int
		print func([]byte) []byte
	}{
		{4, func(b []byte) []byte { return appendUint(append(b, ", length : "...), uint64(be16(h[2:]))) }},
		{6, func(b []byte) []byte {
			b = appendUint(append(b, ", domain : "...), uint64(h[4]))
			return appendUint(append(b, ", reserved1 : "...), uint64(h[5]))
		}},
		{8, func(b []byte) []byte {
			b = appendBits(append(b, ", Flags ["...), ptpFlags, uint32(be16(h[6:])), ", ", "none")
			return append(b, ']')
		}},
		{14, func(b []byte) []byte { return appendUint(append(b, ", NS correction : "...), be48(h[8:])) }},
		{16, func(b []byte) []byte { return appendUint(append(b, ", sub NS correction : "...), uint64(be16(h[14:]))) }},
		{20, func(b []byte) []byte { return appendUint(append(b, ", reserved2 : "...), uint64(be32(h[16:]))) }},
		{28, func(b []byte) []byte { return appendHex(append(b, ", clock identity : 0x"...), be64(h[20:]), 1) }},
		{30, func(b []byte) []byte { return appendUint(append(b, ", port id : "...), uint64(be16(h[28:]))) }},
		{32, func(b []byte) []byte { return appendUint(append(b, ", seq id : "...), uint64(be16(h[30:]))) }},
		{33, func(b []byte) []byte {
			b = appendUint(append(b, ", control : "...), uint64(h[32]))
			b = append(b, " ("...)
			b = append(b, tokStr(ptpControls, uint32(h[32]), "Reserved")...)
			return append(b, ')')
		}},
		{34, func(b []byte) []byte { return appendUint(append(b, ", log message interval : "...), uint64(h[33])) }},
	}
	for _, st := range steps {
		if len(h) < st.need {
			return b, false
		}
		b = st.print(b)
	}
	return b, true
}

// ptpAnnounce appends the body of an announce message (IEEE 1588-2008
// section 13.5).
func ptpAnnounce(b []byte, body []byte, ts func([]byte, string, bool) ([]byte, bool)) ([]byte, bool) {
	b, ok := ts(b, "originTimeStamp", false)
	if !ok {
		return b, false
	}
	body = body[10:]
	type field struct {
		name string
		size int
		hex  bool
	}
	for _, f := range []field{{", origin cur utc :", 2, false}, {", rsvd : ", 1, false}, {", gm priority_1 : ", 1, false},
		{", gm clock class : ", 1, false}, {", gm clock accuracy : ", 1, false}, {", gm clock variance : ", 2, false},
		{", gm priority_2 : ", 1, false}, {", gm clock id : 0x", 8, true}, {", steps removed : ", 2, false},
		{", time source : 0x", 1, true}} {
		if len(body) < f.size {
			return b, false
		}
		b = append(b, f.name...)
		var v uint64
		switch f.size {
		case 1:
			v = uint64(body[0])
		case 2:
			v = uint64(be16(body))
		case 8:
			v = be64(body)
		}
		if f.hex {
			b = appendHex(b, v, 1)
		} else {
			b = appendUint(b, v)
		}
		body = body[f.size:]
	}
	return b, true
}
