package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"tcpregress.dev/pcap/hexdump"
	"tcpregress.dev/pcap/pcaptest"
	"tcpregress.dev/pcap/testenv"
	"tcpregress.dev/tools/cli/clitest"
)

// runCLI runs the command with stdin and returns the exit code, stdout and
// stderr.
func runCLI(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, bytes.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// testData has a run of equal lines for '*' and random bytes.
func testData() []byte {
	return append(append(make([]byte, 100), clitest.RandomBytes(1, 700)...), bytes.Repeat([]byte{'x'}, 77)...)
}

func TestDumpFile(t *testing.T) {
	data := testData()
	path := pcaptest.TempFile(t, "data.bin", data)
	for _, s := range hexdump.Styles() {
		code, out, errOut := runCLI(t, nil, "--style="+s.String(), path)
		if code != 0 || errOut != "" {
			t.Fatalf("--style=%s: exit %d, stderr %q", s, code, errOut)
		}
		if want := hexdump.Format(data, s); out != want {
			t.Errorf("--style=%s: output differs from hexdump.Format", s)
		}
	}
	// The default is Pane.
	if _, out, _ := runCLI(t, nil, path); out != hexdump.Format(data, hexdump.Pane) {
		t.Error("default style is not pane")
	}
}

func TestDumpStdin(t *testing.T) {
	data := testData()
	for _, args := range [][]string{{"-C"}, {"-C", "-"}} {
		code, out, errOut := runCLI(t, data, args...)
		if code != 0 || out != hexdump.Format(data, hexdump.Canonical) {
			t.Errorf("%q: exit %d, stderr %q, output differs", args, code, errOut)
		}
	}
}

func TestDumpConcatenatesFiles(t *testing.T) {
	a, b := clitest.RandomBytes(2, 21), clitest.RandomBytes(3, 50)
	pa, pb := pcaptest.TempFile(t, "a", a), pcaptest.TempFile(t, "b", b)
	// stdin in the middle, as hexdump and cat allow.
	stdin := []byte("from stdin")
	code, out, errOut := runCLI(t, stdin, "--style=xxd", pa, "-", pb)
	want := hexdump.Format(append(append(append([]byte{}, a...), stdin...), b...), hexdump.XXD)
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, output\n%s\nwant\n%s", code, errOut, out, want)
	}
}

func TestSkipLength(t *testing.T) {
	data := testData()
	path := pcaptest.TempFile(t, "data.bin", data)
	tests := []struct {
		args      []string
		skip, end int
	}{
		{[]string{"-s", "10"}, 10, len(data)},
		{[]string{"-s", "0x10", "-n", "0x20"}, 16, 48},
		{[]string{"--skip=5", "--length=3"}, 5, 8},
		{[]string{"-n", "0"}, 0, 0},
		{[]string{"-s", "100000"}, len(data), len(data)},
		{[]string{"-n", "100000"}, 0, len(data)},
	}
	for _, tt := range tests {
		for _, viaStdin := range []bool{false, true} {
			args := append([]string{"-C", "-v"}, tt.args...)
			var in []byte
			if viaStdin {
				in = data
			} else {
				args = append(args, path)
			}
			code, out, errOut := runCLI(t, in, args...)
			want := hexdump.FormatOptions(data[tt.skip:tt.end], hexdump.Options{Style: hexdump.Canonical, Verbose: true, Offset: int64(tt.skip)})
			if code != 0 || out != want {
				t.Errorf("%q stdin=%v: exit %d, stderr %q, output\n%s\nwant\n%s", args, viaStdin, code, errOut, out, want)
			}
		}
	}
}

// TestPaneOffsetWidth checks that the offset width of the Pane style is the
// same on every line when the input size is known, also after -s.
func TestPaneOffsetWidth(t *testing.T) {
	data := clitest.RandomBytes(8, 0x10010)
	path := pcaptest.TempFile(t, "big.bin", data)
	for _, args := range [][]string{{path}, {"-s", "0x20", path}, {"-s", "0x20", "-n", "0xffe1", path}, {"-s", "0x20", "-n", "0xffe0", path}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
		width := 5
		if len(args) > 2 && args[len(args)-2] == "0xffe0" {
			width = 4 // the last byte is at 0xffff
		}
		for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.Index(line, "  ") != width {
				t.Errorf("%q: line %d: %q; want a %d-digit offset", args, i+1, line, width)
				break
			}
		}
	}
}

