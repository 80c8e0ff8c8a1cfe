package tcpdump

// Small application and link protocols tcpdump prints in one line without
// -v: NTP (print-ntp.c), DHCPv6 (print-dhcp6.c), RADIUS (print-radius.c),
// RIP (print-rip.c) and LLDP (print-lldp.c).

var ntpModes = [8]string{"unspecified", "symmetric active", "symmetric passive", "Client", "Server", "Broadcast",
	"Control Message", "Reserved"}

// ntpPrint prints an NTP message's version and mode (RFC 5905 section
// 7.3).
func ntpPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	if len(data) < 1 {
		return appendTrunc(b, "ntp"), true
	}
	b = append(b, "NTPv"...)
	b = appendUint(b, uint64(data[0]>>3&7))
	b = append(b, ", "...)
	b = append(b, ntpModes[data[0]&7]...)
	b = append(b, ", length "...)
	return appendInt(b, length), true
}

var dhcp6Types = map[uint8]string{1: "solicit", 2: "advertise", 3: "request", 4: "confirm", 5: "renew", 6: "rebind",
	7: "reply", 8: "release", 9: "decline", 10: "reconfigure", 11: "inf-req", 12: "relay-fwd", 13: "relay-reply",
	14: "leasequery", 15: "leasequery-reply"}

// dhcp6Print prints a DHCPv6 message's type (RFC 8415 section 7.3).
func dhcp6Print(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	b = append(b, "dhcp6"...)
	if len(data) < 4 {
		return appendTrunc(b, "dhcp6"), true
	}
	b = append(b, ' ')
	return appendTok(b, dhcp6Types, data[0], "msgtype-", ""), true
}

var radiusCodes = map[uint32]string{1: "Access-Request", 2: "Access-Accept", 3: "Access-Reject", 4: "Accounting-Request",
	5: "Accounting-Response", 11: "Access-Challenge", 12: "Status-Server", 13: "Status-Client", 40: "Disconnect-Request",
	41: "Disconnect-ACK", 42: "Disconnect-NAK", 43: "CoA-Request", 44: "CoA-ACK", 45: "CoA-NAK", 255: "Reserved"}

// radiusPrint prints a RADIUS packet's code, identifier and length (RFC
// 2865 section 3).
func radiusPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	if len(data) < 20 {
		return appendTrunc(b, "radius"), true
	}
	n := int(be16(data[2:]))
	if n < 20 {
		return appendTrunc(b, "radius"), true
	}
	n = min(n, length)
	b = append(b, "RADIUS, "...)
	b = append(b, tokStr(radiusCodes, uint32(data[0]), "Unknown Command")...)
	b = append(b, " ("...)
	b = appendUint(b, uint64(data[0]))
	b = append(b, "), id: 0x"...)
	b = appendHex(b, uint64(data[1]), 2)
	b = append(b, " length: "...)
	return appendInt(b, n), true
}

var ripCommands = map[uint32]string{1: "Request", 2: "Response", 3: "Trace on", 4: "Trace off", 5: "Poll", 6: "Poll Entry"}

// ripPrint prints a RIP message's version and command (RFC 2453 section
// 4). Version 0 (a hex dump in tcpdump) is not printed here.
func ripPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	if min(len(data), length) < 4 {
		return appendTrunc(b, "rip"), true
	}
	if data[1] == 0 {
		return b, false
	}
	b = append(b, "RIPv"...)
	b = appendUint(b, uint64(data[1]))
	b = append(b, ", "...)
	b = appendTok(b, ripCommands, uint32(data[0]), "unknown command (", ")")
	b = append(b, ", length: "...)
	return appendInt(b, length), true
}

// lldpPrint prints an LLDP frame's length and system names (IEEE 802.1AB
// section 8.5.6) and, as tcpdump does, walks its TLVs to mark one that is
// cut short.
func lldpPrint(b []byte, data []byte, length int) []byte {
	b = append(b, "LLDP, length "...)
	b = appendInt(b, length)
	for n := length; n >= 2; {
		if len(data) < 2 {
			return appendTrunc(b, "lldp")
		}
		tlv := be16(data)
		typ, tlen := int(tlv>>9), int(tlv&0x1ff)
		data, n = data[2:], n-2
		if typ == 0 || tlen == 0 {
			break
		}
		if len(data) < tlen || n < tlen {
			return appendTrunc(b, "lldp")
		}
		if typ == 5 { // the system name, printed without -v too
			b = append(b, ": "...)
			for _, c := range data[:tlen] {
				if c == 0 {
					break
				}
				b = appendCharEscaped(b, c)
			}
		}
		data, n = data[tlen:], n-tlen
	}
	return b
}

