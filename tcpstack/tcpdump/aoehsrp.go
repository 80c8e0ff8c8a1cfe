package tcpdump

// ATA over Ethernet and Cisco's HSRP, as tcpdump prints them without -v.

var aoeFlags = []bitName{{0x08, "Response"}, {0x04, "Error"}, {0x02, "MBZ-1"}, {0x01, "MBZ-0"}}

// aoePrint prints an ATA over Ethernet header (ethertype 0x88a2; the AoE
// specification, Coraid, revision 1, section 2) as tcpdump's aoe_print
// does: its length, version and, for version 1, its flags; with -v the
// rest of the header and the command's argument on lines of their own.
// length is the bytes on the wire after the Ethernet header.
func (p *Printer) aoePrint(b []byte, data []byte, length int) []byte {
	b = append(b, "AoE length "...)
	b = appendInt(b, length)
	if length < 1 {
		return appendInvalid(b, "aoe", data, length)
	}
	if len(data) < 1 {
		return appendTrunc(b, "aoe")
	}
	ver := data[0] >> 4
	b = append(b, ", Ver "...)
	b = appendUint(b, uint64(ver))
	if ver != 1 {
		return b
	}
	const commonHeader = 10 // through the tag, without the argument
	if length < commonHeader {
		return appendInvalid(b, "aoe", data, length)
	}
	b = append(b, ", Flags: ["...)
	b = appendBits(b, aoeFlags, uint32(data[0]&0x0f), ", ", "none")
	b = append(b, ']')
	if p.Verbose == 0 {
		return b
	}
	return aoeVerbose(b, data, length)
}

var (
	aoeErrors   = map[uint8]string{1: "Unrecognized command code", 2: "Bad argument parameter", 3: "Device unavailable", 4: "Config string present", 5: "Unsupported version", 6: "Target is reserved"}
	aoeCommands = map[uint8]string{0: "Issue ATA Command", 1: "Query Config Information", 2: "MAC Mask List", 3: "Reserve/Release"}
	aoeAFlags   = []bitName{{0x80, "MBZ-7"}, {0x40, "Ext48"}, {0x20, "MBZ-5"}, {0x10, "Device"}, {0x08, "MBZ-3"}, {0x04, "MBZ-2"}, {0x02, "Async"}, {0x01, "Write"}}
	aoeCCmds    = map[uint8]string{0: "read config string", 1: "test config string", 2: "test config string prefix", 3: "set config string", 4: "force set config string"}
	aoeMCmds    = map[uint8]string{0: "Read Mac Mask List", 1: "Edit Mac Mask List"}
	aoeMErrors  = map[uint8]string{1: "Unspecified Error", 2: "Bad DCmd directive", 3: "Mask list full"}
	aoeDCmds    = map[uint8]string{0: "No Directive", 1: "Add mac address to mask list", 2: "Delete mac address from mask list"}
	aoeRCmds    = map[uint8]string{0: "Read reserve list", 1: "Set reserve list", 2: "Force set reserve list"}
)

