package probe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"tcpregress.dev/tcpstack/header"
	"tcpregress.dev/tcpstack/segline"
	"tcpregress.dev/tcpstack/tcp"
)

// ErrLine reports a line that does not parse, or that cannot be sent.
var ErrLine = errors.New("probe: bad segment line")

// Line is a parsed segment line; see [ParseLine].
type Line struct {
	text string
	seg  segline.Segment
}

// ParseLine parses a packetdrill-like segment line, one segment per line
// with numbers relative to the connection's initial sequence numbers, in
// the grammar of package tcpstack/segline (whose documentation has it in
// full):
//
//	FLAGS START:END(LEN) [ack N] [win N] [urg N] [<OPTION,...>]
//
//	S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//	. 1:1(0) ack 1 win 257
//	P. 1:101(100) ack 1
//	S. 0:0(0) ack 1 win * <mss *,sackOK,TS val * ecr *,nop,wscale *>
//
// FLAGS are the letters S F R P U E W and "." for ACK ("none" for no
// flag). START, END and N are decimal and may be negative (they wrap modulo
// 2^32); END-START must equal LEN. Options are "mss N", "wscale N",
// "sackOK", "TS val N ecr N", "nop", "eol", "sack L:R ...", "opt KIND
// [HEX]" (any kind, right length) and "opt KIND len L [HEX]" (any length
// octet, such as 0, 1 or 40).
//
// In a line that is sent ([Conn.SendLine], [Line.Segment]), sequence
// numbers are relative to our ISS, the ack and SACK blocks to the target's
// IRS. "win" defaults to the connection's window and "ack" to RCV.NXT when
// the ACK flag is set; without "<...>" the connection adds the Timestamps
// option once negotiated, and inside it "TS val * ecr *" stands for the
// connection's clock and TS.Recent. The payload is LEN octets of a fixed
// pattern that depends on the sequence offset, so that a retransmission
// carries the same bytes.
//
// In an expected line ([Conn.ExpectLine], [Line.Match]) the roles swap:
// sequence numbers are relative to the target's IRS, the ack and SACK
// blocks to our ISS. "*" stands for any value (the whole START:END(LEN), or
// N, or an option's number). A field that is left out is not checked, nor
// are the options without "<...>"; "<>" means no options. Options are
// compared in order, ignoring NOP and EOL.
//
// Errors wrap [ErrLine] and say which token is wrong; no input makes
// ParseLine panic.
func ParseLine(s string) (*Line, error) {
	seg, err := segline.Parse(s)
	if err != nil {
		var se *segline.Error
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("%w: %v", ErrLine, err)
		}
		return nil, fmt.Errorf("%w %q: %s", ErrLine, se.Line, se.Msg)
	}
	return &Line{text: strings.TrimSpace(s), seg: seg}, nil
}

// String returns the line as it was parsed (trimmed).
func (l *Line) String() string { return l.text }

// lineBase holds what relative numbers and wildcards resolve against.
type lineBase struct {
	iss, irs tcp.Value
	irsKnown bool
	// ts reports whether "TS val * ecr *" can be filled, with tsVal and
	// tsEcr.
	ts           bool
	tsVal, tsEcr uint32
}

// sendError returns an error about a line that cannot be sent.
func (l *Line) sendError(format string, a ...any) error {
	return fmt.Errorf("%w %q: %s", ErrLine, l.text, fmt.Sprintf(format, a...))
}

