package tcpdump

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
)

// The repository's generated captures and tcpdump's test corpus
// (testdata/tcpdump/README.md), relative to this package's directory.
const (
	testdataDir = "../../testdata"
	corpusDir   = "../../testdata/tcpdump"
)

// capture is a classic pcap file's packets.
type capture struct {
	lt      layers.LinkType
	snaplen int
	data    [][]byte
	cis     []gopacket.CaptureInfo
}

// readCapture reads a classic pcap file of the shared test data.
func readCapture(t testing.TB, path string) capture {
	t.Helper()
	c, err := loadCapture(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// loadCapture reads a classic pcap file (microsecond or nanosecond time
// stamps, either byte order) up to its end or the first damaged record.
func loadCapture(path string) (capture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return capture{}, err
	}
	if len(b) < 24 {
		return capture{}, fmt.Errorf("%s: no pcap file header", path)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if binary.BigEndian.Uint32(b) == 0xa1b2c3d4 || binary.BigEndian.Uint32(b) == 0xa1b23c4d {
		order = binary.BigEndian
	}
	var fracUnit time.Duration
	switch order.Uint32(b) {
	case 0xa1b2c3d4:
		fracUnit = time.Microsecond
	case 0xa1b23c4d:
		fracUnit = time.Nanosecond
	default:
		return capture{}, fmt.Errorf("%s: not a classic pcap file", path)
	}
	c := capture{lt: layers.LinkType(order.Uint32(b[20:])), snaplen: int(order.Uint32(b[16:]))}
	for b = b[24:]; len(b) >= 16; {
		n := int(order.Uint32(b[8:]))
		if n > len(b)-16 {
			break
		}
		ts := time.Unix(int64(order.Uint32(b)), int64(time.Duration(order.Uint32(b[4:]))*fracUnit))
		c.cis = append(c.cis, gopacket.CaptureInfo{Timestamp: ts, CaptureLength: n, Length: int(order.Uint32(b[12:]))})
		c.data = append(c.data, b[16:16+n])
		b = b[16+n:]
	}
	return c, nil
}

// TestMatchesTcpdump prints the packets of the shared captures with
// several option sets and compares every line with tcpdump's, but for DNS,
// which the printer prints as "UDP, length N" on purpose.
func TestMatchesTcpdump(t *testing.T) {
	files := []string{"ethernet.pcap", "linux-sll.pcap", "loopback-null.pcap", "raw-ipv4.pcap",
		"nanosecond.pcap", "snaplen.pcap", "truncated.pcap", "truncated-header.pcap"}
	for _, opt := range []struct {
		flags []string
		p     Printer
	}{
		{nil, Printer{}},
		{[]string{"-e", "-S"}, Printer{LinkHeader: true, Absolute: true}},
		{[]string{"-tttt", "--nano"}, Printer{Time: TimeDate, Nano: true}},
		{[]string{"-ttt"}, Printer{Time: TimeDelta}},
		{[]string{"-t"}, Printer{Time: TimeNone}},
	} {
		for _, name := range files {
			t.Run(name+"/"+strings.Join(opt.flags, " "), func(t *testing.T) {
				path := filepath.Join(testdataDir, name)
				c := readCapture(t, path)
				want := tcpdumptest.Run(t, append(append([]string{"-nn"}, opt.flags...), "-r", path)...).Lines()
				p := opt.p
				p.Location, p.SnapLen = time.UTC, c.snaplen
				compared := 0
				for i := range c.data {
					got := p.Format(c.data[i], c.lt, c.cis[i])
					if i >= len(want) {
						t.Fatalf("packet %d: tcpdump printed only %d lines", i+1, len(want))
					}
					if strings.Contains(want[i], ".53: ") || strings.Contains(want[i], ".53 > ") {
						continue
					}
					compared++
					if got != want[i] {
						t.Errorf("packet %d:\n tcpdump: %s\n    ours: %s", i+1, want[i], got)
					}
				}
				if len(c.data) != len(want) || compared == 0 {
					t.Errorf("%d packets, %d compared; tcpdump printed %d lines", len(c.data), compared, len(want))
				}
			})
		}
	}
}

// tcpSegment returns a TCP header with options and payload.
func tcpSegment(sport, dport uint16, seq, ack uint32, flags header.TCPFlags, opts, payload []byte) []byte {
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	h := []byte{byte(sport >> 8), byte(sport), byte(dport >> 8), byte(dport),
		byte(seq >> 24), byte(seq >> 16), byte(seq >> 8), byte(seq),
		byte(ack >> 24), byte(ack >> 16), byte(ack >> 8), byte(ack),
		byte(5+len(opts)/4) << 4, byte(flags), 0xff, 0xff, 0, 0, 0, 0}
	return append(append(h, opts...), payload...)
}

// ipPacket wraps a TCP segment in an IPv4 or IPv6 header.
func ipPacket(src, dst netip.Addr, seg []byte) []byte {
	if src.Is4() {
		n := 20 + len(seg)
		h := []byte{0x45, 0, byte(n >> 8), byte(n), 0, 1, 0x40, 0, 64, 6, 0, 0}
		h = append(append(h, src.AsSlice()...), dst.AsSlice()...)
		return append(h, seg...)
	}
	h := []byte{0x60, 0, 0, 0, byte(len(seg) >> 8), byte(len(seg)), 6, 64}
	h = append(append(h, src.AsSlice()...), dst.AsSlice()...)
	return append(h, seg...)
}

// TestAppendTCP: a segment printed from its addresses reads as the packet
// that carries it does, relative numbers included.
func TestAppendTCP(t *testing.T) {
	mss := []byte{2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}
	for _, addrs := range [][2]string{{"198.18.0.1", "198.18.0.2"}, {"2001:db8::1", "2001:db8::2"}} {
		a, b := netip.MustParseAddr(addrs[0]), netip.MustParseAddr(addrs[1])
		segs := []struct {
			from, to netip.Addr
			seg      []byte
		}{
			{a, b, tcpSegment(40000, 80, 1000, 0, header.TCPFlagSYN, mss, nil)},
			{b, a, tcpSegment(80, 40000, 5000, 1001, header.TCPFlagSYN|header.TCPFlagACK, mss[:4], nil)},
			{a, b, tcpSegment(40000, 80, 1001, 5001, header.TCPFlagACK|header.TCPFlagPSH, nil, []byte("GET / HTTP/1.0\r\n\r\n"))},
			{b, a, tcpSegment(80, 40000, 5001, 1019, header.TCPFlagACK, []byte{1, 1, 5, 10, 0, 0, 3, 0xe9, 0, 0, 3, 0xf0}, nil)},
			{b, a, tcpSegment(80, 40000, 5001, 1019, header.TCPFlagACK|header.TCPFlagFIN, nil, nil)},
		}
		for _, absolute := range []bool{false, true} {
			seg, pkt := &Printer{Absolute: absolute}, &Printer{Absolute: absolute}
			for i, s := range segs {
				got := string(seg.AppendTCP(nil, s.from, s.to, s.seg))
				want := string(pkt.AppendPacket(nil, ipPacket(s.from, s.to, s.seg), layers.LinkTypeRaw, 40+len(s.seg)))
				if got != want {
					t.Errorf("%v, absolute %v, segment %d:\n AppendTCP:    %s\n AppendPacket: %s", addrs, absolute, i, got, want)
				}
			}
		}
	}
	p := Printer{}
	got := string(p.AppendTCP(nil, netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2"), tcpSegment(40000, 80, 1000, 0, header.TCPFlagSYN, mss, nil)))
	want := "IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], seq 1000, win 65535, options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestAppendAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"198.18.0.1", "198.18.0.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::", "::"},
		{"::1", "::1"},
		{"fe80::5054:ff:fe43:2ca8", "fe80::5054:ff:fe43:2ca8"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},    // the first of equal runs
		{"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          // the longest run
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"}, // no run
		{"2001:db8:0:1:2:3:4:5", "2001:db8:0:1:2:3:4:5"}, // a single zero word stays
		{"::ffff:198.18.0.1", "::ffff:198.18.0.1"},       // IPv4-mapped
		{"::198.18.0.1", "::198.18.0.1"},                 // IPv4-compatible, as inet_ntop
		{"ff02::1:ff00:2", "ff02::1:ff00:2"},
		{"1::", "1::"},
	} {
		a := netip.MustParseAddr(tc.in)
		if got := string(AppendAddr(nil, a.AsSlice())); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := string(AppendAddr(nil, []byte{1, 2, 0xab})); got != "01:02:ab" {
		t.Errorf("3-byte address: %s", got)
	}
}

func TestTimeFormats(t *testing.T) {
	ts := []time.Time{
		time.Date(2024, 1, 1, 12, 0, 0, 1000, time.UTC),
		time.Date(2024, 1, 1, 12, 0, 2, 500999, time.UTC),
		time.Date(2024, 1, 2, 14, 0, 2, 0, time.UTC),
		time.Date(2024, 1, 1, 12, 0, 1, 0, time.UTC),
	}
	for _, tc := range []struct {
		format TimeFormat
		nano   bool
		want   []string
	}{
		{TimeOfDay, false, []string{"12:00:00.000001 ", "12:00:02.000500 ", "14:00:02.000000 ", "12:00:01.000000 "}},
		{TimeNone, false, []string{"", "", "", ""}},
		{TimeEpoch, true, []string{"1704110400.000001000 ", "1704110402.000500999 ", "1704204002.000000000 ", "1704110401.000000000 "}},
		{TimeDelta, false, []string{" 00:00:00.000000 ", " 00:00:02.000499 ", " 25:59:59.999500 ", "-26:00:01.000000 "}},
		{TimeDate, false, []string{"2024-01-01 12:00:00.000001 ", "2024-01-01 12:00:02.000500 ", "2024-01-02 14:00:02.000000 ", "2024-01-01 12:00:01.000000 "}},
		{TimeSinceFirst, true, []string{" 00:00:00.000000000 ", " 00:00:02.000499999 ", " 26:00:01.999999000 ", " 00:00:00.999999000 "}},
	} {
		p := Printer{Time: tc.format, Nano: tc.nano, Location: time.UTC}
		for i, tm := range ts {
			got, ok := p.AppendStamp(nil, gopacket.CaptureInfo{Timestamp: tm, CaptureLength: 1, Length: 1})
			if !ok || string(got) != tc.want[i] {
				t.Errorf("format %d nano %v, stamp %d: %q, %v, want %q", tc.format, tc.nano, i, got, ok, tc.want[i])
			}
		}
	}
}

func TestInvalidHeader(t *testing.T) {
	p := Printer{SnapLen: 100}
	for _, tc := range []struct {
		caplen, wire int
		want         string
	}{
		{0, 0, "[Invalid header: caplen==0, len==0]"},
		{74, 60, "[Invalid header: len(60) < caplen(74)]"},
		{300000, 300000, "[Invalid header: caplen(300000) > 262144, caplen(300000) > snapshot_length(100)]"},
		{101, 200, "[Invalid header: caplen(101) > snapshot_length(100)]"},
	} {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: tc.caplen, Length: tc.wire}
		if got := p.Format(make([]byte, tc.caplen), layers.LinkTypeEthernet, ci); got != tc.want {
			t.Errorf("caplen %d len %d: %s, want %s", tc.caplen, tc.wire, got, tc.want)
		}
	}
}

// TestUnknownLinkType: a link type neither the printer nor gopacket
// decodes is named as libpcap names it.
func TestUnknownLinkType(t *testing.T) {
	var p Printer
	for _, tc := range []struct {
		lt   layers.LinkType
		want string
	}{{165, "link-type BACNET_MS_TP, length 9"}, {65000, "link-type LinkType(65000), length 9"}} {
		if got := string(p.AppendPacket(nil, []byte{1, 2, 3}, tc.lt, 9)); got != tc.want {
			t.Errorf("link type %d: %s, want %s", tc.lt, got, tc.want)
		}
	}
}

func TestLinkHeaderLen(t *testing.T) {
	tagged := make([]byte, 60)
	tagged[12], tagged[13], tagged[16], tagged[17] = 0x81, 0x00, 0x08, 0x00
	for _, tc := range []struct {
		lt   layers.LinkType
		data []byte
		want int
	}{
		{layers.LinkTypeEthernet, make([]byte, 60), 14},
		{layers.LinkTypeEthernet, tagged, 18},
		{layers.LinkTypeEthernet, make([]byte, 10), 10},
		{layers.LinkTypeLinuxSLL, nil, 16},
		{layers.LinkTypeLinuxSLL2, nil, 20},
		{layers.LinkTypeNull, nil, 4},
		{layers.LinkTypeRaw, nil, 0},
	} {
		if got := LinkHeaderLen(tc.lt, tc.data); got != tc.want {
			t.Errorf("link type %d, %d bytes: %d, want %d", tc.lt, len(tc.data), got, tc.want)
		}
	}
}

// TestNoAllocations: once a connection's numbers are known, a packet's line
// costs no allocation.
func TestNoAllocations(t *testing.T) {
	c := readCapture(t, filepath.Join(testdataDir, "ethernet.pcap"))
	p := Printer{SnapLen: c.snaplen}
	b := make([]byte, 0, 4096)
	for i := range c.data {
		b = p.Append(b[:0], c.data[i], c.lt, c.cis[i])
	}
	for i := range c.data {
		if n := testing.AllocsPerRun(50, func() { b = p.Append(b[:0], c.data[i], c.lt, c.cis[i]) }); n != 0 {
			t.Errorf("packet %d (%s): %v allocations", i+1, p.AppendPacket(nil, c.data[i], c.lt, c.cis[i].Length), n)
		}
	}
	seg := tcpSegment(40000, 80, 1000, 2000, header.TCPFlagACK, nil, nil)
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("2001:db8::2")
	q := Printer{Absolute: true}
	if n := testing.AllocsPerRun(50, func() { b = q.AppendTCP(b[:0], src, dst, seg) }); n != 0 {
		t.Errorf("AppendTCP: %v allocations", n)
	}
}

// BenchmarkAppend measures the default line of ethernet.pcap's packets.
func BenchmarkAppend(b *testing.B) {
	c := readCapture(b, filepath.Join(testdataDir, "ethernet.pcap"))
	var p Printer
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range c.data {
			buf = p.Append(buf[:0], c.data[i], c.lt, c.cis[i])
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
}

// FuzzPrinter feeds arbitrary packets of any link type, seeded with the
// shared captures and tcpdump's corpus (whose captures reach every protocol
// printer: PIM, EIGRP, OSPF, GRE, Frame Relay, BFD, PTP, ...): the printer
// must not panic and must print exactly one line.
func FuzzPrinter(f *testing.F) {
	addFuzzSeeds(f)
	p := &Printer{LinkHeader: true}
	q := &Printer{}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		for _, pr := range []*Printer{p, q} {
			line := pr.AppendPacket(nil, data, layers.LinkType(lt), len(data)+int(lt%7))
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("more than one line: %q", line)
			}
		}
	})
}

// FuzzPrinterVerbose feeds the same packets to printers with -v and -vv
// (tcpdump's header fields, checksums, RST data, ARP types, hex dumps): they
// must not panic, and no line of a packet's text after the first may be
// empty or start like a time stamp, so that readers of the output, like
// tcpdump's, find where each packet begins.
func FuzzPrinterVerbose(f *testing.F) {
	addFuzzSeeds(f)
	printers := []*Printer{{Verbose: 1}, {Verbose: 2, LinkHeader: true}}
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		for _, pr := range printers {
			text := pr.AppendPacket(nil, data, layers.LinkType(lt), len(data)+int(lt%7))
			lines := bytes.Split(text, []byte("\n"))
			for _, l := range lines[1:] {
				if len(l) == 0 || stampLike.Match(l) {
					t.Fatalf("line %q of %q is not a continuation line", l, text)
				}
			}
		}
	})
}

