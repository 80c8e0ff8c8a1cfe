package hexdump

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"tcpregress.dev/pcap/pcaptest"
	"tcpregress.dev/pcap/testenv"
)

// The tests in this file compare the output byte for byte with the reference
// tools run on the same inputs.

func TestCanonicalMatchesHexdump(t *testing.T) {
	hd := testenv.Program(t, "hexdump", "bsdextrautils")
	for _, in := range testInputs(t, 40) {
		path := pcaptest.TempFile(t, "in.bin", in.data)
		for _, verbose := range []bool{false, true} {
			args := []string{"-C", path}
			if verbose {
				args = []string{"-C", "-v", path}
			}
			want := testenv.Output(t, hd, args...)
			got := FormatOptions(in.data, Options{Style: Canonical, Verbose: verbose})
			diffLines(t, fmt.Sprintf("%s/verbose=%v", in.name, verbose), []byte(got), want)
		}
	}
}

func TestXXDMatchesXXD(t *testing.T) {
	x := testenv.Program(t, "xxd", "xxd")
	for _, in := range testInputs(t, 40) {
		path := pcaptest.TempFile(t, "in.bin", in.data)
		want := testenv.Output(t, x, path)
		got := Format(in.data, XXD)
		diffLines(t, in.name, []byte(got), want)
	}
}

// TestSkipMatches checks Options.Offset against hexdump -s and xxd -s, which
// print absolute offsets for the bytes after the skipped ones.
func TestSkipMatches(t *testing.T) {
	hd := testenv.Program(t, "hexdump", "bsdextrautils")
	x := testenv.Program(t, "xxd", "xxd")
	r := testRand(t)
	data := append(make([]byte, 200), randomBytes(r, 300)...)
	path := pcaptest.TempFile(t, "in.bin", data)
	for _, skip := range []int{1, 7, 16, 100, 250, 499} {
		s := strconv.Itoa(skip)
		o := Options{Offset: int64(skip)}
		o.Style = Canonical
		diffLines(t, "hexdump/skip="+s, []byte(FormatOptions(data[skip:], o)), testenv.Output(t, hd, "-C", "-s", s, path))
		o.Verbose = true
		diffLines(t, "hexdump-v/skip="+s, []byte(FormatOptions(data[skip:], o)), testenv.Output(t, hd, "-C", "-v", "-s", s, path))
		o.Style, o.Verbose = XXD, false
		diffLines(t, "xxd/skip="+s, []byte(FormatOptions(data[skip:], o)), testenv.Output(t, x, "-s", s, path))
	}
}

// TestWideOffsetsMatch crosses the 4 GiB offset at which hexdump and xxd
// print 9 digits, with a sparse file.
func TestWideOffsetsMatch(t *testing.T) {
	hd := testenv.Program(t, "hexdump", "bsdextrautils")
	x := testenv.Program(t, "xxd", "xxd")
	const skip = 1<<32 - 40
	tail := randomBytes(testRand(t), 100)
	path := pcaptest.TempFile(t, "sparse.bin", nil)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(tail, skip); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s := strconv.Itoa(skip)
	diffLines(t, "hexdump", []byte(FormatOptions(tail, Options{Style: Canonical, Offset: skip})), testenv.Output(t, hd, "-C", "-s", s, path))
	diffLines(t, "xxd", []byte(FormatOptions(tail, Options{Style: XXD, Offset: skip})), testenv.Output(t, x, "-s", s, path))
}

// TestTCPDumpMatchesTCPDump writes the inputs as packets of an Ethernet
// capture and compares the hex lines of "tcpdump -xx" and "tcpdump -XX"
// (whole frames) with the TCPDump style without and with ASCII.
func TestTCPDumpMatchesTCPDump(t *testing.T) {
	td := testenv.Program(t, "tcpdump", "tcpdump")
	var packets [][]byte
	for _, in := range testInputs(t, 40) {
		if len(in.data) > 0 { // a capture record of 0 bytes has nothing to dump
			packets = append(packets, in.data)
		}
	}
	packets = append(packets, randomBytes(testRand(t), 70000)) // 5-digit offsets
	path := writePcap(t, packets)
	for _, ascii := range []bool{false, true} {
		flag := "-xx"
		if ascii {
			flag = "-XX"
		}
		out := testenv.Output(t, td, "-r", path, "-nn", "-t", "-q", flag)
		// Keep the dump lines; the others are packet headers.
		var want []string
		for _, l := range strings.SplitAfter(string(out), "\n") {
			if strings.HasPrefix(l, "\t0x") {
				want = append(want, l)
			}
		}
		var got []string
		for _, p := range packets {
			got = append(got, strings.SplitAfter(strings.TrimSuffix(FormatOptions(p, Options{Style: TCPDump, ASCII: ascii}), "\n"), "\n")...)
		}
		for i := range got {
			if !strings.HasSuffix(got[i], "\n") {
				got[i] += "\n"
			}
		}
		diffLines(t, flag, []byte(strings.Join(got, "")), []byte(strings.Join(want, "")))
	}
}

// TestReverseReadsTools reads the reference tools' own output back.
func TestReverseReadsTools(t *testing.T) {
	hd := testenv.Program(t, "hexdump", "bsdextrautils")
	x := testenv.Program(t, "xxd", "xxd")
	td := testenv.Program(t, "tcpdump", "tcpdump")
	ins := testInputs(t, 10)
	var packets [][]byte
	var all []byte
	for _, in := range ins {
		path := pcaptest.TempFile(t, "in.bin", in.data)
		for _, args := range [][]string{{hd, "-C", path}, {hd, "-C", "-v", path}, {x, path}} {
			dump := testenv.Output(t, args[0], args[1:]...)
			got, err := Parse(bytes.NewReader(dump))
			if err != nil {
				t.Errorf("%s: %s: %v", in.name, args, err)
			} else if !bytes.Equal(got, in.data) {
				t.Errorf("%s: %s: reverse gives %d bytes, want %d", in.name, args, len(got), len(in.data))
			}
		}
		if len(in.data) > 0 {
			packets = append(packets, in.data)
			all = append(all, in.data...)
		}
	}
	// Whole tcpdump output, packet header lines included.
	path := writePcap(t, packets)
	for _, flag := range []string{"-xx", "-XX"} {
		dump := testenv.Output(t, td, "-r", path, "-nn", flag)
		got, err := Parse(bytes.NewReader(dump))
		if err != nil {
			t.Errorf("tcpdump %s: %v", flag, err)
		} else if !bytes.Equal(got, all) {
			t.Errorf("tcpdump %s: reverse gives %d bytes, want %d", flag, len(got), len(all))
		}
	}
}
