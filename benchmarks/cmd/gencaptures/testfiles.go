package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// testFile is one small capture committed in testdata/.
type testFile struct {
	name  string
	about string // what it holds, for the README table
	// packets is how many complete packets a reader delivers.
	packets int
	// tcpdumpPackets is how many packets `tcpdump -nn -r FILE` prints, and
	// tcpdumpErr the error it then ends with, "" if it reads the file
	// cleanly (tcpdump 4.99.3, libpcap 1.10.3). The test checks both when
	// tcpdump is installed.
	tcpdumpPackets int
	tcpdumpErr     string
	build          func() ([]byte, error)
}

// testFiles lists every file the generator writes into testdata/, in README
// order.
var testFiles = []testFile{
	{
		name: "ethernet.pcap",
		about: "Ethernet, microsecond timestamps. ARP request (42 bytes, as its sender captures it) and reply (padded to 60); " +
			"IPv4 TCP: handshake with MSS, SACK permitted, timestamps, NOP, window scale, " +
			"request and response with PSH, FIN/ACK close, then a SYN to a closed port answered by RST/ACK; " +
			"IPv4 UDP: DNS A query and answer on port 53, a datagram to port 4242; " +
			"ICMP echo request and reply; ICMP destination unreachable, fragmentation needed (MTU 1400), quoting an IPv4+TCP header; " +
			"a UDP datagram in two IPv4 fragments; an ICMP echo request in VLAN 100 (802.1Q); " +
			"ICMPv6 neighbour solicitation and advertisement, echo request and reply; " +
			"IPv6 TCP handshake, data and ACK; IPv6 UDP DNS AAAA query and answer",
		packets:        33,
		tcpdumpPackets: 33,
		build:          buildEthernet,
	},
	{
		name:           "nanosecond.pcap",
		about:          "nanosecond pcap (magic 0xa1b23c4d), timestamps such as 12:00:00.123456789; an IPv4 TCP handshake and a data segment",
		packets:        4,
		tcpdumpPackets: 4,
		build:          buildNanosecond,
	},
	{
		name:           "ng.pcapng",
		about:          "pcapng, one Ethernet interface (eth0): ARP request and reply, ICMP echo request and reply, a DNS query",
		packets:        5,
		tcpdumpPackets: 5,
		build:          buildNg,
	},
	{
		name: "ng-multi.pcapng",
		about: "pcapng, two interfaces of different link types: eth0 Ethernet (ICMP echo request and reply) " +
			"and tun0 RAW IPv4, linktype 101 (DNS query and answer), packets interleaved. " +
			"libpcap refuses mixed link types; gopacket's NgReader reads it with WantMixedLinkType",
		packets:        4,
		tcpdumpPackets: 0,
		tcpdumpErr:     "tcpdump: pcap_loop: an interface has a type 101 different from the type of the first interface",
		build:          buildNgMulti,
	},
	{
		name:           "truncated.pcap",
		about:          "Ethernet: the first 5 packets of the IPv4 TCP session, then a record whose header promises 66 bytes of which the file holds 33",
		packets:        5,
		tcpdumpPackets: 5,
		tcpdumpErr:     "tcpdump: pcap_loop: truncated dump file; tried to read 66 captured bytes, only got 33",
		build:          buildTruncated,
	},
	{
		name:           "truncated-header.pcap",
		about:          "Ethernet: the first 5 packets of the IPv4 TCP session, then 8 of the 16 bytes of a record header",
		packets:        5,
		tcpdumpPackets: 5,
		tcpdumpErr:     "tcpdump: pcap_loop: truncated dump file; tried to read 16 header bytes, only got 8",
		build:          buildTruncatedHeader,
	},
	{
		name:           "empty.pcap",
		about:          "a valid pcap file header (Ethernet) and no packets",
		packets:        0,
		tcpdumpPackets: 0,
		build:          func() ([]byte, error) { return pcapFile(layers.LinkTypeEthernet, snaplen, false, nil) },
	},
	{
		name:           "zero.pcap",
		about:          "zero bytes",
		packets:        0,
		tcpdumpPackets: 0,
		tcpdumpErr:     "tcpdump: truncated dump file; tried to read 4 file header bytes, only got 0",
		build:          func() ([]byte, error) { return []byte{}, nil },
	},
	{
		name:           "garbage.pcap",
		about:          "100 bytes of text, not a capture",
		packets:        0,
		tcpdumpPackets: 0,
		tcpdumpErr:     "tcpdump: unknown file format",
		build:          buildGarbage,
	},
	{
		name:           "raw-ipv4.pcap",
		about:          "LINKTYPE_RAW (101), IPv4 without link header: TCP handshake, request, response, ACK; no TCP timestamps",
		packets:        6,
		tcpdumpPackets: 6,
		build:          buildRaw,
	},
	{
		name:           "linux-sll.pcap",
		about:          "LINKTYPE_LINUX_SLL (113), as captured on Linux \"any\": TCP handshake, request, response, ACK; outgoing and incoming packet types",
		packets:        6,
		tcpdumpPackets: 6,
		build:          buildSLL,
	},
	{
		name:           "loopback-null.pcap",
		about:          "DLT_NULL (0), little-endian address family: IPv4 TCP handshake, request, response, ACK (AF_INET 2), ICMPv6 echo request and reply (AF_INET6 30, macOS)",
		packets:        8,
		tcpdumpPackets: 8,
		build:          buildNull,
	},
	{
		name: "snaplen.pcap",
		about: "Ethernet, snapshot length 64: ARP request (42 bytes, whole), then ICMP echo request, TCP data segment with timestamps, " +
			"DNS answer and IPv6 TCP SYN, each cut to 64 bytes so caplen < len",
		packets:        5,
		tcpdumpPackets: 5,
		build:          buildSnaplen,
	},
}

