// Package segline is the one grammar of packetdrill-like segment lines:
// its parser ([Parse]), the value it returns ([Segment]) and its printer
// ([Segment.String]). The engine's tests (tcpstack/tcp, through their
// harness) and the raw segment probe (tcpstack/probe, and through it the
// conformance cases) read their lines with it, and print the segments they
// see in it, so that "want X, got Y" is written in one notation.
//
// A line describes one TCP segment, with numbers relative to the
// connection's initial sequence numbers:
//
//	FLAGS START:END(LEN) [ack N] [win N] [urg N] [<OPTION,...>]
//
//	S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//	S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
//	. 1:1(0) ack 1 win 257
//	P. 1:101(100) ack 1
//	S. 0:0(0) ack 1 win * <mss *,sackOK,TS val * ecr *,nop,wscale *>
//	. 1:1(0) ack 1 <nop,nop,sack 10:20 30:40>
//	S 0:0(0) <opt 253 0xbeef,opt 2 len 0,eol>
//	S. * ack * win *
//
// Tokens are separated by white space (spaces and tabs, any number);
// leading and trailing space is ignored. The grammar is packetdrill's
// (google/packetdrill, parser.y: "flags seq opt_ack opt_window opt_urg_ptr
// opt_tcp_options") with the extensions listed at the end.
//
// # Flags
//
// FLAGS is one token of the letters S (SYN), F (FIN), R (RST), P (PSH),
// U (URG), E (ECE), W (CWR) and "." (ACK), in any order: "S.", "P.", "F.",
// "R", ".", "UEW.". A letter given twice counts once, as in packetdrill
// ("SS" is "S"). "none" is a segment with no flag. The printer writes the
// letters in packetdrill's order, S F R P U E W, then "." ([header.TCPFlags]
// PacketdrillString).
//
// # Sequence numbers and length
//
// START:END(LEN) gives the segment's sequence number (START) and the length
// of its payload (LEN, 0 to 65535), and repeats the sequence number after
// the payload (END); END-START must equal LEN. The numbers are decimal,
// relative to an initial sequence number, and may be negative: they wrap
// modulo 2^32 ("-1:-1(0)" and "4294967295:4294967295(0)" are the same
// segment). START must lie in -2^32 to 2^32-1. SYN and FIN are not counted
// in LEN: a SYN at 0 is "S 0:0(0)", the next octet is 1.
//
// # Fields
//
// Then, in any order and each at most once:
//
//   - "ack N": the acknowledgment number, relative to the other side's
//     initial sequence number; -2^32 to 2^32-1, modulo 2^32.
//   - "win N": the window field as it is on the wire (unscaled), 0 to 65535.
//   - "urg N": the urgent pointer, 0 to 65535.
//
// A field left out is [Absent]: what that means is the user's (a sender
// fills in a default, a matcher does not compare it). "ack" is allowed
// without the ACK flag, and then describes the field as sent.
//
// # Options
//
// "<...>" at the end of the line lists the TCP options, in order, separated
// by commas; "<>" is a segment without options, and a line without "<...>"
// says nothing of them ([Segment.HasOptions]). The options are:
//
//   - "nop", "eol": No-Operation and End of Option List (kinds 1 and 0).
//   - "mss N": Maximum Segment Size, 0 to 65535 (kind 2).
//   - "wscale N": Window Scale shift count, 0 to 255 (kind 3).
//   - "sackOK": SACK-Permitted (kind 4).
//   - "sack L:R [L:R ...]": SACK, one to four blocks; the edges are
//     sequence numbers like "ack" (relative to the other side's initial
//     sequence number, -2^32 to 2^32-1, modulo 2^32) (kind 5).
//   - "TS val N ecr N": Timestamps, each 0 to 2^32-1 (kind 8).
//   - "opt KIND [HEX]": an option of any kind 0 to 255 with the right length
//     octet, carrying the octets HEX (hexadecimal, an optional "0x" prefix,
//     at most 40 octets); without HEX, a matcher accepts any data and a
//     sender sends none.
//   - "opt KIND len L [HEX]": the same with the length octet L (0 to 255)
//     whatever the data, for options with an illegal length such as 0, 1
//     or 40.
//
// # Wildcards
//
// In a line that describes a segment to be matched, "*" stands for any
// value: in place of START:END(LEN) as a whole (any sequence number, any
// length), of the N of ack, win and urg, and of any number of an option
// (mss *, wscale *, TS val * ecr *, sack *:*). A value is [Wild] then. A
// sender cannot send "*", except where its user fills it in.
//
// # Extensions to packetdrill
//
// packetdrill writes ack, win and urg in that order and does not know
// "*", negative numbers, "none", "opt" or "<>". Of packetdrill's own
// notation the grammar takes "-" for no flag (as "none"), "<...>" for
// options that are not checked ([Segment.AnyOptions]) and "md5 HEX", the
// TCP MD5 signature option (RFC 2385, kind 19, sixteen octets: an "opt 19
// HEX"); its fast-open and AccECN options are not part of it.
//
// # Errors
//
// [Parse] returns an [*Error] that quotes the line and says which token is
// wrong and what was expected:
//
//	segline: "S 0:1(0)": sequence "0:1(0)": END-START is 1, not LEN 0
//
// No input makes it panic, and every line it accepts prints back, with
// [Segment.String], as a line that parses to the same [Segment].
package segline

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"tcpregress.dev/tcpstack/header"
)

