package main

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap"
)

func TestAppendIPv6(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
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
		a := netip.MustParseAddr(tc.in).As16()
		if got := string(appendIPv6(nil, a[:])); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
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
		format int
		nano   bool
		want   []string
	}{
		{timeOfDay, false, []string{"12:00:00.000001 ", "12:00:02.000500 ", "14:00:02.000000 ", "12:00:01.000000 "}},
		{timeNone, false, []string{"", "", "", ""}},
		{timeEpoch, true, []string{"1704110400.000001000 ", "1704110402.000500999 ", "1704204002.000000000 ", "1704110401.000000000 "}},
		{timeDelta, false, []string{" 00:00:00.000000 ", " 00:00:02.000499 ", " 25:59:59.999500 ", "-26:00:01.000000 "}},
		{timeDate, false, []string{"2024-01-01 12:00:00.000001 ", "2024-01-01 12:00:02.000500 ", "2024-01-02 14:00:02.000000 ", "2024-01-01 12:00:01.000000 "}},
		{timeSinceT0, true, []string{" 00:00:00.000000000 ", " 00:00:02.000499999 ", " 26:00:01.999999000 ", " 00:00:00.999999000 "}},
	} {
		s := newStamper(tc.format, tc.nano)
		for i, tm := range ts {
			if got := string(s.append(nil, tm)); got != tc.want[i] {
				t.Errorf("format %d nano %v, stamp %d: %q, want %q", tc.format, tc.nano, i, got, tc.want[i])
			}
		}
	}
}

// ethernetPackets returns the packets of ethernet.pcap with their capture
// info.
func ethernetPackets(t testing.TB) ([][]byte, []gopacket.CaptureInfo) {
	h, err := pcap.OpenOffline(ethernetPcap)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var ds [][]byte
	var cis []gopacket.CaptureInfo
	for {
		d, ci, err := h.ReadPacketData()
		if err != nil {
			return ds, cis
		}
		ds, cis = append(ds, d), append(cis, ci)
	}
}

// TestNoAllocations: printing a packet's line in the default format
// allocates nothing (once the connection's sequence numbers are known).
func TestNoAllocations(t *testing.T) {
	ds, cis := ethernetPackets(t)
	out := bufio.NewWriterSize(io.Discard, 64<<10)
	c := &pcapcatCmd{}
	s := newLineSink(out, c, io.Discard, zerolog.Nop())
	in := &input{label: "x", lt: pcap.LinkTypeEthernet, snaplen: pcap.DefaultSnapLen}
	for i := range ds {
		if err := s.packet(in, i+1, cis[i], ds[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range ds {
		if n := testing.AllocsPerRun(50, func() { _ = s.packet(in, i+1, cis[i], ds[i]) }); n != 0 {
			t.Errorf("packet %d (%s): %v allocations per line", i+1, s.p.appendPacket(nil, in.lt, ds[i], cis[i].Length), n)
		}
	}
}

// BenchmarkLine measures the default line of ethernet.pcap's packets.
func BenchmarkLine(b *testing.B) {
	ds, cis := ethernetPackets(b)
	out := bufio.NewWriterSize(io.Discard, 256<<10)
	s := newLineSink(out, &pcapcatCmd{}, io.Discard, zerolog.Nop())
	in := &input{label: "x", lt: pcap.LinkTypeEthernet, snaplen: pcap.DefaultSnapLen}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range ds {
			_ = s.packet(in, n, cis[i], ds[i])
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "packets/s")
}

// FuzzPrinter feeds arbitrary frames of the link types pcapcat prints: the
// printer must not panic and must print exactly one line.
func FuzzPrinter(f *testing.F) {
	ds, _ := ethernetPackets(f)
	for _, d := range ds {
		f.Add(uint16(pcap.LinkTypeEthernet), d)
	}
	for _, d := range extraFrames() {
		f.Add(uint16(pcap.LinkTypeEthernet), d)
	}
	f.Add(uint16(pcap.LinkTypeLinuxSLL), []byte("\x00\x04\x00\x01\x00\x06\x02\x00\x00\x00\x00\x01\x00\x00\x08\x00E\x00\x00\x14"))
	f.Add(uint16(pcap.LinkTypeRaw), ipv6(6, tcpSeg(1, 2, 3, 4, 0x12, []byte{2, 4, 5, 0xb4}, nil)))
	f.Add(uint16(pcap.LinkTypeNull), append([]byte{2, 0, 0, 0}, ipv4(17, udpDgram(1, 2, []byte("x")), nil)...))
	f.Add(uint16(linkTypeIPoIB), append(make([]byte, 40), append([]byte{8, 0, 0, 0}, ipv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 1}, nil)...)...))
	f.Add(uint16(pcap.LinkTypeLinuxSLL2), make([]byte, 24))
	p := newPrinter(true, false)
	q := newPrinter(false, false)
	f.Fuzz(func(t *testing.T, lt uint16, data []byte) {
		for _, pr := range []*printer{p, q} {
			line := pr.appendPacket(nil, pcap.LinkType(lt), data, len(data)+int(lt%7))
			if bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("more than one line: %q", line)
			}
		}
	})
}
