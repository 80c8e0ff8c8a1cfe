package tcpdumptest_test

import (
	"path/filepath"
	"strings"
	"testing"

	"tcpregress.dev/tcpstack/tcpdump/tcpdumptest"
)

func TestRun(t *testing.T) {
	r := tcpdumptest.Run(t, "--version")
	if r.Code != 0 || !strings.Contains(r.Stdout+r.Stderr, "tcpdump version") {
		t.Errorf("tcpdump --version: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	r = tcpdumptest.Run(t, "-r", filepath.Join(t.TempDir(), "missing.pcap"))
	if r.Code == 0 || r.Stderr == "" {
		t.Errorf("tcpdump -r on a missing file: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestLines(t *testing.T) {
	r := tcpdumptest.Result{Stdout: "a\nb\n"}
	if got := r.Lines(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Lines() = %q", got)
	}
	// tcpdump printed nothing (a capture without packets): no lines, not
	// one empty line.
	if got := (tcpdumptest.Result{}).Lines(); len(got) != 0 {
		t.Errorf("Lines() of no output = %q, want none", got)
	}
}