// Form says how a number stands in a line.
type Form uint8

// The forms of a number.
const (
	// Absent is a field the line leaves out.
	Absent Form = iota
	// Exact is a field given as a number.
	Exact
	// Wild is a field given as "*": any value.
	Wild
)

// Num is a number of a line: left out, a decimal number, or "*".
type Num struct {
	Form Form
	// V is the number when Form is Exact; relative sequence numbers may
	// be negative.
	V int64
}

// N returns the exact number v.
func N(v int64) Num { return Num{Form: Exact, V: v} }

// Any is the wildcard "*".
var Any = Num{Form: Wild}

// Matches reports whether a field whose value is v satisfies n: an absent
// or wildcard n accepts every value, an exact one the value equal to it
// modulo 2^32 (so that a relative sequence number -1 matches 0xffffffff).
func (n Num) Matches(v uint32) bool { return n.Form != Exact || uint32(n.V) == v }

// String returns the number as a line writes it: decimal, "*", or "" when
// absent.
func (n Num) String() string {
	switch n.Form {
	case Exact:
		return strconv.FormatInt(n.V, 10)
	case Wild:
		return "*"
	}
	return ""
}

// Segment is a parsed line. Flags are the control bits with their wire
// values; the numbers are relative and not yet resolved against any
// connection.
type Segment struct {
	Flags header.TCPFlags
	// Seq is START: Exact, or Wild when the line has "*" in place of
	// START:END(LEN).
	Seq Num
	// Len is LEN, the length of the payload; 0 when Seq is Wild.
	Len int
	// Ack, Win and Urg are the fields "ack N", "win N" and "urg N".
	Ack, Win, Urg Num
	// HasOptions reports whether the line has "<...>"; then Options lists
	// its options in order, NOP and EOL included (none for "<>").
	HasOptions bool
	Options    []Option
	// AnyOptions reports that the line has "<...>": options unchecked
	// (HasOptions is false then).
	AnyOptions bool
}

// Option is one option of a line. Kind says which; the other fields are
// those of its kind.
type Option struct {
	Kind header.TCPOptionKind
	// Value is the N of "mss N" and "wscale N".
	Value Num
	// TSVal and TSEcr are the numbers of "TS val N ecr N".
	TSVal, TSEcr Num
	// SACK holds the blocks of "sack L:R ...", one to four.
	SACK []Block
	// Raw marks an option written "opt KIND [len L] [HEX]": of any kind
	// (even a known one), with Len and Data as given.
	Raw bool
	// Len is the L of "opt KIND len L"; Absent for the right length octet.
	Len Num
	// Data is the HEX of "opt KIND HEX"; nil when the line gives none.
	Data []byte
}