// loopbackPrint prints an Ethernet configuration testing protocol frame
// (ethertype 0x9000; the Ethernet "Blue Book", section 8) as tcpdump's
// print-loopback.c does.
func loopbackPrint(b []byte, data []byte, length int) []byte {
	const proto = "loopback"
	b = append(b, "Loopback"...)
	if out, ok := checkLen(b, proto, data, length, 2); !ok {
		return out
	}
	skip := int(data[0]) | int(data[1])<<8
	data, length = data[2:], length-2
	b = append(b, ", skipCount "...)
	b = appendInt(b, skip)
	if skip%8 != 0 {
		b = append(b, " (bogus)"...)
	}
	if out, ok := checkLen(b, proto, data, length, skip); !ok {
		return out
	}
	data, length = data[skip:], length-skip
	if out, ok := checkLen(b, proto, data, length, 2); !ok {
		return out
	}
	function := int(data[0]) | int(data[1])<<8
	data, length = data[2:], length-2
	switch function {
	case 1: // reply
		b = append(b, ", Reply"...)
		if out, ok := checkLen(b, proto, data, length, 2); !ok {
			return out
		}
		b = append(b, ", receipt number "...)
		b = appendInt(b, int(data[0])|int(data[1])<<8)
		data, length = data[2:], length-2
		b = append(b, ", data ("...)
		b = appendInt(b, length)
		b = append(b, " octets)"...)
	case 2: // forward data
		b = append(b, ", Forward Data"...)
		if out, ok := checkLen(b, proto, data, length, 6); !ok {
			return out
		}
		b = append(b, ", forwarding address "...)
		b = AppendMAC(b, data[:6])
		data, length = data[6:], length-6
		b = append(b, ", data ("...)
		b = appendInt(b, length)
		b = append(b, " octets)"...)
	default:
		b = append(b, ",  invalid ("...)
		b = appendInt(b, function)
		b = append(b, ')')
	}
	if len(data) < length {
		return appendTrunc(b, proto)
	}
	return b
}

// msnlbPrint prints a Microsoft Network Load Balancing heartbeat
// (ethertype 0x886f) as print-msnlb.c does.
func msnlbPrint(b []byte, data []byte) []byte {
	b = append(b, "MS NLB heartbeat"...)
	if len(data) < 12 {
		return appendTrunc(b, "msnlb")
	}
	b = append(b, ", host priority: "...)
	b = appendUint(b, uint64(le32(data[8:])))
	if len(data) < 16 {
		return appendTrunc(b, "msnlb")
	}
	b = append(b, ", cluster IP: "...)
	b = appendIPv4(b, data[12:16])
	if len(data) < 20 {
		return appendTrunc(b, "msnlb")
	}
	b = append(b, ", host IP: "...)
	return appendIPv4(b, data[16:20])
}

var sipCommands = []string{"ACK", "BYE", "CANCEL", "DO", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS",
	"PRACK", "QAUTH", "REFER", "REGISTER", "SPRACK", "SUBSCRIBE", "UPDATE", "PUBLISH"}

// sipPrint prints "SIP" and, for a request or a response (RFC 3261
// section 7.1 and 7.2: a method, or a status code as the second token),
// its first line (with -v every line), as tcpdump's txtproto_print does.
func sipPrint(p *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	b = append(b, "SIP"...)
	return appendTxtProto(b, "sip", data, length, sipCommands, p.Verbose), true
}

var (
	syslogSeverities = map[uint32]string{0: "emergency", 1: "alert", 2: "critical", 3: "error", 4: "warning",
		5: "notice", 6: "info", 7: "debug"}
	syslogFacilities = map[uint32]string{0: "kernel", 1: "user", 2: "mail", 3: "daemon", 4: "auth", 5: "syslog",
		6: "lpr", 7: "news", 8: "uucp", 9: "cron", 10: "authpriv", 11: "ftp", 12: "ntp", 13: "security",
		14: "console", 15: "cron", 16: "local0", 17: "local1", 18: "local2", 19: "local3", 20: "local4",
		21: "local5", 22: "local6", 23: "local7"}
)

// syslogPrint prints a syslog message's facility and severity, from the
// PRI part "<N>" of up to three digits (RFC 3164 section 4.1.1, RFC 5424
// section 6.2.1), as print-syslog.c does without -v.
func syslogPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	at := func(i int) (byte, bool) {
		if i >= len(data) {
			return 0, false
		}
		return data[i], true
	}
	c, ok := at(0)
	if !ok {
		return appendTrunc(b, "syslog"), true
	}
	if c != '<' {
		return append(b, " (invalid)"...), true
	}
	off, pri := 1, uint32(0)
	for ; off <= 3; off++ {
		if c, ok = at(off); !ok {
			return appendTrunc(b, "syslog"), true
		}
		if c < '0' || c > '9' {
			break
		}
		pri = pri*10 + uint32(c-'0')
	}
	if c, ok = at(off); !ok {
		return appendTrunc(b, "syslog"), true
	}
	if c != '>' {
		return append(b, " (invalid)"...), true
	}
	b = append(b, "SYSLOG "...)
	b = appendTok(b, syslogFacilities, pri&0x3f8>>3, "unknown (", ")")
	b = append(b, '.')
	b = appendTok(b, syslogSeverities, pri&7, "unknown (", ")")
	b = append(b, ", length: "...)
	return appendInt(b, length), true
}

