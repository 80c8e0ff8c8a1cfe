package probe

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"tcpregress.dev/tcpstack/tcp"
	"tcpregress.dev/tcpstack/tcpdump"
)

// ErrLine reports a line that does not parse, or that cannot be sent.
var ErrLine = errors.New("probe: bad segment line")

// lineNum is a number field of a line: absent, a value, or "*".
type lineNum struct {
	set, any bool
	v        int64
}

// lineOpt is one option of a line.
type lineOpt struct {
	name string // "mss", "wscale", "sackOK", "TS", "nop", "eol", "sack", "opt"
	kind byte
	vals []lineNum // mss, wscale: [v]; TS: [val, ecr]; sack: [l1, r1, l2, r2, ...]
	data []byte    // opt: the data octets
	len  int       // opt: the length octet, or -1 for the right one
}

// Line is a parsed segment line; see [ParseLine] for the grammar.
type Line struct {
	text    string
	flags   tcp.Flags
	seqAny  bool
	seq     int64
	length  int
	ack     lineNum
	win     lineNum
	urg     lineNum
	hasOpts bool
	opts    []lineOpt
}

// ParseLine parses a packetdrill-like segment line, one segment per line
// with numbers relative to the connection's initial sequence numbers:
//
//	FLAGS START:END(LEN) [ack N] [win N] [urg N] [<OPTION,...>]
//
//	S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//	. 1:1(0) ack 1 win 257
//	P. 1:101(100) ack 1
//	S. 0:0(0) ack 1 win * <mss *,sackOK,TS val * ecr *,nop,wscale *>
//
// FLAGS are the letters S F R P U E W and "." for ACK, in any order and
// combination ("none" for no flag). START, END and N are decimal and may be
// negative (they wrap modulo 2^32); END-START must equal LEN. Options are
// "mss N", "wscale N", "sackOK", "TS val N ecr N", "nop", "eol",
// "sack L:R ...", "opt KIND [HEX]" (any kind, right length) and
// "opt KIND len L [HEX]" (any length octet, such as 0, 1 or 40).
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
	l := &Line{text: strings.TrimSpace(s)}
	fail := func(format string, a ...any) (*Line, error) {
		return nil, fmt.Errorf("%w %q: %s", ErrLine, l.text, fmt.Sprintf(format, a...))
	}
	rest := l.text
	if i := strings.IndexByte(rest, '<'); i >= 0 {
		if !strings.HasSuffix(rest, ">") {
			return fail("options must end the line with '>'")
		}
		opts, err := parseLineOptions(rest[i+1 : len(rest)-1])
		if err != nil {
			return fail("%v", err)
		}
		l.opts, l.hasOpts = opts, true
		rest = rest[:i]
	} else if strings.IndexByte(rest, '>') >= 0 {
		return fail("'>' without '<'")
	}
	tok := strings.Fields(rest)
	if len(tok) < 2 {
		return fail("want FLAGS START:END(LEN), such as \"S 0:0(0)\" or \"P. 1:101(100) ack 1\"")
	}
	fl, err := parseLineFlags(tok[0])
	if err != nil {
		return fail("%v", err)
	}
	l.flags = fl
	if tok[1] == "*" {
		l.seqAny = true
	} else if l.seq, l.length, err = parseSeqSpec(tok[1]); err != nil {
		return fail("%v", err)
	}
	for i := 2; i < len(tok); i += 2 {
		name := tok[i]
		var dst *lineNum
		var limit int64
		switch name {
		case "ack":
			dst, limit = &l.ack, 1<<32
		case "win":
			dst, limit = &l.win, 1<<16
		case "urg":
			dst, limit = &l.urg, 1<<16
		default:
			return fail("unknown field %q (want ack, win, urg or <options>)", name)
		}
		if dst.set {
			return fail("%s given twice", name)
		}
		if i+1 >= len(tok) {
			return fail("%s needs a value", name)
		}
		n, err := parseLineNum(tok[i+1], limit, name != "ack")
		if err != nil {
			return fail("%s: %v", name, err)
		}
		*dst = n
	}
	return l, nil
}

// String returns the line as it was parsed (trimmed).
func (l *Line) String() string { return l.text }