// segment builds the segment a line sends. Window, ack and options left
// out of the line are reported through keep (the fields the caller may
// fill); everything else is resolved.
func (l *Line) segment(b lineBase) (seg Segment, err error) {
	ls := &l.seg
	if ls.Seq.Form != segline.Exact {
		return seg, l.sendError("* is for expected lines; a sent line needs START:END(LEN)")
	}
	seg.Flags = tcp.Flags(ls.Flags)
	seg.Seq = b.iss.Add(tcp.Size(uint32(ls.Seq.V)))
	seg.Keep = FieldSeq
	off := ls.Seq.V
	if seg.Flags&tcp.FlagSYN != 0 {
		off++ // data on a SYN follows the SYN's sequence number
	}
	seg.Payload = linePayload(off, ls.Len)
	if ls.Ack.Form == segline.Wild || ls.Win.Form == segline.Wild || ls.Urg.Form == segline.Wild {
		return seg, l.sendError("* is for expected lines")
	}
	if ls.Ack.Form == segline.Exact {
		if !b.irsKnown {
			return seg, l.sendError("ack is relative to the target's IRS, and no SYN from it was seen yet")
		}
		seg.Ack = b.irs.Add(tcp.Size(uint32(ls.Ack.V)))
		seg.Keep |= FieldAck
	}
	if ls.Win.Form == segline.Exact {
		seg.Window = uint16(ls.Win.V)
		seg.Keep |= FieldWindow
	}
	seg.Urgent = uint16(ls.Urg.V)
	if !ls.HasOptions {
		return seg, nil
	}
	seg.Keep |= FieldOptions
	seg.Options = []byte{}
	for _, o := range ls.Options {
		opt, err := l.optionBytes(o, b)
		if err != nil {
			return seg, err
		}
		seg.Options = append(seg.Options, opt...)
	}
	return seg, nil
}

// optionBytes returns the octets of an option of a sent line.
func (l *Line) optionBytes(o segline.Option, b lineBase) ([]byte, error) {
	if o.Raw {
		if o.Len.Form == segline.Absent {
			return RawOption(byte(o.Kind), o.Data...), nil
		}
		return BadLenOption(byte(o.Kind), byte(o.Len.V), o.Data...), nil
	}
	switch o.Kind {
	case header.TCPOptionMSS, header.TCPOptionWScale:
		if o.Value.Form != segline.Exact {
			return nil, l.sendError("%v * is for expected lines", o.Kind)
		}
		if o.Kind == header.TCPOptionMSS {
			return MSS(uint16(o.Value.V)), nil
		}
		return WScale(uint8(o.Value.V)), nil
	case header.TCPOptionSACKPermitted:
		return SACKPermitted(), nil
	case header.TCPOptionTimestamps:
		val, ecr := uint32(o.TSVal.V), uint32(o.TSEcr.V)
		if o.TSVal.Form == segline.Wild || o.TSEcr.Form == segline.Wild {
			if !b.ts {
				return nil, l.sendError("TS val * ecr * needs a connection")
			}
			if o.TSVal.Form == segline.Wild {
				val = b.tsVal
			}
			if o.TSEcr.Form == segline.Wild {
				ecr = b.tsEcr
			}
		}
		return Timestamps(val, ecr), nil
	case header.TCPOptionSACK:
		if !b.irsKnown {
			return nil, l.sendError("sack blocks are relative to the target's IRS, and no SYN from it was seen yet")
		}
		var blocks []tcp.SACKBlock
		for _, blk := range o.SACK {
			if blk.Left.Form != segline.Exact || blk.Right.Form != segline.Exact {
				return nil, l.sendError("sack * is for expected lines")
			}
			blocks = append(blocks, tcp.SACKBlock{
				Left:  b.irs.Add(tcp.Size(uint32(blk.Left.V))),
				Right: b.irs.Add(tcp.Size(uint32(blk.Right.V))),
			})
		}
		return SACK(blocks...), nil
	}
	return []byte{byte(o.Kind)}, nil // NOP, EOL
}

// Segment returns the segment the line describes with absolute numbers:
// seq relative to iss, ack and SACK blocks relative to irs. Fields the line
// leaves out are zero (and listed as not kept, see [Segment.Keep]); ports
// and addresses are left to the caller.
func (l *Line) Segment(iss, irs tcp.Value) (Segment, error) {
	return l.segment(lineBase{iss: iss, irs: irs, irsKnown: true})
}

// linePayload is the payload of a sent line: n octets of a pattern keyed by
// the sequence offset of each octet, printable in traces.
func linePayload(off int64, n int) []byte {
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(uint64(off+int64(i))%26)
	}
	return b
}

// Match returns the expectation the line describes: the frame's seq
// relative to irs (the target's side), its ack and SACK blocks relative to
// iss (ours).
func (l *Line) Match(iss, irs tcp.Value) Match {
	return Func("line \""+l.text+"\"", func(f *Frame) bool {
		return l.mismatch(f, lineBase{iss: iss, irs: irs, irsKnown: true}) == ""
	})
}

