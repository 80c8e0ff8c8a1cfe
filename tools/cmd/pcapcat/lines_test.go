package main

import (
	"bufio"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap"
)

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
			t.Errorf("packet %d (%s): %v allocations per line", i+1, s.p.AppendPacket(nil, ds[i], layers.LinkType(in.lt), cis[i].Length), n)
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