func us(n int) time.Duration { return time.Duration(n) * time.Microsecond }

const (
	httpRequest  = "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: tcpregress\r\nAccept: */*\r\n\r\n"
	httpResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n"
)

// ipv4Session adds a whole IPv4 TCP connection from a to b port 80 on
// Ethernet: handshake, request, response, FIN/ACK close (9 packets).
func ipv4Session(c *capture, a, b *node) {
	f := newTCPFlow(c, ethV4(a, b), ethV4(b, a), 40000, 80, 0x2d6a1b01, 0x9e3f0c47, 1460)
	f.send(us(150), client, "S", nil)
	f.send(us(212), server, "SA", nil)
	f.send(us(61), client, "A", nil)
	f.send(us(35), client, "PA", []byte(httpRequest))
	f.send(us(1840), server, "PA", []byte(httpResponse))
	f.send(us(44), client, "A", nil)
	f.send(us(2103), client, "FA", nil)
	f.send(us(196), server, "FA", nil)
	f.send(us(40), client, "A", nil)
}

func buildEthernet() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	router := &node{mac: macB, ip4: ip4Router, ipID: 0x0301}

	// ARP: who-has B tell A, as A captures it (42 bytes); B is-at, padded
	// to 60 bytes as it arrives.
	c.add(0, eth(a.mac, macBcast, layers.EthernetTypeARP), arp(layers.ARPRequest, a.mac, a.ip4, macZero, b.ip4))
	c.trimLast(42)
	c.add(us(180), eth(b.mac, a.mac, layers.EthernetTypeARP), arp(layers.ARPReply, b.mac, b.ip4, a.mac, a.ip4))

	ipv4Session(c, a, b)

	// A SYN to a closed port, refused with RST/ACK.
	r := newTCPFlow(c, ethV4(a, b), ethV4(b, a), 40002, 81, 0x51e07d22, 0, 1460)
	r.send(us(10250), client, "S", nil)
	r.send(us(118), server, "RA", nil)

	// UDP: DNS and a datagram to an unassigned port.
	c.send(us(20117), ethV4(a, b), udp(53000, 53), dnsQuery(0x4a3b, "example.com", layers.DNSTypeA))
	c.send(us(402), ethV4(b, a), udp(53, 53000), dnsAnswer(0x4a3b, "example.com", layers.DNSTypeA, ip4Answer))
	c.send(us(5012), ethV4(a, b), udp(40001, 4242), gopacket.Payload("hello, udp\n"))

	// ICMP echo.
	c.send(us(30001), ethV4(a, b), icmp4(layers.ICMPv4TypeEchoRequest, 0, 0x1234, 1), pingPayload(1704110430))
	c.send(us(95), ethV4(b, a), icmp4(layers.ICMPv4TypeEchoReply, 0, 0x1234, 1), pingPayload(1704110430))

	// A router with MTU 1400 on its next hop returns a 1500-byte DF segment
	// from A with "fragmentation needed", quoting its IP header and the first
	// 8 bytes of its TCP header (RFC 792, RFC 1191: next-hop MTU in the low
	// 16 bits of the second word).
	orig := ipv4(a.ip4, b.ip4, layers.IPProtocolTCP, a.nextID(), true)
	seg := &layers.TCP{SrcPort: 40004, DstPort: 443, Seq: 0x0badcafe, Ack: 0x12345678, ACK: true, Window: 502}
	quoted, err := serialize(orig, seg, gopacket.Payload(make([]byte, 1460)))
	if err != nil {
		return nil, err
	}
	c.send(us(7040), ethV4(router, a),
		icmp4(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodeFragmentationNeeded, 0, 1400),
		gopacket.Payload(quoted[:28]))

	// A 308-byte UDP datagram in two fragments: 160 bytes at offset 0 with
	// more-fragments, 148 bytes at offset 160 (20 units of 8).
	u := udp(40010, 4243)
	if err := u.SetNetworkLayerForChecksum(ipv4(a.ip4, b.ip4, layers.IPProtocolUDP, 0, false)); err != nil {
		return nil, err
	}
	dgram, err := serialize(u, pattern(300))
	if err != nil {
		return nil, err
	}
	id := a.nextID()
	f1 := ipv4(a.ip4, b.ip4, layers.IPProtocolUDP, id, false)
	f1.Flags = layers.IPv4MoreFragments
	f2 := ipv4(a.ip4, b.ip4, layers.IPProtocolUDP, id, false)
	f2.FragOffset = 160 / 8
	c.add(us(12003), eth(a.mac, b.mac, layers.EthernetTypeIPv4), f1, gopacket.Payload(dgram[:160]))
	c.add(us(3), eth(a.mac, b.mac, layers.EthernetTypeIPv4), f2, gopacket.Payload(dgram[160:]))

	// An echo request in VLAN 100.
	c.add(us(9120), eth(a.mac, b.mac, layers.EthernetTypeDot1Q),
		&layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeIPv4},
		ipv4(a.ip4, b.ip4, layers.IPProtocolICMPv4, a.nextID(), true),
		icmp4(layers.ICMPv4TypeEchoRequest, 0, 0x1235, 1), pingPayload(1704110430))

	// IPv6 neighbour discovery, then echo.
	c.add(us(15007), eth(a.mac, macSolNodeB, layers.EthernetTypeIPv6),
		ipv6(a.ip6, ip6SolNodeB, layers.IPProtocolICMPv6, 255),
		icmp6(layers.ICMPv6TypeNeighborSolicitation, 0),
		&layers.ICMPv6NeighborSolicitation{TargetAddress: b.ip6, Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptSourceAddress, Data: a.mac}}})
	c.add(us(141), eth(b.mac, a.mac, layers.EthernetTypeIPv6),
		ipv6(b.ip6, a.ip6, layers.IPProtocolICMPv6, 255),
		icmp6(layers.ICMPv6TypeNeighborAdvertisement, 0),
		&layers.ICMPv6NeighborAdvertisement{Flags: 0x60, TargetAddress: b.ip6, Options: layers.ICMPv6Options{{Type: layers.ICMPv6OptTargetAddress, Data: b.mac}}})
	c.send(us(52), ethV6(a, b), icmp6(layers.ICMPv6TypeEchoRequest, 0), &layers.ICMPv6Echo{Identifier: 0x2345, SeqNumber: 1}, pingPayload(1704110430))
	c.send(us(88), ethV6(b, a), icmp6(layers.ICMPv6TypeEchoReply, 0), &layers.ICMPv6Echo{Identifier: 0x2345, SeqNumber: 1}, pingPayload(1704110430))

	// IPv6 TCP.
	f6 := newTCPFlow(c, ethV6(a, b), ethV6(b, a), 40006, 80, 0x6b8b4567, 0x327b23c6, 1440)
	f6.send(us(20011), client, "S", nil)
	f6.send(us(230), server, "SA", nil)
	f6.send(us(58), client, "A", nil)
	f6.send(us(33), client, "PA", []byte(httpRequest))
	f6.send(us(301), server, "A", nil)

	// IPv6 UDP.
	c.send(us(10023), ethV6(a, b), udp(53001, 53), dnsQuery(0x1d2c, "example.com", layers.DNSTypeAAAA))
	c.send(us(377), ethV6(b, a), udp(53, 53001), dnsAnswer(0x1d2c, "example.com", layers.DNSTypeAAAA, ip6Answer))

	return c.pcap(layers.LinkTypeEthernet, snaplen, false)
}

