package hexdump

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpregress.dev/pcap/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the reference tools")

// paneByRules builds the Pane dump from the rules of Wireshark's bytes pane,
// independently of the package's formatter: offsets with at least 4 digits
// and as many as the largest offset needs, two spaces, 16 bytes with an extra
// space after the 8th, three spaces, the characters with an extra space after
// the 8th, every line padded to the same width.
func paneByRules(b []byte, start int64) string {
	if len(b) == 0 {
		return ""
	}
	digits := max(4, len(fmt.Sprintf("%x", start+int64(len(b))-1)))
	var out strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		var hex, chars strings.Builder
		for i := range 16 {
			if i == 8 {
				hex.WriteString(" ")
				chars.WriteString(" ")
			}
			if i > 0 {
				hex.WriteString(" ")
			}
			if i >= len(line) {
				hex.WriteString("  ")
				chars.WriteString(" ")
				continue
			}
			fmt.Fprintf(&hex, "%02x", line[i])
			if c := line[i]; c >= 0x20 && c <= 0x7e {
				chars.WriteByte(c)
			} else {
				chars.WriteByte('.')
			}
		}
		fmt.Fprintf(&out, "%0*x  %s   %s\n", digits, start+int64(off), hex.String(), chars.String())
	}
	return out.String()
}

// tsharkByRules builds the TShark dump from the rules of Wireshark's
// print_hex_data_buffer: offsets as in Pane, two spaces, "xx " per byte in
// a 48-column area, two spaces, the characters unpadded, a blank line.
func tsharkByRules(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	digits := max(4, len(fmt.Sprintf("%x", len(b)-1)))
	var out strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		hex := ""
		chars := ""
		for _, c := range line {
			hex += fmt.Sprintf("%02x ", c)
			if c >= 0x20 && c <= 0x7e {
				chars += string(rune(c))
			} else {
				chars += "."
			}
		}
		fmt.Fprintf(&out, "%0*x  %-48s  %s\n", digits, off, hex, chars)
	}
	return out.String() + "\n"
}

func TestPaneGolden(t *testing.T) {
	b := []byte("Hello, world!\n\x00\xffAB")
	want := "" +
		"0000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 ff   Hello, w orld!...\n" +
		"0010  41 42                                              AB               \n"
	if got := Format(b, Pane); got != want {
		t.Errorf("Format(Pane):\n%q\nwant\n%q", got, want)
	}
}

func TestPaneRules(t *testing.T) {
	ins := testInputs(t, 40)
	r := testRand(t)
	ins = append(ins,
		input{"size=65536", randomBytes(r, 65536)}, // largest offset 0xffff: 4 digits
		input{"size=65537", randomBytes(r, 65537)}, // 0x10000: 5 digits on every line
	)
	for _, in := range ins {
		got := Format(in.data, Pane)
		diffLines(t, in.name, []byte(got), []byte(paneByRules(in.data, 0)))
		// Every line has the same width and the same offset width.
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		for i, l := range lines {
			if len(l) != len(lines[0]) || strings.IndexByte(l, ' ') != strings.IndexByte(lines[0], ' ') {
				t.Errorf("%s: line %d is %d wide, offset %d; line 1 is %d, %d", in.name, i+1, len(l), strings.IndexByte(l, ' '), len(lines[0]), strings.IndexByte(lines[0], ' '))
				break
			}
		}
	}
	// A start offset counts towards the offset width.
	b := randomBytes(r, 40)
	diffLines(t, "offset=0xfff0", []byte(FormatOptions(b, Options{Offset: 0xfff0})), []byte(paneByRules(b, 0xfff0)))
}

func TestTSharkRules(t *testing.T) {
	r := testRand(t)
	ins := append(testInputs(t, 40), input{"size=65537", randomBytes(r, 65537)})
	for _, in := range ins {
		diffLines(t, in.name, []byte(Format(in.data, TShark)), []byte(tsharkByRules(in.data)))
	}
}

// tsharkPackets are the packets of testdata/tshark-x.golden.
func tsharkPackets() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	return [][]byte{
		[]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0dHello, World | tshark ~"),
		{0x01},
		randomBytes(r, 17),
		append(all, "xyz"...),
		randomBytes(r, 333),
	}
}

