// Package tcpdump prints packets one line each in the grammar of
// tcpdump -nn (tcpdump 4.99), byte for byte, so that its output can be
// diffed and grepped like tcpdump's:
//
//	12:00:00.000330 IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0
//
// It is the one tcpdump-style printer of the repository: pcapcat prints
// capture files with it, tcpdial its -vv frame trace, the probe its frames
// (and so the conformance report its traces), and the TCP engine its
// segment log.
//
// A [Printer] holds the options of the line (tcpdump's -e, -S, -t forms and
// --nano) and the state tcpdump keeps between packets: the first sequence
// numbers of every TCP connection, for relative numbers, and the previous
// time stamp, for deltas. [Printer.Append] appends one packet's line to a
// buffer, [Printer.Format] returns it as a string:
//
//	var p tcpdump.Printer // tcpdump -nn; set p.Absolute for -S
//	line := p.Format(data, layers.LinkTypeEthernet, ci)
//
// [Printer.AppendPacket] leaves the time stamp out, and [Printer.AppendTCP]
// prints a TCP segment that has no IP header, given its addresses.
//
// What is printed as tcpdump prints it: the link layers Ethernet (with
// 802.1Q and QinQ tags), Linux cooked captures (SLL and SLL2), BSD loopback
// (NULL and LOOP), raw IP, IP over InfiniBand, PPP (IP and control
// protocols; on DLT_PPP links and in HDLC-like framing, escapes too), Cisco
// HDLC (with SLARP), ARCNET (BSD's and Linux's headers), Juniper Ethernet,
// Frame Relay (IP in it) and 802.11 behind radiotap (its management frames
// without elements); 802.2 LLC and SNAP, spanning tree BPDUs, Cisco's UDLD,
// DTP and CDP, PTP, LLDP, Ethernet loopback, MS NLB heartbeats; LACP and the
// other slow protocols; EAPOL; ATA over Ethernet; IS-IS PDUs' headers (in
// LLC and Cisco HDLC); IPX (SAP and RIP); PPPoE discovery and session
// packets; MPLS label stacks (in Ethernet, GRE, PPP and UDP); ARP and RARP;
// IPv4 (and IP in IP); IPv6 with its extension headers and the mobility
// header; TCP with its options and the first line of HTTP, FTP, SMTP,
// WHOIS, RTSP and SSH, and DNS; DCCP; UDP, with
// DNS, multicast DNS, NTP, DHCPv6, RADIUS, RIP, BFD, PTP, ESP in UDP,
// Broadcom's LI shim, BOOTP/DHCP, TFTP, SNMP (v1, v2c, v3's header; OIDs
// numeric, as with -nn), syslog, the first line of SIP, HSRP, Babel, sFlow's
// header, LDP (over TCP too, and RPKI-RTR's name), and
// VXLAN and Geneve with the packets inside, chosen by port in tcpdump's
// order; SCTP chunks; ICMP; ICMPv6; IGMP, VRRP, PIM, EIGRP, OSPFv2 and v3,
// GRE (and PPP in it), AH and ESP. Without Verbose every packet gets one
// line: VXLAN's inner frame and an SCTP SACK's gap blocks, which tcpdump
// prints on lines of their own, follow a space. Damaged packets get tcpdump's markers:
// "[|tcp]", "truncated-ip - 4 bytes missing!", "[bad hdr length 16 - too
// short, < 20]", "[bad opt]", "[Invalid header: len(60) < caplen(74)]".
// Where tcpdump prints a hex dump under a line, the printer prints the line
// only (with Verbose, the dump too where nothing decodes the bytes). Other protocols that gopacket decodes get a short summary of its
// layers instead of tcpdump's text.
//
// With [Printer.Verbose] set (tcpdump's -v, -vv) the printer adds what
// tcpdump -v adds to those headers: the IPv4 header's fields in parentheses
// followed by a line break and four spaces, the IPv6 header's fields, TCP,
// UDP, DCCP and ICMP checksums, ARP's hardware and protocol types, a TCP
// reset's text, VXLAN's inner frame on a line of its own, hex dumps, DNS
// answers' names, text protocols' lines, ICMPv6 neighbour discovery. A
// packet's text may then span lines (each line after the first is
// indented); protocols above print as without -v.
//
// Pieces of the grammar serve programs that print around the line:
// [AppendAddr], [AppendMAC], [AppendTCPFlags] and [AppendTCPOptions] write
// addresses, flags and options as tcpdump does, and [LinkHeaderLen] is the
// link-level header tcpdump -x leaves out of its hex dump.
//
// Packets are decoded with gopacket's DecodingLayerParser into layers
// allocated once ([Decoder], which programs can use for the same fields; see
// [FirstLayer]); a Printer that has seen a packet's connection prints its
// line without allocating. The package uses no cgo: it takes link types as
// gopacket's [layers.LinkType], whose values are libpcap's.
package tcpdump