func buildNanosecond() ([]byte, error) {
	c := newCapture()
	c.now = epoch.Add(123456789 * time.Nanosecond)
	a, b := hosts()
	f := newTCPFlow(c, ethV4(a, b), ethV4(b, a), 40100, 80, 0x11223344, 0x55667788, 1460)
	f.send(0, client, "S", nil)                                          // .123456789
	f.send(43228*time.Nanosecond, server, "SA", nil)                     // .123500017
	f.send(111094*time.Nanosecond, client, "A", nil)                     // .123611111
	f.send(864043210*time.Nanosecond, client, "PA", []byte(httpRequest)) // .987654321
	return c.pcap(layers.LinkTypeEthernet, snaplen, true)
}

func buildNg() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	c.add(0, eth(a.mac, macBcast, layers.EthernetTypeARP), arp(layers.ARPRequest, a.mac, a.ip4, macZero, b.ip4))
	c.add(us(180), eth(b.mac, a.mac, layers.EthernetTypeARP), arp(layers.ARPReply, b.mac, b.ip4, a.mac, a.ip4))
	c.send(us(40), ethV4(a, b), icmp4(layers.ICMPv4TypeEchoRequest, 0, 0x1234, 1), pingPayload(1704110400))
	c.send(us(95), ethV4(b, a), icmp4(layers.ICMPv4TypeEchoReply, 0, 0x1234, 1), pingPayload(1704110400))
	c.send(us(1003), ethV4(a, b), udp(53000, 53), dnsQuery(0x4a3b, "example.com", layers.DNSTypeA))
	return c.pcapng([]pcapgo.NgInterface{
		{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: snaplen, TimestampResolution: 9},
	})
}

