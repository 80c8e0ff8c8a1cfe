package segline

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"tcpregress.dev/tcpstack/header"
)

const (
	fSYN = header.TCPFlagSYN
	fFIN = header.TCPFlagFIN
	fRST = header.TCPFlagRST
	fPSH = header.TCPFlagPSH
	fACK = header.TCPFlagACK
	fURG = header.TCPFlagURG
	fECE = header.TCPFlagECE
	fCWR = header.TCPFlagCWR
)

// parseCases is every form of the grammar: the lines the probe's and the
// engine's tests used before they shared this parser, and the rest. out is
// what String prints ("" when it is the line itself).
var parseCases = []struct {
	line string
	want Segment
	out  string
}{
	// Flags.
	{line: "S 0:0(0)", want: Segment{Flags: fSYN, Seq: N(0)}},
	{line: "S. 0:0(0) ack 1", want: Segment{Flags: fSYN | fACK, Seq: N(0), Ack: N(1)}},
	{line: ". 1:1(0) ack 1", want: Segment{Flags: fACK, Seq: N(1), Ack: N(1)}},
	{line: "P. 1:101(100) ack 1", want: Segment{Flags: fPSH | fACK, Seq: N(1), Len: 100, Ack: N(1)}},
	{line: "R 1:1(0)", want: Segment{Flags: fRST, Seq: N(1)}},
	{line: "R. 0:0(0) ack 77 win 0", want: Segment{Flags: fRST | fACK, Seq: N(0), Ack: N(77), Win: N(0)}},
	{line: "F. 101:101(0) ack 1", want: Segment{Flags: fFIN | fACK, Seq: N(101), Ack: N(1)}},
	{line: "SF 0:2(2)", want: Segment{Flags: fSYN | fFIN, Seq: N(0), Len: 2}},
	{line: "SF 10:13(3) win 10", want: Segment{Flags: fSYN | fFIN, Seq: N(10), Len: 3, Win: N(10)}},
	{line: "FP. 1:6(5) ack 1", want: Segment{Flags: fFIN | fPSH | fACK, Seq: N(1), Len: 5, Ack: N(1)}},
	{line: ".FP 1:6(5) ack 1", want: Segment{Flags: fFIN | fPSH | fACK, Seq: N(1), Len: 5, Ack: N(1)}, out: "FP. 1:6(5) ack 1"},
	{line: "UEW. 0:0(0) ack -1", want: Segment{Flags: fURG | fECE | fCWR | fACK, Seq: N(0), Ack: N(-1)}},
	{line: "SFRPUEW. 0:0(0)", want: Segment{Flags: 0xff, Seq: N(0)}},
	{line: "SS 0:0(0)", want: Segment{Flags: fSYN, Seq: N(0)}, out: "S 0:0(0)"}, // packetdrill: a letter twice counts once
	{line: "none -1:-1(0) urg 5", want: Segment{Seq: N(-1), Urg: N(5)}},
	{line: "P 0:5(5) win 100", want: Segment{Flags: fPSH, Seq: N(0), Len: 5, Win: N(100)}},
	// Sequence numbers: relative, negative, near the wrap.
	{line: "  .   4294967295:4294967296(1)  ", want: Segment{Flags: fACK, Seq: N(4294967295), Len: 1}, out: ". 4294967295:4294967296(1)"},
	{line: ". -4294967296:-4294967295(1)", want: Segment{Flags: fACK, Seq: N(-4294967296), Len: 1}},
	{line: "P. -10:65525(65535)", want: Segment{Flags: fPSH | fACK, Seq: N(-10), Len: 65535}},
	{line: ". +1:+1(+0) ack +5", want: Segment{Flags: fACK, Seq: N(1), Ack: N(5)}, out: ". 1:1(0) ack 5"},
	{line: "S\t0:0(0)\twin\t100", want: Segment{Flags: fSYN, Seq: N(0), Win: N(100)}, out: "S 0:0(0) win 100"},
	// Fields, in any order.
	{line: ". 1:1(0) ack 1 win 257", want: Segment{Flags: fACK, Seq: N(1), Ack: N(1), Win: N(257)}},
	{line: ". 1:1(0) win 257 urg 3 ack 1", want: Segment{Flags: fACK, Seq: N(1), Ack: N(1), Win: N(257), Urg: N(3)}, out: ". 1:1(0) ack 1 win 257 urg 3"},
	{line: "S 10:10(0) win 65535 ack 4294967295", want: Segment{Flags: fSYN, Seq: N(10), Win: N(65535), Ack: N(4294967295)}, out: "S 10:10(0) ack 4294967295 win 65535"},
	{line: "U. 1:2(1) ack 1 urg 65535", want: Segment{Flags: fURG | fACK, Seq: N(1), Len: 1, Ack: N(1), Urg: N(65535)}},
	// Wildcards.
	{line: "S. * ack * win *", want: Segment{Flags: fSYN | fACK, Seq: Any, Ack: Any, Win: Any}},
	{line: ". 1:1(0) urg *", want: Segment{Flags: fACK, Seq: N(1), Urg: Any}},
	{line: "S. 0:0(0) ack 1 win * <mss *,sackOK,TS val * ecr *,nop,wscale *>", want: Segment{
		Flags: fSYN | fACK, Seq: N(0), Ack: N(1), Win: Any, HasOptions: true,
		Options: []Option{MSS(Any), SACKPermitted(), Timestamps(Any, Any), NOP(), WScale(Any)},
	}},
	{line: ". 1:1(0) ack 11 <TS val * ecr 5>", want: Segment{Flags: fACK, Seq: N(1), Ack: N(11), HasOptions: true, Options: []Option{Timestamps(Any, N(5))}}},
	{line: "S. * ack * win * <mss *,TS val * ecr *,sack *:* 1:2>", want: Segment{
		Flags: fSYN | fACK, Seq: Any, Ack: Any, Win: Any, HasOptions: true,
		Options: []Option{MSS(Any), Timestamps(Any, Any), SACK(Block{Any, Any}, Block{N(1), N(2)})},
	}},
	// Options.
	{line: "S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>", want: Segment{
		Flags: fSYN, Seq: N(0), Win: N(65535), HasOptions: true,
		Options: []Option{MSS(N(1460)), SACKPermitted(), Timestamps(N(100), N(0)), NOP(), WScale(N(7))},
	}},
	{line: ". 1:1(0) ack 1 <nop,nop,sack 10:20 30:40>", want: Segment{
		Flags: fACK, Seq: N(1), Ack: N(1), HasOptions: true,
		Options: []Option{NOP(), NOP(), SACK(Block{N(10), N(20)}, Block{N(30), N(40)})},
	}},
	{line: ". 1:1(0) ack 1 <sack 1:2 3:4 5:6 -7:4294967295>", want: Segment{
		Flags: fACK, Seq: N(1), Ack: N(1), HasOptions: true,
		Options: []Option{SACK(Block{N(1), N(2)}, Block{N(3), N(4)}, Block{N(5), N(6)}, Block{N(-7), N(4294967295)})},
	}},
	{line: "S 0:0(0) <opt 253 0xbeef,opt 2 len 0,eol>", want: Segment{
		Flags: fSYN, Seq: N(0), HasOptions: true,
		Options: []Option{RawOption(253, []byte{0xbe, 0xef}), {Kind: 2, Raw: true, Len: N(0)}, EOL()},
	}},
	{line: "none -1:-1(0) urg 3 <opt 253 len 40 BEEF,eol>", want: Segment{
		Seq: N(-1), Urg: N(3), HasOptions: true,
		Options: []Option{{Kind: 253, Raw: true, Len: N(40), Data: []byte{0xbe, 0xef}}, EOL()},
	}, out: "none -1:-1(0) urg 3 <opt 253 len 40 0xbeef,eol>"},
	{line: "S 0:0(0) <opt 30,opt 0 0x,opt 255 len 255>", want: Segment{
		Flags: fSYN, Seq: N(0), HasOptions: true,
		Options: []Option{RawOption(30, nil), RawOption(0, []byte{}), {Kind: 255, Raw: true, Len: N(255)}},
	}},
	{line: ". 1:1(0) <>", want: Segment{Flags: fACK, Seq: N(1), HasOptions: true}},
	{line: ". 1:1(0) ack 4001 < >", want: Segment{Flags: fACK, Seq: N(1), Ack: N(4001), HasOptions: true}, out: ". 1:1(0) ack 4001 <>"},
	{line: "S 0:0(0) win 65535 < mss 1460 ,  nop,wscale 0 >", want: Segment{
		Flags: fSYN, Seq: N(0), Win: N(65535), HasOptions: true,
		Options: []Option{MSS(N(1460)), NOP(), WScale(N(0))},
	}, out: "S 0:0(0) win 65535 <mss 1460,nop,wscale 0>"},
	{line: "S. 0:0(0) ack 1<mss 1000>", want: Segment{Flags: fSYN | fACK, Seq: N(0), Ack: N(1), HasOptions: true, Options: []Option{MSS(N(1000))}}, out: "S. 0:0(0) ack 1 <mss 1000>"},
	// packetdrill's own notation: "-" for no flag, "<...>", md5.
	{line: "- 1:1001(1000) win 20000", want: Segment{Seq: N(1), Len: 1000, Win: N(20000)}, out: "none 1:1001(1000) win 20000"},
	{line: "S 0:0(0) <...>", want: Segment{Flags: fSYN, Seq: N(0), AnyOptions: true}},
	{line: "S. 0:0(0) ack 1 < ... >", want: Segment{Flags: fSYN | fACK, Seq: N(0), Ack: N(1), AnyOptions: true}, out: "S. 0:0(0) ack 1 <...>"},
	{line: ". 1:1(0) ack 1 win 514 <md5 000102030405060708090a0b0c0d0e0f,nop,nop>", want: Segment{
		Flags: fACK, Seq: N(1), Ack: N(1), Win: N(514), HasOptions: true,
		Options: []Option{RawOption(19, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}), NOP(), NOP()},
	}, out: ". 1:1(0) ack 1 win 514 <opt 19 0x000102030405060708090a0b0c0d0e0f,nop,nop>"},
	{line: "S 0:0(0) win 65535 <mss 65535,wscale 255,TS val 4294967295 ecr 4294967295>", want: Segment{
		Flags: fSYN, Seq: N(0), Win: N(65535), HasOptions: true,
		Options: []Option{MSS(N(65535)), WScale(N(255)), Timestamps(N(4294967295), N(4294967295))},
	}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run("line="+tc.line, func(t *testing.T) {
			got, err := Parse(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("\n got %+v\nwant %+v", got, tc.want)
			}
			out := tc.out
			if out == "" {
				out = tc.line
			}
			if s := got.String(); s != out {
				t.Errorf("String %q, want %q", s, out)
			}
			again, err := Parse(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip: %+v, %v", again, err)
			}
		})
	}
}

