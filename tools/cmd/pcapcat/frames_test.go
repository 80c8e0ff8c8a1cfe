package main

import (
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"

	"tcpregress.dev/pcap"
)

// Hand-made frames for the comparisons with tcpdump: the protocol corners
// the shared captures do not reach (TCP options of every kind, ICMP and
// ICMPv6 types, IPv6 extension headers, tunnels, VLAN stacks, ARP
// operations). Checksums are left zero: the one-line grammar ignores them.

var (
	hostA  = []byte{198, 18, 0, 1}
	hostB  = []byte{198, 18, 0, 2}
	host6A = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}
	host6B = []byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}
	macs   = []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1}
)

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func ether(typ uint16, payload []byte) []byte { return cat(macs, u16(typ), payload) }

func ipv4(proto byte, payload []byte, opts []byte) []byte {
	ihl := 5 + len(opts)/4
	h := cat([]byte{0x40 | byte(ihl), 0}, u16(uint16(ihl*4+len(payload))), u16(1), u16(0x4000),
		[]byte{64, proto, 0, 0}, hostA, hostB, opts)
	return cat(h, payload)
}

func ipv6(nh byte, payload []byte) []byte {
	return cat(u32(0x60000000), u16(uint16(len(payload))), []byte{nh, 64}, host6A, host6B, payload)
}

func tcpSeg(sport, dport uint16, seq, ack uint32, flags byte, opts, payload []byte) []byte {
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	off := byte(5 + len(opts)/4)
	return cat(u16(sport), u16(dport), u32(seq), u32(ack), []byte{off << 4, flags}, u16(512), u16(0), u16(0), opts, payload)
}

func udpDgram(sport, dport uint16, payload []byte) []byte {
	return cat(u16(sport), u16(dport), u16(uint16(8+len(payload))), u16(0), payload)
}

