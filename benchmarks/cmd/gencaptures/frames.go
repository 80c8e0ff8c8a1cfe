package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// epoch is the timestamp of the first packet of every file.
var epoch = time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)

// snaplen is the snapshot length written into file headers, tcpdump's default.
const snaplen = 262144

// Addresses come from the benchmarking range 198.18.0.0/15 (RFC 2544) and the
// IPv6 documentation prefix 2001:db8::/32 (RFC 3849); MACs are locally administered.
var (
	macA        = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	macB        = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
	macBcast    = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	macZero     = net.HardwareAddr{0, 0, 0, 0, 0, 0}
	ip4A        = net.IP{198, 18, 0, 1}
	ip4B        = net.IP{198, 18, 0, 2}
	ip4Router   = net.IP{198, 19, 255, 254} // a router between A and B that sends ICMP errors
	ip4Answer   = net.IP{198, 18, 0, 80}    // the address DNS answers carry
	ip6A        = net.ParseIP("2001:db8::1")
	ip6B        = net.ParseIP("2001:db8::2")
	ip6Answer   = net.ParseIP("2001:db8::80")
	ip6SolNodeB = net.ParseIP("ff02::1:ff00:2") // solicited-node multicast address of ip6B
	macSolNodeB = net.HardwareAddr{0x33, 0x33, 0xff, 0x00, 0x00, 0x02}
)

// node is one end of a conversation. It numbers the IPv4 datagrams it sends.
type node struct {
	mac  net.HardwareAddr
	ip4  net.IP
	ip6  net.IP
	ipID uint16
}

// hosts returns fresh A and B nodes, so that every file numbers its datagrams
// independently of the others.
func hosts() (a, b *node) {
	return &node{mac: macA, ip4: ip4A, ip6: ip6A, ipID: 0x1c46},
		&node{mac: macB, ip4: ip4B, ip6: ip6B, ipID: 0x7a10}
}

func (n *node) nextID() uint16 {
	n.ipID++
	return n.ipID
}

var serializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// serialize encodes the layers into one frame with correct lengths and
// checksums. Transport layers get the nearest network layer before them for
// their pseudo-header checksum.
func serialize(ls ...gopacket.SerializableLayer) ([]byte, error) {
	var network gopacket.NetworkLayer
	for _, l := range ls {
		var err error
		switch l := l.(type) {
		case *layers.IPv4:
			network = l
		case *layers.IPv6:
			network = l
		case *layers.TCP:
			if network != nil {
				err = l.SetNetworkLayerForChecksum(network)
			}
		case *layers.UDP:
			if network != nil {
				err = l.SetNetworkLayerForChecksum(network)
			}
		case *layers.ICMPv6:
			if network != nil {
				err = l.SetNetworkLayerForChecksum(network)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("serialising %s: %w", layerNames(ls), err)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serializeOpts, ls...); err != nil {
		return nil, fmt.Errorf("serialising %s: %w", layerNames(ls), err)
	}
	return buf.Bytes(), nil
}

func layerNames(ls []gopacket.SerializableLayer) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.LayerType().String()
	}
	return strings.Join(names, "/")
}

func eth(src, dst net.HardwareAddr, t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: t}
}

func ipv4(src, dst net.IP, proto layers.IPProtocol, id uint16, df bool) *layers.IPv4 {
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, Id: id, SrcIP: src, DstIP: dst}
	if df {
		ip.Flags = layers.IPv4DontFragment
	}
	return ip
}

func ipv6(src, dst net.IP, next layers.IPProtocol, hopLimit uint8) *layers.IPv6 {
	return &layers.IPv6{Version: 6, NextHeader: next, HopLimit: hopLimit, SrcIP: src, DstIP: dst}
}

func arp(op uint16, srcMAC net.HardwareAddr, src net.IP, dstMAC net.HardwareAddr, dst net.IP) *layers.ARP {
	return &layers.ARP{
		AddrType:          layers.LinkTypeEthernet,
		Protocol:          layers.EthernetTypeIPv4,
		HwAddressSize:     6,
		ProtAddressSize:   4,
		Operation:         op,
		SourceHwAddress:   srcMAC,
		SourceProtAddress: src.To4(),
		DstHwAddress:      dstMAC,
		DstProtAddress:    dst.To4(),
	}
}

