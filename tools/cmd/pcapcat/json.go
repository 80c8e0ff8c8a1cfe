package main

import (
	"bufio"
	"reflect"
	"strconv"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/tcpstack/tcpdump"
)

// jsonSink writes one JSON object per packet and line (--json). The schema,
// documented in README.md:
//
//	{"number":1, "file":"in.pcap", "timestamp":"2024-01-01T12:00:00.00033Z",
//	 "caplen":74, "len":74, "linktype":"EN10MB",
//	 "summary":"IP 198.18.0.1.40000 > 198.18.0.2.80: Flags [S], ...",
//	 "layers":[{"layer":"Ethernet","fields":{"SrcMAC":"02:00:00:00:00:01",...}},
//	           {"layer":"IPv4","fields":{...}}, {"layer":"TCP","fields":{...}},
//	           {"layer":"Payload","length":6,"data":"68656c6c6f0a"}]}
//
// Keys always appear, in this order. A layer gopacket cannot decode is
// {"layer":"DecodeFailure","error":"...","length":N,"data":"..."}.
type jsonSink struct {
	out *bufio.Writer
	p   *tcpdump.Printer
	buf []byte
}

func newJSONSink(out *bufio.Writer, c *pcapcatCmd) *jsonSink {
	return &jsonSink{out: out, p: newPrinter(c)}
}

func (s *jsonSink) begin(*input) error { return nil }

func (s *jsonSink) end() error { return nil }

func (s *jsonSink) packet(in *input, num int, ci gopacket.CaptureInfo, data []byte) error {
	b := s.buf[:0]
	b = append(b, `{"number":`...)
	b = strconv.AppendInt(b, int64(num), 10)
	b = append(b, `,"file":`...)
	b = appendJSONString(b, in.label)
	b = append(b, `,"timestamp":"`...)
	b = ci.Timestamp.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","caplen":`...)
	b = strconv.AppendInt(b, int64(ci.CaptureLength), 10)
	b = append(b, `,"len":`...)
	b = strconv.AppendInt(b, int64(ci.Length), 10)
	b = append(b, `,"linktype":`...)
	b = appendJSONString(b, in.lt.String())
	b = append(b, `,"summary":`...)
	b = appendJSONString(b, string(s.summary(in, data, ci.Length)))
	b = append(b, `,"layers":[`...)
	pkt := gopacket.NewPacket(data, in.lt, gopacket.NoCopy)
	for i, l := range pkt.Layers() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"layer":`...)
		b = appendJSONString(b, l.LayerType().String())
		switch l.LayerType() {
		case gopacket.LayerTypePayload, gopacket.LayerTypeDecodeFailure, gopacket.LayerTypeFragment:
			if l.LayerType() == gopacket.LayerTypeDecodeFailure {
				b = append(b, `,"error":`...)
				b = appendJSONString(b, pkt.ErrorLayer().Error().Error())
			}
			b = append(b, `,"length":`...)
			b = strconv.AppendInt(b, int64(len(l.LayerContents())), 10)
			b = append(b, `,"data":`...)
			b = appendJSONValue(b, reflect.ValueOf(l.LayerContents()), 0)
		default:
			b = append(b, `,"fields":`...)
			b = appendJSONObject(b, reflect.ValueOf(l), 0)
		}
		b = append(b, '}')
	}
	b = append(b, "]}\n"...)
	s.buf = b
	_, err := s.out.Write(b)
	return err
}

// summary is the packet's one-line description, or a note if describing it
// panicked.
func (s *jsonSink) summary(in *input, data []byte, wire int) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			out = []byte("[pcapcat bug: decoding this packet panicked]")
		}
	}()
	return s.p.AppendPacket(nil, data, layers.LinkType(in.lt), wire)
}
