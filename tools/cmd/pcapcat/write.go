package main

import (
	"bufio"
	"fmt"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap"
)

// dumpSink writes the packets to a capture file (-w) with libpcap's dumper,
// opened for the first input's handle: its link type, snapshot length and
// time stamp precision. Later inputs must have the same link type.
type dumpSink struct {
	path string
	out  *bufio.Writer // for -w -
	log  zerolog.Logger

	d       *pcap.Dumper
	lt      pcap.LinkType
	written int
}

func (s *dumpSink) begin(in *input) error {
	if s.d != nil {
		if in.lt != s.lt {
			return fmt.Errorf("%s: link type %s differs from %s, the link type of %s: a pcap file holds one link type", in.label, in.lt, s.lt, s.name())
		}
		return nil
	}
	var err error
	if s.path == "-" {
		s.d, err = pcap.NewDumpWriter(in.h, s.out)
	} else {
		s.d, err = pcap.OpenDump(in.h, s.path)
	}
	if err != nil {
		return &writeError{fmt.Errorf("-w %s: %w", s.path, err)}
	}
	s.lt = in.lt
	s.log.Debug().Str("file", s.name()).Str("linktype", in.lt.String()).Msg("writing capture")
	return nil
}

func (s *dumpSink) name() string {
	if s.path == "-" {
		return "standard output"
	}
	return s.path
}

func (s *dumpSink) packet(_ *input, _ int, ci gopacket.CaptureInfo, data []byte) error {
	if err := s.d.Write(ci, data); err != nil {
		return fmt.Errorf("-w %s: %w", s.path, err)
	}
	s.written++
	return nil
}

func (s *dumpSink) end() error {
	if s.d == nil {
		return nil
	}
	if err := s.d.Close(); err != nil {
		return &writeError{fmt.Errorf("-w %s: %w", s.path, err)}
	}
	s.log.Debug().Str("file", s.name()).Int("packets", s.written).Msg("wrote capture")
	return nil
}

// countSink counts the packets (--count) and prints the count at the end as
// tcpdump does: "N packets" ("1 packet").
type countSink struct {
	out *bufio.Writer
	n   int
}

func (s *countSink) begin(*input) error { return nil }

func (s *countSink) packet(*input, int, gopacket.CaptureInfo, []byte) error {
	s.n++
	return nil
}

func (s *countSink) end() error {
	b := s.out.AvailableBuffer()
	b = strconv.AppendInt(b, int64(s.n), 10)
	if s.n == 1 {
		b = append(b, " packet\n"...)
	} else {
		b = append(b, " packets\n"...)
	}
	_, err := s.out.Write(b)
	return err
}