func udp(src, dst layers.UDPPort) *layers.UDP {
	return &layers.UDP{SrcPort: src, DstPort: dst}
}

func icmp4(t, code uint8, id, seq uint16) *layers.ICMPv4 {
	return &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(t, code), Id: id, Seq: seq}
}

func icmp6(t, code uint8) *layers.ICMPv6 {
	return &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(t, code)}
}

// pingPayload is what Linux ping sends: an 8-byte timeval, then 0x10, 0x11, …
// up to 56 bytes.
func pingPayload(sec uint32) gopacket.Payload {
	p := make([]byte, 56)
	binary.LittleEndian.PutUint32(p[0:4], sec)
	binary.LittleEndian.PutUint32(p[4:8], 0x0001e240)
	for i := 8; i < len(p); i++ {
		p[i] = byte(i + 8)
	}
	return p
}

// pattern returns n bytes of printable, repeating text.
func pattern(n int) gopacket.Payload {
	const text = "tcpregress fragment test payload 0123456789 "
	return []byte(strings.Repeat(text, n/len(text)+1)[:n])
}

func dnsQuery(id uint16, name string, t layers.DNSType) *layers.DNS {
	return &layers.DNS{
		ID: id, RD: true, OpCode: layers.DNSOpCodeQuery,
		Questions: []layers.DNSQuestion{{Name: []byte(name), Type: t, Class: layers.DNSClassIN}},
	}
}

func dnsAnswer(id uint16, name string, t layers.DNSType, addr net.IP) *layers.DNS {
	d := dnsQuery(id, name, t)
	d.QR, d.RA = true, true
	d.Answers = []layers.DNSResourceRecord{{Name: []byte(name), Type: t, Class: layers.DNSClassIN, TTL: 300, IP: addr}}
	return d
}

// sllHeader is a LINKTYPE_LINUX_SLL "cooked" header; gopacket can decode but
// not serialise one.
type sllHeader struct {
	pktType uint16 // 0 to us, 4 outgoing
	addr    net.HardwareAddr
	proto   layers.EthernetType
}

func (h sllHeader) LayerType() gopacket.LayerType { return layers.LayerTypeLinuxSLL }

func (h sllHeader) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	buf, err := b.PrependBytes(16)
	if err != nil {
		return err
	}
	clear(buf)
	binary.BigEndian.PutUint16(buf[0:], h.pktType)
	binary.BigEndian.PutUint16(buf[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(buf[4:], uint16(len(h.addr)))
	copy(buf[6:14], h.addr)
	binary.BigEndian.PutUint16(buf[14:], uint16(h.proto))
	return nil
}

// path builds the layers below the transport header for one direction of a
// conversation: link header (if any) and IP header.
type path func(proto layers.IPProtocol) []gopacket.SerializableLayer

func ethV4(from, to *node) path {
	return func(proto layers.IPProtocol) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{eth(from.mac, to.mac, layers.EthernetTypeIPv4), ipv4(from.ip4, to.ip4, proto, from.nextID(), true)}
	}
}

func ethV6(from, to *node) path {
	return func(proto layers.IPProtocol) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{eth(from.mac, to.mac, layers.EthernetTypeIPv6), ipv6(from.ip6, to.ip6, proto, 64)}
	}
}

func rawV4(from, to *node) path {
	return func(proto layers.IPProtocol) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{ipv4(from.ip4, to.ip4, proto, from.nextID(), true)}
	}
}

func sllV4(from, to *node, pktType uint16) path {
	return func(proto layers.IPProtocol) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{
			sllHeader{pktType: pktType, addr: from.mac, proto: layers.EthernetTypeIPv4},
			ipv4(from.ip4, to.ip4, proto, from.nextID(), true),
		}
	}
}

func nullV4(from, to *node) path {
	return func(proto layers.IPProtocol) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.Loopback{Family: layers.ProtocolFamilyIPv4}, ipv4(from.ip4, to.ip4, proto, from.nextID(), true)}
	}
}

