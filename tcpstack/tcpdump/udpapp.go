package tcpdump

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The application protocols over UDP, chosen by port in the order of
// tcpdump's udp_print (print-udp.c): the first entry that matches a
// datagram's ports decides its printer, even one this package does not
// implement (then the datagram is "UDP, length N", as before).

// udpApp is one entry of the port table.
type udpApp struct {
	match func(sport, dport uint16) bool
	// print appends the payload's description; nil for the protocols the
	// package does not print.
	print udpPrinter
}

func eitherPort(ports ...uint16) func(sport, dport uint16) bool {
	return func(sport, dport uint16) bool {
		for _, q := range ports {
			if sport == q || dport == q {
				return true
			}
		}
		return false
	}
}

func dstPort(ports ...uint16) func(sport, dport uint16) bool {
	return func(_, dport uint16) bool {
		for _, q := range ports {
			if dport == q {
				return true
			}
		}
		return false
	}
}

func srcPort(q uint16) func(sport, dport uint16) bool {
	return func(sport, _ uint16) bool { return sport == q }
}

// udpPrinter appends the description of a UDP payload of length bytes
// (payload is what was captured of them); ok is false for a message it
// does not print after all.
type udpPrinter func(p *Printer, b []byte, payload []byte, length int, sport, dport uint16) (out []byte, ok bool)

// udpApps is udp_print's chain of port tests, in its order.
var udpApps []udpApp

func init() {
	udpApps = []udpApp{
		{eitherPort(53), dnsPrintUDP},     // DNS
		{eitherPort(5353), mdnsPrintUDP},  // mDNS
		{eitherPort(525), nil},            // timed
		{eitherPort(69), tftpPrint},       // TFTP
		{eitherPort(67, 68), bootpPrint},  // BOOTP, DHCP
		{eitherPort(520), ripPrint},       // RIP
		{eitherPort(654), nil},            // AODV
		{eitherPort(500), nil},            // ISAKMP
		{eitherPort(4500), natTPrint},     // ISAKMP NAT-T
		{eitherPort(7500, 8500), nil},     // ISAKMP, user ports
		{eitherPort(161, 162), snmpPrint}, // SNMP
		{eitherPort(123), ntpPrint},       // NTP
		{eitherPort(88, 750), nil},        // Kerberos
		{eitherPort(1701), nil},           // L2TP
		{eitherPort(137), nil},            // NetBIOS name service (tcpdump built with SMB)
		{eitherPort(138), nil},            // NetBIOS datagrams
		{dstPort(3456), nil},              // VAT
		{eitherPort(2103, 2104), nil},     // Zephyr
		{func(s, d uint16) bool { return (s >= 7000 && s <= 7009) || (d >= 7000 && d <= 7009) }, nil}, // AFS RX
		{eitherPort(521), nil},                                        // RIPng
		{eitherPort(546, 547), dhcp6Print},                            // DHCPv6
		{eitherPort(5359), nil},                                       // AHCP
		{eitherPort(6696, 6697), babelPrint},                          // Babel
		{eitherPort(8231), nil},                                       // HNCP
		{dstPort(4567), nil},                                          // whiteboard
		{eitherPort(496), nil},                                        // Cisco Auto-RP
		{eitherPort(1645, 1812, 1646, 1813, 1700, 3799), radiusPrint}, // RADIUS
		{dstPort(1985), hsrpPrint},                                    // HSRP
		{eitherPort(921), nil},                                        // LWRES
		{eitherPort(646), ldpPrintUDP},                                // LDP
		{eitherPort(698), nil},                                        // OLSR
		{eitherPort(3503), nil},                                       // MPLS LSP ping
		{srcPort(49152), bcmLIPrint},                                  // Broadcom LI shim
		{dstPort(3784, 4784, 6784, 3785), bfdPrint},
		{eitherPort(701), nil},           // LMP
		{eitherPort(1589), nil},          // VQP
		{eitherPort(6343), sflowPrint},   // sFlow
		{dstPort(12223), nil},            // LWAPP control
		{srcPort(12223), nil},            // LWAPP control
		{eitherPort(12222), nil},         // LWAPP data
		{eitherPort(5060), sipPrint},     // SIP
		{eitherPort(514), syslogPrint},   // syslog
		{eitherPort(8472), nil},          // OTV
		{eitherPort(4789), vxlanPrint},   // VXLAN
		{eitherPort(6081), genevePrint},  // Geneve
		{eitherPort(4342), nil},          // LISP control
		{eitherPort(4790), nil},          // VXLAN-GPE
		{eitherPort(17754), nil},         // ZEP
		{eitherPort(6635), mplsUDPPrint}, // MPLS over UDP
		{nil, nil},                       // AppleTalk over UDP: see udpAppFor
		{eitherPort(319, 320), ptpPrintUDP},
		{eitherPort(30490), nil}, // SOME/IP
	}
}

// udpAppFor returns the printer tcpdump chooses for a datagram, or nil
// for one printed as "UDP, length N".
func udpAppFor(sport, dport uint16, payload []byte) udpPrinter {
	for _, a := range udpApps {
		if a.match == nil {
			// AppleTalk DDP in UDP (KIP): a LAP header of type DDP and an
			// AppleTalk port (appletalk.h's atalk_port).
			atalk := func(p uint16) bool { return p-16512 < 128 || p-200 < 128 || p-768 < 128 }
			if len(payload) >= 3 && payload[2] == 2 && (atalk(sport) || atalk(dport)) {
				return nil
			}
			continue
		}
		if a.match(sport, dport) {
			return a.print
		}
	}
	return nil
}