// extraFrames returns the hand-made Ethernet frames.
func extraFrames() [][]byte {
	var fs [][]byte
	add := func(f []byte) { fs = append(fs, f) }
	get := []byte("GET /x HTTP/1.0\r\n")
	for i, o := range [][]byte{
		cat([]byte{1, 1, 5, 10}, u32(1000), u32(2000)),
		{2, 4, 5, 0xb4, 3, 3, 7, 4, 2, 1, 0},
		cat([]byte{8, 10}, u32(5), u32(6), []byte{1, 1}),
		{30, 4, 0x20, 0x01},
		{34, 2, 1, 1},
		{34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1},
		{254, 4, 0xf9, 0x89},
		{254, 6, 0xac, 0xc0, 1, 2},
		{28, 4, 0x81, 0x2c},
		cat([]byte{19, 18}, make([]byte, 16), []byte{1, 1}),
		{99, 3, 7, 1},
		{29, 6, 1, 2, 3, 4},
		cat([]byte{5, 18}, make([]byte, 16), []byte{1, 1}),
		{2, 9, 1, 1},
		{1, 0, 0, 0, 2, 4, 5, 0xb4},
	} {
		add(ether(0x0800, ipv4(6, tcpSeg(40000+uint16(i), 80, 1000, 2000, 0x10, o, get), nil)))
	}
	for _, app := range []struct {
		port    uint16
		payload string
	}{{22, "SSH-2.0-OpenSSH_9.0\r\n"}, {21, "220 hello\r\n"}, {25, "EHLO x\r\n"}, {179, "\xff\xff\xff\xff"},
		{8080, "HTTP/1.1 404 Not Found\r\n"}, {554, "OPTIONS rtsp://x RTSP/1.0\r\n"}, {80, "garbage\r\n"},
		{80, "POST /upload"}, {43, "example.com\n"}} {
		add(ether(0x0800, ipv4(6, tcpSeg(5555, app.port, 1, 2, 0x18, nil, []byte(app.payload)), nil)))
	}
	add(ether(0x0800, ipv4(6, tcpSeg(1, 2, 3, 4, 0x3f, nil, nil), nil)))
	add(ether(0x0800, ipv4(6, tcpSeg(1, 2, 3, 4, 0x00, nil, nil), nil)))
	add(ether(0x0800, ipv4(6, tcpSeg(1, 2, 3, 4, 0x12, nil, nil), []byte{1, 1, 1, 0})))

	// ICMP: type, code, the 4 bytes after the checksum, the body.
	quoted := ipv4(17, udpDgram(1234, 53, nil), nil)
	for _, m := range []struct {
		typ, code byte
		rest      []byte
		body      []byte
	}{
		{3, 0, u32(1400), quoted}, {3, 1, u32(0), quoted}, {3, 2, u32(0), quoted}, {3, 3, u32(0), quoted},
		{3, 4, u32(1400), quoted}, {3, 4, u32(0), quoted}, {3, 5, nil, quoted}, {3, 9, nil, quoted}, {3, 13, nil, quoted}, {3, 99, nil, quoted},
		{5, 0, hostA, quoted}, {5, 1, hostA, quoted}, {5, 3, hostA, quoted}, {5, 7, hostA, quoted},
		{11, 0, nil, quoted}, {11, 1, nil, quoted}, {11, 5, nil, quoted}, {12, 0, []byte{20, 0, 0, 0}, quoted}, {12, 2, nil, quoted},
		{13, 0, cat(u16(7), u16(9)), make([]byte, 12)}, {14, 0, cat(u16(7), u16(9)), cat(u32(1000), u32(3723004), u32(86399999))},
		{17, 0, nil, nil}, {18, 0, nil, u32(0xffffff00)}, {9, 0, []byte{2, 2, 0, 30}, cat(hostA, u32(5), hostB, u32(6))},
		{9, 0, []byte{1, 3, 0x1c, 0x20}, nil}, {10, 0, nil, nil}, {15, 0, nil, nil}, {16, 0, nil, nil}, {4, 0, nil, nil},
		{42, 0, nil, nil}, {0, 0, cat(u16(1), u16(2)), []byte("abc")}, {8, 0, cat(u16(1), u16(2)), nil},
	} {
		rest := m.rest
		for len(rest) < 4 {
			rest = append(rest, 0)
		}
		add(ether(0x0800, ipv4(1, cat([]byte{m.typ, m.code, 0, 0}, rest, m.body), nil)))
	}

	// ICMPv6.
	quoted6 := ipv6(17, udpDgram(1234, 53, nil))
	for _, m := range []struct {
		typ, code byte
		rest      []byte
		body      []byte
	}{
		{1, 0, nil, quoted6}, {1, 1, nil, quoted6}, {1, 2, nil, quoted6}, {1, 3, nil, quoted6}, {1, 4, nil, quoted6}, {1, 7, nil, quoted6},
		{2, 0, u32(1280), quoted6}, {3, 0, nil, quoted6}, {3, 1, nil, quoted6}, {3, 9, nil, quoted6},
		{4, 0, u32(40), quoted6}, {4, 1, u32(6), quoted6}, {4, 8, u32(6), quoted6},
		{128, 0, cat(u16(1), u16(2)), []byte("abc")}, {129, 0, cat(u16(1), u16(2)), nil},
		{130, 0, cat(u16(100), u16(0)), make([]byte, 16)}, {130, 0, cat(u16(100), u16(0)), cat(make([]byte, 16), u32(1), make([]byte, 16))},
		{131, 0, nil, cat([]byte{0xff, 2}, make([]byte, 13), []byte{0xfb})}, {132, 0, nil, make([]byte, 16)},
		{133, 0, nil, nil}, {134, 0, make([]byte, 4), make([]byte, 8)}, {135, 0, nil, host6B}, {136, 0, nil, host6B},
		{137, 0, nil, cat(host6A, host6B)}, {138, 1, u32(7), make([]byte, 8)}, {143, 0, cat(u16(0), u16(2)), nil},
		{144, 0, cat(u16(0x1234), u16(0)), nil}, {155, 2, nil, nil}, {155, 0x80, nil, nil}, {77, 0, nil, nil},
	} {
		rest := m.rest
		for len(rest) < 4 {
			rest = append(rest, 0)
		}
		add(ether(0x86dd, ipv6(58, cat([]byte{m.typ, m.code, 0, 0}, rest, m.body))))
	}

	// IPv6 extension headers, tunnels, odd protocols.
	syn := tcpSeg(1, 2, 3, 4, 0x02, nil, nil)
	add(ether(0x86dd, ipv6(0, cat([]byte{6, 0, 1, 4, 0, 0, 0, 0}, syn))))
	add(ether(0x86dd, ipv6(60, cat([]byte{17, 0, 1, 4, 0, 0, 0, 0}, udpDgram(1, 2, nil)))))
	add(ether(0x86dd, ipv6(44, cat([]byte{17, 0, 0, 1, 0, 0, 0, 9}, udpDgram(1, 2, make([]byte, 92))))))
	add(ether(0x86dd, ipv6(44, cat([]byte{17, 0, 0, 0x81, 0, 0, 0, 9}, make([]byte, 20)))))
	add(ether(0x86dd, ipv6(43, cat([]byte{6, 2, 0, 1, 0, 0, 0, 0}, host6B, syn))))
	add(ether(0x86dd, ipv6(43, cat([]byte{6, 2, 2, 1, 0, 0, 0, 0}, host6B, syn))))
	add(ether(0x86dd, ipv6(59, nil)))
	add(ether(0x86dd, ipv6(99, []byte("abcd"))))
	add(ether(0x86dd, ipv6(4, ipv4(6, syn, nil))))
	add(ether(0x86dd, ipv6(41, ipv6(17, udpDgram(7, 9, []byte("x"))))))
	add(ether(0x0800, ipv4(4, ipv4(17, udpDgram(1, 2, nil), nil), nil)))
	add(ether(0x0800, ipv4(41, ipv6(17, udpDgram(1, 2, nil)), nil)))
	add(ether(0x0800, ipv4(99, []byte("abcdefgh"), nil)))
	add(ether(0x0800, ipv4(77, []byte("abcdefgh"), nil)))
	add(ether(0x0800, ipv4(59, []byte("abcdefgh"), nil)))
	add(ether(0x0800, ipv4(58, []byte("abcdefgh"), nil)))
	add(ether(0x0800, ipv4(17, cat(u16(1), u16(2), u16(300), u16(0), []byte("qqqqqqqqqq")), nil)))
	add(ether(0x0800, ipv4(17, cat(u16(1), u16(2), u16(4), u16(0), []byte("qqqqqqqqqq")), nil)))
	add(ether(0x0800, ipv4(6, syn, []byte{7, 3, 4, 0})))
	add(ether(0x8100, cat(u16(0x3064), u16(0x0800), ipv4(6, syn, nil))))
	add(ether(0x88a8, cat(u16(0x000a), u16(0x8100), u16(0x2064), u16(0x86dd), ipv6(6, syn))))
	add(ether(0x8100, cat(u16(0x0064), u16(0x0806), []byte{0, 1, 8, 0, 6, 4, 0, 1}, macs[6:], hostA, make([]byte, 6), hostB)))

	// ARP operations and odd ARP headers.
	for _, op := range []uint16{1, 2, 3, 4, 8, 9, 10, 42} {
		add(ether(0x0806, cat([]byte{0, 1, 8, 0, 6, 4}, u16(op), macs[6:], hostA, macs[:6], hostB)))
	}
	add(ether(0x0806, cat([]byte{0, 1, 0x86, 0xdd, 6, 16, 0, 1}, make([]byte, 44))))
	add(ether(0x0806, cat([]byte{0, 6, 8, 0, 6, 4, 0, 2}, make([]byte, 20))))
	add(ether(0x0806, cat([]byte{0, 1, 8, 0, 6, 4, 0, 1}, macs[6:], hostA, []byte{1, 2, 3, 4, 5, 6}, hostB)))

	// Routing and tunnelling protocols in IP: PIM, EIGRP, OSPF, GRE.
	for _, typ := range []byte{0x20, 0x24, 0x2f, 0x12} {
		add(ether(0x0800, ipv4(103, cat([]byte{typ, 0, 0, 0}, make([]byte, 10)), nil)))
	}
	add(ether(0x0800, ipv4(88, cat([]byte{2, 5}, make([]byte, 18)), nil)))
	add(ether(0x0800, ipv4(88, cat([]byte{1, 9}, make([]byte, 18)), nil)))
	add(ether(0x0800, ipv4(89, cat([]byte{2, 4}, u16(44), make([]byte, 10), u16(2), make([]byte, 24)), nil)))
	add(ether(0x0800, ipv4(89, cat([]byte{2, 9}, u16(24), make([]byte, 20)), nil)))
	add(ether(0x86dd, ipv6(89, cat([]byte{3, 1}, u16(36), make([]byte, 32)))))
	inner := ipv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 2}, nil)
	add(ether(0x0800, ipv4(47, cat(u16(0x3000), u16(0x0800), u32(0xabc), u32(7), inner), nil)))
	add(ether(0x0800, ipv4(47, cat(u16(0x8000), u16(0x6558), u16(0), u16(0), ether(0x0800, inner)), nil)))
	add(ether(0x0800, ipv4(47, cat(u16(0x1000), u16(0x88be), u32(9), make([]byte, 12)), nil)))
	add(ether(0x0800, ipv4(47, cat(u16(0x3081), u16(0x880b), u32(0x00080001), u32(5), u32(4), make([]byte, 4)), nil)))
	// PPP in enhanced GRE: LCP, IP, compressed protocol field, unknown.
	for _, ppp := range [][]byte{
		cat([]byte{0xff, 0x03}, u16(0xc021), []byte{1, 7}, u16(8), u32(0x05060000)),
		cat([]byte{0xff, 0x03}, u16(0x0021), inner), cat([]byte{0x21}, inner), cat(u16(0x8021), []byte{99, 1}, u16(4)),
		cat(u16(0x4321), make([]byte, 6)), cat(u16(0x00fd), make([]byte, 6)),
	} {
		add(ether(0x0800, ipv4(47, cat(u16(0x3001), u16(0x880b), u32(uint32(len(ppp))<<16|7), u32(5), ppp), nil)))
	}
	add(ether(0x0800, ipv4(47, cat(u16(0x4000), u16(0x0800), u16(0), u16(4), u16(0x0800), []byte{0, 8}, hostA, hostB, u32(0), inner), nil)))

	// Multipath TCP options (RFC 8684), with the flags they need.
	for _, m := range []struct {
		flags byte
		opt   []byte
	}{
		{0x02, cat([]byte{30, 12, 0x01, 0x81}, u32(1), u32(2))},
		{0x10, cat([]byte{30, 20, 0x00, 0x01}, u32(1), u32(2), u32(3), u32(4))},
		{0x02, cat([]byte{30, 12, 0x11, 5}, u32(7), u32(8))},
		{0x12, cat([]byte{30, 16, 0x10, 5}, u32(7), u32(8), u32(9))},
		{0x10, cat([]byte{30, 24, 0x10, 0}, make([]byte, 20))},
		{0x10, cat([]byte{30, 20, 0x20, 0x1f}, u32(1), u32(2), u32(3), u32(4), u16(5), u16(6))},
		{0x10, cat([]byte{30, 8, 0x20, 0x01}, u32(1))},
		{0x10, cat([]byte{30, 18, 0x30, 2}, hostA, u16(80), u32(1), u32(2))},
		{0x10, []byte{30, 5, 0x40, 1, 2, 0, 0, 0}},
		{0x10, []byte{30, 4, 0x51, 3}},
		{0x10, cat([]byte{30, 12, 0x70, 0}, u32(1), u32(2))},
		{0x10, cat([]byte{30, 12, 0x60, 0}, u32(1), u32(2))},
		{0x10, []byte{30, 4, 0x90, 0}},
		{0x02, []byte{30, 4, 0x20, 0}},
	} {
		add(ether(0x0800, ipv4(6, tcpSeg(3333, 80, 1, 2, m.flags, m.opt, nil), nil)))
	}

	// IPsec: AH before TCP, ESP, ESP in UDP.
	add(ether(0x0800, ipv4(51, cat([]byte{6, 4, 0, 0}, u32(0x1000), u32(3), make([]byte, 12), tcpSeg(1, 2, 3, 4, 0x02, nil, nil)), nil)))
	add(ether(0x0800, ipv4(51, cat([]byte{6, 1, 0, 7}, u32(0x1000), u32(3), make([]byte, 12)), nil)))
	add(ether(0x0800, ipv4(50, cat(u32(0x1234), u32(9), make([]byte, 20)), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(4500, 4500, cat(u32(0x1234), u32(9), make([]byte, 20))), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(4500, 4500, []byte{0xff}), nil)))

	// DNS: a query with EDNS, a response with compressed names and many
	// record types, multicast DNS, DNS over TCP.
	name := []byte("\x03www\x07example\x03com\x00")
	query := cat(u16(0x1234), u16(0x0110), u16(1), u16(0), u16(0), u16(1), name, u16(1), u16(1),
		[]byte{0}, u16(41), u16(4096), u32(0x8000), u16(0))
	rr := func(typ uint16, data []byte) []byte {
		return cat([]byte{0xc0, 12}, u16(typ), u16(1), u32(60), u16(uint16(len(data))), data)
	}
	resp := cat(u16(0x1234), u16(0x8580), u16(1), u16(7), u16(0), u16(0), name, u16(28), u16(1),
		rr(5, []byte("\x04mail\xc0\x10")), rr(1, hostA), rr(28, host6A), rr(15, cat(u16(10), []byte{0xc0, 12})),
		rr(16, []byte("\x05hello\x02\x01z")), rr(33, cat(u16(1), u16(2), u16(5060), []byte{0xc0, 12})), rr(6, make([]byte, 22)))
	add(ether(0x0800, ipv4(17, udpDgram(5353, 53, query), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(53, 5353, resp), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(5353, 5353, cat(u16(0), u16(0), u16(1), u16(0), u16(0), u16(0), name, u16(12), u16(0x8001))), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(53, 53, cat(u16(7), u16(0x8183), u16(2), u16(0), u16(0), u16(0), name, u16(1), u16(3), []byte{0xc0, 12}, u16(255), u16(1))), nil)))
	add(ether(0x0800, ipv4(6, tcpSeg(40000, 53, 1, 2, 0x18, nil, cat(u16(uint16(len(query))), query)), nil)))

	// IGMP (v1, v2, v3 queries and reports, leave, mtrace) and VRRP.
	for _, m := range [][]byte{
		cat([]byte{0x11, 0, 0, 0}, u32(0)), cat([]byte{0x11, 100, 0, 0}, hostB), cat([]byte{0x11, 50, 0, 0}, hostB, u32(0)),
		cat([]byte{0x11, 0x8f, 0, 0}, hostB, []byte{2, 125}, u16(2), hostA, hostA), cat([]byte{0x11, 25, 0, 0}, u32(0), u32(0)),
		cat([]byte{0x12, 0, 0, 0}, hostB), cat([]byte{0x16, 0, 0, 0}, hostB), cat([]byte{0x17, 0, 0, 0}, hostB),
		cat([]byte{0x22, 0, 0, 0}, u16(0), u16(1), []byte{4, 0}, u16(0), hostB),
		cat([]byte{0x1f, 8, 0, 0}, hostB, hostA, hostB, []byte{0xe0, 0, 0, 1, 64, 0, 0, 7}), {0x42, 0, 0, 0},
	} {
		add(ether(0x0800, ipv4(2, m, nil)))
	}
	for _, v := range [][]byte{
		cat([]byte{0x21, 42, 191, 1, 1, 1, 0, 0}, hostA, []byte("secret\x00\x00")),
		cat([]byte{0x31, 7, 100, 1, 0, 100, 0, 0}, hostA), {0x22, 1, 1, 1},
	} {
		add(ether(0x0800, ipv4(112, v, nil)))
	}

	// Ethernet loopback (configuration testing) and MS NLB heartbeats.
	add(ether(0x9000, cat([]byte{0, 0, 2, 0}, macs[:6], []byte{1, 0, 7, 0}, make([]byte, 20))))
	add(ether(0x9000, cat([]byte{8, 0}, make([]byte, 8), []byte{1, 0, 9, 0}, make([]byte, 20))))
	add(ether(0x9000, cat([]byte{3, 0, 0, 0, 0, 5, 0}, make([]byte, 8))))
	add(ether(0x886f, cat(make([]byte, 8), []byte{2, 0, 0, 0}, hostA, hostB, make([]byte, 8))))

	// NTP, DHCPv6, RADIUS, RIP, LLDP.
	add(ether(0x0800, ipv4(17, udpDgram(123, 123, cat([]byte{0x23, 2, 6, 0xe9}, make([]byte, 44))), nil)))
	add(ether(0x86dd, ipv6(17, udpDgram(546, 547, cat([]byte{1, 0, 0, 7}, u16(1), u16(4), u32(9))))))
	add(ether(0x86dd, ipv6(17, udpDgram(547, 546, cat([]byte{99, 0, 0, 7}, u16(1), u16(4), u32(9))))))
	add(ether(0x0800, ipv4(17, udpDgram(40000, 1812, cat([]byte{1, 0xa6}, u16(24), make([]byte, 16), []byte{1, 4, 'a', 'b'})), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(520, 520, cat([]byte{2, 2, 0, 0}, u16(2), u16(0), hostA, make([]byte, 12))), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(520, 520, cat([]byte{9, 1, 0, 0}, make([]byte, 20))), nil)))
	add(ether(0x88cc, cat(u16(0x0207), []byte{4}, macs[:6], u16(0x0403), []byte{5, 'x', 'y'}, u16(0x0602), u16(120), u16(0x0a05), []byte("h\x01st1"), u16(0))))

	// UDP applications: Broadcom LI, BFD, PTP.
	add(ether(0x0800, ipv4(17, udpDgram(49152, 49153, cat(u32(0x68010001), inner)), nil)))
	for _, v := range []struct {
		port   uint16
		first  byte
		second byte
	}{{3784, 0x20, 0xc4}, {3784, 0x00, 0x85}, {4784, 0x40, 0x00}, {6784, 0x20, 0x7f}, {3785, 0x20, 0}} {
		add(ether(0x0800, ipv4(17, udpDgram(1024, v.port, cat([]byte{v.first, v.second, 3, 24}, make([]byte, 20))), nil)))
	}
	for _, m := range []byte{0x00, 0x02, 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x1e} {
		body := make([]byte, 64)
		for i := range body {
			body[i] = byte(i + 1)
		}
		ptp := cat([]byte{m, 2}, u16(98), []byte{0, 0}, u16(0x0608), make([]byte, 24), []byte{5, 0xfd}, body)
		add(ether(0x0800, ipv4(17, udpDgram(319, 319, ptp), nil)))
		add(ether(0x88f7, ptp))
	}
	add(ether(0x88f7, cat([]byte{0, 0x12}, make([]byte, 40))))

	// MPLS label stacks (IPv4 and IPv6 by the null labels and by the
	// first byte, unknown payload), MPLS in GRE and UDP; VXLAN and Geneve
	// (Ethernet, IPv4, ARP, an unknown protocol, options, bad version).
	mpls := func(label uint32, s bool, ttl byte) []byte {
		e := label<<12 | 5<<9 | uint32(ttl)
		if s {
			e |= 0x100
		}
		return u32(e)
	}
	add(ether(0x8847, cat(mpls(100, false, 64), mpls(0, true, 63), inner)))
	add(ether(0x8847, cat(mpls(2, true, 1), ipv6(17, udpDgram(1, 2, nil)))))
	add(ether(0x8847, cat(mpls(1000, true, 9), inner)))
	add(ether(0x8848, cat(mpls(1000, true, 9), []byte{0x99, 1, 2, 3})))
	add(ether(0x8847, cat(mpls(1000, false, 9), []byte{1, 2})))
	add(ether(0x0800, ipv4(47, cat(u16(0), u16(0x8847), mpls(3, true, 7), inner), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(1024, 6635, cat(mpls(16, true, 7), inner)), nil)))
	arp := cat([]byte{0, 1, 8, 0, 6, 4, 0, 1}, macs[6:], hostA, make([]byte, 6), hostB)
	add(ether(0x0800, ipv4(17, udpDgram(40000, 4789, cat([]byte{8, 0, 0, 0}, u32(5001<<8), ether(0x0800, inner))), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(40000, 4789, cat([]byte{0, 0, 0, 0}, u32(7<<8), ether(0x0806, arp))), nil)))
	add(ether(0x0800, ipv4(17, udpDgram(40000, 4789, []byte{8, 0, 0}), nil)))
	for _, g := range [][]byte{
		cat([]byte{0, 0}, u16(0x6558), u32(0x123400), ether(0x0800, inner)),
		cat([]byte{2, 0xc0}, u16(0x0800), u32(0xabcdef07), u32(0x01020304), u32(0x05060708), inner),
		cat([]byte{0, 0}, u16(0x86dd), u32(1<<8), ipv6(17, udpDgram(1, 2, nil))),
		cat([]byte{0, 0x30}, u16(0x0806), u32(9<<8), arp),
		cat([]byte{0, 0}, u16(0x1234), u32(9<<8), []byte("abcd")),
		cat([]byte{0x40, 0}, u16(0x0800), u32(9<<8), inner),
		cat([]byte{8, 0}, u16(0x0800), u32(9<<8), inner),
	} {
		add(ether(0x0800, ipv4(17, udpDgram(40000, 6081, g), nil)))
	}

	// syslog (priorities valid, unknown, malformed) and SIP (request,
	// response, neither).
	for _, m := range []string{"<34>Oct 11 22:14:15 host su: x", "<191>x", "<0>", "<1234>x", "x<1>", "<12"} {
		add(ether(0x0800, ipv4(17, udpDgram(514, 514, []byte(m)), nil)))
	}
	for _, m := range []string{"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n", "SIP/2.0 200 OK\r\n\r\n", "hello there\r\n", "REGISTER sip:x SIP/2.0"} {
		add(ether(0x0800, ipv4(17, udpDgram(5060, 5060, []byte(m)), nil)))
	}

	// BOOTP/DHCP (request from an Ethernet host, reply, other hardware,
	// unknown operation) and TFTP (every opcode, options, odd bytes).
	for _, m := range [][]byte{{1, 1, 6}, {2, 1, 6}, {1, 6, 6}, {7, 1, 6}} {
		msg := cat(m, []byte{0}, u32(0x1234), make([]byte, 20), macs[6:], make([]byte, 202), u32(0x63825363), []byte{53, 1, 1, 255})
		add(ether(0x0800, ipv4(17, udpDgram(68, 67, msg), nil)))
	}
	for _, m := range [][]byte{
		cat(u16(1), []byte("boot/pxelinux.0\x00octet\x00blksize\x001432\x00tsize\x000\x00")),
		cat(u16(2), []byte("f\x01\xe9le\x00netascii\x00")), cat(u16(3), u16(7), []byte("data")), cat(u16(4), u16(7)),
		cat(u16(5), u16(1), []byte("File not found\x00")), cat(u16(5), u16(42), []byte("x\x00")),
		cat(u16(6), []byte("blksize\x001432\x00")), cat(u16(9), u16(1)), cat(u16(1), []byte("noend")), cat(u16(1), []byte("a\x00")),
	} {
		add(ether(0x0800, ipv4(17, udpDgram(40000, 69, m), nil)))
	}

	// PPPoE discovery (tags as text, as hex, unknown, EOL) and session
	// (LCP, IPv4) packets, a bad version and a length past the frame.
	pppoe := func(vt, code byte, ses uint16, payload []byte) []byte {
		return cat([]byte{vt, code}, u16(ses), u16(uint16(len(payload))), payload)
	}
	tags := cat(u16(0x0101), u16(0), u16(0x0103), u16(4), u32(0x01020304), u16(0x0102), u16(6), []byte("isp-ac"),
		u16(0x0999), u16(2), []byte("ab"), u16(0), u16(0), u16(0x0101), u16(0))
	add(ether(0x8863, pppoe(0x11, 0x09, 0, tags)))
	add(ether(0x8863, pppoe(0x11, 0x65, 0x1234, tags[:12])))
	add(ether(0x8863, pppoe(0x11, 0xa7, 0x1234, nil)))
	add(ether(0x8863, pppoe(0x21, 0x42, 0, nil)))
	add(ether(0x8864, pppoe(0x11, 0, 0x1234, cat(u16(0xc021), []byte{9, 3}, u16(8), u32(0x01020304)))))
	add(ether(0x8864, pppoe(0x11, 0, 0x1234, cat(u16(0x0021), inner))))
	add(ether(0x8864, cat([]byte{0x11, 0}, u16(1), u16(200), u16(0x0021), inner)))

	// Slow protocols (LACP, Marker, OAM, bad version, unknown) and EAPOL.
	for _, m := range [][]byte{cat([]byte{1, 1}, make([]byte, 108)), cat([]byte{2, 1}, make([]byte, 108)),
		cat([]byte{3, 0, 0x50}, make([]byte, 40)), {1, 2, 0, 0}, cat([]byte{9, 1}, make([]byte, 40))} {
		add(ether(0x8809, m))
	}
	for _, m := range [][]byte{cat([]byte{1, 0}, u16(5), []byte{2, 1}, u16(5), []byte{1}), {2, 1, 0, 0}, {1, 2, 0, 0},
		cat([]byte{2, 3}, u16(95), make([]byte, 95)), {3, 9, 0, 0}} {
		add(ether(0x888e, m))
	}

	// SCTP: INIT with a parameter, INIT ACK, DATA (flags, known and
	// unknown PPIDs) bundled with padding, SACK with gap blocks and
	// duplicates, other and unknown chunks, bad chunk lengths, IPv6.
	chunk := func(typ, flags byte, body []byte) []byte {
		c := cat([]byte{typ, flags}, u16(uint16(4+len(body))), body)
		for len(c)%4 != 0 {
			c = append(c, 0)
		}
		return c
	}
	sctp := func(chunks ...[]byte) []byte { return cat(u16(5000), u16(5001), u32(7), u32(0), cat(chunks...)) }
	for _, c := range [][]byte{
		sctp(chunk(1, 0, cat(u32(1), u32(106496), u16(10), u16(65535), u32(99), u16(12), u16(8), u32(0x7f000001)))),
		sctp(chunk(2, 0, cat(u32(2), u32(1000), u16(5), u16(5), u32(1)))),
		sctp(chunk(0, 3, cat(u32(10), u16(1), u16(2), u32(18), []byte("abc"))), chunk(0, 4, cat(u32(11), u16(0), u16(0), u32(99), []byte("x")))),
		sctp(chunk(3, 0, cat(u32(100), u32(5000), u16(2), u16(1), u16(2), u16(3), u16(5), u16(6), u32(42)))),
		sctp(chunk(10, 0, []byte("cookie")), chunk(11, 0, nil), chunk(4, 0, u32(1)), chunk(0x42, 0, nil), chunk(14, 1, nil)),
		sctp(chunk(0, 0, cat(u32(1), u16(0), u16(0), u32(0)))), sctp(chunk(3, 0, u32(1))),
		sctp([]byte{1, 0, 0, 2}), sctp([]byte{1, 0}), cat(u16(1), u16(2), u32(3)),
	} {
		add(ether(0x0800, ipv4(132, c, nil)))
	}
	add(ether(0x86dd, ipv6(132, sctp(chunk(7, 0, u32(5))))))

	// 802.3 LLC: spanning tree (802.1D, RSTP, MSTP), and Cisco's SNAP
	// protocols (PVST+, UDLD, DTP).
	bpdu := func(version, typ, flags byte) []byte {
		return cat([]byte{0, 0, version, typ, flags}, u16(0x8001), macs[:6], u32(4), u16(0x8002), macs[6:], u16(0x800c), make([]byte, 8), []byte{0})
	}
	llc := func(b []byte) []byte { return ether(uint16(len(b)), b) }
	add(llc(cat([]byte{0x42, 0x42, 3}, bpdu(0, 0, 0x81))))
	add(llc(cat([]byte{0x42, 0x42, 3}, bpdu(2, 2, 0x3e))))
	add(llc(cat([]byte{0x42, 0x42, 3}, bpdu(0, 0x80, 0))))
	add(llc(cat([]byte{0x42, 0x42, 3}, bpdu(3, 2, 0x7c), u16(64), make([]byte, 64))))
	add(llc(cat([]byte{0xaa, 0xaa, 3, 0, 0, 0x0c}, u16(0x010b), bpdu(2, 2, 0x0e))))
	add(llc(cat([]byte{0xaa, 0xaa, 3, 0, 0, 0x0c}, u16(0x0111), []byte{0x21, 0x03}, make([]byte, 30))))
	add(llc(cat([]byte{0xaa, 0xaa, 3, 0, 0, 0x0c}, u16(0x2004), []byte{1}, make([]byte, 30))))
	// CDP: the device ID alone, then other fields (tcpdump dumps those in
	// hex), a malformed field, a field too short or too long.
	tlv := func(typ uint16, v []byte) []byte { return cat(u16(typ), u16(uint16(4+len(v))), v) }
	for _, m := range [][]byte{
		tlv(1, []byte("sw\x01itch")), cat(tlv(1, []byte("S1")), tlv(3, []byte("Gi0/1"))), cat(tlv(4, []byte{1}), tlv(1, []byte("x"))),
		cat(tlv(1, []byte("S1")), u16(2), u16(2)), cat(tlv(1, []byte("S1")), u16(1), u16(40)), cat(tlv(0x99, []byte{1}), tlv(1, nil)),
	} {
		add(llc(cat([]byte{0xaa, 0xaa, 3, 0, 0, 0x0c}, u16(0x2000), []byte{2, 180, 0, 0}, m)))
	}
	// SNMP: v1 get (community "public", left out), v2c getnext, getbulk
	// and a response with values of every type, a set with an error, a v1
	// trap, a v2 trap, v3 messages, and malformed encodings.
	tl := func(tag byte, v ...[]byte) []byte {
		c := cat(v...)
		if len(c) < 128 {
			return cat([]byte{tag, byte(len(c))}, c)
		}
		return cat([]byte{tag, 0x82}, u16(uint16(len(c))), c)
	}
	in := func(v int) []byte { return tl(2, []byte{byte(v)}) }
	oid := func(b ...byte) []byte { return tl(6, b) }
	null := []byte{5, 0}
	vb := func(name, val []byte) []byte { return tl(0x30, name, val) }
	sys := oid(0x2b, 6, 1, 2, 1, 1, 1, 0)
	ent := oid(0x2b, 6, 1, 4, 1, 0x82, 0x37, 1)
	pdu := func(tag byte, a, b int, vbs ...[]byte) []byte {
		return tl(tag, tl(2, u32(0x12345678)), in(a), in(b), tl(0x30, vbs...))
	}
	snmp := func(version int, community string, p []byte) []byte {
		return tl(0x30, in(version), tl(4, []byte(community)), p)
	}
	values := [][]byte{vb(sys, tl(4, []byte("Linux host"))), vb(oid(0x2b, 6, 1, 2, 1, 1, 3, 0), tl(0x43, u32(123456))),
		vb(sys, tl(2, []byte{0xff, 0x7f})), vb(sys, tl(0x40, hostA)), vb(sys, tl(0x41, []byte{1, 0})), vb(sys, tl(0x42, []byte{0xff, 0xff, 0xff, 0xff})),
		vb(sys, tl(0x46, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9})), vb(sys, ent), vb(sys, tl(4, []byte{0, 1, 0xfe})), vb(sys, null),
		vb(sys, []byte{0x80, 0}), vb(sys, []byte{0x81, 0}), vb(sys, []byte{0x82, 0}), vb(sys, tl(0x44, []byte{1})), vb(sys, tl(1, []byte{1})),
		vb(sys, tl(0x40, []byte{1, 2})), vb(sys, tl(4, nil))}
	for _, m := range [][]byte{
		snmp(0, "public", pdu(0xa0, 0, 0, vb(sys, null))),
		snmp(1, "private", pdu(0xa1, 0, 0, vb(sys, null), vb(oid(0x2b, 6, 1, 2, 1, 2, 2, 1, 0x81, 0x00), null))),
		snmp(1, "public", pdu(0xa5, 0, 10, vb(sys, null))),
		snmp(1, "public", pdu(0xa2, 0, 0, values...)),
		snmp(0, "c", pdu(0xa3, 0, 0, vb(sys, in(5)))),
		snmp(0, "public", pdu(0xa2, 2, 1, vb(sys, null))),
		snmp(0, "public", pdu(0xa2, 30, 0, vb(sys, null))),
		snmp(0, "public", pdu(0xa2, 0, 3, vb(sys, null))),
		snmp(0, "public", pdu(0xa0, 1, 2, vb(sys, in(1)))),
		snmp(0, "public", tl(0xa4, ent, tl(0x40, hostA), in(6), in(17), tl(0x43, u32(100)), tl(0x30, vb(sys, in(1))))),
		snmp(0, "public", tl(0xa4, ent, tl(0x40, hostA), in(2), in(0), tl(0x43, u32(100)), tl(0x30))),
		snmp(0, "public", tl(0xa4, ent, tl(0x40, hostA), in(9), in(3), tl(0x43, u32(100)), tl(0x30))),
		snmp(1, "public", pdu(0xa7, 0, 0, vb(oid(0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0), ent))),
		snmp(1, "public", pdu(0xa6, 0, 0)), snmp(1, "public", pdu(0xa8, 0, 0)),
		snmp(0, "public", pdu(0xa5, 0, 0)), snmp(1, "public", tl(0xa4, ent)),
		snmp(2, "public", pdu(0xa0, 0, 0)), snmp(0, "public", tl(0x30)), snmp(0, "public", []byte{0xa0, 0x10, 2, 1}),
		tl(0x30, in(0), in(0)), tl(0x30, in(0)), tl(4, []byte("x")), tl(0x30, tl(2, nil)), []byte{0x30, 0x84, 0, 0, 0, 5},
		snmp(0, "public", pdu(0xa0, 0, 0, []byte{0x9f, 0x81, 0x01, 0})), snmp(0, "public", pdu(0xa1, 0, 0, vb(in(1), null))),
		snmp(0, "public", pdu(0xa0, 0, 0, vb(sys, []byte{0xc0, 0}))), snmp(0, "public", pdu(0xa0, 0, 0, vb(sys, []byte{0x64, 0}))),
		cat(snmp(0, "public", pdu(0xa0, 0, 0, vb(sys, null))), []byte{0, 0}),
	} {
		add(ether(0x0800, ipv4(17, udpDgram(40000, 161, m), nil)))
	}
	usm := tl(4, tl(0x30, tl(4, []byte{0x80, 0, 0x1f, 0x88, 4}), in(3), tl(2, u32(1000)), tl(4, []byte("admin")), tl(4, make([]byte, 12)), tl(4, nil)))
	scoped := tl(0x30, tl(4, []byte{0x80, 0, 0x1f, 0x88, 4}), tl(4, []byte("ctx")), pdu(0xa0, 0, 0, vb(sys, null)))
	v3 := func(flags byte, model int, sec, scoped []byte) []byte {
		return tl(0x30, in(3), tl(0x30, tl(2, u32(7)), tl(2, u16(1500)), tl(4, []byte{flags}), in(model)), sec, scoped)
	}
	for _, m := range [][]byte{v3(4, 3, usm, scoped), v3(7, 3, usm, tl(4, []byte{1, 2, 3})), v3(1, 2, usm, scoped), v3(2, 3, usm, scoped),
		v3(0, 3, tl(4, nil), scoped), tl(0x30, in(3), tl(0x30, in(1)))} {
		add(ether(0x0800, ipv4(17, udpDgram(162, 40000, m), nil)))
	}
	return fs
}

// ethernetFrames returns the frames of a capture in the shared testdata.
func captureFrames(t testing.TB, name string) [][]byte {
	t.Helper()
	h, err := pcap.OpenOffline(filepath.Join(testdataDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var fs [][]byte
	for {
		data, _, err := h.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return fs
		}
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, data)
	}
}

// record is one packet to write: captured bytes and the wire length.
type record struct {
	data []byte
	wire int
}

// writeCapture writes Ethernet records to a new pcap file and returns its
// path.
func writeCapture(t testing.TB, name string, lt pcap.LinkType, recs []record) string {
	t.Helper()
	h, err := pcap.OpenDead(lt, pcap.DefaultSnapLen)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	path := filepath.Join(t.TempDir(), name)
	d, err := pcap.OpenDump(h, path)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	for i, r := range recs {
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(r.data), Length: r.wire}
		if err := d.Write(ci, r.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
