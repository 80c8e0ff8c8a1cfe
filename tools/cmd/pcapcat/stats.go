package main

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap"
	"tcpregress.dev/tcpstack/tcpdump"
)

// statsSink summarises the packets (--stats): what capinfos reports about
// a capture and what tshark -z conv,tcp -z conv,udp reports about its
// conversations.
type statsSink struct {
	out *bufio.Writer
	dec *tcpdump.Decoder

	files       []string
	packets     uint64
	wireBytes   uint64
	capBytes    uint64
	first, last time.Time
	linkTypes   map[pcap.LinkType]uint64
	ltOrder     []pcap.LinkType
	protos      map[gopacket.LayerType]uint64
	protoOrder  []gopacket.LayerType
	convs       *convTable
}

func newStatsSink(out *bufio.Writer) *statsSink {
	return &statsSink{
		out:       out,
		dec:       tcpdump.NewDecoder(),
		linkTypes: make(map[pcap.LinkType]uint64),
		protos:    make(map[gopacket.LayerType]uint64),
		convs:     newConvTable(),
	}
}

func (s *statsSink) begin(in *input) error {
	s.files = append(s.files, in.label)
	return nil
}

func (s *statsSink) countProto(t gopacket.LayerType) {
	if t == gopacket.LayerTypeZero || t == gopacket.LayerTypeDecodeFailure {
		return
	}
	if _, ok := s.protos[t]; !ok {
		s.protoOrder = append(s.protoOrder, t)
	}
	s.protos[t]++
}

func (s *statsSink) packet(in *input, _ int, ci gopacket.CaptureInfo, data []byte) error {
	s.packets++
	s.wireBytes += uint64(ci.Length)
	s.capBytes += uint64(ci.CaptureLength)
	ts := ci.Timestamp
	if s.packets == 1 || ts.Before(s.first) {
		s.first = ts
	}
	if s.packets == 1 || ts.After(s.last) {
		s.last = ts
	}
	if _, ok := s.linkTypes[in.lt]; !ok {
		s.ltOrder = append(s.ltOrder, in.lt)
	}
	s.linkTypes[in.lt]++

	first, off, ok := tcpdump.FirstLayer(layers.LinkType(in.lt), data)
	data = data[off:]
	if !ok {
		for _, l := range gopacket.NewPacket(data, in.lt, gopacket.NoCopy).Layers() {
			s.countProto(l.LayerType())
		}
		return nil
	}
	d := s.dec
	d.Decode(first, data)
	for _, t := range d.Decoded {
		s.countProto(t)
	}
	// The layers past the common ones, from gopacket's full decoding.
	if len(d.Rest) > 0 && d.Err == nil && d.Next != gopacket.LayerTypeZero && d.Next != gopacket.LayerTypePayload {
		for _, l := range gopacket.NewPacket(d.Rest, d.Next, gopacket.NoCopy).Layers() {
			s.countProto(l.LayerType())
		}
	}
	if e, ok := packetEndpoints(d); ok {
		s.convs.add(&e, ci.Length, ts)
	}
	return nil
}

func (s *statsSink) end() error {
	w := s.out
	fmt.Fprintf(w, "Files:             %s\n", strings.Join(s.files, ", "))
	fmt.Fprintf(w, "Packets:           %d\n", s.packets)
	fmt.Fprintf(w, "Bytes:             %d on the wire, %d captured\n", s.wireBytes, s.capBytes)
	if s.packets == 0 {
		return nil
	}
	span := s.last.Sub(s.first)
	fmt.Fprintf(w, "First packet:      %s\n", s.first.Format("2006-01-02 15:04:05.000000000 MST"))
	fmt.Fprintf(w, "Last packet:       %s\n", s.last.Format("2006-01-02 15:04:05.000000000 MST"))
	fmt.Fprintf(w, "Time span:         %.6f s\n", span.Seconds())
	if span > 0 {
		fmt.Fprintf(w, "Average rate:      %.2f packets/s, %.0f bits/s (%.0f bytes/s)\n",
			float64(s.packets)/span.Seconds(), float64(s.wireBytes)*8/span.Seconds(), float64(s.wireBytes)/span.Seconds())
	} else {
		fmt.Fprintf(w, "Average rate:      n/a (all packets at the same time)\n")
	}
	fmt.Fprintf(w, "Average size:      %.2f bytes\n", float64(s.wireBytes)/float64(s.packets))
	var lts []string
	for _, lt := range s.ltOrder {
		name := lt.String()
		if d := lt.Description(); d != "" {
			name += " (" + d + ")"
		}
		lts = append(lts, fmt.Sprintf("%s: %d", name, s.linkTypes[lt]))
	}
	fmt.Fprintf(w, "Link types:        %s\n", strings.Join(lts, ", "))

	fmt.Fprintf(w, "\nProtocols (packets containing each layer):\n")
	order := append([]gopacket.LayerType(nil), s.protoOrder...)
	sort.SliceStable(order, func(i, j int) bool { return s.protos[order[i]] > s.protos[order[j]] })
	for _, t := range order {
		fmt.Fprintf(w, "  %-30s %8d\n", t.String(), s.protos[t])
	}

	for _, tab := range []struct {
		name  string
		convs []*convStats
	}{{"TCP", s.convs.tcp}, {"UDP", s.convs.udp}} {
		fmt.Fprintf(w, "\n%s conversations: %d\n", tab.name, len(tab.convs))
		if len(tab.convs) == 0 {
			continue
		}
		wa, wb := len("Endpoint A"), len("Endpoint B")
		for _, c := range tab.convs {
			wa = max(wa, len(c.endpointA()))
			wb = max(wb, len(c.endpointB()))
		}
		fmt.Fprintf(w, "  %4s  %-*s  %-*s  %8s %10s  %8s %10s  %8s %10s  %12s  %10s\n",
			"#", wa, "Endpoint A", wb, "Endpoint B", "A→B pkt", "A→B bytes", "B→A pkt", "B→A bytes",
			"packets", "bytes", "start", "duration")
		for _, c := range tab.convs {
			fmt.Fprintf(w, "  %4d  %-*s  %-*s  %8d %10d  %8d %10d  %8d %10d  %12.6f  %10.6f\n",
				c.num, wa, c.endpointA(), wb, c.endpointB(),
				c.pkts[0], c.bytes[0], c.pkts[1], c.bytes[1],
				c.pkts[0]+c.pkts[1], c.bytes[0]+c.bytes[1],
				c.first.Sub(s.first).Seconds(), c.last.Sub(c.first).Seconds())
		}
	}
	return nil
}