// stampLike matches the start of a time-stamped line (tcpdump's default
// time of day).
var stampLike = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d`)

// addFuzzSeeds seeds a fuzz target of (link type, packet) with the shared
// captures, tcpdump's corpus and a few hand-made packets.
func addFuzzSeeds(f *testing.F) {
	var files []string
	for _, dir := range []string{testdataDir, corpusDir} {
		m, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, path := range files {
		c, err := loadCapture(path)
		if err != nil {
			continue // a capture gopacket cannot read: tcpdump's corpus has damaged ones
		}
		for i, d := range c.data {
			if i < 20 {
				f.Add(uint16(c.lt), d)
			}
		}
	}
	f.Add(uint16(layers.LinkTypeLinuxSLL), []byte("\x00\x04\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00\x08\x00E\x00\x00\x14"))
	f.Add(uint16(layers.LinkTypeRaw), ipPacket(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), tcpSegment(1, 2, 3, 4, 0x12, []byte{2, 4, 5, 0xb4}, nil)))
	f.Add(uint16(linkTypeIPoIB), append(make([]byte, 40), append([]byte{8, 0, 0, 0}, ipPacket(netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2"), tcpSegment(1, 2, 3, 4, 0x12, nil, nil))...)...))
	f.Add(uint16(layers.LinkTypeLinuxSLL2), make([]byte, 24))
	f.Add(uint16(layers.LinkTypeRaw), snmpPacket(snmpResponse))
}
