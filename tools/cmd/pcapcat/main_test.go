package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
)

// The repository's generated captures and tcpdump's test corpus
// (testdata/tcpdump/README.md), relative to this package's directory.
const (
	testdataDir = "../../../testdata"
	corpusDir   = "../../../testdata/tcpdump"
)

func TestMain(m *testing.M) {
	// pcapcat prints local time, as tcpdump does; tests compare in UTC and
	// run tcpdump with TZ=UTC.
	time.Local = time.UTC
	os.Exit(m.Run())
}

// runCLI runs pcapcat in-process with stdin and returns the exit code,
// stdout and stderr.
func runCLI(t testing.TB, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, bytes.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// runTcpdump runs tcpdump with args in UTC and returns its stdout, stderr and
// exit code (tcpdumptest.Run: skipped without tcpdump, failed under CI).
func runTcpdump(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	r := tcpdumptest.Run(t, args...)
	return r.Stdout, r.Stderr, r.Code
}

// tcpdumpCount returns the number of packets tcpdump --count reports for a
// file, and whether tcpdump read the file without error.
func tcpdumpCount(t testing.TB, path string) (int, bool) {
	t.Helper()
	out, _, code := runTcpdump(t, "-r", path, "--count")
	m := regexp.MustCompile(`(?m)^(\d+) packets?$`).FindStringSubmatch(out)
	if m == nil {
		return 0, false
	}
	n, _ := strconv.Atoi(m[1])
	return n, code == 0
}

// captures returns the capture files of testdata/ and of tcpdump's corpus
// in testdata/tcpdump.
func captures(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{testdataDir, corpusDir} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("reading %s: %v", dir, err)
		}
		for _, e := range ents {
			if e.IsDir() || !strings.Contains(e.Name(), ".pcap") {
				continue
			}
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return files
}

// numbered parses output printed with -# into packet number → line. Lines
// without a number (tcpdump's hex dumps of some protocols) are left out;
// tcpdump's further lines of a VXLAN packet or SCTP SACK are joined to
// its first.
func numbered(out string) map[int]string {
	re := regexp.MustCompile(`^ *(\d+)  (.*)$`)
	m := make(map[int]string)
	for _, l := range strings.Split(oneLine(out), "\n") {
		if s := re.FindStringSubmatch(l); s != nil {
			n, _ := strconv.Atoi(s[1])
			m[n] = s[2]
		}
	}
	return m
}

// failWriter fails every write after the first n bytes with err.
type failWriter struct {
	n   int
	err error
	w   io.Writer
}

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, f.err
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// vxlanBreak is the line break tcpdump prints between a VXLAN header and
// the frame inside it; sctpBreak the one before each gap block and
// duplicate TSN of an SCTP SACK.
var (
	vxlanBreak = regexp.MustCompile(`(VXLAN, flags \[[^\]]*\] \(0x[0-9a-f]{2}\), vni \d+)\n`)
	sctpBreak  = regexp.MustCompile(`\n\t\t(\[gap ack block #|\[dup TSN #)`)
)

// oneLine joins the lines tcpdump prints for one VXLAN packet or SCTP SACK
// with spaces, as pcapcat prints them (one line per packet, README.md).
func oneLine(out string) string {
	return sctpBreak.ReplaceAllString(vxlanBreak.ReplaceAllString(out, "$1 "), " $1")
}
