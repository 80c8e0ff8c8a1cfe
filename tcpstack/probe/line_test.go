package probe

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/tcp"
)

const (
	lineISS tcp.Value = 1000
	lineIRS tcp.Value = 5000
)

func TestLineSegment(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Segment
	}{
		{"S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>", Segment{
			Flags: tcp.FlagSYN, Seq: lineISS, Window: 65535, Keep: FieldSeq | FieldWindow | FieldOptions,
			Options: Options(MSS(1460), SACKPermitted(), Timestamps(100, 0), NOP(), WScale(7)),
		}},
		{". 1:1(0) ack 1 win 257", Segment{
			Flags: tcp.FlagACK, Seq: lineISS + 1, Ack: lineIRS + 1, Window: 257, Keep: FieldSeq | FieldAck | FieldWindow,
		}},
		{"P. 1:4(3) ack 1", Segment{
			Flags: tcp.FlagPSH | tcp.FlagACK, Seq: lineISS + 1, Ack: lineIRS + 1, Payload: []byte("bcd"), Keep: FieldSeq | FieldAck,
		}},
		{"R 1:1(0)", Segment{Flags: tcp.FlagRST, Seq: lineISS + 1, Keep: FieldSeq}},
		{"F. 101:101(0) ack 1", Segment{Flags: tcp.FlagFIN | tcp.FlagACK, Seq: lineISS + 101, Ack: lineIRS + 1, Keep: FieldSeq | FieldAck}},
		{"SF 0:2(2)", Segment{Flags: tcp.FlagSYN | tcp.FlagFIN, Seq: lineISS, Payload: []byte("bc"), Keep: FieldSeq}},
		{"SS 0:0(0)", Segment{Flags: tcp.FlagSYN, Seq: lineISS, Keep: FieldSeq}}, // packetdrill: a letter twice counts once
		{"none -1:-1(0) urg 5", Segment{Seq: lineISS - 1, Urgent: 5, Keep: FieldSeq}},
		{"UEW. 0:0(0) ack -1", Segment{Flags: tcp.FlagURG | tcp.FlagECE | tcp.FlagCWR | tcp.FlagACK, Seq: lineISS, Ack: lineIRS - 1, Keep: FieldSeq | FieldAck}},
		{". 1:1(0) ack 1 <nop,nop,sack 10:20 30:40>", Segment{
			Flags: tcp.FlagACK, Seq: lineISS + 1, Ack: lineIRS + 1, Keep: FieldSeq | FieldAck | FieldOptions,
			Options: Options(NOP(), NOP(), SACK(tcp.SACKBlock{Left: lineIRS + 10, Right: lineIRS + 20}, tcp.SACKBlock{Left: lineIRS + 30, Right: lineIRS + 40})),
		}},
		{"S 0:0(0) <opt 253 0xbeef,opt 2 len 0,eol>", Segment{
			Flags: tcp.FlagSYN, Seq: lineISS, Keep: FieldSeq | FieldOptions,
			Options: Options(RawOption(253, 0xbe, 0xef), BadLenOption(2, 0), EOL()),
		}},
		{". 1:1(0) <>", Segment{Flags: tcp.FlagACK, Seq: lineISS + 1, Keep: FieldSeq | FieldOptions, Options: []byte{}}},
		{"  .   4294967295:4294967296(1)  ", Segment{Flags: tcp.FlagACK, Seq: lineISS - 1, Payload: []byte("v"), Keep: FieldSeq}},
	} {
		t.Run("line="+tc.line, func(t *testing.T) {
			l, err := ParseLine(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			got, err := l.Segment(lineISS, lineIRS)
			if err != nil {
				t.Fatal(err)
			}
			if got.Flags != tc.want.Flags || got.Seq != tc.want.Seq || got.Ack != tc.want.Ack || got.Window != tc.want.Window ||
				got.Urgent != tc.want.Urgent || got.Keep != tc.want.Keep || !bytes.Equal(got.Payload, tc.want.Payload) ||
				!bytes.Equal(got.Options, tc.want.Options) || (got.Options == nil) != (tc.want.Options == nil) {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestLineErrors: a line that does not parse is an error wrapping ErrLine
// with segline's account of the wrong token (segline's tests have every
// form of bad line).
func TestLineErrors(t *testing.T) {
	for line, want := range map[string]string{
		"":                      `"": want FLAGS START:END(LEN), such as "S 0:0(0)" or "P. 1:101(100) ack 1"`,
		" X 0:0(0) ":            `"X 0:0(0)": flags "X": unknown flag 'X' (want S F R P U E W, '.' for ACK, or none)`,
		"S 0:1(0)":              `"S 0:1(0)": sequence "0:1(0)": END-START is 1, not LEN 0`,
		"S 0:0(0) win 70000":    `"S 0:0(0) win 70000": win: 70000 out of range 0..65535`,
		"S 0:0(0) <mss 1,,nop>": `"S 0:0(0) <mss 1,,nop>": empty option in <mss 1,,nop>`,
	} {
		l, err := ParseLine(line)
		if l != nil || !errors.Is(err, ErrLine) || err.Error() != "probe: bad segment line "+want {
			t.Errorf("%q: line %v, error %v", line, l, err)
		}
	}
}

func TestLineSendErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"S * ", "* is for expected lines"},
		{". 1:1(0) win *", "* is for expected lines"},
		{"S 0:0(0) <mss *>", "mss * is for expected lines"},
		{"S 0:0(0) <wscale *>", "wscale * is for expected lines"},
		{"S 0:0(0) <sack 1:*>", "sack * is for expected lines"},
		{"S 0:0(0) <TS val * ecr 0>", "needs a connection"},
	} {
		l, err := ParseLine(tc.line)
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if _, err := l.Segment(0, 0); err == nil || !errors.Is(err, ErrLine) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.want)
		}
	}
	for _, line := range []string{". 1:1(0) ack 1", ". 1:1(0) <sack 1:2>"} {
		l, _ := ParseLine(line)
		if _, err := l.segment(lineBase{}); err == nil || !strings.Contains(err.Error(), "no SYN from it") {
			t.Errorf("%q before IRS: %v", line, err)
		}
	}
}

