package probe

import (
	"bytes"
	"errors"
	"strings"
	"testing"

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

func TestLineErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"", "want FLAGS START:END(LEN)"},
		{"S", "want FLAGS START:END(LEN)"},
		{"X 0:0(0)", `unknown flag 'X'`},
		{"SS 0:0(0)", `'S' given twice`},
		{"S 0:1(0)", "END-START is 1, not LEN 0"},
		{"S 0:0", "want START:END(LEN)"},
		{"S a:b(c)", "want START:END(LEN)"},
		{"S 0:70000(70000)", "length 70000 out of range"},
		{"S 99999999999:99999999999(0)", "out of range"},
		{"S 0:0(0) ack", "ack needs a value"},
		{"S 0:0(0) ack 1 ack 2", "ack given twice"},
		{"S 0:0(0) win 70000", "win: 70000 out of range"},
		{"S 0:0(0) win -1", "win: -1 out of range"},
		{"S 0:0(0) foo 1", `unknown field "foo"`},
		{"S 0:0(0) <mss 1460", "options must end the line"},
		{"S 0:0(0) mss 1460>", "'>' without '<'"},
		{"S 0:0(0) <mss>", "missing value"},
		{"S 0:0(0) <mss 70000>", "out of range"},
		{"S 0:0(0) <wscale 256>", "out of range"},
		{"S 0:0(0) <TS val 1>", "want TS val N ecr N"},
		{"S 0:0(0) <sack 1-2>", "not L:R"},
		{"S 0:0(0) <sack>", "1 to 4 blocks"},
		{"S 0:0(0) <opt>", "want opt KIND"},
		{"S 0:0(0) <opt 256>", "kind must be 0..255"},
		{"S 0:0(0) <opt 30 zz>", "not hex"},
		{"S 0:0(0) <opt 30 len>", "len must be 0..255"},
		{"S 0:0(0) <opt 30 len 2 ab cd>", "unexpected"},
		{"S 0:0(0) <nop x>", "unexpected"},
		{"S 0:0(0) <foo>", `unknown option "foo"`},
		{"S 0:0(0) <mss 1,,nop>", "empty option"},
	} {
		_, err := ParseLine(tc.line)
		if err == nil || !errors.Is(err, ErrLine) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.want)
		}
	}
}

func TestLineSendErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"S * ", "* is for expected lines"},
		{". 1:1(0) win *", "* is for expected lines"},
		{"S 0:0(0) <mss *>", "mss * is for expected lines"},
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
	l, _ := ParseLine(". 1:1(0) ack 1")
	if _, err := l.segment(lineBase{}); err == nil || !strings.Contains(err.Error(), "no SYN from it") {
		t.Errorf("ack before IRS: %v", err)
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
		{"S. 0:0(0) ack 1 <mss 1460>", synAck, "4 options, want 1"},
		{"S. 0:0(0) ack 1 <sackOK,mss 1460,TS val * ecr *,wscale 7>", synAck, "option 1 is kind 2, want sackOK"},
		{"S. 0:0(0) ack 1 <mss 1400,sackOK,TS val * ecr *,wscale 7>", synAck, "option 1 is mss 1460, want mss"},
		{"S. 0:0(0) ack 2", synAck, "ack 1001 (relative 1), want relative 2"},
		{"S 0:0(0)", synAck, "flags [S.], want [S]"},
		{"S. 1:1(0)", synAck, "relative 0), want relative 1"},
		{"S. 0:0(0) win 1", synAck, "win 65160, want 1"},
		{"S. 0:0(0) urg 1", synAck, "urg 0, want 1"},
		{"P. 1:11(10) ack 1 <nop,sack 5:9>", data, ""},
		{"P. 1:11(10) ack 1 <sack 5:10>", data, "option 1 is sack 1 {1005:1009}, want sack"},
		{"P. 1:1(0)", data, "length 10, want 0"},
		{"P. 1:11(10) <>", data, "1 options, want 0"},
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