// mismatch returns why f does not match the line, or "" when it does. When
// the IRS is unknown and f is a SYN, f's sequence number is its IRS.
func (l *Line) mismatch(f *Frame, b lineBase) string {
	if !f.IsTCP() {
		return "not a TCP segment"
	}
	s, ls := &f.TCP, &l.seg
	if want := tcp.Flags(ls.Flags); s.Flags != want {
		return fmt.Sprintf("flags [%s], want [%s]", tcpdumpFlags(s.Flags), tcpdumpFlags(want))
	}
	b = b.withIRSOf(f)
	if ls.Seq.Form == segline.Exact {
		if !b.irsKnown {
			return "seq is relative to the target's IRS, and no SYN from it was seen yet"
		}
		if !ls.Seq.Matches(uint32(s.Seq - b.irs)) {
			return fmt.Sprintf("seq %d (relative %d), want relative %d", uint32(s.Seq), int32(s.Seq-b.irs), ls.Seq.V)
		}
		if len(s.Payload) != ls.Len {
			return fmt.Sprintf("length %d, want %d", len(s.Payload), ls.Len)
		}
	}
	if !ls.Ack.Matches(uint32(s.Ack - b.iss)) {
		return fmt.Sprintf("ack %d (relative %d), want relative %d", uint32(s.Ack), int32(s.Ack-b.iss), ls.Ack.V)
	}
	if !ls.Win.Matches(uint32(s.Window)) {
		return fmt.Sprintf("win %d, want %d", s.Window, ls.Win.V)
	}
	if !ls.Urg.Matches(uint32(s.Urgent)) {
		return fmt.Sprintf("urg %d, want %d", s.Urgent, ls.Urg.V)
	}
	if ls.HasOptions {
		return l.optionsMismatch(walkOptions(f.TCPOptions()), b)
	}
	return ""
}

// withIRSOf returns b with the IRS set from f when it is unknown and f is
// a SYN.
func (b lineBase) withIRSOf(f *Frame) lineBase {
	if !b.irsKnown && f.IsTCP() && f.TCP.Flags&tcp.FlagSYN != 0 {
		b.irs, b.irsKnown = f.TCP.Seq, true
	}
	return b
}

func (l *Line) optionsMismatch(got []option, b lineBase) string {
	var want []segline.Option
	for _, o := range l.seg.Options {
		if o.Raw || o.Kind != header.TCPOptionNOP && o.Kind != header.TCPOptionEOL {
			want = append(want, o)
		}
	}
	if len(got) != len(want) {
		seen := make([]segline.Option, len(got))
		for i, g := range got {
			seen[i] = lineOption(g.kind, g.data, b.iss)
		}
		return fmt.Sprintf("%d options, want %d: <%s>", len(got), len(want), segline.FormatOptions(seen))
	}
	for i, w := range want {
		g := got[i]
		ok := byte(w.Kind) == g.kind
		switch {
		case !ok:
		case w.Raw:
			ok = w.Data == nil || bytes.Equal(g.data, w.Data)
		case w.Kind == header.TCPOptionSACKPermitted:
			ok = len(g.data) == 0
		case w.Kind == header.TCPOptionMSS:
			ok = len(g.data) == 2 && w.Value.Matches(uint32(binary.BigEndian.Uint16(g.data)))
		case w.Kind == header.TCPOptionWScale:
			ok = len(g.data) == 1 && w.Value.Matches(uint32(g.data[0]))
		case w.Kind == header.TCPOptionTimestamps:
			ok = len(g.data) == 8 && w.TSVal.Matches(binary.BigEndian.Uint32(g.data)) &&
				w.TSEcr.Matches(binary.BigEndian.Uint32(g.data[4:]))
		case w.Kind == header.TCPOptionSACK:
			ok = len(g.data) == 8*len(w.SACK)
			for j := 0; ok && j < len(w.SACK); j++ {
				edge := func(k int) uint32 { return binary.BigEndian.Uint32(g.data[4*k:]) - uint32(b.iss) }
				ok = w.SACK[j].Left.Matches(edge(2*j)) && w.SACK[j].Right.Matches(edge(2*j+1))
			}
		}
		if !ok {
			return fmt.Sprintf("option %d is %s, want %s", i+1, lineOption(g.kind, g.data, b.iss), w)
		}
	}
	return ""
}