// nullV6 uses address family 30, AF_INET6 on macOS, whose lo0 is the usual
// source of DLT_NULL captures.
func nullV6(from, to *node) path {
	return func(proto layers.IPProtocol) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.Loopback{Family: layers.ProtocolFamilyIPv6Darwin}, ipv6(from.ip6, to.ip6, proto, 64)}
	}
}

// packet is one record of a capture file.
type packet struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// capture collects the packets of one file. The first error sticks and makes
// later calls no-ops; check it once at the end.
type capture struct {
	now   time.Time
	iface int
	pkts  []packet
	err   error
}

func newCapture() *capture { return &capture{now: epoch} }

// add appends a frame made of ls, captured gap after the previous one.
func (c *capture) add(gap time.Duration, ls ...gopacket.SerializableLayer) {
	if c.err != nil {
		return
	}
	data, err := serialize(ls...)
	if err != nil {
		c.err = fmt.Errorf("packet %d: %w", len(c.pkts)+1, err)
		return
	}
	c.now = c.now.Add(gap)
	c.pkts = append(c.pkts, packet{
		ci:   gopacket.CaptureInfo{Timestamp: c.now, CaptureLength: len(data), Length: len(data), InterfaceIndex: c.iface},
		data: data,
	})
}

// send appends a frame that p carries: the IP protocol comes from the first
// of ls.
func (c *capture) send(gap time.Duration, p path, ls ...gopacket.SerializableLayer) {
	if c.err != nil {
		return
	}
	var proto layers.IPProtocol
	switch ls[0].LayerType() {
	case layers.LayerTypeTCP:
		proto = layers.IPProtocolTCP
	case layers.LayerTypeUDP:
		proto = layers.IPProtocolUDP
	case layers.LayerTypeICMPv4:
		proto = layers.IPProtocolICMPv4
	case layers.LayerTypeICMPv6:
		proto = layers.IPProtocolICMPv6
	default:
		c.err = fmt.Errorf("packet %d: no IP protocol number for %s", len(c.pkts)+1, ls[0].LayerType())
		return
	}
	c.add(gap, append(p(proto), ls...)...)
}

// trimLast cuts the last frame to n bytes. gopacket pads Ethernet frames to
// the 60-byte minimum, as a NIC does on the wire; a capture on the sending
// host shows them shorter.
func (c *capture) trimLast(n int) {
	if c.err != nil || len(c.pkts) == 0 {
		return
	}
	p := &c.pkts[len(c.pkts)-1]
	if len(p.data) > n {
		p.data = p.data[:n]
		p.ci.CaptureLength, p.ci.Length = n, n
	}
}

// TCP option helpers, in the order Linux puts them on a SYN.
func optMSS(mss uint16) layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindMSS, OptionData: binary.BigEndian.AppendUint16(nil, mss)}
}
func optSACKPermitted() layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindSACKPermitted}
}
func optTimestamps(val, ecr uint32) layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionData: binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, val), ecr)}
}
func optNOP() layers.TCPOption { return layers.TCPOption{OptionType: layers.TCPOptionKindNop} }
func optWindowScale(shift uint8) layers.TCPOption {
	return layers.TCPOption{OptionType: layers.TCPOptionKindWindowScale, OptionData: []byte{shift}}
}

const (
	client = 0
	server = 1
)

// tcpFlow tracks one TCP connection's sequence numbers, acknowledgements and
// timestamps so that its segments agree with each other.
type tcpFlow struct {
	c      *capture
	paths  [2]path // [client] client→server, [server] server→client
	ports  [2]layers.TCPPort
	next   [2]uint32 // next sequence number each side sends
	tsval  [2]uint32 // each side's timestamp clock
	lastTS [2]uint32 // the last TSval each side sent
	mss    uint16
	ts     bool // use the timestamps option (RFC 7323)
}

