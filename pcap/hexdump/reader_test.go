package hexdump

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRoundTrip(t *testing.T) {
	for _, in := range testInputs(t, 60) {
		for _, o := range allOptions() {
			dump := FormatOptions(in.data, o)
			r := NewReader(strings.NewReader(dump))
			got, err := io.ReadAll(r)
			if err != nil {
				t.Errorf("%s/%+v: %v", in.name, o, err)
				continue
			}
			if !bytes.Equal(got, in.data) {
				t.Errorf("%s/%+v: round trip gives %d bytes, want %d", in.name, o, len(got), len(in.data))
				continue
			}
			if len(in.data) > 8 && r.Style() != o.Style {
				t.Errorf("%s/%+v: detected style %v", in.name, o, r.Style())
			}
		}
	}
}

// TestReverseSmallReads reads one byte at a time and through a reader that
// returns one byte per Read, with CRLF line endings.
func TestReverseSmallReads(t *testing.T) {
	in := testInputs(t, 0)
	data := in[len(in)-3].data // mixed runs with "*"
	for _, o := range allOptions() {
		dump := strings.ReplaceAll(FormatOptions(data, o), "\n", "\r\n")
		got, err := io.ReadAll(iotest.OneByteReader(NewReader(iotest.OneByteReader(strings.NewReader(dump)))))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%+v: %v, %d bytes, want %d", o, err, len(got), len(data))
		}
	}
}

// TestReverseConcatenated reads several dumps one after another.
func TestReverseConcatenated(t *testing.T) {
	parts := [][]byte{[]byte("first packet, 29 bytes long.."), make([]byte, 64), []byte("third")}
	want := bytes.Join(parts, nil)
	for _, o := range allOptions() {
		var dump strings.Builder
		for i, p := range parts {
			dump.WriteString(FormatOptions(p, o))
			if o.Style == TCPDump {
				fmt.Fprintf(&dump, "12:00:0%d.000000 IP 10.0.0.1 > 10.0.0.2: ICMP echo request, length %d\n", i, len(p))
			}
		}
		got, err := Parse(strings.NewReader(dump.String()))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%+v: %v, %q", o, err, got)
		}
	}
	// With blank lines between dumps, and new starting offsets.
	dump := Format([]byte("abc"), XXD) + "\n" + FormatOptions([]byte("def"), Options{Style: XXD, Offset: 100})
	if got, err := Parse(strings.NewReader(dump)); err != nil || string(got) != "abcdef" {
		t.Errorf("blank-separated: %q, %v", got, err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "\n", "\n\n  \n"} {
		got, err := Parse(strings.NewReader(in))
		if err != nil || len(got) != 0 {
			t.Errorf("Parse(%q) = %q, %v", in, got, err)
		}
	}
}

func TestReverseErrors(t *testing.T) {
	full := "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"garbage", "hello world\n", 1, "not a hex dump line"},
		{"garbage-after-blank", "\n\nhello\n", 3, "not a hex dump line"},
		{"bad-hex", "00000000: 41zz 4243  A.BC\n", 1, `bad hex byte "zz" at column 13`},
		{"odd-group", "00000000: 414 4243  A.BC\n", 1, `bad hex byte "4 " at column 13`},
		{"xxd-g1", "00000000: 41 42 43  ABC\n", 1, `unexpected '4' at column 14`},
		{"pane-misplaced", "0000  41  42                                             A B\n", 1, `unexpected '4' at column 11`},
		{"truncated-byte", "0000  41 4", 1, "line ends inside a byte"},
		{"offset-gap", "00000000: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP\n00000020: 41  A\n", 2, "offset 0x20, expected 0x10"},
		{"short-in-middle", "00000000: 4142  AB\n00000002: 4344  CD\n", 2, "follows a short line"},
		{"wide-xxd", "00000000: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50 5152  ABCDEFGHIJKLMNOPQR\n", 1, "more than 16 bytes"},
		{"star-first", "*\n", 1, `"*" must follow a full line`},
		{"star-at-eof", full + "*\n", 2, `"*" is not followed by an offset line`},
		{"star-twice", full + "*\n*\n", 3, `"*" follows another "*"`},
		{"star-misaligned", full + "*\n00000018\n", 3, "does not end the repetition"},
		{"star-backwards", full + "*\n00000000\n", 3, "does not end the repetition"},
		{"star-in-xxd", "00000000: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP\n*\n", 2, `"*" in a xxd dump`},
		{"star-then-blank", full + "*\n\n", 3, "blank line after"},
		{"final-offset-wrong", full + "00000011\n", 2, "final offset 0x11, expected 0x10"},
		{"mixed-styles", full + "00000010: 4142  AB\n", 2, "xxd line in a canonical dump"},
		{"tcpdump-bad", "\t0x0000:  4500 00zz\n", 1, `bad hex byte "zz" at column 18`},
		{"tcpdump-no-colon", "\t0x0000  4500\n", 1, "malformed tcpdump line"},
		{"huge-offset", "00000000000000000000: 41  A\n", 1, "more than 16 hex digits"},
		{"offset-overflow", "fffffffffffffff8: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP\n", 1, "too large"},
		{"indented-pane", "  0000  41 42   AB\n", 1, "not a hex dump line"},
		{"no-bytes", "00000000: \n", 1, "no bytes after the offset"},
		{"header-before-xxd", "IP 1.2.3.4 > 5.6.7.8\n00000000: 4142  AB\n", 1, "not a hex dump line"},
		{"long-line", strings.Repeat("x", maxLineLen+10) + "\n", 1, "longer than"},
	}
	for _, tt := range tests {
		t.Run("case="+tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse = %q, %v; want a *SyntaxError", got, err)
			}
			if se.Line != tt.line || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("error %q; want line %d and %q", err, tt.line, tt.msg)
			}
			if want := fmt.Sprintf("hexdump: line %d: ", tt.line); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q does not start with %q", err, want)
			}
		})
	}
}

// TestReverseLenient accepts variations the reference tools or editors make.
func TestReverseLenient(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"xxd-unpadded", "00000000: 4142 4344  ABCD\n", "ABCD"},
		{"xxd-unpadded-odd", "00000000: 4142 43  ABC\n", "ABC"},
		{"uppercase-hex", "00000000: 4A4B  JK\n", "JK"},
		{"no-final-newline", "00000000: 4142  AB", "AB"},
		{"trimmed-pane", "0000  41 42", "AB"},
		{"tcpdump-spaces", "        0x0000:  4142 43\n", "ABC"},
		{"canonical-without-final", "00000000  41 42                                             |AB|\n", "AB"},
		{"tcpdump-after-headers", "IP 1 > 2\n12:00:00.000001 IP 3 > 4\n\t0x0000:  4142\n", "AB"},
	}
	for _, tt := range tests {
		got, err := Parse(strings.NewReader(tt.in))
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: Parse = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}

type errReader struct{}

var errRead = errors.New("read failed")

func (errReader) Read([]byte) (int, error) { return 0, errRead }

func TestReverseReadError(t *testing.T) {
	var out bytes.Buffer
	if err := Reverse(&out, errReader{}); !errors.Is(err, errRead) {
		t.Errorf("Reverse = %v, want %v", err, errRead)
	}
}

// TestReverseStreams checks that a large squeezed dump is expanded without
// being held: the output of "*" is produced line by line.
func TestReverseStreams(t *testing.T) {
	dump := "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n40000000\n"
	n, err := io.Copy(io.Discard, NewReader(strings.NewReader(dump)))
	if err != nil || n != 1<<30 {
		t.Errorf("copied %d, %v; want 1 GiB", n, err)
	}
}