// TestString prints segments that Parse does not return: built by hand, or
// from what a sender or receiver saw.
func TestString(t *testing.T) {
	for _, tc := range []struct {
		seg  Segment
		want string
	}{
		{Segment{}, "none *"},
		{Segment{Flags: fFIN | fSYN | fRST | fPSH | fACK | fURG | fECE | fCWR, Seq: N(0)}, "SFRPUEW. 0:0(0)"},
		{Segment{Flags: fACK, Seq: N(4294967295), Len: 10, Ack: N(1), Win: N(0)}, ". 4294967295:4294967305(10) ack 1 win 0"},
		{Segment{Flags: fSYN, Seq: N(0), HasOptions: true, Options: []Option{MSS(Num{}), {Kind: 30, Data: []byte{1}}}}, "S 0:0(0) <mss *,opt 30 0x01>"},
	} {
		if got := tc.seg.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.seg, got, tc.want)
		}
	}
	if got := FormatOptions([]Option{MSS(N(1460)), SACK(Block{N(1), N(2)})}); got != "mss 1460,sack 1:2" {
		t.Errorf("FormatOptions %q", got)
	}
	if got := FormatOptions(nil); got != "" {
		t.Errorf("FormatOptions(nil) %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"", "want FLAGS START:END(LEN)"},
		{"S", "want FLAGS START:END(LEN)"},
		{"<mss 1>", "want FLAGS START:END(LEN)"},
		{"X 0:0(0)", `flags "X": unknown flag 'X' (want S F R P U E W, '.' for ACK, or none)`},
		{"s 0:0(0)", `unknown flag 's'`},
		{"S\xff 0:0(0)", `unknown flag "\xff"`},
		{"-. 0:0(0)", `unknown flag '-'`},
		{"S 0:1(0)", `sequence "0:1(0)": END-START is 1, not LEN 0`},
		{"S 0:0", `sequence "0:0": want START:END(LEN), such as 1:101(100)`},
		{"S 0(0):0", "want START:END(LEN)"},
		{"S 0:0(0)x", "want START:END(LEN)"},
		{"S a:b(c)", "want START:END(LEN)"},
		{"S 0x1:0x1(0)", "want START:END(LEN)"},
		{"S 1_0:1_0(0)", "want START:END(LEN)"},
		{"S 0:70000(70000)", "length 70000 out of range 0..65535"},
		{"S 0:-1(-1)", "length -1 out of range"},
		{"S 99999999999:99999999999(0)", "START 99999999999 out of range"},
		{"S 4294967296:4294967296(0)", "START 4294967296 out of range"},
		{"S 0:9223372036854775807(0)", "END 9223372036854775807 out of range"},
		{"S 0:99999999999999999999(0)", "want START:END(LEN)"},
		{"S 0:0(0) ack", "ack needs a value"},
		{"S 0:0(0) ack 1 ack 2", "ack given twice"},
		{"S 0:0(0) win 1 win *", "win given twice"},
		{"S 0:0(0) ack x", `ack: "x" is not a number or *`},
		{"S 0:0(0) ack 4294967296", "ack: 4294967296 out of range -4294967296..4294967295"},
		{"S 0:0(0) win 70000", "win: 70000 out of range 0..65535"},
		{"S 0:0(0) win -1", "win: -1 out of range"},
		{"S 0:0(0) urg 65536", "urg: 65536 out of range"},
		{"S 0:0(0) foo 1", `unknown field "foo" (want ack, win, urg or <options>)`},
		{"S 0:0(0) 1", `unknown field "1"`},
		{"S 0:0(0) <mss 1460", "options must end the line with '>'"},
		{"S 0:0(0) <mss 1460> win 1", "options must end the line with '>'"},
		{"S 0:0(0) mss 1460>", "'>' without '<'"},
		{"S 0:0(0) <mss 1> <nop>", "one <options> at the end of the line"},
		{"S 0:0(0) <mss 1<nop>", "one <options> at the end of the line"},
		{"S 0:0(0) <mss>", `option "mss": missing value`},
		{"S 0:0(0) <mss 70000>", `option "mss 70000": 70000 out of range 0..65535`},
		{"S 0:0(0) <mss -1>", "out of range"},
		{"S 0:0(0) <wscale 256>", "out of range 0..255"},
		{"S 0:0(0) <wscale x>", `"x" is not a number or *`},
		{"S 0:0(0) <TS val 1>", `option "TS val 1": want TS val N ecr N`},
		{"S 0:0(0) <TS val 1 ecr 2 x>", "want TS val N ecr N"},
		{"S 0:0(0) <TS ecr 1 val 2>", "want TS val N ecr N"},
		{"S 0:0(0) <TS val 4294967296 ecr 0>", "out of range 0..4294967295"},
		{"S 0:0(0) <TS val 0 ecr -1>", "out of range"},
		{"S 0:0(0) <sack 1-2>", `block "1-2" is not L:R`},
		{"S 0:0(0) <sack>", "1 to 4 blocks"},
		{"S 0:0(0) <sack 1:2 3:4 5:6 7:8 9:10>", "1 to 4 blocks"},
		{"S 0:0(0) <sack 1:x>", `"x" is not a number`},
		{"S 0:0(0) <sack 4294967296:1>", "out of range"},
		{"S 0:0(0) <opt>", "want opt KIND [len L] [HEX]"},
		{"S 0:0(0) <opt 256>", `kind "256": want a number 0..255`},
		{"S 0:0(0) <opt -1>", `kind "-1": want a number 0..255`},
		{"S 0:0(0) <opt *>", `kind "*"`},
		{"S 0:0(0) <opt 30 zz>", `data "zz" is not hex`},
		{"S 0:0(0) <opt 30 abc>", "is not hex"},
		{"S 0:0(0) <opt 30 len>", "len needs a value 0..255"},
		{"S 0:0(0) <opt 30 len 256>", `len "256": want a number 0..255`},
		{"S 0:0(0) <opt 30 len 2 ab cd>", `unexpected "cd"`},
		{"S 0:0(0) <opt 30 " + strings.Repeat("00", 41) + ">", "41 octets of data, at most 40 fit"},
		{"S 0:0(0) <nop x>", `option "nop x": unexpected "x"`},
		{"S 0:0(0) <sackOK 1>", "unexpected"},
		{"S 0:0(0) <mss 1 2>", `unexpected "2"`},
		{"S 0:0(0) <foo>", `unknown option "foo" (want mss, wscale, sackOK, TS, sack, nop, eol, md5 or opt)`},
		{"S 0:0(0) <MSS 1>", `unknown option "MSS"`},
		{"S 0:0(0) <mss 1,,nop>", "empty option in <mss 1,,nop>"},
		{"S 0:0(0) <mss 1,>", "empty option"},
		{"S 0:0(0) <,>", "empty option"},
		{"S 0:0(0) <..., mss 1>", `unknown option "..."`},
		{"S 0:0(0) <md5 0011>", "want 16 octets"},
	} {
		_, err := Parse(tc.line)
		var se *Error
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.line, err, tc.want)
			continue
		}
		if se.Line != strings.TrimSpace(tc.line) || !strings.HasPrefix(err.Error(), "segline: ") {
			t.Errorf("%q: error %q for line %q", tc.line, err, se.Line)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("  S 0:1(0) ")
	if want := `segline: "S 0:1(0)": sequence "0:1(0)": END-START is 1, not LEN 0`; err == nil || err.Error() != want {
		t.Fatalf("%v, want %s", err, want)
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		n    Num
		v    uint32
		want bool
	}{
		{Num{}, 7, true},
		{Any, 7, true},
		{N(7), 7, true},
		{N(8), 7, false},
		{N(-1), 0xffffffff, true},
		{N(4294967295), 0xffffffff, true},
		{N(-4294967296), 0, true},
		{N(-2), 0xffffffff, false},
	} {
		if got := tc.n.Matches(tc.v); got != tc.want {
			t.Errorf("%+v.Matches(%d) = %v", tc.n, tc.v, got)
		}
	}
	if Any.String() != "*" || N(-3).String() != "-3" || (Num{}).String() != "" {
		t.Errorf("String: %q %q %q", Any.String(), N(-3).String(), Num{}.String())
	}
}