var bootpOps = map[uint8]string{1: "Request", 2: "Reply"}

// bootpPrint prints a BOOTP or DHCPv4 message's operation, the client's
// hardware address in a request from an Ethernet host, and the length
// (RFC 951 section 3, RFC 2131 section 2), as print-bootp.c does without
// -v.
func bootpPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const proto = "bootp"
	if len(data) < 1 {
		return appendTrunc(b, proto), true
	}
	op := data[0]
	b = append(b, "BOOTP/DHCP, "...)
	b = appendTokHex(b, bootpOps, op, "unknown (0x", 2, ")")
	if len(data) < 3 {
		return appendTrunc(b, proto), true
	}
	if data[1] == 1 && data[2] == 6 && op == 1 {
		if len(data) < 34 {
			return appendTrunc(b, proto), true
		}
		b = append(b, " from "...)
		b = AppendMAC(b, data[28:34])
	}
	b = append(b, ", length "...)
	return appendInt(b, length), true
}

var (
	tftpOps    = map[uint32]string{1: "RRQ", 2: "WRQ", 3: "DATA", 4: "ACK", 5: "ERROR", 6: "OACK"}
	tftpErrors = map[uint32]string{0: "EUNDEF", 1: "ENOTFOUND", 2: "EACCESS", 3: "ENOSPACE", 4: "EBADOP",
		5: "EBADID", 6: "EEXISTS", 7: "ENOUSER"}
)

// tftpPrint prints a TFTP packet (RFC 1350 section 5, options RFC 2347):
// the opcode, then the file name and mode and options of a request, the
// block number of data and acknowledgements, or an error's code and
// message, as print-tftp.c does.
func tftpPrint(_ *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const proto = "tftp"
	b = append(b, "TFTP, length "...)
	b = appendInt(b, length)
	if length < 2 {
		return appendTrunc(b, proto), true
	}
	if len(data) < 2 {
		return appendTrunc(b, proto), true
	}
	op := uint32(be16(data))
	name, ok := tftpOps[op]
	if !ok {
		b = append(b, ", tftp-#"...)
		return appendUint(b, uint64(op)), true
	}
	b = append(b, ", "...)
	b = append(b, name...)
	data, length = data[2:], length-2
	// str prints a NUL-terminated string as nd_printztn does and returns
	// the bytes it took, 0 when the string ends unterminated or uncaptured.
	str := func() int {
		for i := 0; ; i++ {
			if i >= length || i >= len(data) {
				return 0
			}
			if data[i] == 0 {
				return i + 1
			}
			b = appendCharEscaped(b, data[i])
		}
	}
	options := func() bool {
		for length != 0 {
			if len(data) < 1 {
				return false
			}
			if data[0] != 0 {
				b = append(b, ' ')
			}
			n := str()
			if n == 0 {
				return false
			}
			data, length = data[n:], length-n
		}
		return true
	}
	// quoted prints ` "string"` and skips it; false when it is missing or
	// cut.
	quoted := func() bool {
		if length == 0 {
			return false
		}
		b = append(b, " \""...)
		n := str()
		b = append(b, '"')
		if n == 0 {
			return false
		}
		data, length = data[n:], length-n
		return true
	}
	switch op {
	case 1, 2:
		if !quoted() {
			return appendTrunc(b, proto), true
		}
		if length == 0 {
			return appendTrunc(b, proto), true
		}
		b = append(b, ' ')
		n := str()
		if n == 0 {
			return appendTrunc(b, proto), true
		}
		data, length = data[n:], length-n
		if !options() {
			return appendTrunc(b, proto), true
		}
	case 6:
		if !options() {
			return appendTrunc(b, proto), true
		}
	case 3, 4:
		if length < 2 || len(data) < 2 {
			return appendTrunc(b, proto), true
		}
		b = append(b, " block "...)
		b = appendUint(b, uint64(be16(data)))
	case 5:
		if length < 2 || len(data) < 2 {
			return appendTrunc(b, proto), true
		}
		b = append(b, ' ')
		b = appendTok(b, tftpErrors, uint32(be16(data)), "tftp-err-#", " \"")
		data, length = data[2:], length-2
		if !quoted() {
			return appendTrunc(b, proto), true
		}
	}
	return b, true
}