func parseLineFlags(s string) (tcp.Flags, error) {
	if s == "none" {
		return 0, nil
	}
	var fl tcp.Flags
	for _, ch := range s {
		var f tcp.Flags
		switch ch {
		case 'F':
			f = tcp.FlagFIN
		case 'S':
			f = tcp.FlagSYN
		case 'R':
			f = tcp.FlagRST
		case 'P':
			f = tcp.FlagPSH
		case '.':
			f = tcp.FlagACK
		case 'U':
			f = tcp.FlagURG
		case 'E':
			f = tcp.FlagECE
		case 'W':
			f = tcp.FlagCWR
		default:
			return 0, fmt.Errorf("flags %q: unknown flag %q (want S F R P U E W, '.' for ACK, or none)", s, ch)
		}
		if fl&f != 0 {
			return 0, fmt.Errorf("flags %q: %q given twice", s, ch)
		}
		fl |= f
	}
	return fl, nil
}

// parseSeqSpec parses START:END(LEN).
func parseSeqSpec(s string) (start int64, length int, err error) {
	bad := fmt.Errorf("sequence %q: want START:END(LEN), such as 1:101(100)", s)
	colon := strings.IndexByte(s, ':')
	open := strings.IndexByte(s, '(')
	if colon < 0 || open < colon || !strings.HasSuffix(s, ")") {
		return 0, 0, bad
	}
	start, err1 := strconv.ParseInt(s[:colon], 10, 64)
	end, err2 := strconv.ParseInt(s[colon+1:open], 10, 64)
	n, err3 := strconv.ParseInt(s[open+1:len(s)-1], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, 0, bad
	}
	if start < -(1<<32) || start >= 1<<32 || end < -(1<<32) || end >= 1<<33 {
		return 0, 0, fmt.Errorf("sequence %q: out of range (±2^32)", s)
	}
	if n < 0 || n > 0xffff {
		return 0, 0, fmt.Errorf("sequence %q: length %d out of range 0..65535", s, n)
	}
	if end-start != n {
		return 0, 0, fmt.Errorf("sequence %q: END-START is %d, not LEN %d", s, end-start, n)
	}
	return start, int(n), nil
}

// parseLineNum parses a decimal or "*"; limit bounds it: values in
// [0, limit) are allowed, and [-limit, 0) too when not unsigned.
func parseLineNum(s string, limit int64, unsigned bool) (lineNum, error) {
	if s == "*" {
		return lineNum{set: true, any: true}, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return lineNum{}, fmt.Errorf("%q is not a number or *", s)
	}
	if v >= limit || (unsigned && v < 0) || v < -limit {
		return lineNum{}, fmt.Errorf("%d out of range", v)
	}
	return lineNum{set: true, v: v}, nil
}