// Block is one SACK block: the left and right edges.
type Block struct{ Left, Right Num }

// MSS returns the option "mss N".
func MSS(n Num) Option { return Option{Kind: header.TCPOptionMSS, Value: n} }

// WScale returns the option "wscale N".
func WScale(n Num) Option { return Option{Kind: header.TCPOptionWScale, Value: n} }

// SACKPermitted returns the option "sackOK".
func SACKPermitted() Option { return Option{Kind: header.TCPOptionSACKPermitted} }

// Timestamps returns the option "TS val N ecr N".
func Timestamps(val, ecr Num) Option {
	return Option{Kind: header.TCPOptionTimestamps, TSVal: val, TSEcr: ecr}
}

// SACK returns the option "sack L:R ...".
func SACK(blocks ...Block) Option { return Option{Kind: header.TCPOptionSACK, SACK: blocks} }

// NOP returns the option "nop".
func NOP() Option { return Option{Kind: header.TCPOptionNOP} }

// EOL returns the option "eol".
func EOL() Option { return Option{Kind: header.TCPOptionEOL} }

// RawOption returns the option "opt KIND HEX" (data nil: "opt KIND").
func RawOption(kind header.TCPOptionKind, data []byte) Option {
	return Option{Kind: kind, Raw: true, Data: data}
}

// Error is a line that does not parse.
type Error struct {
	// Line is the line, without leading and trailing space.
	Line string
	// Msg names the wrong token and says what was expected.
	Msg string
}

func (e *Error) Error() string { return "segline: " + strconv.Quote(e.Line) + ": " + e.Msg }

// Limits of the numbers.
const (
	seqLimit   = 1 << 32 // sequence numbers: -2^32 to 2^32-1
	endLimit   = 1 << 62 // END, before it is checked against START+LEN
	u32Limit   = 1 << 32
	u16Limit   = 1 << 16
	u8Limit    = 1 << 8
	maxOptData = header.TCPMaxOptionsLen
	maxBlocks  = 4
	md5Kind    = 19 // RFC 2385
	md5Len     = 16
)

// Parse parses one line (see the package documentation for the grammar).
func Parse(line string) (Segment, error) {
	text := strings.TrimSpace(line)
	seg, msg := parse(text)
	if msg != "" {
		return Segment{}, &Error{Line: text, Msg: msg}
	}
	return seg, nil
}

// parse parses a trimmed line; it returns what is wrong, or "".
func parse(text string) (seg Segment, msg string) {
	rest := text
	if i := strings.IndexByte(rest, '<'); i >= 0 {
		if !strings.HasSuffix(rest, ">") {
			return seg, "options must end the line with '>'"
		}
		inner := rest[i+1 : len(rest)-1]
		if strings.TrimSpace(inner) == "..." {
			seg.AnyOptions = true
			inner = ""
		} else if strings.ContainsAny(inner, "<>") {
			return seg, "one <options> at the end of the line, without '<' or '>' inside"
		}
		opts, msg := parseOptions(inner)
		if msg != "" {
			return seg, msg
		}
		seg.Options, seg.HasOptions = opts, !seg.AnyOptions
		rest = rest[:i]
	} else if strings.IndexByte(rest, '>') >= 0 {
		return seg, "'>' without '<'"
	}
	tok := strings.Fields(rest)
	if len(tok) < 2 {
		return seg, "want FLAGS START:END(LEN), such as \"S 0:0(0)\" or \"P. 1:101(100) ack 1\""
	}
	if seg.Flags, msg = parseFlags(tok[0]); msg != "" {
		return seg, msg
	}
	if tok[1] == "*" {
		seg.Seq = Any
	} else if seg.Seq, seg.Len, msg = parseSeq(tok[1]); msg != "" {
		return seg, msg
	}
	for i := 2; i < len(tok); i += 2 {
		name := tok[i]
		var dst *Num
		var lo, hi int64
		switch name {
		case "ack":
			dst, lo, hi = &seg.Ack, -seqLimit, seqLimit
		case "win":
			dst, lo, hi = &seg.Win, 0, u16Limit
		case "urg":
			dst, lo, hi = &seg.Urg, 0, u16Limit
		default:
			return seg, fmt.Sprintf("unknown field %q (want ack, win, urg or <options>)", name)
		}
		if dst.Form != Absent {
			return seg, name + " given twice"
		}
		if i+1 >= len(tok) {
			return seg, name + " needs a value"
		}
		if *dst, msg = parseNum(tok[i+1], lo, hi); msg != "" {
			return seg, name + ": " + msg
		}
	}
	return seg, ""
}