func buildNgMulti() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	c.send(0, ethV4(a, b), icmp4(layers.ICMPv4TypeEchoRequest, 0, 0x1234, 1), pingPayload(1704110400))
	c.iface = 1
	c.send(us(17), rawV4(a, b), udp(53000, 53), dnsQuery(0x4a3b, "example.com", layers.DNSTypeA))
	c.iface = 0
	c.send(us(78), ethV4(b, a), icmp4(layers.ICMPv4TypeEchoReply, 0, 0x1234, 1), pingPayload(1704110400))
	c.iface = 1
	c.send(us(325), rawV4(b, a), udp(53, 53000), dnsAnswer(0x4a3b, "example.com", layers.DNSTypeA, ip4Answer))
	return c.pcapng([]pcapgo.NgInterface{
		{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: snaplen, TimestampResolution: 9},
		{Name: "tun0", LinkType: layers.LinkTypeRaw, SnapLength: snaplen, TimestampResolution: 9},
	})
}

// sessionPrefix returns a pcap of the first n+1 packets of the IPv4 TCP
// session and the length of its last frame.
func sessionPrefix(n int) ([]byte, int, error) {
	c := newCapture()
	a, b := hosts()
	ipv4Session(c, a, b)
	if c.err != nil {
		return nil, 0, c.err
	}
	pkts := c.pkts[:n+1]
	data, err := pcapFile(layers.LinkTypeEthernet, snaplen, false, pkts)
	return data, len(pkts[n].data), err
}

