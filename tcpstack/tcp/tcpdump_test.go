package tcp

import (
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap/pcaptest"
	hdr "tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/tcpdump"
	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
)

// TestTCPDumpMatchesTcpdump writes segments as AppendTo lays them out to a
// capture and compares the project's printer (tcpstack/tcpdump) on them
// with what `tcpdump -nn -S -t` prints.
func TestTCPDumpMatchesTcpdump(t *testing.T) {
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	segs := []Segment{
		{SrcPort: 40000, DstPort: 80, Seq: 1000, Flags: FlagSYN, Window: 65535,
			Options: Options{MSS: 1460, HasMSS: true, SACKPermitted: true, TSVal: 1, TSEcr: 0, HasTimestamps: true, WScale: 7, HasWScale: true}},
		{SrcPort: 80, DstPort: 40000, Seq: 5000, Ack: 1001, Flags: FlagSYN | FlagACK, Window: 28960, Options: Options{MSS: 1460, HasMSS: true}},
		{SrcPort: 40000, DstPort: 80, Seq: 1001, Ack: 5001, Flags: FlagACK, Window: 502},
		{SrcPort: 40000, DstPort: 80, Seq: 1001, Ack: 5001, Flags: FlagACK | FlagPSH, Window: 502, Payload: []byte("GET / HTTP/1.0\r\n\r\n")},
		{SrcPort: 80, DstPort: 40000, Seq: 5001, Ack: 1019, Flags: FlagACK | FlagFIN, Window: 227},
		{SrcPort: 40000, DstPort: 80, Seq: 1019, Flags: FlagRST, Window: 0},
		{SrcPort: 40000, DstPort: 80, Seq: 1019, Ack: 5002, Flags: FlagACK | FlagURG, Urgent: 3, Window: 100, Payload: []byte("abc")},
		{SrcPort: 80, DstPort: 40000, Seq: 5002, Ack: 1022, Flags: FlagACK, Window: 200,
			Options: Options{SACK: []SACKBlock{{Left: 1030, Right: 1040}}, HasTimestamps: true, TSVal: 5, TSEcr: 6}},
	}
	var recs []pcaptest.Record
	var want []string
	for i := range segs {
		s := &segs[i]
		tcpb := s.AppendTo(nil)
		PutChecksum(src, dst, tcpb)
		pkt := hdr.AppendIPv4(nil, &hdr.IPv4Fields{TTL: 64, Protocol: hdr.IPProtocolTCP, Src: src, Dst: dst, PayloadLen: len(tcpb)})
		recs = append(recs, pcaptest.Record{Data: append(pkt, tcpb...), Time: time.Unix(1700000000, 0)})
		want = append(want, string(tcpdumpPrinter.AppendTCP(nil, src, dst, s.Marshal())))
	}
	path := filepath.Join(t.TempDir(), "segs.pcap")
	pcaptest.WritePcap(t, path, layers.LinkTypeRaw, 65535, recs...)
	r := tcpdumptest.Run(t, "-nn", "-S", "-t", "-r", path)
	if r.Code != 0 {
		t.Fatalf("tcpdump: exit status %d\n%s", r.Code, r.Stderr)
	}
	got := r.Lines()
	if len(got) != len(want) {
		t.Fatalf("tcpdump printed %d lines for %d segments:\n%s", len(got), len(want), r.Stdout)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d:\n ours:    %s\n tcpdump: %s", i, want[i], got[i])
		}
	}
}

// tcpdumpPrinter prints with absolute sequence numbers, as tcpdump -S.
var tcpdumpPrinter = tcpdump.Printer{Absolute: true}
