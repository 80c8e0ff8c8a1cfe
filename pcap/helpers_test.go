package pcap

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"tcpregress.dev/pcap/testenv"
)

// corpusDir holds tcpdump's own test captures (testdata/tcpdump/README.md).
const corpusDir = "../testdata/tcpdump"

// captureFiles returns every capture in testdata/ and in tcpdump's corpus.
func captureFiles(t testing.TB) []string {
	t.Helper()
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "*.pcap*"))
	if len(corpus) < 100 {
		t.Fatalf("the capture corpus %s holds %d captures, want 148: is the checkout complete?", corpusDir, len(corpus))
	}
	local, _ := filepath.Glob("../testdata/*.pcap*")
	files := append(corpus, local...)
	sort.Strings(files)
	var out []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			out = append(out, f)
		}
	}
	return out
}

var countRE = regexp.MustCompile(`(?m)^(\d+) packets?$`)

// tcpdumpCount runs `tcpdump -r FILE --count [filter]`: the packets tcpdump
// read, whether it opened the file, and whether it ended in an error.
func tcpdumpCount(t testing.TB, path string, filter ...string) (n int, opened, failed bool, stderr string) {
	t.Helper()
	bin := testenv.Program(t, "tcpdump", "tcpdump")
	args := append([]string{"-r", path, "--count"}, filter...)
	cmd := exec.Command(bin, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	m := countRE.FindStringSubmatch(out.String())
	if m == nil {
		return 0, false, true, errb.String()
	}
	n, _ = strconv.Atoi(m[1])
	return n, true, err != nil, errb.String()
}