func newTCPFlow(c *capture, toServer, toClient path, cport, sport layers.TCPPort, isnClient, isnServer uint32, mss uint16) *tcpFlow {
	return &tcpFlow{
		c:     c,
		paths: [2]path{toServer, toClient},
		ports: [2]layers.TCPPort{cport, sport},
		next:  [2]uint32{isnClient, isnServer},
		tsval: [2]uint32{isnClient*2654435761 + 1, isnServer*2654435761 + 7},
		mss:   mss,
		ts:    true,
	}
}

// send emits one segment from side with the flags named in flags (S, A, P, F,
// R) and payload, then advances that side's sequence number.
func (f *tcpFlow) send(gap time.Duration, from int, flags string, payload []byte) {
	peer := 1 - from
	t := &layers.TCP{
		SrcPort: f.ports[from], DstPort: f.ports[peer],
		Seq:    f.next[from],
		SYN:    strings.Contains(flags, "S"),
		ACK:    strings.Contains(flags, "A"),
		PSH:    strings.Contains(flags, "P"),
		FIN:    strings.Contains(flags, "F"),
		RST:    strings.Contains(flags, "R"),
		Window: 502, // 64256 with window scale 7
	}
	if t.ACK {
		t.Ack = f.next[peer]
	}
	tsval := f.tsval[from]
	f.tsval[from] += 3
	ecr := f.lastTS[peer]
	if t.SYN && !t.ACK {
		ecr = 0
	}
	switch {
	case t.RST:
		t.Window = 0
	case t.SYN:
		t.Window = 64240
		if t.ACK {
			t.Window = 65160
		}
		if f.ts {
			t.Options = append(t.Options, optMSS(f.mss), optSACKPermitted(), optTimestamps(tsval, ecr))
		} else {
			t.Options = append(t.Options, optMSS(f.mss), optNOP(), optNOP(), optSACKPermitted())
		}
		t.Options = append(t.Options, optNOP(), optWindowScale(7))
	case f.ts:
		t.Options = append(t.Options, optNOP(), optNOP(), optTimestamps(tsval, ecr))
	}
	if f.ts && !t.RST {
		f.lastTS[from] = tsval
	}
	f.next[from] += uint32(len(payload))
	if t.SYN || t.FIN {
		f.next[from]++
	}
	f.c.send(gap, f.paths[from], t, gopacket.Payload(payload))
}

// pcap encodes c's packets as a classic pcap file (see pcapFile), or returns
// the first error adding them met.
func (c *capture) pcap(link layers.LinkType, snap uint32, nanos bool) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	return pcapFile(link, snap, nanos, c.pkts)
}

// pcapng encodes c's packets as a pcapng file (see pcapngFile), or returns
// the first error adding them met.
func (c *capture) pcapng(ifaces []pcapgo.NgInterface) ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	return pcapngFile(ifaces, c.pkts)
}

// pcapFile encodes a classic pcap file. Frames longer than snap are cut to
// snap bytes, keeping their original length in the record header.
func pcapFile(link layers.LinkType, snap uint32, nanos bool, pkts []packet) ([]byte, error) {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(snap, link); err != nil {
		return nil, err
	}
	for i, p := range pkts {
		ci, data := p.ci, p.data
		if len(data) > int(snap) {
			data = data[:snap]
			ci.CaptureLength = len(data)
		}
		if err := w.WritePacket(ci, data); err != nil {
			return nil, fmt.Errorf("packet %d: %w", i+1, err)
		}
	}
	return buf.Bytes(), nil
}

// pcapngFile encodes a pcapng file with one section and the given interfaces.
// The section header names only the application, so the bytes do not depend
// on the machine that runs the generator.
func pcapngFile(ifaces []pcapgo.NgInterface, pkts []packet) ([]byte, error) {
	var buf bytes.Buffer
	opts := pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "tcpregress gencaptures"}}
	w, err := pcapgo.NewNgWriterInterface(&buf, ifaces[0], opts)
	if err != nil {
		return nil, err
	}
	for _, intf := range ifaces[1:] {
		if _, err := w.AddInterface(intf); err != nil {
			return nil, err
		}
	}
	for i, p := range pkts {
		if err := w.WritePacket(p.ci, p.data); err != nil {
			return nil, fmt.Errorf("packet %d: %w", i+1, err)
		}
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
