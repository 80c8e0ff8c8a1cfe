package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/tcpstack/tcpdump"
)

// followSink prints the payload of one TCP conversation (--follow N), like
// tshark -z follow,tcp,ascii,N-1: both directions in capture order, each
// byte once. Per direction it keeps the next expected sequence number;
// bytes before it (retransmissions, overlaps) are dropped, segments after
// it wait until the gap before them is filled. Gaps never filled (bytes the
// capture missed) are skipped at the end, and reported on stderr.
type followSink struct {
	out    *bufio.Writer
	stderr io.Writer
	want   int
	format string

	dec   *tcpdump.Decoder
	convs *convTable
	conv  *convStats
	dirs  [2]followDir
	// chunks are the payload in the order it became contiguous.
	chunks []followChunk
}

type followChunk struct {
	dir  int
	data []byte
}

// followDir is the reassembly state of one direction.
type followDir struct {
	started bool
	next    uint32 // next expected sequence number
	pending []pendingSeg
	gaps    int // bytes missing from the capture
}

type pendingSeg struct {
	seq  uint32
	data []byte
}

func newFollowSink(out *bufio.Writer, n int, format string, stderr io.Writer) *followSink {
	return &followSink{out: out, stderr: stderr, want: n, format: format, dec: tcpdump.NewDecoder(), convs: newConvTable()}
}

func (s *followSink) begin(*input) error { return nil }

func (s *followSink) packet(in *input, _ int, ci gopacket.CaptureInfo, data []byte) error {
	first, off, ok := tcpdump.FirstLayer(layers.LinkType(in.lt), data)
	data = data[off:]
	if !ok {
		return nil
	}
	d := s.dec
	d.Decode(first, data)
	e, ok := packetEndpoints(d)
	if !ok || e.proto != 6 {
		return nil
	}
	c, dir := s.convs.add(&e, ci.Length, ci.Timestamp)
	if c.num != s.want {
		return nil
	}
	s.conv = c
	tcp := e.tcp
	st := &s.dirs[dir]
	seq := tcp.Seq
	payload := tcp.Payload
	if tcp.SYN {
		// The SYN occupies the sequence number before the first data byte.
		seq++
		if !st.started {
			st.started, st.next = true, seq
		}
	}
	if len(payload) == 0 {
		return nil
	}
	if !st.started {
		st.started, st.next = true, seq
	}
	s.add(dir, seq, payload)
	return nil
}

// seqLess reports a < b in sequence space (RFC 9293 §3.4).
func seqLess(a, b uint32) bool { return int32(a-b) < 0 }

// add takes a segment's payload in direction dir.
func (s *followSink) add(dir int, seq uint32, payload []byte) {
	st := &s.dirs[dir]
	end := seq + uint32(len(payload))
	if !seqLess(st.next, end) {
		return // all of it was seen: a retransmission
	}
	if seqLess(st.next, seq) {
		// A gap before it: keep a copy until the gap is filled.
		st.pending = append(st.pending, pendingSeg{seq: seq, data: append([]byte(nil), payload...)})
		return
	}
	s.emit(dir, payload[st.next-seq:])
	st.next = end
	s.drain(dir)
}

// drain emits the pending segments that the bytes so far have reached.
func (s *followSink) drain(dir int) {
	st := &s.dirs[dir]
	for progress := true; progress; {
		progress = false
		kept := st.pending[:0]
		for _, p := range st.pending {
			end := p.seq + uint32(len(p.data))
			switch {
			case !seqLess(st.next, end):
				progress = true // already covered
			case !seqLess(st.next, p.seq):
				s.emit(dir, p.data[st.next-p.seq:])
				st.next = end
				progress = true
			default:
				kept = append(kept, p)
			}
		}
		st.pending = kept
	}
}

func (s *followSink) emit(dir int, data []byte) {
	// Bytes that follow bytes of the same direction join them: a chunk is
	// what one side sent before the other spoke.
	if n := len(s.chunks); n > 0 && s.chunks[n-1].dir == dir {
		s.chunks[n-1].data = append(s.chunks[n-1].data, data...)
		return
	}
	s.chunks = append(s.chunks, followChunk{dir: dir, data: append([]byte(nil), data...)})
}

func (s *followSink) end() error {
	if s.conv == nil {
		n := len(s.convs.tcp)
		if n == 0 {
			return fmt.Errorf("--follow %d: the input has no TCP conversation", s.want)
		}
		return fmt.Errorf("--follow %d: the input has %d TCP conversation(s); --stats lists them", s.want, n)
	}
	// Segments after gaps the capture never filled: skip the gaps.
	for dir := range s.dirs {
		st := &s.dirs[dir]
		for len(st.pending) > 0 {
			sort.Slice(st.pending, func(i, j int) bool { return seqLess(st.pending[i].seq, st.pending[j].seq) })
			p := st.pending[0]
			st.gaps += int(p.seq - st.next)
			st.next = p.seq
			s.drain(dir)
		}
		if st.gaps > 0 {
			fmt.Fprintf(s.stderr, "pcapcat: --follow %d: %d bytes from %s were not captured; the output skips them\n",
				s.want, st.gaps, s.endpoint(dir))
		}
	}
	switch s.format {
	case "raw":
		for _, c := range s.chunks {
			if _, err := s.out.Write(c.data); err != nil {
				return err
			}
		}
		return nil
	case "hex":
		return s.printHex()
	}
	return s.printASCII()
}

func (s *followSink) endpoint(dir int) string {
	if dir == 0 {
		return s.conv.endpointA()
	}
	return s.conv.endpointB()
}

func (s *followSink) header(kind string) {
	fmt.Fprintf(s.out, "===================================================================\n")
	fmt.Fprintf(s.out, "Follow: tcp,%s\n", kind)
	fmt.Fprintf(s.out, "Conversation: %d\n", s.want)
	fmt.Fprintf(s.out, "Node 0: %s\n", s.conv.endpointA())
	fmt.Fprintf(s.out, "Node 1: %s\n", s.conv.endpointB())
}

// printASCII prints like tshark's follow ascii: each chunk's length, then
// its bytes with the unprintable ones as '.'; node 1's lengths are indented
// by a tab.
func (s *followSink) printASCII() error {
	s.header("ascii")
	for _, c := range s.chunks {
		if c.dir == 1 {
			s.out.WriteByte('\t')
		}
		fmt.Fprintf(s.out, "%d\n", len(c.data))
		line := make([]byte, 0, len(c.data)+1)
		for _, ch := range c.data {
			if ch == '\n' || (ch >= 0x20 && ch < 0x7f) {
				line = append(line, ch)
			} else {
				line = append(line, '.')
			}
		}
		line = append(line, '\n')
		s.out.Write(line)
	}
	_, err := s.out.WriteString("===================================================================\n")
	return err
}

// printHex prints each chunk as a hex dump (Wireshark's layout), with the
// offsets counted per direction and node 1's lines indented by a tab.
func (s *followSink) printHex() error {
	s.header("hex")
	var off [2]int64
	for _, c := range s.chunks {
		dump := hexdump.FormatOptions(c.data, hexdump.Options{Style: hexdump.Pane, Offset: off[c.dir]})
		off[c.dir] += int64(len(c.data))
		for _, l := range strings.SplitAfter(dump, "\n") {
			if l == "" {
				continue
			}
			if c.dir == 1 {
				s.out.WriteByte('\t')
			}
			s.out.WriteString(l)
		}
	}
	_, err := s.out.WriteString("===================================================================\n")
	return err
}
