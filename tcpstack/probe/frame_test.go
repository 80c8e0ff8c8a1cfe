package probe

import (
	"bytes"
	"encoding/binary"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	hdr "tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcp"
	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
)

func with(f func(*Segment)) Segment {
	s := Segment{SrcPort: 40000, DstPort: 5001}
	f(&s)
	return s
}

// stringCases are frames and the line tcpdump -nn -S -t prints for each.
var stringCases = []struct {
	name string
	seg  Segment
	want string
}{
	{"syn", with(func(s *Segment) {
		s.Flags, s.Seq, s.Window = tcp.FlagSYN, 1000, 65535
		s.Options = Options(MSS(1460), SACKPermitted(), Timestamps(100, 0), NOP(), WScale(7))
	}), "IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [S], seq 1000, win 65535, options [mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7], length 0"},
	{"synack", with(func(s *Segment) {
		s.Flags, s.Seq, s.Ack, s.Window = tcp.FlagSYN|tcp.FlagACK, 5, 1001, 65160
		s.Options = MSS(1460)
	}), "IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [S.], seq 5, ack 1001, win 65160, options [mss 1460], length 0"},
	{"ack", with(func(s *Segment) { s.Flags, s.Seq, s.Ack, s.Window = tcp.FlagACK, 1001, 6, 502 }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [.], ack 6, win 502, length 0"},
	{"data", with(func(s *Segment) {
		s.Flags, s.Seq, s.Ack, s.Window, s.Payload = tcp.FlagPSH|tcp.FlagACK, 1001, 6, 502, make([]byte, 100)
	}), "IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [P.], seq 1001:1101, ack 6, win 502, length 100"},
	{"finack", with(func(s *Segment) { s.Flags, s.Seq, s.Ack = tcp.FlagFIN|tcp.FlagACK, 7, 8 }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [F.], seq 7, ack 8, win 0, length 0"},
	{"rst", with(func(s *Segment) { s.Flags, s.Seq = tcp.FlagRST, 7 }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [R], seq 7, win 0, length 0"},
	{"none", with(func(s *Segment) {}),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none], win 0, length 0"},
	{"all", with(func(s *Segment) { s.Flags, s.Urgent = 0xff, 3 }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [FSRP.UEW], seq 0, ack 0, win 0, urg 3, length 0"},
	{"sack", with(func(s *Segment) {
		s.Flags, s.Ack = tcp.FlagACK, 1
		s.Options = Options(NOP(), NOP(), SACK(tcp.SACKBlock{Left: 10, Right: 20}, tcp.SACKBlock{Left: 30, Right: 40}))
	}), "IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [.], ack 1, win 0, options [nop,nop,sack 2 {10:20}{30:40}], length 0"},
	{"unknown", with(func(s *Segment) { s.Options = Options(RawOption(253, 1, 2), RawOption(99)) }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none], win 0, options [unknown-253 0x0102,unknown-99,eol], length 0"},
	{"eol-stops", with(func(s *Segment) { s.Options = Options(EOL(), MSS(1)) }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none], win 0, options [eol], length 0"},
	{"badlen", with(func(s *Segment) { s.Options = Options(BadLenOption(2, 0), NOP(), NOP()) }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none], win 0, options [[bad opt]"},
	{"badlen-second", with(func(s *Segment) { s.Options = Options(WScale(2), BadLenOption(8, 40)) }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none], win 0, options [wscale 2,[bad opt]]"},
	{"mss-len3", with(func(s *Segment) { s.Options = Options(BadLenOption(2, 3, 5), NOP()) }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none], win 0, options [mss 1281[len 3]], length 0"},
	{"badcsum", with(func(s *Segment) { s.Flags, s.Seq, s.BadChecksum = tcp.FlagSYN, 1, true }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [S], seq 1, win 0, length 0 [bad cksum]"},
	{"offset=4", with(func(s *Segment) { s.DataOffset = 4 }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001:  tcp 4 [bad hdr length 16 - too short, < 20]"},
	{"offset=15", with(func(s *Segment) { s.DataOffset = 15 }),
		"IP 198.18.0.3.40000 > 198.18.0.2.5001: Flags [none] [bad hdr length 60 - too long, > 20]"},
}

func TestFrameString(t *testing.T) {
	for _, tc := range stringCases {
		t.Run(tc.name, func(t *testing.T) {
			f := build(t, tc.seg)
			if got := f.String(); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// icmpError returns an ICMP error of type typ and code from testDst
// quoting syn's IP header and first 8 octets.
func icmpError(syn Frame, typ hdr.ICMPv4Type, code uint8) Frame {
	icmp := hdr.AppendICMPv4(nil, &hdr.ICMPv4Fields{Type: typ, Code: code, Payload: syn.Raw[:28]})
	ip := hdr.AppendIPv4(nil, &hdr.IPv4Fields{TTL: 64, Protocol: hdr.IPProtocolICMP, Src: testDst, Dst: testSrc, PayloadLen: len(icmp)})
	return decodeFrame(append(ip, icmp...), time.Time{}, In)
}

// icmpUnreachable returns a port unreachable from testDst quoting syn.
func icmpUnreachable(syn Frame) Frame {
	return icmpError(syn, hdr.ICMPv4DstUnreachable, hdr.ICMPv4PortUnreachable)
}

func TestICMPQuoted(t *testing.T) {
	syn := build(t, Segment{SrcPort: 40000, DstPort: 81, Flags: tcp.FlagSYN})
	f := icmpUnreachable(syn)
	if !f.IsICMP() || !f.ChecksumOK {
		t.Fatalf("decoded %+v", f)
	}
	q, qt, ok := f.ICMP.Quoted()
	if !ok || q.Dst != testDst || !bytes.Equal(qt[:4], syn.Raw[20:24]) {
		t.Errorf("quoted %+v % x %v", q, qt, ok)
	}
}

// withIP returns a copy of f's packet changed by edit, decoded again.
func withIP(f Frame, edit func(ip []byte) []byte) Frame {
	return decodeFrame(edit(append([]byte(nil), f.Raw...)), f.Time, f.Dir)
}

// otherFrames are frames besides well-formed segments: ICMP messages,
// fragments, damaged packets, and the line tcpdump -nn -S -t prints for
// each, with the probe's additions.
func otherFrames(t *testing.T) []struct {
	name  string
	frame Frame
	want  string
} {
	syn := build(t, Segment{SrcPort: 40000, DstPort: 81, Flags: tcp.FlagSYN, Seq: 7})
	unreach := icmpUnreachable(syn)
	icmp := func(typ hdr.ICMPv4Type, code uint8) Frame { return icmpError(syn, typ, code) }
	frag := func(off uint16) Frame {
		return withIP(syn, func(ip []byte) []byte {
			binary.BigEndian.PutUint16(ip[6:], off)
			ip[10], ip[11] = 0, 0
			binary.BigEndian.PutUint16(ip[10:], hdr.Checksum(ip[:20], 0))
			return ip
		})
	}
	return []struct {
		name  string
		frame Frame
		want  string
	}{
		{"port-unreachable", unreach, "IP 198.18.0.2 > 198.18.0.3: ICMP 198.18.0.2 tcp port 81 unreachable, length 36"},
		{"host-unreachable", icmp(3, 1), "IP 198.18.0.2 > 198.18.0.3: ICMP host 198.18.0.2 unreachable, length 36"},
		{"admin-prohibited", icmp(3, 13), "IP 198.18.0.2 > 198.18.0.3: ICMP host 198.18.0.2 unreachable - admin prohibited filter, length 36"},
		{"time-exceeded", icmp(11, 0), "IP 198.18.0.2 > 198.18.0.3: ICMP time exceeded in-transit, length 36"},
		{"source-quench", icmp(4, 0), "IP 198.18.0.2 > 198.18.0.3: ICMP source quench, length 36"},
		{"first-fragment", frag(0x2000), "IP 198.18.0.3.40000 > 198.18.0.2.81: Flags [S], seq 7, win 0, length 0 (frag 0:20@0+)"},
		{"last-fragment", frag(0x0010), "IP 198.18.0.3 > 198.18.0.2: ip-proto-6 (frag 0:20@128)"},
		{"truncated", withIP(syn, func(ip []byte) []byte { return ip[:30] }),
			"IP truncated-ip - 10 bytes missing! 198.18.0.3.40000 > 198.18.0.2.81:  [|tcp]"},
		{"short", withIP(syn, func(ip []byte) []byte { return ip[:12] }), "IP  [|ip]"},
		{"bad-hlen", withIP(syn, func(ip []byte) []byte { ip[0] = 0x44; return ip }), "IP bad-hlen 16"},
	}
}

func TestFrameStringOther(t *testing.T) {
	for _, tc := range otherFrames(t) {
		if got := tc.frame.String(); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// probeAdditions matches what Frame.String adds to tcpdump's line.
var probeAdditions = regexp.MustCompile(`( \(frag \d+:\d+@\d+\+?\))?( \[bad cksum\])?$`)

// TestFrameStringTcpdump writes the frames of stringCases and otherFrames
// to a capture file and checks that tcpdump prints each of them as
// Frame.String does, but for the probe's additions (bad checksums and
// fragments, which tcpdump shows only with -v).
func TestFrameStringTcpdump(t *testing.T) {
	var frames []Frame
	for _, tc := range stringCases {
		frames = append(frames, build(t, tc.seg))
	}
	for _, tc := range otherFrames(t) {
		frames = append(frames, tc.frame)
	}
	path := filepath.Join(t.TempDir(), "cases.pcap")
	if err := writePcap(path, frames, net.HardwareAddr{2, 0, 0, 0, 0, 1}); err != nil {
		t.Fatal(err)
	}
	lines := runTcpdump(t, path)
	if len(lines) != len(frames) {
		t.Fatalf("tcpdump printed %d lines for %d frames:\n%s", len(lines), len(frames), strings.Join(lines, "\n"))
	}
	for i := range frames {
		want := probeAdditions.ReplaceAllString(frames[i].String(), "")
		if lines[i] != want {
			t.Errorf("frame %d:\n tcpdump %s\n    ours %s", i, lines[i], want)
		}
	}
}

// runTcpdump reads a capture with tcpdump -nn -S -t and returns its lines;
// the test fails when tcpdump does not read it to the end.
func runTcpdump(t *testing.T, path string) []string {
	t.Helper()
	r := tcpdumptest.Run(t, "-nn", "-S", "-t", "-r", path)
	if r.Code != 0 {
		t.Fatalf("tcpdump -r %s: exit status %d\n%s", path, r.Code, r.Stderr)
	}
	return r.Lines()
}