func parseLineOptions(s string) ([]lineOpt, error) {
	var out []lineOpt
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		w := strings.Fields(part)
		if len(w) == 0 {
			return nil, fmt.Errorf("empty option in <%s>", s)
		}
		o := lineOpt{name: w[0], len: -1}
		num := func(i int, limit int64) (lineNum, error) {
			if i >= len(w) {
				return lineNum{}, fmt.Errorf("option %q: missing value", part)
			}
			n, err := parseLineNum(w[i], limit, true)
			if err != nil {
				return n, fmt.Errorf("option %q: %v", strings.TrimSpace(part), err)
			}
			return n, nil
		}
		want := 1
		switch w[0] {
		case "nop":
			o.kind = 1
		case "eol":
			o.kind = 0
		case "sackOK":
			o.kind = 4
		case "mss", "wscale":
			o.kind, want = 2, 2
			limit := int64(1 << 16)
			if w[0] == "wscale" {
				o.kind, limit = 3, 1<<8
			}
			n, err := num(1, limit)
			if err != nil {
				return nil, err
			}
			o.vals = []lineNum{n}
		case "TS":
			o.kind, want = 8, 5
			if len(w) != 5 || w[1] != "val" || w[3] != "ecr" {
				return nil, fmt.Errorf("option %q: want TS val N ecr N", strings.TrimSpace(part))
			}
			val, err := num(2, 1<<32)
			if err != nil {
				return nil, err
			}
			ecr, err := num(4, 1<<32)
			if err != nil {
				return nil, err
			}
			o.vals = []lineNum{val, ecr}
		case "sack":
			o.kind, want = 5, len(w)
			if len(w) < 2 || len(w) > 5 {
				return nil, fmt.Errorf("option %q: want sack L:R with 1 to 4 blocks", strings.TrimSpace(part))
			}
			for _, blk := range w[1:] {
				l, r, ok := strings.Cut(blk, ":")
				if !ok {
					return nil, fmt.Errorf("option %q: block %q is not L:R", strings.TrimSpace(part), blk)
				}
				ln, err := parseLineNum(l, 1<<32, false)
				if err != nil {
					return nil, fmt.Errorf("option %q: %v", strings.TrimSpace(part), err)
				}
				rn, err := parseLineNum(r, 1<<32, false)
				if err != nil {
					return nil, fmt.Errorf("option %q: %v", strings.TrimSpace(part), err)
				}
				o.vals = append(o.vals, ln, rn)
			}
		case "opt":
			if len(w) < 2 {
				return nil, fmt.Errorf("option %q: want opt KIND [len L] [HEX]", strings.TrimSpace(part))
			}
			k, err := num(1, 256)
			if err != nil || k.any {
				return nil, fmt.Errorf("option %q: kind must be 0..255", strings.TrimSpace(part))
			}
			o.kind, want = byte(k.v), 2
			if len(w) >= 3 && w[2] == "len" {
				n, err := num(3, 256)
				if err != nil || n.any {
					return nil, fmt.Errorf("option %q: len must be 0..255", strings.TrimSpace(part))
				}
				o.len, want = int(n.v), 4
			}
			if len(w) > want {
				h := strings.TrimPrefix(w[want], "0x")
				data, err := hex.DecodeString(h)
				if err != nil {
					return nil, fmt.Errorf("option %q: data %q is not hex", strings.TrimSpace(part), w[want])
				}
				if len(data) > 40 {
					return nil, fmt.Errorf("option %q: %d octets of data, at most 40 fit", strings.TrimSpace(part), len(data))
				}
				o.data, want = data, want+1
			}
		default:
			return nil, fmt.Errorf("unknown option %q (want mss, wscale, sackOK, TS, sack, nop, eol or opt)", w[0])
		}
		if len(w) != want {
			return nil, fmt.Errorf("option %q: unexpected %q", strings.TrimSpace(part), w[want:])
		}
		out = append(out, o)
	}
	return out, nil
}

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
	if l.seqAny {
		return seg, l.sendError("* is for expected lines; a sent line needs START:END(LEN)")
	}
	seg.Flags = l.flags
	seg.Seq = b.iss.Add(tcp.Size(uint32(l.seq)))
	seg.Keep = FieldSeq
	off := l.seq
	if l.flags&tcp.FlagSYN != 0 {
		off++ // data on a SYN follows the SYN's sequence number
	}
	seg.Payload = linePayload(off, l.length)
	switch {
	case l.ack.any || l.win.any || l.urg.any:
		return seg, l.sendError("* is for expected lines")
	}
	if l.ack.set {
		if !b.irsKnown {
			return seg, l.sendError("ack is relative to the target's IRS, and no SYN from it was seen yet")
		}
		seg.Ack = b.irs.Add(tcp.Size(uint32(l.ack.v)))
		seg.Keep |= FieldAck
	}
	if l.win.set {
		seg.Window = uint16(l.win.v)
		seg.Keep |= FieldWindow
	}
	if l.urg.set {
		seg.Urgent = uint16(l.urg.v)
	}
	if !l.hasOpts {
		return seg, nil
	}
	seg.Keep |= FieldOptions
	seg.Options = []byte{}
	for _, o := range l.opts {
		switch o.name {
		case "nop", "eol":
			seg.Options = append(seg.Options, o.kind)
		case "sackOK":
			seg.Options = append(seg.Options, SACKPermitted()...)
		case "mss":
			if o.vals[0].any {
				return seg, l.sendError("mss * is for expected lines")
			}
			seg.Options = append(seg.Options, MSS(uint16(o.vals[0].v))...)
		case "wscale":
			if o.vals[0].any {
				return seg, l.sendError("wscale * is for expected lines")
			}
			seg.Options = append(seg.Options, WScale(uint8(o.vals[0].v))...)
		case "TS":
			val, ecr := uint32(o.vals[0].v), uint32(o.vals[1].v)
			if o.vals[0].any || o.vals[1].any {
				if !b.ts {
					return seg, l.sendError("TS val * ecr * needs a connection")
				}
				if o.vals[0].any {
					val = b.tsVal
				}
				if o.vals[1].any {
					ecr = b.tsEcr
				}
			}
			seg.Options = append(seg.Options, Timestamps(val, ecr)...)
		case "sack":
			if !b.irsKnown {
				return seg, l.sendError("sack blocks are relative to the target's IRS, and no SYN from it was seen yet")
			}
			var blocks []tcp.SACKBlock
			for i := 0; i+1 < len(o.vals); i += 2 {
				if o.vals[i].any || o.vals[i+1].any {
					return seg, l.sendError("sack * is for expected lines")
				}
				blocks = append(blocks, tcp.SACKBlock{
					Left:  b.irs.Add(tcp.Size(uint32(o.vals[i].v))),
					Right: b.irs.Add(tcp.Size(uint32(o.vals[i+1].v))),
				})
			}
			seg.Options = append(seg.Options, SACK(blocks...)...)
		case "opt":
			if o.len < 0 {
				seg.Options = append(seg.Options, RawOption(o.kind, o.data...)...)
			} else {
				seg.Options = append(seg.Options, BadLenOption(o.kind, byte(o.len), o.data...)...)
			}
		}
	}
	return seg, nil
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
	s := &f.TCP
	if s.Flags != l.flags {
		return fmt.Sprintf("flags [%s], want [%s]", tcpdumpFlags(s.Flags), tcpdumpFlags(l.flags))
	}
	if !b.irsKnown && s.Flags&tcp.FlagSYN != 0 {
		b.irs, b.irsKnown = s.Seq, true
	}
	if !l.seqAny {
		if !b.irsKnown {
			return "seq is relative to the target's IRS, and no SYN from it was seen yet"
		}
		if want := b.irs.Add(tcp.Size(uint32(l.seq))); s.Seq != want {
			return fmt.Sprintf("seq %d (relative %d), want relative %d", uint32(s.Seq), int32(s.Seq-b.irs), l.seq)
		}
		if len(s.Payload) != l.length {
			return fmt.Sprintf("length %d, want %d", len(s.Payload), l.length)
		}
	}
	if l.ack.set && !l.ack.any {
		if want := b.iss.Add(tcp.Size(uint32(l.ack.v))); s.Ack != want {
			return fmt.Sprintf("ack %d (relative %d), want relative %d", uint32(s.Ack), int32(s.Ack-b.iss), l.ack.v)
		}
	}
	if l.win.set && !l.win.any && int64(s.Window) != l.win.v {
		return fmt.Sprintf("win %d, want %d", s.Window, l.win.v)
	}
	if l.urg.set && !l.urg.any && int64(s.Urgent) != l.urg.v {
		return fmt.Sprintf("urg %d, want %d", s.Urgent, l.urg.v)
	}
	if l.hasOpts {
		if why := l.optionsMismatch(walkOptions(f.TCPOptions()), b); why != "" {
			return why
		}
	}
	return ""
}