// TestMatchesTools compares with the reference tools given the same flags.
func TestMatchesTools(t *testing.T) {
	data := testData()
	path := pcaptest.TempFile(t, "data.bin", data)
	tests := []struct {
		tool, pkg string
		ours      []string
		theirs    []string
	}{
		{"hexdump", "bsdextrautils", []string{"-C"}, []string{"-C"}},
		{"hexdump", "bsdextrautils", []string{"-C", "-v"}, []string{"-C", "-v"}},
		{"hexdump", "bsdextrautils", []string{"-C", "-s", "0x31", "-n", "300"}, []string{"-C", "-s", "0x31", "-n", "300"}},
		{"xxd", "xxd", []string{"--style=xxd"}, nil},
		{"xxd", "xxd", []string{"--style=xxd", "-s", "77", "-n", "200"}, []string{"-s", "77", "-l", "200"}},
	}
	for _, tt := range tests {
		tool := testenv.Program(t, tt.tool, tt.pkg)
		want := testenv.Output(t, tool, append(tt.theirs, path)...)
		code, out, errOut := runCLI(t, nil, append(tt.ours, path)...)
		if code != 0 || out != string(want) {
			t.Errorf("hexdump %q: exit %d, stderr %q\n%s\nwant (%s %q)\n%s", tt.ours, code, errOut, out, tt.tool, tt.theirs, want)
		}
	}
}

func TestReverseRoundTrip(t *testing.T) {
	data := testData()
	path := pcaptest.TempFile(t, "data.bin", data)
	for _, args := range [][]string{{"--style=pane"}, {"--style=tshark"}, {"-C"}, {"-C", "-v"}, {"--style=xxd"}, {"--style=tcpdump"}, {"-X"}, {"-C", "-s", "9"}} {
		code, dump, errOut := runCLI(t, nil, append(args, path)...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut)
		}
		want := data
		if len(args) > 1 && args[len(args)-2] == "-s" {
			want = data[9:]
		}
		// From stdin, and from a file.
		code, got, errOut := runCLI(t, []byte(dump), "-r")
		if code != 0 || got != string(want) {
			t.Errorf("%q | hexdump -r: exit %d, stderr %q, %d bytes, want %d", args, code, errOut, len(got), len(want))
		}
		dumpPath := pcaptest.TempFile(t, "dump.txt", []byte(dump))
		code, got, errOut = runCLI(t, nil, "--reverse", dumpPath)
		if code != 0 || got != string(want) {
			t.Errorf("hexdump -r %q dump: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestReverseBadDump(t *testing.T) {
	path := pcaptest.TempFile(t, "bad.txt", []byte("00000000: 4142 4344  ABCD\n00000008: 4546  EF\n"))
	code, out, errOut := runCLI(t, nil, "-r", path)
	if code != 1 || out != "ABCD" { // the bytes before the bad line, as xxd -r
		t.Errorf("exit %d, output %q; want 1 and the bytes before line 2", code, out)
	}
	if want := "hexdump: " + path + ":2: offset 0x8, expected 0x4\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	code, _, errOut = runCLI(t, []byte("not a dump\n"), "-r")
	if code != 1 || !strings.Contains(errOut, "standard input:1: not a hex dump line") {
		t.Errorf("stdin: exit %d, stderr %q", code, errOut)
	}
}

func TestMissingFile(t *testing.T) {
	good := pcaptest.TempFile(t, "good", []byte("abc"))
	missing := filepath.Join(t.TempDir(), "missing.bin")
	for _, args := range [][]string{{missing}, {good, missing}, {"-r", missing}, {"--pcap", missing}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, missing) || !strings.HasPrefix(errOut, "hexdump: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 1, nothing, a message naming the file", args, code, out, errOut)
		}
	}
	code, _, errOut := runCLI(t, nil, t.TempDir())
	if code != 1 || !strings.Contains(errOut, "is a directory") {
		t.Errorf("directory: exit %d, stderr %q", code, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--bogus"}, "unknown flag --bogus"},
		{[]string{"--style=od"}, "--style=od: unknown style; the styles are pane, tshark, canonical, xxd, tcpdump"},
		{[]string{"-C", "--style=xxd"}, "-C means --style=canonical"},
		{[]string{"-X", "--style=pane"}, "-X adds the character column"},
		{[]string{"-s", "1k"}, `bad byte count "1k"`},
		{[]string{"--length=-3"}, `bad byte count "-3"`},
		{[]string{"-s", "0x"}, `bad byte count "0x"`},
		{[]string{"-r", "-s", "3", "-C"}, "-s, -C do not apply"},
		{[]string{"--log-level=loud"}, "--log-level"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, nil, tt.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "hexdump: ") || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, out, errOut, tt.msg)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--reverse") {
		t.Errorf("--help: exit %d, output %q", code, out)
	}
	code, out, _ = runCLI(t, nil, "-V")
	if code != 0 || !strings.HasPrefix(out, "hexdump ") {
		t.Errorf("-V: exit %d, output %q", code, out)
	}
}