// flagLetters are the letters of FLAGS in packetdrill's order, and
// flagBits their bits.
const flagLetters = "SFRPUEW."

var flagBits = [len(flagLetters)]header.TCPFlags{
	header.TCPFlagSYN, header.TCPFlagFIN, header.TCPFlagRST, header.TCPFlagPSH,
	header.TCPFlagURG, header.TCPFlagECE, header.TCPFlagCWR, header.TCPFlagACK,
}

func parseFlags(s string) (header.TCPFlags, string) {
	if s == "none" || s == "-" {
		return 0, ""
	}
	var fl header.TCPFlags
	for j, c := range s {
		i := strings.IndexRune(flagLetters, c)
		if i < 0 {
			bad := strconv.QuoteRune(c)
			if c == utf8.RuneError {
				_, n := utf8.DecodeRuneInString(s[j:])
				bad = strconv.Quote(s[j : j+n])
			}
			return 0, fmt.Sprintf("flags %q: unknown flag %s (want S F R P U E W, '.' for ACK, or none)", s, bad)
		}
		fl |= flagBits[i]
	}
	return fl, ""
}

// parseSeq parses START:END(LEN).
func parseSeq(s string) (start Num, length int, msg string) {
	bad := fmt.Sprintf("sequence %q: want START:END(LEN), such as 1:101(100)", s)
	colon := strings.IndexByte(s, ':')
	open := strings.IndexByte(s, '(')
	if colon < 0 || open < colon || !strings.HasSuffix(s, ")") {
		return start, 0, bad
	}
	a, err1 := strconv.ParseInt(s[:colon], 10, 64)
	b, err2 := strconv.ParseInt(s[colon+1:open], 10, 64)
	n, err3 := strconv.ParseInt(s[open+1:len(s)-1], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return start, 0, bad
	}
	if a < -seqLimit || a >= seqLimit {
		return start, 0, fmt.Sprintf("sequence %q: START %d out of range (-2^32 to 2^32-1)", s, a)
	}
	if n < 0 || n >= u16Limit {
		return start, 0, fmt.Sprintf("sequence %q: length %d out of range 0..65535", s, n)
	}
	if b < -endLimit || b >= endLimit { // so that END-START cannot overflow
		return start, 0, fmt.Sprintf("sequence %q: END %d out of range", s, b)
	}
	if b-a != n {
		return start, 0, fmt.Sprintf("sequence %q: END-START is %d, not LEN %d", s, b-a, n)
	}
	return N(a), int(n), ""
}

// parseNum parses a decimal in [lo, hi) or "*".
func parseNum(s string, lo, hi int64) (Num, string) {
	if s == "*" {
		return Any, ""
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Num{}, fmt.Sprintf("%q is not a number or *", s)
	}
	if v < lo || v >= hi {
		return Num{}, fmt.Sprintf("%d out of range %d..%d", v, lo, hi-1)
	}
	return N(v), ""
}