func (l *Line) optionsMismatch(got []option, b lineBase) string {
	var want []lineOpt
	for _, o := range l.opts {
		if o.name != "nop" && o.name != "eol" {
			want = append(want, o)
		}
	}
	if len(got) != len(want) {
		return fmt.Sprintf("%d options, want %d", len(got), len(want))
	}
	eq := func(n lineNum, v uint32, base tcp.Value) bool {
		return n.any || uint32(base.Add(tcp.Size(uint32(n.v)))) == v
	}
	for i, w := range want {
		g := got[i]
		if g.kind != w.kind {
			return fmt.Sprintf("option %d is kind %d, want %s (kind %d)", i+1, g.kind, w.name, w.kind)
		}
		ok := true
		switch w.name {
		case "sackOK":
			ok = len(g.data) == 0
		case "mss":
			ok = len(g.data) == 2 && eq(w.vals[0], uint32(binary.BigEndian.Uint16(g.data)), 0)
		case "wscale":
			ok = len(g.data) == 1 && eq(w.vals[0], uint32(g.data[0]), 0)
		case "TS":
			ok = len(g.data) == 8 && eq(w.vals[0], binary.BigEndian.Uint32(g.data), 0) &&
				eq(w.vals[1], binary.BigEndian.Uint32(g.data[4:]), 0)
		case "sack":
			ok = len(g.data) == 4*len(w.vals)
			for j := 0; ok && j < len(w.vals); j++ {
				ok = eq(w.vals[j], binary.BigEndian.Uint32(g.data[4*j:]), b.iss)
			}
		case "opt":
			ok = w.data == nil || bytes.Equal(g.data, w.data)
		}
		if !ok {
			return fmt.Sprintf("option %d is %s, want %s", i+1, optionString(g), w.name)
		}
	}
	return ""
}

// optionString renders one option tcpdump-style.
func optionString(o option) string {
	raw := append([]byte{o.kind, byte(2 + len(o.data))}, o.data...)
	s := string(tcpdump.AppendTCPOptions(nil, raw))
	return strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
}
