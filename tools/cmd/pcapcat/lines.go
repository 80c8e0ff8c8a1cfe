package main

import (
	"bufio"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/tcpstack/tcpdump"
)

// lineSink prints one line per packet (with -v the packet's text as
// tcpdump -v prints it, which may take more lines), and with --layers, -x,
// -X or --hex more lines under it.
type lineSink struct {
	out    *bufio.Writer
	stderr io.Writer
	log    zerolog.Logger

	number   bool
	layers   bool
	hexLink  bool // -xx, -XX: include the link-level header
	hexASCII bool // -X
	hexTD    bool // -x or -X: tcpdump's layout
	hexStyle hexdump.Style
	hexAny   bool // --hex=STYLE

	p      *tcpdump.Printer
	buf    []byte
	panics int // packets whose description panicked: bugs
}

func newLineSink(out *bufio.Writer, c *pcapcatCmd, stderr io.Writer, log zerolog.Logger) *lineSink {
	return &lineSink{
		out:      out,
		stderr:   stderr,
		log:      log,
		number:   c.Number,
		layers:   c.Layers,
		hexTD:    c.Hex > 0 || c.HexASCII > 0,
		hexLink:  c.Hex > 1 || c.HexASCII > 1,
		hexASCII: c.HexASCII > 0,
		hexStyle: c.hexStyle,
		hexAny:   c.hexSet,
		p:        newPrinter(c),
		buf:      make([]byte, 0, 4096),
	}
}

// newPrinter returns the printer of the packet lines the flags ask for.
func newPrinter(c *pcapcatCmd) *tcpdump.Printer {
	return &tcpdump.Printer{LinkHeader: c.Link, Absolute: c.Absolute, Time: tcpdump.TimeFormat(c.Time), Nano: c.Nano, Verbose: c.Verbose}
}

func (s *lineSink) begin(in *input) error {
	s.p.SnapLen = in.snaplen
	return nil
}

func (s *lineSink) packet(in *input, num int, ci gopacket.CaptureInfo, data []byte) error {
	b := s.buf[:0]
	if s.number {
		// tcpdump -#: the number right-aligned in 5 columns, two spaces.
		if num < 10000 {
			b = append(b, "    "[:5-digits(num)]...)
		}
		b = strconv.AppendInt(b, int64(num), 10)
		b = append(b, "  "...)
	}
	b, ok := s.p.AppendStamp(b, ci)
	if ok {
		b = s.describe(b, in, num, ci, data)
	}
	b = append(b, '\n')
	if s.layers {
		b = appendLayerLines(b, in.lt, data)
	}
	s.buf = b
	if _, err := s.out.Write(b); err != nil {
		return err
	}
	switch {
	case s.hexTD:
		bytes := data
		if !s.hexLink {
			bytes = data[min(tcpdump.LinkHeaderLen(layers.LinkType(in.lt), data), len(data)):]
		}
		if err := hexdump.Dump(s.out, bytes, hexdump.Options{Style: hexdump.TCPDump, ASCII: s.hexASCII}); err != nil {
			return err
		}
	case s.hexAny:
		if err := hexdump.Dump(s.out, data, hexdump.Options{Style: s.hexStyle}); err != nil {
			return err
		}
	}
	return nil
}

func digits(n int) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// describe appends the packet's description. A panic while decoding is a
// bug in pcapcat or gopacket: the packet's line says so, the run goes on,
// and the panic is logged with its stack.
func (s *lineSink) describe(b []byte, in *input, num int, ci gopacket.CaptureInfo, data []byte) (out []byte) {
	start := len(b)
	defer func() {
		if r := recover(); r != nil {
			s.panics++
			out = fmt.Appendf(b[:start], "[pcapcat bug: decoding this packet panicked: %v]", r)
			fmt.Fprintf(s.stderr, "pcapcat: internal error: packet %d of %s (%d bytes): panic: %v\n", num, in.label, len(data), r)
			s.log.Error().Int("packet", num).Str("file", in.label).Str("stack", string(debug.Stack())).Msg("panic while decoding a packet")
		}
	}()
	return s.p.AppendPacket(b, data, layers.LinkType(in.lt), ci.Length)
}

func (s *lineSink) end() error { return nil }
