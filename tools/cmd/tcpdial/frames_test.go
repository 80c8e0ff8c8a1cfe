package main

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"

	"tcpregress.dev/tcpstack/tcp"
)

// Unit tests of the frame handling: the -vv trace's lines. No root needed.

// Layout constants of the frames the tests build.
const (
	etherTypeIPv4 = 0x0800
	protoICMP     = 1
	protoTCP      = 6
)

// formatFrame returns the -vv trace's line for an Ethernet frame.
func formatFrame(f []byte) string { return new(frameTracer).line(f) }

var (
	macA  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xa}
	macB  = net.HardwareAddr{0x02, 0, 0, 0, 0, 0xb}
	local = netip.MustParseAddr("198.18.0.3")
	peer  = netip.MustParseAddr("198.18.0.2")
)

// inetChecksum is the Internet checksum of b (RFC 1071).
func inetChecksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// ipv4Frame wraps an IPv4 payload in IPv4 and Ethernet headers.
func ipv4Frame(src, dst netip.Addr, proto byte, payload []byte) []byte {
	f := make([]byte, 0, 14+20+len(payload))
	f = append(f, macB...)
	f = append(f, macA...)
	f = binary.BigEndian.AppendUint16(f, etherTypeIPv4)
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	ip[8], ip[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip))
	return append(append(f, ip...), payload...)
}

// tcpFrame builds a frame carrying seg with a correct checksum.
func tcpFrame(src, dst netip.AddrPort, seg tcp.Segment) []byte {
	seg.SrcPort, seg.DstPort = src.Port(), dst.Port()
	b := seg.AppendTo(nil)
	tcp.PutChecksum(src.Addr(), dst.Addr(), b)
	return ipv4Frame(src.Addr(), dst.Addr(), protoTCP, b)
}

// tcpOf returns the TCP bytes of a frame built by tcpFrame.
func tcpOf(f []byte) []byte { return f[14+20:] }

func arpFrame(op uint16, sha net.HardwareAddr, spa netip.Addr, tha net.HardwareAddr, tpa netip.Addr) []byte {
	f := append(append(append([]byte{}, macB...), macA...), 0x08, 0x06)
	f = append(f, 0, 1, 0x08, 0, 6, 4)
	f = binary.BigEndian.AppendUint16(f, op)
	s, t := spa.As4(), tpa.As4()
	f = append(append(append(f, sha...), s[:]...), tha...)
	return append(f, t[:]...)
}

// TestFormatFrame: the trace prints frames as tcpdump -nn -S -t does, down
// to its markers for damaged frames.
func TestFormatFrame(t *testing.T) {
	ours, theirs := netip.AddrPortFrom(local, 49152), netip.AddrPortFrom(peer, 80)
	// The SYN's options in the stack's wire order, built by hand.
	syn := tcpFrame(ours, theirs, tcp.Segment{Seq: 1000, Flags: tcp.FlagSYN, Window: 65535})
	opts := []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7}
	synTCP := append(append([]byte{}, tcpOf(syn)[:20]...), opts...)
	synTCP[12] = byte((20+len(opts))/4) << 4
	syn = ipv4Frame(local, peer, protoTCP, synTCP)

	tests := []struct {
		frame []byte
		want  string
	}{
		{syn, "IP 198.18.0.3.49152 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7], length 0"},
		{tcpFrame(theirs, ours, tcp.Segment{Seq: 5000, Ack: 1001, Flags: tcp.FlagSYN | tcp.FlagACK, Window: 65160, Options: tcp.Options{HasMSS: true, MSS: 1460}}),
			"IP 198.18.0.2.80 > 198.18.0.3.49152: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460], length 0"},
		{tcpFrame(ours, theirs, tcp.Segment{Seq: 1001, Ack: 5001, Flags: tcp.FlagPSH | tcp.FlagACK, Window: 512, Payload: []byte("hello")}),
			"IP 198.18.0.3.49152 > 198.18.0.2.80: Flags [P.], seq 1001:1006, ack 5001, win 512, length 5: HTTP"},
		{tcpFrame(theirs, ours, tcp.Segment{Seq: 5001, Ack: 1006, Flags: tcp.FlagACK, Window: 500}),
			"IP 198.18.0.2.80 > 198.18.0.3.49152: Flags [.], ack 1006, win 500, length 0"},
		{tcpFrame(ours, theirs, tcp.Segment{Seq: 1006, Ack: 5001, Flags: tcp.FlagFIN | tcp.FlagPSH | tcp.FlagACK, Window: 512}),
			"IP 198.18.0.3.49152 > 198.18.0.2.80: Flags [FP.], seq 1006, ack 5001, win 512, length 0"},
		{tcpFrame(theirs, ours, tcp.Segment{Seq: 0, Ack: 1001, Flags: tcp.FlagRST | tcp.FlagACK}),
			"IP 198.18.0.2.80 > 198.18.0.3.49152: Flags [R.], seq 0, ack 1001, win 0, length 0"},
		{tcpFrame(theirs, ours, tcp.Segment{Seq: 1, Ack: 2, Flags: tcp.FlagACK | tcp.FlagURG, Urgent: 3, Window: 9, Payload: []byte("abc"),
			Options: tcp.Options{SACK: []tcp.SACKBlock{{Left: 10, Right: 20}, {Left: 30, Right: 40}}}}),
			"IP 198.18.0.2.80 > 198.18.0.3.49152: Flags [.U], seq 1:4, ack 2, win 9, urg 3, options [nop,nop,sack 2 {10:20}{30:40}], length 3: HTTP"},
		{arpFrame(1, macA, local, make(net.HardwareAddr, 6), peer), "ARP, Request who-has 198.18.0.2 tell 198.18.0.3, length 28"},
		{arpFrame(2, macB, peer, macA, local), "ARP, Reply 198.18.0.2 is-at 02:00:00:00:00:0b, length 28"},
		{ipv4Frame(peer, local, protoICMP, []byte{8, 0, 0, 0, 0, 1, 0, 1}), "IP 198.18.0.2 > 198.18.0.3: ICMP echo request, id 1, seq 1, length 8"},
		{ipv4Frame(peer, local, 17, make([]byte, 12)), "IP 198.18.0.2.0 > 198.18.0.3.0: truncated-udplength 0"},
		{ipv4Frame(peer, local, 99, make([]byte, 12)), "IP 198.18.0.2 > 198.18.0.3:  ip-proto-99 12"},
		{[]byte{1, 2, 3}, " [|ether]"},
		{append(append(append([]byte{}, macB...), macA...), 0x86, 0xdd, 0x60), " [|ip6]"},
		{syn[:14+20+10], "IP truncated-ip - 30 bytes missing! 198.18.0.3.49152 > 198.18.0.2.80:  [|tcp]"},
	}
	for _, tt := range tests {
		if got := formatFrame(tt.frame); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestLookupService(t *testing.T) {
	db := "# comment\nssh\t\t22/tcp\t\t\t# SSH\nhttp 80/tcp www\ndomain 53/udp\n"
	for _, tt := range []struct {
		port uint16
		want string
	}{{22, "ssh"}, {80, "http"}, {53, "*"}, {9, "*"}} {
		if got := lookupService(strings.NewReader(db), tt.port); got != tt.want {
			t.Errorf("port %d: %q, want %q", tt.port, got, tt.want)
		}
	}
}