func buildTruncated() ([]byte, error) {
	// The 6th packet is the client's 66-byte ACK of the response; keep its
	// record header and the first half of its bytes.
	data, last, err := sessionPrefix(5)
	if err != nil {
		return nil, err
	}
	return data[:len(data)-last/2], nil
}

func buildTruncatedHeader() ([]byte, error) {
	data, last, err := sessionPrefix(5)
	if err != nil {
		return nil, err
	}
	return data[:len(data)-last-16+8], nil
}

func buildGarbage() ([]byte, error) {
	const text = "This is not a packet capture. It is plain text that a pcap reader must reject with a clear error.\n"
	s := (text + strings.Repeat("-", 100))[:99] + "\n"
	if len(s) != 100 {
		return nil, fmt.Errorf("garbage.pcap: made %d bytes, want 100", len(s))
	}
	return []byte(s), nil
}

// shortSession adds a TCP connection to port 7 (echo): handshake, request,
// response, ACK (6 packets).
func shortSession(c *capture, toServer, toClient path, ts bool) {
	f := newTCPFlow(c, toServer, toClient, 40200, 7, 0x3c6ef372, 0xa54ff53a, 1460)
	f.ts = ts
	f.send(0, client, "S", nil)
	f.send(us(201), server, "SA", nil)
	f.send(us(55), client, "A", nil)
	f.send(us(31), client, "PA", []byte("ping\n"))
	f.send(us(120), server, "PA", []byte("ping\n"))
	f.send(us(48), client, "A", nil)
}

func buildRaw() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	shortSession(c, rawV4(a, b), rawV4(b, a), false)
	return c.pcap(layers.LinkTypeRaw, snaplen, false)
}

func buildSLL() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	shortSession(c, sllV4(a, b, 4), sllV4(b, a, 0), true)
	return c.pcap(layers.LinkTypeLinuxSLL, snaplen, false)
}

func buildNull() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	shortSession(c, nullV4(a, b), nullV4(b, a), true)
	c.send(us(5003), nullV6(a, b), icmp6(layers.ICMPv6TypeEchoRequest, 0), &layers.ICMPv6Echo{Identifier: 0x2345, SeqNumber: 1}, pingPayload(1704110400))
	c.send(us(21), nullV6(b, a), icmp6(layers.ICMPv6TypeEchoReply, 0), &layers.ICMPv6Echo{Identifier: 0x2345, SeqNumber: 1}, pingPayload(1704110400))
	return c.pcap(layers.LinkTypeNull, snaplen, false)
}

func buildSnaplen() ([]byte, error) {
	c := newCapture()
	a, b := hosts()
	c.add(0, eth(a.mac, macBcast, layers.EthernetTypeARP), arp(layers.ARPRequest, a.mac, a.ip4, macZero, b.ip4))
	c.trimLast(42)
	c.send(us(250), ethV4(a, b), icmp4(layers.ICMPv4TypeEchoRequest, 0, 0x1234, 1), pingPayload(1704110400))
	f := newTCPFlow(c, ethV4(a, b), ethV4(b, a), 40300, 80, 0x7f4a7c15, 0x1b873593, 1460)
	f.next = [2]uint32{0x7f4a7c16, 0x1b873594} // an established connection
	f.lastTS = [2]uint32{0x5a6b0b00, 0x1f2e3c00}
	f.send(us(1000), server, "A", make([]byte, 1448)) // 1514-byte frame
	c.send(us(500), ethV4(b, a), udp(53, 53000), dnsAnswer(0x4a3b, "example.com", layers.DNSTypeA, ip4Answer))
	f6 := newTCPFlow(c, ethV6(a, b), ethV6(b, a), 40301, 443, 0x2545f491, 0, 1440)
	f6.send(us(700), client, "S", nil) // 94 bytes
	return c.pcap(layers.LinkTypeEthernet, 64, false)
}