// OptionLine returns an option as a line writes it (kind and the octets
// after the length), SACK edges relative to iss; one of the wrong length
// for its kind, or of a kind the grammar has no name for, as "opt KIND
// HEX". It is how the probe prints the options it received.
func OptionLine(kind byte, data []byte, iss tcp.Value) segline.Option {
	return lineOption(kind, data, iss)
}

// lineOption returns an option the target sent as a line writes it, SACK
// edges relative to iss; one of the wrong length for its kind, or of a
// kind the grammar has no name for, as "opt KIND HEX".
func lineOption(kind byte, data []byte, iss tcp.Value) segline.Option {
	n := func(v uint32) segline.Num { return segline.N(int64(v)) }
	k := header.TCPOptionKind(kind)
	switch {
	case k == header.TCPOptionEOL || k == header.TCPOptionNOP:
		if data == nil {
			return segline.Option{Kind: k}
		}
	case k == header.TCPOptionMSS && len(data) == 2:
		return segline.MSS(n(uint32(binary.BigEndian.Uint16(data))))
	case k == header.TCPOptionWScale && len(data) == 1:
		return segline.WScale(n(uint32(data[0])))
	case k == header.TCPOptionSACKPermitted && len(data) == 0:
		return segline.SACKPermitted()
	case k == header.TCPOptionTimestamps && len(data) == 8:
		return segline.Timestamps(n(binary.BigEndian.Uint32(data)), n(binary.BigEndian.Uint32(data[4:])))
	case k == header.TCPOptionSACK && len(data) > 0 && len(data)%8 == 0 && len(data) <= 32:
		blocks := make([]segline.Block, len(data)/8)
		for i := range blocks {
			blocks[i] = segline.Block{
				Left:  n(binary.BigEndian.Uint32(data[8*i:]) - uint32(iss)),
				Right: n(binary.BigEndian.Uint32(data[8*i+4:]) - uint32(iss)),
			}
		}
		return segline.SACK(blocks...)
	}
	if data == nil {
		data = []byte{}
	}
	return segline.RawOption(k, bytes.Clone(data))
}

// frameLine returns a frame from the target as a line would describe it:
// seq relative to its IRS, ack and SACK blocks to our ISS, the window, the
// urgent pointer when URG is set, and every option, NOP and EOL included.
func frameLine(f *Frame, b lineBase) string {
	if !f.IsTCP() {
		return "not a TCP segment"
	}
	b = b.withIRSOf(f)
	s := &f.TCP
	ls := segline.Segment{
		Flags: header.TCPFlags(s.Flags),
		Seq:   segline.N(int64(uint32(s.Seq - b.irs))),
		Len:   len(s.Payload),
		Win:   segline.N(int64(s.Window)),
	}
	if !b.irsKnown {
		ls.Seq = segline.N(int64(uint32(s.Seq))) // absolute
	}
	if s.Flags&tcp.FlagACK != 0 {
		ls.Ack = segline.N(int64(uint32(s.Ack - b.iss)))
	}
	if s.Flags&tcp.FlagURG != 0 {
		ls.Urg = segline.N(int64(s.Urgent))
	}
	raw := f.TCPOptions()
	it, next := header.TCPOptions(raw).Iter(), 0
	for it.Next() {
		o := it.Option()
		ls.Options = append(ls.Options, lineOption(byte(o.Kind), o.Data, b.iss))
		next = o.Offset + o.Len()
	}
	if it.Err() != nil { // a broken option ends the walk: show what is left
		o := segline.RawOption(header.TCPOptionKind(raw[next]), nil)
		if next+1 < len(raw) {
			o.Len = segline.N(int64(raw[next+1]))
			if rest := raw[next+2:]; len(rest) > 0 {
				o.Data = bytes.Clone(rest[:min(len(rest), header.TCPMaxOptionsLen)])
			}
		}
		ls.Options = append(ls.Options, o)
	}
	ls.HasOptions = len(ls.Options) > 0
	return ls.String()
}