// appendInvalidLength appends tcpdump's " [length 3 < 4] (invalid)".
func appendInvalidLength(b []byte, what string, length, minimum int) []byte {
	b = append(b, " ["...)
	b = append(b, what...)
	b = append(b, ' ')
	b = appendUint(b, uint64(uint32(length)))
	b = append(b, " < "...)
	b = appendInt(b, minimum)
	return append(b, "] (invalid)"...)
}

var (
	bcmLIDirections = map[uint32]string{1: "unused", 2: "egress", 3: "ingress"}
	bcmLITypes      = map[uint32]string{4: "undecided", 5: "ipv4", 6: "ipv6", 7: "ethernet"}
	bcmLISubtypes   = map[uint32]string{1: "single VLAN tag", 2: "double VLAN tag", 3: "untagged"}
)

// bcmLIPrint prints the 4-byte shim Broadcom's lawful-intercept (LI)
// feature puts in front of a copied packet (print-bcm-li.c).
func bcmLIPrint(p *Printer, b []byte, data []byte, length int, _, _ uint16) ([]byte, bool) {
	return p.bcmLI(b, data, length), true
}

// bcmLI prints the shim; with -v on lines of their own, and the packet
// after it, guessing IPv4 or IPv6 from the version for "undecided".
func (p *Printer) bcmLI(b []byte, data []byte, length int) []byte {
	if length < 4 {
		b = append(b, " (length "...)
		b = appendInt(b, length)
		return append(b, " < 4) (invalid)"...)
	}
	if len(data) < 4 {
		return appendTrunc(b, "bcm_li")
	}
	shim := be32(data)
	name := func(b []byte, m map[uint32]string, v uint32) []byte {
		if s, ok := m[v]; ok {
			return append(b, s...)
		}
		return append(b, "unknown"...)
	}
	if p.Verbose > 0 {
		b = append(b, "\n    "...)
	}
	b = append(b, "BCM-LI-SHIM: direction "...)
	b = name(b, bcmLIDirections, shim>>29&7)
	b = append(b, ", pkt-type "...)
	b = name(b, bcmLITypes, shim>>25&0xf)
	b = append(b, ", pkt-subtype "...)
	b = name(b, bcmLISubtypes, shim>>22&7)
	b = append(b, ", li-id "...)
	b = appendUint(b, uint64(shim&0x3fffff))
	if p.Verbose == 0 {
		if len(data) < length {
			return appendTrunc(b, "bcm_li")
		}
		return b
	}
	b = append(b, "\n    "...)
	data, length = data[4:], length-4
	first := gopacket.LayerType(0)
	switch shim >> 25 & 0xf {
	case 7:
		first = layers.LayerTypeEthernet
	case 5:
		first = layers.LayerTypeIPv4
	case 6:
		first = layers.LayerTypeIPv6
	case 4: // undecided: the IP version says
		if len(data) < 1 {
			return appendTrunc(b, "bcm_li")
		}
		switch data[0] >> 4 {
		case 4:
			first = layers.LayerTypeIPv4
		case 6:
			first = layers.LayerTypeIPv6
		default:
			return append(b, "unknown payload"...)
		}
	default:
		return append(b, " (invalid)"...)
	}
	out, _ := p.inner(b, first, data, length)
	return out
}

var (
	bfdPorts    = map[uint32]string{3784: "Control", 4784: "Multihop", 6784: "Lag"}
	bfdV1States = map[uint32]string{0: "AdminDown", 1: "Down", 2: "Init", 3: "Up"}
	bfdV0Flags  = []bitName{{0x80, "I Hear You"}, {0x40, "Demand"}, {0x20, "Poll"}, {0x10, "Final"},
		{0x08, "Control Plane Independent"}, {0x04, "Authentication Present"}, {0x02, "Reserved"}, {0x01, "Reserved"}}
	bfdV1Flags = []bitName{{0x20, "Poll"}, {0x10, "Final"}, {0x08, "Control Plane Independent"},
		{0x04, "Authentication Present"}, {0x02, "Demand"}, {0x01, "Multipoint"}}
)

// bfdPrint prints a BFD packet (RFC 5880 section 4.1; control packets on
// ports 3784, 4784 and 6784, echo packets on 3785) as print-bfd.c does
// without -v.
func bfdPrint(_ *Printer, b []byte, data []byte, length int, _, port uint16) ([]byte, bool) {
	return bfd(b, data, length, port), true
}

func bfd(b []byte, data []byte, length int, port uint16) []byte {
	if port == 3785 {
		b = append(b, "BFD, Echo, length: "...)
		return appendInt(b, length)
	}
	if len(data) < 24 {
		return appendTrunc(b, "bfd")
	}
	version, flags := data[0]>>5, uint32(data[1])
	switch version {
	case 0:
		b = append(b, "BFDv0, Control, Flags: ["...)
		b = appendBits(b, bfdV0Flags, flags, ", ", "none")
		b = append(b, "], length: "...)
	case 1:
		b = append(b, "BFDv1, "...)
		b = appendTok(b, bfdPorts, uint32(port), "unknown (", ")")
		b = append(b, ", State "...)
		b = appendTok(b, bfdV1States, flags>>6, "unknown (", ")")
		b = append(b, ", Flags: ["...)
		b = appendBits(b, bfdV1Flags, flags&0x3f, ", ", "none")
		b = append(b, "], length: "...)
	default:
		b = append(b, "BFDv"...)
		b = appendUint(b, uint64(version))
		b = append(b, ", Control, length: "...)
	}
	return appendInt(b, length)
}