// TestClosedPipe writes a long dump into a pipe whose reader has gone, as
// with "hexdump big | head": a quiet success.
func TestClosedPipe(t *testing.T) {
	w := clitest.ClosedPipe(t)
	path := pcaptest.TempFile(t, "big", clitest.RandomBytes(4, 1<<20))
	var stderr bytes.Buffer
	if code := run([]string{path}, os.Stdin, w, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
}

func TestLogging(t *testing.T) {
	path := pcaptest.TempFile(t, "data", []byte("abc"))
	code, _, errOut := runCLI(t, nil, "--log-level=debug", "--log-format=json", path)
	if code != 0 || !strings.Contains(errOut, `"level":"debug"`) || !strings.Contains(errOut, `"style":"pane"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// Silent by default.
	if _, _, errOut := runCLI(t, nil, path); errOut != "" {
		t.Errorf("stderr %q, want nothing", errOut)
	}
}

// writePcap writes, with pcaptest (gopacket's pcapgo), a classic pcap file with
// microsecond time stamps on link type 1; each packet after the first
// claims a longer original length, as if a snapshot length had cut it.
func writePcap(t *testing.T, packets [][]byte) string {
	t.Helper()
	recs := make([]pcaptest.Record, len(packets))
	for i, p := range packets {
		recs[i] = pcaptest.Record{Data: p, Time: time.Unix(int64(1704067200+i), int64(1+i)*1000), OrigLen: len(p) + i}
	}
	path := filepath.Join(t.TempDir(), "in.pcap")
	pcaptest.WritePcap(t, path, layers.LinkTypeEthernet, 262144, recs...)
	return path
}

func TestPcap(t *testing.T) {
	packets := [][]byte{clitest.RandomBytes(5, 60), {0x42}, clitest.RandomBytes(6, 300)}
	path := writePcap(t, packets)
	expect := func(o hexdump.Options, skip, n int) string {
		var s strings.Builder
		for i, p := range packets {
			fmt.Fprintf(&s, "Packet %d: 2024-01-01T00:00:%02d.%06dZ, %d %s (%d on wire)\n", i+1, i, i+1, len(p), map[bool]string{true: "byte", false: "bytes"}[len(p) == 1], len(p)+i)
			start := min(skip, len(p))
			end := len(p)
			if n >= 0 {
				end = min(start+n, len(p))
			}
			o.Offset = int64(start)
			s.WriteString(hexdump.FormatOptions(p[start:end], o))
			if o.Style != hexdump.TShark || end == start {
				s.WriteString("\n")
			}
		}
		return s.String()
	}
	tests := []struct {
		args    []string
		o       hexdump.Options
		skip, n int
	}{
		{nil, hexdump.Options{}, 0, -1},
		{[]string{"--style=tshark"}, hexdump.Options{Style: hexdump.TShark}, 0, -1},
		{[]string{"-X", "-s", "14"}, hexdump.Options{Style: hexdump.TCPDump, ASCII: true}, 14, -1},
		{[]string{"-C", "-n", "20"}, hexdump.Options{Style: hexdump.Canonical}, 0, 20},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, nil, append(append([]string{"--pcap"}, tt.args...), path)...)
		if want := expect(tt.o, tt.skip, tt.n); code != 0 || out != want {
			t.Errorf("%q: exit %d, stderr %q\n%s\nwant\n%s", tt.args, code, errOut, out, want)
		}
	}
	// From stdin, and two files numbered on.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, data, "--pcap", "-", path)
	if code != 0 || strings.Count(out, "Packet ") != 6 || !strings.Contains(out, "Packet 6: ") {
		t.Errorf("stdin and file: exit %d, stderr %q\n%s", code, errOut, out)
	}
	// Not a capture.
	notPcap := pcaptest.TempFile(t, "text.pcap", []byte("this is not a capture file, just text"))
	code, _, errOut = runCLI(t, nil, "--pcap", notPcap)
	if code != 1 || !strings.HasPrefix(errOut, "hexdump: "+notPcap+": ") {
		t.Errorf("not a capture: exit %d, stderr %q", code, errOut)
	}
}

func TestCount(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "17": 17, "0x1f": 31, "0X10": 16, "007": 7} {
		var c count
		if err := c.UnmarshalText([]byte(in)); err != nil || c.n != want || !c.set {
			t.Errorf("%q: %d, %v", in, c.n, err)
		}
	}
	for _, in := range []string{"", "1k", "-1", "+1", "0x", "0x-1", "1.5", strconv.Itoa(1) + "e3", "99999999999999999999"} {
		var c count
		if err := c.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q accepted as %d", in, c.n)
		}
	}
}