// aoeVerbose prints what tcpdump -v adds to an AoE version 1 header
// (sections 2.1 to 2.5 of the specification): the rest of the common
// header and the argument of the four commands, on lines of their own.
func aoeVerbose(b []byte, data []byte, length int) []byte {
	const trunc = "aoe"
	if len(data) < 10 {
		return appendTrunc(b, trunc)
	}
	if data[0]&0x04 != 0 {
		b = append(b, "\n\tError: "...)
		b = appendTok(b, aoeErrors, data[1], "Invalid (", ")")
	}
	b = append(b, "\n\tMajor: 0x"...)
	b = appendHex(b, uint64(be16(data[2:4])), 4)
	b = append(b, ", Minor: 0x"...)
	b = appendHex(b, uint64(data[4]), 2)
	b = append(b, ", Command: "...)
	b = appendTokHex(b, aoeCommands, data[5], "Unknown (0x", 2, ")")
	b = append(b, ", Tag: 0x"...)
	b = appendHex(b, uint64(be32(data[6:10])), 8)
	arg, n := data[10:], length-10
	// The fixed part of each command's argument.
	if need, ok := map[uint8]int{0: 12, 1: 8, 2: 4, 3: 2}[data[5]]; ok {
		if n < need || (data[5] == 3 && (n-2)%6 != 0) {
			return appendInvalid(b, trunc, arg, n)
		}
		if len(arg) < need {
			return appendTrunc(b, trunc)
		}
	}
	switch data[5] {
	case 0: // issue ATA command (section 2.1)
		b = append(b, "\n\tAFlags: ["...)
		b = appendBits(b, aoeAFlags, uint32(arg[0]), ", ", "none")
		b = append(b, "], Err/Feature: "...)
		b = appendUint(b, uint64(arg[1]))
		b = append(b, ", Sector Count: "...)
		b = appendUint(b, uint64(arg[2]))
		b = append(b, ", Cmd/Status: "...)
		b = appendUint(b, uint64(arg[3]))
		for i := 0; i < 6; i++ {
			if i == 0 {
				b = append(b, "\n\tlba0: "...)
			} else {
				b = append(b, ", lba"...)
				b = appendInt(b, i)
				b = append(b, ": "...)
			}
			b = appendUint(b, uint64(arg[4+i]))
		}
		if n > 12 {
			b = append(b, "\n\tData: "...)
			b = appendInt(b, n-12)
			b = append(b, " bytes"...)
		}
	case 1: // query config information (section 2.2)
		b = append(b, "\n\tBuffer Count: "...)
		b = appendUint(b, uint64(be16(arg[0:2])))
		b = append(b, ", Firmware Version: "...)
		b = appendUint(b, uint64(be16(arg[2:4])))
		b = append(b, ", Sector Count: "...)
		b = appendUint(b, uint64(arg[4]))
		b = append(b, ", AoE: "...)
		b = appendUint(b, uint64(arg[5]>>4))
		b = append(b, ", CCmd: "...)
		// sic: tcpdump's default lacks its %
		b = append(b, tokStr(aoeCCmds, arg[5]&0x0f, "Unknown (0x02x)")...)
		cslen := int(be16(arg[6:8]))
		if cslen > 1024 || cslen > n-8 {
			return appendInvalid(b, trunc, arg, n)
		}
		if cslen > 0 {
			b = append(b, "\n\tConfig String (length "...)
			b = appendInt(b, cslen)
			b = append(b, "): "...)
			s := arg[8:]
			for i := 0; i < cslen; i++ {
				if i >= len(s) {
					return appendTrunc(b, trunc)
				}
				b = appendCharEscaped(b, s[i])
			}
		}
	case 2: // MAC mask list (section 2.3)
		b = append(b, "\n\tMCmd: "...)
		b = appendTokHex(b, aoeMCmds, arg[1], "Unknown (0x", 2, ")")
		b = append(b, ", MError: "...)
		b = appendTokHex(b, aoeMErrors, arg[2], "Unknown (0x", 2, ")")
		count := int(arg[3])
		b = append(b, ", Dir Count: "...)
		b = appendInt(b, count)
		dirs, dn := arg[4:], n-4
		if count*8 > dn {
			return appendInvalid(b, trunc, dirs, dn)
		}
		for i := 0; i < count; i++ {
			if len(dirs) < 8 {
				return appendTrunc(b, trunc)
			}
			b = append(b, "\n\t DCmd: "...)
			b = appendTokHex(b, aoeDCmds, dirs[1], "Unknown (0x", 2, ")")
			b = append(b, ", Ethernet Address: "...)
			b = AppendMAC(b, dirs[2:8])
			dirs = dirs[8:]
		}
	case 3: // reserve/release (section 2.4)
		b = append(b, "\n\tRCmd: "...)
		b = appendTokHex(b, aoeRCmds, arg[0], "Unknown (0x", 2, ")")
		count := int(arg[1])
		b = append(b, ", NMacs: "...)
		b = appendInt(b, count)
		macs, mn := arg[2:], n-2
		if count*6 != mn {
			return appendInvalid(b, trunc, macs, mn)
		}
		for i := 0; i < count; i++ {
			if len(macs) < 6 {
				return appendTrunc(b, trunc)
			}
			b = append(b, "\n\tEthernet Address "...)
			b = appendInt(b, i)
			b = append(b, ": "...)
			b = AppendMAC(b, macs[:6])
			macs = macs[6:]
		}
	}
	return b
}

var (
	hsrpOps    = []string{"hello", "coup", "resign"}
	hsrpStates = map[uint8]string{0: "initial", 1: "learn", 2: "listen", 4: "speak", 8: "standby", 16: "active"}
)

// hsrpPrint prints an HSRP message (RFC 2281 section 5.1) as tcpdump's
// hsrp_print does: field by field until the captured bytes end; with -v
// the times, priority and authentication data too.
func hsrpPrint(p *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	const trunc = "hsrp"
	if len(data) < 1 {
		return appendTrunc(b, trunc), true
	}
	b = append(b, "HSRPv"...)
	b = appendUint(b, uint64(data[0]))
	if data[0] != 0 {
		return b, true
	}
	b = append(b, '-')
	if len(data) < 2 {
		return appendTrunc(b, trunc), true
	}
	if int(data[1]) < len(hsrpOps) {
		b = append(b, hsrpOps[data[1]]...)
	} else {
		b = append(b, "unknown ("...)
		b = appendUint(b, uint64(data[1]))
		b = append(b, ')')
	}
	b = append(b, ' ')
	b = appendInt(b, length)
	b = append(b, ": "...)
	if len(data) < 3 {
		return appendTrunc(b, trunc), true
	}
	b = append(b, "state="...)
	b = appendTok(b, hsrpStates, data[2], "Unknown (", ")")
	b = append(b, ' ')
	if len(data) < 7 {
		return appendTrunc(b, trunc), true
	}
	b = append(b, "group="...)
	b = appendUint(b, uint64(data[6]))
	b = append(b, ' ')
	if len(data) < 8 {
		return appendTrunc(b, trunc), true
	}
	if data[7] != 0 {
		b = append(b, "[reserved="...)
		b = appendUint(b, uint64(data[7]))
		b = append(b, "!] "...)
	}
	if len(data) < 20 {
		return appendTrunc(b, trunc), true
	}
	b = append(b, "addr="...)
	b = appendIPv4(b, data[16:20])
	if p.Verbose == 0 {
		return b, true
	}
	b = append(b, " hellotime="...)
	b = appendRelTime(b, uint32(data[3]))
	b = append(b, " holdtime="...)
	b = appendRelTime(b, uint32(data[4]))
	b = append(b, " priority="...)
	b = appendUint(b, uint64(data[5]))
	b = append(b, ` auth="`...)
	b = appendCharsToNUL(b, data[8:16]) // zero-padded (section 5.1)
	return append(b, '"'), true
}
