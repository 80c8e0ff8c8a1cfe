package main

import (
	"bufio"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/gopacket/gopacket"
	"github.com/rs/zerolog"

	"tcpregress.dev/pcap"
	"tcpregress.dev/pcap/hexdump"
)

// lineSink prints one line per packet, and with -v, -x, -X or --hex more
// lines under it.
type lineSink struct {
	out    *bufio.Writer
	stderr io.Writer
	log    zerolog.Logger

	number   bool
	verbose  bool
	hexLink  bool // -xx, -XX: include the link-level header
	hexASCII bool // -X
	hexTD    bool // -x or -X: tcpdump's layout
	hexStyle hexdump.Style
	hexAny   bool // --hex=STYLE

	p      *printer
	stamp  *stamper
	buf    []byte
	panics int // packets whose description panicked: bugs
}

func newLineSink(out *bufio.Writer, c *pcapcatCmd, stderr io.Writer, log zerolog.Logger) *lineSink {
	return &lineSink{
		out:      out,
		stderr:   stderr,
		log:      log,
		number:   c.Number,
		verbose:  c.Verbose > 0,
		hexTD:    c.Hex > 0 || c.HexASCII > 0,
		hexLink:  c.Hex > 1 || c.HexASCII > 1,
		hexASCII: c.HexASCII > 0,
		hexStyle: c.hexStyle,
		hexAny:   c.hexSet,
		p:        newPrinter(c.Link, c.Absolute),
		stamp:    newStamper(c.Time, c.Nano),
		buf:      make([]byte, 0, 4096),
	}
}

func (s *lineSink) begin(*input) error { return nil }

func (s *lineSink) packet(in *input, num int, ci gopacket.CaptureInfo, data []byte) error {
	b := s.buf[:0]
	if s.number {
		// tcpdump -#: the number right-aligned in 5 columns, two spaces.
		if num < 10000 {
			b = append(b, "    "[:5-digits(num)]...)
		}
		b = appendInt(b, num)
		b = append(b, "  "...)
	}
	if bad, ok := appendInvalidHeader(b, ci, in.snaplen); ok {
		b = append(bad, '\n')
	} else {
		b = s.stamp.append(b, ci.Timestamp)
		b = s.describe(b, in, num, ci, data)
		b = append(b, '\n')
	}
	if s.verbose {
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
			bytes = data[min(linkHeaderLen(in.lt, data), len(data)):]
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
	return s.p.appendPacket(b, in.lt, data, ci.Length)
}

func (s *lineSink) end() error { return nil }

// linkHeaderLen returns the length of the link-level header that tcpdump -x
// leaves out: the Ethernet header with its 802.1Q tags, the SLL header, the
// loopback family.
func linkHeaderLen(lt pcap.LinkType, data []byte) int {
	switch lt {
	case pcap.LinkTypeEthernet:
		if len(data) < 14 {
			return len(data)
		}
		n := 14
		for n+4 <= len(data) && isVLAN(be16(data[n-2:n])) {
			n += 4
		}
		return n
	case pcap.LinkTypeLinuxSLL:
		return 16
	case pcap.LinkTypeLinuxSLL2:
		return 20
	case pcap.LinkTypeNull, pcap.LinkTypeLoop:
		return 4
	case linkTypeIPoIB:
		return 44
	}
	return 0
}

// appendInvalidHeader appends tcpdump's complaint about an impossible
// record header and reports whether there was one; tcpdump prints it
// instead of the time stamp and the packet.
func appendInvalidHeader(b []byte, ci gopacket.CaptureInfo, snaplen int) ([]byte, bool) {
	bad := false
	sep := func() {
		if !bad {
			b = append(b, "[Invalid header:"...)
			bad = true
		} else {
			b = append(b, ',')
		}
	}
	if ci.CaptureLength == 0 {
		sep()
		b = append(b, " caplen==0"...)
	}
	if ci.Length == 0 {
		sep()
		b = append(b, " len==0"...)
	} else if ci.Length < ci.CaptureLength {
		sep()
		b = append(b, " len("...)
		b = appendInt(b, ci.Length)
		b = append(b, ") < caplen("...)
		b = appendInt(b, ci.CaptureLength)
		b = append(b, ')')
	}
	if ci.CaptureLength > pcap.DefaultSnapLen {
		sep()
		b = append(b, " caplen("...)
		b = appendInt(b, ci.CaptureLength)
		b = append(b, ") > 262144"...)
	}
	if snaplen > 0 && ci.CaptureLength > snaplen {
		sep()
		b = append(b, " caplen("...)
		b = appendInt(b, ci.CaptureLength)
		b = append(b, ") > snapshot_length("...)
		b = appendInt(b, snaplen)
		b = append(b, ')')
	}
	if bad {
		b = append(b, ']')
	}
	return b, bad
}