func parseOptions(s string) ([]Option, string) {
	if strings.TrimSpace(s) == "" {
		return nil, ""
	}
	var out []Option
	for _, part := range strings.Split(s, ",") {
		w := strings.Fields(part)
		if len(w) == 0 {
			return nil, fmt.Sprintf("empty option in <%s>", s)
		}
		o, msg := parseOption(w)
		if msg != "" {
			return nil, fmt.Sprintf("option %q: %s", strings.Join(w, " "), msg)
		}
		out = append(out, o)
	}
	return out, ""
}

// parseOption parses the words of one option.
func parseOption(w []string) (o Option, msg string) {
	num := func(i int, lo, hi int64) Num {
		if msg != "" {
			return Num{}
		}
		if i >= len(w) {
			msg = "missing value"
			return Num{}
		}
		var n Num
		n, msg = parseNum(w[i], lo, hi)
		return n
	}
	want := 1 // words the option takes
	switch w[0] {
	case "nop":
		o = NOP()
	case "eol":
		o = EOL()
	case "sackOK":
		o = SACKPermitted()
	case "mss":
		o, want = MSS(num(1, 0, u16Limit)), 2
	case "wscale":
		o, want = WScale(num(1, 0, u8Limit)), 2
	case "TS":
		if len(w) != 5 || w[1] != "val" || w[3] != "ecr" {
			return o, "want TS val N ecr N"
		}
		o, want = Timestamps(num(2, 0, u32Limit), num(4, 0, u32Limit)), 5
	case "sack":
		if len(w) < 2 || len(w) > 1+maxBlocks {
			return o, "want sack L:R with 1 to 4 blocks"
		}
		o, want = SACK(), len(w)
		for _, blk := range w[1:] {
			l, r, ok := strings.Cut(blk, ":")
			if !ok {
				return o, fmt.Sprintf("block %q is not L:R", blk)
			}
			var b Block
			if b.Left, msg = parseNum(l, -seqLimit, seqLimit); msg != "" {
				return o, msg
			}
			if b.Right, msg = parseNum(r, -seqLimit, seqLimit); msg != "" {
				return o, msg
			}
			o.SACK = append(o.SACK, b)
		}
	case "md5":
		if len(w) != 2 {
			return o, "want md5 HEX (16 octets)"
		}
		data, err := hex.DecodeString(strings.TrimPrefix(w[1], "0x"))
		if err != nil || len(data) != md5Len {
			return o, fmt.Sprintf("md5 %q: want 16 octets in hex", w[1])
		}
		o, want = RawOption(header.TCPOptionKind(md5Kind), data), 2
	case "opt":
		if len(w) < 2 {
			return o, "want opt KIND [len L] [HEX]"
		}
		k, err := strconv.ParseUint(w[1], 10, 8)
		if err != nil {
			return o, fmt.Sprintf("kind %q: want a number 0..255", w[1])
		}
		o, want = RawOption(header.TCPOptionKind(k), nil), 2
		if len(w) > 2 && w[2] == "len" {
			if len(w) < 4 {
				return o, "len needs a value 0..255"
			}
			n, err := strconv.ParseUint(w[3], 10, 8)
			if err != nil {
				return o, fmt.Sprintf("len %q: want a number 0..255", w[3])
			}
			o.Len, want = N(int64(n)), 4
		}
		if len(w) > want {
			data, err := hex.DecodeString(strings.TrimPrefix(w[want], "0x"))
			if err != nil {
				return o, fmt.Sprintf("data %q is not hex", w[want])
			}
			if len(data) > maxOptData {
				return o, fmt.Sprintf("%d octets of data, at most %d fit", len(data), maxOptData)
			}
			o.Data, want = data, want+1
		}
	default:
		return o, fmt.Sprintf("unknown option %q (want mss, wscale, sackOK, TS, sack, nop, eol, md5 or opt)", w[0])
	}
	if msg != "" {
		return o, msg
	}
	if len(w) != want {
		return o, fmt.Sprintf("unexpected %q", strings.Join(w[want:], " "))
	}
	return o, ""
}