func TestLineMatch(t *testing.T) {
	// The target's segments: seq relative to lineIRS, ack to lineISS.
	synAck := build(t, Segment{Flags: tcp.FlagSYN | tcp.FlagACK, Seq: lineIRS, Ack: lineISS + 1, Window: 65160,
		Options: Options(MSS(1460), SACKPermitted(), Timestamps(77, 100), NOP(), WScale(7))})
	data := build(t, Segment{Flags: tcp.FlagPSH | tcp.FlagACK, Seq: lineIRS + 1, Ack: lineISS + 1, Window: 502, Payload: make([]byte, 10),
		Options: Options(NOP(), NOP(), SACK(tcp.SACKBlock{Left: lineISS + 5, Right: lineISS + 9}))})
	for _, tc := range []struct {
		line  string
		frame Frame
		why   string // "" when it matches
	}{
		{"S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val 77 ecr 100,nop,wscale 7>", synAck, ""},
		{"S. 0:0(0) ack 1 <mss *,sackOK,TS val * ecr *,wscale *>", synAck, ""},
		{"S. * ack * win *", synAck, ""},
		{"S. 0:0(0)", synAck, ""},
		{"S. 0:0(0) ack 1 <mss 1460>", synAck, "4 options, want 1: <mss 1460,sackOK,TS val 77 ecr 100,wscale 7>"},
		{"S. 0:0(0) ack 1 <sackOK,mss 1460,TS val * ecr *,wscale 7>", synAck, "option 1 is mss 1460, want sackOK"},
		{"S. 0:0(0) ack 1 <mss 1400,sackOK,TS val * ecr *,wscale 7>", synAck, "option 1 is mss 1460, want mss 1400"},
		{"S. 0:0(0) ack 2", synAck, "ack 1001 (relative 1), want relative 2"},
		{"S 0:0(0)", synAck, "flags [S.], want [S]"},
		{"S. 1:1(0)", synAck, "relative 0), want relative 1"},
		{"S. 0:0(0) win 1", synAck, "win 65160, want 1"},
		{"S. 0:0(0) urg 1", synAck, "urg 0, want 1"},
		{"P. 1:11(10) ack 1 <nop,sack 5:9>", data, ""},
		{"P. 1:11(10) ack 1 <sack 5:10>", data, "option 1 is sack 5:9, want sack 5:10"},
		{"P. 1:1(0)", data, "length 10, want 0"},
		{"P. 1:11(10) <>", data, "1 options, want 0: <sack 5:9>"},
		{"P. 1:11(10) <opt 5>", data, ""},
		{"P. 1:11(10) <opt 5 000000050000000a>", data, "option 1 is sack 5:9, want opt 5 0x000000050000000a"},
		{"P. 1:11(10) ack 1 <sack 5:*>", data, ""},
		{"P. 1:11(10) ack 1 <sack *:8>", data, "option 1 is sack 5:9, want sack *:8"},
		{"S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 99,wscale 7>", synAck, "option 3 is TS val 77 ecr 100, want TS val * ecr 99"},
		{"S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr *,wscale 6>", synAck, "option 4 is wscale 7, want wscale 6"},
		{"S. -1:-1(0)", synAck, "seq 5000 (relative 0), want relative -1"},
	} {
		l, err := ParseLine(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		why := l.mismatch(&tc.frame, lineBase{iss: lineISS, irs: lineIRS, irsKnown: true})
		if tc.why == "" && why != "" || tc.why != "" && !strings.Contains(why, tc.why) {
			t.Errorf("%q: mismatch %q, want %q", tc.line, why, tc.why)
		}
		if got := l.Match(lineISS, lineIRS).Match(&tc.frame); got != (tc.why == "") {
			t.Errorf("%q: Match %v", tc.line, got)
		}
	}
	// Unknown IRS: a SYN sets it.
	l, _ := ParseLine("S. 0:0(0) ack 1")
	if why := l.mismatch(&synAck, lineBase{iss: lineISS}); why != "" {
		t.Errorf("SYN-ACK with unknown IRS: %s", why)
	}
	l, _ = ParseLine("P. 1:11(10)")
	if why := l.mismatch(&data, lineBase{iss: lineISS}); !strings.Contains(why, "no SYN") {
		t.Errorf("data with unknown IRS: %q", why)
	}
}

// TestFrameLine: a frame the target sent, written as a line with its
// numbers relative to the initial sequence numbers, for the "got" of a
// mismatch; it parses, and the line matches the frame.
func TestFrameLine(t *testing.T) {
	base := lineBase{iss: lineISS, irs: lineIRS, irsKnown: true}
	for _, tc := range []struct {
		seg     Segment
		b       lineBase
		want    string
		noMatch bool // the line cannot say the frame: no IRS, broken options
	}{
		{Segment{Flags: tcp.FlagSYN | tcp.FlagACK, Seq: lineIRS, Ack: lineISS + 1, Window: 65160,
			Options: Options(MSS(1460), SACKPermitted(), Timestamps(77, 100), NOP(), WScale(7))}, base,
			"S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val 77 ecr 100,nop,wscale 7>", false},
		{Segment{Flags: tcp.FlagSYN | tcp.FlagACK, Seq: lineIRS, Ack: lineISS + 1, Window: 1}, lineBase{iss: lineISS}, // a SYN gives the IRS
			"S. 0:0(0) ack 1 win 1", false},
		{Segment{Flags: tcp.FlagACK, Seq: lineIRS + 1, Ack: lineISS - 1, Window: 9}, lineBase{iss: lineISS}, // no IRS: absolute
			". 5001:5001(0) ack 4294967295 win 9", true},
		{Segment{Flags: tcp.FlagPSH | tcp.FlagACK | tcp.FlagURG, Seq: lineIRS - 1, Ack: lineISS, Window: 502, Urgent: 3, Payload: make([]byte, 4),
			Options: Options(NOP(), NOP(), SACK(tcp.SACKBlock{Left: lineISS + 5, Right: lineISS + 9}, tcp.SACKBlock{Left: lineISS - 2, Right: lineISS}))}, base,
			"PU. 4294967295:4294967299(4) ack 0 win 502 urg 3 <nop,nop,sack 5:9 4294967294:0>", false},
		{Segment{Flags: tcp.FlagRST, Seq: lineIRS + 7, Options: Options(RawOption(253, 0xbe, 0xef), MSS(1), EOL(), NOP())}, base,
			"R 7:7(0) win 0 <opt 253 0xbeef,mss 1,eol>", false},
		{Segment{Flags: tcp.FlagACK, Seq: lineIRS, Ack: lineISS, Options: Options(RawOption(2, 1), RawOption(5), SACKPermitted(), BadLenOption(8, 40, 1, 2))}, base,
			". 0:0(0) ack 0 win 0 <opt 2 0x01,opt 5 0x,sackOK,opt 8 len 40 0x010200>", true},
		{Segment{Flags: tcp.FlagACK, Seq: lineIRS, Ack: lineISS, Options: Options(NOP(), NOP(), NOP(), []byte{30})}, base,
			". 0:0(0) ack 0 win 0 <nop,nop,nop,opt 30>", true},
	} {
		f := build(t, tc.seg)
		got := frameLine(&f, tc.b)
		if got != tc.want {
			t.Errorf("\n got %s\nwant %s", got, tc.want)
			continue
		}
		l, err := ParseLine(got)
		if err != nil {
			t.Errorf("%s: %v", got, err)
			continue
		}
		if why := l.mismatch(&f, tc.b); (why == "") == tc.noMatch {
			t.Errorf("%s: mismatch %q", got, why)
		}
	}
	var icmp Frame
	if got := frameLine(&icmp, base); got != "not a TCP segment" {
		t.Errorf("not TCP: %q", got)
	}
}

func TestMatchHelpers(t *testing.T) {
	f := build(t, Segment{SrcPort: 40000, DstPort: 5001, Flags: tcp.FlagSYN | tcp.FlagACK, Seq: 7, Ack: 8, Window: 9,
		Options: MSS(1460), Payload: []byte("hi")})
	src, dst := f.Src(), f.Dst()
	for _, tc := range []struct {
		m    Match
		want bool
		desc string
	}{
		{Flags(tcp.FlagSYN | tcp.FlagACK), true, "flags [S.]"},
		{Flags(tcp.FlagSYN), false, "flags [S]"},
		{HasFlags(tcp.FlagSYN), true, "flags has [S]"},
		{Seq(7), true, "seq 7"},
		{Ack(9), false, "ack 9"},
		{Window(9), true, "win 9"},
		{Len(2), true, "length 2"},
		{Payload([]byte("hi")), true, `payload "hi"`},
		{HasOption(2), true, "option 2"},
		{HasOption(8), false, "option 8"},
		{And(SeqAny, AckAny, WindowAny, TCP, ChecksumOK, HasPayload), true, "seq any, ack any, win any, tcp, checksum ok, length > 0"},
		{From(src), true, "from 198.18.0.3.40000"},
		{To(dst), true, "to 198.18.0.2.5001"},
		{From(dst), false, "from 198.18.0.2.5001"},
		{Tuple(dst, src), true, "198.18.0.3.40000 > 198.18.0.2.5001"},
		{Tuple(src, dst), false, "198.18.0.2.5001 > 198.18.0.3.40000"},
		{Not(ICMPMessage), true, "not (icmp)"},
		{Or(Seq(1), Seq(7)), true, "(seq 1 or seq 7)"},
		{Func("mine", func(*Frame) bool { return false }), false, "mine"},
		{Any, true, "any frame"},
	} {
		if got := tc.m.Match(&f); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.m, got, tc.want)
		}
		if tc.m.String() != tc.desc {
			t.Errorf("description %q, want %q", tc.m.String(), tc.desc)
		}
	}
}

// FuzzFrameLine: whatever a target sends prints as a line that parses.
// A SYN with a broken option, and every SACK block and an option without a length.
func FuzzFrameLine(f *testing.F) {
	f.Add(mustMarshal(Segment{Flags: tcp.FlagSYN, Options: Options(MSS(1460), NOP(), BadLenOption(8, 40))}))
	f.Add(mustMarshal(Segment{Flags: tcp.FlagACK | tcp.FlagURG, Options: Options(SACK(make([]tcp.SACKBlock, 4)...), []byte{30})}))
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := decodeFrame(b, time.Time{}, In)
		for _, base := range []lineBase{{}, {iss: 1, irs: 2, irsKnown: true}} {
			s := frameLine(&fr, base)
			if _, err := ParseLine(s); err != nil && fr.IsTCP() {
				t.Fatalf("%q: %v", s, err)
			}
		}
	})
}