// TestTSharkGolden compares with the output of "tshark -r FILE -x", kept in
// testdata/tshark-x.golden (tshark is large, so it is not required: with
// -update and tshark installed the file is rewritten).
func TestTSharkGolden(t *testing.T) {
	packets := tsharkPackets()
	golden := filepath.Join("testdata", "tshark-x.golden")
	if *update {
		ts := testenv.Program(t, "tshark", "tshark")
		out := testenv.Output(t, ts, "-r", writePcap(t, packets), "-x")
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for _, p := range packets {
		got.WriteString(Format(p, TShark))
	}
	diffLines(t, "tshark -x", got.Bytes(), want)
}

// TestWriterChunking checks that any chunking of writes gives the output of
// Format, for every style and option.
func TestWriterChunking(t *testing.T) {
	r := testRand(t)
	for _, in := range testInputs(t, 20) {
		for _, o := range allOptions() {
			o.Size = int64(len(in.data))
			want := FormatOptions(in.data, o)
			for _, chunk := range []int{1, 3, 16, 17, 1000, -1} {
				var got bytes.Buffer
				w := NewWriterOptions(&got, o)
				for p := in.data; len(p) > 0; {
					n := chunk
					if n < 0 {
						n = 1 + r.IntN(64)
					}
					n = min(n, len(p))
					if k, err := w.Write(p[:n]); k != n || err != nil {
						t.Fatalf("Write = %d, %v", k, err)
					}
					p = p[n:]
					if chunk == 3 {
						if err := w.Flush(); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if got.String() != want {
					t.Errorf("%s/%+v/chunk=%d: writer differs from Format", in.name, o, chunk)
				}
			}
			var d bytes.Buffer
			if err := Dump(&d, in.data, o); err != nil || d.String() != want {
				t.Errorf("%s/%+v: Dump differs from Format (err %v)", in.name, o, err)
			}
		}
	}
}

// allOptions returns every style with every option that changes it.
func allOptions() []Options {
	var os []Options
	for _, s := range Styles() {
		os = append(os, Options{Style: s}, Options{Style: s, Offset: 0x1234567})
		switch s {
		case Canonical:
			os = append(os, Options{Style: s, Verbose: true})
		case TCPDump:
			os = append(os, Options{Style: s, ASCII: true})
		}
	}
	return os
}

// TestWriterPaneWidens checks the documented streaming behaviour without a
// Size: 4 digits until offsets pass 0xffff, then 5.
func TestWriterPaneWidens(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, Pane)
	if _, err := w.Write(make([]byte, 0x10010)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	if !strings.HasPrefix(lines[0xfff], "fff0  ") || !strings.HasPrefix(lines[0x1000], "10000  ") {
		t.Errorf("lines around 0x10000: %q, %q", lines[0xfff], lines[0x1000])
	}
}

func TestWriterZeroAllocs(t *testing.T) {
	buf := randomBytes(testRand(t), 1<<16)
	for _, o := range allOptions() {
		w := NewWriterOptions(io.Discard, o)
		allocs := testing.AllocsPerRun(10, func() {
			if _, err := w.Write(buf); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%+v: %v allocations per 64 KiB write", o, allocs)
		}
	}
}

type failWriter struct{ n int }

var errBroken = errors.New("broken")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errBroken
	}
	f.n--
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter(&failWriter{n: 1}, XXD)
	var err error
	for range 1 << 12 {
		if _, err = w.Write(make([]byte, 1000)); err != nil {
			break
		}
	}
	if !errors.Is(err, errBroken) {
		t.Fatalf("Write after a failing writer: %v, want %v", err, errBroken)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, errBroken) {
		t.Errorf("second Write: %v, want the sticky error", err)
	}
	if err := w.Close(); !errors.Is(err, errBroken) {
		t.Errorf("Close: %v, want the sticky error", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close: %v, want ErrClosed", err)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

func TestParseStyle(t *testing.T) {
	for _, s := range Styles() {
		got, err := ParseStyle(strings.ToUpper(s.String()))
		if err != nil || got != s {
			t.Errorf("ParseStyle(%q) = %v, %v", s.String(), got, err)
		}
		text, err := s.MarshalText()
		var back Style
		if err != nil || back.UnmarshalText(text) != nil || back != s {
			t.Errorf("text round trip of %v: %q, %v, %v", s, text, err, back)
		}
	}
	_, err := ParseStyle("hex")
	if err == nil || !strings.Contains(err.Error(), "pane, tshark, canonical, xxd, tcpdump") {
		t.Errorf("ParseStyle(hex): %v, want an error listing the styles", err)
	}
	if s := Style(42).String(); s != "Style(42)" {
		t.Errorf("Style(42).String() = %q", s)
	}
}

func TestNegativeOffsetIsZero(t *testing.T) {
	if a, b := FormatOptions([]byte("abc"), Options{Style: XXD, Offset: -5}), Format([]byte("abc"), XXD); a != b {
		t.Errorf("Offset -5: %q, want %q", a, b)
	}
}
